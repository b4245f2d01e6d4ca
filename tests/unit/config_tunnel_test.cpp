// SPDX-License-Identifier: MIT
// [[tunnel]], [tunnel.health] and [[tunnel.probe]]: decoding into the structs, every rule with
// its exact message and position; the target and value checks they use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "config/load.hpp"
#include "support/config_text.hpp"
#include "config/probe_target.hpp"
#include "config/validate.hpp"

namespace wgwatch::config {
namespace {

using namespace std::chrono_literals;
using test::errors_of;
using test::key_a;
using test::key_b;
using test::valid;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Lines 1-3: a tunnel without probes.
const std::string head = "[[tunnel]]\ninterface = \"wg0\"\nrole = \"primary\"\n";

// Lines 4-7 (after `head`): one probe; `extra` starts at line 8.
std::string probe(std::string_view kind, std::string_view target, std::string_view extra = "",
                  std::string_view name = "p") {
  return "[[tunnel.probe]]\nname = \"" + std::string{name} + "\"\nkind = \"" + std::string{kind} +
         "\"\ntarget = \"" + std::string{target} + "\"\n" + std::string{extra};
}

// `head` + an icmp probe + `extra` from line 8: for the probe's own keys.
std::vector<std::string> probe_errors(std::string_view kind, std::string_view target,
                                      std::string_view extra = "") {
  return errors_of(head + probe(kind, target, extra));
}

// A tunnel whose [tunnel.health] holds `health` from line 5 (line 4 is the header);
// its probe follows.
std::vector<std::string> health_errors(std::string_view health) {
  return errors_of(head + "[tunnel.health]\n" + std::string{health} + probe("icmp", "10.0.0.2"));
}

// --- decoding ---------------------------------------------------------------------------

TEST(config_tunnel_test, two_tunnels_round_trip_into_the_structs) {
  const std::string text =
      std::string{
          "[[tunnel]]\n"
          "interface = \"wg0\"\n"
          "role = \"primary\"\n"
          "peers = [\""} +
      std::string{key_a} + "\", \"" + std::string{key_b} +
      "\"]\n"
      "fwmark = 0xca6c\n"
      "[tunnel.health]\n"
      "handshake_max_age = \"3m\"\n"
      "window = \"30s\"\n"
      "down_below = 0.5\n"
      "up_at = 1\n"
      "min_rounds = 5\n"
      "[[tunnel.probe]]\n"
      "name = \"gw-icmp\"\n"
      "kind = \"icmp\"\n"
      "target = \"10.200.0.2\"\n"
      "interval = \"1s\"\n"
      "timeout = \"800ms\"\n"
      "source_address = \"10.200.0.1\"\n"
      "packets = 5\n"
      "payload_bytes = 1392\n"
      "dont_fragment = false\n"
      "packet_interval = \"20ms\"\n"
      "[[tunnel.probe]]\n"
      "name = \"db.tcp_6\"\n"
      "kind = \"tcp\"\n"
      "target = \"[fd00::10]:5432\"\n"
      "[[tunnel.probe]]\n"
      "name = \"api\"\n"
      "kind = \"http\"\n"
      "target = \"https://[fd00::10]:8443/healthz?full=1\"\n"
      "interval = \"30s\"\n"
      "timeout = \"10s\"\n"
      "method = \"HEAD\"\n"
      "expected_status = [200, 204]\n"
      "body_contains = \"ok\"\n"
      "ca_file = \"/etc/wgwatch/ca.pem\"\n"
      "server_name = \"api.site-b.internal\"\n"
      "max_body_bytes = 1024\n"
      "[[tunnel]]\n"
      "interface = \"wg1\"\n"
      "role = \"standby\"\n"
      "[[tunnel.probe]]\n"
      "name = \"gw-icmp\"\n"
      "kind = \"icmp\"\n"
      "target = \"fd00:201::2\"\n"
      "[[tunnel.probe]]\n"
      "name = \"insecure\"\n"
      "kind = \"http\"\n"
      "target = \"https://10.201.0.10\"\n"
      "insecure_skip_verify = true\n";
  const config c = valid(text);
  ASSERT_EQ(c.tunnels.size(), 2U);

  const tunnel_config& wg0 = c.tunnels[0];
  EXPECT_EQ(wg0.interface, "wg0");
  EXPECT_EQ(wg0.role, tunnel_role::primary);
  ASSERT_EQ(wg0.peers.size(), 2U);
  EXPECT_EQ(wg::to_base64(wg0.peers[0]), key_a);
  EXPECT_EQ(wg::to_base64(wg0.peers[1]), key_b);
  EXPECT_EQ(wg0.fwmark, 0xca6cU);
  EXPECT_EQ(wg0.health, (health_config{180s, 30s, 0.5, 1.0, 5}));
  ASSERT_EQ(wg0.probes.size(), 3U);

  const probe::probe_spec& icmp = wg0.probes[0];
  EXPECT_EQ(icmp.name, "gw-icmp");
  EXPECT_EQ(icmp.target, "10.200.0.2");
  EXPECT_EQ(icmp.probe_kind(), probe::kind::icmp);
  EXPECT_EQ(icmp.interval, 1s);
  EXPECT_EQ(icmp.timeout, 800ms);
  EXPECT_EQ(icmp.source_address, "10.200.0.1");
  EXPECT_EQ(std::get<probe::icmp_spec>(icmp.options),
            (probe::icmp_spec{"10.200.0.2", 5, 1392, false, 20ms}));

  const probe::probe_spec& tcp = wg0.probes[1];
  EXPECT_EQ(tcp.name, "db.tcp_6");
  EXPECT_EQ(tcp.target, "[fd00::10]:5432");
  EXPECT_EQ(tcp.interval, 5s);
  EXPECT_EQ(tcp.timeout, 2s);
  EXPECT_EQ(tcp.source_address, std::nullopt);
  EXPECT_EQ(std::get<probe::tcp_spec>(tcp.options), (probe::tcp_spec{"fd00::10", 5432}));

  const probe::probe_spec& http = wg0.probes[2];
  EXPECT_EQ(http.target, "https://[fd00::10]:8443/healthz?full=1");
  EXPECT_EQ(http.interval, 30s);
  EXPECT_EQ(http.timeout, 10s);
  const auto& h = std::get<probe::http_spec>(http.options);
  EXPECT_EQ(h.url, "https://[fd00::10]:8443/healthz?full=1");
  EXPECT_EQ(h.method, "HEAD");
  EXPECT_THAT(h.expected_status, ElementsAre(200U, 204U));
  EXPECT_EQ(h.body_contains, "ok");
  EXPECT_EQ(h.ca_file, "/etc/wgwatch/ca.pem");
  EXPECT_EQ(h.server_name, "api.site-b.internal");
  EXPECT_FALSE(h.insecure_skip_verify);
  EXPECT_EQ(h.max_body_bytes, 1024U);

  const tunnel_config& wg1 = c.tunnels[1];
  EXPECT_EQ(wg1.interface, "wg1");
  EXPECT_EQ(wg1.role, tunnel_role::standby);
  EXPECT_TRUE(wg1.peers.empty());
  EXPECT_EQ(wg1.fwmark, 0U);
  EXPECT_EQ(wg1.health, health_config{});
  ASSERT_EQ(wg1.probes.size(), 2U);
  EXPECT_EQ(std::get<probe::icmp_spec>(wg1.probes[0].options).address, "fd00:201::2");
  EXPECT_TRUE(std::get<probe::http_spec>(wg1.probes[1].options).insecure_skip_verify);
}

TEST(config_tunnel_test, omitted_keys_take_the_defaults) {
  const config c =
      valid(head + probe("icmp", "10.0.0.2") + probe("http", "http://10.0.0.2/", "", "web"));
  ASSERT_EQ(c.tunnels.size(), 1U);
  const tunnel_config& t = c.tunnels[0];
  EXPECT_TRUE(t.peers.empty());
  EXPECT_EQ(t.fwmark, 0U);
  EXPECT_EQ(t.health.handshake_max_age, defaults::handshake_max_age);
  EXPECT_EQ(t.health.window, defaults::data_plane_window);
  EXPECT_EQ(t.health.down_below, defaults::data_plane_down_below);
  EXPECT_EQ(t.health.up_at, defaults::data_plane_up_at);
  EXPECT_EQ(t.health.min_rounds, defaults::data_plane_min_rounds);
  ASSERT_EQ(t.probes.size(), 2U);
  EXPECT_EQ(t.probes[0].interval, defaults::probe_interval);
  EXPECT_EQ(t.probes[0].timeout, defaults::probe_timeout);
  EXPECT_EQ(std::get<probe::icmp_spec>(t.probes[0].options),
            (probe::icmp_spec{"10.0.0.2", 3, 56, true, 100ms}));
  probe::http_spec http;
  http.url = "http://10.0.0.2/";
  EXPECT_EQ(std::get<probe::http_spec>(t.probes[1].options), http);
}

TEST(config_tunnel_test, inline_tables_work_too) {
  const config c = valid(
      "tunnel = [{interface = \"wg0\", role = \"primary\", health = {window = \"2m\"}, "
      "probe = [{name = \"a\", kind = \"tcp\", target = \"10.0.0.2:22\"}]}]\n");
  ASSERT_EQ(c.tunnels.size(), 1U);
  EXPECT_EQ(c.tunnels[0].health.window, 2min);
  EXPECT_EQ(std::get<probe::tcp_spec>(c.tunnels[0].probes[0].options).port, 22);
}

// --- required keys, types, unknown keys --------------------------------------------------

TEST(config_tunnel_test, required_keys) {
  EXPECT_THAT(errors_of("[[tunnel]]\n"),
              ElementsAre("t.toml:1:1: tunnel[0]: missing required key \"interface\"",
                          "t.toml:1:1: tunnel[0]: missing required key \"role\"",
                          "t.toml:1:1: tunnel[0]: missing required key \"probe\""));
  EXPECT_THAT(errors_of(head + "[[tunnel.probe]]\n"),
              ElementsAre("t.toml:4:1: tunnel[0].probe[0]: missing required key \"name\"",
                          "t.toml:4:1: tunnel[0].probe[0]: missing required key \"kind\"",
                          "t.toml:4:1: tunnel[0].probe[0]: missing required key \"target\""));
  EXPECT_THAT(errors_of(head + "probe = []\n"),
              ElementsAre("t.toml:4:9: tunnel[0].probe: needs at least one [[tunnel.probe]]"));
}

TEST(config_tunnel_test, wrong_types_name_expected_and_actual) {
  EXPECT_THAT(errors_of("[[tunnel]]\ninterface = 0\nrole = true\npeers = \"x\"\nfwmark = \"1\"\n"
                        "health = 1\nprobe = 2\n"),
              ElementsAre("t.toml:2:13: tunnel[0].interface: expected a string, got an integer",
                          "t.toml:3:8: tunnel[0].role: expected a string, got a boolean",
                          "t.toml:4:9: tunnel[0].peers: expected an array, got a string",
                          "t.toml:5:10: tunnel[0].fwmark: expected an integer, got a string",
                          "t.toml:6:10: tunnel[0].health: expected a table, got an integer",
                          "t.toml:7:9: tunnel[0].probe: expected an array of tables "
                          "([[tunnel.probe]]), got an integer"));
  EXPECT_THAT(errors_of(head + "peers = [1]\nprobe = [\"x\"]\n"),
              ElementsAre("t.toml:4:10: tunnel[0].peers[0]: expected a string, got an integer",
                          "t.toml:5:10: tunnel[0].probe[0]: expected a table, got a string"));
  EXPECT_THAT(errors_of(head + "[tunnel.probe]\nname = \"x\"\n"),
              ElementsAre("t.toml:4:1: tunnel[0].probe: expected an array of tables "
                          "([[tunnel.probe]]), got a table"));
  EXPECT_THAT(health_errors("window = 60\ndown_below = \"0.5\"\nmin_rounds = 2.0\n"),
              ElementsAre("t.toml:5:10: tunnel[0].health.window: expected a string, got an integer",
                          "t.toml:6:14: tunnel[0].health.down_below: expected a number, got a "
                          "string",
                          "t.toml:7:14: tunnel[0].health.min_rounds: expected an integer, got a "
                          "float"));
  EXPECT_THAT(
      probe_errors("icmp", "10.0.0.2", "interval = 5\npackets = \"3\"\ndont_fragment = 1\n"),
      ElementsAre("t.toml:8:12: tunnel[0].probe[0].interval: expected a string, got an "
                  "integer",
                  "t.toml:9:11: tunnel[0].probe[0].packets: expected an integer, got a "
                  "string",
                  "t.toml:10:17: tunnel[0].probe[0].dont_fragment: expected a boolean, got "
                  "an integer"));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2/", "expected_status = 200\n"),
              ElementsAre("t.toml:8:19: tunnel[0].probe[0].expected_status: expected an array, "
                          "got an integer"));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2/", "expected_status = [\"200\"]\n"),
              ElementsAre("t.toml:8:20: tunnel[0].probe[0].expected_status[0]: expected an "
                          "integer, got a string"));
}

