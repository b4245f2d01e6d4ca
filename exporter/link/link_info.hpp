// SPDX-License-Identifier: MIT
// link_info: what rtnetlink says about one network interface (flags, carrier, MTU, counters).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wgwatch::link {

/// IFLA_STATS64 counters.
struct link_stats {
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t rx_errors = 0;
  std::uint64_t tx_errors = 0;
  std::uint64_t rx_dropped = 0;
  std::uint64_t tx_dropped = 0;

  friend bool operator==(const link_stats&, const link_stats&) = default;
};

struct link_info {
  std::string name;             ///< IFLA_IFNAME
  std::uint32_t ifindex = 0;
  std::string kind;             ///< IFLA_LINKINFO/IFLA_INFO_KIND: "wireguard", "tun", "" if none
  std::uint32_t flags = 0;      ///< ifi_flags (IFF_UP, IFF_LOWER_UP, ...)
  std::optional<bool> carrier;  ///< IFLA_CARRIER
  std::uint8_t operstate = 0;   ///< IFLA_OPERSTATE (IF_OPER_*)
  std::uint32_t mtu = 0;        ///< IFLA_MTU
  std::optional<link_stats> stats;

  friend bool operator==(const link_info&, const link_info&) = default;
};

/// RFC 2863 operstate name as the kernel spells it in sysfs: "unknown", "notpresent",
/// "down", "lowerlayerdown", "testing", "dormant", "up".
std::string_view operstate_name(std::uint8_t operstate) noexcept;

}  // namespace wgwatch::link
