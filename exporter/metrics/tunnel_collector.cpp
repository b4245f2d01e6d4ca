// SPDX-License-Identifier: MIT
// Tunnel health: joins links (by name), WireGuard devices and the data-plane trackers.
#include "metrics/tunnel_collector.hpp"

#include <algorithm>

#include "metrics/link_collector.hpp"
#include "util/error.hpp"

namespace wgwatch::metrics {

bool handshake_fresh(const wg::device& dev, const std::vector<wg::wg_key>& counted,
                     std::chrono::seconds max_age, std::chrono::system_clock::time_point now) {
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double limit = std::chrono::duration<double>(max_age).count();
  return std::any_of(dev.peers.begin(), dev.peers.end(), [&](const wg::peer& p) {
    if (!p.last_handshake) return false;
    if (!counted.empty() &&
        std::find(counted.begin(), counted.end(), p.public_key) == counted.end()) {
      return false;
    }
    const double then = static_cast<double>(p.last_handshake->seconds) +
                        static_cast<double>(p.last_handshake->nanoseconds) / 1e9;
    return now_s - then <= limit;  // a clock stepped back gives a negative age: fresh
  });
}

void build_tunnel_families(const std::vector<tunnel_health>& tunnels, exposition_writer& out) {
  std::vector<std::string> labels;
  labels.reserve(tunnels.size());
  for (const auto& t : tunnels) {
    std::string l;
    append_label(l, "device", t.interface);
    append_label(l, "role", config::to_string(t.role));
    append_label(l, "group", t.group);
    labels.push_back(std::move(l));
  }
  const auto gauge = [&](const char* name, const char* help, auto&& value_of) {
    out.family(name, help, metric_type::gauge);
    for (std::size_t i = 0; i < tunnels.size(); ++i) {
      if (const auto v = value_of(tunnels[i])) out.sample(name).raw_labels(labels[i]).value(*v);
    }
  };
  using opt = std::optional<double>;
  const auto flag = [](bool b) { return opt(b ? 1.0 : 0.0); };
  gauge("wgwatch_tunnel_interface_up",
        "Interface layer: 1 if the tunnel interface exists, is admin up and has carrier.",
        [&](const tunnel_health& t) { return flag(t.interface_up); });
  gauge("wgwatch_tunnel_handshake_ok",
        "Handshake layer: 1 if a counted peer's last handshake is younger than "
        "health.handshake_max_age.",
        [&](const tunnel_health& t) { return flag(t.handshake_ok); });
  gauge("wgwatch_tunnel_data_plane_ok",
        "Data-plane layer: 1 while the share of successful probe rounds over health.window "
        "holds (down below health.down_below, back up at health.up_at).",
        [&](const tunnel_health& t) { return flag(t.data_plane.up); });
  gauge("wgwatch_tunnel_data_plane_success_ratio",
        "Successful probe rounds / rounds over health.window; absent while the window is empty.",
        [&](const tunnel_health& t) { return t.data_plane.ratio; });
  gauge("wgwatch_tunnel_healthy", "1 if the interface, handshake and data-plane layers are all ok.",
        [&](const tunnel_health& t) { return flag(t.healthy()); });
  out.family("wgwatch_tunnel_data_plane_transitions_total",
             "Changes of wgwatch_tunnel_data_plane_ok (either way) since the agent started.",
             metric_type::counter);
  for (std::size_t i = 0; i < tunnels.size(); ++i) {
    out.sample("wgwatch_tunnel_data_plane_transitions_total")
        .raw_labels(labels[i])
        .value(tunnels[i].data_plane.transitions);
  }
}

tunnel_collector::tunnel_collector(std::vector<config::tunnel_config> tunnels,
                                   links_reader read_links, device_reader read_device,
                                   probe::result_store& store)
    : tunnels_(std::move(tunnels)),
      read_links_(std::move(read_links)),
      read_device_(std::move(read_device)),
      store_(store) {}

result<void> tunnel_collector::collect(exposition_writer& out) {
  error_code first_error;
  const auto links = read_links_();
  if (!links) first_error = links.error();
  const auto now = std::chrono::system_clock::now();

  std::vector<tunnel_health> health;
  health.reserve(tunnels_.size());
  for (const auto& t : tunnels_) {
    tunnel_health h;
    h.interface = t.interface;
    h.role = t.role;
    h.group = t.group;
    if (links) {
      const auto it = std::find_if(links->begin(), links->end(),
                                   [&](const link::link_info& l) { return l.name == t.interface; });
      h.interface_up = it != links->end() && link_is_up(*it);
    }
    if (auto dev = read_device_(t.interface)) {
      h.handshake_ok = handshake_fresh(*dev, t.peers, t.health.handshake_max_age, now);
    } else if (dev.error() != make_error_code(errc::device_not_found) && !first_error) {
      first_error = dev.error();
    }
    if (auto dp = store_.data_plane(t.interface)) h.data_plane = *dp;
    health.push_back(std::move(h));
  }
  build_tunnel_families(health, out);
  if (first_error) return first_error;
  return {};
}

}  // namespace wgwatch::metrics
