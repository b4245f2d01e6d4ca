// SPDX-License-Identifier: MIT
// wireguard-go as a child process (foreground, dies with the test), in the current network
// namespace or a named one, plus key generation and `wg set` helpers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace wgwatch::test {

class named_netns;

/// Where wireguard-go (and wg) keep UAPI sockets.
inline constexpr std::string_view wireguard_socket_dir = "/var/run/wireguard";

/// A running `wireguard-go -f <ifname>`. The child gets PR_SET_PDEATHSIG(SIGKILL), so it
/// never outlives the test process. Not thread-safe.
class wireguard_go {
 public:
  /// Starts the daemon in the current network namespace, or in `netns` (setns in the child),
  /// and waits until its UAPI socket accepts connections. Throws std::runtime_error on failure.
  explicit wireguard_go(std::string ifname, const named_netns* netns = nullptr,
                        std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));
  ~wireguard_go();
  wireguard_go(const wireguard_go&) = delete;
  wireguard_go& operator=(const wireguard_go&) = delete;

  /// SIGTERM, then SIGKILL after `grace`; reaps the child. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(3));
  /// SIGKILL at once: the daemon cannot remove its socket file, which stays behind stale.
  void kill();

  pid_t pid() const noexcept { return pid_; }
  const std::string& ifname() const noexcept { return ifname_; }
  std::string socket_path() const;
  /// Daemon output so far (stdout and stderr, read after stop()/kill()).
  std::string output();

 private:
  void reap();

  std::string ifname_;
  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string output_;
};

/// True if a UNIX stream socket at `path` accepts a connection.
bool socket_accepts(const std::string& path);

struct keypair {
  std::string private_key;  ///< base64
  std::string public_key;   ///< base64
};

/// `wg genkey` + `wg pubkey`.
keypair make_keypair();
/// `wg genpsk`.
std::string make_preshared_key();

/// `wg set <args...>`, in `netns` when given; `input` feeds /dev/stdin (for keys). Throws on
/// a non-zero exit.
void wg_set(const std::vector<std::string>& args, std::string_view input = {},
            const named_netns* netns = nullptr);

/// Base64 key -> lowercase hex (the UAPI form), for secret-leak checks.
std::string base64_key_to_hex(std::string_view base64);

}  // namespace wgwatch::test
