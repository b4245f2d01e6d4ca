// SPDX-License-Identifier: MIT
// parse_listen_address / to_string: the forms the CLI and the config accept, exact errors.
#include "config/listen_address.hpp"

#include <gtest/gtest.h>

#include <ostream>

namespace wgwatch::config {

// gtest prints a mismatching address as text, not bytes.
void PrintTo(const listen_address& a, std::ostream* os) { *os << '"' << to_string(a) << '"'; }

namespace {

std::string error_of(std::string_view text) {
  std::string error;
  const auto a = parse_listen_address(text, &error);
  EXPECT_FALSE(a.has_value()) << text << " parsed as " << (a ? to_string(*a) : "");
  return error;
}

TEST(listen_address_test, parses_every_form) {
  EXPECT_EQ(parse_listen_address(":9586"), (listen_address{"", 9586}));
  EXPECT_EQ(parse_listen_address("127.0.0.1:9586"), (listen_address{"127.0.0.1", 9586}));
  EXPECT_EQ(parse_listen_address("0.0.0.0:0"), (listen_address{"0.0.0.0", 0}));
  EXPECT_EQ(parse_listen_address("[::1]:9586"), (listen_address{"::1", 9586}));
  EXPECT_EQ(parse_listen_address("[::]:65535"), (listen_address{"::", 65535}));
  EXPECT_EQ(parse_listen_address("[fe80::1%eth0]:80"), (listen_address{"fe80::1%eth0", 80}));
  EXPECT_EQ(parse_listen_address("localhost:9586"), (listen_address{"localhost", 9586}));
  EXPECT_EQ(parse_listen_address("metrics.example.org:1"),
            (listen_address{"metrics.example.org", 1}));
}

TEST(listen_address_test, to_string_round_trips) {
  for (const std::string_view text :
       {":9586", "127.0.0.1:0", "[::1]:9586", "[fe80::1%eth0]:80", "localhost:65535"}) {
    const auto a = parse_listen_address(text);
    ASSERT_TRUE(a.has_value()) << text;
    EXPECT_EQ(to_string(*a), text);
  }
}

TEST(listen_address_test, rejects_missing_port) {
  constexpr std::string_view missing = "missing port (expected host:port, [v6]:port or :port)";
  EXPECT_EQ(error_of("9586"), missing);
  EXPECT_EQ(error_of("localhost"), missing);
  EXPECT_EQ(error_of("127.0.0.1:"), missing);
  EXPECT_EQ(error_of(":"), missing);
  EXPECT_EQ(error_of("[::1]"), missing);
  EXPECT_EQ(error_of("[::1]:"), missing);
  EXPECT_EQ(error_of("[::1]9586"), missing);
  EXPECT_EQ(error_of(""), "empty address (expected host:port, [v6]:port or :port)");
}

TEST(listen_address_test, rejects_port_out_of_range) {
  EXPECT_EQ(error_of(":65536"), "port 65536 out of range (0-65535)");
  EXPECT_EQ(error_of("[::1]:99999999999999999999"),
            "port 99999999999999999999 out of range (0-65535)");
}

TEST(listen_address_test, rejects_garbage) {
  EXPECT_EQ(error_of(":http"), "invalid port \"http\"");
  EXPECT_EQ(error_of(":-1"), "invalid port \"-1\"");
  EXPECT_EQ(error_of(":+80"), "invalid port \"+80\"");
  EXPECT_EQ(error_of(": 80"), "invalid port \" 80\"");
  EXPECT_EQ(error_of("::1:9586"), "an IPv6 address needs brackets, e.g. \"[::1]:9586\"");
  EXPECT_EQ(error_of("fe80::1"), "an IPv6 address needs brackets, e.g. \"[::1]:9586\"");
  EXPECT_EQ(error_of("[::1:9586"), "missing \"]\" after the IPv6 address");
  EXPECT_EQ(error_of("[127.0.0.1]:80"), "invalid IPv6 address \"127.0.0.1\"");
  EXPECT_EQ(error_of("[]:80"), "invalid IPv6 address \"\"");
  EXPECT_EQ(error_of("1.2.3.999:80"), "invalid IPv4 address \"1.2.3.999\"");
  EXPECT_EQ(error_of("1.2.3:80"), "invalid IPv4 address \"1.2.3\"");
  EXPECT_EQ(error_of("bad host:80"), "invalid host \"bad host\"");
  EXPECT_EQ(error_of("-a.example:80"), "invalid host \"-a.example\"");
  EXPECT_EQ(error_of("a..b:80"), "invalid host \"a..b\"");
  EXPECT_EQ(error_of("http://x:80"), "invalid host \"http://x\"");
}

TEST(listen_address_test, error_pointer_is_optional) {
  EXPECT_FALSE(parse_listen_address("garbage").has_value());
}

}  // namespace
}  // namespace wgwatch::config
