// SPDX-License-Identifier: MIT
// Command-line flags, Prometheus exporter style (--config.file, --web.listen-address, ...).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.hpp"
#include "util/log.hpp"

namespace wgwatch::cli {

/// Exit codes: 0 success, 1 runtime failure (cannot bind, ...), 2 usage or config error.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

/// The parsed flags. Unset optionals leave the config file's (or the default) value alone.
struct options {
  bool help = false;
  bool version = false;
  bool config_check = false;
  std::optional<std::string> config_file;
  std::optional<config::listen_address> listen_address;
  std::optional<std::string> telemetry_path;
  std::optional<log::level> log_level;
};

/// A usage error, worded for the user ("unknown flag --foo").
struct usage_error {
  std::string message;
};

/// Parses argv[1..]. Accepts `--flag=value` and `--flag value`; booleans take no value.
std::variant<options, usage_error> parse(std::span<const char* const> args);

/// The --help text.
std::string help_text();

/// "wgwatch, version 0.1.0 (revision abc123)".
std::string version_text();

/// Applies flag overrides to a loaded config (flags win over the file).
void apply_overrides(const options& opts, config::config& cfg);

}  // namespace wgwatch::cli
