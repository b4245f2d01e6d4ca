// SPDX-License-Identifier: MIT
// Length-checked netlink attribute iteration and getters over raw bytes (no casts, no UB).
#pragma once

#include <linux/netlink.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "util/error.hpp"
#include "util/result.hpp"

namespace wgwatch::netlink {

using bytes_view = std::span<const std::uint8_t>;

/// One attribute: its type with NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off, and its
/// payload (nla_len minus the header, without trailing alignment padding).
struct attr {
  std::uint16_t type = 0;
  bool nested_flag = false;  ///< NLA_F_NESTED was set (informational: never required)
  bytes_view payload;
};

inline constexpr std::size_t attr_header_len = NLA_HDRLEN;

constexpr std::size_t align4(std::size_t n) noexcept { return (n + 3U) & ~std::size_t{3}; }

/// Reads a trivially copyable T from the start of `bytes`, whatever its alignment.
/// The caller has checked bytes.size() >= sizeof(T).
template <class T>
T load(bytes_view bytes) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  T value;
  std::memcpy(&value, bytes.data(), sizeof(T));
  return value;
}

/// Calls `f(const attr&) -> result<void>` for every attribute in `bytes` (a message's
/// attribute area or a nest's payload), stopping at the first error `f` returns.
///
/// Fails with errc::truncated_attribute when a header does not fit, when nla_len is below
/// the header size or past the end, or when 1..3 stray bytes are left over. A last
/// attribute whose alignment padding is missing is accepted (its payload fits). Zero-length
/// attributes (pad types such as IFLA_PAD or WGPEER_A_UNSPEC) are passed on like any other;
/// callers ignore the types they do not know.
template <class F>
result<void> for_each_attr(bytes_view bytes, F&& f) {
  while (bytes.size() >= attr_header_len) {
    const auto header = load<nlattr>(bytes);
    if (header.nla_len < attr_header_len || header.nla_len > bytes.size()) {
      return make_error_code(errc::truncated_attribute);
    }
    const attr a{
        static_cast<std::uint16_t>(header.nla_type & NLA_TYPE_MASK),
        (header.nla_type & NLA_F_NESTED) != 0,
        bytes.subspan(attr_header_len, header.nla_len - attr_header_len),
    };
    if (auto r = f(a); !r) return r;
    bytes = bytes.subspan(std::min(align4(header.nla_len), bytes.size()));
  }
  if (!bytes.empty()) return make_error_code(errc::truncated_attribute);
  return {};
}

/// A fixed-size integer attribute in host byte order; nullopt unless the payload is exactly
/// sizeof(Int) bytes (a 3-byte u32 is malformed, not zero-extended).
template <class Int>
std::optional<Int> get_int(const attr& a) noexcept {
  static_assert(std::is_integral_v<Int>);
  if (a.payload.size() != sizeof(Int)) return std::nullopt;
  return load<Int>(a.payload);
}

inline std::optional<std::uint8_t> get_u8(const attr& a) noexcept { return get_int<std::uint8_t>(a); }
inline std::optional<std::uint16_t> get_u16(const attr& a) noexcept { return get_int<std::uint16_t>(a); }
inline std::optional<std::uint32_t> get_u32(const attr& a) noexcept { return get_int<std::uint32_t>(a); }
inline std::optional<std::uint64_t> get_u64(const attr& a) noexcept { return get_int<std::uint64_t>(a); }

/// Exactly N raw bytes (keys, addresses); nullopt on any other length.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> get_bytes(const attr& a) noexcept {
  if (a.payload.size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out;
  std::memcpy(out.data(), a.payload.data(), N);
  return out;
}

/// A string attribute up to its first NUL (or the whole payload if it has none).
inline std::string_view get_string(const attr& a) noexcept {
  const auto* p = reinterpret_cast<const char*>(a.payload.data());
  const auto* nul = static_cast<const char*>(std::memchr(p, 0, a.payload.size()));
  return {p, nul != nullptr ? static_cast<std::size_t>(nul - p) : a.payload.size()};
}

/// A C struct that grows over kernel versions (rtnl_link_stats64): needs at least
/// `min_size` bytes, copies what is there and zero-fills the rest.
template <class T>
std::optional<T> get_struct_prefix(const attr& a, std::size_t min_size = sizeof(T)) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  if (a.payload.size() < min_size) return std::nullopt;
  T value{};
  std::memcpy(&value, a.payload.data(), std::min(a.payload.size(), sizeof(T)));
  return value;
}

}  // namespace wgwatch::netlink
