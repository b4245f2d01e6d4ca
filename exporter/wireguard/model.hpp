// SPDX-License-Identifier: MIT
// The backend-neutral WireGuard model: device, peer, endpoint, allowed IP.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wireguard/key.hpp"

namespace wgwatch::wg {

enum class backend { kernel, userspace };

/// "kernel" or "userspace": the value of the `backend` label.
constexpr const char* to_string(backend b) noexcept {
  return b == backend::kernel ? "kernel" : "userspace";
}

/// An IPv4 or IPv6 address; `family` is AF_INET or AF_INET6; IPv4 uses the first 4 bytes.
struct ip_address {
  int family = 0;
  std::array<std::uint8_t, 16> bytes{};

  friend bool operator==(const ip_address&, const ip_address&) = default;
};

/// A peer's UDP endpoint. IPv6 link-local endpoints carry a zone: the kernel gives an
/// interface index (scope_id), UAPI gives text (`zone`, a name or a number).
struct endpoint {
  ip_address address;
  std::uint16_t port = 0;
  std::uint32_t scope_id = 0;
  std::string zone;

  friend bool operator==(const endpoint&, const endpoint&) = default;
};

struct allowed_ip {
  ip_address address;
  std::uint8_t cidr = 0;

  friend bool operator==(const allowed_ip&, const allowed_ip&) = default;
};

/// Wall-clock time of the last completed handshake (CLOCK_REALTIME).
struct handshake_time {
  std::int64_t seconds = 0;
  std::int64_t nanoseconds = 0;

  friend bool operator==(const handshake_time&, const handshake_time&) = default;
};

struct peer {
  wg_key public_key;
  std::optional<wg::endpoint> endpoint;  // qualified: the member reuses the type's name
  /// nullopt when no handshake ever completed (0/0 on the wire).
  std::optional<handshake_time> last_handshake;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  /// Seconds; 0 means off.
  std::uint16_t persistent_keepalive = 0;
  std::vector<allowed_ip> allowed_ips;

  friend bool operator==(const peer&, const peer&) = default;
};

/// One WireGuard device. The private key is never kept: parsers derive `public_key` and
/// wipe it; preshared keys are skipped unread.
struct device {
  std::string name;
  std::uint32_t ifindex = 0;
  backend kind = backend::kernel;
  std::optional<wg_key> public_key;
  std::uint16_t listen_port = 0;
  std::uint32_t fwmark = 0;
  std::vector<peer> peers;

  friend bool operator==(const device&, const device&) = default;
};

/// "192.0.2.1" / "2001:db8::1" (inet_ntop form).
std::string to_string(const ip_address& a);
/// "192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%eth0]:51820" (as `wg` prints it).
std::string to_string(const endpoint& e);
/// "10.0.0.0/24".
std::string to_string(const allowed_ip& a);

}  // namespace wgwatch::wg
