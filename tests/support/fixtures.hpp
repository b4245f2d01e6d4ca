// SPDX-License-Identifier: MIT
// Test fixture files under tests/fixtures/: paths and whole-file reads.
#pragma once

#include <string>
#include <string_view>

namespace wgwatch::test {

/// `<source>/tests/fixtures/<relative>`.
std::string fixture_path(std::string_view relative);

/// The bytes of a fixture file. Throws std::runtime_error naming the path if it cannot be
/// read: a missing fixture is a broken checkout, not a skip.
std::string read_fixture(std::string_view relative);

}  // namespace wgwatch::test
