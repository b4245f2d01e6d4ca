// SPDX-License-Identifier: MIT
// icmp_packet: echo encoding, checksum, and decoding of replies and errors from byte fixtures,
// including truncated and corrupt packets.
#include "probes/icmp_packet.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "util/error.hpp"

namespace wgwatch::probe {
namespace {

using bytes = std::vector<std::uint8_t>;

/// Fills in the IPv4 ICMP checksum (bytes 2-3) of an ICMP message at `offset`.
bytes with_checksum(bytes b, std::size_t offset = 0) {
  b[offset + 2] = 0;
  b[offset + 3] = 0;
  const auto sum = internet_checksum(std::span(b).subspan(offset));
  b[offset + 2] = static_cast<std::uint8_t>(sum >> 8);
  b[offset + 3] = static_cast<std::uint8_t>(sum);
  return b;
}

/// A 20-byte IPv4 header (protocol ICMP) followed by `body`, total length set.
bytes ipv4_wrap(const bytes& body, std::uint8_t protocol = 1) {
  const auto total = static_cast<std::uint16_t>(20 + body.size());
  bytes b{0x45, 0x00, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total),
          0x00, 0x00, 0x40, 0x00, 0x40, protocol, 0x00, 0x00,
          10, 10, 0, 2, 10, 10, 0, 1};
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

/// A 40-byte IPv6 header (next header ICMPv6) followed by `body`.
bytes ipv6_wrap(const bytes& body, std::uint8_t next_header = 58) {
  bytes b(40, 0);
  b[0] = 0x60;
  b[4] = static_cast<std::uint8_t>(body.size() >> 8);
  b[5] = static_cast<std::uint8_t>(body.size());
  b[6] = next_header;
  b[7] = 64;
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

const bytes v4_reply = with_checksum({0x00, 0x00, 0, 0, 0x12, 0x34, 0x00, 0x07, 'p', 'i', 'n', 'g'});

TEST(icmp_packet_test, checksum_matches_rfc1071_example) {
  const bytes sample{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(sample), 0x220d);
}

TEST(icmp_packet_test, checksum_pads_an_odd_tail_with_zero) {
  EXPECT_EQ(internet_checksum(bytes{0x01}), 0xfeff);
  EXPECT_EQ(internet_checksum(bytes{}), 0xffff);
}

TEST(icmp_packet_test, encodes_ipv4_echo_request_with_checksum) {
  const bytes payload{'a', 'b', 'c', 'd'};
  const auto packet = encode_echo_request(icmp_family::v4, 0x1234, 1, payload);
  EXPECT_EQ(packet, (bytes{0x08, 0x00, 0x21, 0x04, 0x12, 0x34, 0x00, 0x01, 'a', 'b', 'c', 'd'}));
  EXPECT_EQ(internet_checksum(packet), 0);
}

TEST(icmp_packet_test, encodes_ipv6_echo_request_leaving_checksum_to_the_kernel) {
  const bytes payload{0xff};
  const auto packet = encode_echo_request(icmp_family::v6, 0xbeef, 0x0102, payload);
  EXPECT_EQ(packet, (bytes{128, 0x00, 0x00, 0x00, 0xbe, 0xef, 0x01, 0x02, 0xff}));
}

TEST(icmp_packet_test, payload_carries_cookie_then_send_time_then_filler) {
  const auto payload = make_echo_payload(0x0102030405060708, 0x1112131415161718, 20);
  EXPECT_EQ(payload, (bytes{1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                            0x18, 16, 17, 18, 19}));
  EXPECT_EQ(make_echo_payload(0x0102030405060708, 0, 3), (bytes{1, 2, 3}));
  EXPECT_TRUE(make_echo_payload(1, 2, 0).empty());
}

TEST(icmp_packet_test, decodes_ipv4_reply_without_ip_header) {
  const auto decoded = decode_icmp(icmp_family::v4, v4_reply, {.has_ip_header = false, .id = 0x1234});
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->message, icmp_message::echo_reply);
  EXPECT_EQ(decoded->id, 0x1234);
  EXPECT_EQ(decoded->sequence, 7);
  EXPECT_EQ(bytes(decoded->payload.begin(), decoded->payload.end()), (bytes{'p', 'i', 'n', 'g'}));
}

TEST(icmp_packet_test, strips_the_ip_header_of_raw_ipv4_packets) {
  const auto packet = ipv4_wrap(v4_reply);
  const auto decoded = decode_icmp(icmp_family::v4, packet, {.has_ip_header = true, .id = 0x1234});
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->sequence, 7);
  EXPECT_EQ(decoded->payload.size(), 4u);
}

TEST(icmp_packet_test, ignores_bytes_past_the_ip_total_length) {
  auto packet = ipv4_wrap(v4_reply);
  packet.insert(packet.end(), {0xde, 0xad});
  const auto decoded = decode_icmp(icmp_family::v4, packet, {.has_ip_header = true, .id = 0x1234});
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->payload.size(), 4u);
}

TEST(icmp_packet_test, accepts_any_id_when_the_kernel_rewrites_it) {
  const auto decoded = decode_icmp(icmp_family::v4, v4_reply, {.has_ip_header = false, .id = std::nullopt});
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->id, 0x1234);
}

TEST(icmp_packet_test, rejects_another_identifier) {
  const auto decoded = decode_icmp(icmp_family::v4, v4_reply, {.has_ip_header = false, .id = 0x4321});
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error(), make_error_code(errc::reply_mismatch));
}

