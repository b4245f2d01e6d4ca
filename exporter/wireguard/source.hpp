// SPDX-License-Identifier: MIT
// wg::source: where WireGuard device state comes from (kernel genetlink, UAPI, or both).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"
#include "wireguard/model.hpp"

namespace wgwatch::wg {

/// A WireGuard state backend. Calls are synchronous and bounded by the backend's read
/// timeout; they run on the scrape thread. Implementations are not thread-safe: the scrape
/// path serialises calls.
class source {
 public:
  virtual ~source() = default;

  /// Names of the devices this backend can read, in no particular order.
  /// errc::kernel_module_missing means "backend absent", not a failure.
  virtual result<std::vector<std::string>> list_devices() = 0;

  /// The full state of one device. errc::device_not_found when this backend does not have
  /// it (it may have vanished since list_devices()).
  virtual result<device> get_device(std::string_view name) = 0;

  virtual std::string_view backend_name() const noexcept = 0;
};

}  // namespace wgwatch::wg
