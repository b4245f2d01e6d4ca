// SPDX-License-Identifier: MIT
// `wg show all dump` reader and the exposition-equals-dump assertions.
#include "support/wg_dump.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "support/netns.hpp"

namespace wgwatch::test {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find(sep, start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

wg_dump read_wg_dump(const std::set<std::string>& devices) {
  wg_dump d;
  for (const auto& line : split(check_command({"wg", "show", "all", "dump"}), '\n')) {
    if (line.empty()) continue;
    const auto f = split(line, '\t');
    if (!devices.contains(f[0])) continue;
    if (f.size() == 5) {  // ifname private public port fwmark
      d[f[0]].public_key = f[2];
      d[f[0]].listen_port = f[3];
    } else if (f.size() == 9) {  // ifname public psk endpoint allowed hs rx tx keepalive
      dump_peer p;
      p.endpoint = f[3] == "(none)" ? "" : f[3];
      if (f[4] != "(none)") {
        for (auto& a : split(f[4], ',')) p.allowed_ips.insert(a);
      }
      p.latest_handshake = f[5];
      p.rx_bytes = f[6];
      p.tx_bytes = f[7];
      p.keepalive = f[8] == "off" ? "0" : f[8];
      d[f[0]].peers[f[1]] = std::move(p);
    } else {
      ADD_FAILURE() << "unexpected dump line: " << line;
    }
  }
  return d;
}

bracketed_scrape scrape_between_equal_dumps(const agent_process& agent,
                                            const std::set<std::string>& devices, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const auto before = read_wg_dump(devices);
    const auto scraped_at = std::time(nullptr);
    auto res = agent.scrape();
    if (res.status != 200) {
      throw std::runtime_error("scrape answered " + std::to_string(res.status) + ": " + res.body);
    }
    if (read_wg_dump(devices) == before) return {before, std::move(res.body), scraped_at};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("wg show all dump never held still around a scrape");
}

void expect_exposition_matches_dump(const exposition& e, const wg_dump& expected,
                                    std::string_view backend, std::time_t scraped_at) {
  for (const auto& [dev, d] : expected) {
    SCOPED_TRACE("device " + dev);
    const label_map by_dev{{"device", dev}};
    EXPECT_TRUE(has_sample(e, "wireguard_device_info", {{"device", dev}, {"public_key", d.public_key}}, 1));
    EXPECT_TRUE(has_sample(e, "wireguard_device_backend_info",
                           {{"device", dev}, {"backend", std::string(backend)}}, 1));
    EXPECT_EQ(sample_text(e, "wireguard_device_listen_port", by_dev), d.listen_port);
    EXPECT_TRUE(has_sample(e, "wireguard_device_peers", by_dev, static_cast<double>(d.peers.size())));
    EXPECT_TRUE(has_sample(e, "wgwatch_wireguard_read_success", by_dev, 1));
    EXPECT_EQ(find_samples(e, "wireguard_peer_info", by_dev).size(), d.peers.size());

    for (const auto& [key, p] : d.peers) {
      SCOPED_TRACE("peer " + key);
      const label_map by_peer{{"device", dev}, {"public_key", key}};
      const auto info = find_samples(e, "wireguard_peer_info", by_peer);
      ASSERT_EQ(info.size(), 1u);
      EXPECT_EQ(info[0]->labels.at("endpoint"), p.endpoint);
      std::set<std::string> allowed;
      for (const auto* s : find_samples(e, "wireguard_peer_allowed_ips_info", by_peer)) {
        const auto& a = s->labels.at("allowed_ips");
        EXPECT_TRUE(allowed.insert(a).second) << "duplicate " << a;
        EXPECT_EQ(s->labels.at("family"), a.find(':') == std::string::npos ? "IPv4" : "IPv6");
        EXPECT_EQ(s->value, 1);
      }
      EXPECT_EQ(allowed, p.allowed_ips);
      EXPECT_EQ(sample_text(e, "wireguard_peer_receive_bytes_total", by_peer), p.rx_bytes);
      EXPECT_EQ(sample_text(e, "wireguard_peer_transmit_bytes_total", by_peer), p.tx_bytes);
      EXPECT_EQ(sample_text(e, "wireguard_peer_last_handshake_seconds", by_peer), p.latest_handshake);
      EXPECT_EQ(sample_text(e, "wireguard_peer_persistent_keepalive_interval_seconds", by_peer),
                p.keepalive);
      const auto age = find_samples(e, "wireguard_peer_last_handshake_age_seconds", by_peer);
      if (p.latest_handshake == "0") {
        EXPECT_TRUE(age.empty()) << "a peer that never handshaked has no age series";
      } else {
        ASSERT_EQ(age.size(), 1u);
        const double expected_age = static_cast<double>(scraped_at - std::stoll(p.latest_handshake));
        EXPECT_NEAR(age[0]->value, expected_age, 2.0);
      }
    }
  }
}

}  // namespace wgwatch::test
