// SPDX-License-Identifier: MIT
// Skip helpers: a test states what it needs and skips with the reason when it is missing
// (under CI=true it fails instead: CI installs everything, a skip there tested nothing).
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

/// True when the environment says CI=true: a missing requirement is a failure there.
bool under_ci();

}  // namespace wgwatch::test

/// Skips the current test with `why` (a string); under CI=true fails it instead.
#define WGWATCH_SKIP_OR_FAIL_UNDER_CI(why)                                    \
  do {                                                                        \
    if (::wgwatch::test::under_ci()) {                                        \
      GTEST_FAIL() << (why) << " (CI=true: a missing requirement is a failure)"; \
    }                                                                         \
    GTEST_SKIP() << (why);                                                    \
  } while (false)

/// Skips the current test unless the process has root-equivalent network capabilities.
#define WGWATCH_REQUIRE_ROOT()                                          \
  do {                                                                  \
    if (auto wgwatch_missing_ = ::wgwatch::test::missing_root()) {      \
      WGWATCH_SKIP_OR_FAIL_UNDER_CI(*wgwatch_missing_);                 \
    }                                                                   \
  } while (false)

/// Skips the current test unless `program` is on PATH.
#define WGWATCH_REQUIRE_PROGRAM(program)                                          \
  do {                                                                            \
    if (auto wgwatch_missing_ = ::wgwatch::test::missing_program(program)) {      \
      WGWATCH_SKIP_OR_FAIL_UNDER_CI(*wgwatch_missing_);                           \
    }                                                                             \
  } while (false)
