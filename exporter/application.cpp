// SPDX-License-Identifier: MIT
// Wires flags, config, sources, collectors and the HTTP server together, then waits for a
// signal.
#include "application.hpp"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "cli.hpp"
#include "config/defaults.hpp"
#include "config/listen_address.hpp"
#include "config/load.hpp"
#include "http/metrics_server.hpp"
#include "link/rtnl_links.hpp"
#include "metrics/build_info_collector.hpp"
#include "metrics/collector_set.hpp"
#include "metrics/link_collector.hpp"
#include "metrics/probe_collector.hpp"
#include "metrics/tunnel_collector.hpp"
#include "metrics/wireguard_collector.hpp"
#include "probes/result_store.hpp"
#include "probes/scheduler.hpp"
#include "util/log.hpp"
#include "version.hpp"
#include "wireguard/composite_source.hpp"
#include "wireguard/genl_source.hpp"
#include "wireguard/uapi_source.hpp"

namespace wgwatch {
namespace {

void print(std::FILE* stream, const std::string& text) {
  std::fputs(text.c_str(), stream);
  std::fflush(stream);
}

/// The config to run with, or an exit code after reporting why there is none.
std::variant<config::config, int> load_config(const cli::options& opts) {
  config::config cfg;
  if (opts.config_file) {
    auto loaded = config::load_file(*opts.config_file);
    if (!loaded.value) {
      for (const auto& d : loaded.diagnostics) print(stderr, "wgwatch: " + to_string(d) + "\n");
      return cli::exit_usage;
    }
    cfg = std::move(*loaded.value);
  }
  cli::apply_overrides(opts, cfg);
  return cfg;
}

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& e) {
  if (e.address().is_v6()) return fmt::format("[{}]:{}", e.address().to_string(), e.port());
  return fmt::format("{}:{}", e.address().to_string(), e.port());
}

/// The link collector's watch list. With wireguard.interfaces configured, those plus every
/// tunnel interface. Without, the collector lists WireGuard devices at each scrape, so the
/// tunnel interfaces are added to that listing (a missing tunnel interface is still reported
/// as missing, and other WireGuard devices are not lost); `extra_names` gets them.
std::vector<std::string> link_watch_list(const config::config& cfg,
                                         std::vector<std::string>& extra_names) {
  for (const auto& t : cfg.tunnels) extra_names.push_back(t.interface);
  if (cfg.wireguard.interfaces.empty()) return {};
  auto names = cfg.wireguard.interfaces;
  names.insert(names.end(), extra_names.begin(), extra_names.end());
  extra_names.clear();
  return names;  // link_collector sorts and deduplicates
}

/// Registers every tunnel's probes with the scheduler; returns how many.
std::size_t add_probes(const config::config& cfg, boost::asio::io_context& io,
                       probe::result_store& store, probe::scheduler& sched) {
  std::size_t count = 0;
  for (const auto& t : cfg.tunnels) {
    store.add_tunnel(t.interface, {t.health.window, t.health.down_below, t.health.up_at,
                                   t.health.min_rounds});
    for (const auto& spec : t.probes) {
      auto p = probe::make_probe(io.get_executor(), spec,
                                 {t.interface, spec.source_address, t.fwmark});
      if (!p) continue;
      sched.add(t.interface, std::move(p));
      ++count;
    }
  }
  return count;
}

/// Raises the descriptor soft limit to the hard limit (systemd starts services at 1,024)
/// and returns the connection cap that leaves defaults::fd_reserve descriptors to probes,
/// device reads and logs however many clients connect.
std::size_t reserve_descriptors() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return config::defaults::http_max_connections;
  const rlim_t before = lim.rlim_cur;
  if (lim.rlim_cur != lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  auto text = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
  const rlim_t soft = lim.rlim_cur;
  std::size_t cap = config::defaults::http_max_connections;
  if (soft != RLIM_INFINITY) {
    const auto spare = soft > config::defaults::fd_reserve ? soft - config::defaults::fd_reserve : 1;
    cap = std::min<std::size_t>(cap, static_cast<std::size_t>(spare));
  }
  log::info("descriptor limit", {{"soft_before", text(before)},
                                 {"soft", text(soft)},
                                 {"hard", text(lim.rlim_max)},
                                 {"reserve", std::to_string(config::defaults::fd_reserve)},
                                 {"max_connections", std::to_string(cap)}});
  if (cap < config::defaults::http_max_connections) {
    log::warn("descriptor limit lowers the HTTP connection cap",
              {{"max_connections", std::to_string(cap)}});
  }
  return cap;
}

/// The agent proper: backends, collectors, server, until a signal arrives.
int serve(const config::config& cfg, const sigset_t& stop_signals) {
  const std::size_t max_connections = reserve_descriptors();
  const auto timeout = cfg.wireguard.read_timeout;
  auto read_links = [timeout] { return link::read_links(timeout); };
  wg::composite_source source(std::make_unique<wg::genl_source>(timeout),
                              std::make_unique<wg::uapi_source>(cfg.wireguard.socket_dir, timeout),
                              read_links);

  // Probes run on their own io_context and thread; scrapes read the store.
  const bool probing = cfg.collectors.probes && !cfg.tunnels.empty();
  probe::result_store store;
  boost::asio::io_context probe_io(1);
  probe::scheduler scheduler(probe_io.get_executor(), store);
  const std::size_t probe_count = probing ? add_probes(cfg, probe_io, store, scheduler) : 0;

  std::vector<std::unique_ptr<metrics::collector>> collectors;
  collectors.push_back(std::make_unique<metrics::build_info_collector>());
  if (cfg.collectors.wireguard) {
    metrics::wireguard_options wopts;
    wopts.interfaces = cfg.wireguard.interfaces;
    wopts.recent_handshake_window = cfg.wireguard.recent_handshake_window;
    for (const auto& p : cfg.peers) wopts.names.emplace(p.public_key, p.name);
    collectors.push_back(std::make_unique<metrics::wireguard_collector>(source, std::move(wopts)));
  }
  if (cfg.collectors.link) {
    std::vector<std::string> tunnel_names;
    auto watched = link_watch_list(cfg, tunnel_names);
    auto list = [&source, tunnel_names]() -> result<std::vector<std::string>> {
      auto names = source.list_devices();
      if (names) names->insert(names->end(), tunnel_names.begin(), tunnel_names.end());
      return names;
    };
    collectors.push_back(
        std::make_unique<metrics::link_collector>(read_links, std::move(list), std::move(watched)));
  }
  if (probing) {
    collectors.push_back(std::make_unique<metrics::probe_collector>(store));
    collectors.push_back(std::make_unique<metrics::tunnel_collector>(
        cfg.tunnels, read_links, [&source](std::string_view name) { return source.get_device(name); },
        store));
  }
  metrics::collector_set set(std::move(collectors));

  http::server_options web;
  web.listen = cfg.web.listen;
  web.telemetry_path = cfg.web.telemetry_path;
  web.max_connections = max_connections;
  http::metrics_server server(std::move(web), [&set] { return set.render(); });
  auto bound = server.start();
  if (!bound) {
    log::error("cannot listen", {{"address", config::to_string(cfg.web.listen)},
                                 {"err", bound.error().message()}});
    return cli::exit_failure;
  }
  log::info("listening", {{"address", endpoint_text(*bound)}, {"telemetry_path", cfg.web.telemetry_path}});

  std::thread probe_thread;
  if (probing) {
    scheduler.start();
    probe_thread = std::thread([&probe_io] {
      try {
        probe_io.run();
      } catch (const std::exception& e) {
        log::error("probe loop failed", {{"err", e.what()}});
      }
    });
    log::info("probes started", {{"tunnels", std::to_string(cfg.tunnels.size())},
                                 {"probes", std::to_string(probe_count)}});
  }

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  log::info("shutting down", {{"signal", sigabbrev_np(signal_number) ? sigabbrev_np(signal_number) : "?"}});
  server.stop();
  if (probe_thread.joinable()) {
    scheduler.stop();  // the loop's run() returns once every probe coroutine has ended
    probe_thread.join();
  }
  return cli::exit_ok;
}

}  // namespace

