// SPDX-License-Identifier: MIT
// Every value the agent exports for real wireguard-go devices equals what `wg show all dump`
// and `ip -j -s link` report for the same devices at the same moment.
#include <boost/json/src.hpp>  // header-only Boost.JSON, compiled into this test only

#include <chrono>
#include <thread>

#include "netns_lab.hpp"
#include "support/wg_dump.hpp"

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

// The `ip -j -s link show` facts the link collector exports.
struct link_facts {
  std::uint64_t mtu = 0;
  std::string operstate;
  std::uint64_t rx_bytes = 0, tx_bytes = 0, rx_packets = 0, tx_packets = 0;
  std::uint64_t rx_errors = 0, tx_errors = 0, rx_dropped = 0, tx_dropped = 0;

  friend bool operator==(const link_facts&, const link_facts&) = default;
};

link_facts read_link(const std::string& name) {
  const auto json = boost::json::parse(check_command({"ip", "-j", "-s", "link", "show", name}));
  const auto& l = json.as_array().at(0).as_object();
  const auto& stats = l.at("stats64").as_object();
  const auto& rx = stats.at("rx").as_object();
  const auto& tx = stats.at("tx").as_object();
  auto u = [](const boost::json::value& v) { return boost::json::value_to<std::uint64_t>(v); };
  link_facts f;
  f.mtu = u(l.at("mtu"));
  f.operstate = std::string(l.at("operstate").as_string());
  f.rx_bytes = u(rx.at("bytes"));
  f.rx_packets = u(rx.at("packets"));
  f.rx_errors = u(rx.at("errors"));
  f.rx_dropped = u(rx.at("dropped"));
  f.tx_bytes = u(tx.at("bytes"));
  f.tx_packets = u(tx.at("packets"));
  f.tx_errors = u(tx.at("errors"));
  f.tx_dropped = u(tx.at("dropped"));
  return f;
}

// 300 allowed IPs: 250 IPv4 host routes and 50 IPv6 prefixes.
std::string many_allowed_ips() {
  std::string ips;
  for (int i = 0; i < 250; ++i) ips += "10.20." + std::to_string(i / 100) + "." + std::to_string(i % 100 + 1) + "/32,";
  for (int i = 0; i < 50; ++i) {
    ips += "fd00:20:" + std::to_string(i + 1) + "::/64";
    if (i != 49) ips += ',';
  }
  return ips;
}

class netns_dump_equivalence_test : public testing::Test {
 protected:
  void SetUp() override {
    WGWATCH_REQUIRE_NETNS_LAB();
    WGWATCH_REQUIRE_PROGRAM("ping");
    far_ = std::make_unique<named_netns>("wgwatch-far");
    veth_ = std::make_unique<veth_pair>("wgw-near", std::string(near_underlay) + "/24", *far_,
                                        "wgw-far", std::string(far_underlay) + "/24");
    wg0_ = start_lab_device("wg0", 51820, {"10.10.0.1/24", "fd00:10::1/64"});
    wg1_ = start_lab_device("wg1", 51821, {"10.11.0.1/24"});
    wgf0_ = start_lab_device("wgf0", 51830, {"10.10.0.2/24", "fd00:10::2/64"}, far_.get());
    wgf1_ = start_lab_device("wgf1", 51831, {"10.11.0.2/24"}, far_.get());

    // wg0 <-> wgf0 with keepalive on the near end; IPv4 and IPv6 allowed IPs.
    add_peer(wg0_, wgf0_.keys.public_key, std::string(far_underlay) + ":51830",
             "10.10.0.2/32,fd00:10::2/128", {"persistent-keepalive", "25"});
    add_peer(wgf0_, wg0_.keys.public_key, std::string(near_underlay) + ":51820",
             "10.10.0.1/32,fd00:10::1/128");
    // A peer that never handshakes: nothing answers at 198.18.0.99.
    never_ = make_keypair();
    add_peer(wg0_, never_.public_key, "198.18.0.99:51820", "10.10.9.0/24");
    // A peer with 300 allowed IPs and no endpoint.
    many_ = make_keypair();
    add_peer(wg0_, many_.public_key, "", many_allowed_ips());

    // wg1 <-> wgf1, plus an IPv6 endpoint that is never contacted.
    add_peer(wg1_, wgf1_.keys.public_key, std::string(far_underlay) + ":51831",
             "10.11.0.2/32,fd00:11::/64");
    add_peer(wgf1_, wg1_.keys.public_key, std::string(near_underlay) + ":51821", "10.11.0.1/32");
    v6_ = make_keypair();
    add_peer(wg1_, v6_.public_key, "[2001:db8::99]:51820", "10.11.9.0/24");

    const auto p0 = ping("10.10.0.2");
    ASSERT_EQ(p0.exit_code, 0) << "ping over wg0 failed: " << p0.out << p0.err;
    const auto p1 = ping("10.11.0.2");
    ASSERT_EQ(p1.exit_code, 0) << "ping over wg1 failed: " << p1.out << p1.err;
    const auto p6 = ping("fd00:10::2", 2);
    ASSERT_EQ(p6.exit_code, 0) << "ping6 over wg0 failed: " << p6.out << p6.err;
  }

