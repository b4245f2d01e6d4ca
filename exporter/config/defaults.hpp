// SPDX-License-Identifier: MIT
// Every configuration default, in one place.
#pragma once

#include <chrono>
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

}  // namespace wgwatch::config::defaults
