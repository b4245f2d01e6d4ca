// SPDX-License-Identifier: MIT
// scheduler: start spreading, fixed-rate slots, timeouts, link checks, exceptions and stop,
// with test probes; then real TCP probes against a loopback listener.
#include "probes/scheduler.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

probe_spec spec_of(std::string name, std::chrono::milliseconds interval,
                   std::chrono::milliseconds timeout) {
  probe_spec s;
  s.name = std::move(name);
  s.target = "test";
  s.interval = interval;
  s.timeout = timeout;
  s.options = tcp_spec{"127.0.0.1", 1};
  return s;
}

// Records when each round starts; each round takes `work` and then succeeds, hangs (work
// longer than any timeout), or throws.
class test_probe final : public probe {
 public:
  enum class mode { succeed, hang, throw_error };

  test_probe(probe_spec spec, mode m, std::chrono::milliseconds work = 0ms)
      : spec_(std::move(spec)), mode_(m), work_(work) {}

  asio::awaitable<probe_result> run() override {
    starts.push_back(steady::now());
    if (mode_ == mode::throw_error) throw std::runtime_error("probe bug");
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(mode_ == mode::hang ? std::chrono::milliseconds(1h) : work_);
    co_await t.async_wait(asio::use_awaitable);  // throws when cancelled
    ++completed;
    probe_result r;
    r.success = true;
    r.duration = work_;
    co_return r;
  }
  const probe_spec& spec() const noexcept override { return spec_; }

  std::vector<steady::time_point> starts;
  int completed = 0;

 private:
  probe_spec spec_;
  mode mode_;
  std::chrono::milliseconds work_;
};

struct harness {
  asio::io_context io;
  result_store store;
  scheduler sched;

  explicit harness(scheduler::link_check usable = [](std::string_view) { return true; })
      : sched(io.get_executor(), store, std::move(usable)) {}

  test_probe* add(std::string tunnel, probe_spec spec, test_probe::mode m,
                  std::chrono::milliseconds work = 0ms) {
    auto p = std::make_unique<test_probe>(std::move(spec), m, work);
    auto* raw = p.get();
    sched.add(std::move(tunnel), std::move(p));
    return raw;
  }

  // Runs for `d`, then stops and returns how long the loop took to wind down.
  steady::duration run_then_stop(steady::duration d) {
    start_called = steady::now();
    sched.start();
    start_returned = steady::now();
    io.run_for(d);
    sched.stop();
    const auto stopping = steady::now();
    io.restart();
    io.run();
    return steady::now() - stopping;
  }

  // Runs until `done()` holds (counts of rounds, not durations: a loaded machine only makes
  // them take longer), with `guard` as the hang guard; then stops and winds down.
  template <typename Done>
  void run_until(Done done, steady::duration guard = 20s) {
    start_called = steady::now();
    sched.start();
    start_returned = steady::now();
    pump_until(done, guard);
    sched.stop();
    io.restart();
    io.run();
  }

  // Runs the loop in 10 ms steps until `done()` holds or `guard` passed.
  template <typename Done>
  void pump_until(Done done, steady::duration guard) {
    const auto until = steady::now() + guard;
    while (!done() && steady::now() < until) io.run_for(10ms);
  }

  const probe_stats& stats(std::string_view name) {
    snap = store.snapshot();
    for (const auto& p : snap.probes) {
      if (p.spec.name == name) return p;
    }
    throw std::logic_error("no such probe");
  }

  store_snapshot snap;
  steady::time_point start_called, start_returned;
};

// The scheduler's grid starts at the first max_start_quantum boundary after start() began:
// the boundary after `at`.
steady::time_point quantum_after(steady::time_point at) {
  const auto q = std::chrono::duration_cast<steady::duration>(max_start_quantum);
  return steady::time_point((at.time_since_epoch() / q + 1) * q);
}

