// SPDX-License-Identifier: MIT
// Config text helpers for the config tests.
#include "support/config_text.hpp"

#include <gtest/gtest.h>

namespace wgwatch::test {

std::vector<std::string> errors_of(std::string_view text) {
  const config::load_result r = config::load_string(text, "t.toml");
  EXPECT_NE(r.value.has_value(), !r.diagnostics.empty()) << "value and diagnostics together";
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(to_string(d));
  return out;
}

config::config valid(std::string_view text) {
  config::load_result r = config::load_string(text, "t.toml");
  for (const auto& d : r.diagnostics) ADD_FAILURE() << to_string(d);
  EXPECT_TRUE(r.value.has_value());
  return r.value.value_or(config::config{});
}

}  // namespace wgwatch::test
