// SPDX-License-Identifier: MIT
// The lab shared by the netns tests: a far-side namespace behind a veth pair and helpers to
// bring up wireguard-go devices on either side. Header-only; include from netns_*_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/agent_process.hpp"
#include "support/exposition.hpp"
#include "support/netns.hpp"
#include "support/require.hpp"
#include "support/wireguard_go.hpp"

namespace wgwatch::test {

/// Near side 198.18.0.1 (the agent's namespace), far side 198.18.0.2 (RFC 2544 test range).
inline constexpr const char* near_underlay = "198.18.0.1";
inline constexpr const char* far_underlay = "198.18.0.2";

/// One wireguard-go device with its identity.
struct lab_device {
  std::unique_ptr<wireguard_go> daemon;
  keypair keys;
  std::uint16_t port = 0;
  const named_netns* netns = nullptr;

  const std::string& name() const { return daemon->ifname(); }
};

/// Starts wireguard-go `name` (in `netns` if given), sets key and port, adds `address_cidrs`,
/// brings the link up.
inline lab_device start_lab_device(const std::string& name, std::uint16_t port,
                                   const std::vector<std::string>& address_cidrs,
                                   const named_netns* netns = nullptr) {
  lab_device d;
  d.netns = netns;
  d.keys = make_keypair();
  d.port = port;
  d.daemon = std::make_unique<wireguard_go>(name, netns);
  wg_set({name, "private-key", "/dev/stdin", "listen-port", std::to_string(port)},
         d.keys.private_key + "\n", netns);
  auto ip = [&](std::vector<std::string> args) {
    if (netns) args.insert(args.begin(), {"-n", netns->name()});
    args.insert(args.begin(), "ip");
    check_command(args);
  };
  for (const auto& cidr : address_cidrs) {
    if (cidr.find(':') != std::string::npos) {
      ip({"-6", "addr", "add", cidr, "dev", name, "nodad"});
    } else {
      ip({"addr", "add", cidr, "dev", name});
    }
  }
  ip({"link", "set", name, "up"});
  return d;
}

/// Adds `peer` as a peer of `dev`: `wg set <dev> peer <key> [endpoint] allowed-ips ... [extra]`.
inline void add_peer(const lab_device& dev, const std::string& public_key,
                     const std::string& endpoint, const std::string& allowed_ips,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args{dev.name(), "peer", public_key};
  if (!endpoint.empty()) args.insert(args.end(), {"endpoint", endpoint});
  if (!allowed_ips.empty()) args.insert(args.end(), {"allowed-ips", allowed_ips});
  args.insert(args.end(), extra.begin(), extra.end());
  wg_set(args, {}, dev.netns);
}


/// `ping` from the current namespace until `count` replies (fails after `deadline_s`).
inline command_result ping(const std::string& address, int count = 3, int deadline_s = 10) {
  return run_command({"ping", "-n", "-q", "-c", std::to_string(count), "-i", "0.2", "-w",
                      std::to_string(deadline_s), address});
}

/// Two tunnels to the far namespace `far` (underlay near_underlay <-> far_underlay):
/// wg0 10.10.0.1/24 <-> wgf0 10.10.0.2 and wg1 10.20.0.1/24 <-> wgf1 10.20.0.2, both ends with
/// persistent keepalive 1 s. Returns once both tunnels have done their first handshake.
struct tunnel_pair {
  explicit tunnel_pair(const named_netns& far) {
    wg0 = start_lab_device("wg0", 51820, {"10.10.0.1/24"});
    wg1 = start_lab_device("wg1", 51821, {"10.20.0.1/24"});
    wgf0 = start_lab_device("wgf0", 51830, {"10.10.0.2/24"}, &far);
    wgf1 = start_lab_device("wgf1", 51831, {"10.20.0.2/24"}, &far);
    const std::vector<std::string> keepalive{"persistent-keepalive", "1"};
    add_peer(wg0, wgf0.keys.public_key, "198.18.0.2:51830", "10.10.0.0/24", keepalive);
    add_peer(wgf0, wg0.keys.public_key, "198.18.0.1:51820", "10.10.0.1/32", keepalive);
    add_peer(wg1, wgf1.keys.public_key, "198.18.0.2:51831", "10.20.0.0/24", keepalive);
    add_peer(wgf1, wg1.keys.public_key, "198.18.0.1:51821", "10.20.0.1/32", keepalive);
    for (const char* address : {"10.10.0.2", "10.20.0.2"}) {
      // wireguard-go retries a lost first initiation after REKEY_TIMEOUT (5 s) plus jitter;
      // a loaded machine can need a few of them.
      const auto r = ping(address, 1, 30);
      if (r.exit_code != 0)
        throw std::runtime_error(std::string("tunnel to ") + address + " down: " + r.out);
    }
  }

  lab_device wg0, wg1, wgf0, wgf1;
};

/// Samples whose `device` label is `device`, of any name.
inline std::vector<const sample*> samples_of_device(const exposition& e, const std::string& device) {
  std::vector<const sample*> found;
  for (const auto& s : e.samples) {
    const auto it = s.labels.find("device");
    if (it != s.labels.end() && it->second == device) found.push_back(&s);
  }
  return found;
}

/// Scrapes and parses, asserting status 200 (gtest fatal failure otherwise).
inline exposition scrape_ok(const agent_process& agent, bool accept_gzip = false) {
  const auto res = agent.scrape(accept_gzip);
  EXPECT_EQ(res.status, 200u) << res.body;
  return parse_exposition(res.body);
}

/// `[wireguard] socket_dir` plus `interfaces` when given.
inline std::string agent_config(const std::vector<std::string>& interfaces = {}) {
  std::ostringstream toml;
  toml << "[wireguard]\nsocket_dir = \"" << wireguard_socket_dir << "\"\n";
  if (!interfaces.empty()) {
    toml << "interfaces = [";
    for (std::size_t i = 0; i < interfaces.size(); ++i) {
      toml << (i ? ", " : "") << '"' << interfaces[i] << '"';
    }
    toml << "]\n";
  }
  return toml.str();
}

}  // namespace wgwatch::test

/// Everything a netns test needs before it touches the network.
#define WGWATCH_REQUIRE_NETNS_LAB()         \
  do {                                      \
    WGWATCH_REQUIRE_ROOT();                 \
    WGWATCH_REQUIRE_ISOLATION();            \
    WGWATCH_REQUIRE_PROGRAM("wireguard-go"); \
    WGWATCH_REQUIRE_PROGRAM("wg");          \
    WGWATCH_REQUIRE_PROGRAM("ip");          \
  } while (false)
