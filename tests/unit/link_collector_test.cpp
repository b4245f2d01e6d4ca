// SPDX-License-Identifier: MIT
// build_link_families and link_is_up over hand-made link dumps; link_collector's name choice.
#include "metrics/link_collector.hpp"

#include <gtest/gtest.h>
#include <linux/if.h>

#include <sstream>

#include "util/error.hpp"

namespace wgwatch::metrics {
namespace {

link::link_info wireguard_link() {
  link::link_info l;
  l.name = "wg0";
  l.ifindex = 5;
  l.kind = "wireguard";
  l.flags = IFF_UP | IFF_RUNNING | IFF_LOWER_UP | IFF_NOARP | IFF_POINTOPOINT;
  l.carrier = true;
  l.operstate = IF_OPER_UNKNOWN;  // WireGuard never reports "up"
  l.mtu = 1420;
  l.stats = link::link_stats{1000, 2000, 10, 20, 1, 2, 3, 4};
  return l;
}

std::string build(const std::vector<link::link_info>& links, const std::vector<std::string>& watched) {
  std::string body;
  exposition_writer w(body);
  build_link_families(links, watched, w);
  return body;
}

std::vector<std::string> samples(const std::string& body) {
  std::vector<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with('#')) out.push_back(line);
  }
  return out;
}

TEST(link_collector_test, writes_present_and_missing_interfaces) {
  link::link_info other = wireguard_link();
  other.name = "eth0";  // in the dump but not watched: not exported
  const auto body = build({other, wireguard_link()}, {"wg0", "wg9"});
  EXPECT_EQ(samples(body), (std::vector<std::string>{
                               "wgwatch_link_exists{device=\"wg0\"} 1",
                               "wgwatch_link_exists{device=\"wg9\"} 0",
                               "wgwatch_link_admin_up{device=\"wg0\"} 1",
                               "wgwatch_link_admin_up{device=\"wg9\"} 0",
                               "wgwatch_link_carrier{device=\"wg0\"} 1",
                               "wgwatch_link_carrier{device=\"wg9\"} 0",
                               "wgwatch_link_up{device=\"wg0\"} 1",
                               "wgwatch_link_up{device=\"wg9\"} 0",
                               "wgwatch_link_mtu_bytes{device=\"wg0\"} 1420",
                               "wgwatch_link_info{device=\"wg0\",kind=\"wireguard\",operstate=\"unknown\"} 1",
                               "wgwatch_link_receive_bytes_total{device=\"wg0\"} 1000",
                               "wgwatch_link_transmit_bytes_total{device=\"wg0\"} 2000",
                               "wgwatch_link_receive_packets_total{device=\"wg0\"} 10",
                               "wgwatch_link_transmit_packets_total{device=\"wg0\"} 20",
                               "wgwatch_link_receive_errors_total{device=\"wg0\"} 1",
                               "wgwatch_link_transmit_errors_total{device=\"wg0\"} 2",
                               "wgwatch_link_receive_dropped_total{device=\"wg0\"} 3",
                               "wgwatch_link_transmit_dropped_total{device=\"wg0\"} 4",
                           }));
  EXPECT_NE(body.find("# TYPE wgwatch_link_up gauge\n"), std::string::npos);
  EXPECT_NE(body.find("# TYPE wgwatch_link_receive_bytes_total counter\n"), std::string::npos);
  EXPECT_NE(body.find("# HELP wgwatch_link_mtu_bytes MTU of the interface.\n"), std::string::npos);
}

TEST(link_collector_test, no_watched_names_gives_empty_families) {
  const auto body = build({wireguard_link()}, {});
  EXPECT_TRUE(samples(body).empty());
  EXPECT_NE(body.find("# TYPE wgwatch_link_exists gauge\n"), std::string::npos);
}

TEST(link_collector_test, link_without_stats_has_no_counters) {
  auto l = wireguard_link();
  l.stats.reset();
  const auto s = samples(build({l}, {"wg0"}));
  for (const auto& line : s) EXPECT_EQ(line.find("_total"), std::string::npos) << line;
  EXPECT_EQ(s.size(), 6u);
}

