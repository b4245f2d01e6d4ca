// SPDX-License-Identifier: MIT
// UAPI reply parser: one pass over lines, split at the first '=' (keys are hex, never '=').
#include "wireguard/uapi_parse.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "util/error.hpp"

namespace wgwatch::wg {
namespace {

template <class Int>
std::optional<Int> parse_int(std::string_view text) noexcept {
  Int value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::optional<ip_address> parse_ip(std::string_view text) noexcept {
  // inet_pton needs a NUL-terminated string; addresses are short.
  std::array<char, INET6_ADDRSTRLEN + 1> buf{};
  if (text.empty() || text.size() >= buf.size()) return std::nullopt;
  std::memcpy(buf.data(), text.data(), text.size());
  ip_address a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf.data(), a.bytes.data()) != 1) return std::nullopt;
    a.family = AF_INET;
  } else {
    if (inet_pton(AF_INET6, buf.data(), a.bytes.data()) != 1) return std::nullopt;
    a.family = AF_INET6;
  }
  return a;
}

// Handshakes before 2001 cannot be epoch times: boringtun reports elapsed seconds instead.
constexpr std::int64_t min_plausible_epoch = 1'000'000'000;

struct parse_state {
  device dev;
  peer* current = nullptr;
  std::int64_t hs_sec = 0;
  std::int64_t hs_nsec = 0;
  std::optional<int> errno_value;
};

// Returns false when an age reaches back beyond the clock's range.
bool finish_peer(parse_state& st, std::chrono::system_clock::time_point now) {
  if (st.current == nullptr) return true;
  if (st.hs_sec != 0 || st.hs_nsec != 0) {
    handshake_time t{st.hs_sec, st.hs_nsec};
    // Includes 0 s + some ns: a boringtun handshake less than a second ago.
    if (st.hs_sec < min_plausible_epoch) {
      // hs_sec < 1e9 and hs_nsec < 1e9 keep the age below 2^63 ns; `now - age` is checked.
      const std::int64_t ago = st.hs_sec * 1'000'000'000 + st.hs_nsec;
      std::int64_t at = 0;
      if (__builtin_sub_overflow(
              std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count(),
              ago, &at)) {
        return false;
      }
      t = {at / 1'000'000'000, at % 1'000'000'000};
    }
    st.current->last_handshake = t;
  }
  st.hs_sec = 0;
  st.hs_nsec = 0;
  return true;
}

// Returns false on a malformed value.
bool apply_device_key(parse_state& st, std::string_view key, std::string_view value) {
  if (key == "private_key") {
    auto priv = parse_hex_key(value);
    if (!priv) return false;
    auto pub = derive_public_key(priv->bytes);
    wipe(priv->bytes.data(), priv->bytes.size());
    if (!pub) return false;
    st.dev.public_key = *pub;
    return true;
  }
  if (key == "own_public_key") {  // boringtun sends its public key instead of the private one
    auto pub = parse_hex_key(value);
    if (pub) st.dev.public_key = *pub;
    return pub.has_value();
  }
  if (key == "listen_port") {
    auto v = parse_int<std::uint16_t>(value);
    if (v) st.dev.listen_port = *v;
    return v.has_value();
  }
  if (key == "fwmark") {
    auto v = parse_int<std::uint32_t>(value);
    if (v) st.dev.fwmark = *v;
    return v.has_value();
  }
  // A peer's key before any public_key means the reply is out of order, not an extension.
  static constexpr std::string_view peer_keys[] = {
      "endpoint", "allowed_ip", "rx_bytes", "tx_bytes", "last_handshake_time_sec",
      "last_handshake_time_nsec", "persistent_keepalive_interval", "preshared_key",
      "protocol_version"};
  for (auto k : peer_keys) {
    if (key == k) return false;
  }
  return true;  // unknown device keys are ignored
}

