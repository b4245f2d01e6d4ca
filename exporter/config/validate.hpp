// SPDX-License-Identifier: MIT
// Config rules on plain values, one function each; shared by the TOML loader and the CLI.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace wgwatch::config {

// Every check_* function returns nullopt when the value is acceptable, else the message of
// the diagnostic (no key, no position: the caller adds those), e.g. `must start with "/"`.
// All are pure and thread-safe.

/// The HTTP path of the metrics: starts with "/", no whitespace or control characters, no
/// "?" or "#". Also for the CLI's --web.telemetry-path.
std::optional<std::string> check_telemetry_path(std::string_view path);

/// [wireguard] socket_dir: an absolute path.
std::optional<std::string> check_socket_dir(std::string_view path);

/// A Linux interface name (the kernel's dev_valid_name()): 1-15 characters, no "/", ":" or
/// whitespace, not "." or "..".
std::optional<std::string> check_interface_name(std::string_view name);

/// [wireguard] recent_handshake_window: 1s..24h, whole seconds.
std::optional<std::string> check_recent_handshake_window(std::chrono::milliseconds d);

/// [wireguard] read_timeout: 10ms..60s.
std::optional<std::string> check_read_timeout(std::chrono::milliseconds d);

/// [[peer]] name: non-empty, no control characters (it becomes a label value).
std::optional<std::string> check_peer_name(std::string_view name);

}  // namespace wgwatch::config
