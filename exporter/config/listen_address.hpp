// SPDX-License-Identifier: MIT
// "host:port", "[v6]:port", ":port" <-> listen_address, shared by the CLI and the config file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace wgwatch::config {

/// Parses a listen address:
///   "host:port"     host is an IPv4 literal ("127.0.0.1") or a host name ("localhost")
///   "[v6]:port"     an IPv6 literal in brackets, optionally with a zone ("[fe80::1%eth0]:9586")
///   ":port"         empty host: every address
/// The port is decimal, 0-65535; 0 asks the OS for an ephemeral port. The stored host has no
/// brackets ("::1").
///
/// Returns nullopt on failure and, if `error` is given, stores why there, e.g.
/// `port 70000 out of range (0-65535)`. Callers prefix it with
/// `invalid listen address "<text>": `. Pure and thread-safe.
std::optional<listen_address> parse_listen_address(std::string_view text,
                                                   std::string* error = nullptr);

/// The text parse_listen_address() maps back to `a`: ":9586", "127.0.0.1:9586",
/// "[::1]:9586" (brackets added when the host contains ':').
std::string to_string(const listen_address& a);

}  // namespace wgwatch::config