TEST(config_tunnel_test, unknown_keys_are_rejected_at_every_level) {
  EXPECT_THAT(errors_of(head + "interval = \"5s\"\nrol = 1\n" + probe("icmp", "10.0.0.2")),
              ElementsAre("t.toml:4:1: tunnel[0].interval: unknown key",
                          "t.toml:5:1: tunnel[0].rol: unknown key (did you mean \"role\"?)"));
  EXPECT_THAT(health_errors("windw = \"1m\"\n"),
              ElementsAre("t.toml:5:1: tunnel[0].health.windw: unknown key (did you mean "
                          "\"window\"?)"));
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "intervl = \"5s\"\ncolour = 1\n"),
              ElementsAre("t.toml:8:1: tunnel[0].probe[0].intervl: unknown key (did you mean "
                          "\"interval\"?)",
                          "t.toml:9:1: tunnel[0].probe[0].colour: unknown key"));
}

TEST(config_tunnel_test, kind_must_be_icmp_tcp_or_http) {
  EXPECT_THAT(probe_errors("udp", "10.0.0.2:53"),
              ElementsAre("t.toml:6:8: tunnel[0].probe[0].kind: invalid kind \"udp\" "
                          "(use icmp, tcp or http)"));
  EXPECT_THAT(probe_errors("ICMP", "10.0.0.2"),
              ElementsAre("t.toml:6:8: tunnel[0].probe[0].kind: invalid kind \"ICMP\" "
                          "(use icmp, tcp or http)"));
}

