// SPDX-License-Identifier: MIT
// result_store bookkeeping and the wgwatch_probe_* families built from its snapshot.
#include "metrics/probe_collector.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "support/exposition.hpp"

namespace wgwatch::metrics {
namespace {

using namespace std::chrono_literals;
using probe::failure_reason;
using test::has_sample;
using test::label_map;

const std::chrono::steady_clock::time_point t0{1000s};
const std::chrono::system_clock::time_point wall0{std::chrono::seconds(1795637000)};

probe::probe_spec icmp_spec() {
  probe::probe_spec s;
  s.name = "gw-ping";
  s.target = "10.0.0.1";
  s.options = probe::icmp_spec{"10.0.0.1", 3, 56, true, 100ms};
  return s;
}

probe::probe_spec tcp_spec() {
  probe::probe_spec s;
  s.name = "ssh";
  s.target = "10.0.0.1:22";
  s.options = probe::tcp_spec{"10.0.0.1", 22};
  return s;
}

probe::probe_spec http_spec() {
  probe::probe_spec s;
  s.name = "web \"main\"";
  s.target = "https://10.0.0.1/health";
  probe::http_spec h;
  h.url = s.target;
  s.options = h;
  return s;
}

probe::probe_result icmp_round(std::uint32_t received, std::vector<double> rtts) {
  probe::probe_result r;
  r.packets_sent = 3;
  r.packets_received = received;
  for (double d : rtts) r.rtts.emplace_back(d);
  r.success = received == 3;
  r.reason = received == 3   ? failure_reason::none
             : received == 0 ? failure_reason::timeout
                             : failure_reason::packet_loss;
  return r;
}

probe::probe_result tcp_round(bool ok, double seconds) {
  probe::probe_result r;
  r.success = ok;
  r.reason = ok ? failure_reason::none : failure_reason::refused;
  r.duration = probe::seconds_d(seconds);
  r.phases = {{"connect", probe::seconds_d(seconds)}};
  return r;
}

class probe_collector_test : public ::testing::Test {
 protected:
  probe_collector_test() {
    store.add_tunnel("wg0", probe::data_plane_rules{});
    store.add_probe("wg0", icmp_spec());
    store.add_probe("wg0", tcp_spec());
    store.add_tunnel("wg1", probe::data_plane_rules{});
    store.add_probe("wg1", http_spec());
  }

  test::exposition render() {
    std::string body;
    exposition_writer w(body);
    build_probe_families(store.snapshot(now), w);
    last_body = body;
    return test::parse_exposition(body);
  }

