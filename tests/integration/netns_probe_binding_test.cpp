// SPDX-License-Identifier: MIT
// Probes bound to a wireguard-go tunnel (wg0) in a private namespace: they reach the far side
// through wg0 even when the main table routes the target through wg1 (tx counters prove it),
// DF echoes near the tunnel MTU pass until the underlay MTU is lowered (an MTU black hole),
// and a downed tunnel fails them with a reason instead of hanging. On plain veth links: an
// ICMP probe survives its interface being re-created, the tunnel fwmark is on the probes'
// packets, and ICMPv6 echoes (and a too-big DF one) work bound to an interface.
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "netns_lab.hpp"
#include "probes/probe.hpp"
#include "probes/socket_binding.hpp"
#include "support/tcp_servers.hpp"
#include "util/unique_fd.hpp"

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using probe::failure_reason;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto slack = 500ms;
constexpr const char* far_service = "192.0.2.10";  // on the far side's lo, behind both tunnels
constexpr std::uint16_t far_port = 8080;

void write_sysctl(const std::string& path, const std::string& value) {
  std::ofstream(path) << value;
}

/// tx_packets of `ifname` in this namespace (/proc/net/dev follows the process's netns).
std::uint64_t tx_packets(const std::string& ifname) {
  std::ifstream in("/proc/net/dev");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name != ifname) continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t v[16] = {};
    for (auto& x : v) fields >> x;
    return v[9];
  }
  throw std::runtime_error("no such interface in /proc/net/dev: " + ifname);
}

/// Waits until neither tunnel has sent anything for 300 ms (the TCP teardown of an earlier
/// round leaves a few late packets), so counter deltas belong to the round under test.
void wait_for_quiet_tunnels() {
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  auto last = std::pair{tx_packets("wg0"), tx_packets("wg1")};
  auto quiet_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - quiet_since < 300ms &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(20ms);
    const auto now = std::pair{tx_packets("wg0"), tx_packets("wg1")};
    if (now != last) {
      last = now;
      quiet_since = std::chrono::steady_clock::now();
    }
  }
}

int mtu_of(const std::string& ifname) {
  const unique_fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq req{};
  std::strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd.get(), SIOCGIFMTU, &req) != 0) throw std::runtime_error("SIOCGIFMTU");
  return req.ifr_mtu;
}

/// Two tunnels to one far namespace: wg0 (10.10.0.1) <-> wgf0 (10.10.0.2) and wg1
/// (10.20.0.1) <-> wgf1 (10.20.0.2), over the veth underlay 198.18.0.1 <-> 198.18.0.2. The far
/// side also owns 192.0.2.10 (its lo), allowed through both tunnels; the main table routes it
/// via wg1.
struct probe_lab {
  probe_lab() {
    // No IPv6 here: stray router solicitations / MLD reports would move the tx counters.
    write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
    write_sysctl("/proc/sys/net/ipv4/conf/default/rp_filter", "0");
    wg0 = start_lab_device("wg0", 51820, {"10.10.0.1/24"});
    wg1 = start_lab_device("wg1", 51821, {"10.20.0.1/24"});
    wgf0 = start_lab_device("wgf0", 51830, {"10.10.0.2/24"}, &far);
    wgf1 = start_lab_device("wgf1", 51831, {"10.20.0.2/24"}, &far);
    add_peer(wg0, wgf0.keys.public_key, "198.18.0.2:51830", "10.10.0.0/24,192.0.2.10/32");
    add_peer(wgf0, wg0.keys.public_key, "198.18.0.1:51820", "10.10.0.1/32");
    add_peer(wg1, wgf1.keys.public_key, "198.18.0.2:51831", "10.20.0.0/24,192.0.2.10/32");
    add_peer(wgf1, wg1.keys.public_key, "198.18.0.1:51821", "10.20.0.1/32");
    check_command({"ip", "-n", far.name(), "addr", "add", "192.0.2.10/32", "dev", "lo"});
    check_command({"ip", "route", "add", "192.0.2.10/32", "dev", "wg1"});
    server.serve(listen_in(far, far_port), [](tcp::socket socket) {
      return answer(std::move(socket), http_response_text("200 OK", "far side ok"));
    });
    server.start();
    // Handshakes first, so the rounds below measure the data path only.
    for (const char* address : {"10.10.0.2", "10.20.0.2"}) {
      const auto r = ping(address, 1, 10);
      if (r.exit_code != 0) throw std::runtime_error(std::string("tunnel to ") + address + " down: " + r.out);
    }
  }

