// SPDX-License-Identifier: MIT
// WG_CMD_GET_DEVICE dump parser: device, peer and allowed-IP attributes; split-peer merge.
#include "wireguard/genl_parse.hpp"

#include <arpa/inet.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>

#include "netlink/attr.hpp"
#include "netlink/message.hpp"
#include "util/error.hpp"

namespace wgwatch::wg {
namespace {

using netlink::attr;

error_code truncated() { return make_error_code(errc::truncated_attribute); }
error_code malformed() { return make_error_code(errc::protocol_error); }

// What one peer entry of one message carried. A continuation entry (split allowed IPs)
// carries only the key and allowed IPs; absent fields must not overwrite parsed ones.
struct peer_part {
  std::optional<wg_key> public_key;
  std::optional<endpoint> ep;
  std::optional<std::optional<handshake_time>> handshake;
  std::optional<std::uint64_t> rx_bytes;
  std::optional<std::uint64_t> tx_bytes;
  std::optional<std::uint16_t> keepalive;
  std::vector<allowed_ip> allowed_ips;
};

result<allowed_ip> parse_allowed_ip(const attr& entry) {
  std::optional<std::uint16_t> family;
  std::optional<std::uint8_t> cidr;
  std::optional<ip_address> address;
  auto r = netlink::for_each_attr(entry.payload, [&](const attr& a) -> result<void> {
    switch (a.type) {
      case WGALLOWEDIP_A_FAMILY:
        family = netlink::get_u16(a);
        return family ? result<void>{} : truncated();
      case WGALLOWEDIP_A_CIDR_MASK:
        cidr = netlink::get_u8(a);
        return cidr ? result<void>{} : truncated();
      case WGALLOWEDIP_A_IPADDR: {
        const auto n = a.payload.size();
        if (n != sizeof(in_addr) && n != sizeof(in6_addr)) return truncated();
        address.emplace();
        address->family = n == sizeof(in_addr) ? AF_INET : AF_INET6;
        std::memcpy(address->bytes.data(), a.payload.data(), n);
        return {};
      }
      default: return {};  // WGALLOWEDIP_A_FLAGS (SET only) and future attributes
    }
  });
  if (!r) return r.error();
  if (!family || !cidr || !address || *family != address->family) return malformed();
  if (*cidr > (*family == AF_INET ? 32 : 128)) return malformed();
  return allowed_ip{*address, *cidr};
}

result<endpoint> parse_endpoint(const attr& a) {
  if (a.payload.size() < sizeof(sa_family_t)) return truncated();
  endpoint ep;
  switch (netlink::load<sa_family_t>(a.payload)) {
    case AF_INET: {
      if (a.payload.size() != sizeof(sockaddr_in)) return truncated();
      const auto sin = netlink::load<sockaddr_in>(a.payload);
      ep.address.family = AF_INET;
      std::memcpy(ep.address.bytes.data(), &sin.sin_addr, sizeof sin.sin_addr);
      ep.port = ntohs(sin.sin_port);
      return ep;
    }
    case AF_INET6: {
      if (a.payload.size() != sizeof(sockaddr_in6)) return truncated();
      const auto sin6 = netlink::load<sockaddr_in6>(a.payload);
      ep.address.family = AF_INET6;
      std::memcpy(ep.address.bytes.data(), &sin6.sin6_addr, sizeof sin6.sin6_addr);
      ep.port = ntohs(sin6.sin6_port);
      ep.scope_id = sin6.sin6_scope_id;
      return ep;
    }
    default: return malformed();
  }
}

// struct __kernel_timespec (two s64); 8 bytes is the 32-bit timespec old compat modules
// sent on 32-bit hosts (wgctrl accepts it too). 0/0 means no handshake ever completed.
result<std::optional<handshake_time>> parse_handshake(const attr& a) {
  handshake_time t;
  if (a.payload.size() == 2 * sizeof(std::int64_t)) {
    t.seconds = netlink::load<std::int64_t>(a.payload);
    t.nanoseconds = netlink::load<std::int64_t>(a.payload.subspan(sizeof(std::int64_t)));
  } else if (a.payload.size() == 2 * sizeof(std::int32_t)) {
    t.seconds = netlink::load<std::int32_t>(a.payload);
    t.nanoseconds = netlink::load<std::int32_t>(a.payload.subspan(sizeof(std::int32_t)));
  } else {
    return truncated();
  }
  if (t.seconds == 0 && t.nanoseconds == 0) return std::optional<handshake_time>{};
  return std::optional<handshake_time>{t};
}

template <class T>
result<void> assign(std::optional<T>& out, std::optional<T> value) {
  if (!value) return truncated();
  out = value;
  return {};
}

result<void> parse_peer_attr(const attr& a, peer_part& p) {
  switch (a.type) {
    case WGPEER_A_PUBLIC_KEY: {
      auto key = netlink::get_bytes<key_length>(a);
      if (!key) return truncated();
      p.public_key = wg_key{*key};
      return {};
    }
    case WGPEER_A_ENDPOINT: {
      auto ep = parse_endpoint(a);
      if (!ep) return ep.error();
      p.ep = *ep;
      return {};
    }
    case WGPEER_A_LAST_HANDSHAKE_TIME: {
      auto hs = parse_handshake(a);
      if (!hs) return hs.error();
      p.handshake = *hs;
      return {};
    }
    case WGPEER_A_RX_BYTES: return assign(p.rx_bytes, netlink::get_u64(a));
    case WGPEER_A_TX_BYTES: return assign(p.tx_bytes, netlink::get_u64(a));
    case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: return assign(p.keepalive, netlink::get_u16(a));
    case WGPEER_A_ALLOWEDIPS:
      return netlink::for_each_attr(a.payload, [&](const attr& entry) -> result<void> {
        auto ip = parse_allowed_ip(entry);
        if (!ip) return ip.error();
        p.allowed_ips.push_back(*ip);
        return {};
      });
    // WGPEER_A_PRESHARED_KEY is a secret: skipped unread, like the pad type 0,
    // WGPEER_A_PROTOCOL_VERSION, WGPEER_A_FLAGS and future attributes.
    default: return {};
  }
}

void apply(const peer_part& part, peer& p) {
  if (part.ep) p.endpoint = part.ep;
  if (part.handshake) p.last_handshake = *part.handshake;
  if (part.rx_bytes) p.rx_bytes = *part.rx_bytes;
  if (part.tx_bytes) p.tx_bytes = *part.tx_bytes;
  if (part.keepalive) p.persistent_keepalive = *part.keepalive;
  p.allowed_ips.insert(p.allowed_ips.end(), part.allowed_ips.begin(), part.allowed_ips.end());
}

class dump_parser {
 public:
  dump_parser() = default;
  dump_parser(const dump_parser&) = delete;
  dump_parser& operator=(const dump_parser&) = delete;
  ~dump_parser() {
    if (private_key_) wipe(private_key_->data(), private_key_->size());
  }

