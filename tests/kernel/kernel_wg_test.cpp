// SPDX-License-Identifier: MIT
// Runs inside the QEMU guest of tests/kernel/run-vm.sh: genl_source and the agent against the
// real WireGuard module (dump splitting, DUMP_INTR, deletion, missing CAP_NET_ADMIN).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/securebits.h>
#include <linux/wireguard.h>
#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <random>
#include <thread>
#include <vector>

#include "netlink/genl_family.hpp"
#include "netlink/socket.hpp"
#include "support/agent_process.hpp"
#include "support/exposition.hpp"
#include "support/genl_builder.hpp"
#include "support/netns.hpp"
#include "support/require.hpp"
#include "support/wg_dump.hpp"
#include "support/wireguard_go.hpp"
#include "util/error.hpp"
#include "wireguard/genl_parse.hpp"
#include "wireguard/genl_source.hpp"
#include "wireguard/key.hpp"

namespace wgwatch::test {
namespace {

using namespace std::chrono_literals;

// Why the kernel WireGuard family cannot be used here (it exists only in the guest).
std::optional<std::string> missing_kernel_wireguard() {
  auto sock = netlink::socket::open(NETLINK_GENERIC, 2s);
  if (!sock) return "generic netlink: " + sock.error().message();
  if (auto family = netlink::resolve_family(*sock, WG_GENL_NAME); !family) {
    return "no kernel WireGuard here (" + family.error().message() +
           "): run through tests/kernel/run-vm.sh";
  }
  return std::nullopt;
}

void ip(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  check_command(args);
}

// A kernel WireGuard link in the current namespace, deleted on destruction (if still there).
class kernel_device {
 public:
  explicit kernel_device(std::string name) : name_(std::move(name)) {
    ip({"link", "add", name_, "type", "wireguard"});
  }
  ~kernel_device() { run_command({"ip", "link", "del", name_}); }
  kernel_device(const kernel_device&) = delete;
  kernel_device& operator=(const kernel_device&) = delete;
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

// A valid-looking, distinct public key per index without running `wg pubkey` thousands of
// times (the kernel accepts any 32 bytes as a peer's public key).
wg::wg_key synthetic_key(std::uint32_t index) {
  wg::wg_key k{};
  std::uint64_t x = 0x9e3779b97f4a7c15ull * (index + 1);
  for (std::size_t i = 0; i < k.bytes.size(); ++i) {
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    k.bytes[i] = static_cast<std::uint8_t>(x >> 56);
  }
  return k;
}

// "a.b.c.d/32" for the index-th host of 10.<base>.0.0/16 (up to 65,534 hosts).
std::string host_route(int base, std::uint32_t index) {
  const auto n = index + 1;
  return "10." + std::to_string(base) + "." + std::to_string(n / 256) + "." + std::to_string(n % 256) + "/32";
}

// `wg setconf` of a device with `peers` synthetic peers (one /32 each from 10.<base>/16) and
// the `extra` [Peer] sections appended. Returns the device's public key.
std::string setconf(const std::string& dev, std::uint16_t port, std::uint32_t peers, int base,
                    const std::string& extra = {}) {
  const auto keys = make_keypair();
  const std::string path = "/tmp/" + dev + ".conf";
  {
    std::ofstream conf(path);
    conf << "[Interface]\nPrivateKey = " << keys.private_key << "\nListenPort = " << port << "\n";
    for (std::uint32_t i = 0; i < peers; ++i) {
      conf << "[Peer]\nPublicKey = " << wg::to_base64(synthetic_key(i + static_cast<std::uint32_t>(base) * 100000))
           << "\nAllowedIPs = " << host_route(base, i) << "\n";
    }
    conf << extra;
  }
  check_command({"wg", "setconf", dev, path});
  std::remove(path.c_str());
  return keys.public_key;
}

// A [Peer] section with `count` allowed IPs (/32s from 10.<base>/16, the last tenth IPv6 /128s),
// and those IPs as `wg` prints them.
struct wide_peer {
  std::string conf;
  std::set<std::string> ips;
};

wide_peer make_wide_peer(const std::string& public_key, std::uint32_t count, int base) {
  wide_peer w{"[Peer]\nPublicKey = " + public_key + "\nAllowedIPs = ", {}};
  for (std::uint32_t i = 0; i < count; ++i) {
    std::string a = i < count - count / 10 ? host_route(base, i)
                                           : "fd00:" + std::to_string(base) + "::" + std::to_string(i) + "/128";
    w.conf += (i ? "," : "") + a;
    w.ips.insert(std::move(a));
  }
  w.conf += "\n";
  return w;
}

std::set<std::string> allowed_set(const wg::peer& p) {
  std::set<std::string> s;
  for (const auto& a : p.allowed_ips) s.insert(wg::to_string(a));
  return s;
}

// The raw messages of one WG_CMD_GET_DEVICE dump, as the kernel sent them.
struct raw_dump {
  std::vector<buffer> messages;
  bool interrupted = false;
};

raw_dump dump_messages(const std::string& dev) {
  auto sock = netlink::socket::open(NETLINK_GENERIC, 10s);
  if (!sock) throw std::runtime_error("netlink socket: " + sock.error().message());
  auto family = netlink::resolve_family(*sock, WG_GENL_NAME);
  if (!family) throw std::runtime_error("wireguard family: " + family.error().message());
  auto request = nl_message(*family, NLM_F_REQUEST | NLM_F_DUMP)
                     .genl(WG_CMD_GET_DEVICE)
                     .put_string(WGDEVICE_A_IFNAME, dev)
                     .finish();
  raw_dump out;
  auto status = sock->exchange(request, [&](const netlink::message& m) -> result<void> {
    out.messages.emplace_back(m.bytes.begin(), m.bytes.end());
    return {};
  });
  if (!status) throw std::runtime_error("dump of " + dev + ": " + status.error().message());
  out.interrupted = status->interrupted;
  return out;
}

// WG_CMD_SET_DEVICE adding `key` with `ips` (10.250.0.x/32) or removing it: one syscall, so a
// churn loop changes the device far faster than `wg set` processes would.
class peer_churner {
 public:
  explicit peer_churner(std::string dev) : dev_(std::move(dev)) {
    auto sock = netlink::socket::open(NETLINK_GENERIC, 5s);
    if (!sock) throw std::runtime_error("netlink socket: " + sock.error().message());
    auto family = netlink::resolve_family(*sock, WG_GENL_NAME);
    if (!family) throw std::runtime_error("wireguard family: " + family.error().message());
    sock_.emplace(std::move(*sock));
    family_ = *family;
  }

