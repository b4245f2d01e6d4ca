// SPDX-License-Identifier: MIT
// Config rules on plain values, one function each; shared by the TOML loader and the CLI.
#include "config/validate.hpp"

#include <fmt/format.h>

#include "config/duration.hpp"

namespace wgwatch::config {
namespace {

using namespace std::chrono_literals;

// IFNAMSIZ - 1: the kernel keeps the name in a 16-byte, NUL-terminated buffer.
constexpr std::size_t max_ifname_length = 15;

bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::optional<std::string> check_range(std::chrono::milliseconds d, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max) {
  if (d < min) return fmt::format("must be at least {}", format_duration(min));
  if (d > max) return fmt::format("must be at most {}", format_duration(max));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_telemetry_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must start with \"/\"";
  for (const char c : path) {
    if (is_space(c) || is_control(c)) return "must not contain whitespace or control characters";
    if (c == '?' || c == '#') return "must not contain \"?\" or \"#\"";
  }
  return std::nullopt;
}

std::optional<std::string> check_socket_dir(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must be an absolute path";
  return std::nullopt;
}

std::optional<std::string> check_interface_name(std::string_view name) {
  const auto invalid = [&](std::string_view why) {
    return fmt::format("invalid interface name \"{}\": {}", name, why);
  };
  if (name.empty() || name.size() > max_ifname_length) return invalid("must be 1 to 15 characters");
  if (name == "." || name == "..") return invalid("must not be \".\" or \"..\"");
  for (const char c : name) {
    if (c == '/') return invalid("must not contain \"/\"");
    if (c == ':') return invalid("must not contain \":\"");
    if (is_space(c)) return invalid("must not contain whitespace");
  }
  return std::nullopt;
}

std::optional<std::string> check_recent_handshake_window(std::chrono::milliseconds d) {
  if (auto e = check_range(d, 1s, 24h)) return e;
  if (d % 1s != 0ms) return "must be a whole number of seconds";
  return std::nullopt;
}

std::optional<std::string> check_read_timeout(std::chrono::milliseconds d) {
  return check_range(d, 10ms, 60s);
}

std::optional<std::string> check_peer_name(std::string_view name) {
  if (name.empty()) return "must not be empty";
  for (const char c : name) {
    if (is_control(c)) return "must not contain control characters";
  }
  return std::nullopt;
}

}  // namespace wgwatch::config
