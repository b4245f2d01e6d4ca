// SPDX-License-Identifier: MIT
// parse_uapi over real wireguard-go replies (tests/fixtures/uapi) and hand-made bad ones.
#include "wireguard/uapi_parse.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "support/fixtures.hpp"
#include "util/error.hpp"

namespace wgwatch::wg {
namespace {

using namespace std::chrono_literals;
using test::read_fixture;

// Shortly after the fixtures' handshake (1795637061 = 2026-11-25T19:24:21Z).
const auto fixture_now = std::chrono::system_clock::time_point(1795637100s);

wg_key b64(std::string_view text) {
  auto k = parse_base64_key(text);
  if (!k) throw std::invalid_argument(std::string(text));
  return *k;
}

wg_key hex(std::string_view text) {
  auto k = parse_hex_key(text);
  if (!k) throw std::invalid_argument(std::string(text));
  return *k;
}

ip_address ip(int family, const char* text) {
  ip_address a;
  a.family = family;
  if (inet_pton(family, text, a.bytes.data()) != 1) throw std::invalid_argument(text);
  return a;
}

// The private key of wireguard-go-full.txt, and what `wg pubkey` printed for it.
constexpr std::string_view full_private_hex =
    "58a8f2cc92e1f870b4c9858dd6510908f06c54d335e6f137f2e1524acfe2605b";
constexpr std::string_view full_public_b64 = "PzU2jUT5HeyCpCWQ2qSar4N22LCTwsm0KYZN79EWySw=";
constexpr std::string_view preshared_hex =
    "2ae32d64942511547970870a7d147a5881cf0feb74ce8f23b80e6ee0d58a29e6";

TEST(uapi_parse_test, parses_a_full_wireguard_go_device) {
  const auto dev = parse_uapi(read_fixture("uapi/wireguard-go-full.txt"), fixture_now);
  ASSERT_TRUE(dev) << dev.error().message();
  EXPECT_EQ(dev->public_key, b64(full_public_b64));
  EXPECT_EQ(dev->listen_port, 51820);
  EXPECT_EQ(dev->fwmark, 0x1234u);
  EXPECT_TRUE(dev->name.empty());  // the caller names it
  ASSERT_EQ(dev->peers.size(), 3u);

  const peer& p0 = dev->peers[0];
  EXPECT_EQ(p0.public_key, b64("gf1keXtIqL3hGs7fniUWinOKhoIDzfAov6feb4tQITw="));
  ASSERT_TRUE(p0.endpoint);
  EXPECT_EQ(p0.endpoint->address, ip(AF_INET, "127.0.0.1"));
  EXPECT_EQ(p0.endpoint->port, 51821);
  EXPECT_EQ(to_string(*p0.endpoint), "127.0.0.1:51821");
  ASSERT_TRUE(p0.last_handshake);
  EXPECT_EQ(*p0.last_handshake, (handshake_time{1795637061, 928142042}));
  EXPECT_EQ(p0.tx_bytes, 2184u);
  EXPECT_EQ(p0.rx_bytes, 92u);
  EXPECT_EQ(p0.persistent_keepalive, 25);
  ASSERT_EQ(p0.allowed_ips.size(), 2u);
  EXPECT_EQ(p0.allowed_ips[0], (allowed_ip{ip(AF_INET, "10.0.0.2"), 32}));
  EXPECT_EQ(p0.allowed_ips[1], (allowed_ip{ip(AF_INET6, "fd00::2"), 128}));
  EXPECT_EQ(to_string(p0.allowed_ips[1]), "fd00::2/128");
}

TEST(uapi_parse_test, peer_without_allowed_ips_or_handshake) {
  const auto dev = parse_uapi(read_fixture("uapi/wireguard-go-full.txt"), fixture_now);
  ASSERT_TRUE(dev);
  const peer& p1 = dev->peers[1];
  EXPECT_EQ(p1.public_key, b64("kLE+ggaWOtHz0sDX/nKqZNreV/kn32pICD6gOrmzDww="));
  EXPECT_TRUE(p1.allowed_ips.empty());
  EXPECT_FALSE(p1.endpoint);
  EXPECT_FALSE(p1.last_handshake);  // 0/0 on the wire means never
  EXPECT_EQ(p1.rx_bytes, 0u);
  EXPECT_EQ(p1.persistent_keepalive, 0);
}

TEST(uapi_parse_test, ipv6_endpoint) {
  const auto dev = parse_uapi(read_fixture("uapi/wireguard-go-full.txt"), fixture_now);
  ASSERT_TRUE(dev);
  const peer& p2 = dev->peers[2];
  ASSERT_TRUE(p2.endpoint);
  EXPECT_EQ(p2.endpoint->address, ip(AF_INET6, "2001:db8::1"));
  EXPECT_EQ(p2.endpoint->port, 51820);
  EXPECT_TRUE(p2.endpoint->zone.empty());
  EXPECT_EQ(to_string(*p2.endpoint), "[2001:db8::1]:51820");
}

TEST(uapi_parse_test, link_local_endpoint_without_zone_as_old_wireguard_go_prints_it) {
  const auto dev = parse_uapi(read_fixture("uapi/wireguard-go-link-local.txt"), fixture_now);
  ASSERT_TRUE(dev) << dev.error().message();
  ASSERT_EQ(dev->peers.size(), 2u);
  ASSERT_TRUE(dev->peers[1].endpoint);
  EXPECT_EQ(dev->peers[1].endpoint->address, ip(AF_INET6, "fe80::1"));
  EXPECT_TRUE(dev->peers[1].endpoint->zone.empty());
}

TEST(uapi_parse_test, link_local_endpoint_with_zone) {
  const auto dev = parse_uapi(read_fixture("uapi/link-local-zone.txt"), fixture_now);
  ASSERT_TRUE(dev) << dev.error().message();
  ASSERT_EQ(dev->peers.size(), 2u);
  const auto& e = dev->peers[1].endpoint;
  ASSERT_TRUE(e);
  EXPECT_EQ(e->address, ip(AF_INET6, "fe80::1"));
  EXPECT_EQ(e->zone, "eth0");
  EXPECT_EQ(e->scope_id, 0u);
  EXPECT_EQ(e->port, 51820);
  EXPECT_EQ(to_string(*e), "[fe80::1%eth0]:51820");
}

TEST(uapi_parse_test, numeric_zone_sets_scope_id) {
  const auto e = parse_endpoint("[fe80::1%7]:51820");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->scope_id, 7u);
  EXPECT_EQ(e->zone, "7");
}

TEST(uapi_parse_test, rejects_malformed_endpoints_and_prefixes) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x",
                          "[2001:db8::1]", "[2001:db8::1]51820", "[2001:db8::1:51820",
                          "2001:db8::1:51820", "[127.0.0.1]:1", "[fe80::1%]:1", "host:51820",
                          "300.0.0.1:1", "127.0.0.1:-1"}) {
    EXPECT_FALSE(parse_endpoint(bad)) << bad;
  }
  for (const char* bad : {"", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "fd00::/129",
                          "10.0.0.0/x", "10.0.0.0/-1", "/24", "fd00::/1000"}) {
    EXPECT_FALSE(parse_allowed_ip(bad)) << bad;
  }
  EXPECT_TRUE(parse_allowed_ip("0.0.0.0/0"));
  EXPECT_TRUE(parse_allowed_ip("::/0"));
}

