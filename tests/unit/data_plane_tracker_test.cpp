// SPDX-License-Identifier: MIT
// data_plane_tracker: the window, min_rounds and the hysteresis rule, with explicit times.
#include "probes/data_plane_tracker.hpp"

#include <gtest/gtest.h>

namespace wgwatch::probe {
namespace {

using namespace std::chrono_literals;
using clock = data_plane_tracker::clock;

const clock::time_point t0{1000s};
constexpr auto interval = 5s;  // config::defaults::probe_interval

// One probe every `interval`, like a tunnel with one probe at the defaults.
struct one_probe {
  data_plane_tracker tracker{data_plane_rules{}};
  clock::time_point now = t0;
  int round = 0;

  bool next(bool success) {
    now = t0 + round++ * interval;
    return tracker.record(now, success);
  }
  void run(int n, bool success) {
    for (int i = 0; i < n; ++i) next(success);
  }
  bool up() const { return tracker.state().up; }
};

TEST(data_plane_tracker_test, defaults_are_a_window_of_twelve_rounds_of_the_default_interval) {
  const data_plane_rules rules;
  EXPECT_EQ(rules.window, 12 * interval);
  EXPECT_EQ(rules.min_rounds, 3u);
  EXPECT_DOUBLE_EQ(rules.down_below, 0.8);
  EXPECT_DOUBLE_EQ(rules.up_at, 0.95);
}

TEST(data_plane_tracker_test, starts_down_until_min_rounds_are_in_the_window) {
  one_probe p;
  EXPECT_FALSE(p.up());
  EXPECT_FALSE(p.tracker.state().ratio.has_value());
  p.next(true);
  p.next(true);
  EXPECT_FALSE(p.up()) << "2 rounds < min_rounds 3";
  EXPECT_EQ(p.tracker.state().ratio, 1.0);
  EXPECT_TRUE(p.next(true));
  EXPECT_TRUE(p.up());
  EXPECT_EQ(p.tracker.state().transitions, 1u);
}

TEST(data_plane_tracker_test, one_lost_round_does_not_flip_the_tunnel) {
  one_probe p;
  p.run(12, true);
  ASSERT_TRUE(p.up());
  EXPECT_FALSE(p.next(false));
  EXPECT_TRUE(p.up());
  EXPECT_NEAR(*p.tracker.state().ratio, 11.0 / 12, 1e-9);
  p.run(20, true);
  p.next(false);  // isolated losses, one per window, never flip it
  EXPECT_TRUE(p.up());
  EXPECT_EQ(p.tracker.state().transitions, 1u);
}

TEST(data_plane_tracker_test, silent_drop_goes_down_on_the_third_failed_round) {
  one_probe p;
  p.run(30, true);
  ASSERT_TRUE(p.up());
  ASSERT_EQ(p.tracker.state().rounds, 12u) << "window 12 intervals holds 12 rounds";
  EXPECT_FALSE(p.next(false));  // 11/12
  EXPECT_FALSE(p.next(false));  // 10/12 = 0.83 >= 0.8
  EXPECT_TRUE(p.up());
  EXPECT_TRUE(p.next(false));  // 9/12 = 0.75 < 0.8
  EXPECT_FALSE(p.up());
  EXPECT_EQ(p.tracker.state().successes, 9u);
  EXPECT_EQ(p.tracker.state().transitions, 2u);
}

TEST(data_plane_tracker_test, recovery_needs_up_at_not_just_down_below) {
  one_probe p;
  p.run(12, true);
  p.run(12, false);  // a long outage: the window is all failures
  ASSERT_FALSE(p.up());
  // Between down_below and up_at the state holds: 10/12 and 11/12 successes stay down.
  p.run(11, true);
  EXPECT_NEAR(*p.tracker.state().ratio, 11.0 / 12, 1e-9);
  EXPECT_FALSE(p.up()) << "0.92 >= down_below but < up_at";
  EXPECT_TRUE(p.next(true));  // 12/12 >= 0.95
  EXPECT_TRUE(p.up());
  EXPECT_EQ(p.tracker.state().transitions, 3u);  // up, down, up
}

TEST(data_plane_tracker_test, a_flapping_probe_does_not_flap_the_state) {
  // Alternating success and failure: ratio 0.5 keeps it down once down; from up it goes
  // down once and stays there.
  one_probe p;
  p.run(12, true);
  for (int i = 0; i < 40; ++i) p.next(i % 2 == 0);
  EXPECT_FALSE(p.up());
  EXPECT_EQ(p.tracker.state().transitions, 2u);
}

TEST(data_plane_tracker_test, old_rounds_leave_the_window) {
  one_probe p;
  p.run(12, true);
  p.run(2, false);
  ASSERT_TRUE(p.up());
  EXPECT_EQ(p.tracker.state().rounds, 12u);
  EXPECT_EQ(p.tracker.state().successes, 10u);
  // The failures leave the window 60 s after they happened, one round at a time.
  p.run(12, true);
  EXPECT_EQ(p.tracker.state().successes, 12u);
  EXPECT_EQ(p.tracker.state().ratio, 1.0);
}

TEST(data_plane_tracker_test, a_round_exactly_one_window_old_has_left) {
  data_plane_tracker t;
  t.record(t0, false);
  t.advance(t0 + 60s - 1ms);
  EXPECT_EQ(t.state().rounds, 1u);
  t.advance(t0 + 60s);
  EXPECT_EQ(t.state().rounds, 0u);
  EXPECT_FALSE(t.state().ratio.has_value());
}

TEST(data_plane_tracker_test, goes_down_when_its_rounds_stop_and_the_window_empties) {
  one_probe p;
  p.run(12, true);
  ASSERT_TRUE(p.up());
  EXPECT_FALSE(p.tracker.advance(p.now + 49s));  // 3 rounds left
  EXPECT_TRUE(p.up());
  EXPECT_TRUE(p.tracker.advance(p.now + 51s));  // 2 rounds left < min_rounds
  EXPECT_FALSE(p.up());
}

TEST(data_plane_tracker_test, rounds_of_several_probes_pool) {
  data_plane_tracker t;
  // Two probes per interval: one always fails (a dropped TCP port), one always passes.
  for (int i = 0; i < 24; ++i) {
    t.record(t0 + i * 5s, true);
    t.record(t0 + i * 5s + 1s, false);
  }
  EXPECT_EQ(t.state().rounds, 24u);
  EXPECT_DOUBLE_EQ(*t.state().ratio, 0.5);
  EXPECT_FALSE(t.state().up);
}

TEST(data_plane_tracker_test, custom_rules_and_min_rounds) {
  data_plane_rules rules;
  rules.window = 10s;
  rules.min_rounds = 5;
  rules.down_below = 0.5;
  rules.up_at = 0.6;
  data_plane_tracker t(rules);
  for (int i = 0; i < 4; ++i) t.record(t0 + i * 1s, true);
  EXPECT_FALSE(t.state().up);
  t.record(t0 + 4s, false);  // 4/5 = 0.8 >= 0.6
  EXPECT_TRUE(t.state().up);
  t.record(t0 + 5s, false);  // 4/6 = 0.67
  t.record(t0 + 6s, false);  // 4/7 = 0.57 >= 0.5
  EXPECT_TRUE(t.state().up);
  t.record(t0 + 7s, false);  // 4/8 = 0.5: not below
  EXPECT_TRUE(t.state().up);
  t.record(t0 + 8s, false);  // 4/9 < 0.5
  EXPECT_FALSE(t.state().up);
}

}  // namespace
}  // namespace wgwatch::probe
