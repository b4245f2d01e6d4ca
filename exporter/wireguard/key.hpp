// SPDX-License-Identifier: MIT
// wg_key: a 32-byte WireGuard public key, its base64 and hex forms, and X25519 derivation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wgwatch::wg {

inline constexpr std::size_t key_length = 32;

/// A public key. wgwatch never keeps private or preshared keys in this type: parsers wipe
/// them after deriving what they need (see derive_public_key()).
struct wg_key {
  std::array<std::uint8_t, key_length> bytes{};

  friend bool operator==(const wg_key&, const wg_key&) = default;
};

/// Standard base64 with padding (44 characters), as `wg` and config files print keys.
std::string to_base64(const wg_key& key);

/// Appends the 44 base64 characters to `out` (the exposition hot path).
void append_base64(std::string& out, const wg_key& key);

/// 44-character base64 -> key; nullopt if malformed.
std::optional<wg_key> parse_base64_key(std::string_view text) noexcept;

/// 64 hex characters (UAPI form, either case) -> key; nullopt if malformed.
std::optional<wg_key> parse_hex_key(std::string_view text) noexcept;

/// X25519 public key of a private key given as raw bytes. The caller wipes its copy.
std::optional<wg_key> derive_public_key(const std::array<std::uint8_t, key_length>& private_key);

/// Overwrites memory so a secret does not linger.
void wipe(void* data, std::size_t size) noexcept;

struct wg_key_hash {
  std::size_t operator()(const wg_key& k) const noexcept {
    // Keys are uniformly random, so their first bytes are already a good hash.
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | k.bytes[i];
    return h;
  }
};

}  // namespace wgwatch::wg
