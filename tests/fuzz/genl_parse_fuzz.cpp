// SPDX-License-Identifier: MIT
// Fuzz target: parse_genl_dump over arbitrary bytes, split into messages at 0xff 0xff 0xff 0xff
// markers so that multi-message dumps (split peers, split allowed IPs) are reachable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "wireguard/genl_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::span<const std::uint8_t>> messages;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 4 <= size; ++i) {
    if (data[i] == 0xff && data[i + 1] == 0xff && data[i + 2] == 0xff && data[i + 3] == 0xff) {
      messages.emplace_back(data + start, i - start);
      start = i + 4;
      i += 3;
    }
  }
  messages.emplace_back(data + start, size - start);
  auto dev = wgwatch::wg::parse_genl_dump(messages);
  // Each peer needs at least a 32-byte public key attribute on the wire.
  if (dev && dev->peers.size() * 36 > size) std::abort();
  return 0;
}
