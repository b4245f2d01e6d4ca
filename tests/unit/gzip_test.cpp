// SPDX-License-Identifier: MIT
// gzip_compress/gzip_decompress round trips and Accept-Encoding parsing.
#include "http/gzip.hpp"

#include <gtest/gtest.h>

#include <random>

namespace wgwatch::http {
namespace {

TEST(gzip_test, round_trips_text) {
  std::string body;
  for (int i = 0; i < 20000; ++i) {
    body += "wireguard_peer_receive_bytes_total{device=\"wg0\",public_key=\"" + std::to_string(i) +
            "\"} " + std::to_string(i * 1000) + "\n";
  }
  const auto packed = gzip_compress(body);
  EXPECT_LT(packed.size(), body.size() / 4);
  ASSERT_GE(packed.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(packed[0]), 0x1f);  // RFC 1952 magic
  EXPECT_EQ(static_cast<unsigned char>(packed[1]), 0x8b);
  EXPECT_EQ(gzip_decompress(packed), body);
}

TEST(gzip_test, round_trips_empty_and_binary_at_every_level) {
  std::mt19937 rng(42);
  std::string noise(100000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (int level = 0; level <= 3; ++level) {  // ISA-L's levels
    EXPECT_EQ(gzip_decompress(gzip_compress("", level)), "") << level;
    EXPECT_EQ(gzip_decompress(gzip_compress(noise, level)), noise) << level;
  }
}

// Bodies larger than the first output guess (incompressible input) make the buffer grow.
TEST(gzip_test, grows_its_output_for_incompressible_bodies) {
  std::mt19937 rng(7);
  std::string noise(3 << 20, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  const auto packed = gzip_compress(noise);
  EXPECT_GT(packed.size(), noise.size() / 2);
  EXPECT_EQ(gzip_decompress(packed), noise);
}

TEST(gzip_test, rejects_invalid_streams) {
  const auto packed = gzip_compress("hello, hello, hello");
  EXPECT_FALSE(gzip_decompress(""));
  EXPECT_FALSE(gzip_decompress("hello"));
  EXPECT_FALSE(gzip_decompress(packed.substr(0, packed.size() - 4)));  // truncated trailer
  std::string corrupt = packed;
  corrupt[packed.size() - 6] ^= 0x55;  // CRC32 mismatch
  EXPECT_FALSE(gzip_decompress(corrupt));
}

TEST(gzip_test, invalid_level_throws) {
  EXPECT_THROW(gzip_compress("x", 4), std::invalid_argument);
  EXPECT_THROW(gzip_compress("x", -1), std::invalid_argument);
}

TEST(gzip_test, accepts_gzip_parses_accept_encoding) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("GZip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip;q=0.5"));
  EXPECT_TRUE(accepts_gzip("deflate , gzip ; q=1.0 , br"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_TRUE(accepts_gzip("identity, *;q=0.1"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("gzip;Q=0.0"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("x-gzip2"));
  EXPECT_FALSE(accepts_gzip("gzipx"));
  // An explicit gzip entry overrides "*", in either order.
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_TRUE(accepts_gzip("*;q=0, gzip"));
}

}  // namespace
}  // namespace wgwatch::http
