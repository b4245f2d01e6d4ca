// SPDX-License-Identifier: MIT
// RTM_GETLINK dump at scrape time, and the pure parser of one RTM_NEWLINK message.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "link/link_info.hpp"
#include "util/result.hpp"

namespace wgwatch::link {

/// Every link of the caller's network namespace, in kernel (ifindex) order. Needs no
/// privilege. `timeout` bounds the whole dump, retries included (errc::timed_out). A dump flagged
/// NLM_F_DUMP_INTR (links changed meanwhile) is retried a few times; after that the last,
/// possibly incomplete, list is returned, as `wg` does: a missing link is reported as
/// missing by the next scrape, which beats failing this one. Thread-safe (own socket).
result<std::vector<link_info>> read_links(std::chrono::milliseconds timeout);

/// Parses one whole RTM_NEWLINK message (nlmsghdr + ifinfomsg + attributes). Pure.
///
/// Reads ifi_index, ifi_flags, IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE, IFLA_CARRIER,
/// IFLA_LINKINFO/IFLA_INFO_KIND and IFLA_STATS64 (or the 32-bit IFLA_STATS when 64 is
/// absent); other attributes are ignored. Failures: another message type or no IFLA_IFNAME
/// -> errc::protocol_error; a short header or a mis-sized attribute ->
/// errc::truncated_attribute.
result<link_info> parse_link_message(std::span<const std::uint8_t> nlmsg);

}  // namespace wgwatch::link