// Where each round started on the grid anchor + k * interval: its slot k and how late in it.
// Timers never fire early, so load only makes rounds later or skips slots.
struct on_grid {
  std::int64_t slot;
  steady::duration late;
};
std::vector<on_grid> on_the_grid(const std::vector<steady::time_point>& starts,
                                 steady::time_point anchor, std::chrono::milliseconds interval) {
  std::vector<on_grid> out;
  for (const auto at : starts) {
    const auto since = at - anchor;
    const auto slot = since / interval;
    out.push_back({static_cast<std::int64_t>(slot), since - slot * interval});
  }
  return out;
}

// The typical lateness: a few rounds delayed by a loaded machine do not move it.
steady::duration median_lateness(std::vector<on_grid> rounds) {
  std::sort(rounds.begin(), rounds.end(),
            [](const on_grid& a, const on_grid& b) { return a.late < b.late; });
  return rounds.empty() ? steady::duration::max() : rounds[rounds.size() / 2].late;
}

// The rounds of `p` on its grid, and their typical lateness. The grid's epoch is the quantum
// boundary after start() began, or the next one if start() ran across a boundary: of the two
// anchors the rounds allow, the one they fit best.
struct grid_fit {
  std::vector<on_grid> rounds;
  steady::duration typical_lateness;
};
grid_fit fit_grid(const harness& h, const test_probe& p, std::chrono::milliseconds offset,
                  std::chrono::milliseconds interval) {
  const auto first = quantum_after(h.start_called);
  grid_fit fit{on_the_grid(p.starts, first + offset, interval), steady::duration::max()};
  for (const auto epoch : {first, quantum_after(h.start_returned)}) {
    if (!p.starts.empty() && epoch + offset <= p.starts.front()) {
      fit.typical_lateness = std::min(
          fit.typical_lateness, median_lateness(on_the_grid(p.starts, epoch + offset, interval)));
    }
  }
  return fit;
}

TEST(scheduler_test, start_offsets_are_stable_spread_and_inside_the_interval) {
  EXPECT_EQ(start_offset("wg0", "ping", 5s), start_offset("wg0", "ping", 5s));
  EXPECT_NE(start_offset("wg0", "ping", 5s), start_offset("wg1", "ping", 5s));
  std::set<std::int64_t> tenths;
  for (int i = 0; i < 100; ++i) {
    const auto o = start_offset("wg0", "probe-" + std::to_string(i), 1000ms);
    ASSERT_GE(o, 0ms);
    ASSERT_LT(o, 1000ms);
    tenths.insert(o.count() / 100);
  }
  EXPECT_GE(tenths.size(), 9u) << "100 probes should land in (almost) every tenth";
  EXPECT_EQ(start_offset("wg0", "x", 0ms), 0ms);
}

