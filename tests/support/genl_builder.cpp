// SPDX-License-Identifier: MIT
// Netlink fixture builder: byte-level message writer and kernel-like WireGuard dump splitting.
#include "support/genl_builder.hpp"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <stdexcept>

namespace wgwatch::test {
namespace {

void append(buffer& b, const void* data, std::size_t n) {
  // resize + memcpy: GCC 12's -Wstringop-overflow misfires on vector::insert of a range.
  if (n == 0) return;
  const std::size_t at = b.size();
  b.resize(at + n);
  std::memcpy(b.data() + at, data, n);
}

void pad4(buffer& b) { b.resize(NLMSG_ALIGN(b.size()), 0); }

void set_u16(buffer& b, std::size_t at, std::uint16_t v) { std::memcpy(b.data() + at, &v, sizeof v); }
void set_u32(buffer& b, std::size_t at, std::uint32_t v) { std::memcpy(b.data() + at, &v, sizeof v); }

}  // namespace

nl_message::nl_message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, std::uint32_t pid) {
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  h.nlmsg_pid = pid;
  append(buf_, &h, sizeof h);
}

nl_message& nl_message::genl(std::uint8_t cmd, std::uint8_t version) {
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = version;
  append(buf_, &g, sizeof g);
  return *this;
}

nl_message& nl_message::extra(std::span<const std::uint8_t> header) {
  append(buf_, header.data(), header.size());
  pad4(buf_);
  return *this;
}

nl_message& nl_message::put(std::uint16_t type, std::span<const std::uint8_t> payload) {
  return put_raw(type, static_cast<std::uint16_t>(NLA_HDRLEN + payload.size()), payload);
}

nl_message& nl_message::put_string(std::uint16_t type, std::string_view s) {
  buffer z(s.begin(), s.end());
  z.push_back(0);
  return put(type, z);
}

nl_message& nl_message::put_raw(std::uint16_t type, std::uint16_t declared_len,
                                std::span<const std::uint8_t> payload) {
  nlattr a{};
  a.nla_len = declared_len;
  a.nla_type = type;
  append(buf_, &a, sizeof a);
  append(buf_, payload.data(), payload.size());
  pad4(buf_);
  return *this;
}

nl_message& nl_message::begin_nest(std::uint16_t type, bool nested_flag) {
  nests_.push_back(buf_.size());
  nlattr a{};
  a.nla_type = static_cast<std::uint16_t>(type | (nested_flag ? NLA_F_NESTED : 0));
  append(buf_, &a, sizeof a);
  return *this;
}

nl_message& nl_message::end_nest() {
  if (nests_.empty()) throw std::logic_error("end_nest without begin_nest");
  const std::size_t start = nests_.back();
  nests_.pop_back();
  set_u16(buf_, start, static_cast<std::uint16_t>(buf_.size() - start));
  return *this;
}

buffer nl_message::finish() const {
  if (!nests_.empty()) throw std::logic_error("unclosed nest");
  buffer b = buf_;
  set_u32(b, 0, static_cast<std::uint32_t>(b.size()));
  return b;
}

buffer done_message(int error, std::uint32_t seq, std::uint16_t flags) {
  nl_message m(NLMSG_DONE, flags, seq);
  m.extra_struct(error);
  return m.finish();
}

buffer error_message(int error, std::uint32_t seq) {
  nl_message m(NLMSG_ERROR, 0, seq);
  nlmsgerr e{};
  e.error = error;
  e.msg.nlmsg_seq = seq;
  m.extra_struct(e);
  return m.finish();
}

buffer sockaddr_v4(const char* address, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (inet_pton(AF_INET, address, &sin.sin_addr) != 1) throw std::invalid_argument(address);
  buffer b;
  append(b, &sin, sizeof sin);
  return b;
}

buffer sockaddr_v6(const char* address, std::uint16_t port, std::uint32_t scope_id) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_scope_id = scope_id;
  if (inet_pton(AF_INET6, address, &sin6.sin6_addr) != 1) throw std::invalid_argument(address);
  buffer b;
  append(b, &sin6, sizeof sin6);
  return b;
}

wg::ip_address ip(const char* text) {
  wg::ip_address a;
  a.family = std::string_view(text).find(':') == std::string_view::npos ? AF_INET : AF_INET6;
  if (inet_pton(a.family, text, a.bytes.data()) != 1) throw std::invalid_argument(text);
  return a;
}

wg::allowed_ip cidr(const char* address, std::uint8_t prefix) { return {ip(address), prefix}; }

wg::wg_key key_of(std::uint8_t fill) {
  wg::wg_key k;
  k.bytes.fill(fill);
  return k;
}

