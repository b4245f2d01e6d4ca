// SPDX-License-Identifier: MIT
// Config rules on plain values, one function each; shared by the TOML loader and the CLI.
#include "config/validate.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/duration.hpp"

namespace wgwatch::config {
namespace {

using namespace std::chrono_literals;

// IFNAMSIZ - 1: the kernel keeps the name in a 16-byte, NUL-terminated buffer.
constexpr std::size_t max_ifname_length = 15;
constexpr std::size_t max_name_label_length = 64;
// RFC 1035 2.3.4 (253 in text form, without the trailing dot).
constexpr std::size_t max_dns_name_length = 253;
constexpr std::size_t max_dns_label_length = 63;

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

/// check_range, and a whole number of seconds (handshake times have a resolution of 1 s).
std::optional<std::string> check_whole_seconds(std::chrono::milliseconds d,
                                               std::chrono::milliseconds min,
                                               std::chrono::milliseconds max) {
  if (auto e = check_range(d, min, max)) return e;
  if (d % 1s != 0ms) return "must be a whole number of seconds";
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
  return check_absolute_path(path);
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
  return check_whole_seconds(d, 1s, 24h);
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

std::optional<std::string> check_absolute_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return "must be an absolute path";
  return std::nullopt;
}

std::optional<std::string> check_handshake_max_age(std::chrono::milliseconds d) {
  return check_whole_seconds(d, 2min, 24h);
}

std::optional<std::string> check_health_window(std::chrono::milliseconds d) {
  return check_range(d, 1s, 24h);
}

std::optional<std::string> check_ratio(double r) {
  if (!(r > 0.0 && r <= 1.0)) return "must be above 0 and at most 1";
  return std::nullopt;
}

std::optional<std::string> check_group_name(std::string_view name) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  if (name.empty() || name.size() > max_name_label_length ||
      !std::all_of(name.begin(), name.end(), allowed)) {
    return fmt::format(
        "invalid group name \"{}\": use 1 to 64 characters of A-Z, a-z, 0-9, "
        "\"_\", \".\" and \"-\"",
        name);
  }
  return std::nullopt;
}

std::optional<std::string> check_probe_name(std::string_view name) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  };
  if (name.empty() || name.size() > max_name_label_length ||
      !std::all_of(name.begin(), name.end(), allowed)) {
    return fmt::format(
        "invalid probe name \"{}\": use 1 to 64 characters of a-z, 0-9, "
        "\"_\", \".\" and \"-\"",
        name);
  }
  return std::nullopt;
}

std::optional<std::string> check_probe_interval(std::chrono::milliseconds d) {
  return check_range(d, 100ms, 1h);
}

std::optional<std::string> check_probe_timeout(std::chrono::milliseconds d) {
  return check_range(d, 10ms, 1h);
}

std::optional<std::string> check_packet_interval(std::chrono::milliseconds d) {
  return check_range(d, 1ms, 10s);
}

std::optional<std::string> check_server_name(std::string_view name) {
  const auto invalid = [&](std::string_view why) {
    return fmt::format("invalid server name \"{}\": {}", name, why);
  };
  if (name.empty() || name.size() > max_dns_name_length) {
    return invalid("must be 1 to 253 characters");
  }
  std::size_t begin = 0;
  while (begin <= name.size()) {
    const std::size_t dot = std::min(name.find('.', begin), name.size());
    const std::string_view label = name.substr(begin, dot - begin);
    if (label.empty() || label.size() > max_dns_label_length) {
      return invalid("each dot-separated label must be 1 to 63 characters");
    }
    const auto allowed = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    };
    if (!std::all_of(label.begin(), label.end(), allowed) || label.front() == '-' ||
        label.back() == '-') {
      return invalid("use letters, digits and \"-\" (not first or last in a label)");
    }
    begin = dot + 1;
  }
  return std::nullopt;
}

}  // namespace wgwatch::config
