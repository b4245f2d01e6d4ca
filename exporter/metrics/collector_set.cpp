// SPDX-License-Identifier: MIT
// Scrape orchestration: time each collector, catch everything, append meta-metrics.
#include "metrics/collector_set.hpp"

#include <prometheus/text_serializer.h>

#include <chrono>
#include <exception>

#include "util/log.hpp"

namespace wgwatch::metrics {

collector_set::collector_set(std::vector<std::unique_ptr<collector>> collectors)
    : collectors_(std::move(collectors)), registry_(std::make_shared<prometheus::Registry>()) {
  auto& family = prometheus::BuildCounter()
                     .Name("wgwatch_scrape_errors_total")
                     .Help("Scrapes in which a collector failed, in part or in whole.")
                     .Register(*registry_);
  for (const auto& c : collectors_) {
    errors_.push_back(&family.Add({{"collector", std::string(c->name())}}));
  }
}

std::string collector_set::render() {
  const std::lock_guard lock(mutex_);
  struct outcome {
    bool success;
    double seconds;
  };
  std::vector<outcome> outcomes;
  std::string body;
  // Collectors that write much reserve what they need (see wireguard_collector).
  body.reserve(16 * 1024);
  exposition_writer out(body);

  for (std::size_t i = 0; i < collectors_.size(); ++i) {
    auto& c = *collectors_[i];
    const auto start = std::chrono::steady_clock::now();
    const std::size_t mark = body.size();
    bool ok = false;
    try {
      auto r = c.collect(out);
      ok = r.has_value();
      if (!ok) log::warn("collector failed", {{"collector", std::string(c.name())}, {"err", r.error().message()}});
    } catch (const std::exception& e) {
      body.resize(mark);  // a throw may have left a family half-written
      log::error("collector threw", {{"collector", std::string(c.name())}, {"err", e.what()}});
    } catch (...) {
      body.resize(mark);
      log::error("collector threw", {{"collector", std::string(c.name())}, {"err", "unknown exception"}});
    }
    if (!ok) errors_[i]->Increment();
    outcomes.push_back({ok, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
  }

  out.family("wgwatch_scrape_collector_success", "1 if the collector's last collection succeeded.",
             metric_type::gauge);
  for (std::size_t i = 0; i < collectors_.size(); ++i) {
    out.sample("wgwatch_scrape_collector_success").label("collector", collectors_[i]->name())
        .value(outcomes[i].success ? 1.0 : 0.0);
  }
  out.family("wgwatch_scrape_collector_duration_seconds",
             "How long the collector's last collection took.", metric_type::gauge);
  for (std::size_t i = 0; i < collectors_.size(); ++i) {
    out.sample("wgwatch_scrape_collector_duration_seconds")
        .label("collector", collectors_[i]->name())
        .value(outcomes[i].seconds);
  }
  body += prometheus::TextSerializer().Serialize(registry_->Collect());
  log::debug("scrape rendered", {{"bytes", std::to_string(body.size())}});
  return body;
}

}  // namespace wgwatch::metrics
