// SPDX-License-Identifier: MIT
// Fuzz target: load_string over arbitrary text. A config comes back only without diagnostics,
// and every diagnostic names the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto loaded = wgwatch::config::load_string(text, "fuzz.toml");
  if (loaded.value.has_value() == !loaded.diagnostics.empty()) std::abort();
  for (const auto& d : loaded.diagnostics) {
    if (d.file != "fuzz.toml") std::abort();
  }
  return 0;
}
