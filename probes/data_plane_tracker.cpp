// SPDX-License-Identifier: MIT
// The sliding window and the hysteresis rule documented in data_plane_tracker.hpp.
#include "probes/data_plane_tracker.hpp"

namespace wgwatch::probe {

data_plane_tracker::data_plane_tracker(data_plane_rules rules) : rules_(rules) {}

bool data_plane_tracker::record(clock::time_point at, bool success) {
  rounds_.push_back({at, success});
  if (success) ++state_.successes;
  ++state_.rounds;
  return evaluate(at);
}

bool data_plane_tracker::advance(clock::time_point now) { return evaluate(now); }

bool data_plane_tracker::evaluate(clock::time_point now) {
  const auto oldest_kept = now - rules_.window;
  while (!rounds_.empty() && rounds_.front().at <= oldest_kept) {
    if (rounds_.front().success) --state_.successes;
    --state_.rounds;
    rounds_.pop_front();
  }
  state_.ratio = state_.rounds == 0
                     ? std::nullopt
                     : std::optional<double>(double(state_.successes) / double(state_.rounds));
  bool up = state_.up;
  if (state_.rounds < rules_.min_rounds) {
    up = false;
  } else if (up && *state_.ratio < rules_.down_below) {
    up = false;
  } else if (!up && *state_.ratio >= rules_.up_at) {
    up = true;
  }
  if (up == state_.up) return false;
  state_.up = up;
  ++state_.transitions;
  return true;
}

}  // namespace wgwatch::probe