TEST(config_tunnel_test, kind_specific_keys_only_on_their_kind) {
  EXPECT_THAT(probe_errors("tcp", "10.0.0.2:22", "packets = 3\nmethod = \"GET\"\n"),
              ElementsAre("t.toml:8:1: tunnel[0].probe[0].packets: only for kind \"icmp\"",
                          "t.toml:9:1: tunnel[0].probe[0].method: only for kind \"http\""));
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "max_body_bytes = 1\n"),
              ElementsAre("t.toml:8:1: tunnel[0].probe[0].max_body_bytes: only for kind "
                          "\"http\""));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2/", "payload_bytes = 1\n"),
              ElementsAre("t.toml:8:1: tunnel[0].probe[0].payload_bytes: only for kind "
                          "\"icmp\""));
}

// --- tunnel values ----------------------------------------------------------------------

TEST(config_tunnel_test, interface_and_role) {
  EXPECT_THAT(errors_of("[[tunnel]]\ninterface = \"wg/0\"\nrole = \"backup\"\n" +
                        probe("icmp", "10.0.0.2")),
              ElementsAre("t.toml:2:13: tunnel[0].interface: invalid interface name \"wg/0\": "
                          "must not contain \"/\"",
                          "t.toml:3:8: tunnel[0].role: invalid role \"backup\" "
                          "(use primary or standby)"));
}

TEST(config_tunnel_test, duplicate_interface_is_an_error) {
  const std::string wg0 = head + probe("icmp", "10.0.0.2");  // 7 lines
  EXPECT_THAT(errors_of(wg0 + wg0),
              ElementsAre("t.toml:9:13: tunnel[1].interface: duplicate interface \"wg0\" "
                          "(first at tunnel[0], line 2)"));
  // Also when the first tunnel has errors of its own.
  EXPECT_THAT(errors_of(head + probe("icmp", "nowhere") + wg0),
              ElementsAre("t.toml:7:10: tunnel[0].probe[0].target: invalid target \"nowhere\": "
                          "expected a numeric IPv4 or IPv6 address",
                          "t.toml:9:13: tunnel[1].interface: duplicate interface \"wg0\" "
                          "(first at tunnel[0], line 2)"));
}

// --- failover groups ----------------------------------------------------------------------

// A tunnel of lines 1-4 (+ a 4-line probe): interface, role, and group unless empty.
std::string grouped(std::string_view interface, std::string_view role, std::string_view group) {
  std::string t = "[[tunnel]]\ninterface = \"" + std::string{interface} + "\"\nrole = \"" +
                  std::string{role} + "\"\n";
  t += group.empty() ? "fwmark = 0\n" : "group = \"" + std::string{group} + "\"\n";
  return t + probe("icmp", "10.0.0.2");
}

