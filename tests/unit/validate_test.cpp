// SPDX-License-Identifier: MIT
// check_*: the single-value config rules shared by the loader and the CLI, exact messages.
#include "config/validate.hpp"

#include <gtest/gtest.h>

namespace wgwatch::config {
namespace {

using namespace std::chrono_literals;

TEST(validate_test, telemetry_path) {
  EXPECT_EQ(check_telemetry_path("/metrics"), std::nullopt);
  EXPECT_EQ(check_telemetry_path("/"), std::nullopt);
  EXPECT_EQ(check_telemetry_path("/a/b-c_d.e"), std::nullopt);
  EXPECT_EQ(check_telemetry_path(""), "must start with \"/\"");
  EXPECT_EQ(check_telemetry_path("metrics"), "must start with \"/\"");
  EXPECT_EQ(check_telemetry_path("/a b"), "must not contain whitespace or control characters");
  EXPECT_EQ(check_telemetry_path("/a\x01"), "must not contain whitespace or control characters");
  EXPECT_EQ(check_telemetry_path("/m?x=1"), "must not contain \"?\" or \"#\"");
  EXPECT_EQ(check_telemetry_path("/m#x"), "must not contain \"?\" or \"#\"");
}

TEST(validate_test, socket_dir) {
  EXPECT_EQ(check_socket_dir("/var/run/wireguard"), std::nullopt);
  EXPECT_EQ(check_socket_dir("var/run"), "must be an absolute path");
  EXPECT_EQ(check_socket_dir(""), "must be an absolute path");
}

TEST(validate_test, interface_name) {
  EXPECT_EQ(check_interface_name("wg0"), std::nullopt);
  EXPECT_EQ(check_interface_name("abcdefghijklmno"), std::nullopt);  // 15: IFNAMSIZ - 1
  EXPECT_EQ(check_interface_name("..."), std::nullopt);
  EXPECT_EQ(check_interface_name("abcdefghijklmnop"),
            "invalid interface name \"abcdefghijklmnop\": must be 1 to 15 characters");
  EXPECT_EQ(check_interface_name("a\tb"),
            "invalid interface name \"a\tb\": must not contain whitespace");
}

TEST(validate_test, recent_handshake_window) {
  EXPECT_EQ(check_recent_handshake_window(1s), std::nullopt);
  EXPECT_EQ(check_recent_handshake_window(24h), std::nullopt);
  EXPECT_EQ(check_recent_handshake_window(999ms), "must be at least 1s");
  EXPECT_EQ(check_recent_handshake_window(24h + 1ms), "must be at most 1d");
  EXPECT_EQ(check_recent_handshake_window(1500ms), "must be a whole number of seconds");
}

TEST(validate_test, read_timeout) {
  EXPECT_EQ(check_read_timeout(10ms), std::nullopt);
  EXPECT_EQ(check_read_timeout(60s), std::nullopt);
  EXPECT_EQ(check_read_timeout(9ms), "must be at least 10ms");
  EXPECT_EQ(check_read_timeout(60001ms), "must be at most 1m");
}

TEST(validate_test, peer_name) {
  EXPECT_EQ(check_peer_name("site-b"), std::nullopt);
  EXPECT_EQ(check_peer_name(""), "must not be empty");
  EXPECT_EQ(check_peer_name("a\nb"), "must not contain control characters");
}

}  // namespace
}  // namespace wgwatch::config
