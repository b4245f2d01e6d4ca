// SPDX-License-Identifier: MIT
// Fuzz target: parse_uapi over arbitrary bytes. Any input must yield a device or an error,
// never a crash, and a parsed device must never carry more than its reply could hold.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wireguard/uapi_parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  auto dev = wgwatch::wg::parse_uapi(text, now);
  // Each peer needs at least its "public_key=" line (76 bytes).
  if (dev && dev->peers.size() * 76 > size) std::abort();
  return 0;
}