int run(std::span<const char* const> args) {
  auto parsed = cli::parse(args);
  if (auto* err = std::get_if<cli::usage_error>(&parsed)) {
    print(stderr, fmt::format("wgwatch: {}\nTry 'wgwatch --help'.\n", err->message));
    return cli::exit_usage;
  }
  const auto& opts = std::get<cli::options>(parsed);
  if (opts.help) {
    print(stdout, cli::help_text());
    return cli::exit_ok;
  }
  if (opts.version) {
    print(stdout, cli::version_text());
    return cli::exit_ok;
  }

  auto loaded = load_config(opts);
  if (auto* code = std::get_if<int>(&loaded)) return *code;
  const auto& cfg = std::get<config::config>(loaded);
  if (opts.config_check) {
    print(stdout, cfg.file.empty() ? std::string("config OK (no file: defaults)\n")
                                   : fmt::format("config OK: {}\n", cfg.file));
    return cli::exit_ok;
  }

  log::set_level(cfg.log.level);
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client closing its socket mid-write must not kill the agent.
  signal(SIGPIPE, SIG_IGN);

  log::info("starting", {{"version", build::version},
                         {"revision", build::revision},
                         {"config_file", cfg.file.empty() ? std::string("none") : cfg.file}});
  return serve(cfg, stop_signals);
}

}  // namespace wgwatch
