// SPDX-License-Identifier: MIT
// Backend choice per device and the union listing, filtered to the agent's network namespace.
#include "wireguard/composite_source.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace wgwatch::wg {

composite_source::composite_source(std::unique_ptr<source> kernel,
                                   std::unique_ptr<uapi_source> userspace,
                                   links_reader read_links)
    : kernel_(std::move(kernel)),
      userspace_(std::move(userspace)),
      read_links_(std::move(read_links)) {}

result<std::map<std::string, const link::link_info*, std::less<>>>
composite_source::index_links() {
  auto links = read_links_();
  if (!links) return links.error();
  links_ = std::move(*links);
  std::map<std::string, const link::link_info*, std::less<>> index;
  for (const auto& l : links_) index.emplace(l.name, &l);
  return index;
}

result<std::vector<std::string>> composite_source::list_devices() {
  auto index = index_links();
  if (!index) return index.error();
  std::vector<std::string> names;
  for (const auto& [name, info] : *index) {
    if (info->kind == "wireguard") names.push_back(name);
  }
  auto user = userspace_->list_devices();
  if (!user) return user.error();
  for (auto& name : *user) {
    const auto it = index->find(name);
    if (it != index->end() && it->second->kind != "wireguard") names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

result<backend> composite_source::backend_for(std::string_view name) {
  auto index = index_links();
  if (!index) return index.error();
  const auto it = index->find(name);
  if (it == index->end()) return make_error_code(errc::device_not_found);
  if (it->second->kind == "wireguard") return backend::kernel;
  if (userspace_->has_live_socket(name)) return backend::userspace;
  return make_error_code(errc::device_not_found);
}

result<device> composite_source::get_device(std::string_view name) {
  auto which = backend_for(name);
  if (!which) return which.error();
  std::uint32_t ifindex = 0;
  for (const auto& l : links_) {
    if (l.name == name) ifindex = l.ifindex;
  }
  if (*which == backend::kernel && !kernel_) return make_error_code(errc::kernel_module_missing);
  auto dev = *which == backend::kernel ? kernel_->get_device(name) : userspace_->get_device(name);
  if (dev) dev->ifindex = ifindex;
  return dev;
}

}  // namespace wgwatch::wg
