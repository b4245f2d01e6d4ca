// SPDX-License-Identifier: MIT
// exposition_writer: text format 0.0.4 layout, label escaping, number formatting.
#include "metrics/exposition_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace wgwatch::metrics {
namespace {

std::string one_sample(double v) {
  std::string body;
  exposition_writer(body).sample("m").value(v);
  return body;
}

TEST(exposition_writer_test, writes_help_type_and_samples) {
  std::string body;
  exposition_writer w(body);
  w.family("wireguard_device_peers", "Peers configured on the device.", metric_type::gauge);
  w.sample("wireguard_device_peers").label("device", "wg0").value(std::uint64_t{3});
  w.sample("wireguard_device_peers").label("device", "wg1").value(std::uint64_t{0});
  w.family("requests_total", "Requests.", metric_type::counter);
  w.sample("requests_total").value(std::int64_t{-1});
  EXPECT_EQ(body,
            "# HELP wireguard_device_peers Peers configured on the device.\n"
            "# TYPE wireguard_device_peers gauge\n"
            "wireguard_device_peers{device=\"wg0\"} 3\n"
            "wireguard_device_peers{device=\"wg1\"} 0\n"
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total -1\n");
  EXPECT_EQ(&w.buffer(), &body);
}

TEST(exposition_writer_test, writes_histogram_families) {
  std::string body;
  exposition_writer w(body);
  w.family("rtt_seconds", "Round trips.", metric_type::histogram);
  w.sample("rtt_seconds_bucket").label("le", "+Inf").value(std::uint64_t{2});
  w.sample("rtt_seconds_sum").value(0.5);
  w.sample("rtt_seconds_count").value(std::uint64_t{2});
  EXPECT_EQ(body,
            "# HELP rtt_seconds Round trips.\n"
            "# TYPE rtt_seconds histogram\n"
            "rtt_seconds_bucket{le=\"+Inf\"} 2\n"
            "rtt_seconds_sum 0.5\n"
            "rtt_seconds_count 2\n");
}

TEST(exposition_writer_test, appends_to_existing_text) {
  std::string body = "existing\n";
  exposition_writer(body).sample("m").label("a", "1").label("b", "2").value(1.0);
  EXPECT_EQ(body, "existing\nm{a=\"1\",b=\"2\"} 1\n");
}

TEST(exposition_writer_test, escapes_label_values) {
  std::string body;
  exposition_writer(body).sample("m").label("v", "a\\b\"c\nd").value(1.0);
  EXPECT_EQ(body, "m{v=\"a\\\\b\\\"c\\nd\"} 1\n");
  std::string out;
  append_escaped(out, "plain");
  append_escaped(out, "");
  append_escaped(out, "\\\\");
  append_escaped(out, "tab\tstays");
  EXPECT_EQ(out, "plain\\\\\\\\tab\tstays");
}

// Prometheus rejects a whole scrape over one label value that is not UTF-8 (an interface
// name or an IPv6 zone is any bytes the kernel accepted): invalid bytes become U+FFFD.
TEST(exposition_writer_test, label_values_are_made_valid_utf8) {
  const auto escaped = [](std::string_view value) {
    std::string out;
    append_escaped(out, value);
    return out;
  };
  const std::string r = "\xef\xbf\xbd";  // U+FFFD
  // Valid sequences of every length pass unchanged.
  EXPECT_EQ(escaped("wg-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"),
            "wg-\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
  EXPECT_EQ(escaped("wg\xff" "0"), "wg" + r + "0");                   // never a UTF-8 byte
  EXPECT_EQ(escaped("\x80"), r);                                    // lone continuation
  EXPECT_EQ(escaped("wg\xc3"), "wg" + r);                            // cut at the end
  EXPECT_EQ(escaped("\xe2\x82\"\n"), r + r + "\\\"\\n");   // cut, then escapes
  EXPECT_EQ(escaped("\xc0\xaf"), r + r);                            // overlong '/'
  EXPECT_EQ(escaped("\xe0\x80\xaf"), r + r + r);                    // overlong, 3 bytes
  EXPECT_EQ(escaped("\xed\xa0\x80"), r + r + r);                    // UTF-16 surrogate
  EXPECT_EQ(escaped("\xf4\x90\x80\x80"), r + r + r + r);           // above U+10FFFF
  EXPECT_EQ(escaped(std::string_view("a\0b", 3)), std::string("a\0b", 3));  // NUL is valid UTF-8

  std::string body;
  exposition_writer(body).sample("m").label("device", "wg\xfe").value(1.0);
  EXPECT_EQ(body, "m{device=\"wg" + r + "\"} 1\n");
  std::string prefix;
  append_label(prefix, "zone", "eth\xe9");
  EXPECT_EQ(prefix, "zone=\"eth" + r + "\"");
}

TEST(exposition_writer_test, help_escapes_backslash_and_newline_but_not_quotes) {
  std::string body;
  exposition_writer(body).family("m", "a \"quoted\" \\ two\nlines", metric_type::gauge);
  EXPECT_EQ(body, "# HELP m a \"quoted\" \\\\ two\\nlines\n# TYPE m gauge\n");
}

TEST(exposition_writer_test, formats_floats) {
  EXPECT_EQ(one_sample(0.0), "m 0\n");
  EXPECT_EQ(one_sample(1.0), "m 1\n");
  EXPECT_EQ(one_sample(-3.0), "m -3\n");
  EXPECT_EQ(one_sample(0.5), "m 0.5\n");
  EXPECT_EQ(one_sample(1795637061.928142), "m 1795637061.928142\n");
  EXPECT_EQ(one_sample(1e21), "m 1e+21\n");
  EXPECT_EQ(one_sample(0.1), "m 0.1\n");  // shortest round-trip form
  EXPECT_EQ(one_sample(std::numeric_limits<double>::infinity()), "m +Inf\n");
  EXPECT_EQ(one_sample(-std::numeric_limits<double>::infinity()), "m -Inf\n");
  EXPECT_EQ(one_sample(std::nan("")), "m NaN\n");
}

TEST(exposition_writer_test, formats_integers_exactly) {
  std::string body;
  exposition_writer w(body);
  w.sample("u").value(std::numeric_limits<std::uint64_t>::max());
  w.sample("i").value(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(body, "u 18446744073709551615\ni -9223372036854775808\n");
}

TEST(exposition_writer_test, raw_labels_combine_with_labels) {
  std::string prefix;
  append_label(prefix, "device", "wg\"0");
  append_label(prefix, "public_key", "k=");
  EXPECT_EQ(prefix, "device=\"wg\\\"0\",public_key=\"k=\"");

  std::string body;
  exposition_writer w(body);
  w.sample("a").raw_labels(prefix).value(1.0);
  w.sample("b").raw_labels(prefix).label("x", "y").value(1.0);
  w.sample("c").label("x", "y").raw_labels(prefix).value(1.0);
  w.sample("d").raw_labels("").value(1.0);  // empty: no braces
  EXPECT_EQ(body,
            "a{device=\"wg\\\"0\",public_key=\"k=\"} 1\n"
            "b{device=\"wg\\\"0\",public_key=\"k=\",x=\"y\"} 1\n"
            "c{x=\"y\",device=\"wg\\\"0\",public_key=\"k=\"} 1\n"
            "d 1\n");
}

TEST(exposition_writer_test, append_label_starts_after_an_open_brace) {
  std::string s = "{";
  append_label(s, "a", "1");
  append_label(s, "b", "2");
  EXPECT_EQ(s, "{a=\"1\",b=\"2\"");
}

}  // namespace
}  // namespace wgwatch::metrics
