// SPDX-License-Identifier: MIT
// Builds netlink message buffers for fixtures: genetlink WireGuard dumps, rtnetlink links.
#pragma once

#include <linux/if_link.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wireguard/model.hpp"

namespace wgwatch::test {

using buffer = std::vector<std::uint8_t>;

/// Writes one netlink message byte by byte, without libmnl, so that it can also write
/// malformed input (put_raw). Attributes are 4-byte aligned and zero-padded like the kernel's.
class nl_message {
 public:
  nl_message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq = 1, std::uint32_t pid = 0);

  /// Appends a genlmsghdr.
  nl_message& genl(std::uint8_t cmd, std::uint8_t version = 1);
  /// Appends a family header (ifinfomsg, ...), padded to 4 bytes.
  nl_message& extra(std::span<const std::uint8_t> header);
  template <class T>
  nl_message& extra_struct(const T& header) {
    return extra({reinterpret_cast<const std::uint8_t*>(&header), sizeof header});
  }

  nl_message& put(std::uint16_t type, std::span<const std::uint8_t> payload);
  template <class T>
  nl_message& put_struct(std::uint16_t type, const T& value) {
    return put(type, {reinterpret_cast<const std::uint8_t*>(&value), sizeof value});
  }
  nl_message& put_u8(std::uint16_t type, std::uint8_t v) { return put_struct(type, v); }
  nl_message& put_u16(std::uint16_t type, std::uint16_t v) { return put_struct(type, v); }
  nl_message& put_u32(std::uint16_t type, std::uint32_t v) { return put_struct(type, v); }
  nl_message& put_u64(std::uint16_t type, std::uint64_t v) { return put_struct(type, v); }
  /// A NUL-terminated string.
  nl_message& put_string(std::uint16_t type, std::string_view s);
  /// Corruption: an attribute whose nla_len claims `declared_len` (header included) while
  /// exactly `payload` follows, padded to 4 bytes.
  nl_message& put_raw(std::uint16_t type, std::uint16_t declared_len,
                      std::span<const std::uint8_t> payload);

  /// Opens a nest; `nested_flag` sets NLA_F_NESTED on its type, as modern kernels do.
  nl_message& begin_nest(std::uint16_t type, bool nested_flag = true);
  nl_message& end_nest();

  /// The message with nlmsg_len set (all nests must be closed).
  buffer finish() const;

 private:
  buffer buf_;
  std::vector<std::size_t> nests_;
};

/// NLMSG_DONE / NLMSG_ERROR carrying `error` (0 or -errno).
buffer done_message(int error = 0, std::uint32_t seq = 1, std::uint16_t flags = NLM_F_MULTI);
buffer error_message(int error, std::uint32_t seq = 1);

/// Raw struct sockaddr_in / sockaddr_in6 bytes, as WGPEER_A_ENDPOINT carries them.
buffer sockaddr_v4(const char* address, std::uint16_t port);
buffer sockaddr_v6(const char* address, std::uint16_t port, std::uint32_t scope_id = 0);

/// inet_pton'd address for the model ("10.0.0.1" or "fd00::1").
wg::ip_address ip(const char* text);
wg::allowed_ip cidr(const char* address, std::uint8_t prefix);
/// A recognisable key: every byte `fill`.
wg::wg_key key_of(std::uint8_t fill);

struct wg_peer_spec {
  wg::wg_key public_key;
  std::optional<std::array<std::uint8_t, 32>> preshared_key;  ///< sent when set
  buffer endpoint;                                             ///< raw sockaddr; empty = none
  std::int64_t handshake_sec = 0;
  std::int64_t handshake_nsec = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::uint16_t keepalive = 0;
  std::vector<wg::allowed_ip> allowed_ips;
};

struct wg_device_spec {
  std::string name = "wg0";
  std::uint32_t ifindex = 7;
  std::optional<std::array<std::uint8_t, 32>> private_key;
  std::optional<wg::wg_key> public_key;
  std::uint16_t listen_port = 51820;
  std::uint32_t fwmark = 0;
  std::vector<wg_peer_spec> peers;
};

struct wg_dump_options {
  static constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();
  std::size_t peers_per_message = unlimited;
  /// Allowed-IP entries per message; when reached mid-peer, the peer continues in the next
  /// message with only its public key and the remaining allowed IPs (as the kernel does).
  std::size_t allowed_ips_per_message = unlimited;
  bool nested_flag = true;     ///< NLA_F_NESTED on every nest
  bool repeat_header = false;  ///< continuations repeat the device attributes (else PEERS only)
  bool pad_peers = false;      ///< a zero-length type-0 pad attribute in every peer
  std::uint16_t extra_flags = 0;  ///< added to every data message (e.g. NLM_F_DUMP_INTR)
  bool add_done = true;
  std::uint16_t family_id = 0x1d;
};

/// The messages of a WG_CMD_GET_DEVICE dump of `dev`, in the kernel's attribute order.
std::vector<buffer> build_wg_dump(const wg_device_spec& dev, const wg_dump_options& opt = {});

struct link_spec {
  int index = 1;
  unsigned flags = 0;
  std::string name = "eth0";
  std::optional<std::uint32_t> mtu;
  std::optional<std::uint8_t> operstate;
  std::optional<std::uint8_t> carrier;
  std::string kind;  ///< IFLA_LINKINFO/IFLA_INFO_KIND when non-empty
  std::optional<rtnl_link_stats64> stats64;
  std::optional<rtnl_link_stats> stats32;
  bool pad = true;  ///< an IFLA_PAD (zero-length) before the stats, as the kernel may emit
};

/// One RTM_NEWLINK message.
buffer build_link_message(const link_spec& spec, std::uint16_t flags = NLM_F_MULTI);

}  // namespace wgwatch::test
