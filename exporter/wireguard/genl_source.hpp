// SPDX-License-Identifier: MIT
// genl_source: kernel WireGuard over generic netlink (WG_CMD_GET_DEVICE), with DUMP_INTR retry.
#pragma once

#include <chrono>
#include <cstdint>

#include "wireguard/source.hpp"

namespace wgwatch::wg {

/// Reads kernel WireGuard devices. Each call opens its own sockets, resolves the
/// "wireguard" family afresh (its id changes when the module is reloaded) and needs
/// CAP_NET_ADMIN for get_device(). Not thread-safe (the retry counter), like every source.
class genl_source final : public source {
 public:
  /// At most this many dumps per get_device() while the kernel flags NLM_F_DUMP_INTR.
  static constexpr int max_dump_attempts = 5;

  /// `timeout` bounds each call as a whole (family lookup, every dump part and DUMP_INTR
  /// retry), not each netlink receive.
  explicit genl_source(std::chrono::milliseconds timeout);

  /// Links of kind "wireguard" in this network namespace (RTM_GETLINK, no privilege).
  /// errc::kernel_module_missing when the "wireguard" family is absent.
  result<std::vector<std::string>> list_devices() override;

  /// WG_CMD_GET_DEVICE by name. Failures: errc::kernel_module_missing (family absent);
  /// errc::device_not_found (ENODEV, or EOPNOTSUPP: the name is not a kernel WireGuard
  /// link, e.g. a wireguard-go TUN); errc::dump_interrupted after max_dump_attempts
  /// interrupted dumps; EPERM (system category) without CAP_NET_ADMIN; errc::timed_out;
  /// parse errors as parse_genl_dump(). Sets kind = backend::kernel, name and ifindex.
  result<device> get_device(std::string_view name) override;

  std::string_view backend_name() const noexcept override { return "kernel"; }

  /// Dumps repeated because of NLM_F_DUMP_INTR since construction.
  std::uint64_t dump_retries() const noexcept { return dump_retries_; }

 private:
  std::chrono::milliseconds timeout_;
  std::uint64_t dump_retries_ = 0;
};

}  // namespace wgwatch::wg
