// SPDX-License-Identifier: MIT
// The gtest main shared by every test executable; netns test programs are first moved into
// their private network + mount namespace (see WGWATCH_ISOLATED_TEST_PROGRAM()).
#include <gtest/gtest.h>

#include <csignal>
#include <string_view>

#include "support/netns.hpp"

namespace {

// Test discovery (--gtest_list_tests) only lists names: it needs no namespace.
bool listing_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--gtest_list_tests") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // unshare(CLONE_NEWNS) needs a single-threaded process: isolate before gtest starts.
  if (wgwatch::test::isolation_requested() && !listing_only(argc, argv)) {
    wgwatch::test::isolate_process();  // a failure is reported by WGWATCH_REQUIRE_ISOLATION()
  }
  // Tests write to children's stdin and to sockets of processes that may have exited: an
  // EPIPE is a test failure to report, not a reason to die silently.
  std::signal(SIGPIPE, SIG_IGN);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