bool apply_peer_key(peer& p, parse_state& st, std::string_view key, std::string_view value) {
  if (key == "endpoint") {
    auto e = parse_endpoint(value);
    if (e) p.endpoint = std::move(*e);
    return e.has_value();
  }
  if (key == "allowed_ip") {
    auto a = parse_allowed_ip(value);
    if (a) p.allowed_ips.push_back(*a);
    return a.has_value();
  }
  if (key == "rx_bytes" || key == "tx_bytes") {
    auto v = parse_int<std::uint64_t>(value);
    if (v) (key[0] == 'r' ? p.rx_bytes : p.tx_bytes) = *v;
    return v.has_value();
  }
  if (key == "last_handshake_time_sec" || key == "last_handshake_time_nsec") {
    auto v = parse_int<std::int64_t>(value);
    if (!v || *v < 0) return false;
    const bool sec = key == "last_handshake_time_sec";
    if (!sec && *v >= 1'000'000'000) return false;  // a fraction of a second, or malformed
    (sec ? st.hs_sec : st.hs_nsec) = *v;
    return true;
  }
  if (key == "persistent_keepalive_interval") {
    auto v = parse_int<std::uint16_t>(value);
    if (v) p.persistent_keepalive = *v;
    return v.has_value();
  }
  return true;  // preshared_key, protocol_version and unknown keys are ignored
}

}  // namespace

std::optional<endpoint> parse_endpoint(std::string_view text) noexcept {
  endpoint e;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (const auto pct = host.find('%'); pct != std::string_view::npos) {
      e.zone = std::string(host.substr(pct + 1));
      host = host.substr(0, pct);
      if (e.zone.empty()) return std::nullopt;
      if (auto n = parse_int<std::uint32_t>(e.zone)) e.scope_id = *n;
    }
    auto a = parse_ip(host);
    if (!a || a->family != AF_INET6) return std::nullopt;
    e.address = *a;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    auto a = parse_ip(host);
    if (!a || a->family != AF_INET) return std::nullopt;
    e.address = *a;
  }
  auto p = parse_int<std::uint16_t>(port);
  if (!p) return std::nullopt;
  e.port = *p;
  return e;
}

std::optional<allowed_ip> parse_allowed_ip(std::string_view text) noexcept {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = parse_ip(text.substr(0, slash));
  auto cidr = parse_int<std::uint8_t>(text.substr(slash + 1));
  if (!a || !cidr) return std::nullopt;
  if (*cidr > (a->family == AF_INET ? 32 : 128)) return std::nullopt;
  return allowed_ip{*a, *cidr};
}

namespace {

// An upper bound of the peers in a reply, so the peer vector is allocated once: moving
// 10,000 peers through successive reallocations costs more than this scan.
std::size_t count_peer_lines(std::string_view reply) noexcept {
  std::size_t n = 0;
  for (auto at = reply.find("public_key="); at != std::string_view::npos;
       at = reply.find("public_key=", at + 75)) {  // a key line is 76 bytes long
    ++n;
  }
  return n;
}

}  // namespace

result<device> parse_uapi(std::string_view reply, std::chrono::system_clock::time_point now) {
  parse_state st;
  st.dev.peers.reserve(count_peer_lines(reply));
  std::size_t pos = 0;
  while (pos < reply.size()) {
    auto eol = reply.find('\n', pos);
    if (eol == std::string_view::npos) eol = reply.size();
    const std::string_view line = reply.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) break;  // the blank line ends the reply
    if (st.errno_value) return make_error_code(errc::protocol_error);  // data after errno=
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return make_error_code(errc::protocol_error);
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);

    if (key == "errno") {
      // wireguard-go sends -EINVAL, boringtun EIO: keep the magnitude. INT_MIN has none.
      auto v = parse_int<int>(value);
      if (!v || *v == std::numeric_limits<int>::min()) return make_error_code(errc::protocol_error);
      st.errno_value = *v < 0 ? -*v : *v;
      continue;
    }
    if (key == "public_key") {
      if (!finish_peer(st, now)) return make_error_code(errc::protocol_error);
      auto k = parse_hex_key(value);
      if (!k) return make_error_code(errc::protocol_error);
      st.current = &st.dev.peers.emplace_back();
      st.current->public_key = *k;
      continue;
    }
    const bool ok = st.current == nullptr ? apply_device_key(st, key, value)
                                          : apply_peer_key(*st.current, st, key, value);
    if (!ok) return make_error_code(errc::protocol_error);
  }
  if (!finish_peer(st, now)) return make_error_code(errc::protocol_error);
  if (!st.errno_value) return make_error_code(errc::protocol_error);  // truncated reply
  if (*st.errno_value != 0) return from_errno(*st.errno_value);
  return std::move(st.dev);
}

}  // namespace wgwatch::wg