TEST(config_tunnel_test, groups_default_and_pair_each_primary_with_its_standbys) {
  const config c = valid(grouped("wg0", "primary", "") + grouped("wg1", "standby", "") +
                         grouped("wg2", "primary", "site-b") + grouped("wg3", "standby", "site-b") +
                         grouped("wg4", "standby", "site-b"));
  ASSERT_EQ(c.tunnels.size(), 5U);
  EXPECT_EQ(c.tunnels[0].group, "default");
  EXPECT_EQ(c.tunnels[1].group, "default");
  EXPECT_EQ(c.tunnels[2].group, "site-b");
  EXPECT_EQ(c.tunnels[4].group, "site-b");
  // A group may be a primary alone (nothing to fail over to, but nothing wrong either).
  EXPECT_EQ(valid(grouped("wg0", "primary", "Site_A.1")).tunnels[0].group, "Site_A.1");
}

TEST(config_tunnel_test, at_most_one_primary_per_group) {
  // Tunnels are 8 lines each: the second primary's role is on line 11, the third's on 19.
  EXPECT_THAT(errors_of(grouped("wg0", "primary", "") + grouped("wg1", "primary", "") +
                        grouped("wg2", "primary", "")),
              ElementsAre("t.toml:11:8: tunnel[1].role: second primary in group \"default\" "
                          "(first at tunnel[0], line 3)",
                          "t.toml:19:8: tunnel[2].role: second primary in group \"default\" "
                          "(first at tunnel[0], line 3)"));
  // Primaries of different groups are fine.
  EXPECT_EQ(valid(grouped("wg0", "primary", "a") + grouped("wg1", "primary", "b")).tunnels.size(),
            2U);
  // Also found when the first primary has an error of its own.
  EXPECT_THAT(errors_of("[[tunnel]]\ninterface = \"wg/0\"\nrole = \"primary\"\nfwmark = 0\n" +
                        probe("icmp", "10.0.0.2") + grouped("wg1", "primary", "")),
              ElementsAre("t.toml:2:13: tunnel[0].interface: invalid interface name \"wg/0\": "
                          "must not contain \"/\"",
                          "t.toml:11:8: tunnel[1].role: second primary in group \"default\" "
                          "(first at tunnel[0], line 3)"));
}

TEST(config_tunnel_test, a_group_of_standbys_needs_a_primary) {
  EXPECT_THAT(errors_of(grouped("wg0", "primary", "a") + grouped("wg1", "standby", "b") +
                        grouped("wg2", "standby", "b")),
              ElementsAre("t.toml:12:9: tunnel[1].group: group \"b\" has a standby but no "
                          "primary"));
  // Without a group key, the standby's role is the position.
  EXPECT_THAT(errors_of(grouped("wg0", "primary", "a") + grouped("wg1", "standby", "")),
              ElementsAre("t.toml:11:8: tunnel[1].role: group \"default\" has a standby but no "
                          "primary"));
  // A tunnel whose role is unknown may have been meant as the primary: only its own error.
  EXPECT_THAT(errors_of(grouped("wg0", "main", "") + grouped("wg1", "standby", "")),
              ElementsAre("t.toml:3:8: tunnel[0].role: invalid role \"main\" (use primary or "
                          "standby)"));
}

TEST(config_tunnel_test, group_names) {
  EXPECT_THAT(errors_of(grouped("wg0", "primary", "site b")),
              ElementsAre("t.toml:4:9: tunnel[0].group: invalid group name \"site b\": use 1 to "
                          "64 characters of A-Z, a-z, 0-9, \"_\", \".\" and \"-\""));
  EXPECT_THAT(errors_of(grouped("wg0", "primary", "")), IsEmpty());
  EXPECT_THAT(errors_of("[[tunnel]]\ninterface = \"wg0\"\nrole = \"primary\"\ngroup = 7\n" +
                        probe("icmp", "10.0.0.2")),
              ElementsAre("t.toml:4:9: tunnel[0].group: expected a string, got an integer"));
  EXPECT_EQ(check_group_name(std::string(64, 'G')), std::nullopt);
  EXPECT_NE(check_group_name(std::string(65, 'G')), std::nullopt);
  EXPECT_NE(check_group_name(""), std::nullopt);
  EXPECT_NE(check_group_name("a/b"), std::nullopt);
}

TEST(config_tunnel_test, peers_must_be_distinct_public_keys) {
  EXPECT_THAT(errors_of(head + "peers = [\"" + std::string{key_a} + "\", \"nope\", \"" +
                        std::string{key_a} + "\"]\n" + probe("icmp", "10.0.0.2")),
              ElementsAre("t.toml:4:58: tunnel[0].peers[1]: not a WireGuard public key "
                          "(expected 44 characters of base64)",
                          "t.toml:4:66: tunnel[0].peers[2]: duplicate public key "
                          "(first at tunnel[0].peers[0])"));
}

TEST(config_tunnel_test, fwmark_is_a_u32) {
  EXPECT_THAT(errors_of(head + "fwmark = -1\n" + probe("icmp", "10.0.0.2")),
              ElementsAre("t.toml:4:10: tunnel[0].fwmark: must be 0 to 4294967295"));
  EXPECT_THAT(errors_of(head + "fwmark = 4294967296\n" + probe("icmp", "10.0.0.2")),
              ElementsAre("t.toml:4:10: tunnel[0].fwmark: must be 0 to 4294967295"));
  EXPECT_EQ(valid(head + "fwmark = 4294967295\n" + probe("icmp", "10.0.0.2")).tunnels[0].fwmark,
            4294967295U);
}

// --- [tunnel.health] --------------------------------------------------------------------

