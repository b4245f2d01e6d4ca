// SPDX-License-Identifier: MIT
// TOML -> config: defaults first, every key checked, unknown keys rejected, all errors kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace wgwatch::config {

/// One problem in a config file, with its position (1-based; 0 when unknown).
struct diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key;  ///< dotted key path, e.g. "wireguard.interfaces[2]"; empty for syntax errors
  std::string message;

  friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

/// "wgwatch.toml:12:7: wireguard.socket_dir: expected a string, got an integer"
/// (without the key part when the key is empty).
std::string to_string(const diagnostic& d);

/// A config, or every diagnostic found. `value` is set only when `diagnostics` is empty:
/// nothing is half-applied.
struct load_result {
  std::optional<config> value;
  std::vector<diagnostic> diagnostics;
};

/// Reads and validates a config file. An unreadable file (or one over 1 MiB) is one
/// diagnostic at line 0, column 0: "<path>:0:0: cannot read file: No such file or directory".
/// config::file is set to `path`. Runs on the calling thread; thread-safe.
load_result load_file(const std::string& path);

/// Parses and validates TOML text; `file` names it in diagnostics and config::file.
/// A TOML syntax error is one diagnostic with toml++'s position and message and no key (toml++
/// stops at the first). Otherwise every rule violation is a diagnostic, sorted by position.
load_result load_string(std::string_view toml, std::string_view file);

}  // namespace wgwatch::config
