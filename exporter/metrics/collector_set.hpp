// SPDX-License-Identifier: MIT
// collector_set: runs every enabled collector per scrape, adds the agent's own metrics, and
// lets nothing escape to the HTTP layer.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "metrics/collector.hpp"

namespace wgwatch::metrics {

class collector_set {
 public:
  explicit collector_set(std::vector<std::unique_ptr<collector>> collectors);

  /// The full exposition body. Thread-safe: scrapes are serialised, because sources are
  /// not. Never throws for a collector's failure: that collector reports success 0 and what
  /// it had written before failing is dropped only if it threw.
  std::string render();

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<collector>> collectors_;
  // The agent's counters live in a prometheus-cpp registry: small, and updated outside scrapes.
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<prometheus::Counter*> errors_;  // wgwatch_scrape_errors_total, per collector
};

}  // namespace wgwatch::metrics
