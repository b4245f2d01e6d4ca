// SPDX-License-Identifier: MIT
// logfmt logger: quoting, redaction of secret-looking keys, one mutex for whole lines.
#include "util/log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace wgwatch::log {
namespace {

std::atomic<level> min_level{level::info};
std::mutex write_mutex;

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\t': out.append("\\t"); break;
      case '\r': out.append("\\r"); break;  // a raw CR could forge a line on a terminal
      default:
        // ESC, BEL, DEL...: a value from outside must not drive the reader's terminal.
        if (const auto u = static_cast<unsigned char>(c); u < 0x20 || u == 0x7f) {
          out.append(fmt::format("\\u{:04x}", u));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

// Secrets must never reach a log, whatever a caller passes by mistake.
bool is_secret_key(std::string_view key) {
  return key.find("private") != std::string_view::npos ||
         key.find("preshared") != std::string_view::npos ||
         key.find("secret") != std::string_view::npos;
}

}  // namespace

void set_level(level l) noexcept { min_level.store(l, std::memory_order_relaxed); }
level current_level() noexcept { return min_level.load(std::memory_order_relaxed); }
bool enabled(level l) noexcept { return l >= current_level(); }

std::optional<level> parse_level(std::string_view text) noexcept {
  if (text == "debug") return level::debug;
  if (text == "info") return level::info;
  if (text == "warn") return level::warn;
  if (text == "error") return level::error;
  return std::nullopt;
}

std::string_view to_string(level l) noexcept {
  switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

std::string format_line(std::string_view timestamp, level l, std::string_view msg,
                        std::initializer_list<field> fields) {
  std::string out;
  out.reserve(128);
  out.append("ts=").append(timestamp);
  out.append(" level=").append(to_string(l));
  out.append(" msg=");
  append_value(out, msg);
  for (const auto& f : fields) {
    out.push_back(' ');
    out.append(f.key);
    out.push_back('=');
    append_value(out, is_secret_key(f.key) ? std::string_view("[redacted]") : f.value);
  }
  return out;
}

void write(level l, std::string_view msg, std::initializer_list<field> fields) {
  if (!enabled(l)) return;
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now());
  const std::string ts = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
  std::string line = format_line(ts, l, msg, fields);
  line.push_back('\n');
  const std::lock_guard lock(write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace wgwatch::log