  void TearDown() override {
    agent_.reset();
    wgf1_.daemon.reset();
    wgf0_.daemon.reset();
    wg1_.daemon.reset();
    wg0_.daemon.reset();
    veth_.reset();
    far_.reset();
  }

  std::string config() const {
    return agent_config() + "\n[[peer]]\npublic_key = \"" + wgf0_.keys.public_key +
           "\"\nname = \"far-zero\"\n";
  }

  std::unique_ptr<named_netns> far_;
  std::unique_ptr<veth_pair> veth_;
  lab_device wg0_, wg1_, wgf0_, wgf1_;
  keypair never_, many_, v6_;
  std::unique_ptr<agent_process> agent_;
};

TEST_F(netns_dump_equivalence_test, every_exported_value_equals_wg_show_dump) {
  agent_ = std::make_unique<agent_process>(agent_options::with_config(config()));
  const std::set<std::string> devices{"wg0", "wg1"};

  // Counters move (keepalives, rekeys): compare only a scrape that two equal dumps bracket.
  const auto scrape = scrape_between_equal_dumps(*agent_, devices);
  auto expected = scrape.dump;
  ASSERT_EQ(expected.size(), 2u);
  ASSERT_EQ(expected["wg0"].peers.size(), 3u);
  ASSERT_EQ(expected["wg1"].peers.size(), 2u);
  const auto e = parse_exposition(scrape.body);
  expect_exposition_matches_dump(e, expected, "userspace", scrape.scraped_at);

  // The lab's intended shapes, so the comparison above covered each of them.
  const auto& wg0 = expected["wg0"];
  EXPECT_NE(wg0.peers.at(wgf0_.keys.public_key).latest_handshake, "0");
  EXPECT_NE(wg0.peers.at(wgf0_.keys.public_key).rx_bytes, "0");
  EXPECT_EQ(wg0.peers.at(wgf0_.keys.public_key).keepalive, "25");
  EXPECT_EQ(wg0.peers.at(never_.public_key).latest_handshake, "0");
  EXPECT_EQ(wg0.peers.at(many_.public_key).allowed_ips.size(), 300u);
  EXPECT_EQ(wg0.peers.at(many_.public_key).endpoint, "");
  EXPECT_EQ(expected["wg1"].peers.at(v6_.public_key).endpoint, "[2001:db8::99]:51820");
  EXPECT_TRUE(has_sample(e, "wireguard_peer_last_handshake_seconds",
                         {{"device", "wg0"}, {"public_key", never_.public_key}}, 0));
  EXPECT_TRUE(has_sample(e, "wireguard_device_peers_with_recent_handshake", {{"device", "wg0"}}, 1));
  EXPECT_TRUE(has_sample(e, "wireguard_device_peers_with_recent_handshake", {{"device", "wg1"}}, 1));

  // Far-side sockets share /run/wireguard but their interfaces live in another namespace.
  EXPECT_TRUE(samples_of_device(e, "wgf0").empty());
  EXPECT_TRUE(samples_of_device(e, "wgf1").empty());
  for (const char* collector : {"wireguard", "link"}) {
    EXPECT_TRUE(has_sample(e, "wgwatch_scrape_collector_success", {{"collector", collector}}, 1)) << collector;
  }
}

