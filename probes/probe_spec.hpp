// SPDX-License-Identifier: MIT
// What a probe does (kind-specific options) and where its packets go out (binding).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace wgwatch::probe {

using namespace std::chrono_literals;

/// ICMP echo (IPv4 or IPv6, chosen by the address): `packets` echoes per round, `payload_bytes`
/// of payload each, the don't-fragment bit set (IPv4 IP_PMTUDISC_DO, IPv6 IPV6_DONTFRAG) so
/// that a payload near the tunnel MTU detects an MTU black hole instead of fragmenting.
struct icmp_spec {
  std::string address;  ///< numeric IPv4 or IPv6
  std::uint32_t packets = 3;
  std::uint32_t payload_bytes = 56;
  bool dont_fragment = true;
  /// Gap between the echoes of one round.
  std::chrono::milliseconds packet_interval = 100ms;

  friend bool operator==(const icmp_spec&, const icmp_spec&) = default;
};

/// TCP connect (then close) to host:port.
struct tcp_spec {
  std::string host;  ///< numeric address (no DNS through a tunnel under test)
  std::uint16_t port = 0;

  friend bool operator==(const tcp_spec&, const tcp_spec&) = default;
};

/// HTTP or HTTPS request (Boost.Beast; OpenSSL for https).
struct http_spec {
  std::string url;  ///< http://host[:port]/path or https://...; host numeric or a name for SNI
  std::string method = "GET";
  /// Status codes that count as success; empty = any 2xx.
  std::vector<unsigned> expected_status;
  /// When set, the body must contain this text.
  std::optional<std::string> body_contains;
  /// TLS: verification is on unless `insecure_skip_verify`.
  std::string ca_file;      ///< empty: the system's CA store
  std::string server_name;  ///< SNI and the name verified; empty: the URL's host
  bool insecure_skip_verify = false;
  /// At most this much of the body is read (and matched); more is not an error.
  std::size_t max_body_bytes = 64 * 1024;

  friend bool operator==(const http_spec&, const http_spec&) = default;
};

enum class kind { icmp, tcp, http };

/// "icmp", "tcp", "http" (the `kind` label).
constexpr const char* to_string(kind k) noexcept {
  return k == kind::icmp ? "icmp" : k == kind::tcp ? "tcp" : "http";
}

struct probe_spec {
  std::string name;    ///< unique within its tunnel; the `probe` label
  std::string target;  ///< as configured; the `target` label
  std::chrono::milliseconds interval = 5s;
  std::chrono::milliseconds timeout = 2s;  ///< below `interval`; the whole round
  std::variant<icmp_spec, tcp_spec, http_spec> options;
  /// Numeric, of the target's family; when set, the probe's binding.source_address
  /// (default: the tunnel interface's own address).
  std::optional<std::string> source_address;

  kind probe_kind() const noexcept { return static_cast<kind>(options.index()); }

  friend bool operator==(const probe_spec&, const probe_spec&) = default;
};

/// Where a probe's sockets go out: always SO_BINDTODEVICE to `interface`, and bound to that
/// interface's own address of the target's family (or `source_address` when set), so a probe
/// of wg0 measures wg0 even when the routing table points elsewhere.
struct binding {
  std::string interface;
  std::optional<std::string> source_address;  ///< numeric; default: the interface's address
  std::uint32_t fwmark = 0;                   ///< SO_MARK when non-zero

  friend bool operator==(const binding&, const binding&) = default;
};

}  // namespace wgwatch::probe
