// SPDX-License-Identifier: MIT
// The decide loop end to end: the real agent probing real wireguard-go tunnels, a real
// Prometheus loaded with the bundle's rules, a real Alertmanager with the bundle's config, and
// a webhook receiver. Silent failure, a blind agent, a flapping primary and a broken standby;
// assertions on what the receiver got and in which order, never on how fast.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "e2e/failover_lab.hpp"

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The failback grace of the test bundle (test_bundle(): the committed bundle with three knobs
// shortened, so the file runs in about three minutes).
constexpr const char* test_grace = "20s";

bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string_view(ci) == "true";
}

/// Under CI=true nothing may skip: what would skip fails instead.
#define E2E_REQUIRE(missing_expr)                                                       \
  do {                                                                                  \
    if (auto e2e_missing_ = (missing_expr)) {                                           \
      if (under_ci()) FAIL() << *e2e_missing_ << " (CI=true: the e2e test may not skip)"; \
      GTEST_SKIP() << *e2e_missing_;                                                    \
    }                                                                                   \
  } while (false)

std::optional<std::string> missing_dev_tun() {
  if (std::filesystem::exists("/dev/net/tun")) return std::nullopt;
  return std::string("no /dev/net/tun (wireguard-go needs it)");
}

/// Keeps a SIGSTOPped agent from staying stopped when an assertion leaves the test early.
struct continue_on_exit {
  pid_t pid;
  ~continue_on_exit() { ::kill(pid, SIGCONT); }
};

std::string ms_text(steady::duration d) {
  return std::to_string(std::chrono::duration_cast<milliseconds>(d).count()) + " ms";
}

class failover_loop_test : public ::testing::Test {
 protected:
  void SetUp() override {
    E2E_REQUIRE(missing_root());
    E2E_REQUIRE(isolation_failure());
    E2E_REQUIRE(missing_dev_tun());
    for (const char* p : {"wireguard-go", "wg", "ip", "nft", "ping", "prometheus",
                          "prometheus-alertmanager"}) {
      E2E_REQUIRE(missing_program(p));
    }
    if (!lab_) lab_ = std::make_unique<failover_lab>();
    if (!bundle_) bundle_ = std::make_unique<policy_bundle>(test_bundle(test_grace));
    primary_drop_ = std::make_unique<tunnel_drop>(lab_->far, "wgf0");
    standby_drop_ = std::make_unique<tunnel_drop>(lab_->far, "wgf1");
  }
  void TearDown() override {
    primary_drop_.reset();
    standby_drop_.reset();
  }
  static void TearDownTestSuite() { lab_.reset(); }

  const policy_bundle& bundle() const { return *bundle_; }

  /// The loop, healthy in Prometheus.
  std::unique_ptr<failover_loop> start_loop() const {
    auto loop = std::make_unique<failover_loop>(bundle());
    if (!loop->wait_healthy(60s)) {
      ADD_FAILURE() << "the tunnels never became healthy in Prometheus\n" << loop->logs();
      return nullptr;
    }
    return loop;
  }

  /// Silent drop on the primary until the failover arrives (nullopt after 60 s).
  std::optional<notification> fail_primary(const failover_loop& loop) const {
    primary_drop_->on();
    return loop.receiver.wait_for(
        [](const notification& n) { return to_failover(n, "firing"); }, 60s);
  }

  /// Waits for the failover's resolve, at most `limit`.
  static std::optional<notification> wait_resolve(const failover_loop& loop, milliseconds limit) {
    return loop.receiver.wait_for(
        [](const notification& n) { return to_failover(n, "resolved"); }, limit);
  }

  /// Notifications to the failover receiver carrying the failover alert with `status` (the
  /// bundle may copy the alert to other receivers too).
  static std::vector<notification> failover_notices(const failover_loop& loop,
                                                    std::string_view status) {
    std::vector<notification> out;
    for (const auto& n : loop.receiver.received()) {
      if (to_failover(n, status)) out.push_back(n);
    }
    return out;
  }

