// SPDX-License-Identifier: MIT
// Every configuration default, in one place.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "util/log.hpp"

namespace wgwatch::config::defaults {

using namespace std::chrono_literals;

inline constexpr std::string_view config_file = "/etc/wgwatch/wgwatch.toml";
/// 9586 is the port both established WireGuard exporters use (and the one allocated to a
/// WireGuard exporter in Prometheus' port list): wgwatch keeps their metric names, so it is a
/// drop-in replacement and existing scrape configs keep working.
inline constexpr std::uint16_t listen_port = 9586;
inline constexpr std::string_view telemetry_path = "/metrics";
inline constexpr log::level log_level = log::level::info;
inline constexpr std::string_view socket_dir = "/var/run/wireguard";
/// REJECT_AFTER_TIME: a session older than 180 s can carry no data, so a peer whose last
/// handshake is older has no usable session.
inline constexpr std::chrono::seconds recent_handshake_window = 180s;
inline constexpr std::chrono::milliseconds read_timeout = 5s;

// Metrics server (constants, not config keys).
/// Concurrent HTTP connections; over the cap the longest-idle keep-alive connection is
/// closed to make room, or the new one when none is idle. Prometheus needs one per scraper.
inline constexpr std::size_t http_max_connections = 64;
/// A connection waiting for a request (a fresh one, or keep-alive between scrapes) or
/// reading its header is closed after this; Prometheus' scrape interval is shorter.
inline constexpr std::chrono::milliseconds http_idle_timeout = 10s;
/// The whole response must be written within this; a client that does not read is dropped.
inline constexpr std::chrono::milliseconds http_write_timeout = 30s;
/// Descriptors kept free of HTTP connections for probes, device reads and logs: the
/// connection cap shrinks to (RLIMIT_NOFILE soft limit - this) when the limit is low.
inline constexpr std::size_t fd_reserve = 128;

// Tunnels.
/// A peer with traffic or persistent keepalive rekeys every REKEY_AFTER_TIME (120 s) plus
/// keepalive interval and jitter; 5 minutes leaves room for a lost handshake retry, so an
/// idle-but-keepalive peer never flaps, while a dead session (REJECT_AFTER_TIME, 180 s) is
/// still caught within minutes.
inline constexpr std::chrono::seconds handshake_max_age = 300s;
/// The failover group of a tunnel that names none: a single-site config needs no groups.
inline constexpr std::string_view tunnel_group = "default";
inline constexpr std::chrono::milliseconds data_plane_window = 60s;
inline constexpr double data_plane_down_below = 0.8;
inline constexpr double data_plane_up_at = 0.95;
inline constexpr std::uint32_t data_plane_min_rounds = 3;

// Probes.
inline constexpr std::chrono::milliseconds probe_interval = 5s;
inline constexpr std::chrono::milliseconds probe_timeout = 2s;

}  // namespace wgwatch::config::defaults
