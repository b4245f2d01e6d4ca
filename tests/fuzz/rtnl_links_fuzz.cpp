// SPDX-License-Identifier: MIT
// Fuzz target: parse_link_message over arbitrary bytes (one RTM_NEWLINK message of a link
// dump, as read_links() receives it from the kernel).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "link/rtnl_links.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto link = wgwatch::link::parse_link_message(std::span<const std::uint8_t>(data, size));
  if (!link) return 0;
  // Names and kinds are copied out of attributes inside the message.
  if (link->name.size() + link->kind.size() > size) std::abort();
  return 0;
}
