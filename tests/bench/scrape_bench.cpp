// SPDX-License-Identifier: MIT
// Scrape benchmark: one wireguard-go device with 1,000 / 10,000 / 50,000 peers. Side by side
// in one run: `wg show all dump` (what the most used peer exporter runs per scrape), a raw UAPI
// "get=1" read (the floor: mostly wireguard-go's own serialisation), and the agent's full
// /metrics response with and without gzip, with the agent's CPU and RSS. Prints figures; the
// only assertions are that every response is complete. Label: bench.
//   WGWATCH_BENCH_PEERS=1000,10000  peer counts (default 1000,10000,50000)
//   WGWATCH_BENCH_REPEAT=9          measurements per figure (median and max reported)
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <random>
#include <sstream>
#include <string>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "support/agent_process.hpp"
#include "support/exposition.hpp"
#include "support/netns.hpp"
#include "support/process_stats.hpp"
#include "support/require.hpp"
#include "support/wireguard_go.hpp"
#include "wireguard/key.hpp"
#include "wireguard/uapi_source.hpp"

extern char** environ;

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::string_view bench_device = "wgbench";

/// Wall and CPU time of one measured operation, in milliseconds.
struct cost {
  double wall_ms = 0;
  double cpu_ms = 0;        ///< of the measured process (the tool or the agent)
  double daemon_cpu_ms = 0; ///< of wireguard-go meanwhile (its share of the work)
  std::size_t bytes = 0;
};

std::vector<int> peer_counts() {
  std::vector<int> counts;
  const char* env = std::getenv("WGWATCH_BENCH_PEERS");
  std::stringstream in(env && *env ? env : "1000,10000,50000");
  for (std::string item; std::getline(in, item, ',');) counts.push_back(std::stoi(item));
  return counts;
}

int repeat_count() {
  const char* env = std::getenv("WGWATCH_BENCH_REPEAT");
  return env && *env ? std::max(1, std::atoi(env)) : 9;
}

/// Runs `wg show all dump`, reading all of its output, and measures it with wait4().
cost run_wg_dump(pid_t daemon) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  const char* argv[] = {"wg", "show", "all", "dump", nullptr};
  const double daemon_before = process_cpu_ms(daemon);
  const auto start = clock_type::now();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "wg", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    throw std::runtime_error("cannot run wg");
  }
  cost c;
  char buf[65536];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) c.bytes += static_cast<std::size_t>(n);
  close(out[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  c.wall_ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  c.cpu_ms = (static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3) +
             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
  c.daemon_cpu_ms = process_cpu_ms(daemon) - daemon_before;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("wg show failed");
  return c;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

cost run_raw_uapi(pid_t daemon) {
  wg::uapi_source source(std::string(wireguard_socket_dir), std::chrono::seconds(30));
  const double daemon_before = process_cpu_ms(daemon);
  const double cpu_before = thread_cpu_ms();
  const auto start = clock_type::now();
  auto reply = source.read_reply(bench_device);
  cost c;
  c.wall_ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  c.cpu_ms = thread_cpu_ms() - cpu_before;
  c.daemon_cpu_ms = process_cpu_ms(daemon) - daemon_before;
  if (!reply) throw std::runtime_error("raw UAPI read failed: " + reply.error().message());
  c.bytes = reply->size();
  wg::wipe(reply->data(), reply->size());  // it carries the device's private key
  return c;
}

/// GET /metrics over a plain socket, read to the end (Connection: close) and not decoded: the
/// figure is the time until the whole response has arrived, as `wg show all dump`'s is the
/// time until its whole output has.
std::size_t fetch_metrics(std::uint16_t port, bool gzip) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot connect to the agent");
  }
  const std::string request = fmt::format(
      "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{}\r\n",
      gzip ? "Accept-Encoding: gzip\r\n" : "");
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    throw std::runtime_error("request write failed");
  }
  std::string head;
  std::size_t total = 0;
  static char buf[1 << 20];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
    if (head.size() < 16) head.append(buf, static_cast<std::size_t>(std::min<ssize_t>(n, 16)));
    total += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (head.rfind("HTTP/1.1 200", 0) != 0) throw std::runtime_error("scrape failed: " + head);
  return total;
}

cost run_scrape(const agent_process& agent, pid_t daemon, bool gzip) {
  const double daemon_before = process_cpu_ms(daemon);
  const double agent_before = process_cpu_ms(agent.pid());
  const auto start = clock_type::now();
  cost c;
  c.bytes = fetch_metrics(agent.port(), gzip);
  c.wall_ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  c.cpu_ms = process_cpu_ms(agent.pid()) - agent_before;
  c.daemon_cpu_ms = process_cpu_ms(daemon) - daemon_before;
  return c;
}

/// Median and maximum of each figure over the runs.
std::pair<cost, cost> summarize(const std::vector<cost>& runs) {
  const auto pick = [&](double cost::*field) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(r.*field);
    std::sort(v.begin(), v.end());
    return std::pair{v[v.size() / 2], v.back()};
  };
  cost median, max;
  std::tie(median.wall_ms, max.wall_ms) = pick(&cost::wall_ms);
  std::tie(median.cpu_ms, max.cpu_ms) = pick(&cost::cpu_ms);
  std::tie(median.daemon_cpu_ms, max.daemon_cpu_ms) = pick(&cost::daemon_cpu_ms);
  median.bytes = max.bytes = runs.back().bytes;
  return {median, max};
}