TEST_F(netns_dump_equivalence_test, friendly_name_labels_every_series_of_the_peer) {
  agent_ = std::make_unique<agent_process>(agent_options::with_config(config()));
  const auto e = scrape_ok(*agent_);
  std::set<std::string> families;
  for (const auto& s : e.samples) {
    const auto key = s.labels.find("public_key");
    if (key == s.labels.end() || key->second != wgf0_.keys.public_key) continue;
    families.insert(s.name);
    const auto name = s.labels.find("name");
    EXPECT_TRUE(name != s.labels.end() && name->second == "far-zero") << to_string(s);
  }
  for (const char* family :
       {"wireguard_peer_info", "wireguard_peer_allowed_ips_info", "wireguard_peer_receive_bytes_total",
        "wireguard_peer_transmit_bytes_total", "wireguard_peer_last_handshake_seconds",
        "wireguard_peer_last_handshake_age_seconds",
        "wireguard_peer_persistent_keepalive_interval_seconds"}) {
    EXPECT_TRUE(families.contains(family)) << family;
  }
  // Unnamed peers carry no name (wireguard_peer_info keeps it, empty).
  for (const auto* s : find_samples(e, "wireguard_peer_receive_bytes_total", {{"public_key", never_.public_key}})) {
    EXPECT_FALSE(s->labels.contains("name")) << to_string(*s);
  }
  EXPECT_TRUE(has_sample(e, "wireguard_peer_info",
                         {{"device", "wg0"}, {"public_key", never_.public_key}, {"name", ""}}, 1));
}

TEST_F(netns_dump_equivalence_test, link_metrics_equal_ip_link_statistics) {
  agent_ = std::make_unique<agent_process>(agent_options::with_config(config()));
  for (const std::string dev : {"wg0", "wg1"}) {
    SCOPED_TRACE(dev);
    link_facts facts;
    exposition e;
    for (int attempt = 0;; ++attempt) {
      ASSERT_LT(attempt, 50) << "ip -s link never held still around a scrape";
      const auto before = read_link(dev);
      const auto res = agent_->scrape();
      ASSERT_EQ(res.status, 200u);
      if (read_link(dev) == before) {
        facts = before;
        e = parse_exposition(res.body);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const label_map by_dev{{"device", dev}};
    // wireguard-go's tun reports operstate "unknown"; the agent still counts it as up.
    EXPECT_EQ(facts.operstate, "UNKNOWN");
    EXPECT_TRUE(has_sample(e, "wgwatch_link_exists", by_dev, 1));
    EXPECT_TRUE(has_sample(e, "wgwatch_link_admin_up", by_dev, 1));
    EXPECT_TRUE(has_sample(e, "wgwatch_link_up", by_dev, 1));
    EXPECT_EQ(sample_text(e, "wgwatch_link_mtu_bytes", by_dev), std::to_string(facts.mtu));
    EXPECT_NE(facts.rx_bytes, 0u);
    EXPECT_EQ(sample_text(e, "wgwatch_link_receive_bytes_total", by_dev), std::to_string(facts.rx_bytes));
    EXPECT_EQ(sample_text(e, "wgwatch_link_transmit_bytes_total", by_dev), std::to_string(facts.tx_bytes));
    EXPECT_EQ(sample_text(e, "wgwatch_link_receive_packets_total", by_dev), std::to_string(facts.rx_packets));
    EXPECT_EQ(sample_text(e, "wgwatch_link_transmit_packets_total", by_dev), std::to_string(facts.tx_packets));
    EXPECT_EQ(sample_text(e, "wgwatch_link_receive_errors_total", by_dev), std::to_string(facts.rx_errors));
    EXPECT_EQ(sample_text(e, "wgwatch_link_transmit_errors_total", by_dev), std::to_string(facts.tx_errors));
    EXPECT_EQ(sample_text(e, "wgwatch_link_receive_dropped_total", by_dev), std::to_string(facts.rx_dropped));
    EXPECT_EQ(sample_text(e, "wgwatch_link_transmit_dropped_total", by_dev), std::to_string(facts.tx_dropped));
  }
}

TEST_F(netns_dump_equivalence_test, real_scrape_passes_promtool_check_metrics) {
  WGWATCH_REQUIRE_PROGRAM("promtool");
  agent_ = std::make_unique<agent_process>(agent_options::with_config(config()));
  for (const bool gzip : {false, true}) {
    const auto res = agent_->scrape(gzip);
    ASSERT_EQ(res.status, 200u);
    EXPECT_EQ(res.content_encoding, gzip ? "gzip" : "");
    ASSERT_TRUE(has_family(parse_exposition(res.body), "wireguard_peer_allowed_ips_info"));
    const auto lint = promtool_check_metrics(res.body);
    EXPECT_EQ(lint.exit_code, 0) << lint.output;
    EXPECT_EQ(lint.output, "") << "gzip=" << gzip;
  }
  EXPECT_EQ(agent_->stop(), 0) << agent_->stderr_text();
}

}  // namespace
}  // namespace wgwatch::test
