// SPDX-License-Identifier: MIT
// The failover lab shared by the e2e test and the failover bench: a primary (wg0) and a
// standby (wg1) wireguard-go tunnel of one group to a far namespace, a silent drop of a
// tunnel's inner traffic on the far side, the agent's config, and waits on the agent and
// on Prometheus. Header-only; include from e2e and bench files.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "integration/netns_lab.hpp"
#include "support/monitoring_stack.hpp"

namespace wgwatch::test {

/// The tunnel group both tunnels belong to (the `group` label).
inline constexpr const char* failover_group = "site-b";
/// wg0 10.10.0.1 <-> wgf0 10.10.0.2 (primary), wg1 10.20.0.1 <-> wgf1 10.20.0.2 (standby).
inline constexpr const char* far_primary = "10.10.0.2";
inline constexpr const char* far_standby = "10.20.0.2";

/// The primary wg0 and the standby wg1 (tunnel_pair) to the far namespace, handshakes done.
struct failover_lab {
  named_netns far{"wgwatch-e2e-far"};
  veth_pair underlay{"vnear0", "198.18.0.1/24", far, "vfar0", "198.18.0.2/24"};
  tunnel_pair tunnels{far};
};

/// A silent failure of one tunnel: an nftables table in the far namespace drops every inner
/// packet arriving over the far device, while WireGuard's own handshakes and keepalives
/// (handled inside wireguard-go) go on. Switched on and off at will; removed on destruction.
class tunnel_drop {
 public:
  tunnel_drop(const named_netns& ns, std::string far_device)
      : ns_(ns), device_(std::move(far_device)), table_("wgwatch_e2e_" + device_) {}
  ~tunnel_drop() {
    if (!active_) return;
    try {
      run_command(ns_.exec({"nft", "delete", "table", "inet", table_}));
    } catch (...) {  // the namespace dies with the process anyway
    }
  }
  tunnel_drop(const tunnel_drop&) = delete;
  tunnel_drop& operator=(const tunnel_drop&) = delete;

  void on() {
    if (active_) return;
    check_command(ns_.exec({"nft", "-f", "-"}),
                  "table inet " + table_ + " {\n chain in {\n" +
                      "  type filter hook input priority 0; policy accept;\n  iifname \"" +
                      device_ + "\" counter drop\n }\n}\n");
    active_ = true;
  }
  void off() {
    if (!active_) return;
    check_command(ns_.exec({"nft", "delete", "table", "inet", table_}));
    active_ = false;
  }
  bool active() const noexcept { return active_; }

 private:
  const named_netns& ns_;
  std::string device_;
  std::string table_;
  bool active_ = false;
};

/// The agent's config: wg0 primary and wg1 standby of failover_group, an ICMP probe each every
/// 250 ms plus an MTU probe every 500 ms, a 1 s window: the data-plane layer goes down about
/// 0.5 s into a silent drop and comes back about 1 s after the repair (the values of
/// netns_tunnel_faults_test).
inline std::string failover_agent_config() {
  std::string toml = agent_config();
  const auto tunnel = [&](const char* device, const char* role, const char* target) {
    toml += std::string("\n[[tunnel]]\ninterface = \"") + device + "\"\nrole = \"" + role +
            "\"\ngroup = \"" + failover_group + "\"\n" +
            "[tunnel.health]\nwindow = \"1s\"\ndown_below = 0.8\nup_at = 0.95\nmin_rounds = 3\n" +
            "[[tunnel.probe]]\nname = \"icmp\"\nkind = \"icmp\"\ntarget = \"" + target +
            "\"\ninterval = \"250ms\"\ntimeout = \"200ms\"\npackets = 2\npacket_interval = \"20ms\"\n" +
            // The MTU probe (don't-fragment echoes filling wireguard-go's MTU 1420 exactly),
            // so the dashboards' MTU panel has data.
            "[[tunnel.probe]]\nname = \"mtu\"\nkind = \"icmp\"\ntarget = \"" + target +
            "\"\ninterval = \"500ms\"\ntimeout = \"400ms\"\npackets = 1\npayload_bytes = 1392\n" +
            "dont_fragment = true\n";
  };
  tunnel("wg0", "primary", far_primary);
  tunnel("wg1", "standby", far_standby);
  return toml;
}

/// wgwatch_tunnel_<metric>{device=...} in the agent's own exposition.
inline std::optional<double> agent_tunnel_value(const exposition& e, std::string_view metric,
                                                const std::string& device) {
  return sample_value(e, "wgwatch_tunnel_" + std::string(metric), {{"device", device}});
}

/// Scrapes the agent about every 50 ms until `done` holds (true) or `limit` passes (false).
inline bool poll_agent(const agent_process& agent, std::chrono::milliseconds limit,
                       const std::function<bool(const exposition&)>& done) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done(parse_exposition(agent.scrape().body))) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// True once the agent reports `device`'s data-plane layer as `ok` (1 or 0).
