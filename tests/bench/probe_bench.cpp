// SPDX-License-Identifier: MIT
// Probe benchmark: N ICMP, TCP and HTTP probes at a 1 s interval against loopback targets in
// the test's private namespace. Side by side in one run: wgwatch (the real binary, one kind at
// a time), prometheus-blackbox-exporter (driven by a /probe scraper at the same rate),
// prometheus-smokeping-prober (ICMP, its own schedule) and the kernel's own cost (a ping
// socket loop, `ping -f`, a connect+close loop). Then N mixed probes on the in-process
// scheduler for the lateness of round starts. Prints figures; the only assertions are that
// the probes ran and succeeded. Label: bench.
//   WGWATCH_PROBE_BENCH_N=1000        probes per kind (default 1000)
//   WGWATCH_PROBE_BENCH_SECONDS=60    measured seconds per tool and kind (default 60)
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <arpa/inet.h>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "probes/probe.hpp"
#include "probes/result_store.hpp"
#include "probes/scheduler.hpp"
#include "support/agent_process.hpp"
#include "support/exposition.hpp"
#include "support/netns.hpp"
#include "support/process_stats.hpp"
#include "support/require.hpp"

extern char** environ;

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint16_t blackbox_port = 19115;
constexpr std::uint16_t smokeping_port = 19374;

int env_int(const char* name, int fallback) {
  const char* env = std::getenv(name);
  return env && *env ? std::max(1, std::atoi(env)) : fallback;
}
int probe_count() { return env_int("WGWATCH_PROBE_BENCH_N", 1000); }
int bench_seconds() { return env_int("WGWATCH_PROBE_BENCH_SECONDS", 60); }

double clock_ms(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Writes a (per network namespace) sysctl; throws when it cannot.
void set_sysctl(const std::string& name, const std::string& value) {
  std::ofstream out("/proc/sys/" + name);
  out << value << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot set " + name);
}

/// Distinct loopback addresses, one per ICMP probe (127/8 is all local).
std::string icmp_target(int i) { return fmt::format("127.1.{}.{}", i / 250, i % 250 + 1); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

/// A loopback target on 127.0.0.1: accepts connections one at a time on its own thread and
/// closes them (tcp), or answers one HTTP request with "200 ok" first (http).
class target_server {
 public:
  enum class mode { tcp, http };

  explicit target_server(mode m) : mode_(m) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 4096) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~target_server() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept() with EINVAL
    thread_.join();
    ::close(fd_);
  }
  target_server(const target_server&) = delete;
  target_server& operator=(const target_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  void serve() {
    static constexpr std::string_view response =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
        "Connection: close\r\n\r\nok\n";
    while (true) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stopping_) return;
        if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) continue;
        return;
      }
      if (mode_ == mode::http) {
        const timeval tv{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string request;
        char buf[2048];
        while (request.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::read(c, buf, sizeof buf);
          if (n <= 0) break;
          request.append(buf, static_cast<std::size_t>(n));
        }
        if (request.find("\r\n\r\n") != std::string::npos) {
          [[maybe_unused]] const auto n = ::write(c, response.data(), response.size());
        }
      }
      ::close(c);
    }
  }

  mode mode_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

