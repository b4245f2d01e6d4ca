// SPDX-License-Identifier: MIT
// result_store: every probe's results, counters and histogram, and each tunnel's data-plane
// tracker, behind one mutex; snapshot() copies them for a scrape.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/data_plane_tracker.hpp"
#include "probes/probe_result.hpp"
#include "probes/probe_spec.hpp"

namespace wgwatch::probe {

/// Upper bounds (seconds) of the latency histogram: tunnel RTTs, from a LAN hop (0.5 ms) to
/// a congested satellite path (5 s).
inline constexpr std::array<double, 13> latency_buckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

/// Observations per bucket (not cumulative: `counts[i]` holds values in
/// (bucket[i-1], bucket[i]]; values above the last bucket only count in `count`).
struct latency_histogram {
  std::array<std::uint64_t, latency_buckets.size()> counts{};
  std::uint64_t count = 0;
  double sum = 0;

  void observe(double seconds) noexcept;
  /// Observations <= latency_buckets[i] (the `le` bucket of the exposition format).
  std::uint64_t cumulative(std::size_t i) const noexcept;
};

/// Number of failure_reason values (failures_by_reason is indexed by the enum's value).
inline constexpr std::size_t failure_reason_count =
    static_cast<std::size_t>(failure_reason::internal) + 1;

/// Everything kept about one probe (one tunnel interface, one probe name).
struct probe_stats {
  std::string tunnel;  ///< the tunnel interface: the `device` label
  probe_spec spec;
  std::optional<probe_result> last;
  std::uint64_t runs_total = 0;
  std::array<std::uint64_t, failure_reason_count> failures_by_reason{};
  std::uint64_t consecutive_failures = 0;
  std::optional<std::chrono::system_clock::time_point> last_success;
  /// ICMP: every echo RTT; TCP and HTTP: the duration of each successful round.
  latency_histogram latency;
  /// ICMP: packets lost / sent; TCP and HTTP: failed rounds / rounds; over the tunnel's health
  /// window. nullopt while the window is empty.
  std::optional<double> loss_ratio;
  /// ICMP echoes sent and answered, all time.
  std::uint64_t packets_sent_total = 0;
  std::uint64_t packets_received_total = 0;

  std::uint64_t failures_total(failure_reason r) const noexcept {
    return failures_by_reason[static_cast<std::size_t>(r)];
  }
};

struct tunnel_stats {
  std::string interface;
  data_plane_state data_plane;
};

/// A consistent copy for one scrape, probes and tunnels in registration order.
struct store_snapshot {
  std::vector<probe_stats> probes;
  std::vector<tunnel_stats> tunnels;
};

/// What recording one round changed, for the scheduler's state-change logs.
struct record_outcome {
  bool probe_changed = false;  ///< the probe went ok -> failing or failing -> ok
  bool data_plane_changed = false;
  bool data_plane_up = false;  ///< after this round
};

/// Thread-safe: the scheduler records from the probe thread, collectors snapshot from the
/// scrape thread. Tunnels and probes are registered before the scheduler starts.
class result_store {
 public:
  using steady_clock = std::chrono::steady_clock;
  using system_clock = std::chrono::system_clock;

  /// Registers a tunnel (idempotent: a second call keeps the first rules).
  void add_tunnel(std::string interface, data_plane_rules rules);
  /// Registers a probe of a registered tunnel (its tunnel is added with default rules if not).
  /// Returns its handle for record().
  std::size_t add_probe(std::string tunnel, probe_spec spec);

  /// Records one round of probe `handle` (from add_probe) finished at `at` (`wall` for the
  /// last-success time). The scheduler's path: no name lookup.
  record_outcome record(std::size_t handle, const probe_result& r, steady_clock::time_point at,
                        system_clock::time_point wall);
  /// The same by (tunnel, probe name). Unknown probes are ignored (returns all false).
  record_outcome record(std::string_view tunnel, std::string_view probe, const probe_result& r,
                        steady_clock::time_point at, system_clock::time_point wall);

  /// Copies everything, first moving every window to `now` (so a tunnel whose rounds stopped
  /// loses its evidence and goes down, as data_plane_tracker documents).
  store_snapshot snapshot(steady_clock::time_point now = steady_clock::now());

  /// One tunnel's data-plane state at `now`; nullopt for an unknown tunnel.
  std::optional<data_plane_state> data_plane(std::string_view interface,
                                             steady_clock::time_point now = steady_clock::now());

 private:
  struct loss_sample {
    steady_clock::time_point at;
    std::uint64_t sent;
    std::uint64_t lost;
  };
  struct probe_entry {
    probe_stats stats;
    std::size_t tunnel_index;
    std::deque<loss_sample> loss;
    std::uint64_t loss_sent = 0;
    std::uint64_t loss_lost = 0;
  };
  struct tunnel_entry {
    std::string interface;
    data_plane_tracker tracker;
  };

  tunnel_entry* find_tunnel(std::string_view interface);
  void expire_loss(probe_entry& p, steady_clock::time_point now);

  std::mutex mutex_;
  std::vector<tunnel_entry> tunnels_;
  std::vector<probe_entry> probes_;
};

}  // namespace wgwatch::probe