  probe::result_store store;
  std::chrono::steady_clock::time_point now = t0;
  std::string last_body;
};

const label_map ping{
    {"device", "wg0"}, {"probe", "gw-ping"}, {"kind", "icmp"}, {"target", "10.0.0.1"}};
const label_map ssh{
    {"device", "wg0"}, {"probe", "ssh"}, {"kind", "tcp"}, {"target", "10.0.0.1:22"}};

label_map with(label_map l, std::string k, std::string v) {
  l.emplace(std::move(k), std::move(v));
  return l;
}

TEST_F(probe_collector_test, before_any_round_counters_are_zero_and_values_absent) {
  const auto e = render();
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_runs_total", ping, 0));
  EXPECT_TRUE(test::find_samples(e, "wgwatch_probe_success").empty());
  EXPECT_TRUE(test::find_samples(e, "wgwatch_probe_loss_ratio").empty());
  EXPECT_TRUE(test::find_samples(e, "wgwatch_probe_last_success_timestamp_seconds").empty());
  for (const auto r : probe::all_failure_reasons) {
    EXPECT_TRUE(has_sample(e, "wgwatch_probe_failures_total",
                           with(ssh, "reason", std::string(probe::to_string(r))), 0))
        << probe::to_string(r);
  }
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_count", ssh, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ssh, "le", "+Inf"), 0));
  EXPECT_EQ(e.types.at("wgwatch_probe_duration_seconds"), "histogram");
}

TEST_F(probe_collector_test, icmp_probes_export_packet_size_and_dont_fragment) {
  // An MTU probe: a DF echo filling a 1420-byte tunnel MTU (IPv4: 20 + 8 + 1392), and an
  // IPv6 echo without DF (40 + 8 + 56).
  probe::probe_spec mtu = icmp_spec();
  mtu.name = "mtu";
  mtu.options = probe::icmp_spec{"10.0.0.1", 1, 1392, true, 100ms};
  store.add_probe("wg1", mtu);
  probe::probe_spec v6 = icmp_spec();
  v6.name = "v6";
  v6.target = "fd00::1";
  v6.options = probe::icmp_spec{"fd00::1", 3, 56, false, 100ms};
  store.add_probe("wg1", v6);
  const auto e = render();
  const label_map mtu_labels{
      {"device", "wg1"}, {"probe", "mtu"}, {"kind", "icmp"}, {"target", "10.0.0.1"}};
  const label_map v6_labels{
      {"device", "wg1"}, {"probe", "v6"}, {"kind", "icmp"}, {"target", "fd00::1"}};
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_packet_bytes", mtu_labels, 1420));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_dont_fragment", mtu_labels, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_packet_bytes", v6_labels, 104));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_dont_fragment", v6_labels, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_packet_bytes", ping, 84));
  // One series per ICMP probe, none for TCP and HTTP probes.
  EXPECT_EQ(test::find_samples(e, "wgwatch_probe_icmp_packet_bytes").size(), 3U);
  EXPECT_EQ(test::find_samples(e, "wgwatch_probe_icmp_dont_fragment").size(), 3U);
  EXPECT_EQ(e.types.at("wgwatch_probe_icmp_packet_bytes"), "gauge");
}

TEST_F(probe_collector_test, icmp_rounds_feed_histogram_loss_and_packet_counters) {
  store.record("wg0", "gw-ping", icmp_round(3, {0.0004, 0.002, 0.003}), t0, wall0);
  store.record("wg0", "gw-ping", icmp_round(2, {0.03, 0.7}), t0 + 5s, wall0 + 5s);
  now = t0 + 5s;
  const auto e = render();
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_success", ping, 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_runs_total", ping, 2));
  EXPECT_TRUE(
      has_sample(e, "wgwatch_probe_failures_total", with(ping, "reason", "packet_loss"), 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_consecutive_failures", ping, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_packets_sent_total", ping, 6));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_packets_received_total", ping, 5));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_loss_ratio", ping, 1.0 / 6));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_last_success_timestamp_seconds", ping, 1795637000));
  // Histogram: cumulative buckets, each echo one observation.
  EXPECT_TRUE(
      has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ping, "le", "0.0005"), 1));
  EXPECT_TRUE(
      has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ping, "le", "0.0025"), 2));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ping, "le", "0.005"), 3));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ping, "le", "0.05"), 4));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ping, "le", "0.5"), 4));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ping, "le", "1"), 5));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ping, "le", "+Inf"), 5));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_count", ping, 5));
  const auto sum = test::sample_value(e, "wgwatch_probe_duration_seconds_sum", ping);
  ASSERT_TRUE(sum);
  EXPECT_NEAR(*sum, 0.7354, 1e-9);
  // ICMP has no phases and TCP no packet counters.
  EXPECT_TRUE(test::find_samples(e, "wgwatch_probe_phase_duration_seconds", ping).empty());
  EXPECT_TRUE(test::find_samples(e, "wgwatch_probe_icmp_packets_sent_total", ssh).empty());
}

TEST_F(probe_collector_test, a_round_that_sent_nothing_counts_as_all_echoes_lost) {
  store.record("wg0", "gw-ping", icmp_round(3, {0.001, 0.001, 0.001}), t0, wall0);
  probe::probe_result down;
  down.reason = failure_reason::link_down;
  store.record("wg0", "gw-ping", down, t0 + 5s, wall0 + 5s);
  now = t0 + 5s;
  const auto e = render();
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_loss_ratio", ping, 0.5));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_failures_total", with(ping, "reason", "link_down"), 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_icmp_packets_sent_total", ping, 3));
}

TEST_F(probe_collector_test, loss_ratio_covers_the_tunnel_window_only) {
  store.record("wg0", "ssh", tcp_round(false, 0), t0, wall0);
  store.record("wg0", "ssh", tcp_round(true, 0.004), t0 + 5s, wall0 + 5s);
  now = t0 + 5s;
  EXPECT_TRUE(has_sample(render(), "wgwatch_probe_loss_ratio", ssh, 0.5));
  now = t0 + 60s;  // the failure is one window old: gone
  EXPECT_TRUE(has_sample(render(), "wgwatch_probe_loss_ratio", ssh, 0));
  now = t0 + 65s;  // nothing left
  EXPECT_TRUE(test::find_samples(render(), "wgwatch_probe_loss_ratio", ssh).empty());
}