TEST(link_collector_test, link_is_up_needs_admin_up_and_carrier) {
  link::link_info l;
  l.operstate = IF_OPER_UNKNOWN;
  l.flags = IFF_UP | IFF_LOWER_UP;  // no IFLA_CARRIER: the flag decides
  EXPECT_TRUE(link_is_up(l));
  l.flags = IFF_UP;
  EXPECT_FALSE(link_is_up(l));
  l.flags = IFF_LOWER_UP;
  EXPECT_FALSE(link_is_up(l));
  l.flags = IFF_UP | IFF_LOWER_UP;
  l.carrier = false;  // IFLA_CARRIER, when present, wins
  EXPECT_FALSE(link_is_up(l));
  l.flags = IFF_UP;
  l.carrier = true;
  EXPECT_TRUE(link_is_up(l));
  l.operstate = IF_OPER_DOWN;  // operstate is not consulted
  EXPECT_TRUE(link_is_up(l));
}

TEST(link_collector_test, admin_down_link_exists_but_is_not_up) {
  auto l = wireguard_link();
  l.flags = IFF_NOARP | IFF_POINTOPOINT;
  l.carrier = false;
  l.operstate = IF_OPER_DOWN;
  const auto s = samples(build({l}, {"wg0"}));
  EXPECT_EQ(s[0], "wgwatch_link_exists{device=\"wg0\"} 1");
  EXPECT_EQ(s[1], "wgwatch_link_admin_up{device=\"wg0\"} 0");
  EXPECT_EQ(s[2], "wgwatch_link_carrier{device=\"wg0\"} 0");
  EXPECT_EQ(s[3], "wgwatch_link_up{device=\"wg0\"} 0");
  EXPECT_EQ(s[5], "wgwatch_link_info{device=\"wg0\",kind=\"wireguard\",operstate=\"down\"} 1");
}

TEST(link_collector_test, collect_reports_configured_interfaces_sorted) {
  bool listed = false;
  link_collector c([] { return result<std::vector<link::link_info>>({wireguard_link()}); },
                   [&] {
                     listed = true;
                     return result<std::vector<std::string>>(std::vector<std::string>{});
                   },
                   {"wg9", "wg0", "wg9"});
  std::string body;
  exposition_writer w(body);
  ASSERT_TRUE(c.collect(w));
  EXPECT_FALSE(listed);
  const auto s = samples(body);
  EXPECT_EQ(s[0], "wgwatch_link_exists{device=\"wg0\"} 1");
  EXPECT_EQ(s[1], "wgwatch_link_exists{device=\"wg9\"} 0");
  EXPECT_EQ(s[2], "wgwatch_link_admin_up{device=\"wg0\"} 1");
}

TEST(link_collector_test, collect_lists_wireguard_devices_when_none_configured) {
  link_collector c([] { return result<std::vector<link::link_info>>({wireguard_link()}); },
                   [] { return result<std::vector<std::string>>(std::vector<std::string>{"wg0"}); },
                   {});
  std::string body;
  exposition_writer w(body);
  ASSERT_TRUE(c.collect(w));
  EXPECT_EQ(samples(body).at(0), "wgwatch_link_exists{device=\"wg0\"} 1");
}

TEST(link_collector_test, collect_fails_on_listing_error_but_writes_families) {
  link_collector c([] { return result<std::vector<link::link_info>>({wireguard_link()}); },
                   [] { return result<std::vector<std::string>>(make_error_code(errc::timed_out)); },
                   {});
  std::string body;
  exposition_writer w(body);
  const auto r = c.collect(w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::timed_out));
  EXPECT_NE(body.find("# TYPE wgwatch_link_exists gauge\n"), std::string::npos);
}

TEST(link_collector_test, collect_fails_without_writing_when_the_dump_fails) {
  link_collector c([] { return result<std::vector<link::link_info>>(from_errno(EPERM)); },
                   [] { return result<std::vector<std::string>>(std::vector<std::string>{"wg0"}); },
                   {"wg0"});
  std::string body;
  exposition_writer w(body);
  const auto r = c.collect(w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), from_errno(EPERM));
  EXPECT_TRUE(body.empty());
}

}  // namespace
}  // namespace wgwatch::metrics