/// Adds `count` peers through the UAPI socket in one "set=1" transaction: random public keys,
/// a /32 each, a loopback endpoint (no traffic is ever sent: no keepalive, nothing routed).
void add_random_peers(int count) {
  std::mt19937_64 rng(20261125);
  std::string request = "set=1\n";
  request.reserve(static_cast<std::size_t>(count) * 160);
  for (int i = 0; i < count; ++i) {
    wg::wg_key key;
    for (auto& b : key.bytes) b = static_cast<std::uint8_t>(rng());
    std::string hex;
    for (auto b : key.bytes) hex += fmt::format("{:02x}", b);
    request += fmt::format("public_key={}\nendpoint=127.0.0.1:{}\nallowed_ip=10.{}.{}.{}/32\n", hex,
                           20000 + i % 40000, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  }
  request += "\n";
  // `wg setconf` would send exactly this; writing it directly keeps the set-up fast.
  const std::string path = fmt::format("{}/{}.sock", wireguard_socket_dir, bench_device);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot connect to " + path);
  }
  for (std::size_t off = 0; off < request.size();) {
    const ssize_t n = ::write(fd, request.data() + off, request.size() - off);
    if (n <= 0) throw std::runtime_error("UAPI set write failed");
    off += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buf[256];
  for (ssize_t n; reply.find("\n\n") == std::string::npos && (n = ::read(fd, buf, sizeof buf)) > 0;) {
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (reply.rfind("errno=0\n", 0) != 0) throw std::runtime_error("UAPI set failed: " + reply);
}

void print_row(std::string_view what, const std::pair<cost, cost>& m, double baseline_wall) {
  const auto& [med, max] = m;
  std::printf("  %-28s %9.1f %9.1f %9.1f %11.1f %10.2f %12zu\n", std::string(what).c_str(),
              med.wall_ms, max.wall_ms, med.cpu_ms, med.daemon_cpu_ms, med.wall_ms / baseline_wall,
              med.bytes);
}

TEST(scrape_bench, agent_against_wg_show_dump_and_raw_uapi) {
  WGWATCH_REQUIRE_ISOLATION();
  WGWATCH_REQUIRE_PROGRAM("wireguard-go");
  WGWATCH_REQUIRE_PROGRAM("wg");
  const int repeat = repeat_count();
  std::printf("\nwgwatch scrape benchmark (%d runs per figure; times in ms; CPU from the kernel's "
              "per-thread accounting)\n", repeat);
  for (const int peers : peer_counts()) {
    wireguard_go daemon{std::string(bench_device)};
    const auto keys = make_keypair();
    wg_set({std::string(bench_device), "private-key", "/dev/stdin", "listen-port", "51999"},
           keys.private_key + "\n");
    add_random_peers(peers);
    agent_process agent(agent_options::with_config("[log]\nlevel = \"info\"\n"));

    // Warm up and check completeness once: every peer is in the scrape.
    const auto first = agent.scrape();
    ASSERT_EQ(first.status, 200u);
    const auto parsed = parse_exposition(first.body);
    ASSERT_EQ(sample_value(parsed, "wireguard_device_peers", {{"device", std::string(bench_device)}}),
              static_cast<double>(peers));
    ASSERT_EQ(find_samples(parsed, "wireguard_peer_receive_bytes_total").size(),
              static_cast<std::size_t>(peers));

    // Interleaved, round by round, so that whatever else the machine does weighs on every
    // contender alike.
    std::vector<cost> dump_runs, raw_runs, plain_runs, gzip_runs;
    for (int i = 0; i < repeat; ++i) {
      dump_runs.push_back(run_wg_dump(daemon.pid()));
      raw_runs.push_back(run_raw_uapi(daemon.pid()));
      plain_runs.push_back(run_scrape(agent, daemon.pid(), false));
      gzip_runs.push_back(run_scrape(agent, daemon.pid(), true));
    }
    const auto dump = summarize(dump_runs);
    const auto raw = summarize(raw_runs);
    const auto plain = summarize(plain_runs);
    const auto gzip = summarize(gzip_runs);
    const auto [rss, hwm] = process_rss_kib(agent.pid());

    std::printf("\n%d peers\n  %-28s %9s %9s %9s %11s %10s %12s\n", peers, "", "wall p50", "wall max",
                "cpu p50", "wg-go cpu", "vs wg dump", "bytes");
    print_row("wg show all dump", dump, dump.first.wall_ms);
    print_row("raw UAPI get=1 (floor)", raw, dump.first.wall_ms);
    print_row("wgwatch /metrics", plain, dump.first.wall_ms);
    print_row("wgwatch /metrics gzip", gzip, dump.first.wall_ms);
    std::printf("  wgwatch RSS %.1f MiB (peak %.1f MiB)\n", static_cast<double>(rss) / 1024.0,
                static_cast<double>(hwm) / 1024.0);
    std::fflush(stdout);
    agent.stop();
    daemon.stop();
  }
}

}  // namespace
}  // namespace wgwatch::test