TEST(config_tunnel_test, health_ranges) {
  EXPECT_THAT(health_errors("handshake_max_age = \"119s\"\nwindow = \"999ms\"\n"
                            "down_below = 0\nup_at = 1.5\nmin_rounds = 0\n"),
              ElementsAre("t.toml:5:21: tunnel[0].health.handshake_max_age: must be at least 2m",
                          "t.toml:6:10: tunnel[0].health.window: must be at least 1s",
                          "t.toml:7:14: tunnel[0].health.down_below: must be above 0 and at most 1",
                          "t.toml:8:9: tunnel[0].health.up_at: must be above 0 and at most 1",
                          "t.toml:9:14: tunnel[0].health.min_rounds: must be 1 to 1000"));
  EXPECT_THAT(health_errors("handshake_max_age = \"2m500ms\"\nwindow = \"1d1s\"\nup_at = nan\n"
                            "min_rounds = 1001\n"),
              ElementsAre("t.toml:5:21: tunnel[0].health.handshake_max_age: must be a whole "
                          "number of seconds",
                          "t.toml:6:10: tunnel[0].health.window: must be at most 1d",
                          "t.toml:7:9: tunnel[0].health.up_at: must be above 0 and at most 1",
                          "t.toml:8:14: tunnel[0].health.min_rounds: must be 1 to 1000"));
  EXPECT_THAT(health_errors("handshake_max_age = \"5\"\n"),
              ElementsAre("t.toml:5:21: tunnel[0].health.handshake_max_age: invalid duration "
                          "\"5\": missing unit after \"5\" (use ms, s, m, h or d)"));
}

TEST(config_tunnel_test, down_below_must_not_exceed_up_at) {
  EXPECT_THAT(health_errors("down_below = 0.9\nup_at = 0.85\n"),
              ElementsAre("t.toml:5:14: tunnel[0].health.down_below: down_below 0.9 must not "
                          "exceed up_at 0.85"));
  EXPECT_THAT(health_errors("up_at = 0.5\n"),
              ElementsAre("t.toml:5:9: tunnel[0].health.up_at: down_below 0.8 (the default) must "
                          "not exceed up_at 0.5"));
  EXPECT_THAT(health_errors("down_below = 0.99\n"),
              ElementsAre("t.toml:5:14: tunnel[0].health.down_below: down_below 0.99 must not "
                          "exceed up_at 0.95 (the default)"));
  EXPECT_EQ(
      valid(head + "[tunnel.health]\ndown_below = 0.9\nup_at = 0.9\n" + probe("icmp", "10.0.0.2"))
          .tunnels[0]
          .health.up_at,
      0.9);
}

TEST(config_tunnel_test, window_must_span_every_probe_interval) {
  EXPECT_THAT(errors_of(head + "[tunnel.health]\nwindow = \"10s\"\n" +
                        probe("icmp", "10.0.0.2", "interval = \"15s\"\n", "slow") +
                        probe("icmp", "10.0.0.3", "interval = \"11s\"\n", "slower")),
              ElementsAre("t.toml:5:10: tunnel[0].health.window: window 10s must be at least the "
                          "interval 15s of probe \"slow\""));
  EXPECT_THAT(errors_of(head + probe("icmp", "10.0.0.2") +
                        probe("icmp", "10.0.0.3", "interval = \"2m\"\n", "slow")),
              ElementsAre("t.toml:12:12: tunnel[0].probe[1].interval: interval 2m exceeds "
                          "health.window 1m (the default); set a longer health.window"));
  // Equal is fine.
  EXPECT_EQ(valid(head + probe("icmp", "10.0.0.2", "interval = \"1m\"\n")).tunnels.size(), 1U);
}

// --- [[tunnel.probe]] common keys -------------------------------------------------------

TEST(config_tunnel_test, probe_names) {
  EXPECT_THAT(errors_of(head + probe("icmp", "10.0.0.2", "", "Gw icmp")),
              ElementsAre("t.toml:5:8: tunnel[0].probe[0].name: invalid probe name \"Gw icmp\": "
                          "use 1 to 64 characters of a-z, 0-9, \"_\", \".\" and \"-\""));
  EXPECT_THAT(errors_of(head + probe("icmp", "10.0.0.2", "", "gw") + probe("tcp", "10.0.0.2:1") +
                        probe("tcp", "10.0.0.2:2", "", "gw")),
              ElementsAre("t.toml:13:8: tunnel[0].probe[2].name: duplicate probe name \"gw\" "
                          "(first at probe[0], line 5)"));
  // Names are per tunnel.
  const std::string wg1 = "[[tunnel]]\ninterface = \"wg1\"\nrole = \"standby\"\n";
  EXPECT_EQ(
      valid(head + probe("icmp", "10.0.0.2") + wg1 + probe("icmp", "10.0.0.2")).tunnels.size(), 2U);
}

TEST(config_tunnel_test, timeout_must_be_below_interval) {
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "interval = \"5s\"\ntimeout = \"5s\"\n"),
              ElementsAre("t.toml:9:11: tunnel[0].probe[0].timeout: timeout 5s must be below "
                          "interval 5s"));
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "timeout = \"6s\"\n"),
              ElementsAre("t.toml:8:11: tunnel[0].probe[0].timeout: timeout 6s must be below "
                          "interval 5s (the default)"));
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "interval = \"1s\"\n"),
              ElementsAre("t.toml:8:12: tunnel[0].probe[0].interval: interval 1s must be above "
                          "timeout 2s (the default); set a shorter timeout"));
}

TEST(config_tunnel_test, interval_and_timeout_ranges) {
  EXPECT_THAT(probe_errors("tcp", "10.0.0.2:1", "interval = \"99ms\"\ntimeout = \"9ms\"\n"),
              ElementsAre("t.toml:8:12: tunnel[0].probe[0].interval: must be at least 100ms",
                          "t.toml:9:11: tunnel[0].probe[0].timeout: must be at least 10ms"));
  EXPECT_THAT(probe_errors("tcp", "10.0.0.2:1", "interval = \"1h1s\"\n"),
              ElementsAre("t.toml:8:12: tunnel[0].probe[0].interval: must be at most 1h"));
  const config c =
      valid(head + probe("tcp", "10.0.0.2:1", "interval = \"100ms\"\ntimeout = \"10ms\"\n"));
  EXPECT_EQ(c.tunnels[0].probes[0].interval, 100ms);
  EXPECT_EQ(c.tunnels[0].probes[0].timeout, 10ms);
}

