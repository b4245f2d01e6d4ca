// SPDX-License-Identifier: MIT
// tunnel_collector: each configured tunnel's three health layers (interface, handshake, data
// plane) and overall health -> wgwatch_tunnel_* families.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/tunnel.hpp"
#include "link/link_info.hpp"
#include "metrics/collector.hpp"
#include "probes/data_plane_tracker.hpp"
#include "probes/result_store.hpp"
#include "wireguard/model.hpp"

namespace wgwatch::metrics {

/// One tunnel's layers at one scrape.
struct tunnel_health {
  std::string interface;
  config::tunnel_role role = config::tunnel_role::primary;
  std::string group;
  bool interface_up = false;  ///< exists, admin up, carrier (link_is_up)
  bool handshake_ok = false;  ///< a counted peer's last handshake is younger than the limit
  probe::data_plane_state data_plane;

  bool healthy() const noexcept { return interface_up && handshake_ok && data_plane.up; }
};

/// Pure: true when some peer of `dev` that counts (any peer if `counted` is empty, else one
/// whose public key is listed) completed a handshake at most `max_age` before `now`.
bool handshake_fresh(const wg::device& dev, const std::vector<wg::wg_key>& counted,
                     std::chrono::seconds max_age, std::chrono::system_clock::time_point now);

/// Pure: writes the wgwatch_tunnel_* families, labelled {device, role, group}, one series per
/// tunnel in `tunnels`' order.
void build_tunnel_families(const std::vector<tunnel_health>& tunnels, exposition_writer& out);

class tunnel_collector final : public collector {
 public:
  using links_reader = std::function<result<std::vector<link::link_info>>()>;
  /// Reads one WireGuard device (the wireguard collector's wg::source::get_device).
  using device_reader = std::function<result<wg::device>(std::string_view name)>;

  /// `store` must outlive the collector.
  tunnel_collector(std::vector<config::tunnel_config> tunnels, links_reader read_links,
                   device_reader read_device, probe::result_store& store);

  std::string_view name() const noexcept override { return "tunnel"; }

  /// Writes every tunnel. A tunnel whose link or device is missing is reported with those
  /// layers at 0, not as a failure; a failed link dump or device read (other than
  /// errc::device_not_found) also sets that layer to 0 and is returned, after writing.
  result<void> collect(exposition_writer& out) override;

 private:
  std::vector<config::tunnel_config> tunnels_;
  links_reader read_links_;
  device_reader read_device_;
  probe::result_store& store_;
};

}  // namespace wgwatch::metrics
