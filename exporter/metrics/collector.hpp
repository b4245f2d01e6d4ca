// SPDX-License-Identifier: MIT
// collector: one source of metric families, run once per scrape by collector_set.
#pragma once

#include <string_view>

#include "metrics/exposition_writer.hpp"
#include "util/result.hpp"

namespace wgwatch::metrics {

/// Fetches a snapshot and writes its families. Called on the scrape thread, one scrape at a
/// time.
class collector {
 public:
  virtual ~collector() = default;

  /// The value of the `collector` label.
  virtual std::string_view name() const noexcept = 0;

  /// Writes this collector's families. An error marks the collection failed
  /// (wgwatch_scrape_collector_success 0) but what was written stays: partial results are
  /// results. Must leave every family it starts complete.
  virtual result<void> collect(exposition_writer& out) = 0;
};

}  // namespace wgwatch::metrics