  result<void> set(const wg::wg_key& key, bool remove, int ips) {
    nl_message m(family_, NLM_F_REQUEST | NLM_F_ACK);
    m.genl(WG_CMD_SET_DEVICE).put_string(WGDEVICE_A_IFNAME, dev_).begin_nest(WGDEVICE_A_PEERS).begin_nest(0);
    m.put(WGPEER_A_PUBLIC_KEY, key.bytes);
    m.put_u32(WGPEER_A_FLAGS, remove ? static_cast<std::uint32_t>(WGPEER_F_REMOVE_ME) : 0u);
    if (!remove) {
      m.begin_nest(WGPEER_A_ALLOWEDIPS);
      for (int i = 0; i < ips; ++i) {
        const std::array<std::uint8_t, 4> addr{10, 250, 0, static_cast<std::uint8_t>(i + 1)};
        m.begin_nest(0).put_u16(WGALLOWEDIP_A_FAMILY, AF_INET).put(WGALLOWEDIP_A_IPADDR, addr);
        m.put_u8(WGALLOWEDIP_A_CIDR_MASK, 32).end_nest();
      }
      m.end_nest();
    }
    m.end_nest().end_nest();
    auto request = m.finish();
    auto status = sock_->exchange(request, [](const netlink::message&) -> result<void> { return {}; });
    if (!status) return status.error();
    return {};
  }

