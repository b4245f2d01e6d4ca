// SPDX-License-Identifier: MIT
// Typed configuration structs. No toml++ type appears outside config/.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/defaults.hpp"
#include "config/tunnel.hpp"
#include "util/log.hpp"
#include "wireguard/key.hpp"

namespace wgwatch::config {

/// Where the HTTP server listens. An empty host means every address (IPv6 and IPv4).
struct listen_address {
  std::string host;
  std::uint16_t port = defaults::listen_port;

  friend bool operator==(const listen_address&, const listen_address&) = default;
};

struct web_config {
  listen_address listen;
  std::string telemetry_path{defaults::telemetry_path};
};

struct log_config {
  log::level level = defaults::log_level;
};

struct wireguard_config {
  /// Where userspace implementations keep their UAPI sockets.
  std::string socket_dir{defaults::socket_dir};
  /// Interfaces always reported (a missing one is exported as missing). Empty: only the
  /// WireGuard interfaces found at each scrape.
  std::vector<std::string> interfaces;
  /// A peer whose last handshake is younger than this counts as having a recent handshake.
  std::chrono::seconds recent_handshake_window = defaults::recent_handshake_window;
  /// Upper bound for reading one device (socket receive/send timeouts).
  std::chrono::milliseconds read_timeout = defaults::read_timeout;
};

/// A friendly name for a peer, shown as the `name` label on every series of that peer.
struct peer_name {
  wg::wg_key public_key;
  std::string name;
};

struct collectors_config {
  bool wireguard = true;
  bool link = true;
  bool probes = true;  ///< probe and tunnel families (only when tunnels are configured)
};

struct config {
  /// The file this was loaded from; empty when running on defaults.
  std::string file;
  web_config web;
  log_config log;
  wireguard_config wireguard;
  std::vector<peer_name> peers;
  collectors_config collectors;
  std::vector<tunnel_config> tunnels;
};

}  // namespace wgwatch::config