TEST(config_tunnel_test, source_address_is_numeric_and_of_the_target_family) {
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "source_address = \"wg0\"\n"),
              ElementsAre("t.toml:8:18: tunnel[0].probe[0].source_address: invalid source "
                          "address \"wg0\": expected a numeric IPv4 or IPv6 address"));
  EXPECT_THAT(probe_errors("tcp", "[fd00::2]:22", "source_address = \"10.0.0.1\"\n"),
              ElementsAre("t.toml:8:18: tunnel[0].probe[0].source_address: source address "
                          "\"10.0.0.1\" is IPv4 but the target is IPv6"));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2/", "source_address = \"fd00::1\"\n"),
              ElementsAre("t.toml:8:18: tunnel[0].probe[0].source_address: source address "
                          "\"fd00::1\" is IPv6 but the target is IPv4"));
  EXPECT_EQ(valid(head + probe("tcp", "[fd00::2]:22", "source_address = \"fd00::1\"\n"))
                .tunnels[0]
                .probes[0]
                .source_address,
            "fd00::1");
}

// --- targets ----------------------------------------------------------------------------

TEST(config_tunnel_test, icmp_target_is_a_numeric_address) {
  for (const std::string_view bad :
       {"gw.example", "10.0.0", "10.0.0.2:1", "[fd00::2]", "", "fe80::1%wg0"}) {
    EXPECT_THAT(probe_errors("icmp", bad),
                ElementsAre("t.toml:7:10: tunnel[0].probe[0].target: invalid target \"" +
                            std::string{bad} + "\": expected a numeric IPv4 or IPv6 address"));
  }
}

TEST(config_tunnel_test, tcp_target_is_numeric_host_and_port) {
  const auto err = [](std::string_view target, std::string_view why) {
    return "t.toml:7:10: tunnel[0].probe[0].target: invalid target \"" + std::string{target} +
           "\": " + std::string{why};
  };
  EXPECT_THAT(probe_errors("tcp", "10.0.0.2"),
              ElementsAre(err("10.0.0.2", "missing port (expected host:port or [v6]:port)")));
  EXPECT_THAT(
      probe_errors("tcp", "db.internal:5432"),
      ElementsAre(err("db.internal:5432", "host must be a numeric IPv4 or IPv6 address (no DNS)")));
  EXPECT_THAT(probe_errors("tcp", "fd00::2:22"),
              ElementsAre(err("fd00::2:22", "an IPv6 address needs brackets: [v6]:port")));
  EXPECT_THAT(probe_errors("tcp", "[10.0.0.2]:22"),
              ElementsAre(err("[10.0.0.2]:22", "inside \"[]\" must be a numeric IPv6 address")));
  EXPECT_THAT(probe_errors("tcp", "[fd00::2:22"),
              ElementsAre(err("[fd00::2:22", "missing \"]\" after the IPv6 address")));
  EXPECT_THAT(probe_errors("tcp", "[fd00::2]22"),
              ElementsAre(err("[fd00::2]22", "missing port (expected host:port or [v6]:port)")));
  EXPECT_THAT(probe_errors("tcp", "10.0.0.2:0"),
              ElementsAre(err("10.0.0.2:0", "port \"0\" must be a number from 1 to 65535")));
  EXPECT_THAT(
      probe_errors("tcp", "10.0.0.2:65536"),
      ElementsAre(err("10.0.0.2:65536", "port \"65536\" must be a number from 1 to 65535")));
  EXPECT_THAT(probe_errors("tcp", "10.0.0.2:"),
              ElementsAre(err("10.0.0.2:", "port \"\" must be a number from 1 to 65535")));
  EXPECT_THAT(probe_errors("tcp", "10.0.0.2:+22"),
              ElementsAre(err("10.0.0.2:+22", "port \"+22\" must be a number from 1 to 65535")));
}

TEST(config_tunnel_test, http_target_is_a_strict_url) {
  const auto err = [](std::string_view target, std::string_view why) {
    return "t.toml:7:10: tunnel[0].probe[0].target: invalid URL \"" + std::string{target} +
           "\": " + std::string{why};
  };
  const std::string not_absolute =
      "not an absolute URL (expected http://host[:port]/path or https://...)";
  EXPECT_THAT(probe_errors("http", "10.0.0.2/healthz"),
              ElementsAre(err("10.0.0.2/healthz", not_absolute)));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2/a b"),
              ElementsAre(err("http://10.0.0.2/a b", not_absolute)));
  EXPECT_THAT(probe_errors("http", "ftp://10.0.0.2/"),
              ElementsAre(err("ftp://10.0.0.2/", "scheme must be http or https")));
  EXPECT_THAT(probe_errors("http", "http:///x"), ElementsAre(err("http:///x", "missing host")));
  EXPECT_THAT(probe_errors("http", "http:/x"), ElementsAre(err("http:/x", "missing host")));
  EXPECT_THAT(probe_errors("http", "http://u:p@10.0.0.2/"),
              ElementsAre(err("http://u:p@10.0.0.2/", "must not contain user information")));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2/#top"),
              ElementsAre(err("http://10.0.0.2/#top", "must not contain a fragment")));
  EXPECT_THAT(probe_errors("http", "https://api.internal/"),
              ElementsAre(err("https://api.internal/",
                              "host must be a numeric IPv4 or IPv6 address (no DNS); set "
                              "server_name for TLS")));
  EXPECT_THAT(
      probe_errors("http", "http://10.0.0.2:0/"),
      ElementsAre(err("http://10.0.0.2:0/", "port \"0\" must be a number from 1 to 65535")));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2:99999/"),
              ElementsAre(err("http://10.0.0.2:99999/",
                              "port \"99999\" must be a number from 1 to 65535")));
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2:/"),
              ElementsAre(err("http://10.0.0.2:/", "port \"\" must be a number from 1 to 65535")));
}

