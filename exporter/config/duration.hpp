// SPDX-License-Identifier: MIT
// Prometheus-style duration strings ("500ms", "5s", "1h30m") <-> std::chrono::milliseconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace wgwatch::config {

/// Parses a Prometheus-style duration: one or more `<digits><unit>` parts, units `d`, `h`,
/// `m`, `s`, `ms`, largest first and each at most once ("1h30m", "90s", "500ms"), or the bare
/// "0". No sign, no fraction, no spaces.
///
/// Returns nullopt on failure and, if `error` is given, stores why there, e.g.
/// `unknown unit "x" (use ms, s, m, h or d)`. Callers prefix it with
/// `invalid duration "<text>": `. Pure and thread-safe.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string* error = nullptr);

/// The shortest string parse_duration() maps back to `d`: 180s -> "3m", 5400s -> "1h30m",
/// 0 -> "0". Negative durations print with a leading "-" (they cannot be parsed back).
std::string format_duration(std::chrono::milliseconds d);

}  // namespace wgwatch::config
