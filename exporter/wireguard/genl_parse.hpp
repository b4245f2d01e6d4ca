// SPDX-License-Identifier: MIT
// Pure parser of a WG_CMD_GET_DEVICE genetlink dump into a wg::device; peer coalescing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "util/result.hpp"
#include "wireguard/model.hpp"

namespace wgwatch::wg {

/// Parses the messages of one WG_CMD_GET_DEVICE dump, each a whole netlink message
/// (nlmsghdr + genlmsghdr + attributes), in the order received. Touches no socket, so
/// fixtures and fuzzers feed it from memory. Trailing NLMSG_DONE / NLMSG_NOOP messages may
/// be included; an NLMSG_ERROR or NLMSG_DONE carrying -errno fails with that errno.
///
/// - The kernel splits a device across messages: later messages continue the peer list
///   (they may or may not repeat the device attributes). A peer whose allowed IPs overflow
///   reappears with the same public key: its allowed IPs are appended to the existing peer
///   and fields the continuation lacks are left as parsed.
/// - The private key is read only to derive the public key when WGDEVICE_A_PUBLIC_KEY is
///   absent; every copy is wiped. Preshared keys are skipped unread.
/// - Nests are accepted with or without NLA_F_NESTED; unknown and pad (type 0) attributes
///   are ignored. Handshake 0/0 -> nullopt.
/// - Failures: a mis-sized or overrunning attribute or message -> errc::truncated_attribute;
///   a message flagged NLM_F_DUMP_INTR -> errc::dump_interrupted; a wrong genl command, a
///   peer without public key, an allowed IP without family/address/mask, a mask too long for
///   its family, an unknown endpoint family, or messages naming different devices ->
///   errc::protocol_error.
///
/// Sets name and ifindex from the dump; `kind` is left at backend::kernel.
result<device> parse_genl_dump(std::span<const std::span<const std::uint8_t>> messages);

/// Convenience overload for owned buffers.
result<device> parse_genl_dump(const std::vector<std::vector<std::uint8_t>>& messages);

}  // namespace wgwatch::wg
