// SPDX-License-Identifier: MIT
// wgwatch child process and a blocking Beast HTTP client on 127.0.0.1.
#include "support/agent_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "http/gzip.hpp"

namespace wgwatch::test {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

void set_socket_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Port of "msg=listening address=127.0.0.1:PORT" in the stderr text; 0 if not there yet.
std::uint16_t listening_port(std::string_view text) {
  std::size_t pos = 0;
  while ((pos = text.find("msg=listening", pos)) != std::string_view::npos) {
    const auto eol = text.find('\n', pos);
    const auto line = text.substr(pos, eol == std::string_view::npos ? text.npos : eol - pos);
    pos += 1;
    if (eol == std::string_view::npos) return 0;  // wait for the whole line
    const auto addr = line.find("address=");
    if (addr == std::string_view::npos) continue;
    auto value = line.substr(addr + 8);
    value = value.substr(0, value.find(' '));
    if (!value.empty() && value.front() == '"') value = value.substr(1, value.size() - 2);
    const auto colon = value.rfind(':');
    if (colon == std::string_view::npos) continue;
    const long port = std::strtol(std::string(value.substr(colon + 1)).c_str(), nullptr, 10);
    if (port > 0 && port < 65536) return static_cast<std::uint16_t>(port);
  }
  return 0;
}

std::string make_config_file(const std::string& text) {
  char path[] = "/tmp/wgwatch-test-config-XXXXXX.toml";
  const int fd = ::mkstemps(path, 5);
  if (fd < 0) throw std::runtime_error(std::string("mkstemps: ") + std::strerror(errno));
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

std::string agent_binary_path() { return WGWATCH_BINARY_PATH; }

http_response http_get(std::uint16_t port, std::string_view target, bool accept_gzip,
                       std::chrono::milliseconds timeout) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address_v4("127.0.0.1"), port}, ec);
  if (ec) throw std::runtime_error("connect 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  set_socket_timeouts(socket.native_handle(), timeout);

  http::request<http::empty_body> req{http::verb::get, std::string(target), 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::connection, "close");
  if (accept_gzip) req.set(http::field::accept_encoding, "gzip");
  http::write(socket, req, ec);
  if (ec) throw std::runtime_error("write request: " + ec.message());

  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  http::read(socket, buffer, parser, ec);
  if (ec) throw std::runtime_error("read response for " + std::string(target) + ": " + ec.message());
  auto res = parser.release();

  http_response out;
  out.status = res.result_int();
  out.content_type = std::string(res[http::field::content_type]);
  out.content_encoding = std::string(res[http::field::content_encoding]);
  out.raw_body = std::move(res.body());
  if (out.content_encoding == "gzip") {
    auto inflated = wgwatch::http::gzip_decompress(out.raw_body);
    if (!inflated) throw std::runtime_error("Content-Encoding: gzip but the body is not gzip");
    out.body = std::move(*inflated);
  } else {
    out.body = out.raw_body;
  }
  return out;
}

agent_process::agent_process(agent_options opts) {
  std::vector<std::string> args{agent_binary_path(), "--web.listen-address", "127.0.0.1:0",
                                "--log.level", opts.log_level};
  if (!opts.config_text.empty()) {
    config_path_ = make_config_file(opts.config_text);
    args.insert(args.end(), {"--config.file", config_path_});
  }
  args.insert(args.end(), opts.extra_args.begin(), opts.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::signal(SIGPIPE, SIG_DFL);  // main() ignores it; children get the default back
    if (opts.nofile_limit != 0) {
      const rlimit lim{static_cast<rlim_t>(opts.nofile_limit), static_cast<rlim_t>(opts.nofile_limit)};
      if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(125);
    }
    ::dup2(err[1], 2);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(err[1]);
  stderr_fd_ = err[0];
  reader_ = std::thread([this] { read_stderr(); });

  std::unique_lock lock(mutex_);
  const bool ready = changed_.wait_for(lock, opts.ready_timeout, [&] {
    port_ = listening_port(stderr_);
    return port_ != 0 || stderr_closed_;
  });
  if (!ready || port_ == 0) {
    const std::string text = stderr_;
    lock.unlock();
    stop();
    if (!config_path_.empty()) ::unlink(config_path_.c_str());  // no destructor after a throw
    throw std::runtime_error(std::string(ready ? "wgwatch exited" : "wgwatch did not log msg=listening") +
                             " (exit " + std::to_string(exit_code_) + "); stderr:\n" + text);
  }
}

agent_process::~agent_process() {
  stop();
  if (!config_path_.empty()) ::unlink(config_path_.c_str());
}

void agent_process::read_stderr() {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(stderr_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    const std::lock_guard lock(mutex_);
    if (n <= 0) {
      stderr_closed_ = true;
      changed_.notify_all();
      return;
    }
    stderr_.append(buf, static_cast<std::size_t>(n));
    changed_.notify_all();
  }
}

int agent_process::stop(std::chrono::milliseconds grace) {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    int status = 0;
    pid_t r = 0;
    while ((r = ::waitpid(pid_, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (r == 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  if (reader_.joinable()) reader_.join();  // the pipe closes when the agent is gone
  if (stderr_fd_ >= 0) {
    ::close(stderr_fd_);
    stderr_fd_ = -1;
  }
  return exit_code_;
}

std::string agent_process::stderr_text() const {
  const std::lock_guard lock(mutex_);
  return stderr_;
}

}  // namespace wgwatch::test
