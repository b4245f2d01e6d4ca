// SPDX-License-Identifier: MIT
// The libmnl socket shell: open/bind, one deadline per read, send, receive loop, reply dispatch.
#include "netlink/socket.hpp"

#include <libmnl/libmnl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace wgwatch::netlink {
namespace {

// Dump parts are at most 32 KiB minus overhead (the kernel caps max_recvmsg_len there), so
// this never sees MSG_TRUNC; libmnl reports one as ENOSPC anyway.
constexpr std::size_t receive_buffer_size = 32 * 1024;

enum class step { more, done };

// Dispatches one message of the reply. NLMSG_DONE and NLMSG_ERROR carry an int error
// (0 or -errno); old kernels may send DONE without it.
result<step> dispatch(const message& m, std::uint32_t seq, std::uint32_t port, bool wants_end,
                      exchange_status& status, const socket::message_handler& on_message) {
  if (m.header.nlmsg_pid != 0 && m.header.nlmsg_pid != port) {
    return make_error_code(errc::reply_mismatch);
  }
  // A late reply to an earlier request on this socket (one that timed out or was abandoned
  // after a handler error) is not ours to read: drop it.
  if (m.header.nlmsg_seq != seq) return step::more;
  if (is_dump_interrupted(m.header)) status.interrupted = true;
  switch (m.header.nlmsg_type) {
    case NLMSG_NOOP: return step::more;
    case NLMSG_OVERRUN: return from_errno(ENOBUFS);
    case NLMSG_DONE:
    case NLMSG_ERROR: {
      if (m.payload.size() < sizeof(int)) {
        if (m.header.nlmsg_type == NLMSG_DONE) return step::done;
        return make_error_code(errc::truncated_attribute);
      }
      if (auto ack = status_to_result(load<int>(m.payload)); !ack) return ack.error();
      return step::done;
    }
    default: break;
  }
  ++status.messages;
  if (auto r = on_message(m); !r) return r.error();
  if (!wants_end && (m.header.nlmsg_flags & NLM_F_MULTI) == 0) return step::done;
  return step::more;
}

}  // namespace

result<socket> socket::open(int bus, std::chrono::milliseconds timeout) {
  mnl_socket* s = mnl_socket_open2(bus, SOCK_CLOEXEC);
  if (s == nullptr) return from_errno();
  socket sock(s);
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) return from_errno();
  // One deadline for the whole read: SO_RCVTIMEO would bound each receive, so a dump that
  // keeps coming in parts (or DUMP_INTR retries) could outlast it many times over.
  if (timeout.count() > 0) sock.deadline_ = std::chrono::steady_clock::now() + timeout;
  // A per-socket sequence start makes replies to an earlier socket's request easy to spot.
  sock.seq_ = static_cast<std::uint32_t>(std::time(nullptr));
  return sock;
}

socket::socket(socket&& other) noexcept
    : sock_(std::exchange(other.sock_, nullptr)), seq_(other.seq_), deadline_(other.deadline_) {}

socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) {
    if (sock_ != nullptr) mnl_socket_close(sock_);
    sock_ = std::exchange(other.sock_, nullptr);
    seq_ = other.seq_;
    deadline_ = other.deadline_;
  }
  return *this;
}

socket::~socket() {
  if (sock_ != nullptr) mnl_socket_close(sock_);
}

std::uint32_t socket::port_id() const noexcept { return mnl_socket_get_portid(sock_); }

result<void> socket::wait_readable() const {
  for (;;) {
    int wait_ms = -1;
    if (deadline_) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *deadline_ - std::chrono::steady_clock::now());
      // Past the deadline even a queued reply is too late: the read has taken too long.
      if (left.count() <= 0) return make_error_code(errc::timed_out);
      wait_ms = static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), INT_MAX));
    }
    pollfd p{mnl_socket_get_fd(sock_), POLLIN, 0};
    const int r = ::poll(&p, 1, wait_ms);
    if (r > 0) return {};
    if (r == 0) return make_error_code(errc::timed_out);
    if (errno != EINTR) return from_errno();
  }
}

result<exchange_status> socket::exchange(std::span<std::uint8_t> request,
                                         const message_handler& on_message) {
  if (request.size() < sizeof(nlmsghdr)) return make_error_code(errc::truncated_attribute);
  auto header = load<nlmsghdr>(request);
  if (header.nlmsg_len != request.size()) return make_error_code(errc::truncated_attribute);
  const std::uint32_t seq = ++seq_;
  header.nlmsg_seq = seq;
  header.nlmsg_pid = 0;
  std::memcpy(request.data(), &header, sizeof header);
  const bool wants_end = (header.nlmsg_flags & (NLM_F_DUMP | NLM_F_ACK)) != 0;

  if (mnl_socket_sendto(sock_, request.data(), request.size()) < 0) return from_errno();

  // Replies carry WireGuard private and preshared keys: wipe the buffer on every exit.
  std::vector<std::uint8_t> buffer(receive_buffer_size);
  struct wiper {
    std::vector<std::uint8_t>& b;
    ~wiper() { explicit_bzero(b.data(), b.size()); }
  } wipe_on_exit{buffer};

  const std::uint32_t port = port_id();
  exchange_status status;
  for (;;) {
    if (auto ready = wait_readable(); !ready) return ready.error();
    const ssize_t n = mnl_socket_recvfrom(sock_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return from_errno();
    }
    step next = step::more;
    auto r = for_each_message(
        bytes_view(buffer.data(), static_cast<std::size_t>(n)), [&](const message& m) -> result<void> {
          if (next == step::done) return {};  // trailing messages after the end: ignore
          auto s = dispatch(m, seq, port, wants_end, status, on_message);
          if (!s) return s.error();
          next = *s;
          return {};
        });
    if (!r) return r.error();
    if (next == step::done) return status;
  }
}

}  // namespace wgwatch::netlink
