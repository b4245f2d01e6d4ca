// SPDX-License-Identifier: MIT
// Interface families, one pass per family over the watched names.
#include "metrics/link_collector.hpp"

#include <linux/if.h>  // IFF_LOWER_UP, which <net/if.h> lacks

#include <algorithm>
#include <map>

namespace wgwatch::metrics {
namespace {

using link_index = std::map<std::string_view, const link::link_info*>;

struct counter_family {
  const char* name;
  const char* help;
  std::uint64_t link::link_stats::*field;
};

constexpr counter_family counter_families[] = {
    {"wgwatch_link_receive_bytes_total", "Bytes received by the interface.", &link::link_stats::rx_bytes},
    {"wgwatch_link_transmit_bytes_total", "Bytes sent by the interface.", &link::link_stats::tx_bytes},
    {"wgwatch_link_receive_packets_total", "Packets received by the interface.", &link::link_stats::rx_packets},
    {"wgwatch_link_transmit_packets_total", "Packets sent by the interface.", &link::link_stats::tx_packets},
    {"wgwatch_link_receive_errors_total", "Receive errors on the interface.", &link::link_stats::rx_errors},
    {"wgwatch_link_transmit_errors_total",
     "Transmit errors on the interface (for WireGuard: packets no peer's allowed IPs match).",
     &link::link_stats::tx_errors},
    {"wgwatch_link_receive_dropped_total", "Received packets the interface dropped.", &link::link_stats::rx_dropped},
    {"wgwatch_link_transmit_dropped_total", "Packets to send that the interface dropped.", &link::link_stats::tx_dropped},
};

template <class Fn>
void gauge(exposition_writer& out, const char* name, const char* help,
           const std::vector<std::string>& watched, const link_index& index, Fn&& value_of) {
  out.family(name, help, metric_type::gauge);
  for (const auto& w : watched) {
    const auto it = index.find(w);
    const link::link_info* l = it == index.end() ? nullptr : it->second;
    if (auto v = value_of(l)) out.sample(name).label("device", w).value(*v);
  }
}

bool has_carrier(const link::link_info& l) noexcept {
  return l.carrier ? *l.carrier : (l.flags & IFF_LOWER_UP) != 0;
}

}  // namespace

bool link_is_up(const link::link_info& l) noexcept {
  return (l.flags & IFF_UP) != 0 && has_carrier(l);
}

void build_link_families(const std::vector<link::link_info>& links,
                         const std::vector<std::string>& watched, exposition_writer& out) {
  link_index index;
  for (const auto& l : links) index.emplace(l.name, &l);
  using opt = std::optional<double>;

  gauge(out, "wgwatch_link_exists", "1 if the interface exists in the agent's network namespace.",
        watched, index, [](const link::link_info* l) { return opt(l ? 1.0 : 0.0); });
  gauge(out, "wgwatch_link_admin_up", "1 if the interface is administratively up (IFF_UP).",
        watched, index,
        [](const link::link_info* l) { return opt(l && (l->flags & IFF_UP) ? 1.0 : 0.0); });
  gauge(out, "wgwatch_link_carrier", "1 if the interface has carrier (lower layer up).", watched,
        index, [](const link::link_info* l) { return opt(l && has_carrier(*l) ? 1.0 : 0.0); });
  gauge(out, "wgwatch_link_up",
        "1 if the interface is admin up with carrier. Unlike node_network_up, a WireGuard "
        "interface whose operstate is \"unknown\" counts as up.",
        watched, index, [](const link::link_info* l) { return opt(l && link_is_up(*l) ? 1.0 : 0.0); });
  gauge(out, "wgwatch_link_mtu_bytes", "MTU of the interface.", watched, index,
        [](const link::link_info* l) { return l ? opt(double(l->mtu)) : opt(); });

  out.family("wgwatch_link_info", "Kind and RFC 2863 operstate of the interface; value 1.",
             metric_type::gauge);
  for (const auto& w : watched) {
    const auto it = index.find(w);
    if (it == index.end()) continue;
    out.sample("wgwatch_link_info").label("device", w).label("kind", it->second->kind)
        .label("operstate", link::operstate_name(it->second->operstate)).value(1.0);
  }
  for (const auto& f : counter_families) {
    out.family(f.name, f.help, metric_type::counter);
    for (const auto& w : watched) {
      const auto it = index.find(w);
      if (it == index.end() || !it->second->stats) continue;
      out.sample(f.name).label("device", w).value((*it->second->stats).*f.field);
    }
  }
}

link_collector::link_collector(links_reader read_links, names_reader list_wireguard,
                               std::vector<std::string> interfaces)
    : read_links_(std::move(read_links)),
      list_wireguard_(std::move(list_wireguard)),
      interfaces_(std::move(interfaces)) {}

result<void> link_collector::collect(exposition_writer& out) {
  auto links = read_links_();
  if (!links) return links.error();
  std::vector<std::string> watched = interfaces_;
  error_code listing_error;
  if (watched.empty()) {
    auto names = list_wireguard_();
    if (names) {
      watched = std::move(*names);
    } else {
      listing_error = names.error();
    }
  }
  std::sort(watched.begin(), watched.end());
  watched.erase(std::unique(watched.begin(), watched.end()), watched.end());
  build_link_families(*links, watched, out);
  if (listing_error) return listing_error;
  return {};
}

}  // namespace wgwatch::metrics