inline bool wait_data_plane(const agent_process& agent, const std::string& device, double ok,
                            std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  return poll_agent(agent, limit, [&](const exposition& e) {
    const auto v = agent_tunnel_value(e, "data_plane_ok", device);
    return v && *v == ok;
  });
}

/// PromQL: both tunnels of the group healthy, as Prometheus sees them.
inline std::string group_healthy_query() {
  return std::string("count(wgwatch_tunnel_healthy{job=\"wgwatch\",group=\"") + failover_group +
         "\"} == 1) == 2";
}

/// Does notification `n` carry alert `alertname` with alert status `status`?
inline bool carries(const notification& n, std::string_view alertname, std::string_view status) {
  const auto* a = n.alert(alertname);
  return a && a->status == status;
}

inline constexpr std::string_view failover_alert = "WireGuardTunnelFailover";

/// A notification to the failover receiver (path /failover) about the failover alert, of alert
/// status `status`. The bundle may copy the alert to other receivers too.
inline bool to_failover(const notification& n, std::string_view status) {
  return n.path == "/failover" && carries(n, failover_alert, status);
}

/// The committed bundle with the tests' overrides of three knobs, so a run takes minutes:
/// failback grace (keep_firing_for, 5m) -> `grace`, WireGuardStandbyUnhealthy's hold (1m) ->
/// 5s, and the default route's group_wait 30s / group_interval 5m -> 0s / 1s (the warnings
/// arrive in seconds). Fails loudly when the committed files change shape.
inline policy_bundle test_bundle(std::string_view grace) {
  auto b = policy_bundle::load();
  b.rules = with_rule_duration(b.rules, failover_alert, "keep_firing_for", grace);
  b.rules = with_rule_duration(b.rules, "WireGuardStandbyUnhealthy", "for", "5s");
  b.alertmanager = replace_all(b.alertmanager, "group_wait: \"30s\"", "group_wait: \"0s\"",
                               "alertmanager.yml, the default route");
  b.alertmanager = replace_all(b.alertmanager, "group_interval: \"5m\"", "group_interval: \"1s\"",
                               "alertmanager.yml, the default route");
  return b;
}

}  // namespace wgwatch::test

namespace wgwatch::test {

/// The agent with failover_agent_config(), a webhook receiver, and Prometheus plus
/// Alertmanager loaded with `bundle` scraping the agent: the whole decide loop.
struct failover_loop {
  explicit failover_loop(const policy_bundle& bundle,
                         std::optional<stack_intervals> intervals = std::nullopt)
      : agent(agent_options::with_config(failover_agent_config())) {
    stack = intervals ? std::make_unique<monitoring_stack>(bundle, agent.port(), receiver, *intervals)
                      : std::make_unique<monitoring_stack>(bundle, agent.port(), receiver);
  }

  /// Until both tunnels are healthy in the agent and Prometheus has scraped that; false at
  /// `limit`.
  bool wait_healthy(std::chrono::milliseconds limit) const {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    if (!wait_data_plane(agent, "wg0", 1, limit) || !wait_data_plane(agent, "wg1", 1, limit)) {
      return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    return stack->prometheus().wait_for_result(group_healthy_query(),
                                               std::max(left, std::chrono::milliseconds(0)));
  }

  /// Agent stderr and the servers' logs, for failure messages.
  std::string logs() const {
    return "--- agent stderr:\n" + agent.stderr_text() + stack->logs() + "--- received:\n" +
           receiver.summary();
  }

  agent_process agent;
  webhook_receiver receiver;
  std::unique_ptr<monitoring_stack> stack;
};

}  // namespace wgwatch::test