// --- kind options -----------------------------------------------------------------------

TEST(config_tunnel_test, icmp_options) {
  EXPECT_THAT(
      probe_errors("icmp", "10.0.0.2",
                   "packets = 0\npayload_bytes = 65508\npacket_interval = \"0\"\n"),
      ElementsAre("t.toml:8:11: tunnel[0].probe[0].packets: must be 1 to 100",
                  "t.toml:9:17: tunnel[0].probe[0].payload_bytes: must be 0 to 65507 for "
                  "an IPv4 target",
                  "t.toml:10:19: tunnel[0].probe[0].packet_interval: must be at least 1ms"));
  EXPECT_THAT(probe_errors("icmp", "fd00::2", "packets = 101\npayload_bytes = 65528\n"),
              ElementsAre("t.toml:8:11: tunnel[0].probe[0].packets: must be 1 to 100",
                          "t.toml:9:17: tunnel[0].probe[0].payload_bytes: must be 0 to 65527 for "
                          "an IPv6 target"));
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "payload_bytes = -1\n"),
              ElementsAre("t.toml:8:17: tunnel[0].probe[0].payload_bytes: must be 0 to 65507 for "
                          "an IPv4 target"));
  const config c = valid(head + probe("icmp", "fd00::2",
                                      "payload_bytes = 65527\npackets = 100\n"
                                      "packet_interval = \"1ms\"\n"));
  EXPECT_EQ(std::get<probe::icmp_spec>(c.tunnels[0].probes[0].options).payload_bytes, 65527U);
}

TEST(config_tunnel_test, icmp_packets_must_fit_in_the_timeout) {
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "packets = 5\npacket_interval = \"500ms\"\n"),
              ElementsAre("t.toml:9:19: tunnel[0].probe[0].packet_interval: 5 packets 500ms apart "
                          "take 2s, which must be below timeout 2s"));
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "packets = 30\n"),
              ElementsAre("t.toml:8:11: tunnel[0].probe[0].packets: 30 packets 100ms apart take "
                          "2s900ms, which must be below timeout 2s"));
  EXPECT_THAT(probe_errors("icmp", "10.0.0.2", "timeout = \"200ms\"\n"),
              ElementsAre("t.toml:8:11: tunnel[0].probe[0].timeout: 3 packets 100ms apart take "
                          "200ms, which must be below timeout 200ms"));
  EXPECT_EQ(valid(head + probe("icmp", "10.0.0.2", "timeout = \"201ms\"\n")).tunnels.size(), 1U);
}

TEST(config_tunnel_test, http_options) {
  EXPECT_THAT(
      probe_errors("http", "http://10.0.0.2/",
                   "method = \"POST\"\nexpected_status = [200, 99, 600, 200]\n"
                   "body_contains = \"\"\nmax_body_bytes = 16777217\n"),
      ElementsAre("t.toml:8:10: tunnel[0].probe[0].method: invalid method \"POST\" "
                  "(use GET or HEAD)",
                  "t.toml:9:25: tunnel[0].probe[0].expected_status[1]: must be 100 to 599",
                  "t.toml:9:29: tunnel[0].probe[0].expected_status[2]: must be 100 to 599",
                  "t.toml:9:34: tunnel[0].probe[0].expected_status[3]: duplicate status 200",
                  "t.toml:10:17: tunnel[0].probe[0].body_contains: must not be empty "
                  "(leave it out to accept any body)",
                  "t.toml:11:18: tunnel[0].probe[0].max_body_bytes: must be 0 to "
                  "16777216"));
  EXPECT_THAT(probe_errors("http", "https://10.0.0.2/",
                           "ca_file = \"ca.pem\"\nserver_name = \"-api.internal\"\n"),
              ElementsAre("t.toml:8:11: tunnel[0].probe[0].ca_file: must be an absolute path",
                          "t.toml:9:15: tunnel[0].probe[0].server_name: invalid server name "
                          "\"-api.internal\": use letters, digits and \"-\" (not first or last in "
                          "a label)"));
}

TEST(config_tunnel_test, tls_options_need_https) {
  EXPECT_THAT(probe_errors("http", "http://10.0.0.2/",
                           "ca_file = \"/ca.pem\"\nserver_name = \"a.b\"\n"
                           "insecure_skip_verify = false\n"),
              ElementsAre("t.toml:8:11: tunnel[0].probe[0].ca_file: only for https URLs",
                          "t.toml:9:15: tunnel[0].probe[0].server_name: only for https URLs",
                          "t.toml:10:24: tunnel[0].probe[0].insecure_skip_verify: only for https "
                          "URLs"));
  EXPECT_THAT(probe_errors("http", "https://10.0.0.2/",
                           "ca_file = \"/ca.pem\"\ninsecure_skip_verify = true\n"),
              ElementsAre("t.toml:8:11: tunnel[0].probe[0].ca_file: has no effect with "
                          "insecure_skip_verify = true"));
}

TEST(config_tunnel_test, body_match_must_fit_in_the_body_read) {
  EXPECT_THAT(
      probe_errors("http", "http://10.0.0.2/", "body_contains = \"healthy\"\nmax_body_bytes = 6\n"),
      ElementsAre("t.toml:8:17: tunnel[0].probe[0].body_contains: is 7 bytes, more than "
                  "max_body_bytes 6: it could never match"));
}

// --- everything at once -----------------------------------------------------------------

