// SPDX-License-Identifier: MIT
// parse_link_message on built RTM_NEWLINK messages; read_links() against the host's "lo".
#include "link/rtnl_links.hpp"

#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>

#include "support/genl_builder.hpp"
#include "util/error.hpp"

namespace wgwatch::link {
namespace {

using test::link_spec;
using test::nl_message;

rtnl_link_stats64 sample_stats64() {
  rtnl_link_stats64 s{};
  s.rx_packets = 11;
  s.tx_packets = 12;
  s.rx_bytes = 5'000'000'000ULL;  // past 32 bits: only the 64-bit struct can say this
  s.tx_bytes = 14;
  s.rx_errors = 15;
  s.tx_errors = 16;
  s.rx_dropped = 17;
  s.tx_dropped = 18;
  s.multicast = 99;
  return s;
}

TEST(RtnlLinks, ParsesWireguardLinkWithStats64) {
  link_spec spec;
  spec.index = 9;
  spec.name = "wg0";
  spec.flags = IFF_UP | IFF_POINTOPOINT | IFF_NOARP | IFF_LOWER_UP;
  spec.mtu = 1420;
  spec.operstate = IF_OPER_UNKNOWN;
  spec.carrier = 1;
  spec.kind = "wireguard";
  spec.stats64 = sample_stats64();
  auto l = parse_link_message(test::build_link_message(spec));
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->name, "wg0");
  EXPECT_EQ(l->ifindex, 9U);
  EXPECT_EQ(l->kind, "wireguard");
  EXPECT_EQ(l->flags, spec.flags);
  EXPECT_EQ(l->mtu, 1420U);
  EXPECT_EQ(l->operstate, IF_OPER_UNKNOWN);
  EXPECT_EQ(l->carrier, true);
  ASSERT_TRUE(l->stats);
  EXPECT_EQ(*l->stats, (link_stats{5'000'000'000ULL, 14, 11, 12, 15, 16, 17, 18}));
}

TEST(RtnlLinks, MissingOptionalAttributes) {
  link_spec spec;
  spec.name = "dummy0";
  auto l = parse_link_message(test::build_link_message(spec));
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->name, "dummy0");
  EXPECT_EQ(l->kind, "");
  EXPECT_FALSE(l->stats);
  EXPECT_FALSE(l->carrier);
  EXPECT_EQ(l->mtu, 0U);
}

TEST(RtnlLinks, CarrierOff) {
  link_spec spec;
  spec.carrier = 0;
  auto l = parse_link_message(test::build_link_message(spec));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->carrier, false);
}

TEST(RtnlLinks, Stats32IsTheFallback) {
  link_spec spec;
  rtnl_link_stats s32{};
  s32.rx_bytes = 7;
  s32.tx_packets = 3;
  spec.stats32 = s32;
  auto only32 = parse_link_message(test::build_link_message(spec));
  ASSERT_TRUE(only32);
  ASSERT_TRUE(only32->stats);
  EXPECT_EQ(only32->stats->rx_bytes, 7U);
  EXPECT_EQ(only32->stats->tx_packets, 3U);

  spec.stats64 = sample_stats64();  // written after IFLA_STATS, and preferred
  auto both = parse_link_message(test::build_link_message(spec));
  ASSERT_TRUE(both);
  EXPECT_EQ(both->stats->rx_bytes, 5'000'000'000ULL);
}

TEST(RtnlLinks, OlderShorterStats64IsAccepted) {
  nl_message m(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  m.extra_struct(ifi).put_string(IFLA_IFNAME, "eth1");
  const auto s = sample_stats64();
  // The 23-counter struct of kernels before rx_nohandler; our eight come first.
  m.put(IFLA_STATS64, std::span(reinterpret_cast<const std::uint8_t*>(&s), 23 * 8));
  auto l = parse_link_message(m.finish());
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->stats->tx_dropped, 18U);
}

TEST(RtnlLinks, MalformedMessages) {
  const auto truncated = make_error_code(errc::truncated_attribute);
  const auto protocol = make_error_code(errc::protocol_error);

  nl_message short_stats(RTM_NEWLINK, 0);
  ifinfomsg ifi{};
  const std::array<std::uint8_t, 60> sixty{};
  short_stats.extra_struct(ifi).put_string(IFLA_IFNAME, "x").put(IFLA_STATS64, sixty);
  EXPECT_EQ(parse_link_message(short_stats.finish()).error(), truncated);

  nl_message short_mtu(RTM_NEWLINK, 0);
  const std::array<std::uint8_t, 3> three{};
  short_mtu.extra_struct(ifi).put_string(IFLA_IFNAME, "x").put(IFLA_MTU, three);
  EXPECT_EQ(parse_link_message(short_mtu.finish()).error(), truncated);

  nl_message no_name(RTM_NEWLINK, 0);
  no_name.extra_struct(ifi).put_u32(IFLA_MTU, 1500);
  EXPECT_EQ(parse_link_message(no_name.finish()).error(), protocol);

  nl_message wrong_type(RTM_NEWADDR, 0);
  wrong_type.extra_struct(ifi);
  EXPECT_EQ(parse_link_message(wrong_type.finish()).error(), protocol);

  nl_message header_only(RTM_NEWLINK, 0);
  EXPECT_EQ(parse_link_message(header_only.finish()).error(), truncated);

  auto overrun = test::build_link_message(link_spec{});
  overrun.resize(overrun.size() - 4);  // nlmsg_len now past the end
  EXPECT_EQ(parse_link_message(overrun).error(), truncated);

  nl_message bad_nest(RTM_NEWLINK, 0);
  const std::array<std::uint8_t, 4> four{};
  bad_nest.extra_struct(ifi).put_string(IFLA_IFNAME, "x").begin_nest(IFLA_LINKINFO);
  bad_nest.put_raw(IFLA_INFO_KIND, 64, four).end_nest();
  EXPECT_EQ(parse_link_message(bad_nest.finish()).error(), truncated);
}

TEST(RtnlLinks, OperstateNames) {
  EXPECT_EQ(operstate_name(IF_OPER_UNKNOWN), "unknown");
  EXPECT_EQ(operstate_name(IF_OPER_NOTPRESENT), "notpresent");
  EXPECT_EQ(operstate_name(IF_OPER_DOWN), "down");
  EXPECT_EQ(operstate_name(IF_OPER_LOWERLAYERDOWN), "lowerlayerdown");
  EXPECT_EQ(operstate_name(IF_OPER_TESTING), "testing");
  EXPECT_EQ(operstate_name(IF_OPER_DORMANT), "dormant");
  EXPECT_EQ(operstate_name(IF_OPER_UP), "up");
  EXPECT_EQ(operstate_name(200), "unknown");
}

// Output of a command, or nullopt if it could not run.
std::optional<std::string> run(const char* command) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(command, "r"), &pclose);
  if (!p) return std::nullopt;
  std::string out;
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p.get())) out.append(buf, n);
  return out;
}

