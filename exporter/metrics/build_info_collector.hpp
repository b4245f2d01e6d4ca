// SPDX-License-Identifier: MIT
// build_info_collector: wgwatch_build_info{version,revision} 1.
#pragma once

#include "metrics/collector.hpp"

namespace wgwatch::metrics {

class build_info_collector final : public collector {
 public:
  std::string_view name() const noexcept override { return "build_info"; }
  result<void> collect(exposition_writer& out) override;
};

}  // namespace wgwatch::metrics
