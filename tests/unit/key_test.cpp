// SPDX-License-Identifier: MIT
// wg_key: base64 and hex forms, X25519 derivation against `wg pubkey`, wiping.
#include "wireguard/key.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace wgwatch::wg {
namespace {

// A throwaway pair from `wg genkey | tee /dev/stderr | wg pubkey`.
constexpr std::string_view private_b64 = "WKjyzJLh+HC0yYWN1lEJCPBsVNM15vE38uFSSs/iYFs=";
constexpr std::string_view private_hex =
    "58a8f2cc92e1f870b4c9858dd6510908f06c54d335e6f137f2e1524acfe2605b";
constexpr std::string_view public_b64 = "PzU2jUT5HeyCpCWQ2qSar4N22LCTwsm0KYZN79EWySw=";
constexpr std::string_view public_hex =
    "3f35368d44f91dec82a42590daa49aaf8376d8b093c2c9b429864defd116c92c";

TEST(key_test, base64_round_trips) {
  const auto key = parse_base64_key(public_b64);
  ASSERT_TRUE(key);
  EXPECT_EQ(to_base64(*key), public_b64);
  std::string out = "prefix:";
  append_base64(out, *key);
  EXPECT_EQ(out, "prefix:" + std::string(public_b64));
}

TEST(key_test, base64_round_trips_edge_bytes) {
  wg_key zeros;
  EXPECT_EQ(to_base64(zeros), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  wg_key ones;
  ones.bytes.fill(0xff);
  EXPECT_EQ(to_base64(ones), "//////////////////////////////////////////8=");
  EXPECT_EQ(parse_base64_key(to_base64(ones)), ones);
  wg_key counting;
  for (std::size_t i = 0; i < key_length; ++i) counting.bytes[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_EQ(parse_base64_key(to_base64(counting)), counting);
}

TEST(key_test, hex_and_base64_forms_agree) {
  EXPECT_EQ(parse_hex_key(public_hex), parse_base64_key(public_b64));
  std::string upper(public_hex);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  EXPECT_EQ(parse_hex_key(upper), parse_base64_key(public_b64));
}

TEST(key_test, rejects_malformed_base64) {
  const std::string good(public_b64);
  EXPECT_FALSE(parse_base64_key(""));
  EXPECT_FALSE(parse_base64_key(good.substr(0, 43)));           // no padding
  EXPECT_FALSE(parse_base64_key(good + "="));                    // too long
  EXPECT_FALSE(parse_base64_key(good.substr(0, 43) + "A"));      // last char not '='
  EXPECT_FALSE(parse_base64_key(good.substr(0, 42) + "=="));     // 31 bytes' padding
  std::string bad_char = good;
  bad_char[5] = '*';
  EXPECT_FALSE(parse_base64_key(bad_char));
  std::string url_safe = good;
  url_safe[0] = '-';
  EXPECT_FALSE(parse_base64_key(url_safe));
  std::string space = good;
  space[10] = ' ';
  EXPECT_FALSE(parse_base64_key(space));
  // 'w' is 48 = 0b110000: low bits clear; 'x' (49) sets a padding bit: not canonical.
  EXPECT_TRUE(parse_base64_key(good.substr(0, 42) + "w="));
  EXPECT_FALSE(parse_base64_key(good.substr(0, 42) + "x="));
}

TEST(key_test, rejects_malformed_hex) {
  const std::string good(public_hex);
  EXPECT_FALSE(parse_hex_key(""));
  EXPECT_FALSE(parse_hex_key(good.substr(0, 63)));
  EXPECT_FALSE(parse_hex_key(good + "0"));
  std::string bad = good;
  bad[17] = 'g';
  EXPECT_FALSE(parse_hex_key(bad));
  bad[17] = ' ';
  EXPECT_FALSE(parse_hex_key(bad));
  EXPECT_FALSE(parse_hex_key(public_b64));
}

TEST(key_test, derives_the_public_key_wg_pubkey_prints) {
  const auto priv = parse_base64_key(private_b64);
  ASSERT_TRUE(priv);
  EXPECT_EQ(parse_hex_key(private_hex), priv);
  const auto pub = derive_public_key(priv->bytes);
  ASSERT_TRUE(pub);
  EXPECT_EQ(to_base64(*pub), public_b64);
}

TEST(key_test, wipe_zeroes_the_memory) {
  auto priv = parse_base64_key(private_b64);
  ASSERT_TRUE(priv);
  wipe(priv->bytes.data(), priv->bytes.size());
  EXPECT_EQ(*priv, wg_key{});
  std::string text(private_hex);
  wipe(text.data(), text.size());
  EXPECT_EQ(text, std::string(private_hex.size(), '\0'));
}

TEST(key_test, hash_distinguishes_keys) {
  const auto a = parse_base64_key(public_b64);
  const auto b = parse_base64_key(private_b64);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(wg_key_hash{}(*a), wg_key_hash{}(*a));
  EXPECT_NE(wg_key_hash{}(*a), wg_key_hash{}(*b));
}

}  // namespace
}  // namespace wgwatch::wg
