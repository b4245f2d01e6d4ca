// SPDX-License-Identifier: MIT
// uapi_source: userspace WireGuard (wireguard-go, boringtun) through <socket_dir>/<ifname>.sock.
#pragma once

#include <chrono>
#include <string>

#include "util/unique_fd.hpp"
#include "wireguard/key.hpp"
#include "wireguard/source.hpp"

namespace wgwatch::wg {

/// A string that is wiped when destroyed (it held secrets).
struct wiping_buffer {
  std::string data;

  wiping_buffer() = default;
  wiping_buffer(const wiping_buffer&) = delete;
  wiping_buffer& operator=(const wiping_buffer&) = delete;
  ~wiping_buffer() { wipe(data.data(), data.size()); }
};

/// Reads userspace devices over their UAPI sockets with "get=1".
class uapi_source final : public source {
 public:
  /// `timeout` bounds each connect and send, and the whole reply of a "get=1".
  uapi_source(std::string socket_dir, std::chrono::milliseconds timeout);

  /// Interfaces with a live socket. Stale sockets (connection refused: the daemon is gone)
  /// are skipped, not unlinked: cleaning up is the owner's job, not a monitor's.
  result<std::vector<std::string>> list_devices() override;

  /// errc::device_not_found when no live socket exists for `name`.
  result<device> get_device(std::string_view name) override;

  std::string_view backend_name() const noexcept override { return "userspace"; }

  /// True if `<socket_dir>/<name>.sock` is a socket that is not stale: it accepts a
  /// connection, or refuses it for another reason than "nobody listens" (EACCES, ...), in
  /// which case reading the device reports that reason.
  bool has_live_socket(std::string_view name) const;

  /// The raw "get=1" reply of one device (the parser's input; used by benchmarks). It holds
  /// the private key in hex: the caller wipes it. errc::timed_out when the reply is not
  /// complete within the timeout; errc::protocol_error past 64 MiB.
  result<std::string> read_reply(std::string_view name) const;

 private:
  result<unique_fd> connect_socket(std::string_view name) const;
  /// Reads the "get=1" reply into `buffer` (grown as needed, old storage wiped); returns its
  /// length.
  result<std::size_t> read_reply_into(std::string_view name, std::string& buffer) const;

  std::string socket_dir_;
  std::chrono::milliseconds timeout_;
  std::size_t last_reply_size_ = 0;  // sizes the next reply buffer
};

}  // namespace wgwatch::wg
