// SPDX-License-Identifier: MIT
// socket_binding: pins a probe socket to its tunnel (SO_BINDTODEVICE, SO_MARK, source address).
// The only place that does so.
#pragma once

#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "probes/probe_spec.hpp"
#include "util/result.hpp"

namespace wgwatch::probe {

/// The address `interface` owns of `family` (AF_INET or AF_INET6), from getifaddrs(). IPv6
/// prefers a global address, else a link-local one (with the interface's scope id). Fails with
/// ENODEV when the interface does not exist and EADDRNOTAVAIL when it has no such address.
result<boost::asio::ip::address> interface_address(std::string_view interface, int family);

/// Applies `where` to the socket `fd` of `family`: SO_BINDTODEVICE to the interface, SO_MARK
/// when the fwmark is non-zero, then bind() (port 0) to the source address (the binding's, else
/// interface_address()). The error is the failing call's errno (system category); callers map
/// any failure to failure_reason::bind_error. Needs CAP_NET_RAW (SO_BINDTODEVICE on older
/// kernels) and CAP_NET_ADMIN (SO_MARK). Synchronous and short; any thread.
result<void> apply_binding(int fd, int family, const binding& where);

}  // namespace wgwatch::probe
