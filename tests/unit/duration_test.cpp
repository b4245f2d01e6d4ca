// SPDX-License-Identifier: MIT
// parse_duration / format_duration: Prometheus-style durations and their exact errors.
#include "config/duration.hpp"

#include <gtest/gtest.h>

namespace wgwatch::config {
namespace {

using namespace std::chrono_literals;

std::string error_of(std::string_view text) {
  std::string error;
  const auto d = parse_duration(text, &error);
  EXPECT_FALSE(d.has_value()) << text << " parsed as " << (d ? d->count() : 0) << "ms";
  return error;
}

TEST(duration_test, parses_each_unit) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("3m"), 3min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("2d"), 48h);
}

TEST(duration_test, parses_combined_units_largest_first) {
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("1d2h3m4s5ms"), 24h + 2h + 3min + 4s + 5ms);
  EXPECT_EQ(parse_duration("1m500ms"), 60500ms);
}

TEST(duration_test, parses_zero_and_leading_zeros) {
  EXPECT_EQ(parse_duration("0"), 0ms);
  EXPECT_EQ(parse_duration("0s"), 0ms);
  EXPECT_EQ(parse_duration("007s"), 7s);
  EXPECT_EQ(parse_duration("90s"), 90s);
}

TEST(duration_test, error_pointer_is_optional) {
  EXPECT_FALSE(parse_duration("5x").has_value());
  EXPECT_TRUE(parse_duration("5s").has_value());
}

TEST(duration_test, rejects_empty) { EXPECT_EQ(error_of(""), "empty duration"); }

TEST(duration_test, rejects_unknown_unit) {
  EXPECT_EQ(error_of("5x"), "unknown unit \"x\" (use ms, s, m, h or d)");
  EXPECT_EQ(error_of("5sec"), "unknown unit \"sec\" (use ms, s, m, h or d)");
  EXPECT_EQ(error_of("1w"), "unknown unit \"w\" (use ms, s, m, h or d)");
  EXPECT_EQ(error_of("5S"), "unknown unit \"S\" (use ms, s, m, h or d)");
}

TEST(duration_test, rejects_missing_unit) {
  EXPECT_EQ(error_of("5"), "missing unit after \"5\" (use ms, s, m, h or d)");
  EXPECT_EQ(error_of("1h30"), "missing unit after \"30\" (use ms, s, m, h or d)");
}

TEST(duration_test, rejects_missing_number) {
  EXPECT_EQ(error_of("s"), "expected a number at \"s\"");
  EXPECT_EQ(error_of("-5s"), "expected a number at \"-5s\"");
  EXPECT_EQ(error_of(" 5s"), "expected a number at \" 5s\"");
}

TEST(duration_test, rejects_fractions_and_spaces) {
  EXPECT_EQ(error_of("1.5s"), "unknown unit \".\" (use ms, s, m, h or d)");
  EXPECT_EQ(error_of("1h 30m"), "unknown unit \"h \" (use ms, s, m, h or d)");
}

TEST(duration_test, rejects_units_out_of_order_or_repeated) {
  EXPECT_EQ(error_of("30m1h"),
            "unit \"h\" repeated or out of order (largest unit first, each at most once)");
  EXPECT_EQ(error_of("1s1s"),
            "unit \"s\" repeated or out of order (largest unit first, each at most once)");
  EXPECT_EQ(error_of("1ms1s"),
            "unit \"s\" repeated or out of order (largest unit first, each at most once)");
}

TEST(duration_test, rejects_overflow) {
  EXPECT_EQ(error_of("99999999999999999999ms"), "too large");
  EXPECT_EQ(error_of("9223372036854775807d"), "too large");
  EXPECT_EQ(error_of("106751991167d8h"), "too large");
  EXPECT_EQ(parse_duration("106751991167d7h"), 106751991167 * 24h + 7h);
  EXPECT_EQ(parse_duration("9223372036854775807ms"), std::chrono::milliseconds::max());
}

TEST(duration_test, formats_shortest_form) {
  EXPECT_EQ(format_duration(0ms), "0");
  EXPECT_EQ(format_duration(10ms), "10ms");
  EXPECT_EQ(format_duration(1s), "1s");
  EXPECT_EQ(format_duration(180s), "3m");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(24h), "1d");
  EXPECT_EQ(format_duration(25h + 1ms), "1d1h1ms");
  EXPECT_EQ(format_duration(-5s), "-5s");
}

TEST(duration_test, format_round_trips) {
  for (const std::chrono::milliseconds d :
       {1ms, 999ms, 1001ms, 61'000ms, 3'601'000ms, 86'400'001ms, 123'456'789ms}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
  }
}

}  // namespace
}  // namespace wgwatch::config