TEST(uapi_parse_test, ignores_unknown_keys) {
  const auto with = parse_uapi(read_fixture("uapi/unknown-keys.txt"), fixture_now);
  const auto without = parse_uapi(read_fixture("uapi/wireguard-go-full.txt"), fixture_now);
  ASSERT_TRUE(with) << with.error().message();
  ASSERT_TRUE(without);
  EXPECT_EQ(*with, *without);
}

TEST(uapi_parse_test, nonzero_errno_is_that_errno) {
  const auto dev = parse_uapi(read_fixture("uapi/wireguard-go-einval.txt"), fixture_now);
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), from_errno(EINVAL));  // wireguard-go sends -22
  const auto positive = parse_uapi("errno=5\n\n", fixture_now);  // boringtun sends EIO as 5
  ASSERT_FALSE(positive);
  EXPECT_EQ(positive.error(), from_errno(EIO));
}

TEST(uapi_parse_test, empty_device_is_valid) {
  const auto dev = parse_uapi("errno=0\n\n", fixture_now);
  ASSERT_TRUE(dev);
  EXPECT_FALSE(dev->public_key);
  EXPECT_TRUE(dev->peers.empty());
}

TEST(uapi_parse_test, protocol_errors) {
  const auto protocol_error = make_error_code(errc::protocol_error);
  const auto fails = [&](std::string_view reply) {
    const auto dev = parse_uapi(reply, fixture_now);
    return !dev && dev.error() == protocol_error;
  };
  EXPECT_TRUE(fails(""));                                            // nothing at all
  EXPECT_TRUE(fails("listen_port=51820\n\n"));                       // no errno line
  EXPECT_TRUE(fails(read_fixture("uapi/truncated.txt")));            // daemon died mid-reply
  EXPECT_TRUE(fails("listen_port\nerrno=0\n\n"));                    // line without '='
  EXPECT_TRUE(fails("listen_port=65536\nerrno=0\n\n"));              // out of range
  EXPECT_TRUE(fails("listen_port=-1\nerrno=0\n\n"));
  EXPECT_TRUE(fails("fwmark=0x10\nerrno=0\n\n"));                    // UAPI is decimal
  EXPECT_TRUE(fails("private_key=zz\nerrno=0\n\n"));
  EXPECT_TRUE(fails("errno=x\n\n"));
  EXPECT_TRUE(fails("errno=0\nlisten_port=1\n\n"));                  // data after errno
  EXPECT_TRUE(fails("rx_bytes=1\nerrno=0\n\n"));                     // peer key before public_key
  EXPECT_TRUE(fails("endpoint=127.0.0.1:1\nerrno=0\n\n"));
  EXPECT_TRUE(fails("public_key=00\nerrno=0\n\n"));                  // short key
  const std::string peer = "public_key=" + std::string(64, 'a') + "\n";
  EXPECT_TRUE(fails(peer + "rx_bytes=-1\nerrno=0\n\n"));
  EXPECT_TRUE(fails(peer + "rx_bytes=18446744073709551616\nerrno=0\n\n"));
  EXPECT_TRUE(fails(peer + "endpoint=nowhere\nerrno=0\n\n"));
  EXPECT_TRUE(fails(peer + "allowed_ip=10.0.0.1/40\nerrno=0\n\n"));
  EXPECT_TRUE(fails(peer + "last_handshake_time_sec=-5\nerrno=0\n\n"));
  EXPECT_TRUE(fails(peer + "persistent_keepalive_interval=70000\nerrno=0\n\n"));
  EXPECT_FALSE(fails(peer + "rx_bytes=18446744073709551615\nerrno=0\n\n"));
}