  /// Runs the dashboards' live check (every panel query against this Prometheus) when the
  /// dashboards helper's script is there.
  static void check_dashboards_live(const failover_loop& loop, bool expect_fault) {
    const std::string script = std::string(WGWATCH_SOURCE_DIR) + "/tests/dashboards/check_live.mjs";
    if (!std::filesystem::exists(script)) {
      std::cout << "[   note   ] " << script << " absent: live dashboard check not run\n";
      return;
    }
    if (auto missing = missing_program("node")) {
      if (under_ci()) ADD_FAILURE() << *missing;
      return;
    }
    std::vector<std::string> argv{"node", script, "--prometheus", loop.stack->prometheus().url()};
    if (expect_fault) argv.push_back("--expect-fault");
    std::vector<std::string> dashboards;
    for (const auto& f : std::filesystem::directory_iterator(std::string(WGWATCH_SOURCE_DIR) + "/dashboards")) {
      if (f.path().extension() == ".json") dashboards.push_back(f.path().string());
    }
    std::sort(dashboards.begin(), dashboards.end());
    argv.insert(argv.end(), dashboards.begin(), dashboards.end());
    const auto r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << "check_live.mjs" << (expect_fault ? " --expect-fault" : "")
                              << ":\n" << r.out << r.err;
  }

  static inline std::unique_ptr<failover_lab> lab_;
  static inline std::unique_ptr<policy_bundle> bundle_;
  std::unique_ptr<tunnel_drop> primary_drop_;
  std::unique_ptr<tunnel_drop> standby_drop_;
};

TEST_F(failover_loop_test, the_test_bundle_is_the_committed_one_but_for_three_knobs) {
  const auto committed = policy_bundle::load();
  const auto differing = [](const std::string& x, const std::string& y) {
    std::istringstream a(x), b(y);
    std::string la, lb;
    int n = 0;
    while (std::getline(a, la) && std::getline(b, lb)) n += la != lb ? 1 : 0;
    return n;
  };
  EXPECT_EQ(differing(committed.rules, bundle().rules), 2);
  EXPECT_EQ(differing(committed.alertmanager, bundle().alertmanager), 2);
  EXPECT_EQ(bundle().grace(), parse_prometheus_duration(test_grace));
  EXPECT_GT(committed.grace(), bundle().grace());
}