namespace {

void put_allowed_ip(nl_message& m, const wg::allowed_ip& a, bool nested) {
  m.begin_nest(0, nested);
  m.put_u8(WGALLOWEDIP_A_CIDR_MASK, a.cidr);
  m.put_u16(WGALLOWEDIP_A_FAMILY, static_cast<std::uint16_t>(a.address.family));
  m.put(WGALLOWEDIP_A_IPADDR,
        std::span(a.address.bytes.data(), a.address.family == AF_INET ? 4U : 16U));
  m.end_nest();
}

void put_peer_header(nl_message& m, const wg_peer_spec& p, const wg_dump_options& opt) {
  m.put(WGPEER_A_PUBLIC_KEY, p.public_key.bytes);
  if (p.preshared_key) m.put(WGPEER_A_PRESHARED_KEY, *p.preshared_key);
  const std::array<std::int64_t, 2> ts{p.handshake_sec, p.handshake_nsec};
  m.put_struct(WGPEER_A_LAST_HANDSHAKE_TIME, ts);
  m.put_u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p.keepalive);
  if (opt.pad_peers) m.put(WGPEER_A_UNSPEC, {});
  m.put_u64(WGPEER_A_TX_BYTES, p.tx_bytes);
  m.put_u64(WGPEER_A_RX_BYTES, p.rx_bytes);
  m.put_u32(WGPEER_A_PROTOCOL_VERSION, 1);
  if (!p.endpoint.empty()) m.put(WGPEER_A_ENDPOINT, p.endpoint);
}

// Mirrors the kernel's get_device_dump(): header attributes in the first message (or every
// message with repeat_header), then a PEERS nest; overflowing peers continue in the next.
class dump_writer {
 public:
  dump_writer(const wg_device_spec& dev, const wg_dump_options& opt) : dev_(dev), opt_(opt) {}

  std::vector<buffer> run() {
    start(true);
    for (const auto& p : dev_.peers) {
      if (peers_in_msg_ == opt_.peers_per_message) restart();
      m_->begin_nest(0, opt_.nested_flag);
      put_peer_header(*m_, p, opt_);
      ++peers_in_msg_;
      if (!p.allowed_ips.empty()) m_->begin_nest(WGPEER_A_ALLOWEDIPS, opt_.nested_flag);
      for (const auto& a : p.allowed_ips) {
        if (ips_in_msg_ == opt_.allowed_ips_per_message) {
          m_->end_nest().end_nest();  // ALLOWEDIPS, peer
          restart();
          m_->begin_nest(0, opt_.nested_flag);
          m_->put(WGPEER_A_PUBLIC_KEY, p.public_key.bytes);
          m_->begin_nest(WGPEER_A_ALLOWEDIPS, opt_.nested_flag);
          ++peers_in_msg_;
        }
        put_allowed_ip(*m_, a, opt_.nested_flag);
        ++ips_in_msg_;
      }
      if (!p.allowed_ips.empty()) m_->end_nest();
      m_->end_nest();
    }
    finish_message();
    if (opt_.add_done) out_.push_back(done_message());
    return std::move(out_);
  }

 private:
  void start(bool first) {
    m_.emplace(opt_.family_id, static_cast<std::uint16_t>(NLM_F_MULTI | opt_.extra_flags));
    m_->genl(WG_CMD_GET_DEVICE, WG_GENL_VERSION);
    if (first || opt_.repeat_header) {
      m_->put_u16(WGDEVICE_A_LISTEN_PORT, dev_.listen_port);
      m_->put_u32(WGDEVICE_A_FWMARK, dev_.fwmark);
      m_->put_u32(WGDEVICE_A_IFINDEX, dev_.ifindex);
      m_->put_string(WGDEVICE_A_IFNAME, dev_.name);
      if (dev_.private_key) m_->put(WGDEVICE_A_PRIVATE_KEY, *dev_.private_key);
      if (dev_.public_key) m_->put(WGDEVICE_A_PUBLIC_KEY, dev_.public_key->bytes);
    }
    m_->begin_nest(WGDEVICE_A_PEERS, opt_.nested_flag);
    peers_in_msg_ = 0;
    ips_in_msg_ = 0;
  }
  void finish_message() {
    m_->end_nest();
    out_.push_back(m_->finish());
  }
  void restart() {
    finish_message();
    start(false);
  }

  const wg_device_spec& dev_;
  const wg_dump_options& opt_;
  std::optional<nl_message> m_;
  std::vector<buffer> out_;
  std::size_t peers_in_msg_ = 0;
  std::size_t ips_in_msg_ = 0;
};

}  // namespace

std::vector<buffer> build_wg_dump(const wg_device_spec& dev, const wg_dump_options& opt) {
  return dump_writer(dev, opt).run();
}

buffer build_link_message(const link_spec& spec, std::uint16_t flags) {
  nl_message m(RTM_NEWLINK, flags);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = spec.index;
  ifi.ifi_flags = spec.flags;
  m.extra_struct(ifi);
  m.put_string(IFLA_IFNAME, spec.name);
  if (spec.mtu) m.put_u32(IFLA_MTU, *spec.mtu);
  if (spec.operstate) m.put_u8(IFLA_OPERSTATE, *spec.operstate);
  if (spec.carrier) m.put_u8(IFLA_CARRIER, *spec.carrier);
  if (spec.pad) m.put(IFLA_PAD, {});
  if (spec.stats32) m.put_struct(IFLA_STATS, *spec.stats32);
  if (spec.stats64) m.put_struct(IFLA_STATS64, *spec.stats64);
  if (!spec.kind.empty()) {
    m.begin_nest(IFLA_LINKINFO);
    m.put_string(IFLA_INFO_KIND, spec.kind);
    m.end_nest();
  }
  return m.finish();
}

}  // namespace wgwatch::test
