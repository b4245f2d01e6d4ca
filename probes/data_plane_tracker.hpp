// SPDX-License-Identifier: MIT
// data_plane_tracker: a tunnel's probe rounds over a sliding window -> data-plane up/down,
// with hysteresis. Pure: time is passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "config/defaults.hpp"

namespace wgwatch::probe {

/// When the data-plane layer counts as up (config::health_config's data-plane part).
struct data_plane_rules {
  std::chrono::milliseconds window = config::defaults::data_plane_window;
  double down_below = config::defaults::data_plane_down_below;
  double up_at = config::defaults::data_plane_up_at;
  std::uint32_t min_rounds = config::defaults::data_plane_min_rounds;
};

/// What the tracker concludes at one point in time.
struct data_plane_state {
  bool up = false;
  std::uint32_t rounds = 0;     ///< rounds in the window
  std::uint32_t successes = 0;  ///< successful rounds in the window
  /// successes / rounds; nullopt while the window is empty.
  std::optional<double> ratio;
  /// Flips of `up` (either way) since the tracker was made.
  std::uint64_t transitions = 0;

  friend bool operator==(const data_plane_state&, const data_plane_state&) = default;
};

/// The data-plane layer of one tunnel. Every round of every probe of the tunnel counts once.
///
/// The rule, evaluated after each record() and advance():
///   1. Rounds at or before `now - window` leave the window.
///   2. Fewer than `min_rounds` rounds in the window: down (not enough evidence; this is
///      the initial state, and the state a tunnel whose rounds stop returns to).
///   3. Otherwise ratio = successes / rounds. Up and ratio < down_below: goes down.
///      Down and ratio >= up_at: comes up. Anything in between keeps the current state.
///
/// At the defaults (window 60 s, down_below 0.8, up_at 0.95, min_rounds 3) with one probe
/// every 5 s the window holds 12 rounds: 1 or 2 failures leave it up (11/12, 10/12 >= 0.8),
/// the 3rd consecutive failure takes it down (9/12 = 0.75), and coming back needs a window
/// with at most 0 failures of 12 (11/12 = 0.92 < 0.95): 12 clean rounds after a sustained
/// outage. Not thread-safe (result_store guards it).
class data_plane_tracker {
 public:
  using clock = std::chrono::steady_clock;

  explicit data_plane_tracker(data_plane_rules rules = {});

  /// Adds a round at `at` (not earlier than the previous one) and re-evaluates. Returns true
  /// when `up` flipped.
  bool record(clock::time_point at, bool success);

  /// Drops rounds that left the window by `now` and re-evaluates; true when `up` flipped.
  bool advance(clock::time_point now);

  const data_plane_state& state() const noexcept { return state_; }
  const data_plane_rules& rules() const noexcept { return rules_; }

 private:
  struct round {
    clock::time_point at;
    bool success;
  };

  bool evaluate(clock::time_point now);

  data_plane_rules rules_;
  std::deque<round> rounds_;
  data_plane_state state_;
};

}  // namespace wgwatch::probe
