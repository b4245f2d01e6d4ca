// SPDX-License-Identifier: MIT
// uapi_source against small Unix-socket servers in a temp dir: listing rules, timeouts,
// truncated and malformed replies, and one fixture reply end to end.
#include "wireguard/uapi_source.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "support/fixtures.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"
#include "wireguard/uapi_parse.hpp"

namespace wgwatch::wg {
namespace {

using namespace std::chrono_literals;

constexpr auto timeout = 300ms;

unique_fd bind_unix(const std::string& path) {
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::system_error(errno, std::system_category(), "socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::length_error(path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::system_error(errno, std::system_category(), "bind " + path);
  }
  return fd;
}

std::string read_request(int fd) {
  std::string req;
  char buf[256];
  while (!req.ends_with("\n\n")) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    req.append(buf, static_cast<std::size_t>(n));
  }
  return req;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Blocks until the peer closes (a UAPI daemon keeps the connection open) or `stop` is set.
void wait_for_close(int fd, const std::atomic<bool>& stop) {
  char buf[64];
  while (!stop) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0 && ::recv(fd, buf, sizeof buf, 0) <= 0) return;
  }
}

// A listening socket at `<dir>/<name>.sock` whose connections `handle` serves, one at a time,
// on its own thread. Records the requests it received.
class fake_uapi_server {
 public:
  using handler = std::function<void(int fd, const std::string& request, const std::atomic<bool>& stop)>;

  fake_uapi_server(const std::string& path, handler handle, bool accept_connections = true)
      : fd_(bind_unix(path)), handle_(std::move(handle)) {
    if (::listen(fd_.get(), 8) != 0) throw std::system_error(errno, std::system_category(), "listen");
    if (accept_connections) thread_ = std::thread([this] { run(); });
  }
  ~fake_uapi_server() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  fake_uapi_server(const fake_uapi_server&) = delete;
  fake_uapi_server& operator=(const fake_uapi_server&) = delete;

  std::vector<std::string> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const unique_fd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) continue;
      // list_devices() probes with a bare connect: a connection without a request is not one.
      const std::string request = read_request(conn.get());
      if (request.empty()) continue;
      {
        const std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      handle_(conn.get(), request, stop_);
    }
  }

  unique_fd fd_;
  handler handle_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

fake_uapi_server::handler replies(std::string reply) {
  return [reply = std::move(reply)](int fd, const std::string&, const std::atomic<bool>& stop) {
    send_all(fd, reply);
    wait_for_close(fd, stop);
  };
}

class uapi_source_test : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wgwatch-uapi-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr) << std::strerror(errno);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(std::string_view file) const { return dir_ + "/" + std::string(file); }
  uapi_source source() const { return uapi_source(dir_, timeout); }

  std::string dir_;
};

TEST_F(uapi_source_test, reads_a_fixture_reply_sent_in_small_chunks) {
  const std::string reply = test::read_fixture("uapi/wireguard-go-full.txt");
  fake_uapi_server server(path("wg0.sock"), [&](int fd, const std::string&, const std::atomic<bool>& stop) {
    for (std::size_t i = 0; i < reply.size(); i += 7) {
      send_all(fd, std::string_view(reply).substr(i, 7));
      if (i % 700 == 0) std::this_thread::sleep_for(1ms);
    }
    wait_for_close(fd, stop);  // like wireguard-go: the connection stays open
  });
  // A receive timeout far longer than the read: waiting for EOF (the connection stays open)
  // would end in timed_out, waiting for the timeout would take 30 s. No wall-clock figure
  // to flake on a loaded machine.
  uapi_source src(dir_, 30s);
  const auto start = std::chrono::steady_clock::now();
  const auto dev = src.get_device("wg0");
  ASSERT_TRUE(dev) << dev.error().message();
  // The reply ends at "\n\n": no waiting for the receive timeout or for EOF.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  EXPECT_EQ(dev->name, "wg0");
  EXPECT_EQ(dev->kind, backend::userspace);
  auto expected = parse_uapi(reply, std::chrono::system_clock::now());
  ASSERT_TRUE(expected);
  expected->name = "wg0";
  expected->kind = backend::userspace;
  EXPECT_EQ(*dev, *expected);
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"get=1\n\n"}));
  EXPECT_EQ(src.read_reply("wg0"), reply);
}