 private:
  std::string dev_;
  std::optional<netlink::socket> sock_;
  std::uint16_t family_ = 0;
};

// Prints a file for run-vm.sh --capture-dir: hex lines between markers on the console.
void emit_capture(const std::string& name, const std::vector<buffer>& messages) {
  std::cout << "\nWGVM_FILE_BEGIN " << name << "\n";
  std::string line;
  auto flush_line = [&] {
    if (!line.empty()) std::cout << "WGVM_FILE_DATA " << line << "\n";
    line.clear();
  };
  for (const auto& m : messages) {
    for (const auto byte : m) {
      static constexpr char digits[] = "0123456789abcdef";
      line += digits[byte >> 4];
      line += digits[byte & 15];
      if (line.size() >= 96) flush_line();
    }
  }
  flush_line();
  std::cout << "WGVM_FILE_END\n" << std::flush;
}

// Prints the time since the previous call: TCG makes every step slow, so say which.
void lap(const char* what) {
  static auto last = std::chrono::steady_clock::now();
  const auto now = std::chrono::steady_clock::now();
  std::cout << "  [" << std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count() << " ms] "
            << what << "\n" << std::flush;
  last = now;
}

std::set<std::string> exported_devices(const exposition& e) {
  std::set<std::string> names;
  for (const auto* s : find_samples(e, "wireguard_device_info")) names.insert(s->labels.at("device"));
  return names;
}

class kernel_wg_test : public testing::Test {
 protected:
  void SetUp() override {
    if (auto missing = missing_kernel_wireguard()) GTEST_SKIP() << *missing;
  }
};

// --- 1. every exported value equals `wg show all dump`; only WireGuard links enumerated ----
TEST_F(kernel_wg_test, agent_exports_what_wg_show_dump_prints) {
  // wg0/wg1 stay here; their far ends are created here too (so all UDP sockets talk over
  // this namespace's lo) and then moved into `far`.
  named_netns far("wgk-far");
  kernel_device wg0("wg0"), wg1("wg1"), wgf0("wgf0"), wgf1("wgf1");
  const auto k0 = make_keypair(), k1 = make_keypair(), kf0 = make_keypair(), kf1 = make_keypair();
  const auto never = make_keypair(), many = make_keypair(), v6 = make_keypair();
  wg_set({"wg0", "private-key", "/dev/stdin", "listen-port", "51820"}, k0.private_key + "\n");
  wg_set({"wg1", "private-key", "/dev/stdin", "listen-port", "51821"}, k1.private_key + "\n");
  wg_set({"wgf0", "private-key", "/dev/stdin", "listen-port", "51830"}, kf0.private_key + "\n");
  wg_set({"wgf1", "private-key", "/dev/stdin", "listen-port", "51831"}, kf1.private_key + "\n");
  wg_set({"wg0", "peer", kf0.public_key, "endpoint", "127.0.0.1:51830", "allowed-ips",
          "10.10.0.2/32,fd00:10::2/128", "persistent-keepalive", "25"});
  wg_set({"wg0", "peer", never.public_key, "endpoint", "127.0.0.1:9", "allowed-ips", "10.10.9.0/24"});
  std::string many_ips;
  for (std::uint32_t i = 0; i < 300; ++i) many_ips += (i ? "," : "") + host_route(20, i);
  wg_set({"wg0", "peer", many.public_key, "allowed-ips", many_ips});
  wg_set({"wgf0", "peer", k0.public_key, "endpoint", "127.0.0.1:51820", "allowed-ips",
          "10.10.0.1/32,fd00:10::1/128"});
  wg_set({"wg1", "peer", kf1.public_key, "endpoint", "127.0.0.1:51831", "allowed-ips",
          "10.11.0.2/32,fd00:11::/64"});
  wg_set({"wg1", "peer", v6.public_key, "endpoint", "[2001:db8::99]:51820", "allowed-ips", "10.11.9.0/24"});
  wg_set({"wgf1", "peer", k1.public_key, "endpoint", "127.0.0.1:51821", "allowed-ips", "10.11.0.1/32"});
  ip({"link", "set", "wgf0", "netns", far.name()});
  ip({"link", "set", "wgf1", "netns", far.name()});
  ip({"addr", "add", "10.10.0.1/24", "dev", "wg0"});
  ip({"-6", "addr", "add", "fd00:10::1/64", "dev", "wg0", "nodad"});
  ip({"addr", "add", "10.11.0.1/24", "dev", "wg1"});
  ip({"-n", far.name(), "addr", "add", "10.10.0.2/24", "dev", "wgf0"});
  ip({"-n", far.name(), "-6", "addr", "add", "fd00:10::2/64", "dev", "wgf0", "nodad"});
  ip({"-n", far.name(), "addr", "add", "10.11.0.2/24", "dev", "wgf1"});
  for (const char* dev : {"wg0", "wg1"}) ip({"link", "set", dev, "up"});
  for (const char* dev : {"wgf0", "wgf1"}) ip({"-n", far.name(), "link", "set", dev, "up"});
  // Links of other kinds that enumeration must leave out (dummy0 comes with dummy.ko).
  ip({"link", "add", "wgk-veth0", "type", "veth", "peer", "name", "wgk-veth1"});
  ip({"link", "add", "wgk-dummy", "type", "dummy"});

  for (const char* peer : {"10.10.0.2", "10.11.0.2"}) {
    const auto p = run_command({"ping", "-c", "2", "-w", "10", peer});
    ASSERT_EQ(p.exit_code, 0) << "ping " << peer << ": " << p.out << p.err;
  }

  wg::genl_source source(5s);
  auto listed = source.list_devices();
  ASSERT_TRUE(listed) << listed.error().message();
  EXPECT_EQ(std::set<std::string>(listed->begin(), listed->end()), (std::set<std::string>{"wg0", "wg1"}));

  agent_process agent;
  const std::set<std::string> devices{"wg0", "wg1"};
  const auto scrape = scrape_between_equal_dumps(agent, devices);
  const auto& expected = scrape.dump;
  ASSERT_EQ(expected.size(), 2u);
  ASSERT_EQ(expected.at("wg0").peers.size(), 3u);
  ASSERT_EQ(expected.at("wg1").peers.size(), 2u);
  const auto e = parse_exposition(scrape.body);
  expect_exposition_matches_dump(e, expected, "kernel", scrape.scraped_at);
  EXPECT_EQ(exported_devices(e), devices);
  for (const char* other : {"dummy0", "wgk-veth0", "wgk-veth1", "wgk-dummy", "lo"}) {
    EXPECT_TRUE(find_samples(e, "wireguard_device_backend_info", {{"device", other}}).empty()) << other;
  }

  // The shapes the comparison was meant to cover.
  const auto& d0 = expected.at("wg0");
  EXPECT_NE(d0.peers.at(kf0.public_key).latest_handshake, "0");
  EXPECT_NE(d0.peers.at(kf0.public_key).rx_bytes, "0");
  EXPECT_EQ(d0.peers.at(kf0.public_key).keepalive, "25");
  EXPECT_EQ(d0.peers.at(kf0.public_key).allowed_ips, (std::set<std::string>{"10.10.0.2/32", "fd00:10::2/128"}));
  EXPECT_EQ(d0.peers.at(never.public_key).latest_handshake, "0");
  EXPECT_EQ(d0.peers.at(many.public_key).allowed_ips.size(), 300u);
  EXPECT_EQ(expected.at("wg1").peers.at(v6.public_key).endpoint, "[2001:db8::99]:51820");
  EXPECT_EQ(d0.public_key, k0.public_key);
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
  run_command({"ip", "link", "del", "wgk-veth0"});
  run_command({"ip", "link", "del", "wgk-dummy"});
}

// --- 3. changes during the dump: NLM_F_DUMP_INTR is hit, retried, results consistent -------
TEST_F(kernel_wg_test, dump_interrupted_by_changes_is_retried_and_consistent) {
  // 50 small peers and one with 2,000 allowed IPs: the dump spans many messages, and the
  // device is cheap to delete (peers, not allowed IPs, cost an RCU grace period each).
  constexpr std::uint32_t peer_count = 51;
  constexpr int churn_ips = 8;
  kernel_device churn("wgchurn");
  const auto wide = make_wide_peer(wg::to_base64(synthetic_key(888888)), 2000, 51);
  setconf("wgchurn", 51910, peer_count - 1, 50, wide.conf);
  const auto churn_key = synthetic_key(999999);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> changes{0};
  std::string churn_error;
  std::thread changer([&] {
    try {
      peer_churner churner("wgchurn");
      // Paced with random pauses, so that some dumps are cut by a change (DUMP_INTR, retried)
      // and some retries find a quiet moment: flat out, under TCG, every read can give up.
      std::mt19937 rng(20261125);
      std::uniform_int_distribution<int> pause_ms(0, 40);
      for (bool remove = false; !stop; remove = !remove) {
        if (auto r = churner.set(churn_key, remove, churn_ips); !r) {
          churn_error = r.error().message();
          return;
        }
        ++changes;
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
      }
    } catch (const std::exception& ex) {
      churn_error = ex.what();
    }
  });

  wg::genl_source source(10s);
  int reads = 0, consistent = 0, gave_up = 0;
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  // Until the case was really reached (retries) and consistent results came back anyway.
  while (std::chrono::steady_clock::now() < deadline &&
         (source.dump_retries() < 3 || reads < 10 || consistent == 0)) {
    ++reads;
    auto dev = source.get_device("wgchurn");
    if (!dev) {
      // After max_dump_attempts interrupted dumps the source gives up: an honest error.
      ASSERT_EQ(dev.error(), make_error_code(errc::dump_interrupted)) << dev.error().message();
      ++gave_up;
      continue;
    }
    // Consistent: every static peer exactly once with all its routes; the churned peer
    // either absent or complete.
    ASSERT_TRUE(dev->peers.size() == peer_count || dev->peers.size() == peer_count + 1) << dev->peers.size();
    std::set<std::string> keys;
    for (const auto& p : dev->peers) {
      ASSERT_TRUE(keys.insert(wg::to_base64(p.public_key)).second);
      if (p.public_key == churn_key) {
        ASSERT_EQ(p.allowed_ips.size(), static_cast<std::size_t>(churn_ips));
      } else if (p.public_key == synthetic_key(888888)) {
        ASSERT_EQ(allowed_set(p), wide.ips);
      } else {
        ASSERT_EQ(p.allowed_ips.size(), 1u);
      }
    }
    ++consistent;
  }
  stop = true;
  changer.join();
  ASSERT_EQ(churn_error, "");
  std::cout << "DUMP_INTR: " << reads << " reads, " << consistent << " consistent, " << gave_up
            << " gave up after " << wg::genl_source::max_dump_attempts << " attempts, "
            << source.dump_retries() << " retries, " << changes << " changes\n";
  RecordProperty("dump_retries", std::to_string(source.dump_retries()));
  EXPECT_GT(changes.load(), 0u);
  EXPECT_GT(source.dump_retries(), 0u) << "NLM_F_DUMP_INTR was never reached";
  EXPECT_GT(consistent, 0);
}

// --- 4. a device deleted while it is read drops out; the other device stays ----------------
TEST_F(kernel_wg_test, device_deleted_mid_read_drops_out_cleanly) {
  kernel_device keep("wgkeep");
  setconf("wgkeep", 51920, 3, 60);
  // Its dump spans many messages (3,000 allowed IPs) so deletion can land mid-dump.
  const auto wide = make_wide_peer(wg::to_base64(synthetic_key(777777)), 3000, 62);
  auto doomed = std::make_unique<kernel_device>("wgdel");
  setconf("wgdel", 51921, 3, 61, wide.conf);

  // Directly: each read of the vanishing device is whole or device_not_found.
  {
    std::atomic<int> reads{0};
    std::vector<std::string> bad;
    bool saw_not_found = false;
    std::thread reader([&] {
      wg::genl_source source(10s);
      for (;;) {
        auto dev = source.get_device("wgdel");
        ++reads;
        if (!dev) {
          if (dev.error() == make_error_code(errc::device_not_found)) {
            saw_not_found = true;
            return;
          }
          bad.push_back(dev.error().message());
        } else if (dev->peers.size() != 4 || dev->peers.back().allowed_ips.size() != 3000) {
          bad.push_back("partial device: " + std::to_string(dev->peers.size()) + " peers");
        }
        if (reads > 500) return;
      }
    });
    while (reads < 1) std::this_thread::sleep_for(1ms);
    ip({"link", "del", "wgdel"});
    reader.join();
    EXPECT_TRUE(saw_not_found);
    EXPECT_TRUE(bad.empty()) << bad.front();
    std::cout << "direct reads before deletion took effect: " << reads << "\n";
  }

  // Through the agent: scrapes stay 200 and wgkeep stays whole while wgdel vanishes.
  doomed.reset();  // its destructor would delete the new link of the same name
  doomed = std::make_unique<kernel_device>("wgdel");
  setconf("wgdel", 51921, 3, 61, wide.conf);
  agent_process agent;
  std::atomic<bool> deleted{false}, stop{false};
  std::atomic<int> scrapes{0}, after{0};
  std::vector<std::string> problems;
  std::thread scraper([&] {
    while (!stop) {
      const bool was_deleted = deleted;
      const auto res = agent.scrape();
      ++scrapes;
      if (res.status != 200) {
        problems.push_back("status " + std::to_string(res.status));
        continue;
      }
      const auto e = parse_exposition(res.body);
      if (!has_sample(e, "wireguard_device_peers", {{"device", "wgkeep"}}, 3)) problems.push_back("wgkeep not whole");
      if (!has_sample(e, "wgwatch_wireguard_read_success", {{"device", "wgkeep"}}, 1)) problems.push_back("wgkeep failed");
      const auto del_peers = sample_value(e, "wireguard_device_peers", {{"device", "wgdel"}});
      const auto del_ips = find_samples(e, "wireguard_peer_allowed_ips_info", {{"device", "wgdel"}}).size();
      if (del_peers && (*del_peers != 4 || del_ips != 3003)) {
        problems.push_back("wgdel partial: " + std::to_string(*del_peers) + " peers, " +
                           std::to_string(del_ips) + " allowed IPs");
      }
      if (was_deleted) {
        if (del_peers) problems.push_back("wgdel still exported after deletion");
        ++after;
      }
    }
  });
  while (scrapes < 1) std::this_thread::sleep_for(1ms);
  ip({"link", "del", "wgdel"});
  deleted = true;
  while (after < 3) std::this_thread::sleep_for(10ms);
  stop = true;
  scraper.join();
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
}

// --- 5. without CAP_NET_ADMIN the agent says why and serves the rest -----------------------
TEST_F(kernel_wg_test, without_cap_net_admin_agent_says_why_and_keeps_serving) {
  kernel_device dev("wgcap");
  setconf("wgcap", 51930, 2, 70);
  // SECBIT_NOROOT on this thread: the agent it forks and execs as uid 0 gains no
  // capabilities, like an unprivileged user; this process keeps its own.
  ASSERT_EQ(::prctl(PR_SET_SECUREBITS, SECBIT_NOROOT, 0, 0, 0), 0) << std::strerror(errno);
  std::unique_ptr<agent_process> agent;
  try {
    agent = std::make_unique<agent_process>();
  } catch (...) {
    ::prctl(PR_SET_SECUREBITS, 0, 0, 0, 0);
    throw;
  }
  ASSERT_EQ(::prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), 0) << std::strerror(errno);
  {
    std::ifstream status("/proc/" + std::to_string(agent->pid()) + "/status");
    std::string line, capeff;
    while (std::getline(status, line)) {
      if (line.rfind("CapEff:", 0) == 0) capeff = line;
    }
    ASSERT_EQ(capeff, "CapEff:\t0000000000000000") << "the agent kept capabilities";
  }

