// SPDX-License-Identifier: MIT
// Reads fixture files relative to WGWATCH_FIXTURES_DIR.
#include "support/fixtures.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace wgwatch::test {

std::string fixture_path(std::string_view relative) {
  return std::string(WGWATCH_FIXTURES_DIR) + "/" + std::string(relative);
}

std::string read_fixture(std::string_view relative) {
  const std::string path = fixture_path(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace wgwatch::test
