// SPDX-License-Identifier: MIT
// The build identity as an info metric.
#include "metrics/build_info_collector.hpp"

#include "version.hpp"

namespace wgwatch::metrics {

result<void> build_info_collector::collect(exposition_writer& out) {
  out.family("wgwatch_build_info", "wgwatch's version and git revision; value 1.",
             metric_type::gauge);
  out.sample("wgwatch_build_info").label("version", build::version)
      .label("revision", build::revision).value(1.0);
  return {};
}

}  // namespace wgwatch::metrics