  const auto res = agent->scrape();
  ASSERT_EQ(res.status, 200u);
  const auto e = parse_exposition(res.body);
  EXPECT_TRUE(has_sample(e, "wgwatch_wireguard_read_success", {{"device", "wgcap"}}, 0)) << res.body;
  EXPECT_TRUE(has_sample(e, "wgwatch_scrape_collector_success", {{"collector", "link"}}, 1));
  EXPECT_TRUE(has_sample(e, "wgwatch_link_exists", {{"device", "wgcap"}}, 1));
  EXPECT_TRUE(find_samples(e, "wireguard_peer_info", {{"device", "wgcap"}}).empty());
  const auto log = agent->stderr_text();
  EXPECT_NE(log.find("Operation not permitted"), std::string::npos) << log;
  std::cout << "agent log without CAP_NET_ADMIN:\n" << log << "\n";
  EXPECT_EQ(agent->stop(), 0);
}

// --- 7. a userspace and a kernel device side by side: each read by its own backend --------
TEST_F(kernel_wg_test, userspace_and_kernel_devices_each_read_by_their_backend) {
  if (auto missing = missing_program("wireguard-go")) GTEST_SKIP() << *missing;
  // wireguard-go refuses to run where the kernel module is loaded unless told otherwise.
  ::setenv("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD", "1", 1);
  kernel_device kernel("wgk1");
  setconf("wgk1", 51940, 2, 71);
  wireguard_go userspace("wgu1");
  setconf("wgu1", 51941, 3, 72);

  agent_process agent;
  const auto scrape = scrape_between_equal_dumps(agent, {"wgk1", "wgu1"});
  ASSERT_EQ(scrape.dump.size(), 2u);
  ASSERT_EQ(scrape.dump.at("wgk1").peers.size(), 2u);
  ASSERT_EQ(scrape.dump.at("wgu1").peers.size(), 3u);
  const auto e = parse_exposition(scrape.body);
  expect_exposition_matches_dump(e, {{"wgk1", scrape.dump.at("wgk1")}}, "kernel", scrape.scraped_at);
  expect_exposition_matches_dump(e, {{"wgu1", scrape.dump.at("wgu1")}}, "userspace", scrape.scraped_at);
  EXPECT_EQ(agent.stop(), 0) << agent.stderr_text();
}

// --- 2. 5,000 peers and a peer with 1,000 allowed IPs: split dumps read back exactly -------
TEST_F(kernel_wg_test, five_thousand_peers_and_a_thousand_allowed_ips_read_back_exactly) {
  constexpr std::uint32_t peer_count = 5000;
  // Not deleted: removing 5,000 peers costs the 6.1 kernel an RCU grace period each (about
  // 90 s under TCG, holding RTNL). Last case, so the guest's poweroff disposes of it.
  ip({"link", "add", "wgbig", "type", "wireguard"});
  const auto wide = make_keypair();
  const auto wide_peer = make_wide_peer(wide.public_key, 1000, 40);
  const auto& wide_ips = wide_peer.ips;
  lap("start");
  setconf("wgbig", 51900, peer_count, 30, wide_peer.conf);
  lap("wg setconf");

  // The kernel really split it: many messages, the wide peer's allowed IPs among several.
  const auto raw = dump_messages("wgbig");
  ASSERT_FALSE(raw.interrupted);
  EXPECT_GT(raw.messages.size(), 10u);
  std::cout << "dump of wgbig: " << raw.messages.size() << " messages\n";
  lap("raw dump");

  wg::genl_source source(10s);
  auto dev = source.get_device("wgbig");
  ASSERT_TRUE(dev) << dev.error().message();
  EXPECT_EQ(dev->kind, wg::backend::kernel);
  EXPECT_EQ(dev->listen_port, 51900);
  ASSERT_EQ(dev->peers.size(), peer_count + 1);
  lap("genl_source::get_device");
  std::map<std::string, const wg::peer*> by_key;
  for (const auto& p : dev->peers) {
    EXPECT_TRUE(by_key.emplace(wg::to_base64(p.public_key), &p).second) << "duplicate peer";
  }
  for (std::uint32_t i = 0; i < peer_count; ++i) {
    const auto it = by_key.find(wg::to_base64(synthetic_key(i + 30 * 100000)));
    ASSERT_NE(it, by_key.end()) << "peer " << i << " missing";
    ASSERT_EQ(allowed_set(*it->second), (std::set<std::string>{host_route(30, i)})) << "peer " << i;
  }
  ASSERT_TRUE(by_key.contains(wide.public_key));
  EXPECT_EQ(by_key.at(wide.public_key)->allowed_ips.size(), 1000u);
  EXPECT_EQ(allowed_set(*by_key.at(wide.public_key)), wide_ips);

  lap("checks");
  // The pure parser over the captured messages gives the same device.
  auto parsed = wg::parse_genl_dump(raw.messages);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->peers, dev->peers);

