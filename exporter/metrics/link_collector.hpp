// SPDX-License-Identifier: MIT
// link_collector: interface state (exists, admin up, carrier, MTU, counters) -> wgwatch_link_*.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "link/link_info.hpp"
#include "metrics/collector.hpp"

namespace wgwatch::metrics {

/// Pure: writes the wgwatch_link_* families for each name in `watched` (sorted, unique),
/// looking it up in `links`. A watched name without a link is exported as missing: exists,
/// admin_up, carrier and up are 0, and it has no MTU or counters.
void build_link_families(const std::vector<link::link_info>& links,
                         const std::vector<std::string>& watched, exposition_writer& out);

/// True when the interface can pass traffic: admin up and carrier (lower layer up).
/// WireGuard's operstate stays "unknown" and is deliberately not required to be "up".
bool link_is_up(const link::link_info& l) noexcept;

class link_collector final : public collector {
 public:
  using links_reader = std::function<result<std::vector<link::link_info>>()>;
  using names_reader = std::function<result<std::vector<std::string>>()>;

  /// `interfaces`: the configured interfaces, always reported. When empty, the WireGuard
  /// devices `list_wireguard` returns at each scrape are reported instead.
  link_collector(links_reader read_links, names_reader list_wireguard,
                 std::vector<std::string> interfaces);

  std::string_view name() const noexcept override { return "link"; }
  result<void> collect(exposition_writer& out) override;

 private:
  links_reader read_links_;
  names_reader list_wireguard_;
  std::vector<std::string> interfaces_;
};

}  // namespace wgwatch::metrics