TEST_F(failover_loop_test, silent_primary_failure_fails_over_and_fails_back_only_after_the_grace) {
  const auto grace = bundle().grace();
  const auto eval = bundle().evaluation_interval();
  auto loop = start_loop();
  ASSERT_TRUE(loop);
  // The agent's series reach Prometheus with their group.
  EXPECT_EQ(loop->stack->prometheus()
                .query(std::string("wgwatch_tunnel_healthy{device=\"wg0\",role=\"primary\",group=\"") +
                       failover_group + "\"}")
                .size(),
            1u);
  // Healthy for longer than the hold time: nothing to fail over. (Also a few scrapes for the
  // dashboards' rates.)
  const auto hold = rule_duration(bundle().rules, failover_alert, "for").value_or(0ms);
  std::this_thread::sleep_for(hold + 3 * eval);
  check_dashboards_live(*loop, false);
  ASSERT_TRUE(failover_notices(*loop, "firing").empty()) << loop->receiver.summary();

  // Silent failure: handshakes stay fresh, the data plane goes. Watch the agent meanwhile.
  primary_drop_->on();
  bool data_plane_went_down = false;
  std::vector<std::string> violations;
  std::optional<notification> fired;
  const auto give_up = steady::now() + 60s;
  while (!fired && steady::now() < give_up) {
    const auto e = parse_exposition(loop->agent.scrape().body);
    const auto hs = agent_tunnel_value(e, "handshake_ok", "wg0");
    if (!(hs && *hs == 1) && violations.size() < 5) violations.push_back("wg0 handshake_ok not 1");
    if (agent_tunnel_value(e, "data_plane_ok", "wg0") == 0.0) data_plane_went_down = true;
    fired = loop->receiver.wait_for(
        [](const notification& n) { return to_failover(n, "firing"); }, 100ms);
  }
  ASSERT_TRUE(fired) << "no failover notification within 60 s\n" << loop->logs();
  EXPECT_TRUE(data_plane_went_down);
  EXPECT_TRUE(violations.empty()) << violations.front();

  EXPECT_EQ(fired->path, "/failover");
  EXPECT_EQ(fired->receiver, "wgwatch-failover");
  EXPECT_EQ(fired->status, "firing");
  const auto& labels = fired->alert(failover_alert)->labels;
  const label_map want{{"alertname", std::string(failover_alert)},
                       {"action", "failover"},
                       {"severity", "critical"},
                       {"group", failover_group},
                       {"device", "wg0"},
                       {"role", "primary"},
                       {"standby_device", "wg1"},
                       {"job", "wgwatch"},
                       {"instance", loop->stack->instance()}};
  for (const auto& [k, v] : want) {
    const auto it = labels.find(k);
    EXPECT_TRUE(it != labels.end() && it->second == v)
        << k << ": want \"" << v << "\", got " << (it == labels.end() ? "nothing" : it->second);
  }
  check_dashboards_live(*loop, true);

  // Repair: the resolve comes, and not before the grace has run from the last unhealthy
  // evaluation, i.e. from at most one evaluation interval before the repair.
  primary_drop_->off();
  const auto repaired = steady::now();
  const auto resolved = wait_resolve(*loop, grace + 60s);
  ASSERT_TRUE(resolved) << "no resolve within grace + 60 s of the repair\n" << loop->logs();
  EXPECT_EQ(resolved->path, "/failover");
  EXPECT_GE(resolved->at - repaired, grace - eval - 250ms)
      << "resolved " << ms_text(resolved->at - repaired) << " after the repair, grace "
      << ms_text(grace) << "\n" << loop->receiver.summary();
  const auto firing = failover_notices(*loop, "firing");
  EXPECT_EQ(firing.size(), 1u) << loop->receiver.summary();
  EXPECT_EQ(failover_notices(*loop, "resolved").size(), 1u) << loop->receiver.summary();
}

TEST_F(failover_loop_test, a_blind_agent_keeps_the_failover_until_it_sees_a_healthy_primary_again) {
  const auto grace = bundle().grace();
  const auto eval = bundle().evaluation_interval();
  auto loop = start_loop();
  ASSERT_TRUE(loop);
  const auto fired = fail_primary(*loop);
  ASSERT_TRUE(fired) << loop->logs();

  // The agent freezes, and the primary heals while nobody looks: Prometheus has no data.
  ASSERT_EQ(::kill(loop->agent.pid(), SIGSTOP), 0);
  const continue_on_exit guard{loop->agent.pid()};
  primary_drop_->off();
  ASSERT_TRUE(loop->stack->prometheus().wait_for_result("up{job=\"wgwatch\"} == 0", 30s))
      << "Prometheus never noticed the stopped agent\n" << loop->logs();
  // Longer than the grace plus a few evaluations and the route's group_interval: still firing.
  const auto quiet = grace + 4 * eval + 2s;
  const auto early = wait_resolve(*loop, quiet);
  EXPECT_FALSE(early) << "resolved while the agent was blind: " << to_string(*early) << "\n"
                      << loop->receiver.summary();

  // Back, healthy: the resolve follows, only after a full grace of healthy data.
  ASSERT_EQ(::kill(loop->agent.pid(), SIGCONT), 0);
  const auto resumed = steady::now();
  const auto resolved = wait_resolve(*loop, grace + 60s);
  ASSERT_TRUE(resolved) << "no resolve after the agent came back\n" << loop->logs();
  EXPECT_GE(resolved->at - resumed, grace - eval - 250ms)
      << "resolved " << ms_text(resolved->at - resumed) << " after the agent came back\n"
      << loop->receiver.summary();
  EXPECT_EQ(failover_notices(*loop, "firing").size(), 1u) << loop->receiver.summary();
}