TEST_F(probe_collector_test, tcp_rounds_observe_successful_durations_and_phases) {
  store.record("wg0", "ssh", tcp_round(true, 0.004), t0, wall0);
  store.record("wg0", "ssh", tcp_round(false, 0.0001), t0 + 5s, wall0 + 5s);
  store.record("wg0", "ssh", tcp_round(false, 0.0002), t0 + 10s, wall0 + 10s);
  now = t0 + 10s;
  const auto e = render();
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_count", ssh, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ssh, "le", "0.0025"), 0));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_duration_seconds_bucket", with(ssh, "le", "0.005"), 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_failures_total", with(ssh, "reason", "refused"), 2));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_consecutive_failures", ssh, 2));
  EXPECT_TRUE(
      has_sample(e, "wgwatch_probe_phase_duration_seconds", with(ssh, "phase", "connect"), 0.0002));
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_last_success_timestamp_seconds", ssh, 1795637000));
}

TEST_F(probe_collector_test, http_phases_exist_even_when_the_round_failed_early) {
  probe::probe_result r;
  r.reason = failure_reason::tls;
  r.phases = {{"connect", probe::seconds_d(0.001)}};
  store.record("wg1", "web \"main\"", r, t0, wall0);
  const auto e = render();
  const label_map web{{"device", "wg1"}, {"probe", "web \"main\""}, {"kind", "http"}};
  EXPECT_TRUE(
      has_sample(e, "wgwatch_probe_phase_duration_seconds", with(web, "phase", "connect"), 0.001));
  for (const char* phase : {"tls", "first_byte", "transfer"}) {
    EXPECT_TRUE(has_sample(e, "wgwatch_probe_phase_duration_seconds", with(web, "phase", phase), 0))
        << phase;
  }
  EXPECT_TRUE(has_sample(e, "wgwatch_probe_failures_total", with(web, "reason", "tls"), 1));
}

TEST_F(probe_collector_test, unknown_probes_are_ignored_and_record_reports_changes) {
  EXPECT_FALSE(store.record("wg9", "ssh", tcp_round(false, 0), t0, wall0).probe_changed);
  EXPECT_FALSE(store.record("wg0", "ssh", tcp_round(true, 0.001), t0, wall0).probe_changed)
      << "a probe starts out ok";
  EXPECT_TRUE(store.record("wg0", "ssh", tcp_round(false, 0), t0 + 1s, wall0).probe_changed);
  EXPECT_FALSE(store.record("wg0", "ssh", tcp_round(false, 0), t0 + 2s, wall0).probe_changed);
  const auto back = store.record("wg0", "ssh", tcp_round(true, 0.001), t0 + 3s, wall0);
  EXPECT_TRUE(back.probe_changed);
  const auto snap = store.snapshot(t0 + 3s);
  ASSERT_EQ(snap.tunnels.size(), 2u);
  EXPECT_EQ(snap.tunnels[0].interface, "wg0");
  EXPECT_EQ(snap.tunnels[0].data_plane.rounds, 4u);
  EXPECT_EQ(snap.probes[1].runs_total, 4u);
}

TEST_F(probe_collector_test, data_plane_changes_are_reported_by_record) {
  probe::record_outcome o;
  for (int i = 0; i < 3; ++i) {
    o = store.record("wg0", "ssh", tcp_round(true, 0.001), t0 + i * 5s, wall0);
  }
  EXPECT_TRUE(o.data_plane_changed);
  EXPECT_TRUE(o.data_plane_up);
  EXPECT_TRUE(store.data_plane("wg0", t0 + 10s)->up);
  EXPECT_FALSE(store.data_plane("wg1", t0 + 10s)->up) << "its own tracker";
  EXPECT_FALSE(store.data_plane("wg9").has_value());
}

TEST_F(probe_collector_test, promtool_accepts_the_probe_families) {
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    GTEST_SKIP() << "promtool missing: apt-get install prometheus";
  }
  store.record("wg0", "gw-ping", icmp_round(2, {0.001, 0.002}), t0, wall0);
  store.record("wg0", "ssh", tcp_round(true, 0.004), t0, wall0);
  probe::probe_result r;
  r.reason = failure_reason::http_status;
  store.record("wg1", "web \"main\"", r, t0, wall0);
  render();
  const auto checked = test::promtool_check_metrics(last_body);
  EXPECT_EQ(checked.exit_code, 0) << checked.output << "\n" << last_body;
  EXPECT_EQ(checked.output, "") << last_body;
}

TEST_F(probe_collector_test, collector_reads_the_store) {
  store.record("wg0", "ssh", tcp_round(true, 0.004), std::chrono::steady_clock::now(), wall0);
  probe_collector c(store);
  EXPECT_EQ(c.name(), "probe");
  std::string body;
  exposition_writer w(body);
  ASSERT_TRUE(c.collect(w));
  EXPECT_TRUE(has_sample(test::parse_exposition(body), "wgwatch_probe_success", ssh, 1));
}

}  // namespace
}  // namespace wgwatch::metrics
