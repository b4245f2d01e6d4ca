// SPDX-License-Identifier: MIT
// build_wireguard_families over hand-made snapshots, and wireguard_collector's fault paths
// with a fake wg::source.
#include "metrics/wireguard_collector.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <linux/if.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "metrics/link_collector.hpp"
#include "util/error.hpp"

namespace wgwatch::metrics {
namespace {

using namespace std::chrono_literals;

const auto now = std::chrono::system_clock::time_point(1795637100s);

wg::wg_key key(std::string_view b64) {
  auto k = wg::parse_base64_key(b64);
  if (!k) throw std::invalid_argument(std::string(b64));
  return *k;
}

const wg::wg_key device_key = key("PzU2jUT5HeyCpCWQ2qSar4N22LCTwsm0KYZN79EWySw=");
const wg::wg_key alice_key = key("gf1keXtIqL3hGs7fniUWinOKhoIDzfAov6feb4tQITw=");
const wg::wg_key bob_key = key("kLE+ggaWOtHz0sDX/nKqZNreV/kn32pICD6gOrmzDww=");

wg::ip_address ip(int family, const char* text) {
  wg::ip_address a;
  a.family = family;
  if (inet_pton(family, text, a.bytes.data()) != 1) throw std::invalid_argument(text);
  return a;
}

wg::peer alice() {
  wg::peer p;
  p.public_key = alice_key;
  p.endpoint = wg::endpoint{ip(AF_INET, "192.0.2.1"), 51820, 0, {}};
  p.last_handshake = wg::handshake_time{1795637070, 0};  // 30 s before `now`
  p.rx_bytes = 100;
  p.tx_bytes = 200;
  p.persistent_keepalive = 25;
  p.allowed_ips = {{ip(AF_INET, "10.0.0.2"), 32}, {ip(AF_INET6, "fd00::2"), 128}};
  return p;
}

wg::peer bob() {  // never handshaked, nothing configured
  wg::peer p;
  p.public_key = bob_key;
  return p;
}

wg::device wg0() {
  wg::device d;
  d.name = "wg0";
  d.kind = wg::backend::kernel;
  d.public_key = device_key;
  d.listen_port = 51820;
  d.peers = {alice(), bob()};
  return d;
}

std::string build(const wireguard_snapshot& snap, const wireguard_options& opts) {
  std::string body;
  exposition_writer w(body);
  build_wireguard_families(snap, opts, w);
  return body;
}

std::vector<std::string> lines_of(const std::string& body) {
  std::vector<std::string> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& body, std::string_view line) {
  for (const auto& l : lines_of(body)) {
    if (l == line) return true;
  }
  return false;
}

// Samples (not comments) whose name is exactly `name`.
std::vector<std::string> samples(const std::string& body, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& l : lines_of(body)) {
    if (l.starts_with(name) && l.size() > name.size() && (l[name.size()] == '{' || l[name.size()] == ' ')) {
      out.push_back(l);
    }
  }
  return out;
}

TEST(wireguard_collector_test, writes_the_expected_text_for_a_small_snapshot) {
  wireguard_snapshot snap;
  snap.devices = {wg0()};
  snap.reads = {{"wg0", true}, {"wg1", false}};
  snap.now = now;
  wireguard_options opts;
  opts.names[alice_key] = "alice";

  const std::string a = R"(device="wg0",public_key="gf1keXtIqL3hGs7fniUWinOKhoIDzfAov6feb4tQITw=")";
  const std::string b = R"(device="wg0",public_key="kLE+ggaWOtHz0sDX/nKqZNreV/kn32pICD6gOrmzDww=")";
  const std::string an = a + R"(,name="alice")";
  EXPECT_EQ(build(snap, opts),
            "# HELP wireguard_device_info Metadata about a device; value 1.\n"
            "# TYPE wireguard_device_info gauge\n"
            "wireguard_device_info{device=\"wg0\",public_key=\"PzU2jUT5HeyCpCWQ2qSar4N22LCTwsm0KYZN79EWySw=\"} 1\n"
            "# HELP wireguard_device_backend_info How wgwatch reads the device: kernel (genetlink) or userspace (UAPI); value 1.\n"
            "# TYPE wireguard_device_backend_info gauge\n"
            "wireguard_device_backend_info{device=\"wg0\",backend=\"kernel\"} 1\n"
            "# HELP wireguard_device_listen_port UDP port the device listens on.\n"
            "# TYPE wireguard_device_listen_port gauge\n"
            "wireguard_device_listen_port{device=\"wg0\"} 51820\n"
            "# HELP wireguard_device_peers Peers configured on the device.\n"
            "# TYPE wireguard_device_peers gauge\n"
            "wireguard_device_peers{device=\"wg0\"} 2\n"
            "# HELP wireguard_device_peers_with_recent_handshake Peers whose last handshake is younger than the configured window (wireguard.recent_handshake_window, default 180s).\n"
            "# TYPE wireguard_device_peers_with_recent_handshake gauge\n"
            "wireguard_device_peers_with_recent_handshake{device=\"wg0\"} 1\n"
            "# HELP wireguard_peer_info Metadata about a peer: endpoint (empty if unknown) and friendly name; value 1.\n"
            "# TYPE wireguard_peer_info gauge\n"
            "wireguard_peer_info{" + a + ",endpoint=\"192.0.2.1:51820\",name=\"alice\"} 1\n"
            "wireguard_peer_info{" + b + ",endpoint=\"\",name=\"\"} 1\n"
            "# HELP wireguard_peer_allowed_ips_info One allowed IP prefix of a peer, with its address family; value 1.\n"
            "# TYPE wireguard_peer_allowed_ips_info gauge\n"
            "wireguard_peer_allowed_ips_info{" + an + ",allowed_ips=\"10.0.0.2/32\",family=\"IPv4\"} 1\n"
            "wireguard_peer_allowed_ips_info{" + an + ",allowed_ips=\"fd00::2/128\",family=\"IPv6\"} 1\n"
            "# HELP wireguard_peer_receive_bytes_total Bytes received from the peer.\n"
            "# TYPE wireguard_peer_receive_bytes_total counter\n"
            "wireguard_peer_receive_bytes_total{" + an + "} 100\n"
            "wireguard_peer_receive_bytes_total{" + b + "} 0\n"
            "# HELP wireguard_peer_transmit_bytes_total Bytes sent to the peer.\n"
            "# TYPE wireguard_peer_transmit_bytes_total counter\n"
            "wireguard_peer_transmit_bytes_total{" + an + "} 200\n"
            "wireguard_peer_transmit_bytes_total{" + b + "} 0\n"
            "# HELP wireguard_peer_last_handshake_seconds Unix time of the last completed handshake, 0 if none ever completed.\n"
            "# TYPE wireguard_peer_last_handshake_seconds gauge\n"
            "wireguard_peer_last_handshake_seconds{" + an + "} 1795637070\n"
            "wireguard_peer_last_handshake_seconds{" + b + "} 0\n"
            "# HELP wireguard_peer_last_handshake_age_seconds Seconds since the last completed handshake; absent if none ever completed.\n"
            "# TYPE wireguard_peer_last_handshake_age_seconds gauge\n"
            "wireguard_peer_last_handshake_age_seconds{" + an + "} 30\n"
            "# HELP wireguard_peer_persistent_keepalive_interval_seconds Persistent keepalive interval, 0 if off.\n"
            "# TYPE wireguard_peer_persistent_keepalive_interval_seconds gauge\n"
            "wireguard_peer_persistent_keepalive_interval_seconds{" + an + "} 25\n"
            "wireguard_peer_persistent_keepalive_interval_seconds{" + b + "} 0\n"
            "# HELP wgwatch_wireguard_read_success 1 if the device was read in this scrape, 0 if it failed, vanished or is missing.\n"
            "# TYPE wgwatch_wireguard_read_success gauge\n"
            "wgwatch_wireguard_read_success{device=\"wg0\"} 1\n"
            "wgwatch_wireguard_read_success{device=\"wg1\"} 0\n");
}

TEST(wireguard_collector_test, handshake_age_only_for_peers_that_handshaked) {
  wireguard_snapshot snap;
  snap.devices = {wg0()};
  snap.devices[0].peers[0].last_handshake = wg::handshake_time{1795637099, 500'000'000};
  snap.now = now;
  const auto body = build(snap, {});
  const auto ages = samples(body, "wireguard_peer_last_handshake_age_seconds");
  ASSERT_EQ(ages.size(), 1u);
  EXPECT_EQ(ages[0],
            "wireguard_peer_last_handshake_age_seconds{device=\"wg0\",public_key=\""
            "gf1keXtIqL3hGs7fniUWinOKhoIDzfAov6feb4tQITw=\"} 0.5");
}

TEST(wireguard_collector_test, handshake_in_the_future_has_age_zero) {
  // The wall clock stepped back after the handshake.
  wireguard_snapshot snap;
  snap.devices = {wg0()};
  snap.devices[0].peers[0].last_handshake = wg::handshake_time{1795637160, 0};
  snap.now = now;
  const auto ages = samples(build(snap, {}), "wireguard_peer_last_handshake_age_seconds");
  ASSERT_EQ(ages.size(), 1u);
  EXPECT_TRUE(ages[0].ends_with("} 0")) << ages[0];
}

TEST(wireguard_collector_test, name_label_contract) {
  wireguard_snapshot snap;
  snap.devices = {wg0()};
  snap.now = now;
  wireguard_options opts;
  opts.names[bob_key] = "bob \"the\" builder";
  const auto body = build(snap, opts);
  // peer_info always carries `name` (empty when unnamed); every other peer series carries it
  // only for named peers.
  for (const auto& l : samples(body, "wireguard_peer_info")) {
    EXPECT_NE(l.find(",name=\""), std::string::npos) << l;
  }
  EXPECT_TRUE(has_line(body,
                       "wireguard_peer_info{device=\"wg0\",public_key=\"kLE+ggaWOtHz0sDX/nKqZNreV/"
                       "kn32pICD6gOrmzDww=\",endpoint=\"\",name=\"bob \\\"the\\\" builder\"} 1"));
  for (const char* family : {"wireguard_peer_receive_bytes_total", "wireguard_peer_transmit_bytes_total",
                             "wireguard_peer_last_handshake_seconds",
                             "wireguard_peer_persistent_keepalive_interval_seconds"}) {
    const auto s = samples(body, family);
    ASSERT_EQ(s.size(), 2u) << family;
    EXPECT_EQ(s[0].find("name="), std::string::npos) << s[0];  // alice: unnamed here
    EXPECT_NE(s[1].find(",name=\"bob \\\"the\\\" builder\"}"), std::string::npos) << s[1];
  }
}

TEST(wireguard_collector_test, peers_with_recent_handshake_honours_the_window) {
  wireguard_snapshot snap;
  snap.devices = {wg0()};
  snap.now = now;
  auto& peers = snap.devices[0].peers;
  peers[1].last_handshake = wg::handshake_time{1795637100 - 120, 0};  // bob: 120 s ago
  // alice: 30 s ago.
  const auto recent = [&](std::chrono::seconds window) {
    wireguard_options opts;
    opts.recent_handshake_window = window;
    return samples(build(snap, opts), "wireguard_device_peers_with_recent_handshake").at(0);
  };
  const std::string prefix = "wireguard_device_peers_with_recent_handshake{device=\"wg0\"} ";
  EXPECT_EQ(recent(180s), prefix + "2");
  EXPECT_EQ(recent(120s), prefix + "2");  // the boundary counts
  EXPECT_EQ(recent(119s), prefix + "1");
  EXPECT_EQ(recent(29s), prefix + "0");
}

TEST(wireguard_collector_test, userspace_device_without_key_or_peers) {
  wireguard_snapshot snap;
  wg::device d;
  d.name = "wg-user";
  d.kind = wg::backend::userspace;
  snap.devices = {d};
  snap.reads = {{"wg-user", true}};
  snap.now = now;
  const auto body = build(snap, {});
  EXPECT_TRUE(has_line(body, "wireguard_device_info{device=\"wg-user\",public_key=\"\"} 1"));
  EXPECT_TRUE(has_line(body, "wireguard_device_backend_info{device=\"wg-user\",backend=\"userspace\"} 1"));
  EXPECT_TRUE(has_line(body, "wireguard_device_peers{device=\"wg-user\"} 0"));
  EXPECT_TRUE(samples(body, "wireguard_peer_info").empty());
}

// --- promtool ----------------------------------------------------------------------------

struct command_result {
  int status = -1;
  std::string output;
};

// Runs `command` through the shell with `input` on stdin; stdout and stderr together.
command_result run_with_input(const std::string& command, const std::string& input) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("wgwatch-promtool-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(file) << input;
  command_result r;
  FILE* pipe = ::popen((command + " < " + file.string() + " 2>&1").c_str(), "r");
  if (pipe != nullptr) {
    char buf[4096];
    while (const std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
    r.status = ::pclose(pipe);
  }
  std::filesystem::remove(file);
  return r;
}

TEST(wireguard_collector_test, promtool_accepts_wireguard_and_link_families) {
  if (::access("/usr/bin/promtool", X_OK) != 0) {
    GTEST_SKIP() << "promtool missing: apt-get install prometheus";
  }
  wireguard_snapshot snap;
  snap.devices = {wg0()};
  wg::device user;
  user.name = "wg-user";
  user.kind = wg::backend::userspace;
  user.listen_port = 51821;
  wg::peer carol = alice();
  carol.public_key = device_key;
  carol.endpoint = wg::endpoint{ip(AF_INET6, "fe80::1"), 51820, 0, "eth0"};
  carol.last_handshake = wg::handshake_time{1795637000, 123456789};
  user.peers = {carol};
  snap.devices.push_back(user);
  snap.reads = {{"wg-user", true}, {"wg0", true}, {"wg9", false}};
  snap.now = now;
  wireguard_options opts;
  opts.names[alice_key] = "alice's laptop \\ \"home\"\nsecond line";

  link::link_info l0;
  l0.name = "wg0";
  l0.kind = "wireguard";
  l0.flags = IFF_UP | IFF_LOWER_UP;
  l0.mtu = 1420;
  l0.stats = link::link_stats{1, 2, 3, 4, 5, 6, 7, 8};
  link::link_info l1 = l0;
  l1.name = "wg-user";
  l1.kind = "tun";

  std::string body;
  exposition_writer w(body);
  build_wireguard_families(snap, opts, w);
  build_link_families({l0, l1}, {"wg-user", "wg0", "wg9"}, w);

  const auto r = run_with_input("/usr/bin/promtool check metrics", body);
  EXPECT_EQ(r.status, 0) << r.output << "\n" << body;
  EXPECT_EQ(r.output, "") << body;
}

// --- wireguard_collector with a fake source -------------------------------------------------

class fake_source final : public wg::source {
 public:
  result<std::vector<std::string>> listing = std::vector<std::string>{};
  std::map<std::string, result<wg::device>, std::less<>> devices;
  std::vector<std::string> gets;

  result<std::vector<std::string>> list_devices() override { return listing; }
  result<wg::device> get_device(std::string_view name) override {
    gets.emplace_back(name);
    const auto it = devices.find(name);
    if (it == devices.end()) return make_error_code(errc::device_not_found);
    return it->second;
  }
  std::string_view backend_name() const noexcept override { return "fake"; }
};

wg::device named(std::string name) {
  wg::device d = wg0();
  d.name = std::move(name);
  return d;
}

TEST(wireguard_collector_test, device_vanishing_between_list_and_get_fails_but_writes_the_rest) {
  fake_source src;
  src.listing = std::vector<std::string>{"wg1", "wg0"};
  src.devices.emplace("wg1", named("wg1"));  // wg0 is listed but gone by the get
  wireguard_collector c(src, {});
  std::string body;
  exposition_writer w(body);
  const auto r = c.collect(w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::device_not_found));
  EXPECT_EQ(src.gets, (std::vector<std::string>{"wg0", "wg1"}));
  EXPECT_TRUE(has_line(body, "wgwatch_wireguard_read_success{device=\"wg0\"} 0"));
  EXPECT_TRUE(has_line(body, "wgwatch_wireguard_read_success{device=\"wg1\"} 1"));
  EXPECT_TRUE(has_line(body, "wireguard_device_peers{device=\"wg1\"} 2"));
  EXPECT_TRUE(samples(body, "wireguard_device_peers").size() == 1);
}

TEST(wireguard_collector_test, device_read_failure_sets_read_success_zero) {
  fake_source src;
  src.listing = std::vector<std::string>{"wg0", "wg1"};
  src.devices.emplace("wg0", result<wg::device>(make_error_code(errc::timed_out)));
  src.devices.emplace("wg1", named("wg1"));
  wireguard_collector c(src, {});
  std::string body;
  exposition_writer w(body);
  const auto r = c.collect(w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::timed_out));
  EXPECT_TRUE(has_line(body, "wgwatch_wireguard_read_success{device=\"wg0\"} 0"));
  EXPECT_TRUE(has_line(body, "wgwatch_wireguard_read_success{device=\"wg1\"} 1"));
  EXPECT_EQ(samples(body, "wireguard_device_info").size(), 1u);
}

