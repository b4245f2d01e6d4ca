// SPDX-License-Identifier: MIT
// Fuzz target: decode_icmp over arbitrary bytes (what a raw or ping socket hands the probes).
// The first byte picks the family, the IP header flag and whether an id is expected.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "probes/icmp_packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wgwatch::probe;
  if (size < 3) return 0;
  const std::uint8_t mode = data[0];
  const auto family = (mode & 1) != 0 ? icmp_family::v6 : icmp_family::v4;
  decode_options options;
  options.has_ip_header = (mode & 2) != 0;
  if ((mode & 4) != 0) options.id = static_cast<std::uint16_t>(data[1] << 8 | data[2]);
  const std::span<const std::uint8_t> packet(data + 3, size - 3);
  const auto decoded = decode_icmp(family, packet, options);
  if (!decoded) return 0;
  // A payload views the input, after at least the 8-byte ICMP header.
  const auto* begin = packet.data();
  const auto* end = packet.data() + packet.size();
  if (!decoded->payload.empty() &&
      (decoded->payload.data() < begin + icmp_header_bytes ||
       decoded->payload.data() + decoded->payload.size() > end)) {
    std::abort();
  }
  // The id filter holds for answers and for quoted echoes alike.
  if (options.id && decoded->id != *options.id) std::abort();
  return 0;
}