TEST(scheduler_test, first_rounds_follow_the_offsets_not_a_thundering_herd) {
  harness h;
  std::vector<std::pair<test_probe*, std::chrono::milliseconds>> probes;
  for (int i = 0; i < 8; ++i) {
    auto spec = spec_of("p" + std::to_string(i), 600ms, 100ms);
    const auto offset = start_offset("wg0", spec.name, spec.interval);
    probes.emplace_back(h.add("wg0", spec, test_probe::mode::succeed), offset);
  }
  const auto started = steady::now();
  h.run_then_stop(1150ms);  // every first round, even on a loaded machine
  // Each first round waits for its own offset (a herd would start them all at once) and
  // they start in the order of their offsets. How late they are is load, not a property.
  for (const auto& [p, offset] : probes) {
    ASSERT_FALSE(p->starts.empty());
    EXPECT_GE(p->starts.front() - started, offset);
  }
  auto by_offset = probes;
  std::stable_sort(by_offset.begin(), by_offset.end(),
                   [](const auto& a, const auto& b) { return a.second < b.second; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    EXPECT_LE(by_offset[i - 1].first->starts.front(), by_offset[i].first->starts.front())
        << "offsets " << by_offset[i - 1].second.count() << " and " << by_offset[i].second.count()
        << " ms started out of order";
  }
  EXPECT_GT(by_offset.back().second - by_offset.front().second, 200ms) << "offsets bunched";
}

TEST(scheduler_test, rounds_run_at_a_fixed_rate_and_overruns_skip_slots) {
  harness h;
  auto* steady_probe =
      h.add("wg0", spec_of("steady", 200ms, 180ms), test_probe::mode::succeed, 90ms);
  // Each round takes 250 ms of a 100 ms interval: it runs on every third slot, never back
  // to back to catch up.
  auto* slow = h.add("wg0", spec_of("slow", 100ms, 1000ms), test_probe::mode::succeed, 250ms);
  h.run_then_stop(1100ms);
  // Fixed rate: rounds start on the grid epoch + offset + k * interval, at most one per
  // slot, and late wake-ups do not accumulate: the typical lateness stays well under a
  // quarter interval (a fixed delay after each 90 ms round would add 90 ms a round: 0, 90,
  // 180, 70, 160: typically 90). Conditions, not figures: a loaded machine makes single
  // rounds late or skips slots.
  const auto steady_fit = fit_grid(h, *steady_probe, start_offset("wg0", "steady", 200ms), 200ms);
  ASSERT_GE(steady_fit.rounds.size(), 3u);
  for (std::size_t i = 1; i < steady_fit.rounds.size(); ++i) {
    EXPECT_GT(steady_fit.rounds[i].slot, steady_fit.rounds[i - 1].slot) << "two rounds in one slot";
  }
  EXPECT_LT(steady_fit.typical_lateness, 50ms) << "rounds drift off the grid";
  // The slow probe starts on the grid in the first free slot after it finished (3 slots or
  // more later), never right away to catch up.
  const auto slow_fit = fit_grid(h, *slow, start_offset("wg0", "slow", 100ms), 100ms);
  ASSERT_GE(slow_fit.rounds.size(), 2u);
  for (std::size_t i = 1; i < slow_fit.rounds.size(); ++i) {
    EXPECT_GE(slow_fit.rounds[i].slot - slow_fit.rounds[i - 1].slot, 3) << i;
  }
  EXPECT_LT(slow_fit.typical_lateness, 50ms) << "rounds drift off the grid";
  EXPECT_EQ(h.stats("steady").runs_total, static_cast<std::uint64_t>(steady_probe->completed));
}

TEST(scheduler_test, a_hanging_probe_is_cut_at_its_timeout) {
  harness h;
  auto* p = h.add("wg0", spec_of("hang", 200ms, 80ms), test_probe::mode::hang);
  testing::internal::CaptureStderr();
  h.run_until([&] { return h.stats("hang").runs_total >= 4; });
  const auto log = testing::internal::GetCapturedStderr();
  const auto& s = h.stats("hang");
  EXPECT_GE(s.runs_total, 4u);
  EXPECT_EQ(s.failures_total(failure_reason::timeout), s.runs_total);
  ASSERT_TRUE(s.last);
  EXPECT_FALSE(s.last->success);
  EXPECT_GE(s.last->duration, std::chrono::milliseconds(80));
  // Hang guard, not a figure: uncut, the round would run for an hour.
  EXPECT_LT(s.last->duration, std::chrono::seconds(10));
  EXPECT_EQ(p->completed, 0);
  EXPECT_EQ(s.consecutive_failures, s.runs_total);
  // One state change logged, not one line per round.
  const auto first = log.find("msg=\"probe failing\"");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("msg=\"probe failing\"", first + 1), std::string::npos) << log;
  EXPECT_NE(log.find("reason=timeout"), std::string::npos) << log;
  EXPECT_EQ(log.find("probe threw"), std::string::npos) << log;
}