TEST(config_tunnel_test, every_error_of_every_tunnel_is_reported_in_file_order) {
  const std::string text =
      "[[tunnel]]\n"                          // 1
      "interface = \"wg0\"\n"                 // 2
      "role = \"main\"\n"                     // 3
      "[tunnel.health]\n"                     // 4
      "up_at = 0.5\n"                         // 5
      "[[tunnel.probe]]\n"                    // 6
      "name = \"a\"\n"                        // 7
      "kind = \"tcp\"\n"                      // 8
      "target = \"10.0.0.2\"\n"               // 9
      "packets = 2\n"                         // 10
      "[[tunnel.probe]]\n"                    // 11
      "name = \"a\"\n"                        // 12
      "kind = \"icmp\"\n"                     // 13
      "target = \"10.0.0.2\"\n"               // 14
      "timeout = \"10s\"\n"                   // 15
      "[[tunnel]]\n"                          // 16
      "interface = \"wg0\"\n"                 // 17
      "role = \"standby\"\n"                  // 18
      "[[tunnel.probe]]\n"                    // 19
      "name = \"b\"\n"                        // 20
      "kind = \"http\"\n"                     // 21
      "target = \"https://example.com/\"\n";  // 22
  EXPECT_THAT(
      errors_of(text),
      ElementsAre(
          "t.toml:3:8: tunnel[0].role: invalid role \"main\" (use primary or standby)",
          "t.toml:5:9: tunnel[0].health.up_at: down_below 0.8 (the default) must not exceed "
          "up_at 0.5",
          "t.toml:9:10: tunnel[0].probe[0].target: invalid target \"10.0.0.2\": missing port "
          "(expected host:port or [v6]:port)",
          "t.toml:10:1: tunnel[0].probe[0].packets: only for kind \"icmp\"",
          "t.toml:12:8: tunnel[0].probe[1].name: duplicate probe name \"a\" (first at probe[0], "
          "line 7)",
          "t.toml:15:11: tunnel[0].probe[1].timeout: timeout 10s must be below interval 5s "
          "(the default)",
          "t.toml:17:13: tunnel[1].interface: duplicate interface \"wg0\" (first at tunnel[0], "
          "line 2)",
          "t.toml:22:10: tunnel[1].probe[0].target: invalid URL \"https://example.com/\": host "
          "must be a numeric IPv4 or IPv6 address (no DNS); set server_name for TLS"));
}

// --- the checks underneath --------------------------------------------------------------

TEST(config_tunnel_test, validate_checks) {
  EXPECT_EQ(check_probe_name("gw-icmp_1.v6"), std::nullopt);
  EXPECT_EQ(check_probe_name(std::string(64, 'a')), std::nullopt);
  EXPECT_NE(check_probe_name(std::string(65, 'a')), std::nullopt);
  EXPECT_NE(check_probe_name(""), std::nullopt);
  EXPECT_EQ(check_handshake_max_age(2min), std::nullopt);
  EXPECT_EQ(check_handshake_max_age(24h), std::nullopt);
  EXPECT_EQ(check_handshake_max_age(24h + 1s), "must be at most 1d");
  EXPECT_EQ(check_ratio(1.0), std::nullopt);
  EXPECT_EQ(check_ratio(1e-9), std::nullopt);
  EXPECT_EQ(check_ratio(0.0), "must be above 0 and at most 1");
  EXPECT_EQ(check_ratio(std::nan("")), "must be above 0 and at most 1");
  EXPECT_EQ(check_packet_interval(10s), std::nullopt);
  EXPECT_EQ(check_packet_interval(10001ms), "must be at most 10s");
  EXPECT_EQ(check_server_name("a"), std::nullopt);
  EXPECT_EQ(check_server_name("xn--bro-cfa.example"), std::nullopt);
  EXPECT_EQ(check_server_name(std::string(63, 'a') + ".b"), std::nullopt);
  EXPECT_EQ(check_server_name(std::string(64, 'a')),
            "invalid server name \"" + std::string(64, 'a') +
                "\": each dot-separated label must be 1 to 63 characters");
  EXPECT_EQ(check_server_name("a..b"),
            "invalid server name \"a..b\": each dot-separated label must be 1 to 63 characters");
  EXPECT_EQ(check_server_name("a.b."),
            "invalid server name \"a.b.\": each dot-separated label must be 1 to 63 characters");
  EXPECT_EQ(check_server_name("a_b"),
            "invalid server name \"a_b\": use letters, digits and \"-\" "
            "(not first or last in a label)");
  EXPECT_EQ(check_server_name(""), "invalid server name \"\": must be 1 to 253 characters");
  EXPECT_EQ(check_absolute_path("/x"), std::nullopt);
  EXPECT_EQ(check_absolute_path("x"), "must be an absolute path");
}

TEST(config_tunnel_test, probe_target_parts) {
  EXPECT_EQ(address_family_of("10.0.0.1"), address_family::ipv4);
  EXPECT_EQ(address_family_of("::ffff:10.0.0.1"), address_family::ipv6);
  EXPECT_EQ(address_family_of(std::string_view{"10.0.0.1\0x", 10}), std::nullopt);
  EXPECT_EQ(address_family_of("010.0.0.1"), std::nullopt);

  const auto hp = parse_host_port("[::1]:65535");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 65535);
  EXPECT_EQ(hp->family, address_family::ipv6);

  const auto plain = parse_http_url("HTTP://10.0.0.2");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->https);
  EXPECT_EQ(plain->host, "10.0.0.2");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->target, "/");
  const auto tls = parse_http_url("https://[fd00::1]/a%20b?x=1&y");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->https);
  EXPECT_EQ(tls->host, "fd00::1");
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->target, "/a%20b?x=1&y");
  EXPECT_EQ(tls->family, address_family::ipv6);
  std::string why;
  EXPECT_FALSE(parse_http_url("https://[v1.x]/", &why));
  EXPECT_EQ(why,
            "invalid URL \"https://[v1.x]/\": host must be a numeric IPv4 or IPv6 address "
            "(no DNS); set server_name for TLS");
}

}  // namespace
}  // namespace wgwatch::config
