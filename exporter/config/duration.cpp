// SPDX-License-Identifier: MIT
// Prometheus-style duration strings ("500ms", "5s", "1h30m") <-> std::chrono::milliseconds.
#include "config/duration.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <iterator>
#include <limits>
#include <utility>

namespace wgwatch::config {
namespace {

struct unit {
  std::string_view name;
  std::int64_t millis;
};

// Largest first: parts must come in this order, as in Prometheus ("1h30m", never "30m1h").
constexpr std::array<unit, 5> units{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::string_view unit_hint = "(use ms, s, m, h or d)";

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

std::optional<std::size_t> find_unit(std::string_view name) noexcept {
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (units[i].name == name) return i;
  }
  return std::nullopt;
}

std::nullopt_t fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string* error) {
  if (text.empty()) return fail(error, "empty duration");
  if (text == "0") return std::chrono::milliseconds{0};

  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index of the smallest unit index still allowed
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t digits_begin = pos;
    std::int64_t number = 0;
    bool overflow = false;
    while (pos < text.size() && is_digit(text[pos])) {
      const int digit = text[pos] - '0';
      if (number > (max - digit) / 10)
        overflow = true;
      else
        number = number * 10 + digit;
      ++pos;
    }
    if (pos == digits_begin) {
      return fail(error, fmt::format("expected a number at \"{}\"", text.substr(pos)));
    }
    const std::size_t unit_begin = pos;
    while (pos < text.size() && !is_digit(text[pos])) ++pos;
    const std::string_view name = text.substr(unit_begin, pos - unit_begin);
    if (name.empty()) {
      return fail(
          error, fmt::format("missing unit after \"{}\" {}", text.substr(digits_begin), unit_hint));
    }
    const auto index = find_unit(name);
    if (!index) return fail(error, fmt::format("unknown unit \"{}\" {}", name, unit_hint));
    if (*index < next_unit) {
      return fail(error, fmt::format("unit \"{}\" repeated or out of order "
                                     "(largest unit first, each at most once)",
                                     name));
    }
    next_unit = *index + 1;
    const std::int64_t factor = units[*index].millis;
    if (overflow || number > max / factor || total > max - number * factor) {
      return fail(error, "too large");
    }
    total += number * factor;
  }
  return std::chrono::milliseconds{total};
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t left = d.count();
  if (left == 0) return "0";
  std::string out;
  if (left < 0) {
    out.push_back('-');
    // -(min) overflows; no config value comes near it, so clamp rather than fail.
    left = left == std::numeric_limits<std::int64_t>::min()
               ? std::numeric_limits<std::int64_t>::max()
               : -left;
  }
  for (const auto& u : units) {
    if (left >= u.millis) {
      fmt::format_to(std::back_inserter(out), "{}{}", left / u.millis, u.name);
      left %= u.millis;
    }
  }
  return out;
}

}  // namespace wgwatch::config
