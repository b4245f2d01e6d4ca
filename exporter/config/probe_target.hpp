// SPDX-License-Identifier: MIT
// Probe targets as configured: numeric addresses, "host:port", http(s) URLs -> their parts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wgwatch::config {

// Every parse_* function returns nullopt on failure and, if `error` is given, stores the
// complete message there (with the text quoted), e.g.
// `invalid target "example.com:80": host must be a numeric IPv4 or IPv6 address (no DNS)`.
// Hosts are numeric on purpose: a name would be resolved through whatever path DNS takes,
// not through the tunnel under test. All are pure and thread-safe.

enum class address_family { ipv4, ipv6 };

/// "IPv4" or "IPv6".
constexpr const char* to_string(address_family f) noexcept {
  return f == address_family::ipv4 ? "IPv4" : "IPv6";
}

/// The family of a numeric IPv4 or IPv6 address (inet_pton syntax, no brackets, no zone);
/// nullopt for anything else. No message: callers say what the address is for.
std::optional<address_family> address_family_of(std::string_view address);

struct host_port {
  std::string host;  ///< numeric, without brackets
  std::uint16_t port = 0;
  address_family family = address_family::ipv4;
};

/// A TCP probe target: "192.0.2.1:443" or "[2001:db8::1]:443", port 1-65535.
std::optional<host_port> parse_host_port(std::string_view text, std::string* error = nullptr);

struct http_url {
  bool https = false;
  std::string host;        ///< numeric, without brackets
  std::uint16_t port = 0;  ///< the explicit port, else 80 or 443
  std::string target;      ///< path (default "/") and query, percent-encoded as written
  address_family family = address_family::ipv4;
};

/// An HTTP probe URL: scheme http or https (any case), a numeric host (IPv6 in brackets),
/// optional port 1-65535, optional path and query; no user information, no fragment.
/// Parsed with Boost.URL.
std::optional<http_url> parse_http_url(std::string_view text, std::string* error = nullptr);

}  // namespace wgwatch::config