TEST_F(uapi_source_test, lists_live_sockets_only) {
  fake_uapi_server live0(path("wg0.sock"), replies("errno=0\n\n"));
  fake_uapi_server live1(path("wg-user.sock"), replies("errno=0\n\n"));
  { const unique_fd stale = bind_unix(path("stale0.sock")); }  // file stays, nobody listens
  std::ofstream(path("notasocket.sock")) << "x";
  std::ofstream(path("wg5.txt")) << "x";
  std::filesystem::create_directory(path("wg6.sock"));
  { const unique_fd other = bind_unix(path("wg7")); }
  fake_uapi_server long_name(path("abcdefghijklmnop.sock"), replies("errno=0\n\n"));  // 16 chars

  auto src = source();
  auto names = src.list_devices();
  ASSERT_TRUE(names) << names.error().message();
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"wg-user", "wg0"}));
  EXPECT_TRUE(std::filesystem::exists(path("stale0.sock")));  // skipped, not unlinked
  EXPECT_TRUE(src.has_live_socket("wg0"));
  EXPECT_FALSE(src.has_live_socket("stale0"));
}

// Without permission on the socket (an agent lacking CAP_DAC_OVERRIDE) a device must not
// vanish: it is listed, and reading it fails with EACCES, which the collector reports.
TEST_F(uapi_source_test, socket_without_permission_is_listed_and_fails_with_eacces) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to an unprivileged user";
  fake_uapi_server server(path("wg0.sock"), replies("errno=0\n\n"));
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(path("wg0.sock").c_str(), 0700), 0);  // as wireguard-go creates it

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child only reports through its exit status: no gtest in a forked process.
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
    auto src = uapi_source(dir_, timeout);
    auto names = src.list_devices();
    if (!names || names->size() != 1 || names->front() != "wg0") ::_exit(11);
    auto dev = src.get_device("wg0");
    if (dev || dev.error() != boost::system::errc::permission_denied) ::_exit(12);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: cannot drop privileges, 11: not listed, 12: not EACCES";
}

TEST_F(uapi_source_test, stale_and_non_socket_files_are_device_not_found) {
  { const unique_fd stale = bind_unix(path("stale0.sock")); }
  std::ofstream(path("file0.sock")) << "x";
  auto src = source();
  EXPECT_EQ(src.get_device("stale0").error(), make_error_code(errc::device_not_found));
  EXPECT_EQ(src.get_device("file0").error(), make_error_code(errc::device_not_found));
}

TEST_F(uapi_source_test, absent_or_invalid_names_are_device_not_found) {
  auto src = source();
  for (const char* name : {"wg0", "", ".", "..", "../wg0", "a/b", "abcdefghijklmnop"}) {
    const auto dev = src.get_device(name);
    ASSERT_FALSE(dev) << name;
    EXPECT_EQ(dev.error(), make_error_code(errc::device_not_found)) << name;
  }
}

TEST_F(uapi_source_test, missing_directory_lists_nothing) {
  uapi_source src(path("does-not-exist"), timeout);
  const auto names = src.list_devices();
  ASSERT_TRUE(names);
  EXPECT_TRUE(names->empty());
}

TEST_F(uapi_source_test, silent_server_times_out_within_the_timeout) {
  fake_uapi_server server(path("wg0.sock"), [](int fd, const std::string&, const std::atomic<bool>& stop) {
    wait_for_close(fd, stop);  // reads the request, never answers
  });
  auto src = source();
  const auto start = std::chrono::steady_clock::now();
  const auto dev = src.get_device("wg0");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), make_error_code(errc::timed_out));
  EXPECT_GE(took, timeout - 10ms);
  EXPECT_LT(took, 10 * timeout) << "hang guard: the deadline was not honoured";
}

