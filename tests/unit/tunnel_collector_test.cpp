// SPDX-License-Identifier: MIT
// tunnel_collector: the three layers per tunnel and their combination, pure and via fakes.
#include "metrics/tunnel_collector.hpp"

#include <gtest/gtest.h>
#include <linux/if.h>
#include <unistd.h>

#include <map>

#include "support/exposition.hpp"
#include "support/require.hpp"
#include "util/error.hpp"

namespace wgwatch::metrics {
namespace {

using namespace std::chrono_literals;
using test::has_sample;
using test::label_map;

const std::chrono::system_clock::time_point now{std::chrono::seconds(1795637000)};

wg::wg_key key(std::uint8_t fill) {
  wg::wg_key k;
  k.bytes.fill(fill);
  return k;
}

wg::peer peer_with_handshake(std::uint8_t fill, std::optional<std::int64_t> age_seconds) {
  wg::peer p;
  p.public_key = key(fill);
  if (age_seconds) {
    p.last_handshake = wg::handshake_time{
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() -
            *age_seconds,
        0};
  }
  return p;
}

TEST(tunnel_collector_test, handshake_fresh_honours_the_age_limit_and_counted_peers) {
  wg::device dev;
  dev.peers = {peer_with_handshake(1, 400), peer_with_handshake(2, 100),
               peer_with_handshake(3, std::nullopt)};
  EXPECT_TRUE(handshake_fresh(dev, {}, 300s, now)) << "any peer counts";
  EXPECT_FALSE(handshake_fresh(dev, {key(1)}, 300s, now)) << "peer 1 is 400 s old";
  EXPECT_TRUE(handshake_fresh(dev, {key(1), key(2)}, 300s, now));
  EXPECT_FALSE(handshake_fresh(dev, {key(3)}, 300s, now)) << "never handshook";
  EXPECT_FALSE(handshake_fresh(dev, {key(9)}, 300s, now)) << "not a peer of the device";
  EXPECT_TRUE(handshake_fresh(dev, {key(2)}, 100s, now)) << "exactly at the limit";
  EXPECT_FALSE(handshake_fresh(dev, {key(2)}, 99s, now));
  EXPECT_FALSE(handshake_fresh(wg::device{}, {}, 300s, now)) << "no peers";
}

TEST(tunnel_collector_test, healthy_needs_all_three_layers) {
  std::vector<tunnel_health> tunnels(4);
  const char* names[] = {"wg0", "wg1", "wg2", "wg3"};
  for (std::size_t i = 0; i < 4; ++i) {
    tunnels[i].interface = names[i];
    tunnels[i].interface_up = i != 1;
    tunnels[i].handshake_ok = i != 2;
    tunnels[i].data_plane.up = i != 3;
    tunnels[i].data_plane.ratio = i == 3 ? 0.5 : 1.0;
    tunnels[i].data_plane.transitions = i;
    tunnels[i].group = i < 2 ? "default" : "site-b";
  }
  tunnels[1].role = config::tunnel_role::standby;
  std::string body;
  exposition_writer w(body);
  build_tunnel_families(tunnels, w);
  const auto e = test::parse_exposition(body);
  const label_map wg0{{"device", "wg0"}, {"role", "primary"}, {"group", "default"}};
  const label_map wg1{{"device", "wg1"}, {"role", "standby"}, {"group", "default"}};
  const label_map wg2{{"device", "wg2"}, {"role", "primary"}, {"group", "site-b"}};
  const label_map wg3{{"device", "wg3"}, {"role", "primary"}, {"group", "site-b"}};
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_healthy", wg0, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_healthy", wg1, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_healthy", wg2, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_healthy", wg3, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_interface_up", wg1, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_handshake_ok", wg2, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_handshake_ok", wg3, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_data_plane_ok", wg3, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_data_plane_success_ratio", wg3, 0.5));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_data_plane_transitions_total", wg3, 3));
  EXPECT_EQ(e.types.at("wgwatch_tunnel_data_plane_transitions_total"), "counter");

  // Without promtool the test skips here (fails under CI), it does not pass unchecked.
  WGWATCH_REQUIRE_PROGRAM("promtool");
  const auto checked = test::promtool_check_metrics(body);
  EXPECT_EQ(checked.exit_code, 0) << checked.output << "\n" << body;
  EXPECT_EQ(checked.output, "") << body;
}

