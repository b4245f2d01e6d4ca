// SPDX-License-Identifier: MIT
// Pure parser of a UAPI "get=1" reply (wireguard-go, boringtun) into a wg::device.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "util/result.hpp"
#include "wireguard/model.hpp"

namespace wgwatch::wg {

/// Parses the key=value reply of a UAPI "get=1" (up to and including "errno=N" and the
/// blank line). Touches no socket, so fixtures and fuzzers feed it from memory.
///
/// - Unknown keys are ignored (forks such as AmneziaWG add their own).
/// - A private key only yields the device's public key; it is wiped, never kept.
///   Preshared keys are skipped unread. boringtun's "own_public_key" sets the public key.
/// - errno=N with N != 0 fails with that errno (system category); a reply without an errno
///   line, a line without '=', a peer key before any public_key, or a malformed value fails
///   with errc::protocol_error. Malformed includes handshake nanoseconds of 1e9 or more, a
///   boringtun age reaching before the clock's range, and errno=-2147483648.
/// - `now` is used only to convert boringtun's "time since" handshake values (any seconds
///   value below 1e9, i.e. before 2001, is taken as an age, cloudflare/boringtun#447) to a
///   wall-clock time.
///
/// The returned device has no name, ifindex or kind; the caller sets them.
result<device> parse_uapi(std::string_view reply, std::chrono::system_clock::time_point now);

/// "192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%eth0]:51820" -> endpoint.
std::optional<endpoint> parse_endpoint(std::string_view text) noexcept;

/// "10.0.0.0/24", "fd00::/64" -> allowed_ip; the prefix length must fit the family.
std::optional<allowed_ip> parse_allowed_ip(std::string_view text) noexcept;

}  // namespace wgwatch::wg
