// SPDX-License-Identifier: MIT
// Namespaces for netns tests: the process's private network + mount namespace (tmpfs /run),
// a "far side" network namespace, veth pairs, and running the ip/wg commands that set them up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/unique_fd.hpp"

namespace wgwatch::test {

/// What a finished command produced.
struct command_result {
  int exit_code = -1;  ///< exit status, or 128 + signal
  std::string out;
  std::string err;
};

/// Runs argv[0] (searched on PATH) with `input` on stdin and waits. Never throws for a
/// non-zero exit; throws std::runtime_error only when the program cannot be started.
command_result run_command(const std::vector<std::string>& argv, std::string_view input = {});

/// Like run_command() but throws std::runtime_error (with the command and its stderr) unless
/// it exits 0. Returns stdout.
std::string check_command(const std::vector<std::string>& argv, std::string_view input = {});

/// Asks the shared main() to isolate this test executable before gtest starts: call it from
/// a namespace-scope initializer (`WGWATCH_ISOLATED_TEST_PROGRAM();`).
bool request_isolation() noexcept;
bool isolation_requested() noexcept;

/// Moves the (still single-threaded) process into a new network and mount namespace: makes /
/// recursively private, mounts a tmpfs on /run (and on /var/run unless it links to /run), and
/// brings lo up. The namespaces die with the process, so nothing leaks even on a crash.
/// Records and returns the reason on failure (nullopt on success).
std::optional<std::string> isolate_process();

/// Why the process is not isolated: "not requested", the isolate_process() failure, or
/// nullopt when it is.
std::optional<std::string> isolation_failure();

/// A named network namespace (`ip netns add`), removed on destruction. Lives under
/// /run/netns, i.e. on the private tmpfs of the isolated process.
class named_netns {
 public:
  explicit named_netns(std::string name);
  ~named_netns();
  named_netns(const named_netns&) = delete;
  named_netns& operator=(const named_netns&) = delete;

  const std::string& name() const noexcept { return name_; }
  /// `ip netns exec <name> argv...`.
  std::vector<std::string> exec(std::vector<std::string> argv) const;
  /// Path of the namespace file, for setns().
  std::string path() const { return "/run/netns/" + name_; }

 private:
  std::string name_;
};

/// A veth pair: `near` in the current namespace, `far` moved into `far_netns`, each with an
/// address and up. Deleted on destruction (deleting one end deletes both).
class veth_pair {
 public:
  veth_pair(std::string near, std::string near_cidr, const named_netns& far_netns,
            std::string far, std::string far_cidr);
  ~veth_pair();
  veth_pair(const veth_pair&) = delete;
  veth_pair& operator=(const veth_pair&) = delete;

 private:
  std::string near_;
};

/// A listening TCP socket on `port` of every address, created inside `ns` (setns on a helper
/// thread: the socket keeps its namespace). Throws std::runtime_error on failure.
unique_fd listen_in(const named_netns& ns, std::uint16_t port);

}  // namespace wgwatch::test

/// Put at namespace scope in a netns test file: main() isolates the process before gtest runs.
#define WGWATCH_ISOLATED_TEST_PROGRAM() \
  [[maybe_unused]] static const bool wgwatch_isolation_requested_ = ::wgwatch::test::request_isolation()

/// Skips the current test unless the process runs in its private namespaces.
#define WGWATCH_REQUIRE_ISOLATION()                                         \
  do {                                                                      \
    if (auto wgwatch_missing_ = ::wgwatch::test::isolation_failure()) {     \
      GTEST_SKIP() << "no private network+mount namespace: " << *wgwatch_missing_; \
    }                                                                       \
  } while (false)