TEST(icmp_packet_test, rejects_a_corrupt_ipv4_checksum) {
  auto corrupt = v4_reply;
  corrupt.back() ^= 0x01;
  const auto decoded = decode_icmp(icmp_family::v4, corrupt, {});
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error(), make_error_code(errc::protocol_error));
}

TEST(icmp_packet_test, rejects_truncated_messages) {
  for (std::size_t size = 0; size < icmp_header_bytes; ++size) {
    const bytes truncated(v4_reply.begin(), v4_reply.begin() + static_cast<std::ptrdiff_t>(size));
    const auto decoded = decode_icmp(icmp_family::v6, truncated, {});
    ASSERT_FALSE(decoded) << size;
    EXPECT_EQ(decoded.error(), make_error_code(errc::protocol_error)) << size;
  }
}

TEST(icmp_packet_test, rejects_bad_ipv4_headers) {
  auto packet = ipv4_wrap(v4_reply);
  auto short_ihl = packet;
  short_ihl[0] = 0x44;
  auto long_total = packet;
  long_total[3] = static_cast<std::uint8_t>(long_total[3] + 1);
  auto not_v4 = packet;
  not_v4[0] = 0x65;
  const bytes truncated(packet.begin(), packet.begin() + 19);
  for (const auto& bad : {short_ihl, long_total, not_v4, truncated}) {
    const auto decoded = decode_icmp(icmp_family::v4, bad, {.has_ip_header = true, .id = std::nullopt});
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error(), make_error_code(errc::protocol_error));
  }
}

TEST(icmp_packet_test, rejects_non_icmp_ip_payloads_and_echo_requests) {
  const auto udp = ipv4_wrap(v4_reply, 17);
  EXPECT_EQ(decode_icmp(icmp_family::v4, udp, {.has_ip_header = true, .id = std::nullopt}).error(),
            make_error_code(errc::reply_mismatch));
  // On loopback a raw socket also sees our own request.
  const auto request = encode_echo_request(icmp_family::v4, 0x1234, 7, bytes{1});
  EXPECT_EQ(decode_icmp(icmp_family::v4, request, {}).error(), make_error_code(errc::reply_mismatch));
  const auto request6 = encode_echo_request(icmp_family::v6, 0x1234, 7, bytes{1});
  EXPECT_EQ(decode_icmp(icmp_family::v6, request6, {}).error(), make_error_code(errc::reply_mismatch));
}

TEST(icmp_packet_test, rejects_an_echo_reply_with_nonzero_code) {
  auto coded = v4_reply;
  coded[1] = 1;
  EXPECT_EQ(decode_icmp(icmp_family::v4, with_checksum(coded), {}).error(),
            make_error_code(errc::protocol_error));
}

TEST(icmp_packet_test, decodes_ipv6_reply_without_checking_the_kernel_checksum) {
  const bytes reply{129, 0, 0xab, 0xcd, 0x00, 0x2a, 0xff, 0xfe, 'x'};
  const auto decoded = decode_icmp(icmp_family::v6, reply, {.has_ip_header = false, .id = 0x2a});
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->sequence, 0xfffe);
  EXPECT_EQ(decoded->payload.size(), 1u);
}

TEST(icmp_packet_test, decodes_ipv4_unreachable_quoting_our_request) {
  const auto request = encode_echo_request(icmp_family::v4, 0x1234, 9, bytes{});
  for (const auto& [code, expected] : {std::pair{std::uint8_t{1}, icmp_message::unreachable},
                                      std::pair{std::uint8_t{4}, icmp_message::packet_too_big}}) {
    bytes error{3, code, 0, 0, 0, 0, 0x05, 0x78};
    const auto quoted = ipv4_wrap(request);
    error.insert(error.end(), quoted.begin(), quoted.end());
    const auto packet = ipv4_wrap(with_checksum(error));
    const auto decoded = decode_icmp(icmp_family::v4, packet, {.has_ip_header = true, .id = 0x1234});
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(decoded->message, expected);
    EXPECT_EQ(decoded->sequence, 9);
  }
}

TEST(icmp_packet_test, ignores_errors_quoting_someone_elses_request) {
  const auto request = encode_echo_request(icmp_family::v4, 0x9999, 9, bytes{});
  bytes error{11, 0, 0, 0, 0, 0, 0, 0};
  const auto quoted = ipv4_wrap(request);
  error.insert(error.end(), quoted.begin(), quoted.end());
  EXPECT_EQ(decode_icmp(icmp_family::v4, with_checksum(error), {.has_ip_header = false, .id = 0x1234}).error(),
            make_error_code(errc::reply_mismatch));
}

TEST(icmp_packet_test, decodes_ipv6_packet_too_big_and_rejects_a_truncated_quote) {
  const auto request = encode_echo_request(icmp_family::v6, 0x0042, 3, bytes(16, 0));
  bytes error{2, 0, 0, 0, 0x00, 0x00, 0x05, 0x00};
  const auto quoted = ipv6_wrap(request);
  error.insert(error.end(), quoted.begin(), quoted.end());
  const auto decoded = decode_icmp(icmp_family::v6, error, {.has_ip_header = false, .id = 0x0042});
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->message, icmp_message::packet_too_big);
  EXPECT_EQ(decoded->sequence, 3);

  const bytes truncated(error.begin(), error.begin() + 8 + 40 + 4);
  EXPECT_EQ(decode_icmp(icmp_family::v6, truncated, {}).error(), make_error_code(errc::protocol_error));
}

}  // namespace
}  // namespace wgwatch::probe
