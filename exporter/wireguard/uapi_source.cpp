// SPDX-License-Identifier: MIT
// UAPI socket I/O: directory listing as `wg` does it, connect with timeouts, read to "\n\n".
#include "wireguard/uapi_source.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "util/error.hpp"
#include "wireguard/uapi_parse.hpp"

namespace wgwatch::wg {
namespace {

constexpr std::string_view socket_suffix = ".sock";
constexpr std::size_t max_ifname = 15;

bool valid_ifname(std::string_view name) {
  return !name.empty() && name.size() <= max_ifname && name.find('/') == std::string_view::npos &&
         name != "." && name != "..";
}

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

struct dir_closer {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};

// Far beyond any real device (10,000 peers take about 4 MB); a daemon sending more is broken.
constexpr std::size_t max_reply_size = 64 << 20;

// Grows `buffer` to `size`, keeping its first `used` bytes and wiping the storage it leaves:
// the reply carries the private and preshared keys in hex.
void grow_wiping(std::string& buffer, std::size_t used, std::size_t size) {
  std::string bigger(size, '\0');
  std::memcpy(bigger.data(), buffer.data(), used);
  buffer.swap(bigger);
  wipe(bigger.data(), bigger.size());
}

// Waits until `fd` is readable or `deadline` passes (errc::timed_out).
result<void> wait_readable(int fd, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return make_error_code(errc::timed_out);
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return {};
    if (r == 0) return make_error_code(errc::timed_out);
    if (errno != EINTR) return from_errno();
  }
}

error_code io_error() {
  return (errno == EAGAIN || errno == EWOULDBLOCK) ? make_error_code(errc::timed_out)
                                                   : from_errno();
}

}  // namespace

uapi_source::uapi_source(std::string socket_dir, std::chrono::milliseconds timeout)
    : socket_dir_(std::move(socket_dir)), timeout_(timeout) {}

result<unique_fd> uapi_source::connect_socket(std::string_view name) const {
  if (!valid_ifname(name)) return make_error_code(errc::device_not_found);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket_dir_ + "/" + std::string(name) + std::string(socket_suffix);
  if (path.size() >= sizeof addr.sun_path) return from_errno(ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? make_error_code(errc::device_not_found) : from_errno();
  }
  if (!S_ISSOCK(st.st_mode)) return make_error_code(errc::device_not_found);

  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return from_errno();
  set_timeouts(fd.get(), timeout_);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    // ECONNREFUSED: the socket file outlived its daemon.
    return errno == ECONNREFUSED ? make_error_code(errc::device_not_found) : io_error();
  }
  return fd;
}

bool uapi_source::has_live_socket(std::string_view name) const {
  // Only "no socket" and "stale socket" (device_not_found) mean no device. Anything else,
  // EACCES above all (the agent lacks CAP_DAC_OVERRIDE), is a device we fail to read: it
  // must show up as a failed read with its reason, not vanish from the scrape.
  auto fd = connect_socket(name);
  return fd.has_value() || fd.error() != errc::device_not_found;
}

result<std::vector<std::string>> uapi_source::list_devices() {
  std::vector<std::string> names;
  const std::unique_ptr<DIR, dir_closer> dir(::opendir(socket_dir_.c_str()));
  if (!dir) {
    if (errno == ENOENT) return names;  // no userspace implementation has run here
    return from_errno();
  }
  while (const dirent* ent = ::readdir(dir.get())) {
    const std::string_view file = ent->d_name;
    if (!file.ends_with(socket_suffix)) continue;
    const std::string_view name = file.substr(0, file.size() - socket_suffix.size());
    if (!valid_ifname(name)) continue;
    if (has_live_socket(name)) names.emplace_back(name);
  }
  return names;
}

result<std::size_t> uapi_source::read_reply_into(std::string_view name, std::string& buffer) const {
  auto fd = connect_socket(name);
  if (!fd) return fd.error();
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  static constexpr std::string_view request = "get=1\n\n";
  if (::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return io_error();
  }
  std::size_t used = 0;
  // A reply ends with "errno=N\n\n"; the daemon keeps the connection open for more requests.
  while (used < 2 || buffer[used - 1] != '\n' || buffer[used - 2] != '\n') {
    if (buffer.size() - used < 16384 && buffer.size() < max_reply_size) {
      // Capped, not just checked: doubling from a size sized by the previous reply could
      // otherwise pass the cap by almost as much again.
      grow_wiping(buffer, used, std::min(max_reply_size, std::max<std::size_t>(65536, buffer.size() * 2)));
    }
    if (used == buffer.size()) return make_error_code(errc::protocol_error);  // full at the cap
    // One deadline for the whole reply: a daemon trickling bytes must not stall the scrape.
    if (auto ready = wait_readable(fd->get(), deadline); !ready) return ready.error();
    const ssize_t n = ::recv(fd->get(), buffer.data() + used, buffer.size() - used, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return from_errno();
    }
    if (n == 0) break;  // closed early: the parser reports the truncation
    used += static_cast<std::size_t>(n);
  }
  return used;
}

result<std::string> uapi_source::read_reply(std::string_view name) const {
  wiping_buffer reply;
  auto used = read_reply_into(name, reply.data);
  if (!used) return used.error();
  reply.data.resize(*used);
  return std::move(reply.data);
}

result<device> uapi_source::get_device(std::string_view name) {
  // Sized from the previous reply, so a large device is read without growing the buffer;
  // freed (wiped) after the parse, so no copy of the reply outlives the read.
  wiping_buffer reply;
  reply.data.resize(std::min(max_reply_size, last_reply_size_ + last_reply_size_ / 8 + 65536));
  auto used = read_reply_into(name, reply.data);
  if (!used) return used.error();
  last_reply_size_ = *used;
  auto dev = parse_uapi(std::string_view(reply.data.data(), *used), std::chrono::system_clock::now());
  if (!dev) return dev.error();
  dev->name = std::string(name);
  dev->kind = backend::userspace;
  return dev;
}

}  // namespace wgwatch::wg
