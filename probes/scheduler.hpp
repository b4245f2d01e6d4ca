// SPDX-License-Identifier: MIT
// scheduler: one coroutine per probe on a single-threaded io_context: spread start, fixed
// rate, timeout, link check, record into the result_store.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "probes/probe.hpp"
#include "probes/result_store.hpp"

namespace wgwatch::probe {

/// True when `interface` exists, is administratively up and running (IFF_UP and
/// IFF_RUNNING: carrier, operstate up or unknown as WireGuard's is). if_nametoindex plus one
/// SIOCGIFFLAGS ioctl. Thread-safe.
bool interface_usable(std::string_view interface);

/// The grid that round starts fall on: interval / 40, between 1 and 25 ms. Probes whose
/// offsets share a slot start together, in one wakeup of the loop, and their answers come
/// back together. A wakeup from idle costs the loop more than a probe's own work (on a 2-core
/// VM, 1,000 ICMP probes a second: 93 us of CPU per probe with a wakeup or two each, 30 us at
/// ten per wakeup, 20 us at twenty-five), and forty slots per interval still spread the load.
inline constexpr std::chrono::milliseconds max_start_quantum{25};
std::chrono::milliseconds start_quantum(std::chrono::milliseconds interval) noexcept;

/// Where in [0, interval) a probe's rounds fall: FNV-1a of "tunnel/probe" picks one of the
/// interval's slots (start_quantum), so the offsets are spread, and stable across restarts.
std::chrono::milliseconds start_offset(std::string_view tunnel, std::string_view probe,
                                       std::chrono::milliseconds interval) noexcept;

/// Runs probes forever on one executor (the probe io_context, one thread). For each probe:
/// wait for its offset, then one round per interval on a fixed-rate schedule (a round that
/// overruns skips the slots it missed; it never bursts). A round is
///   - failure_reason::link_down, without running, when the tunnel interface is unusable (one
///     check serves the tunnel's probes for 50 ms; meanwhile a downed link fails their sends);
///   - otherwise run(), which is cut (cancelled) when it overruns its timeout, then
///     failure_reason::timeout;
///   - an exception from the probe is failure_reason::internal (logged once per probe).
/// Each round goes into the result_store; ok->failing and failing->ok changes of a probe,
/// and data-plane up/down changes of a tunnel, are logged at info.
class scheduler {
 public:
  using link_check = std::function<bool(std::string_view interface)>;

  /// `store` must outlive the scheduler; its tunnels and probes are registered by add().
  scheduler(boost::asio::any_io_executor executor, result_store& store,
            link_check usable = interface_usable);
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  /// Registers a probe of `tunnel` (the store learns of it too). Before start() only.
  void add(std::string tunnel, std::unique_ptr<probe> p);

  /// Spawns every probe's coroutine. Call once, from any thread.
  void start();

  /// Cancels every coroutine (a running round is cut at once, and not recorded). Thread-safe;
  /// returns before the coroutines finish: the io_context's run() returns once they have.
  void stop();

  std::size_t size() const noexcept { return probes_.size(); }

  /// Called on the executor when a round's slot timer fires, with the probe's kind and how
  /// late the round starts against its slot (now - slot; before the link check). For the
  /// probe benchmark (tests/bench/probe_bench.cpp). Before start() only.
  using start_observer = std::function<void(kind, std::chrono::steady_clock::duration lateness)>;
  void on_round_start(start_observer observe) { observe_start_ = std::move(observe); }

 private:
  struct entry;
  struct link_state;
  bool link_usable(entry& e) const;
  static void arm_watchdog(entry& e, std::chrono::steady_clock::time_point at);

  boost::asio::any_io_executor executor_;
  result_store& store_;
  link_check usable_;
  std::vector<std::unique_ptr<entry>> probes_;
  std::vector<std::unique_ptr<link_state>> links_;
  start_observer observe_start_;
};

}  // namespace wgwatch::probe
