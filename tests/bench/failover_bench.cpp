// SPDX-License-Identifier: MIT
// Failover bench: the e2e lab (tests/e2e/failover_lab.hpp) timed. Fault injection -> failover
// webhook and repair -> resolve webhook, with the bundle's fast intervals and with a plain 15 s
// scrape/evaluation interval, each fault split into stages by timestamps (agent detection,
// Prometheus scrape, alert firing, webhook); then false failovers/failbacks across flapping,
// blind-agent and standby-down trials. Prints figures; asserts only that every trial finished.
// Label: bench (never in CI).
//   WGWATCH_FAILOVER_BENCH_TRIALS=10     trials of the fast configuration (default 10)
//   WGWATCH_FAILOVER_BENCH_SLOW_TRIALS=5 trials of the 15 s configuration (default 5)
//   WGWATCH_FAILOVER_BENCH_FALSE_TRIALS=3 trials of each false-decision kind (default 3)
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "e2e/failover_lab.hpp"

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The fast configuration: the committed bundle with the e2e test's overrides (test_bundle())
// and a 10 s grace; the grace adds to the failback as a constant and is reported as such.
constexpr const char* fast_grace = "10s";
// The same at a plain 15 s scrape and evaluation interval, rendered from the jsonnet sources:
// the failover group's interval, and the freshness limit (5 s, about 5 scrapes at 1 s) scaled
// to 5 scrapes too, or every scrape gap would look like a blind agent.
constexpr const char* slow_config =
    "failbackGracePeriod: '10s', standbyUnhealthyFor: '5s', failoverEvaluationInterval: '15s',"
    " freshnessSeconds: 75, prometheus+: { scrapeInterval: '15s', scrapeTimeout: '10s',"
    " evaluationInterval: '15s' }";
constexpr const char* slow_mixin =
    "alertmanagerConfig+:: { route+: { group_wait: '0s', group_interval: '1s' } }";

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

double seconds(steady::duration d) { return std::chrono::duration<double>(d).count(); }

/// Median, p90, min, max of `v` (seconds).
std::string stats(std::vector<double> v) {
  if (v.empty()) return "no data";
  std::sort(v.begin(), v.end());
  const auto at = [&](double p) { return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5)]; };
  return fmt::format("{:6.2f} {:6.2f} {:6.2f} {:6.2f}  (n={})", at(0.5), at(0.9), v.front(), v.back(),
                     v.size());
}

/// Stage timestamps of one fault, seconds after the injection.
struct fault_timing {
  double detected = 0;  ///< the agent's data_plane_ok went 0
  double scraped = 0;   ///< Prometheus holds a 0 sample of wgwatch_tunnel_healthy{device="wg0"}
  /// ALERTS{alertstate="firing"} of the failover alert seen in Prometheus; unset when the
  /// webhook came first (one poll round covers both and takes longer than AM's delivery).
  std::optional<double> firing;
  double webhook = 0;   ///< the failover notification arrived
};

/// Repair timings, seconds after the repair.
struct repair_timing {
  double recovered = 0;  ///< the agent's data_plane_ok went 1
  double webhook = 0;    ///< the resolve arrived
};

class failover_bench : public ::testing::Test {
 protected:
  void SetUp() override {
    WGWATCH_REQUIRE_NETNS_LAB();
    for (const char* p : {"nft", "prometheus", "prometheus-alertmanager", "jsonnet"}) {
      WGWATCH_REQUIRE_PROGRAM(p);
    }
    lab_ = std::make_unique<failover_lab>();
    primary_ = std::make_unique<tunnel_drop>(lab_->far, "wgf0");
    standby_ = std::make_unique<tunnel_drop>(lab_->far, "wgf1");
  }
  void TearDown() override {
    primary_.reset();
    standby_.reset();
    lab_.reset();
  }

  /// Sleeps a random fraction of `period`: de-phases the fault from scrape and eval ticks.
  void dephase(milliseconds period) {
    std::uniform_int_distribution<long> d(0, period.count());
    std::this_thread::sleep_for(milliseconds(d(rng_)));
  }