TEST(uapi_parse_test, reply_ends_at_the_blank_line_or_the_end) {
  const auto dev = parse_uapi("listen_port=1\nerrno=0\n\nlisten_port=2\nerrno=0\n\n", fixture_now);
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->listen_port, 1);
  const auto unterminated = parse_uapi("listen_port=3\nerrno=0", fixture_now);
  ASSERT_TRUE(unterminated);
  EXPECT_EQ(unterminated->listen_port, 3);
}

TEST(uapi_parse_test, private_key_only_yields_the_derived_public_key) {
  const auto dev = parse_uapi(read_fixture("uapi/wireguard-go-full.txt"), fixture_now);
  ASSERT_TRUE(dev);
  EXPECT_EQ(to_base64(*dev->public_key), full_public_b64);
  // No field of the parsed device holds the private key (or the preshared key).
  const wg_key priv = hex(full_private_hex);
  const wg_key psk = hex(preshared_hex);
  EXPECT_NE(*dev->public_key, priv);
  for (const auto& p : dev->peers) {
    EXPECT_NE(p.public_key, priv);
    EXPECT_NE(p.public_key, psk);
  }
}

TEST(uapi_parse_test, preshared_key_is_not_kept) {
  // The same device with and without its preshared key parses to the same value.
  std::string reply = read_fixture("uapi/wireguard-go-full.txt");
  const auto with = parse_uapi(reply, fixture_now);
  const std::string line = "preshared_key=" + std::string(preshared_hex) + "\n";
  const auto at = reply.find(line);
  ASSERT_NE(at, std::string::npos);
  reply.replace(at, line.size(), "preshared_key=" + std::string(64, '0') + "\n");
  const auto zeroed = parse_uapi(reply, fixture_now);
  ASSERT_TRUE(with && zeroed);
  EXPECT_EQ(*with, *zeroed);
}