/// A peer exporter as a child process, output to a log file; SIGTERM (then SIGKILL) by pid.
class child_process {
 public:
  child_process(const std::vector<std::string>& argv, const std::string& log_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
  }
  ~child_process() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(100ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running() const { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

/// Waits until something accepts on 127.0.0.1:`port`.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto until = clock_type::now() + timeout;
  while (clock_type::now() < until) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

double sum_samples(const exposition& e, std::string_view name, const label_map& subset = {}) {
  double total = 0;
  for (const auto* s : find_samples(e, name, subset)) total += s->value;
  return total;
}

/// One tool doing one kind of probe: rounds run in the measured window, failed ones, the
/// tool's CPU over the window, and (ICMP) the mean round-trip time it reported.
struct figures {
  double rounds = 0;
  double failures = 0;
  double cpu_ms = 0;
  std::optional<double> rtt_mean_us;
  long rss_kib = 0;
  long hwm_kib = 0;
  double cpu_us_per_round() const { return rounds > 0 ? cpu_ms * 1e3 / rounds : 0; }
};

// --- wgwatch: the real binary, N probes of one kind on tunnel "lo" -----------------------

std::string wgwatch_config(probe::kind k, int n, std::uint16_t tcp_port, std::uint16_t http_port) {
  std::string text = "[[tunnel]]\ninterface = \"lo\"\nrole = \"primary\"\n";
  for (int i = 0; i < n; ++i) {
    text += fmt::format("[[tunnel.probe]]\nname = \"{}-{}\"\nkind = \"{}\"\ninterval = \"1s\"\n"
                        "timeout = \"900ms\"\n", probe::to_string(k), i, probe::to_string(k));
    switch (k) {
      case probe::kind::icmp:
        text += fmt::format("target = \"{}\"\npackets = 1\n", icmp_target(i));
        break;
      case probe::kind::tcp:
        text += fmt::format("target = \"127.0.0.1:{}\"\n", tcp_port);
        break;
      case probe::kind::http:
        text += fmt::format("target = \"http://127.0.0.1:{}/\"\n", http_port);
        break;
    }
  }
  return text;
}

/// `ping` to `target` meanwhile: its mean RTT in µs (from "rtt min/avg/max/mdev").
std::optional<double> ping_mean_us(const std::string& target, int count, std::string_view interval) {
  const auto r = run_command({"ping", "-q", "-n", "-i", std::string(interval), "-c",
                              std::to_string(count), "-W", "1", target});
  const auto at = r.out.find("rtt min/avg/max/mdev = ");
  if (r.exit_code != 0 || at == std::string::npos) return std::nullopt;
  double mn = 0, avg = 0;
  if (std::sscanf(r.out.c_str() + at, "rtt min/avg/max/mdev = %lf/%lf", &mn, &avg) != 2) {
    return std::nullopt;
  }
  return avg * 1e3;
}

figures run_wgwatch(probe::kind k, int n, int seconds, std::uint16_t tcp_port,
                    std::uint16_t http_port, std::optional<double>* ping_rtt_us) {
  agent_options opts = agent_options::with_config(wgwatch_config(k, n, tcp_port, http_port));
  opts.log_level = "info";  // "listening" is at info; probes log only state changes
  agent_process agent(opts);
  std::this_thread::sleep_for(2500ms);  // every probe's offset passed, sockets warm
  const auto before = parse_exposition(agent.scrape().body);
  const double cpu_before = process_cpu_ms(agent.pid());
  std::thread ping;
  if (k == probe::kind::icmp && ping_rtt_us) {
    ping = std::thread([&] { *ping_rtt_us = ping_mean_us(icmp_target(0), seconds * 5, "0.2"); });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const double cpu_after = process_cpu_ms(agent.pid());
  const auto after = parse_exposition(agent.scrape().body);
  if (ping.joinable()) ping.join();

  figures f;
  f.cpu_ms = cpu_after - cpu_before;
  f.rounds = sum_samples(after, "wgwatch_probe_runs_total") - sum_samples(before, "wgwatch_probe_runs_total");
  f.failures = sum_samples(after, "wgwatch_probe_failures_total") -
               sum_samples(before, "wgwatch_probe_failures_total");
  if (k == probe::kind::icmp) {
    const double count = sum_samples(after, "wgwatch_probe_duration_seconds_count") -
                         sum_samples(before, "wgwatch_probe_duration_seconds_count");
    const double sum = sum_samples(after, "wgwatch_probe_duration_seconds_sum") -
                       sum_samples(before, "wgwatch_probe_duration_seconds_sum");
    if (count > 0) f.rtt_mean_us = sum / count * 1e6;
  }
  std::tie(f.rss_kib, f.hwm_kib) = process_rss_kib(agent.pid());
  agent.stop();
  return f;
}

// --- blackbox_exporter: a scraper hitting /probe at the same rate -------------------------

/// A file in $TMPDIR, removed on destruction.
class temp_file {
 public:
  temp_file(const std::string& name, const std::string& text) {
    const char* tmp = std::getenv("TMPDIR");
    path_ = fmt::format("{}/wgwatch-probe-bench-{}-{}", tmp && *tmp ? tmp : "/tmp", ::getpid(), name);
    std::ofstream(path_) << text;
  }
  ~temp_file() { ::unlink(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;

  const std::string& path() const noexcept { return path_; }
  std::string text() const {
    std::ifstream in(path_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  std::string path_;
};

/// One keep-alive HTTP/1.1 connection (as Prometheus keeps its scrape connections).
class keepalive_client {
 public:
  explicit keepalive_client(std::uint16_t port) : stream_(io_) {
    stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port));
  }
  std::string get(const std::string& target) {
    beast::http::request<beast::http::empty_body> req{beast::http::verb::get, target, 11};
    req.set(beast::http::field::host, "127.0.0.1");
    req.keep_alive(true);
    beast::http::write(stream_, req);
    beast::http::response<beast::http::string_body> res;
    beast::http::read(stream_, buffer_, res);
    return std::move(res.body());
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

std::optional<double> metric_in_body(const std::string& body, std::string_view line_start) {
  const auto at = body.find(line_start);
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(body.c_str() + at + line_start.size(), nullptr);
}

figures run_blackbox(probe::kind k, int n, int seconds, std::uint16_t tcp_port,
                     std::uint16_t http_port) {
  const temp_file config("blackbox.yml", R"(modules:
  icmp:
    prober: icmp
    timeout: 900ms
    icmp:
      preferred_ip_protocol: ip4
  tcp:
    prober: tcp
    timeout: 900ms
    tcp:
      preferred_ip_protocol: ip4
  http:
    prober: http
    timeout: 900ms
    http:
      preferred_ip_protocol: ip4
)");
  const temp_file log("blackbox.log", "");
  child_process exporter({"prometheus-blackbox-exporter", "--config.file=" + config.path(),
                          fmt::format("--web.listen-address=127.0.0.1:{}", blackbox_port),
                          "--log.level=warn"},
                         log.path());
  if (!wait_for_port(blackbox_port, 10s)) {
    throw std::runtime_error("blackbox_exporter did not start: " + log.text());
  }
  const auto target_of = [&](int i) -> std::string {
    switch (k) {
      case probe::kind::icmp: return icmp_target(i);
      case probe::kind::tcp: return fmt::format("127.0.0.1:{}", tcp_port);
      case probe::kind::http: return fmt::format("http://127.0.0.1:{}/", http_port);
    }
    return {};
  };
  const auto url = [&](int i) {
    return fmt::format("/probe?module={}&target={}", probe::to_string(k), target_of(i));
  };

  const int threads = std::min(n, 32);
  std::vector<std::unique_ptr<keepalive_client>> clients;
  for (int t = 0; t < threads; ++t) {
    clients.push_back(std::make_unique<keepalive_client>(blackbox_port));
    clients.back()->get(url(t));  // warm: connection, module, first probe
  }
  std::atomic<long> done{0}, ok{0};
  std::vector<double> rtt_sum(static_cast<std::size_t>(threads), 0.0);
  std::vector<long> rtt_count(static_cast<std::size_t>(threads), 0);
  const auto start = clock_type::now() + 200ms;
  const double cpu_before = process_cpu_ms(exporter.pid());
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const auto ti = static_cast<std::size_t>(t);
      for (int s = 0; s < seconds; ++s) {
        for (int i = t; i < n; i += threads) {
          std::this_thread::sleep_until(start + std::chrono::seconds(s) +
                                        std::chrono::microseconds(1'000'000LL * i / n));
          const auto body = clients[ti]->get(url(i));
          done.fetch_add(1);
          if (body.find("\nprobe_success 1") != std::string::npos) ok.fetch_add(1);
          if (k == probe::kind::icmp) {
            if (auto rtt = metric_in_body(body, "probe_icmp_duration_seconds{phase=\"rtt\"} ")) {
              rtt_sum[ti] += *rtt;
              ++rtt_count[ti];
            }
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  figures f;
  f.cpu_ms = process_cpu_ms(exporter.pid()) - cpu_before;
  f.rounds = static_cast<double>(done.load());
  f.failures = static_cast<double>(done.load() - ok.load());
  double sum = 0;
  long count = 0;
  for (std::size_t t = 0; t < rtt_sum.size(); ++t) sum += rtt_sum[t], count += rtt_count[t];
  if (count > 0) f.rtt_mean_us = sum / static_cast<double>(count) * 1e6;
  std::tie(f.rss_kib, f.hwm_kib) = process_rss_kib(exporter.pid());
  clients.clear();
  return f;
}

// --- smokeping_prober: N hosts, its own 1 s schedule ---------------------------------------

figures run_smokeping(int n, int seconds) {
  const temp_file config("smokeping.yml", "targets: []\n");
  const temp_file log("smokeping.log", "");
  std::vector<std::string> argv = {"prometheus-smokeping-prober", "--config.file=" + config.path(),
                                   fmt::format("--web.listen-address=127.0.0.1:{}", smokeping_port),
                                   "--ping.interval=1s", "--no-privileged", "--log.level=warn"};
  for (int i = 0; i < n; ++i) argv.push_back(icmp_target(i));
  child_process prober(argv, log.path());
  if (!wait_for_port(smokeping_port, 10s)) {
    throw std::runtime_error("smokeping_prober did not start: " + log.text());
  }
  std::this_thread::sleep_for(2500ms);
  const auto before = parse_exposition(http_get(smokeping_port, "/metrics").body);
  const double cpu_before = process_cpu_ms(prober.pid());
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  const double cpu_after = process_cpu_ms(prober.pid());
  const auto after = parse_exposition(http_get(smokeping_port, "/metrics").body);
  figures f;
  f.cpu_ms = cpu_after - cpu_before;
  f.rounds = sum_samples(after, "smokeping_requests_total") - sum_samples(before, "smokeping_requests_total");
  const double answered = sum_samples(after, "smokeping_response_duration_seconds_count") -
                          sum_samples(before, "smokeping_response_duration_seconds_count");
  f.failures = std::max(0.0, f.rounds - answered);  // answers to requests sent just before the window
  const double sum = sum_samples(after, "smokeping_response_duration_seconds_sum") -
                     sum_samples(before, "smokeping_response_duration_seconds_sum");
  if (answered > 0) f.rtt_mean_us = sum / answered * 1e6;
  std::tie(f.rss_kib, f.hwm_kib) = process_rss_kib(prober.pid());
  return f;
}

// --- the kernel's own cost ----------------------------------------------------------------

int open_ping_socket() { return ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP); }

/// Sends one echo request of 56 payload bytes to `target` on `fd` (a ping socket).
bool send_echo(int fd, std::uint16_t seq, const std::string& target) {
  unsigned char packet[8 + 56] = {};
  packet[0] = ICMP_ECHO;
  packet[6] = static_cast<unsigned char>(seq >> 8);
  packet[7] = static_cast<unsigned char>(seq & 0xff);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  inet_pton(AF_INET, target.c_str(), &to.sin_addr);
  return ::sendto(fd, packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) >= 0;
}

bool receive_echo(int fd) {
  unsigned char answer[256];
  return ::recv(fd, answer, sizeof answer, 0) > 0;
}

/// One echo to 127.1.0.1 on `fd`, waiting for the answer.
bool echo_once(int fd, std::uint16_t seq) {
  return send_echo(fd, seq, "127.1.0.1") && receive_echo(fd);
}

/// CPU µs (this thread: syscalls and, on loopback, the softirq work they trigger) per echo:
/// on one ping socket, or with a socket opened and closed per echo.
double kernel_icmp_us(int count, bool socket_per_echo) {
  int fd = socket_per_echo ? -1 : open_ping_socket();
  const double before = clock_ms(CLOCK_THREAD_CPUTIME_ID);
  int ok = 0;
  for (int i = 0; i < count; ++i) {
    if (socket_per_echo) fd = open_ping_socket();
    ok += echo_once(fd, static_cast<std::uint16_t>(i)) ? 1 : 0;
    if (socket_per_echo) ::close(fd);
  }
  const double cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - before;
  if (!socket_per_echo) ::close(fd);
  if (ok != count) throw std::runtime_error("kernel echo loop lost answers");
  return cpu * 1e3 / count;
}

/// CPU µs per echo when the echoes come as the agent sends them with `n` probes a second:
/// one ping socket, `n` targets in turn, a batch of one start slot's echoes
/// (probe::start_quantum of 1 s) per wakeup, then a sleep to the next slot. Waking from idle
/// costs more than the echoes themselves on a VM: this is the kernel's share of the same
/// pattern, next to its best case above.
double kernel_icmp_slotted_us(int n, int rounds) {
  const auto quantum = probe::start_quantum(std::chrono::milliseconds(1000));
  const int batch = std::max(1, static_cast<int>(n * quantum.count() / 1000));
  const int fd = open_ping_socket();
  const double before = clock_ms(CLOCK_THREAD_CPUTIME_ID);
  int sent = 0, ok = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int b = 0; b < batch; ++b, ++sent) {
      send_echo(fd, static_cast<std::uint16_t>(sent), icmp_target(sent % n));
    }
    for (int b = 0; b < batch; ++b) ok += receive_echo(fd) ? 1 : 0;
    std::this_thread::sleep_for(quantum);
  }
  const double cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - before;
  ::close(fd);
  if (ok != sent) throw std::runtime_error("slotted echo loop lost answers");
  return cpu * 1e3 / sent;
}

/// CPU µs per blocking connect() + close() to the TCP target (the client side's share).
double kernel_tcp_us(int count, std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const double before = clock_ms(CLOCK_THREAD_CPUTIME_ID);
  for (int i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("kernel connect loop failed");
    }
    ::close(fd);
  }
  return (clock_ms(CLOCK_THREAD_CPUTIME_ID) - before) * 1e3 / count;
}

/// CPU µs per echo of `ping -f -c count` (the kernel plus ping's own user space), from wait4.
std::optional<double> ping_flood_us(int count) {
  const std::string c = std::to_string(count);
  const char* argv[] = {"ping", "-q", "-f", "-c", c.c_str(), "127.1.0.1", nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "ping", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return std::nullopt;
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  const double us = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
                    static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  return us / count;
}

// --- the in-process scheduler: N mixed probes, lateness of round starts --------------------

struct mixed_figures {
  double rounds = 0;
  double failures = 0;
  double cpu_ms = 0;             ///< the probe thread's CPU over the window
  std::vector<double> late_us[3];  ///< per kind, µs late against the slot
};

mixed_figures run_mixed(int n, int seconds, std::uint16_t tcp_port, std::uint16_t http_port) {
  asio::io_context io(1);
  probe::result_store store;
  probe::scheduler sched(io.get_executor(), store);
  mixed_figures f;
  for (auto& v : f.late_us) v.reserve(static_cast<std::size_t>(n) * static_cast<std::size_t>(seconds + 2));
  std::atomic<bool> measuring{false};
  sched.on_round_start([&](probe::kind k, clock_type::duration late) {
    if (measuring.load(std::memory_order_relaxed)) {
      f.late_us[static_cast<int>(k)].push_back(std::chrono::duration<double, std::micro>(late).count());
    }
  });
  for (int i = 0; i < n; ++i) {
    probe::probe_spec spec;
    spec.interval = 1s;
    spec.timeout = 900ms;
    switch (i % 3) {
      case 0: {
        probe::icmp_spec icmp;
        icmp.address = icmp_target(i);
        icmp.packets = 1;
        spec.options = icmp;
        spec.target = icmp.address;
        break;
      }
      case 1:
        spec.options = probe::tcp_spec{"127.0.0.1", tcp_port};
        spec.target = fmt::format("127.0.0.1:{}", tcp_port);
        break;
      default: {
        probe::http_spec http;
        http.url = fmt::format("http://127.0.0.1:{}/", http_port);
        spec.target = http.url;
        spec.options = http;
        break;
      }
    }
    spec.name = fmt::format("{}-{}", probe::to_string(spec.probe_kind()), i);
    sched.add("lo", probe::make_probe(io.get_executor(), spec, probe::binding{"lo", {}, 0}));
  }
  sched.start();
  std::thread runner([&io] { io.run(); });
  clockid_t cpu_clock{};
  pthread_getcpuclockid(runner.native_handle(), &cpu_clock);
  const auto total_runs = [&] {
    double runs = 0, failures = 0;
    for (const auto& p : store.snapshot().probes) {
      runs += static_cast<double>(p.runs_total);
      for (const auto r : probe::all_failure_reasons) failures += static_cast<double>(p.failures_total(r));
    }
    return std::pair{runs, failures};
  };
  std::this_thread::sleep_for(2500ms);
  const auto [runs0, failures0] = total_runs();
  const double cpu0 = clock_ms(cpu_clock);
  measuring = true;
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  measuring = false;
  const double cpu1 = clock_ms(cpu_clock);
  const auto [runs1, failures1] = total_runs();
  sched.stop();
  runner.join();
  f.cpu_ms = cpu1 - cpu0;
  f.rounds = runs1 - runs0;
  f.failures = failures1 - failures0;
  return f;
}

// --- the table ----------------------------------------------------------------------------

void print_row(std::string_view what, const figures& f, std::string_view note = {}) {
  std::printf("  %-34s %9.0f %7.0f %12.1f %9.1f  %s\n", std::string(what).c_str(), f.rounds,
              f.failures, f.cpu_us_per_round(), static_cast<double>(f.rss_kib) / 1024.0,
              std::string(note).c_str());
}

void print_kernel_row(std::string_view what, double us) {
  std::printf("  %-34s %9s %7s %12.1f\n", std::string(what).c_str(), "", "", us);
}

/// The probes ran: at least 90% of the scheduled rounds, and at most 1% of them failed.
void expect_complete(std::string_view what, const figures& f, int n, int seconds) {
  const double expected = static_cast<double>(n) * seconds;
  EXPECT_GE(f.rounds, 0.9 * expected) << what << ": too few rounds ran";
  EXPECT_LE(f.failures, 0.01 * f.rounds) << what << ": rounds failed";
}

TEST(probe_bench, wgwatch_against_blackbox_smokeping_and_the_kernel) {
  WGWATCH_REQUIRE_ISOLATION();
  WGWATCH_REQUIRE_PROGRAM("ping");
  WGWATCH_REQUIRE_PROGRAM("prometheus-blackbox-exporter");
  WGWATCH_REQUIRE_PROGRAM("prometheus-smokeping-prober");
  // Our namespace only: ping sockets for every group (so no tool needs raw sockets, whose
  // every socket sees every ICMP packet), and no TIME_WAIT (N TCP connects a second for a
  // minute would otherwise run the port range dry).
  set_sysctl("net/ipv4/ping_group_range", "0 2147483647");
  set_sysctl("net/ipv4/tcp_max_tw_buckets", "0");
  const int n = probe_count();
  const int seconds = bench_seconds();
  target_server tcp_target(target_server::mode::tcp);
  target_server http_target(target_server::mode::http);

  std::optional<double> ping_rtt;
  const auto wg_icmp = run_wgwatch(probe::kind::icmp, n, seconds, tcp_target.port(), http_target.port(), &ping_rtt);
  const auto wg_tcp = run_wgwatch(probe::kind::tcp, n, seconds, tcp_target.port(), http_target.port(), nullptr);
  const auto wg_http = run_wgwatch(probe::kind::http, n, seconds, tcp_target.port(), http_target.port(), nullptr);
  const auto bb_icmp = run_blackbox(probe::kind::icmp, n, seconds, tcp_target.port(), http_target.port());
  const auto bb_tcp = run_blackbox(probe::kind::tcp, n, seconds, tcp_target.port(), http_target.port());
  const auto bb_http = run_blackbox(probe::kind::http, n, seconds, tcp_target.port(), http_target.port());
  const auto sp_icmp = run_smokeping(n, seconds);
  const int kernel_loops = 20000;
  const double k_icmp = kernel_icmp_us(kernel_loops, false);
  const double k_icmp_socket = kernel_icmp_us(kernel_loops, true);
  const auto k_ping_flood = ping_flood_us(kernel_loops);
  const double k_icmp_slotted = kernel_icmp_slotted_us(n, 200);
  const double k_tcp = kernel_tcp_us(kernel_loops, tcp_target.port());
  const auto mixed = run_mixed(n, seconds, tcp_target.port(), http_target.port());

  std::printf("\nwgwatch probe benchmark: %d probes per kind at a 1 s interval, %d s measured per "
              "tool and kind, loopback (CPU from the kernel's per-thread accounting)\n", n, seconds);
  std::printf("  %-34s %9s %7s %12s %9s\n", "", "rounds", "failed", "cpu us/probe", "RSS MiB");
  print_row("icmp  wgwatch", wg_icmp, "(1 echo per round)");
  print_row("icmp  blackbox_exporter", bb_icmp, "(incl. its /probe request)");
  print_row("icmp  smokeping_prober", sp_icmp);
  print_kernel_row("icmp  kernel: one ping socket", k_icmp);
  print_kernel_row("icmp  kernel: socket per echo", k_icmp_socket);
  if (k_ping_flood) print_kernel_row("icmp  ping -f (kernel + ping)", *k_ping_flood);
  print_kernel_row("icmp  kernel: wgwatch's slots", k_icmp_slotted);
  print_row("tcp   wgwatch", wg_tcp);
  print_row("tcp   blackbox_exporter", bb_tcp, "(incl. its /probe request)");
  print_kernel_row("tcp   kernel: connect + close", k_tcp);
  print_row("http  wgwatch", wg_http);
  print_row("http  blackbox_exporter", bb_http, "(incl. its /probe request)");
  std::printf("  wgwatch peak RSS %.1f MiB (icmp %.1f, tcp %.1f, http %.1f)\n",
              static_cast<double>(std::max({wg_icmp.hwm_kib, wg_tcp.hwm_kib, wg_http.hwm_kib})) / 1024.0,
              static_cast<double>(wg_icmp.hwm_kib) / 1024.0, static_cast<double>(wg_tcp.hwm_kib) / 1024.0,
              static_cast<double>(wg_http.hwm_kib) / 1024.0);

  const auto opt_us = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.1f}", *v) : std::string("n/a");
  };
  std::printf("\nICMP RTT mean over the same path (us): wgwatch %s, ping %s (alongside wgwatch), "
              "blackbox_exporter %s, smokeping_prober %s\n",
              opt_us(wg_icmp.rtt_mean_us).c_str(), opt_us(ping_rtt).c_str(),
              opt_us(bb_icmp.rtt_mean_us).c_str(), opt_us(sp_icmp.rtt_mean_us).c_str());

  std::vector<double> all_late;
  for (const auto& v : mixed.late_us) all_late.insert(all_late.end(), v.begin(), v.end());
  std::printf("\nIn-process scheduler, %d mixed probes (icmp/tcp/http in turn) at 1 s: %.0f rounds, "
              "%.0f failed, %.1f us CPU per round (probe thread)\n",
              n, mixed.rounds, mixed.failures, mixed.rounds > 0 ? mixed.cpu_ms * 1e3 / mixed.rounds : 0.0);
  std::printf("  start lateness against the slot (us): all p50 %.0f p99 %.0f max %.0f\n",
              percentile(all_late, 0.5), percentile(all_late, 0.99), percentile(all_late, 1.0));
  for (const auto k : {probe::kind::icmp, probe::kind::tcp, probe::kind::http}) {
    const auto& v = mixed.late_us[static_cast<int>(k)];
    std::printf("    %-4s p50 %.0f p99 %.0f max %.0f (%zu starts)\n", probe::to_string(k),
                percentile(v, 0.5), percentile(v, 0.99), percentile(v, 1.0), v.size());
  }
  std::fflush(stdout);

  expect_complete("wgwatch icmp", wg_icmp, n, seconds);
  expect_complete("wgwatch tcp", wg_tcp, n, seconds);
  expect_complete("wgwatch http", wg_http, n, seconds);
  expect_complete("blackbox icmp", bb_icmp, n, seconds);
  expect_complete("blackbox tcp", bb_tcp, n, seconds);
  expect_complete("blackbox http", bb_http, n, seconds);
  expect_complete("smokeping icmp", sp_icmp, n, seconds);
  figures m;
  m.rounds = mixed.rounds;
  m.failures = mixed.failures;
  expect_complete("in-process mixed", m, n, seconds);
  EXPECT_GE(all_late.size(), static_cast<std::size_t>(0.9 * n * seconds));
  EXPECT_TRUE(wg_icmp.rtt_mean_us.has_value());
  EXPECT_TRUE(ping_rtt.has_value());
}

}  // namespace
}  // namespace wgwatch::test