TEST(wireguard_collector_test, configured_but_missing_device_is_not_a_failure) {
  fake_source src;
  src.listing = make_error_code(errc::protocol_error);  // must not even be asked
  src.devices.emplace("wg1", named("wg1"));
  wireguard_options opts;
  opts.interfaces = {"wg1", "wg0"};
  wireguard_collector c(src, opts);
  std::string body;
  exposition_writer w(body);
  EXPECT_TRUE(c.collect(w));
  EXPECT_TRUE(has_line(body, "wgwatch_wireguard_read_success{device=\"wg0\"} 0"));
  EXPECT_TRUE(has_line(body, "wgwatch_wireguard_read_success{device=\"wg1\"} 1"));
}

TEST(wireguard_collector_test, repeated_names_are_read_once) {
  fake_source src;
  src.devices.emplace("wg0", wg0());
  wireguard_options opts;
  opts.interfaces = {"wg0", "wg0"};
  wireguard_collector c(src, opts);
  std::string body;
  exposition_writer w(body);
  EXPECT_TRUE(c.collect(w));
  EXPECT_EQ(src.gets, (std::vector<std::string>{"wg0"}));
  EXPECT_EQ(samples(body, "wgwatch_wireguard_read_success").size(), 1u);
  EXPECT_EQ(samples(body, "wireguard_device_info").size(), 1u);
}

TEST(wireguard_collector_test, listing_failure_fails_with_empty_families) {
  fake_source src;
  src.listing = make_error_code(errc::kernel_module_missing);
  wireguard_collector c(src, {});
  std::string body;
  exposition_writer w(body);
  const auto r = c.collect(w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(errc::kernel_module_missing));
  EXPECT_TRUE(src.gets.empty());
  EXPECT_TRUE(has_line(body, "# TYPE wgwatch_wireguard_read_success gauge"));
  EXPECT_TRUE(samples(body, "wgwatch_wireguard_read_success").empty());
}

}  // namespace
}  // namespace wgwatch::metrics