// Real behaviour: the host's loopback through a real RTM_GETLINK dump, checked against
// iproute2's view of the same link.
TEST(RtnlLinks, ReadLinksFindsLoopbackAsIpSeesIt) {
  const auto ip_json = run("ip -j link show lo 2>/dev/null");
  std::smatch mtu_match;
  std::smatch index_match;
  if (!ip_json || !std::regex_search(*ip_json, mtu_match, std::regex(R"("mtu":(\d+))")) ||
      !std::regex_search(*ip_json, index_match, std::regex(R"("ifindex":(\d+))"))) {
    GTEST_SKIP() << "`ip -j link show lo` gave no mtu: install iproute2";
  }
  auto links = read_links(std::chrono::milliseconds(2000));
  ASSERT_TRUE(links) << links.error().message();
  const auto lo = std::find_if(links->begin(), links->end(),
                               [](const link_info& l) { return l.name == "lo"; });
  ASSERT_NE(lo, links->end());
  EXPECT_NE(lo->flags & IFF_UP, 0U);
  EXPECT_NE(lo->flags & IFF_LOOPBACK, 0U);
  EXPECT_EQ(lo->mtu, std::stoul(mtu_match[1].str()));
  EXPECT_EQ(lo->ifindex, std::stoul(index_match[1].str()));
  EXPECT_TRUE(lo->stats) << "the kernel always sends IFLA_STATS64 in a link dump";
  EXPECT_EQ(lo->kind, "");  // loopback has no IFLA_LINKINFO kind
  for (const auto& l : *links) EXPECT_FALSE(l.name.empty());
}

}  // namespace
}  // namespace wgwatch::link
