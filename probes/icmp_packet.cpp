// SPDX-License-Identifier: MIT
// icmp_packet: echo request encoding, reply and error decoding, the Internet checksum.
#include "probes/icmp_packet.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace wgwatch::probe {
namespace {

constexpr std::size_t ipv4_min_header_bytes = 20;
constexpr std::size_t ipv6_header_bytes = 40;
constexpr std::uint8_t ipproto_icmp = 1;
constexpr std::uint8_t ipproto_icmpv6 = 58;
constexpr std::uint8_t icmp4_frag_needed_code = 4;

std::uint16_t read_u16(std::span<const std::uint8_t> b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

/// Validates an IPv4 header at the start of `b` and returns its length (0 if invalid).
std::size_t ipv4_header_length(std::span<const std::uint8_t> b) noexcept {
  if (b.size() < ipv4_min_header_bytes || (b[0] >> 4) != 4) return 0;
  const std::size_t length = static_cast<std::size_t>(b[0] & 0x0f) * 4;
  if (length < ipv4_min_header_bytes || length > b.size()) return 0;
  return length;
}

/// The id and sequence of our echo request quoted in an ICMP error's body.
result<decoded_icmp> decode_quoted(icmp_family family, std::span<const std::uint8_t> body,
                                   icmp_message message, const decode_options& options) {
  std::span<const std::uint8_t> inner;
  std::uint8_t request_type = 0;
  if (family == icmp_family::v4) {
    const std::size_t header = ipv4_header_length(body);
    if (header == 0) return make_error_code(errc::protocol_error);
    if (body[9] != ipproto_icmp) return make_error_code(errc::reply_mismatch);
    inner = body.subspan(header);
    request_type = icmp4_echo_request;
  } else {
    if (body.size() < ipv6_header_bytes || (body[0] >> 4) != 6) {
      return make_error_code(errc::protocol_error);
    }
    if (body[6] != ipproto_icmpv6) return make_error_code(errc::reply_mismatch);
    inner = body.subspan(ipv6_header_bytes);
    request_type = icmp6_echo_request;
  }
  if (inner.size() < icmp_header_bytes) return make_error_code(errc::protocol_error);
  if (inner[0] != request_type) return make_error_code(errc::reply_mismatch);
  decoded_icmp out;
  out.message = message;
  out.id = read_u16(inner, 4);
  out.sequence = read_u16(inner, 6);
  if (options.id && *options.id != out.id) return make_error_code(errc::reply_mismatch);
  return out;
}

}  // namespace

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) noexcept {
  std::uint32_t sum = 0;
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += read_u16(bytes, i);
  if (i < bytes.size()) sum += static_cast<std::uint32_t>(bytes[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

namespace {

std::uint8_t payload_byte(std::size_t i, std::uint64_t cookie, std::uint64_t sent_ns) noexcept {
  if (i < 8) return static_cast<std::uint8_t>(cookie >> (56 - 8 * i));
  if (i < 16) return static_cast<std::uint8_t>(sent_ns >> (56 - 8 * (i - 8)));
  return static_cast<std::uint8_t>(i);
}

/// The header (checksum still zero) and, through `fill`, the payload into `out`.
template <class Fill>
void write_request(std::vector<std::uint8_t>& out, icmp_family family, std::uint16_t id,
                   std::uint16_t sequence, std::size_t payload_bytes, Fill fill) {
  out.assign(icmp_header_bytes + payload_bytes, 0);
  out[0] = family == icmp_family::v4 ? icmp4_echo_request : icmp6_echo_request;
  out[4] = static_cast<std::uint8_t>(id >> 8);
  out[5] = static_cast<std::uint8_t>(id);
  out[6] = static_cast<std::uint8_t>(sequence >> 8);
  out[7] = static_cast<std::uint8_t>(sequence);
  fill(std::span<std::uint8_t>(out).subspan(icmp_header_bytes));
  if (family == icmp_family::v4) {
    const std::uint16_t sum = internet_checksum(out);
    out[2] = static_cast<std::uint8_t>(sum >> 8);
    out[3] = static_cast<std::uint8_t>(sum);
  }
}

}  // namespace

std::vector<std::uint8_t> make_echo_payload(std::uint64_t cookie, std::uint64_t sent_ns,
                                            std::size_t size) {
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = payload_byte(i, cookie, sent_ns);
  return out;
}

bool echo_payload_matches(std::span<const std::uint8_t> payload, std::uint64_t cookie,
                          std::uint64_t sent_ns, std::size_t size) noexcept {
  if (payload.size() != size) return false;
  for (std::size_t i = 0; i < size; ++i) {
    if (payload[i] != payload_byte(i, cookie, sent_ns)) return false;
  }
  return true;
}

std::vector<std::uint8_t> encode_echo_request(icmp_family family, std::uint16_t id,
                                              std::uint16_t sequence,
                                              std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out;
  write_request(out, family, id, sequence, payload.size(),
                [&](std::span<std::uint8_t> to) { std::copy(payload.begin(), payload.end(), to.begin()); });
  return out;
}

void write_echo_request(std::vector<std::uint8_t>& out, icmp_family family, std::uint16_t id,
                        std::uint16_t sequence, std::uint64_t cookie, std::uint64_t sent_ns,
                        std::size_t payload_bytes) {
  write_request(out, family, id, sequence, payload_bytes, [&](std::span<std::uint8_t> to) {
    for (std::size_t i = 0; i < to.size(); ++i) to[i] = payload_byte(i, cookie, sent_ns);
  });
}

result<decoded_icmp> decode_icmp(icmp_family family, std::span<const std::uint8_t> packet,
                                 const decode_options& options) {
  if (family == icmp_family::v4 && options.has_ip_header) {
    const std::size_t header = ipv4_header_length(packet);
    if (header == 0) return make_error_code(errc::protocol_error);
    if (packet[9] != ipproto_icmp) return make_error_code(errc::reply_mismatch);
    // The total length bounds the message: trailing bytes are not part of it.
    const std::size_t total = read_u16(packet, 2);
    if (total < header || total > packet.size()) return make_error_code(errc::protocol_error);
    packet = packet.subspan(header, total - header);
  }
  if (packet.size() < icmp_header_bytes) return make_error_code(errc::protocol_error);
  if (family == icmp_family::v4 && internet_checksum(packet) != 0) {
    return make_error_code(errc::protocol_error);
  }
  const std::uint8_t type = packet[0];
  const std::uint8_t code = packet[1];
  const auto body = packet.subspan(icmp_header_bytes);
  if (family == icmp_family::v4) {
    if (type == icmp4_unreachable) {
      return decode_quoted(family, body,
                           code == icmp4_frag_needed_code ? icmp_message::packet_too_big
                                                          : icmp_message::unreachable,
                           options);
    }
    if (type == icmp4_time_exceeded) {
      return decode_quoted(family, body, icmp_message::unreachable, options);
    }
  } else {
    if (type == icmp6_unreachable || type == icmp6_time_exceeded) {
      return decode_quoted(family, body, icmp_message::unreachable, options);
    }
    if (type == icmp6_packet_too_big) {
      return decode_quoted(family, body, icmp_message::packet_too_big, options);
    }
  }
  const std::uint8_t reply = family == icmp_family::v4 ? icmp4_echo_reply : icmp6_echo_reply;
  if (type != reply) return make_error_code(errc::reply_mismatch);
  if (code != 0) return make_error_code(errc::protocol_error);
  decoded_icmp out;
  out.id = read_u16(packet, 4);
  out.sequence = read_u16(packet, 6);
  out.payload = body;
  if (options.id && *options.id != out.id) return make_error_code(errc::reply_mismatch);
  return out;
}

}  // namespace wgwatch::probe