  /// Injects the fault and follows it stage by stage until the failover webhook (or 120 s).
  std::optional<fault_timing> time_fault(const failover_loop& loop) {
    const std::size_t from = loop.receiver.received().size();
    primary_->on();
    const auto t0 = steady::now();
    fault_timing t;
    bool detected = false, scraped = false;
    const auto& prom = loop.stack->prometheus();
    while (steady::now() - t0 < 120s) {
      if (!detected && agent_tunnel_value(parse_exposition(loop.agent.scrape().body), "data_plane_ok", "wg0") == 0.0) {
        detected = true;
        t.detected = seconds(steady::now() - t0);
      }
      if (!scraped && !prom.query("wgwatch_tunnel_healthy{device=\"wg0\"} == 0").empty()) {
        scraped = true;
        t.scraped = seconds(steady::now() - t0);
      }
      if (!t.firing && !prom.query("ALERTS{alertname=\"WireGuardTunnelFailover\",alertstate=\"firing\"}").empty()) {
        t.firing = seconds(steady::now() - t0);
      }
      if (const auto n = loop.receiver.wait_for(
              [](const notification& x) { return to_failover(x, "firing"); }, 20ms, from)) {
        t.webhook = seconds(n->at - t0);
        return t;
      }
    }
    return std::nullopt;
  }

  /// Repairs and follows the failback until the resolve (or grace + 120 s).
  std::optional<repair_timing> time_repair(const failover_loop& loop, milliseconds grace) {
    const std::size_t from = loop.receiver.received().size();
    primary_->off();
    const auto t0 = steady::now();
    repair_timing t;
    bool recovered = false;
    while (steady::now() - t0 < grace + 120s) {
      if (!recovered && agent_tunnel_value(parse_exposition(loop.agent.scrape().body), "data_plane_ok", "wg0") == 1.0) {
        recovered = true;
        t.recovered = seconds(steady::now() - t0);
      }
      if (const auto n = loop.receiver.wait_for(
              [](const notification& x) { return to_failover(x, "resolved"); }, 50ms, from)) {
        t.webhook = seconds(n->at - t0);
        return t;
      }
    }
    return std::nullopt;
  }

  /// `trials` fault/repair cycles on one loop; prints the table rows.
  void latency_run(const std::string& name, const policy_bundle& bundle,
                   std::optional<stack_intervals> intervals, int trials) {
    if (trials <= 0) {  // a configuration turned off (WGWATCH_FAILOVER_BENCH_*_TRIALS=0)
      rows_ += name + ": not run (0 trials)\n";
      return;
    }
    const auto grace = bundle.grace();
    const auto period = intervals ? intervals->scrape : bundle.scrape_interval();
    failover_loop loop(bundle, intervals);
    ASSERT_TRUE(loop.wait_healthy(120s)) << loop.logs();
    std::vector<double> detected, scraped, firing, fired, recovered, resolved;
    int firing_unseen = 0;
    for (int i = 0; i < trials; ++i) {
      dephase(period);
      const auto f = time_fault(loop);
      ASSERT_TRUE(f) << name << " trial " << i << ": no failover\n" << loop.logs();
      const auto r = time_repair(loop, grace);
      ASSERT_TRUE(r) << name << " trial " << i << ": no resolve\n" << loop.logs();
      std::printf("  %s trial %2d: detect %.2f scrape %.2f firing %s webhook %.2f | recover %.2f resolve %.2f\n",
                  name.c_str(), i, f->detected, f->scraped,
                  f->firing ? fmt::format("{:.2f}", *f->firing).c_str() : "  - ", f->webhook, r->recovered,
                  r->webhook);
      std::fflush(stdout);
      detected.push_back(f->detected);
      scraped.push_back(f->scraped);
      if (f->firing) {
        firing.push_back(*f->firing);
      } else {
        ++firing_unseen;
      }
      fired.push_back(f->webhook);
      recovered.push_back(r->recovered);
      resolved.push_back(r->webhook);
      // Healthy in Prometheus again before the next fault.
      ASSERT_TRUE(loop.wait_healthy(120s)) << loop.logs();
    }
    std::vector<double> resolved_minus_grace;
    for (const double r : resolved) resolved_minus_grace.push_back(r - seconds(grace));
    rows_ += fmt::format("{} (grace {} s, {} trials)                median    p90    min    max\n", name,
                         seconds(grace), trials);
    rows_ += "  fault -> agent data_plane_ok 0      " + stats(detected) + "\n";
    rows_ += "  fault -> 0 scraped by Prometheus    " + stats(scraped) + "\n";
    rows_ += "  fault -> alert firing in Prometheus " + stats(firing) +
             (firing_unseen ? fmt::format(", {} trials: webhook first", firing_unseen) : "") + "\n";
    rows_ += "  fault -> failover webhook           " + stats(fired) + "\n";
    rows_ += "  repair -> agent data_plane_ok 1     " + stats(recovered) + "\n";
    rows_ += "  repair -> resolve webhook           " + stats(resolved) + "\n";
    rows_ += "  repair -> resolve, minus the grace  " + stats(resolved_minus_grace) + "\n";
    std::sort(fired.begin(), fired.end());
    fire_median_ = fired[fired.size() / 2];
  }