TEST(uapi_parse_test, boringtun_handshake_ages_become_wall_clock_times) {
  const auto dev = parse_uapi(read_fixture("uapi/boringtun.txt"), fixture_now);
  ASSERT_TRUE(dev) << dev.error().message();
  // boringtun sends its public key, not the private one.
  EXPECT_EQ(to_base64(*dev->public_key), full_public_b64);
  EXPECT_EQ(dev->listen_port, 51821);
  ASSERT_EQ(dev->peers.size(), 3u);
  // 42.5 s before now.
  ASSERT_TRUE(dev->peers[0].last_handshake);
  EXPECT_EQ(*dev->peers[0].last_handshake, (handshake_time{1795637100 - 43, 500'000'000}));
  EXPECT_EQ(dev->peers[0].persistent_keepalive, 25);
  EXPECT_EQ(dev->peers[0].rx_bytes, 2036u);
  EXPECT_FALSE(dev->peers[1].last_handshake);  // boringtun omits the lines: never
  // 0 s + 0.25 s: a handshake a quarter second ago, not in 1970.
  ASSERT_TRUE(dev->peers[2].last_handshake);
  EXPECT_EQ(*dev->peers[2].last_handshake, (handshake_time{1795637100 - 1, 750'000'000}));
}

TEST(uapi_parse_test, epoch_handshake_times_pass_through) {
  const std::string reply = "public_key=" + std::string(64, 'b') +
                            "\nlast_handshake_time_sec=1700000000\nlast_handshake_time_nsec=5\n"
                            "errno=0\n\n";
  const auto dev = parse_uapi(reply, fixture_now);
  ASSERT_TRUE(dev);
  EXPECT_EQ(*dev->peers[0].last_handshake, (handshake_time{1700000000, 5}));
}

// Nanoseconds are a fraction of a second: 1e9 or more is a malformed reply, and taking it
// would overflow the age sum for boringtun's ages (undefined behaviour, UBSan flags it).
TEST(uapi_parse_test, handshake_nanoseconds_of_a_second_or_more_are_protocol_errors) {
  const std::string peer = "public_key=" + std::string(64, 'c') + "\n";
  for (const std::string nsec : {"1000000000", "9223372036854775807"}) {
    for (const std::string sec : {"0", "5", "1700000000"}) {
      const auto dev = parse_uapi(peer + "last_handshake_time_sec=" + sec +
                                      "\nlast_handshake_time_nsec=" + nsec + "\nerrno=0\n\n",
                                  fixture_now);
      ASSERT_FALSE(dev) << sec << " s + " << nsec << " ns";
      EXPECT_EQ(dev.error(), make_error_code(errc::protocol_error)) << sec << " s + " << nsec << " ns";
    }
  }
  const auto last = parse_uapi(peer + "last_handshake_time_sec=3\nlast_handshake_time_nsec=999999999\n"
                                      "errno=0\n\n", fixture_now);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last->peers[0].last_handshake, (handshake_time{1795637100 - 4, 1}));
}

// An age is subtracted from `now`: an age beyond the clock's range must not overflow.
TEST(uapi_parse_test, handshake_ages_near_the_clock_range_do_not_overflow) {
  const std::string reply = "public_key=" + std::string(64, 'c') +
                            "\nlast_handshake_time_sec=999999999\nlast_handshake_time_nsec=999999999"
                            "\nerrno=0\n\n";
  const auto early = std::chrono::system_clock::time_point::min() + std::chrono::seconds(1);
  const auto dev = parse_uapi(reply, early);
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error(), make_error_code(errc::protocol_error));
}

// -INT_MIN does not exist: negating it was undefined behaviour.
TEST(uapi_parse_test, errno_out_of_range_is_a_protocol_error) {
  for (const char* reply : {"errno=-2147483648\n\n", "errno=2147483648\n\n",
                            "errno=-9223372036854775808\n\n"}) {
    const auto dev = parse_uapi(reply, fixture_now);
    ASSERT_FALSE(dev) << reply;
    EXPECT_EQ(dev.error(), make_error_code(errc::protocol_error)) << reply;
  }
  const auto max = parse_uapi("errno=-2147483647\n\n", fixture_now);
  ASSERT_FALSE(max);
  EXPECT_EQ(max.error(), from_errno(2147483647));
}

}  // namespace
}  // namespace wgwatch::wg
