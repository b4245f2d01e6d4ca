// SPDX-License-Identifier: MIT
// A tunnel: an interface with a role, the peers whose handshakes count, health rules, probes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/defaults.hpp"
#include "probes/probe_spec.hpp"
#include "wireguard/key.hpp"

namespace wgwatch::config {

enum class tunnel_role { primary, standby };

/// "primary" or "standby" (the `role` label).
constexpr const char* to_string(tunnel_role r) noexcept {
  return r == tunnel_role::primary ? "primary" : "standby";
}

/// When each of a tunnel's three layers counts as ok.
struct health_config {
  /// Handshake layer: some counted peer completed a handshake within this age.
  std::chrono::seconds handshake_max_age = defaults::handshake_max_age;
  /// Data-plane layer: the share of successful probe rounds over this window...
  std::chrono::milliseconds window = defaults::data_plane_window;
  /// ...goes down when it falls below `down_below` and comes back only at `up_at` or above
  /// (hysteresis: up_at >= down_below).
  double down_below = defaults::data_plane_down_below;
  double up_at = defaults::data_plane_up_at;
  /// Rounds the window must hold before the layer can leave its initial "down" state.
  std::uint32_t min_rounds = defaults::data_plane_min_rounds;

  friend bool operator==(const health_config&, const health_config&) = default;
};

struct tunnel_config {
  std::string interface;
  tunnel_role role = tunnel_role::primary;
  /// The failover group (the `group` label): the tunnels that back each other up share it;
  /// at most one primary per group.
  std::string group{defaults::tunnel_group};
  /// Peers whose handshake counts for the handshake layer; empty = any peer of the device.
  std::vector<wg::wg_key> peers;
  /// Binding options applied to every probe of the tunnel.
  std::uint32_t fwmark = 0;
  health_config health;
  std::vector<probe::probe_spec> probes;

  friend bool operator==(const tunnel_config&, const tunnel_config&) = default;
};

}  // namespace wgwatch::config