TEST(scheduler_test, an_exception_is_an_internal_failure_and_the_loop_goes_on) {
  harness h;
  h.add("wg0", spec_of("buggy", 100ms, 50ms), test_probe::mode::throw_error);
  h.add("wg0", spec_of("fine", 100ms, 50ms), test_probe::mode::succeed);
  testing::internal::CaptureStderr();
  h.run_until([&] { return h.stats("buggy").runs_total >= 4 && h.stats("fine").runs_total >= 4; });
  const auto log = testing::internal::GetCapturedStderr();
  const auto& buggy = h.stats("buggy");
  EXPECT_GE(buggy.runs_total, 4u) << "the loop survives the exception";
  EXPECT_EQ(buggy.failures_total(failure_reason::internal), buggy.runs_total);
  EXPECT_GE(h.stats("fine").runs_total, 4u);
  EXPECT_EQ(h.stats("fine").failures_total(failure_reason::internal), 0u);
  // Logged once, with the probe and its tunnel.
  const auto first = log.find("msg=\"probe threw\"");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("msg=\"probe threw\"", first + 1), std::string::npos) << log;
  EXPECT_NE(log.find("probe=buggy"), std::string::npos) << log;
  EXPECT_NE(log.find("device=wg0"), std::string::npos) << log;
  EXPECT_NE(log.find("probe bug"), std::string::npos) << log;
}

TEST(scheduler_test, a_down_link_is_recorded_without_running_the_probe) {
  harness h([](std::string_view interface) { return interface != "wg-down"; });
  auto* down = h.add("wg-down", spec_of("ping", 100ms, 50ms), test_probe::mode::succeed);
  auto* up = h.add("wg-up", spec_of("ping", 100ms, 50ms), test_probe::mode::succeed);
  h.run_until([&] {
    const auto snap = h.store.snapshot();
    return snap.probes[0].runs_total >= 3 && snap.probes[1].runs_total >= 3;
  });
  EXPECT_TRUE(down->starts.empty());
  EXPECT_FALSE(up->starts.empty());
  const auto snap = h.store.snapshot();
  ASSERT_EQ(snap.probes.size(), 2u);
  EXPECT_EQ(snap.probes[0].tunnel, "wg-down");
  EXPECT_GE(snap.probes[0].runs_total, 3u);
  EXPECT_EQ(snap.probes[0].failures_total(failure_reason::link_down), snap.probes[0].runs_total);
  EXPECT_EQ(snap.probes[1].failures_by_reason[static_cast<std::size_t>(failure_reason::link_down)],
            0u);
  EXPECT_FALSE(snap.tunnels[0].data_plane.up);
  EXPECT_TRUE(snap.tunnels[1].data_plane.up) << "3 or more clean rounds";
}

TEST(scheduler_test, the_real_link_check_sees_loopback_and_missing_interfaces) {
  EXPECT_TRUE(interface_usable("lo"));
  EXPECT_FALSE(interface_usable("wgwatch-none0"));
  EXPECT_FALSE(interface_usable(""));
  EXPECT_FALSE(interface_usable("a-name-longer-than-ifnamsiz"));
}

TEST(scheduler_test, stop_cuts_a_running_round_promptly_and_does_not_record_it) {
  harness h;
  // Interval and timeout far longer than the test: at stop() the round is in flight.
  auto spec = spec_of("hang", 20s, 10s);
  auto* p = h.add("wg0", spec, test_probe::mode::hang);
  const auto offset = start_offset("wg0", spec.name, spec.interval);
  testing::internal::CaptureStderr();
  const auto wind_down = h.run_then_stop(offset + 1s);
  const auto log = testing::internal::GetCapturedStderr();
  ASSERT_EQ(p->starts.size(), 1u);
  EXPECT_EQ(log.find("probe threw"), std::string::npos) << "cancellation is no error: " << log;
  // Cut, not waited for: the round would end at its 10 s timeout. Half of that is the hang
  // guard; how fast stop() is belongs to a benchmark.
  EXPECT_LT(wind_down, 5s);
  EXPECT_EQ(h.stats("hang").runs_total, 0u);
}

