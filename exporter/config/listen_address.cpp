// SPDX-License-Identifier: MIT
// "host:port", "[v6]:port", ":port" <-> listen_address, shared by the CLI and the config file.
#include "config/listen_address.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <cstdint>
#include <utility>

namespace wgwatch::config {
namespace {

constexpr std::string_view forms = "(expected host:port, [v6]:port or :port)";

std::nullopt_t fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::optional<std::uint16_t> parse_port(std::string_view text, std::string* error) {
  if (text.empty()) return fail(error, fmt::format("missing port {}", forms));
  std::uint32_t port = 0;
  for (const char c : text) {
    if (!is_digit(c)) return fail(error, fmt::format("invalid port \"{}\"", text));
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
    if (port > 65535) return fail(error, fmt::format("port {} out of range (0-65535)", text));
  }
  return static_cast<std::uint16_t>(port);
}

// The zone ("%eth0") is kept for the server to resolve; only the address part is checked.
bool is_ipv6(std::string_view host) {
  const std::string address{host.substr(0, host.find('%'))};
  in6_addr out{};
  return inet_pton(AF_INET6, address.c_str(), &out) == 1;
}

bool is_ipv4(std::string_view host) {
  const std::string address{host};
  in_addr out{};
  return inet_pton(AF_INET, address.c_str(), &out) == 1;
}

// RFC 1123 host name: dot-separated labels of letters, digits and '-', not starting or
// ending with '-', each 1-63 characters, 253 in all.
bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  char previous = '.';
  for (const char c : host) {
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else if (is_alpha(c) || is_digit(c) || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    previous = c;
  }
  return previous != '-';
}

bool only_digits_and_dots(std::string_view host) {
  for (const char c : host) {
    if (!is_digit(c) && c != '.') return false;
  }
  return true;
}

std::optional<listen_address> parse_bracketed(std::string_view text, std::string* error) {
  const auto close = text.find(']');
  if (close == std::string_view::npos) return fail(error, "missing \"]\" after the IPv6 address");
  const std::string_view host = text.substr(1, close - 1);
  if (!is_ipv6(host)) return fail(error, fmt::format("invalid IPv6 address \"{}\"", host));
  const std::string_view rest = text.substr(close + 1);
  if (rest.empty() || rest.front() != ':') {
    return fail(error, fmt::format("missing port {}", forms));
  }
  const auto port = parse_port(rest.substr(1), error);
  if (!port) return std::nullopt;
  return listen_address{std::string{host}, *port};
}

}  // namespace

std::optional<listen_address> parse_listen_address(std::string_view text, std::string* error) {
  if (text.empty()) return fail(error, fmt::format("empty address {}", forms));
  if (text.front() == '[') return parse_bracketed(text, error);

  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail(error, fmt::format("missing port {}", forms));
  const std::string_view host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos) {
    // "::1:9586" or "fe80::1": the user meant an IPv6 address, so say how to write one.
    if (is_ipv6(host) || is_ipv6(text)) {
      return fail(error, "an IPv6 address needs brackets, e.g. \"[::1]:9586\"");
    }
    return fail(error, fmt::format("invalid host \"{}\"", host));
  }
  if (!host.empty()) {
    // "1.2.3.999" is no host name either: report it as the address it was meant to be.
    if (only_digits_and_dots(host)) {
      if (!is_ipv4(host)) return fail(error, fmt::format("invalid IPv4 address \"{}\"", host));
    } else if (!is_host_name(host)) {
      return fail(error, fmt::format("invalid host \"{}\"", host));
    }
  }
  const auto port = parse_port(text.substr(colon + 1), error);
  if (!port) return std::nullopt;
  return listen_address{std::string{host}, *port};
}

std::string to_string(const listen_address& a) {
  if (a.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", a.host, a.port);
  return fmt::format("{}:{}", a.host, a.port);
}

}  // namespace wgwatch::config
