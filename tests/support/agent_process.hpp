// SPDX-License-Identifier: MIT
// The wgwatch binary as a child process: start with a config, learn its port from the
// "listening" log line, fetch over HTTP, keep its stderr for assertions, stop by pid.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace wgwatch::test {

struct http_response {
  unsigned status = 0;
  std::string content_type;
  std::string content_encoding;
  std::string body;      ///< decoded (gunzipped when content_encoding is gzip)
  std::string raw_body;  ///< as received
};

/// GET http://127.0.0.1:<port><target>. `accept_gzip` sends Accept-Encoding: gzip. Throws
/// std::runtime_error on connection or protocol errors (a non-200 status is not an error).
http_response http_get(std::uint16_t port, std::string_view target, bool accept_gzip = false,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct agent_options {
  /// TOML written to a temporary file passed as --config.file; empty: no --config.file.
  std::string config_text;
  std::string log_level = "debug";
  std::vector<std::string> extra_args;
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(10);
  /// Non-zero: the child's RLIMIT_NOFILE, soft and hard (set before exec).
  std::uint64_t nofile_limit = 0;

  /// Options with `text` as the config file and defaults otherwise.
  static agent_options with_config(std::string text) {
    agent_options o;
    o.config_text = std::move(text);
    return o;
  }
};

/// A running `wgwatch --web.listen-address 127.0.0.1:0`. The child has PR_SET_PDEATHSIG
/// (SIGKILL). A reader thread collects stderr. Construction throws std::runtime_error if the
/// agent exits or never logs `msg=listening`. Methods are safe to call from several threads
/// except stop() and the destructor.
class agent_process {
 public:
  explicit agent_process(agent_options opts = {});
  ~agent_process();
  agent_process(const agent_process&) = delete;
  agent_process& operator=(const agent_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }

  http_response get(std::string_view target, bool accept_gzip = false) const {
    return http_get(port_, target, accept_gzip);
  }
  http_response scrape(bool accept_gzip = false) const { return get("/metrics", accept_gzip); }

  /// SIGTERM and wait (SIGKILL after `grace`); returns the exit code (128 + signal if
  /// killed). Idempotent: later calls return the first result.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  /// Everything the agent wrote to stderr so far.
  std::string stderr_text() const;

 private:
  void read_stderr();

  std::string config_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::uint16_t port_ = 0;
  int stderr_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string stderr_;
  bool stderr_closed_ = false;
};

/// Path of the wgwatch binary under test (WGWATCH_BINARY_PATH).
std::string agent_binary_path();

}  // namespace wgwatch::test