  result<void> on_message(const netlink::message& m);
  result<device> finish();

 private:
  result<void> on_device_attr(const attr& a);
  result<void> on_peer(const attr& entry);

  device dev_;
  bool has_data_ = false;
  bool has_name_ = false;
  bool has_ifindex_ = false;
  std::optional<std::array<std::uint8_t, key_length>> private_key_;
  // Peers are coalesced by key, not only when adjacent: the kernel repeats the last peer
  // of a message at the start of the next, and a map makes the order irrelevant.
  std::unordered_map<wg_key, std::size_t, wg_key_hash> index_;
};

result<void> dump_parser::on_message(const netlink::message& m) {
  if (netlink::is_dump_interrupted(m.header)) return make_error_code(errc::dump_interrupted);
  switch (m.header.nlmsg_type) {
    case NLMSG_NOOP: return {};
    case NLMSG_DONE:
    case NLMSG_ERROR: {
      if (m.payload.size() < sizeof(int)) {
        return m.header.nlmsg_type == NLMSG_DONE ? result<void>{} : truncated();
      }
      return netlink::status_to_result(netlink::load<int>(m.payload));
    }
    case NLMSG_OVERRUN: return malformed();
    default: break;
  }
  auto genl = netlink::read_genl_payload(m);
  if (!genl) return genl.error();
  if (genl->cmd != WG_CMD_GET_DEVICE) return malformed();
  has_data_ = true;
  return netlink::for_each_attr(genl->attrs, [&](const attr& a) { return on_device_attr(a); });
}

result<void> dump_parser::on_device_attr(const attr& a) {
  switch (a.type) {
    case WGDEVICE_A_IFINDEX: {
      auto v = netlink::get_u32(a);
      if (!v) return truncated();
      if (has_ifindex_ && *v != dev_.ifindex) return malformed();
      dev_.ifindex = *v;
      has_ifindex_ = true;
      return {};
    }
    case WGDEVICE_A_IFNAME: {
      const auto name = netlink::get_string(a);
      if (has_name_ && name != dev_.name) return malformed();
      dev_.name = name;
      has_name_ = true;
      return {};
    }
    case WGDEVICE_A_PRIVATE_KEY:
      // Copied straight into the wiped slot: no temporary holds the secret.
      if (a.payload.size() != key_length) return truncated();
      std::memcpy(private_key_.emplace().data(), a.payload.data(), key_length);
      return {};
    case WGDEVICE_A_PUBLIC_KEY: {
      auto key = netlink::get_bytes<key_length>(a);
      if (!key) return truncated();
      dev_.public_key = wg_key{*key};
      return {};
    }
    case WGDEVICE_A_LISTEN_PORT: {
      auto v = netlink::get_u16(a);
      if (!v) return truncated();
      dev_.listen_port = *v;
      return {};
    }
    case WGDEVICE_A_FWMARK: {
      auto v = netlink::get_u32(a);
      if (!v) return truncated();
      dev_.fwmark = *v;
      return {};
    }
    case WGDEVICE_A_PEERS:
      return netlink::for_each_attr(a.payload, [&](const attr& entry) { return on_peer(entry); });
    default: return {};
  }
}

// Peer list entries are nests of type 0 (array elements): any type is accepted.
result<void> dump_parser::on_peer(const attr& entry) {
  peer_part part;
  auto r = netlink::for_each_attr(entry.payload,
                                  [&](const attr& a) { return parse_peer_attr(a, part); });
  if (!r) return r;
  if (!part.public_key) return malformed();
  const auto [it, inserted] = index_.try_emplace(*part.public_key, dev_.peers.size());
  if (inserted) {
    dev_.peers.emplace_back();
    dev_.peers.back().public_key = *part.public_key;
  }
  apply(part, dev_.peers[it->second]);
  return {};
}

result<device> dump_parser::finish() {
  if (!has_data_) return malformed();
  if (!dev_.public_key && private_key_) {
    dev_.public_key = derive_public_key(*private_key_);
    if (!dev_.public_key) return malformed();
  }
  return std::move(dev_);
}

}  // namespace

result<device> parse_genl_dump(std::span<const std::span<const std::uint8_t>> messages) {
  dump_parser parser;
  for (const auto& buffer : messages) {
    // Each buffer is one message or a whole datagram of several.
    auto r = netlink::for_each_message(
        buffer, [&](const netlink::message& m) { return parser.on_message(m); });
    if (!r) return r.error();
  }
  return parser.finish();
}

result<device> parse_genl_dump(const std::vector<std::vector<std::uint8_t>>& messages) {
  std::vector<std::span<const std::uint8_t>> views(messages.begin(), messages.end());
  return parse_genl_dump(std::span<const std::span<const std::uint8_t>>(views));
}

}  // namespace wgwatch::wg
