// SPDX-License-Identifier: MIT
// Text forms of model values, matching what `wg show` prints.
#include "wireguard/model.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <fmt/format.h>

namespace wgwatch::wg {

std::string to_string(const ip_address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(a.family, a.bytes.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

std::string to_string(const endpoint& e) {
  if (e.address.family == AF_INET) return fmt::format("{}:{}", to_string(e.address), e.port);
  std::string zone = e.zone;
  if (zone.empty() && e.scope_id != 0) {
    // Like getnameinfo(): the interface name when it exists here, else the number.
    char name[IF_NAMESIZE] = {};
    zone = if_indextoname(e.scope_id, name) != nullptr ? std::string(name)
                                                      : std::to_string(e.scope_id);
  }
  if (zone.empty()) return fmt::format("[{}]:{}", to_string(e.address), e.port);
  return fmt::format("[{}%{}]:{}", to_string(e.address), zone, e.port);
}

std::string to_string(const allowed_ip& a) {
  return fmt::format("{}/{}", to_string(a.address), a.cidr);
}

}  // namespace wgwatch::wg
