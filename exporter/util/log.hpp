// SPDX-License-Identifier: MIT
// logfmt logger to stderr: ts, level, msg, then stable snake_case keys.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace wgwatch::log {

enum class level { debug, info, warn, error };

/// One key=value pair of a log line. Keys naming secrets are redacted by the writer.
struct field {
  std::string_view key;
  std::string value;
};

/// Sets the minimum level written. Thread-safe.
void set_level(level l) noexcept;
level current_level() noexcept;
bool enabled(level l) noexcept;

/// "debug", "info", "warn", "error" -> level; anything else -> nullopt.
std::optional<level> parse_level(std::string_view text) noexcept;
std::string_view to_string(level l) noexcept;

/// Formats one logfmt line (no trailing newline). Pure; exposed for tests.
std::string format_line(std::string_view timestamp, level l, std::string_view msg,
                        std::initializer_list<field> fields);

/// Writes one line to stderr if `l` is enabled. Thread-safe: lines never interleave.
void write(level l, std::string_view msg, std::initializer_list<field> fields = {});

inline void debug(std::string_view msg, std::initializer_list<field> f = {}) { write(level::debug, msg, f); }
inline void info(std::string_view msg, std::initializer_list<field> f = {}) { write(level::info, msg, f); }
inline void warn(std::string_view msg, std::initializer_list<field> f = {}) { write(level::warn, msg, f); }
inline void error(std::string_view msg, std::initializer_list<field> f = {}) { write(level::error, msg, f); }

}  // namespace wgwatch::log