TEST_F(failover_loop_test, a_flapping_primary_fails_over_once_and_never_back_while_it_flaps) {
  const auto grace = bundle().grace();
  auto loop = start_loop();
  ASSERT_TRUE(loop);
  ASSERT_TRUE(fail_primary(*loop)) << loop->logs();

  // Healthy stretches of about 3 s (the agent's layer up, Prometheus scraping it), each far
  // shorter than the grace, between unhealthy ones of about 2 s.
  const auto before = parse_exposition(loop->agent.scrape().body);
  const double transitions_before = agent_tunnel_value(before, "data_plane_transitions_total", "wg0").value_or(0);
  constexpr int cycles = 4;
  for (int i = 0; i < cycles; ++i) {
    primary_drop_->off();
    ASSERT_TRUE(wait_data_plane(loop->agent, "wg0", 1)) << "cycle " << i << "\n" << loop->logs();
    std::this_thread::sleep_for(3s);
    primary_drop_->on();
    ASSERT_TRUE(wait_data_plane(loop->agent, "wg0", 0)) << "cycle " << i << "\n" << loop->logs();
    std::this_thread::sleep_for(2s);
  }
  ASSERT_LT(3s + 2s, grace);
  const auto after = parse_exposition(loop->agent.scrape().body);
  // The agent really flapped: up and down once per cycle.
  EXPECT_EQ(agent_tunnel_value(after, "data_plane_transitions_total", "wg0").value_or(0) -
                transitions_before,
            2 * cycles);
  EXPECT_TRUE(failover_notices(*loop, "resolved").empty()) << loop->receiver.summary();
  EXPECT_EQ(failover_notices(*loop, "firing").size(), 1u) << loop->receiver.summary();

  // Repaired for good: now it fails back (the receiver does see resolves).
  primary_drop_->off();
  ASSERT_TRUE(wait_resolve(*loop, grace + 60s)) << loop->logs();
  EXPECT_EQ(failover_notices(*loop, "firing").size(), 1u) << loop->receiver.summary();
}

TEST_F(failover_loop_test, with_the_standby_broken_first_there_is_no_failover_but_warnings) {
  const auto eval = bundle().evaluation_interval();
  const auto hold = rule_duration(bundle().rules, failover_alert, "for").value_or(0ms);
  auto loop = start_loop();
  ASSERT_TRUE(loop);
  standby_drop_->on();
  const auto standby = loop->receiver.wait_for(
      [](const notification& n) { return carries(n, "WireGuardStandbyUnhealthy", "firing"); }, 60s);
  ASSERT_TRUE(standby) << "no WireGuardStandbyUnhealthy\n" << loop->logs();
  EXPECT_EQ(standby->alert("WireGuardStandbyUnhealthy")->labels.at("device"), "wg1");

  primary_drop_->on();
  const auto broken = steady::now();
  const auto down = loop->receiver.wait_for(
      [](const notification& n) { return carries(n, "WireGuardTunnelGroupDown", "firing"); }, 60s);
  ASSERT_TRUE(down) << "no WireGuardTunnelGroupDown\n" << loop->logs();
  EXPECT_EQ(down->alert("WireGuardTunnelGroupDown")->labels.at("group"), failover_group);
  // Give a failover every chance: the hold and a few evaluations past the primary's failure.
  const auto settle = broken + hold + 5 * eval + 2s;
  if (steady::now() < settle) std::this_thread::sleep_for(settle - steady::now());
  std::vector<notification> with_failover;
  for (const auto& n : loop->receiver.received()) {
    if (n.alert(failover_alert)) with_failover.push_back(n);
  }
  EXPECT_TRUE(with_failover.empty()) << "failover onto a broken standby:\n" << loop->receiver.summary();
  EXPECT_TRUE(loop->stack->prometheus().query("ALERTS{alertname=\"WireGuardTunnelFailover\"}").empty());
}

}  // namespace
}  // namespace wgwatch::test
