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

// --- [[tunnel]] ----------------------------------------------------------------------------

/// An absolute path (no existence check: the file is read when it is used).
std::optional<std::string> check_absolute_path(std::string_view path);

/// [tunnel.health] handshake_max_age: 2m..1d, whole seconds. Below 2m a healthy tunnel
/// flaps: WireGuard rekeys only every REKEY_AFTER_TIME (120 s).
std::optional<std::string> check_handshake_max_age(std::chrono::milliseconds d);

/// [tunnel.health] window: 1s..1d.
std::optional<std::string> check_health_window(std::chrono::milliseconds d);

/// [tunnel.health] down_below and up_at: above 0 and at most 1 (NaN fails).
std::optional<std::string> check_ratio(double r);

/// [[tunnel]] group: 1-64 characters of A-Z, a-z, 0-9, "_", "." and "-" (the `group` label).
std::optional<std::string> check_group_name(std::string_view name);

/// [[tunnel.probe]] name: 1-64 characters of a-z, 0-9, "_", "." and "-" (the `probe` label).
std::optional<std::string> check_probe_name(std::string_view name);

/// [[tunnel.probe]] interval: 100ms..1h.
std::optional<std::string> check_probe_interval(std::chrono::milliseconds d);

/// [[tunnel.probe]] timeout: 10ms..1h (and below the interval: a cross-field rule of the loader).
std::optional<std::string> check_probe_timeout(std::chrono::milliseconds d);

/// [[tunnel.probe]] packet_interval (ICMP): 1ms..10s.
std::optional<std::string> check_packet_interval(std::chrono::milliseconds d);

/// [[tunnel.probe]] server_name (HTTPS): a DNS name, 1-253 characters, labels of 1-63
/// letters, digits and "-" not starting or ending with "-", separated by ".".
std::optional<std::string> check_server_name(std::string_view name);

}  // namespace wgwatch::config
