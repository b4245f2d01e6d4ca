// SPDX-License-Identifier: MIT
// Loading config text in tests: its diagnostics as strings, or the config it yields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/load.hpp"

namespace wgwatch::test {

/// Two valid public keys for config texts.
inline constexpr std::string_view key_a = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
inline constexpr std::string_view key_b = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// Every diagnostic of `text` (file "t.toml"), formatted; fails the test if a value came back
/// with them.
std::vector<std::string> errors_of(std::string_view text);

/// The config of a valid `text`; fails the test with the diagnostics otherwise.
config::config valid(std::string_view text);

}  // namespace wgwatch::test
