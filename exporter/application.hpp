// SPDX-License-Identifier: MIT
// The agent's lifecycle: flags and config, backends and collectors, HTTP server, signals.
#pragma once

#include <span>

namespace wgwatch {

/// Runs wgwatch with argv[1..] and returns the process exit code (see cli.hpp). Blocks
/// until SIGINT or SIGTERM.
int run(std::span<const char* const> args);

}  // namespace wgwatch
