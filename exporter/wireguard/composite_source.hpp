// SPDX-License-Identifier: MIT
// composite_source: picks the backend per device, as `wg` does, within the agent's netns.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "link/link_info.hpp"
#include "wireguard/source.hpp"
#include "wireguard/uapi_source.hpp"

namespace wgwatch::wg {

/// Both backends at once. The rule, per device name:
/// - a link of kind "wireguard" in this network namespace is read over genetlink;
/// - otherwise a live UAPI socket is used, but only if an interface of that name exists in
///   this network namespace: the socket directory is shared by every namespace, so a socket
///   whose interface lives elsewhere is not ours.
/// Listing is the union. `wg` prefers a live socket over the kernel; wgwatch prefers a kernel
/// link, because with a shared directory a socket next to a kernel device of the same name
/// belongs to another namespace.
class composite_source final : public source {
 public:
  using links_reader = std::function<result<std::vector<link::link_info>>()>;

  /// `kernel` may be null (no kernel module): kernel links then read as
  /// errc::kernel_module_missing. `userspace` must not be null.
  composite_source(std::unique_ptr<source> kernel, std::unique_ptr<uapi_source> userspace,
                   links_reader read_links);

  result<std::vector<std::string>> list_devices() override;
  result<device> get_device(std::string_view name) override;
  std::string_view backend_name() const noexcept override { return "composite"; }

  /// The backend that would read `name` now, or device_not_found.
  result<backend> backend_for(std::string_view name);

 private:
  result<std::map<std::string, const link::link_info*, std::less<>>> index_links();

  std::unique_ptr<source> kernel_;
  std::unique_ptr<uapi_source> userspace_;
  links_reader read_links_;
  std::vector<link::link_info> links_;  // the last dump, kept for the index's pointers
};

}  // namespace wgwatch::wg
