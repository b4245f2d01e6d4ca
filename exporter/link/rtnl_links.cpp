// SPDX-License-Identifier: MIT
// RTM_GETLINK dump over a fresh rtnetlink socket; ifinfomsg + IFLA_* parsing.
#include "link/rtnl_links.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <optional>

#include "netlink/attr.hpp"
#include "netlink/message.hpp"
#include "netlink/socket.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace wgwatch::link {
namespace {

using netlink::attr;

// The eight leading counters are all we export; they have been in both structs since
// their introduction, so shorter (older) structs are fine as long as these fit.
constexpr std::size_t counters_size_64 = 8 * sizeof(std::uint64_t);
constexpr std::size_t counters_size_32 = 8 * sizeof(std::uint32_t);

template <class Stats>
link_stats to_link_stats(const Stats& s) {
  return {s.rx_bytes,  s.tx_bytes,  s.rx_packets, s.tx_packets,
          s.rx_errors, s.tx_errors, s.rx_dropped, s.tx_dropped};
}

result<std::string> parse_kind(const attr& linkinfo) {
  std::string kind;
  auto r = netlink::for_each_attr(linkinfo.payload, [&](const attr& a) -> result<void> {
    if (a.type == IFLA_INFO_KIND) kind = netlink::get_string(a);
    return {};
  });
  if (!r) return r.error();
  return kind;
}

constexpr int max_dump_attempts = 3;

}  // namespace

result<link_info> parse_link_message(std::span<const std::uint8_t> nlmsg) {
  auto m = netlink::read_message(nlmsg);
  if (!m) return m.error();
  if (m->header.nlmsg_type != RTM_NEWLINK) return make_error_code(errc::protocol_error);
  if (m->payload.size() < sizeof(ifinfomsg)) return make_error_code(errc::truncated_attribute);
  const auto ifi = netlink::load<ifinfomsg>(m->payload);

  link_info info;
  info.ifindex = static_cast<std::uint32_t>(ifi.ifi_index);
  info.flags = ifi.ifi_flags;
  bool has_name = false;
  std::optional<link_stats> stats32;
  const auto attrs = m->payload.subspan(std::min(m->payload.size(), NLMSG_ALIGN(sizeof(ifinfomsg))));
  auto r = netlink::for_each_attr(attrs, [&](const attr& a) -> result<void> {
    const auto bad = make_error_code(errc::truncated_attribute);
    switch (a.type) {
      case IFLA_IFNAME:
        info.name = netlink::get_string(a);
        has_name = true;
        return {};
      case IFLA_MTU: {
        auto v = netlink::get_u32(a);
        if (!v) return bad;
        info.mtu = *v;
        return {};
      }
      case IFLA_OPERSTATE: {
        auto v = netlink::get_u8(a);
        if (!v) return bad;
        info.operstate = *v;
        return {};
      }
      case IFLA_CARRIER: {
        auto v = netlink::get_u8(a);
        if (!v) return bad;
        info.carrier = *v != 0;
        return {};
      }
      case IFLA_LINKINFO: {
        auto kind = parse_kind(a);
        if (!kind) return kind.error();
        info.kind = std::move(*kind);
        return {};
      }
      case IFLA_STATS64: {
        auto s = netlink::get_struct_prefix<rtnl_link_stats64>(a, counters_size_64);
        if (!s) return bad;
        info.stats = to_link_stats(*s);
        return {};
      }
      case IFLA_STATS: {
        auto s = netlink::get_struct_prefix<rtnl_link_stats>(a, counters_size_32);
        if (!s) return bad;
        stats32 = to_link_stats(*s);
        return {};
      }
      default: return {};  // IFLA_PAD, IFLA_UNSPEC and everything we do not export
    }
  });
  if (!r) return r.error();
  if (!has_name) return make_error_code(errc::protocol_error);
  if (!info.stats) info.stats = stats32;
  return info;
}

result<std::vector<link_info>> read_links(std::chrono::milliseconds timeout) {
  auto sock = netlink::socket::open(NETLINK_ROUTE, timeout);
  if (!sock) return sock.error();
  std::vector<link_info> links;
  for (int attempt = 1;; ++attempt) {
    alignas(nlmsghdr) std::array<std::uint8_t, MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(ifinfomsg))> buf{};
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;

    links.clear();
    auto status = sock->exchange(std::span(buf.data(), nlh->nlmsg_len),
                                 [&](const netlink::message& m) -> result<void> {
                                   if (m.header.nlmsg_type != RTM_NEWLINK) return {};
                                   auto l = parse_link_message(m.bytes);
                                   if (!l) return l.error();
                                   links.push_back(std::move(*l));
                                   return {};
                                 });
    if (!status) return status.error();
    if (!status->interrupted) return links;
    if (attempt == max_dump_attempts) {
      log::debug("link dump interrupted on every attempt; using the last one",
                 {{"attempts", std::to_string(attempt)}});
      return links;
    }
  }
}

}  // namespace wgwatch::link