TEST_F(uapi_source_test, trickling_server_times_out_within_the_timeout) {
  // Each byte arrives well within the timeout; the reply as a whole does not.
  fake_uapi_server server(path("wg0.sock"), [](int fd, const std::string&, const std::atomic<bool>& stop) {
    while (!stop) {
      send_all(fd, "x");
      std::this_thread::sleep_for(20ms);
    }
  });
  auto src = source();
  const auto start = std::chrono::steady_clock::now();
  const auto dev = src.get_device("wg0");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), make_error_code(errc::timed_out));
  // Hang guard: a timeout per receive would never fire against a byte every 20 ms.
  EXPECT_LT(took, 10 * timeout);
}

TEST_F(uapi_source_test, server_that_never_accepts_times_out) {
  // The kernel completes the connect from the backlog; the reply never comes.
  fake_uapi_server server(path("wg0.sock"), replies(""), /*accept_connections=*/false);
  auto src = source();
  const auto start = std::chrono::steady_clock::now();
  const auto dev = src.get_device("wg0");
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), make_error_code(errc::timed_out));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10 * timeout) << "hang guard";
}

TEST_F(uapi_source_test, server_closing_mid_reply_is_an_error) {
  const std::string reply = test::read_fixture("uapi/wireguard-go-full.txt");
  fake_uapi_server server(path("wg0.sock"), [&](int fd, const std::string&, const std::atomic<bool>&) {
    send_all(fd, std::string_view(reply).substr(0, reply.size() / 2));  // then close
  });
  auto src = source();
  const auto dev = src.get_device("wg0");
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), make_error_code(errc::protocol_error));
}

TEST_F(uapi_source_test, server_closing_at_a_line_boundary_is_an_error) {
  const std::string reply = test::read_fixture("uapi/wireguard-go-full.txt");
  const auto cut = reply.find("\npublic_key=") + 1;
  fake_uapi_server server(path("wg0.sock"), [&](int fd, const std::string&, const std::atomic<bool>&) {
    send_all(fd, std::string_view(reply).substr(0, cut));
  });
  auto src = source();
  const auto dev = src.get_device("wg0");
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), make_error_code(errc::protocol_error));
}

TEST_F(uapi_source_test, malformed_reply_is_a_protocol_error) {
  fake_uapi_server server(path("wg0.sock"), replies("listen_port=51820\ngarbage\nerrno=0\n\n"));
  auto src = source();
  const auto dev = src.get_device("wg0");
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), make_error_code(errc::protocol_error));
}

// A reply of at least `size` bytes: 1 KiB lines of an unknown key (the parser ignores them),
// then errno=0.
std::string padded_reply(std::size_t size) {
  const std::string line = "x_pad=" + std::string(1017, 'a') + "\n";
  std::string reply;
  reply.reserve(size + line.size() + 16);
  while (reply.size() < size) reply += line;
  return reply + "errno=0\n\n";
}

// The reply cap (64 MiB) holds whatever size the buffer starts from. The buffer is sized
// from the previous reply and doubled: from 1.19 MiB it doubled past the cap to 76 MiB, so a
// reply of 65 MiB was read whole.
TEST_F(uapi_source_test, a_reply_past_the_cap_is_a_protocol_error_whatever_came_before) {
  constexpr std::size_t cap = std::size_t{64} << 20;
  std::atomic<int> replies{0};
  fake_uapi_server server(path("wg0.sock"), [&](int fd, const std::string&, const std::atomic<bool>& stop) {
    send_all(fd, padded_reply(replies++ == 0 ? std::size_t{1} << 20 : cap + (std::size_t{1} << 20)));
    wait_for_close(fd, stop);
  });
  uapi_source src(dir_, std::chrono::seconds(20));  // a hang guard: 65 MiB under ASan
  const auto small = src.get_device("wg0");
  ASSERT_TRUE(small) << small.error().message();
  const auto big = src.get_device("wg0");
  ASSERT_FALSE(big) << "a reply of 65 MiB was read whole";
  EXPECT_EQ(big.error(), make_error_code(errc::protocol_error));
}

TEST_F(uapi_source_test, errno_reply_is_that_errno) {
  fake_uapi_server server(path("wg0.sock"), replies(test::read_fixture("uapi/wireguard-go-einval.txt")));
  auto src = source();
  const auto dev = src.get_device("wg0");
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), from_errno(EINVAL));
}

}  // namespace
}  // namespace wgwatch::wg