TEST(scheduler_test, stop_before_the_first_round_ends_every_loop) {
  harness h;
  h.add("wg0", spec_of("a", 30s, 1s), test_probe::mode::succeed);
  h.add("wg1", spec_of("b", 30s, 1s), test_probe::mode::succeed);
  // Left running, the loops would wait for their first rounds (offsets of up to 30 s): the
  // loop ends long before the earlier of them. No figure to flake on a loaded machine.
  const auto first_due = std::min(start_offset("wg0", "a", 30s), start_offset("wg1", "b", 30s));
  ASSERT_GE(first_due, 2s) << "pick probe names with later offsets";
  EXPECT_LT(h.run_then_stop(10ms), first_due / 2);
  EXPECT_EQ(h.store.snapshot().probes[0].runs_total, 0u);
}

// --- real TCP probes through make_probe, on loopback --------------------------------------

// Why this process may not bind a socket to `interface` (SO_BINDTODEVICE), checked with a
// plain socket before the probe runs; nullopt when it may.
std::optional<std::string> missing_bind_to_device(const std::string& interface) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket(): ") + std::strerror(errno);
  const int rc = ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.data(),
                              static_cast<socklen_t>(interface.size()));
  const int err = errno;
  ::close(fd);
  if (rc == 0) return std::nullopt;
  return "SO_BINDTODEVICE to " + interface + " refused (" + std::strerror(err) +
         "): run as root (CAP_NET_RAW)";
}

TEST(scheduler_test, real_tcp_probes_against_a_loopback_listener) {
  // Skip only on a capability missing before the code under test runs: a bind_error from
  // the probe itself is what a binding regression looks like, and fails the test.
  if (auto missing = missing_bind_to_device("lo")) GTEST_SKIP() << *missing;
  harness h(interface_usable);
  asio::ip::tcp::acceptor open(h.io, {asio::ip::make_address("127.0.0.1"), 0});
  std::uint16_t closed_port = 0;
  {
    asio::ip::tcp::acceptor closed(h.io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = closed.local_endpoint().port();
  }
  // Accept and drop connections, so the backlog never fills.
  std::function<void()> accept = [&] {
    open.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket) {
      if (!ec) accept();
    });
  };
  accept();

  auto tcp_to = [](std::string name, std::uint16_t port) {
    auto s = spec_of(std::move(name), 100ms, 80ms);
    s.target = "127.0.0.1:" + std::to_string(port);
    s.options = tcp_spec{"127.0.0.1", port};
    return s;
  };
  const binding lo{"lo", std::nullopt, 0};
  h.sched.add("lo",
              make_probe(h.io.get_executor(), tcp_to("open", open.local_endpoint().port()), lo));
  h.sched.add("lo", make_probe(h.io.get_executor(), tcp_to("closed", closed_port), lo));
  h.sched.start();
  h.pump_until([&] { return h.stats("open").runs_total >= 3 && h.stats("closed").runs_total >= 3; },
               20s);
  h.sched.stop();
  open.close();
  h.io.restart();
  h.io.run_for(1s);

  const auto& ok = h.stats("open");
  ASSERT_GE(ok.runs_total, 3u);
  // The process may bind to lo (checked up front): a bind_error is the probe's own bug.
  EXPECT_EQ(ok.failures_total(failure_reason::bind_error), 0u) << "binding to lo failed";
  EXPECT_EQ(ok.runs_total, ok.latency.count) << "every round succeeded";
  EXPECT_TRUE(ok.last && ok.last->success);
  EXPECT_TRUE(ok.last_success.has_value());
  const auto& refused = h.stats("closed");
  ASSERT_GE(refused.runs_total, 3u);
  EXPECT_EQ(refused.failures_total(failure_reason::refused), refused.runs_total);
  EXPECT_FALSE(h.snap.tunnels[0].data_plane.up) << "half of lo's rounds fail";
}

}  // namespace
}  // namespace wgwatch::probe