TEST(tunnel_collector_test, an_empty_window_has_no_ratio) {
  std::vector<tunnel_health> tunnels(1);
  tunnels[0].interface = "wg0";
  std::string body;
  exposition_writer w(body);
  build_tunnel_families(tunnels, w);
  const auto e = test::parse_exposition(body);
  EXPECT_TRUE(test::find_samples(e, "wgwatch_tunnel_data_plane_success_ratio").empty());
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_data_plane_ok", {{"device", "wg0"}}, 0));
}

// --- the collector with fake readers ------------------------------------------------------

config::tunnel_config tunnel(std::string name, std::vector<wg::wg_key> peers = {}) {
  config::tunnel_config t;
  t.interface = std::move(name);
  t.peers = std::move(peers);
  return t;
}

link::link_info up_link(std::string name) {
  link::link_info l;
  l.name = std::move(name);
  l.flags = IFF_UP | IFF_LOWER_UP;
  return l;
}

struct fakes {
  result<std::vector<link::link_info>> links = std::vector<link::link_info>{};
  std::map<std::string, result<wg::device>, std::less<>> devices;

  tunnel_collector::links_reader links_reader() {
    return [this] { return links; };
  }
  tunnel_collector::device_reader device_reader() {
    return [this](std::string_view name) -> result<wg::device> {
      const auto it = devices.find(name);
      if (it == devices.end()) return make_error_code(errc::device_not_found);
      return it->second;
    };
  }
};

wg::device fresh_device(std::string name) {
  wg::device d;
  d.name = std::move(name);
  wg::peer p;
  p.public_key = key(1);
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  p.last_handshake = wg::handshake_time{s.count() - 10, 0};
  d.peers = {p};
  return d;
}

TEST(tunnel_collector_test, collector_joins_links_devices_and_the_store) {
  fakes f;
  f.links = std::vector<link::link_info>{up_link("wg0"), up_link("wg1")};
  f.devices.emplace("wg0", fresh_device("wg0"));
  f.devices.emplace("wg1", fresh_device("wg1"));
  probe::result_store store;
  store.add_tunnel("wg0", probe::data_plane_rules{});
  probe::probe_spec spec;
  spec.name = "ping";
  store.add_probe("wg0", spec);
  const auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    probe::probe_result ok;
    ok.success = true;
    store.record("wg0", "ping", ok, t - std::chrono::seconds(3 - i),
                 std::chrono::system_clock::now());
  }
  auto wg1_tunnel = tunnel("wg1", {key(2)});
  wg1_tunnel.role = config::tunnel_role::standby;
  wg1_tunnel.group = "site-b";
  tunnel_collector c({tunnel("wg0", {key(1)}), wg1_tunnel, tunnel("wg2")}, f.links_reader(),
                     f.device_reader(), store);
  EXPECT_EQ(c.name(), "tunnel");
  std::string body;
  exposition_writer w(body);
  ASSERT_TRUE(c.collect(w)) << "a missing device is a tunnel fact, not a collector failure";
  const auto e = test::parse_exposition(body);
  const label_map wg0{{"device", "wg0"}, {"role", "primary"}, {"group", "default"}};
  const label_map wg1{{"device", "wg1"}, {"role", "standby"}, {"group", "site-b"}};
  const label_map wg2{{"device", "wg2"}};
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_healthy", wg0, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_data_plane_ok", wg0, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_handshake_ok", wg1, 0)) << "peer 2 is not on wg1";
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_interface_up", wg1, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_data_plane_ok", wg1, 0)) << "no probes: unknown";
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_interface_up", wg2, 0)) << "missing link";
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_handshake_ok", wg2, 0)) << "missing device";
}

TEST(tunnel_collector_test, read_failures_zero_the_layer_and_fail_the_collector) {
  fakes f;
  f.links = make_error_code(errc::timed_out);
  f.devices.emplace("wg0", result<wg::device>(from_errno(EACCES)));
  probe::result_store store;
  tunnel_collector c({tunnel("wg0")}, f.links_reader(), f.device_reader(), store);
  std::string body;
  exposition_writer w(body);
  const auto r = c.collect(w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::timed_out));
  const auto e = test::parse_exposition(body);
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_interface_up", {{"device", "wg0"}}, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_handshake_ok", {{"device", "wg0"}}, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_tunnel_healthy", {{"device", "wg0"}}, 0));
}

}  // namespace
}  // namespace wgwatch::metrics
