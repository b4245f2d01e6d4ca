// SPDX-License-Identifier: MIT
// probe: one kind of check, run once per round by the scheduler.
#pragma once

#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "probes/probe_result.hpp"
#include "probes/probe_spec.hpp"

namespace wgwatch::probe {

/// Runs one round and reports its outcome. Owns its spec and binding, no scheduling state and
/// no metrics. The probe ends its round by the spec's timeout itself; the scheduler cancels a
/// round that overruns it (the awaited operation completes with operation_aborted). A probe
/// may set tighter per-phase deadlines. Never throws for network outcomes.
class probe {
 public:
  virtual ~probe() = default;
  virtual boost::asio::awaitable<probe_result> run() = 0;
  virtual const probe_spec& spec() const noexcept = 0;
  /// True when every wait of run() is bounded by the spec's timeout, so that the scheduler
  /// need not watch the round (it cancels rounds of other probes that overrun).
  virtual bool ends_by_its_timeout() const noexcept { return false; }
};

/// What every probe kind keeps: the executor it runs on, its spec and its binding.
class bound_probe : public probe {
 public:
  bound_probe(boost::asio::any_io_executor executor, probe_spec spec, binding where)
      : executor_(std::move(executor)), spec_(std::move(spec)), where_(std::move(where)) {}
  const probe_spec& spec() const noexcept override { return spec_; }

 protected:
  boost::asio::any_io_executor executor_;
  probe_spec spec_;
  binding where_;
};

/// The probe for `spec`'s kind (registry.cpp: one line per kind).
std::unique_ptr<probe> make_probe(boost::asio::any_io_executor executor, probe_spec spec,
                                  binding where);

}  // namespace wgwatch::probe
