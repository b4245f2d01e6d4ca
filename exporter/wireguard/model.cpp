// SPDX-License-Identifier: MIT
// Text forms of model values, matching what `wg show` prints. On the scrape path (every
// peer's endpoint and allowed IPs), so IPv4 is formatted by hand: inet_ntop goes through
// sprintf.
#include "wireguard/model.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <charconv>

namespace wgwatch::wg {
namespace {

template <class Int>
void append_number(std::string& out, Int value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void append_address(std::string& out, const ip_address& a) {
  if (a.family == AF_INET) {
    for (int i = 0; i < 4; ++i) {
      if (i != 0) out.push_back('.');
      append_number(out, unsigned{a.bytes[static_cast<std::size_t>(i)]});
    }
    return;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(a.family, a.bytes.data(), buf, sizeof buf) != nullptr) out.append(buf);
}

}  // namespace

std::string to_string(const ip_address& a) {
  std::string out;
  append_address(out, a);
  return out;
}

std::string to_string(const endpoint& e) {
  std::string out;
  if (e.address.family == AF_INET) {
    append_address(out, e.address);
  } else {
    std::string zone = e.zone;
    if (zone.empty() && e.scope_id != 0) {
      // Like getnameinfo(): the interface name when it exists here, else the number.
      char name[IF_NAMESIZE] = {};
      zone = if_indextoname(e.scope_id, name) != nullptr ? std::string(name)
                                                        : std::to_string(e.scope_id);
    }
    out.push_back('[');
    append_address(out, e.address);
    if (!zone.empty()) out.append("%").append(zone);
    out.push_back(']');
  }
  out.push_back(':');
  append_number(out, e.port);
  return out;
}

std::string to_string(const allowed_ip& a) {
  std::string out;
  append_address(out, a.address);
  out.push_back('/');
  append_number(out, unsigned{a.cidr});
  return out;
}

}  // namespace wgwatch::wg
