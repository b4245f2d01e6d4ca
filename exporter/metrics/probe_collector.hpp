// SPDX-License-Identifier: MIT
// probe_collector: the result_store's per-probe results -> wgwatch_probe_* families.
#pragma once

#include "metrics/collector.hpp"
#include "probes/result_store.hpp"

namespace wgwatch::metrics {

/// Pure: writes every wgwatch_probe_* family for the probes of `snap`, labelled {device,
/// probe, kind, target}. Counters by reason carry every reason (0 when it never happened);
/// phase durations carry every phase of the kind (TCP: connect; HTTP: connect, tls,
/// first_byte, transfer; 0 when the last round did not reach it). Series without a value yet
/// (success and phases before the first round, loss ratio with an empty window, last
/// success time of a probe that never succeeded) are absent.
void build_probe_families(const probe::store_snapshot& snap, exposition_writer& out);

class probe_collector final : public collector {
 public:
  /// `store` must outlive the collector.
  explicit probe_collector(probe::result_store& store) : store_(store) {}

  std::string_view name() const noexcept override { return "probe"; }
  /// Never fails: the store is in memory.
  result<void> collect(exposition_writer& out) override;

 private:
  probe::result_store& store_;
};

}  // namespace wgwatch::metrics