  named_netns far{"wgwatch-probe-far"};
  veth_pair underlay{"vnear0", "198.18.0.1/24", far, "vfar0", "198.18.0.2/24"};
  lab_device wg0, wg1, wgf0, wgf1;
  tcp_servers server;  // an HTTP responder: 200 "far side ok" to every request
};

/// One round of `spec` bound to `where` on a fresh io_context.
probe::probe_result run_round(probe::probe_spec spec, const probe::binding& where,
                              std::chrono::steady_clock::duration* elapsed = nullptr) {
  asio::io_context io;
  auto p = probe::make_probe(io.get_executor(), std::move(spec), where);
  probe::probe_result out;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, p->run(), [&](std::exception_ptr e, probe::probe_result r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  io.run();
  if (elapsed) *elapsed = std::chrono::steady_clock::now() - start;
  return out;
}

probe::probe_result run_round(probe::probe_spec spec, const std::string& interface,
                              std::chrono::steady_clock::duration* elapsed = nullptr) {
  return run_round(std::move(spec), probe::binding{interface, std::nullopt, 0}, elapsed);
}

probe::probe_spec spec_of(std::string target, std::chrono::milliseconds timeout) {
  probe::probe_spec spec;
  spec.name = "p";
  spec.target = std::move(target);
  spec.timeout = timeout;
  return spec;
}

probe::probe_spec icmp_to(std::string address, std::uint32_t payload = 56,
                          std::chrono::milliseconds timeout = 2s) {
  auto spec = spec_of(address, timeout);
  probe::icmp_spec options;
  options.address = std::move(address);
  options.packets = 3;
  options.payload_bytes = payload;
  options.packet_interval = 50ms;
  spec.options = options;
  return spec;
}

probe::probe_spec tcp_to(std::string host, std::chrono::milliseconds timeout = 2s) {
  auto spec = spec_of(host, timeout);
  probe::tcp_spec options;
  options.host = std::move(host);
  options.port = far_port;
  spec.options = options;
  return spec;
}

probe::probe_spec http_to(const std::string& host, std::chrono::milliseconds timeout = 2s) {
  const std::string url = "http://" + host + ":" + std::to_string(far_port) + "/health";
  auto spec = spec_of(url, timeout);
  probe::http_spec options;
  options.url = url;
  options.body_contains = "far side ok";
  spec.options = options;
  return spec;
}

std::string describe(const probe::probe_result& r) {
  return std::string(probe::to_string(r.reason)) + " (" + r.error.message() + ")";
}

class netns_probe_binding_test : public ::testing::Test {
 protected:
  void SetUp() override {
    WGWATCH_REQUIRE_NETNS_LAB();
    if (!lab_) lab_ = std::make_unique<probe_lab>();
  }
  static void TearDownTestSuite() { lab_.reset(); }

  static inline std::unique_ptr<probe_lab> lab_;
};

TEST_F(netns_probe_binding_test, icmp_tcp_and_http_bound_to_wg0_reach_the_far_side) {
  const auto icmp = run_round(icmp_to("10.10.0.2"), "wg0");
  EXPECT_TRUE(icmp.success) << describe(icmp);
  EXPECT_EQ(icmp.packets_received, 3u);
  const auto tcp = run_round(tcp_to("10.10.0.2"), "wg0");
  EXPECT_TRUE(tcp.success) << describe(tcp);
  const auto http = run_round(http_to("10.10.0.2"), "wg0");
  EXPECT_TRUE(http.success) << describe(http);
  EXPECT_EQ(http.http_status, 200u);
}

TEST_F(netns_probe_binding_test, unbound_traffic_follows_the_main_table_through_wg1) {
  // The premise of the next test: without a binding, 192.0.2.10 goes out through wg1.
  wait_for_quiet_tunnels();
  const auto wg0_before = tx_packets("wg0");
  const auto wg1_before = tx_packets("wg1");
  const auto r = ping(far_service, 2, 10);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(tx_packets("wg1") - wg1_before, 2u);
  EXPECT_EQ(tx_packets("wg0") - wg0_before, 0u);
}

TEST_F(netns_probe_binding_test, probes_bound_to_wg0_leave_through_wg0_despite_the_route) {
  for (const auto& spec : {icmp_to(far_service), tcp_to(far_service), http_to(far_service)}) {
    SCOPED_TRACE(probe::to_string(spec.probe_kind()));
    wait_for_quiet_tunnels();
    const auto wg0_before = tx_packets("wg0");
    const auto wg1_before = tx_packets("wg1");
    const auto r = run_round(spec, "wg0");
    EXPECT_TRUE(r.success) << describe(r);
    EXPECT_GT(tx_packets("wg0") - wg0_before, 0u);
    EXPECT_EQ(tx_packets("wg1") - wg1_before, 0u);
  }
}

TEST_F(netns_probe_binding_test, df_echo_above_the_tunnel_mtu_is_message_too_big) {
  const int mtu = mtu_of("wg0");
  const auto r = run_round(icmp_to("10.10.0.2", static_cast<std::uint32_t>(mtu - 28 + 1)), "wg0");
  EXPECT_EQ(r.reason, failure_reason::message_too_big) << describe(r);
}

TEST_F(netns_probe_binding_test, lowered_underlay_mtu_is_an_mtu_black_hole) {
  const auto full = static_cast<std::uint32_t>(mtu_of("wg0") - 28);  // IPv4 + ICMP headers
  const auto before = run_round(icmp_to("10.10.0.2", full), "wg0");
  ASSERT_TRUE(before.success) << "full-size DF echo before: " << describe(before);

  // Full-size inner packets become ~1480-byte UDP datagrams; the far veth now drops anything
  // above 1400 without a word (veth checks the receiver's MTU), while small ones still fit.
  check_command({"ip", "-n", lab_->far.name(), "link", "set", "vfar0", "mtu", "1400"});
  std::chrono::steady_clock::duration elapsed{};
  const auto large = run_round(icmp_to("10.10.0.2", full, 1s), "wg0", &elapsed);
  const auto small = run_round(icmp_to("10.10.0.2", 56, 1s), "wg0");
  check_command({"ip", "-n", lab_->far.name(), "link", "set", "vfar0", "mtu", "1500"});

  EXPECT_EQ(large.reason, failure_reason::timeout) << describe(large);
  EXPECT_EQ(large.packets_received, 0u);
  EXPECT_LT(elapsed, 1s + slack);
  EXPECT_TRUE(small.success) << describe(small);
}

TEST_F(netns_probe_binding_test, ping_sockets_work_where_ping_group_range_allows_them) {
  // The namespace's default range ("1 0") admits nobody, so the rounds above used raw sockets;
  // opening the range switches the probe to an unprivileged datagram socket whose id the
  // kernel rewrites (answers are matched by sequence and payload cookie).
  write_sysctl("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
  const auto ok = run_round(icmp_to("10.10.0.2"), "wg0");
  const auto too_big =
      run_round(icmp_to("10.10.0.2", static_cast<std::uint32_t>(mtu_of("wg0") - 28 + 1)), "wg0");
  write_sysctl("/proc/sys/net/ipv4/ping_group_range", "1 0");
  EXPECT_TRUE(ok.success) << describe(ok);
  EXPECT_EQ(ok.packets_received, 3u);
  EXPECT_EQ(too_big.reason, failure_reason::message_too_big) << describe(too_big);
}

TEST_F(netns_probe_binding_test, downed_tunnel_fails_probes_with_a_reason_not_a_hang) {
  check_command({"ip", "link", "set", "wg0", "down"});
  std::chrono::steady_clock::duration icmp_elapsed{}, tcp_elapsed{};
  const auto icmp = run_round(icmp_to("10.10.0.2", 56, 1s), "wg0", &icmp_elapsed);
  const auto tcp = run_round(tcp_to("10.10.0.2", 1s), "wg0", &tcp_elapsed);
  check_command({"ip", "link", "set", "wg0", "up"});
  for (const auto* r : {&icmp, &tcp}) {
    EXPECT_FALSE(r->success);
    EXPECT_TRUE(r->reason == failure_reason::unreachable || r->reason == failure_reason::bind_error)
        << describe(*r);
  }
  EXPECT_LT(icmp_elapsed, 1s + slack);
  EXPECT_LT(tcp_elapsed, 1s + slack);
}

// The binding caches an interface's address for a second; when the address changes within
// that second, the next bind fails with EADDRNOTAVAIL and must look again, not fail.
TEST(netns_probe_binding_address_test, a_changed_interface_address_is_picked_up_at_once) {
  WGWATCH_REQUIRE_ISOLATION();
  check_command({"ip", "link", "add", "wgwtest0", "type", "veth", "peer", "name", "wgwtest1"});
  check_command({"ip", "addr", "add", "10.77.0.1/24", "dev", "wgwtest0"});
  check_command({"ip", "link", "set", "wgwtest0", "up"});
  const auto bound_address = [] {
    const unique_fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    auto applied = probe::apply_binding(fd.get(), AF_INET, probe::binding{"wgwtest0", {}, 0});
    EXPECT_TRUE(applied) << (applied ? "" : applied.error().message());
    sockaddr_in local{};
    socklen_t length = sizeof local;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &local.sin_addr, text, sizeof text);
    return std::string(text);
  };
  EXPECT_EQ(bound_address(), "10.77.0.1");
  check_command({"ip", "addr", "del", "10.77.0.1/24", "dev", "wgwtest0"});
  check_command({"ip", "addr", "add", "10.77.0.2/24", "dev", "wgwtest0"});
  EXPECT_EQ(bound_address(), "10.77.0.2");  // within the cache's second
  check_command({"ip", "link", "del", "wgwtest0"});
}

// ICMP probes keep one socket across rounds. When the tunnel interface is deleted and
// re-created under the same name (a new ifindex), the socket's binding is stale: the next
// round must notice at its first send and reopen, not fail.
TEST(netns_probe_binding_recreate_test, an_icmp_probe_survives_its_interface_being_re_created) {
  WGWATCH_REQUIRE_ISOLATION();
  named_netns far("wgwatch-recreate-far");
  std::optional<veth_pair> link;
  link.emplace("wgwre0", "10.78.0.1/24", far, "wgwre1", "10.78.0.2/24");
  asio::io_context io;
  probe::icmp_spec options;
  options.address = "10.78.0.2";
  options.packets = 2;
  options.packet_interval = 10ms;
  probe::probe_spec spec = spec_of(options.address, 2s);
  spec.options = options;
  auto p = probe::make_probe(io.get_executor(), spec, {"wgwre0", std::nullopt, 0});
  const auto round = [&] {
    probe::probe_result out;
    asio::co_spawn(io, p->run(), [&](std::exception_ptr e, probe::probe_result r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    io.restart();
    io.run();  // returns once the round is over: the socket waits only while echoes fly
    return out;
  };
  const auto before = round();
  EXPECT_TRUE(before.success) << describe(before);
  link.reset();
  link.emplace("wgwre0", "10.78.0.1/24", far, "wgwre1", "10.78.0.2/24");
  const auto after = round();
  EXPECT_TRUE(after.success) << describe(after);
  EXPECT_EQ(after.packets_received, 2u);
}

/// Packets the counter rule of our nftables output chain has seen.
std::uint64_t marked_packets() {
  const auto listing = check_command({"nft", "list", "chain", "inet", "wgwatch_mark", "out"});
  const auto at = listing.find("counter packets ");
  if (at == std::string::npos) throw std::runtime_error("no counter in: " + listing);
  return std::stoull(listing.substr(at + 16));
}

// The tunnel's fwmark is on every packet its probes send (an output rule counts marked
// packets); a probe of a tunnel without one leaves the counter alone.
TEST(netns_probe_binding_veth_test, the_tunnel_fwmark_marks_probe_packets) {
  WGWATCH_REQUIRE_ISOLATION();
  WGWATCH_REQUIRE_PROGRAM("nft");
  named_netns far("wgwatch-mark-far");
  veth_pair link("wgwmk0", "10.79.0.1/24", far, "wgwmk1", "10.79.0.2/24");
  check_command({"nft", "-f", "-"}, "table inet wgwatch_mark {\n"
                                    "  chain out {\n"
                                    "    type filter hook output priority 0; policy accept;\n"
                                    "    meta mark 0x2a counter\n"
                                    "  }\n"
                                    "}\n");
  const auto spec = icmp_to("10.79.0.2");
  const auto unmarked = run_round(spec, {"wgwmk0", std::nullopt, 0});
  const auto before = marked_packets();
  const auto marked = run_round(spec, {"wgwmk0", std::nullopt, 0x2a});
  const auto after = marked_packets();
  run_command({"nft", "delete", "table", "inet", "wgwatch_mark"});
  EXPECT_TRUE(unmarked.success) << describe(unmarked);
  EXPECT_EQ(before, 0u) << "the unmarked probe's packets were counted";
  EXPECT_TRUE(marked.success) << describe(marked);
  EXPECT_EQ(after - before, 3u) << "every echo carries the mark";
}

// ICMPv6 over a real interface: echoes bound to it are answered from the far namespace, and
// a DF echo above the link MTU is message_too_big.
TEST(netns_probe_binding_veth_test, icmpv6_echoes_bound_to_an_interface) {
  WGWATCH_REQUIRE_ISOLATION();
  named_netns far("wgwatch-v6-far");
  veth_pair link("wgw6a0", "10.80.0.1/24", far, "wgw6a1", "10.80.0.2/24");
  write_sysctl("/proc/sys/net/ipv6/conf/wgw6a0/disable_ipv6", "0");  // the lab turns it off
  check_command({"ip", "-6", "addr", "add", "fd00:80::1/64", "dev", "wgw6a0", "nodad"});
  check_command(far.exec({"ip", "-6", "addr", "add", "fd00:80::2/64", "dev", "wgw6a1", "nodad"}));
  const auto ok = run_round(icmp_to("fd00:80::2"), {"wgw6a0", std::nullopt, 0});
  EXPECT_TRUE(ok.success) << describe(ok);
  EXPECT_EQ(ok.packets_received, 3u);
  ASSERT_EQ(ok.rtts.size(), 3u);
  EXPECT_GT(ok.rtts[0].count(), 0.0);
  const auto too_big =
      run_round(icmp_to("fd00:80::2", static_cast<std::uint32_t>(mtu_of("wgw6a0") - 48 + 1)),
                {"wgw6a0", std::nullopt, 0});
  EXPECT_EQ(too_big.reason, failure_reason::message_too_big) << describe(too_big);
}

}  // namespace
}  // namespace wgwatch::test
