// SPDX-License-Identifier: MIT
// logfmt lines: layout, quoting, level parsing and filtering, redaction of secret keys.
#include "util/log.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace wgwatch::log {
namespace {

constexpr std::string_view ts = "2026-01-02T03:04:05Z";

// "YYYY-MM-DDTHH:MM:SS" with optional fractional seconds, then "Z".
bool is_utc_timestamp(std::string_view t) {
  constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd";
  if (t.size() < shape.size() + 1 || !t.ends_with('Z')) return false;
  for (std::size_t i = 0; i < t.size() - 1; ++i) {
    const char want = i < shape.size() ? shape[i] : (i == shape.size() ? '.' : 'd');
    const bool ok = want == 'd' ? std::isdigit(static_cast<unsigned char>(t[i])) != 0 : t[i] == want;
    if (!ok) return false;
  }
  return true;
}

TEST(log_test, timestamp_shape_check_itself_works) {
  EXPECT_TRUE(is_utc_timestamp("2026-11-25T20:11:16Z"));
  EXPECT_TRUE(is_utc_timestamp("2026-11-25T20:11:16.123Z"));
  EXPECT_FALSE(is_utc_timestamp("2026-11-25 20:11:16Z"));
  EXPECT_FALSE(is_utc_timestamp("2026-11-25T20:11:16"));
  EXPECT_FALSE(is_utc_timestamp("2026-11-25T20:11:16+01:00"));
}

TEST(log_test, formats_ts_level_msg_then_fields_in_order) {
  EXPECT_EQ(format_line(ts, level::warn, "device read failed",
                        {{"device", "wg0"}, {"backend", "userspace"}, {"err", "timed out"}}),
            "ts=2026-01-02T03:04:05Z level=warn msg=\"device read failed\" device=wg0 "
            "backend=userspace err=\"timed out\"");
  EXPECT_EQ(format_line(ts, level::debug, "started", {}),
            "ts=2026-01-02T03:04:05Z level=debug msg=started");
}

TEST(log_test, quotes_values_that_need_it) {
  const auto line = [](std::string value) {
    return format_line(ts, level::info, "m", {{"k", std::move(value)}});
  };
  const std::string prefix = "ts=2026-01-02T03:04:05Z level=info msg=m k=";
  EXPECT_EQ(line("plain"), prefix + "plain");
  EXPECT_EQ(line(""), prefix + "\"\"");
  EXPECT_EQ(line("a b"), prefix + "\"a b\"");
  EXPECT_EQ(line("a=b"), prefix + "\"a=b\"");
  EXPECT_EQ(line("say \"hi\""), prefix + "\"say \\\"hi\\\"\"");
  EXPECT_EQ(line("C:\\dir"), prefix + "\"C:\\\\dir\"");
  EXPECT_EQ(line("two\nlines"), prefix + "\"two\\nlines\"");
  EXPECT_EQ(line("tab\there"), prefix + "\"tab\\there\"");
  EXPECT_EQ(line("cr\rhere"), prefix + "\"cr\\rhere\"");
  EXPECT_EQ(line("[fe80::1%eth0]:51820"), prefix + "[fe80::1%eth0]:51820");
}

TEST(log_test, a_line_never_contains_a_raw_newline) {
  const auto l = format_line(ts, level::error, "bad\nmsg", {{"err", "x\ny\r\n"}});
  EXPECT_EQ(l.find('\n'), std::string::npos);
  EXPECT_EQ(l.find('\r'), std::string::npos);
}

// A value from outside (an interface name, an HTTP error, a peer's endpoint) must not drive
// the terminal of whoever reads the log: ESC starts escape sequences, BEL rings, DEL erases.
TEST(log_test, control_characters_are_escaped) {
  const auto line = [](std::string value) {
    return format_line(ts, level::info, "m", {{"k", std::move(value)}});
  };
  const std::string prefix = "ts=2026-01-02T03:04:05Z level=info msg=m k=";
  EXPECT_EQ(line("\x1b[2Jwiped"), prefix + "\"\\u001b[2Jwiped\"");
  EXPECT_EQ(line("bell\x07"), prefix + "\"bell\\u0007\"");
  EXPECT_EQ(line("del\x7f"), prefix + "\"del\\u007f\"");
  EXPECT_EQ(line(std::string("nul\0", 4)), prefix + "\"nul\\u0000\"");
  EXPECT_EQ(line("\x01\x1f"), prefix + "\"\\u0001\\u001f\"");
  EXPECT_EQ(line("caf\xc3\xa9"), prefix + "\"caf\xc3\xa9\"");  // UTF-8 passes as it is
  // In the message as well as in the fields, and no control byte survives anywhere.
  const auto l = format_line(ts, level::warn, "\x1b]0;title\x07", {{"k", "\x1b"}});
  EXPECT_EQ(l, "ts=2026-01-02T03:04:05Z level=warn msg=\"\\u001b]0;title\\u0007\" k=\"\\u001b\"");
  for (const char c : l) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << l;
}

TEST(log_test, redacts_keys_naming_secrets) {
  const std::string secret = "58a8f2cc92e1f870b4c9858dd6510908f06c54d335e6f137f2e1524acfe2605b";
  const auto l = format_line(ts, level::info, "m",
                             {{"private_key", secret},
                              {"preshared_key", secret},
                              {"peer_private", secret},
                              {"client_secret", secret},
                              {"public_key", "PzU2jUT5HeyCpCWQ2qSar4N22LCTwsm0KYZN79EWySw="}});
  EXPECT_EQ(l.find(secret), std::string::npos) << l;
  EXPECT_EQ(l,
            "ts=2026-01-02T03:04:05Z level=info msg=m private_key=[redacted] "
            "preshared_key=[redacted] peer_private=[redacted] client_secret=[redacted] "
            "public_key=\"PzU2jUT5HeyCpCWQ2qSar4N22LCTwsm0KYZN79EWySw=\"");
}

TEST(log_test, parses_exactly_the_four_level_names) {
  EXPECT_EQ(parse_level("debug"), level::debug);
  EXPECT_EQ(parse_level("info"), level::info);
  EXPECT_EQ(parse_level("warn"), level::warn);
  EXPECT_EQ(parse_level("error"), level::error);
  EXPECT_EQ(parse_level("warning"), std::nullopt);
  EXPECT_EQ(parse_level("INFO"), std::nullopt);
  EXPECT_EQ(parse_level(""), std::nullopt);
  EXPECT_EQ(parse_level("info "), std::nullopt);
  for (auto l : {level::debug, level::info, level::warn, level::error}) {
    EXPECT_EQ(parse_level(to_string(l)), l);
  }
}

class log_level_test : public testing::Test {
 protected:
  void SetUp() override { saved_ = current_level(); }
  void TearDown() override { set_level(saved_); }

 private:
  level saved_ = level::info;
};

TEST_F(log_level_test, filters_below_the_minimum_level) {
  set_level(level::warn);
  EXPECT_EQ(current_level(), level::warn);
  EXPECT_FALSE(enabled(level::debug));
  EXPECT_FALSE(enabled(level::info));
  EXPECT_TRUE(enabled(level::warn));
  EXPECT_TRUE(enabled(level::error));

  testing::internal::CaptureStderr();
  info("hidden");
  warn("shown", {{"device", "wg0"}});
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  ASSERT_TRUE(out.starts_with("ts=")) << out;
  EXPECT_TRUE(out.ends_with("Z level=warn msg=shown device=wg0\n")) << out;
  EXPECT_TRUE(is_utc_timestamp(out.substr(3, out.find(' ') - 3))) << out;
}

}  // namespace
}  // namespace wgwatch::log
