// SPDX-License-Identifier: MIT
// Key encodings (base64, hex) and X25519 public-key derivation through OpenSSL.
#include "wireguard/key.hpp"

#include <array>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace wgwatch::wg {
namespace {

constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Hex digit -> value, 0xff for anything else: one load per character on the scrape path
// (a 10,000-peer UAPI reply carries 640,000 hex digits of keys).
constexpr std::array<std::uint8_t, 256> hex_table = [] {
  std::array<std::uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<std::uint8_t>(c);
  for (int c = 0; c < 6; ++c) {
    t['a' + c] = static_cast<std::uint8_t>(10 + c);
    t['A' + c] = static_cast<std::uint8_t>(10 + c);
  }
  return t;
}();

}  // namespace

void append_base64(std::string& out, const wg_key& key) {
  const auto& b = key.bytes;
  std::size_t i = 0;
  char buf[44];
  std::size_t o = 0;
  for (; i + 3 <= key_length; i += 3) {
    const unsigned v = (unsigned{b[i]} << 16) | (unsigned{b[i + 1]} << 8) | b[i + 2];
    buf[o++] = base64_alphabet[(v >> 18) & 63];
    buf[o++] = base64_alphabet[(v >> 12) & 63];
    buf[o++] = base64_alphabet[(v >> 6) & 63];
    buf[o++] = base64_alphabet[v & 63];
  }
  // 32 = 30 + 2 remaining bytes: three characters and one '='.
  const unsigned v = (unsigned{b[i]} << 16) | (unsigned{b[i + 1]} << 8);
  buf[o++] = base64_alphabet[(v >> 18) & 63];
  buf[o++] = base64_alphabet[(v >> 12) & 63];
  buf[o++] = base64_alphabet[(v >> 6) & 63];
  buf[o++] = '=';
  out.append(buf, o);
}

std::string to_base64(const wg_key& key) {
  std::string out;
  out.reserve(44);
  append_base64(out, key);
  return out;
}

std::optional<wg_key> parse_base64_key(std::string_view text) noexcept {
  if (text.size() != 44 || text[43] != '=') return std::nullopt;
  wg_key key;
  std::size_t o = 0;
  for (std::size_t i = 0; i < 44; i += 4) {
    int v[4];
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + static_cast<std::size_t>(j)];
      v[j] = (i == 40 && j == 3) ? 0 : base64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const unsigned n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) |
                       unsigned(v[3]);
    key.bytes[o++] = static_cast<std::uint8_t>(n >> 16);
    key.bytes[o++] = static_cast<std::uint8_t>(n >> 8);
    if (o < key_length) key.bytes[o++] = static_cast<std::uint8_t>(n);
  }
  // The last character before '=' carries 2 padding bits that must be zero (canonical form).
  if ((base64_value(text[42]) & 3) != 0) return std::nullopt;
  return key;
}

std::optional<wg_key> parse_hex_key(std::string_view text) noexcept {
  if (text.size() != 2 * key_length) return std::nullopt;
  wg_key key;
  unsigned bad = 0;
  for (std::size_t i = 0; i < key_length; ++i) {
    const unsigned hi = hex_table[static_cast<unsigned char>(text[2 * i])];
    const unsigned lo = hex_table[static_cast<unsigned char>(text[2 * i + 1])];
    bad |= (hi | lo) & 0xf0u;
    key.bytes[i] = static_cast<std::uint8_t>((hi << 4) | (lo & 0x0fu));
  }
  if (bad != 0) return std::nullopt;
  return key;
}

std::optional<wg_key> derive_public_key(const std::array<std::uint8_t, key_length>& private_key) {
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), key_length),
      &EVP_PKEY_free);
  if (!pkey) return std::nullopt;
  wg_key pub;
  std::size_t len = key_length;
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.bytes.data(), &len) != 1 || len != key_length) {
    return std::nullopt;
  }
  return pub;
}

void wipe(void* data, std::size_t size) noexcept { OPENSSL_cleanse(data, size); }

}  // namespace wgwatch::wg
