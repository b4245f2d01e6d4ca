// SPDX-License-Identifier: MIT
// Counters, histogram and loss window per probe; trackers per tunnel; all under one mutex.
#include "probes/result_store.hpp"

#include <algorithm>

namespace wgwatch::probe {

void latency_histogram::observe(double seconds) noexcept {
  const auto it = std::lower_bound(latency_buckets.begin(), latency_buckets.end(), seconds);
  if (it != latency_buckets.end()) ++counts[static_cast<std::size_t>(it - latency_buckets.begin())];
  ++count;
  sum += seconds;
}

std::uint64_t latency_histogram::cumulative(std::size_t i) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t b = 0; b <= i && b < counts.size(); ++b) total += counts[b];
  return total;
}

namespace {

// What a round adds to the loss window: ICMP counts echoes; a round that sent none (link
// down, bind error, cut by the timeout before reporting) counts as all of its echoes lost.
// TCP and HTTP count the round.
std::pair<std::uint64_t, std::uint64_t> loss_of(const probe_spec& spec, const probe_result& r) {
  if (const auto* icmp = std::get_if<icmp_spec>(&spec.options)) {
    if (r.packets_sent > 0) {
      return {r.packets_sent, r.packets_sent - std::min(r.packets_received, r.packets_sent)};
    }
    const std::uint64_t expected = std::max<std::uint32_t>(icmp->packets, 1);
    return {expected, r.success ? 0 : expected};
  }
  return {1, r.success ? 0 : 1};
}

}  // namespace

result_store::tunnel_entry* result_store::find_tunnel(std::string_view interface) {
  for (auto& t : tunnels_) {
    if (t.interface == interface) return &t;
  }
  return nullptr;
}

void result_store::add_tunnel(std::string interface, data_plane_rules rules) {
  std::lock_guard lock(mutex_);
  if (find_tunnel(interface) != nullptr) return;
  tunnels_.push_back({std::move(interface), data_plane_tracker(rules)});
}

std::size_t result_store::add_probe(std::string tunnel, probe_spec spec) {
  std::lock_guard lock(mutex_);
  if (find_tunnel(tunnel) == nullptr) tunnels_.push_back({tunnel, data_plane_tracker()});
  std::size_t index = 0;
  while (tunnels_[index].interface != tunnel) ++index;
  probe_entry e;
  e.stats.tunnel = std::move(tunnel);
  e.stats.spec = std::move(spec);
  e.tunnel_index = index;
  probes_.push_back(std::move(e));
  return probes_.size() - 1;
}

void result_store::expire_loss(probe_entry& p, steady_clock::time_point now) {
  const auto oldest_kept = now - tunnels_[p.tunnel_index].tracker.rules().window;
  while (!p.loss.empty() && p.loss.front().at <= oldest_kept) {
    p.loss_sent -= p.loss.front().sent;
    p.loss_lost -= p.loss.front().lost;
    p.loss.pop_front();
  }
  p.stats.loss_ratio = p.loss_sent == 0
                           ? std::nullopt
                           : std::optional<double>(double(p.loss_lost) / double(p.loss_sent));
}

record_outcome result_store::record(std::string_view tunnel, std::string_view probe,
                                    const probe_result& r, steady_clock::time_point at,
                                    system_clock::time_point wall) {
  std::size_t handle = 0;
  {
    std::lock_guard lock(mutex_);
    const auto it = std::find_if(probes_.begin(), probes_.end(), [&](const probe_entry& e) {
      return e.stats.tunnel == tunnel && e.stats.spec.name == probe;
    });
    if (it == probes_.end()) return {};
    handle = static_cast<std::size_t>(it - probes_.begin());
  }
  return record(handle, r, at, wall);  // probes are never removed: the handle stays valid
}

record_outcome result_store::record(std::size_t handle, const probe_result& r,
                                    steady_clock::time_point at, system_clock::time_point wall) {
  std::lock_guard lock(mutex_);
  if (handle >= probes_.size()) return {};
  const auto it = probes_.begin() + static_cast<std::ptrdiff_t>(handle);
  auto& s = it->stats;
  record_outcome outcome;
  // The first round counts as a change only when it fails: a probe starts out "ok".
  const bool was_ok = !s.last || s.last->success;
  outcome.probe_changed = was_ok != r.success;

  ++s.runs_total;
  if (r.success) {
    s.consecutive_failures = 0;
    s.last_success = wall;
  } else {
    ++s.consecutive_failures;
    const auto reason = r.reason == failure_reason::none ? failure_reason::internal : r.reason;
    ++s.failures_by_reason[static_cast<std::size_t>(reason)];
  }
  if (s.spec.probe_kind() == kind::icmp) {
    for (const auto rtt : r.rtts) s.latency.observe(rtt.count());
    s.packets_sent_total += r.packets_sent;
    s.packets_received_total += r.packets_received;
  } else if (r.success) {
    s.latency.observe(r.duration.count());
  }
  const auto [sent, lost] = loss_of(s.spec, r);
  it->loss.push_back({at, sent, lost});
  it->loss_sent += sent;
  it->loss_lost += lost;
  expire_loss(*it, at);
  s.last = r;

  auto& tracker = tunnels_[it->tunnel_index].tracker;
  outcome.data_plane_changed = tracker.record(at, r.success);
  outcome.data_plane_up = tracker.state().up;
  return outcome;
}

store_snapshot result_store::snapshot(steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  store_snapshot snap;
  snap.probes.reserve(probes_.size());
  for (auto& p : probes_) {
    expire_loss(p, now);
    snap.probes.push_back(p.stats);
  }
  snap.tunnels.reserve(tunnels_.size());
  for (auto& t : tunnels_) {
    t.tracker.advance(now);
    snap.tunnels.push_back({t.interface, t.tracker.state()});
  }
  return snap;
}

std::optional<data_plane_state> result_store::data_plane(std::string_view interface,
                                                         steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto* t = find_tunnel(interface);
  if (t == nullptr) return std::nullopt;
  t->tracker.advance(now);
  return t->tracker.state();
}

}  // namespace wgwatch::probe
