// SPDX-License-Identifier: MIT
// Skip helpers: a test states what it needs and skips with the reason when it is missing.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace wgwatch::test {

/// Why the process cannot do privileged network work (not root, no CAP_NET_ADMIN or
/// CAP_SYS_ADMIN); nullopt when it can.
std::optional<std::string> missing_root();

/// Why `program` cannot be run (not found on PATH); nullopt when it is there.
std::optional<std::string> missing_program(std::string_view program);

/// Full path of `program` on PATH; nullopt if absent.
std::optional<std::string> find_program(std::string_view program);

}  // namespace wgwatch::test

/// Skips the current test unless the process has root-equivalent network capabilities.
#define WGWATCH_REQUIRE_ROOT()                                          \
  do {                                                                  \
    if (auto wgwatch_missing_ = ::wgwatch::test::missing_root()) {      \
      GTEST_SKIP() << *wgwatch_missing_;                                \
    }                                                                   \
  } while (false)

/// Skips the current test unless `program` is on PATH.
#define WGWATCH_REQUIRE_PROGRAM(program)                                          \
  do {                                                                            \
    if (auto wgwatch_missing_ = ::wgwatch::test::missing_program(program)) {      \
      GTEST_SKIP() << *wgwatch_missing_;                                          \
    }                                                                             \
  } while (false)