  std::unique_ptr<failover_lab> lab_;
  std::unique_ptr<tunnel_drop> primary_, standby_;
  std::mt19937 rng_{std::random_device{}()};
  std::string rows_;
  double fire_median_ = 0;  ///< of the last latency_run
};

TEST_F(failover_bench, fault_to_webhook_and_repair_to_resolve) {
  const int trials = env_int("WGWATCH_FAILOVER_BENCH_TRIALS", 10);
  const int slow_trials = env_int("WGWATCH_FAILOVER_BENCH_SLOW_TRIALS", 5);
  latency_run("fast (bundle: scrape 1s, eval 1s)", test_bundle(fast_grace), std::nullopt, trials);
  if (HasFatalFailure()) return;
  const double fast_median = fire_median_;
  latency_run("plain (scrape 15s, eval 15s)", policy_bundle::render(slow_config, slow_mixin),
              stack_intervals{15s, 15s}, slow_trials);
  if (HasFatalFailure()) return;
  std::printf("\n%s\n", rows_.c_str());
  std::printf("target: median fault -> webhook <= 5 s with the fast intervals: %s (%.2f s)\n",
              fast_median <= 5 ? "met" : "MISSED", fast_median);
}

TEST_F(failover_bench, false_failovers_and_failbacks) {
  const int trials = env_int("WGWATCH_FAILOVER_BENCH_FALSE_TRIALS", 3);
  const auto bundle = test_bundle(fast_grace);
  const auto grace = bundle.grace();
  const auto eval = bundle.evaluation_interval();
  int false_failbacks_flapping = 0, extra_failovers_flapping = 0;
  int false_failbacks_blind = 0, false_failovers_standby = 0;
  const auto count = [](const failover_loop& loop, std::string_view status) {
    int n = 0;
    for (const auto& x : loop.receiver.received()) n += to_failover(x, status) ? 1 : 0;
    return n;
  };
  for (int i = 0; i < trials; ++i) {
    {  // flapping: healthy stretches of 3 s (grace 10 s), 6 cycles
      failover_loop loop(bundle);
      ASSERT_TRUE(loop.wait_healthy(120s)) << loop.logs();
      ASSERT_TRUE(time_fault(loop)) << loop.logs();
      for (int c = 0; c < 6; ++c) {
        primary_->off();
        ASSERT_TRUE(wait_data_plane(loop.agent, "wg0", 1)) << loop.logs();
        std::this_thread::sleep_for(3s);
        primary_->on();
        ASSERT_TRUE(wait_data_plane(loop.agent, "wg0", 0)) << loop.logs();
        std::this_thread::sleep_for(2s);
      }
      false_failbacks_flapping += count(loop, "resolved");
      extra_failovers_flapping += count(loop, "firing") - 1;
      primary_->off();
    }
    {  // blind agent while failed over, the primary repaired meanwhile
      failover_loop loop(bundle);
      ASSERT_TRUE(loop.wait_healthy(120s)) << loop.logs();
      ASSERT_TRUE(time_fault(loop)) << loop.logs();
      ::kill(loop.agent.pid(), SIGSTOP);
      primary_->off();
      std::this_thread::sleep_for(grace + 5 * eval + 2s);
      false_failbacks_blind += count(loop, "resolved");
      ::kill(loop.agent.pid(), SIGCONT);
    }
    {  // standby down, then the primary
      failover_loop loop(bundle);
      ASSERT_TRUE(loop.wait_healthy(120s)) << loop.logs();
      standby_->on();
      ASSERT_TRUE(loop.receiver.wait_for(
          [](const notification& n) { return carries(n, "WireGuardStandbyUnhealthy", "firing"); }, 60s))
          << loop.logs();
      primary_->on();
      ASSERT_TRUE(loop.receiver.wait_for(
          [](const notification& n) { return carries(n, "WireGuardTunnelGroupDown", "firing"); }, 60s))
          << loop.logs();
      std::this_thread::sleep_for(10s);
      false_failovers_standby += count(loop, "firing");
      primary_->off();
      standby_->off();
    }
    std::printf("  false-decision round %d done\n", i);
    std::fflush(stdout);
  }
  std::printf("\nfalse decisions over %d trials each (target 0):\n", trials);
  std::printf("  flapping primary (6 cycles, healthy 3 s < grace %.0f s): false failbacks %d, extra failovers %d\n",
              seconds(grace), false_failbacks_flapping, extra_failovers_flapping);
  std::printf("  agent stopped %.0f s while failed over:              false failbacks %d\n",
              seconds(grace + 5 * eval + 2s), false_failbacks_blind);
  std::printf("  standby down, then primary down:                  false failovers %d\n",
              false_failovers_standby);
}

}  // namespace
}  // namespace wgwatch::test
