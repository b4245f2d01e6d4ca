// SPDX-License-Identifier: MIT
// socket_binding: SO_BINDTODEVICE + SO_MARK + bind() to the interface's own address.
#include "probes/socket_binding.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/ip/udp.hpp>

#include "util/error.hpp"

namespace wgwatch::probe {
namespace {

namespace ip = boost::asio::ip;

struct ifaddrs_deleter {
  void operator()(ifaddrs* p) const noexcept { ::freeifaddrs(p); }
};

result<void> bind_to(int fd, ip::address source, std::string_view interface) {
  // A configured link-local source needs the interface's scope to be bindable.
  if (source.is_v6() && source.to_v6().is_link_local() && source.to_v6().scope_id() == 0) {
    const std::string name(interface);
    auto v6 = source.to_v6();
    v6.scope_id(::if_nametoindex(name.c_str()));
    source = v6;
  }
  const ip::udp::endpoint local(source, 0);  // Asio's sockaddr for it, whatever the socket
  if (::bind(fd, local.data(), static_cast<socklen_t>(local.size())) != 0) return from_errno();
  return {};
}

}  // namespace

result<ip::address> interface_address(std::string_view interface, int family) {
  const std::string name(interface);
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return from_errno(ENODEV);
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) return from_errno();
  const std::unique_ptr<ifaddrs, ifaddrs_deleter> list(raw);

  std::optional<ip::address> link_local;
  for (const ifaddrs* it = list.get(); it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != family) continue;
    if (name != it->ifa_name) continue;
    if (family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
      ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &sin->sin_addr, bytes.size());
      return ip::address(ip::address_v4(bytes));
    }
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(it->ifa_addr);
    ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &sin6->sin6_addr, bytes.size());
    const ip::address_v6 v6(bytes, sin6->sin6_scope_id);
    if (v6.is_link_local()) {
      if (!link_local) link_local = ip::address(ip::address_v6(bytes, index));
      continue;
    }
    return ip::address(v6);
  }
  if (link_local) return *link_local;
  return from_errno(EADDRNOTAVAIL);
}

namespace {

// getifaddrs() costs 20-36 us of CPU, more than the rest of a probe round's own work; an
// interface's address changes rarely. Each thread (the probe loop is one) keeps what it found
// for a second, and a bind that fails with EADDRNOTAVAIL looks again at once.
constexpr auto address_ttl = std::chrono::seconds(1);

struct cached_address {
  ip::address address;
  std::chrono::steady_clock::time_point expires;
};

std::map<std::pair<std::string, int>, cached_address, std::less<>>& address_cache() {
  thread_local std::map<std::pair<std::string, int>, cached_address, std::less<>> cache;
  return cache;
}

result<ip::address> cached_interface_address(const std::string& interface, int family,
                                             bool refresh) {
  auto& cache = address_cache();
  const auto now = std::chrono::steady_clock::now();
  const auto key = std::make_pair(interface, family);
  if (!refresh) {
    if (const auto it = cache.find(key); it != cache.end() && it->second.expires > now) {
      return it->second.address;
    }
  }
  auto found = interface_address(interface, family);
  if (!found) {
    cache.erase(key);
    return found.error();
  }
  cache[key] = cached_address{*found, now + address_ttl};
  return *found;
}

}  // namespace

result<void> apply_binding(int fd, int family, const binding& where) {
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, where.interface.data(),
                   static_cast<socklen_t>(where.interface.size())) != 0) {
    return from_errno();
  }
  if (where.fwmark != 0) {
    const std::uint32_t mark = where.fwmark;
    if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) return from_errno();
  }
  ip::address source;
  if (where.source_address) {
    error_code ec;
    source = ip::make_address(*where.source_address, ec);
    if (ec) return from_errno(EINVAL);
    if ((family == AF_INET) != source.is_v4()) return from_errno(EAFNOSUPPORT);
    return bind_to(fd, source, where.interface);
  }
  auto found = cached_interface_address(where.interface, family, false);
  if (!found) return found.error();
  auto bound = bind_to(fd, *found, where.interface);
  if (!bound && bound.error() == boost::system::errc::address_not_available) {
    // The address changed within the cache's lifetime: look again once.
    found = cached_interface_address(where.interface, family, true);
    if (!found) return found.error();
    bound = bind_to(fd, *found, where.interface);
  }
  return bound;
}

}  // namespace wgwatch::probe
