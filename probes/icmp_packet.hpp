// SPDX-License-Identifier: MIT
// icmp_packet: pure encode/decode of ICMP and ICMPv6 echo messages (no sockets).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "util/result.hpp"

namespace wgwatch::probe {

// An echo request or reply (RFC 792, RFC 4443), the same layout for both families:
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           Identifier          |        Sequence Number        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Payload: 8-byte cookie, 8-byte send time (ns), filler ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IPv4 carries the one's-complement checksum of the message; for ICMPv6 the kernel computes
// it (it covers a pseudo-header) on both datagram and raw sockets, so we leave it zero.

enum class icmp_family { v4, v6 };

inline constexpr std::size_t icmp_header_bytes = 8;
inline constexpr std::uint8_t icmp4_echo_reply = 0;
inline constexpr std::uint8_t icmp4_unreachable = 3;
inline constexpr std::uint8_t icmp4_echo_request = 8;
inline constexpr std::uint8_t icmp4_time_exceeded = 11;
inline constexpr std::uint8_t icmp6_unreachable = 1;
inline constexpr std::uint8_t icmp6_packet_too_big = 2;
inline constexpr std::uint8_t icmp6_time_exceeded = 3;
inline constexpr std::uint8_t icmp6_echo_request = 128;
inline constexpr std::uint8_t icmp6_echo_reply = 129;

/// RFC 1071 Internet checksum of `bytes` (an odd tail is padded with zero).
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) noexcept;

/// `size` payload bytes: the cookie, the send time (big-endian ns), then a filler pattern;
/// shorter sizes truncate that sequence.
std::vector<std::uint8_t> make_echo_payload(std::uint64_t cookie, std::uint64_t sent_ns,
                                            std::size_t size);

/// True when `payload` is exactly make_echo_payload(cookie, sent_ns, size), without building it.
bool echo_payload_matches(std::span<const std::uint8_t> payload, std::uint64_t cookie,
                          std::uint64_t sent_ns, std::size_t size) noexcept;

/// An echo request with `payload`; IPv4 with its checksum, IPv6 with checksum 0.
std::vector<std::uint8_t> encode_echo_request(icmp_family family, std::uint16_t id,
                                              std::uint16_t sequence,
                                              std::span<const std::uint8_t> payload);

/// The same request with make_echo_payload(cookie, sent_ns, payload_bytes), written into
/// `out` (whose capacity is reused: the probe loop's path).
void write_echo_request(std::vector<std::uint8_t>& out, icmp_family family, std::uint16_t id,
                        std::uint16_t sequence, std::uint64_t cookie, std::uint64_t sent_ns,
                        std::size_t payload_bytes);

/// What a received ICMP message says about our echoes.
enum class icmp_message {
  echo_reply,      ///< an answer
  unreachable,     ///< destination unreachable / time exceeded quoting our request
  packet_too_big,  ///< ICMPv6 packet too big, IPv4 "fragmentation needed", quoting our request
};

struct decoded_icmp {
  icmp_message message = icmp_message::echo_reply;
  std::uint16_t id = 0;
  std::uint16_t sequence = 0;
  std::span<const std::uint8_t> payload;  ///< echo_reply only; views the input
};

struct decode_options {
  /// Raw IPv4 sockets deliver the IP header in front of the message; it is validated and
  /// stripped. (Raw ICMPv6 and datagram sockets deliver the message alone.)
  bool has_ip_header = false;
  /// The echo identifier to accept; nullopt on ping sockets, where the kernel rewrites it.
  std::optional<std::uint16_t> id;
};

/// Decodes one received packet. Fails with errc::protocol_error when truncated or corrupt (bad
/// IP header, IPv4 checksum, non-zero code of an echo reply), errc::reply_mismatch when it is
/// valid but not an answer to our echoes (another type, another identifier, an echo request).
/// Pure; `packet` must outlive the returned payload view.
result<decoded_icmp> decode_icmp(icmp_family family, std::span<const std::uint8_t> packet,
                                 const decode_options& options);

}  // namespace wgwatch::probe
