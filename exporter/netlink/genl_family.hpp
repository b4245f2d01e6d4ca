// SPDX-License-Identifier: MIT
// Generic netlink family id lookup (CTRL_CMD_GETFAMILY); an absent family is kernel_module_missing.
#pragma once

#include <cstdint>
#include <string_view>

#include "netlink/message.hpp"
#include "netlink/socket.hpp"
#include "util/result.hpp"

namespace wgwatch::netlink {

/// Resolves the numeric id of the generic netlink family `name` (e.g. "wireguard") on
/// `sock`, a NETLINK_GENERIC socket. The id is assigned when the module loads, so resolve
/// it per use rather than caching it across scrapes.
///
/// An unknown family (ENOENT: the module is not loaded and cannot be autoloaded) fails with
/// errc::kernel_module_missing; other failures are those of socket::exchange().
result<std::uint16_t> resolve_family(socket& sock, std::string_view name);

/// CTRL_ATTR_FAMILY_ID of one CTRL_CMD_NEWFAMILY reply message. Pure, for tests.
/// errc::protocol_error if the id is absent, errc::truncated_attribute if malformed.
result<std::uint16_t> parse_family_reply(const message& m);

}  // namespace wgwatch::netlink