  lap("parse_genl_dump");
  // And the agent exports all of it.
  agent_process agent;
  const auto res = agent.scrape();
  ASSERT_EQ(res.status, 200u);
  lap("agent scrape");
  const auto e = parse_exposition(res.body);
  lap("parse_exposition");
  EXPECT_TRUE(has_sample(e, "wireguard_device_peers", {{"device", "wgbig"}}, peer_count + 1));
  EXPECT_EQ(find_samples(e, "wireguard_peer_info", {{"device", "wgbig"}}).size(), peer_count + 1);
  std::set<std::string> exported_wide;
  for (const auto* s : find_samples(e, "wireguard_peer_allowed_ips_info",
                                    {{"device", "wgbig"}, {"public_key", wide.public_key}})) {
    exported_wide.insert(s->labels.at("allowed_ips"));
  }
  EXPECT_EQ(exported_wide, wide_ips);
  EXPECT_EQ(find_samples(e, "wireguard_peer_allowed_ips_info", {{"device", "wgbig"}}).size(),
            peer_count + 1000);
  EXPECT_TRUE(has_sample(e, "wgwatch_wireguard_read_success", {{"device", "wgbig"}}, 1));
  lap("exposition checks");
  EXPECT_EQ(agent.stop(), 0);
  lap("agent stop");
}

// --- 6. the kernel's own split dumps as fixtures for host-side tests -----------------------
// An on-demand tool, not a test: DISABLED_ keeps it out of the default run (where it used to
// skip); tests/kernel/capture-fixtures.sh runs it with --gtest_also_run_disabled_tests. Prints
// the raw messages of a split dump and `wg show <dev> dump` (the expectation, from wg, not from
// our parser).
TEST_F(kernel_wg_test, DISABLED_capture_split_dumps_as_fixtures) {
  kernel_device dev("wgcapture");
  const auto wide = make_wide_peer(wg::to_base64(synthetic_key(424242)), 800, 90);
  setconf("wgcapture", 51999, 300, 80, wide.conf);
  wg_set({"wgcapture", "peer", wg::to_base64(synthetic_key(80 * 100000)), "endpoint", "127.0.0.1:9",
          "persistent-keepalive", "15"});
  wg_set({"wgcapture", "peer", wg::to_base64(synthetic_key(80 * 100000 + 1)), "endpoint", "[fd00::1]:51820"});
  const auto raw = dump_messages("wgcapture");
  ASSERT_FALSE(raw.interrupted);
  ASSERT_GT(raw.messages.size(), 2u);
  const auto expected = check_command({"wg", "show", "wgcapture", "dump"});
  emit_capture("kernel-split-dump.bin", raw.messages);
  emit_capture("kernel-split-dump.wg-dump", {buffer(expected.begin(), expected.end())});
  auto parsed = wg::parse_genl_dump(raw.messages);
  ASSERT_TRUE(parsed) << parsed.error().message();
  std::cout << "captured " << raw.messages.size() << " messages, " << parsed->peers.size() << " peers\n";
}

}  // namespace
}  // namespace wgwatch::test
