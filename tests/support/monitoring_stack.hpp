// SPDX-License-Identifier: MIT
// The monitoring stack of the e2e tests and the failover bench: Prometheus and Alertmanager as
// child processes on 127.0.0.1 with private data dirs, a webhook receiver that records every
// notification, and helpers to load the policy bundle (alerts/) with test substitutions.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/exposition.hpp"
#include "support/tcp_servers.hpp"

namespace wgwatch::test {

/// A private directory under /tmp, removed with everything in it on destruction.
class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "wgwatch-e2e");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const noexcept { return path_; }
  /// path()/name.
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

/// The whole of a file; throws std::runtime_error if it cannot be read.
std::string read_text_file(const std::string& path);
/// Writes `text` to `path` (replacing it); throws on failure.
void write_text_file(const std::string& path, std::string_view text);
/// `text` with every occurrence of `from` replaced by `to`; throws std::runtime_error naming
/// `what` when `from` does not occur (a bundle that changed shape must fail loudly).
std::string replace_all(std::string text, std::string_view from, std::string_view to,
                        std::string_view what);

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, read, closed).
std::uint16_t free_loopback_port();

/// A child process with its output appended to a log file. The child gets
/// PR_SET_PDEATHSIG(SIGKILL): it never outlives the test. Stopped by pid on destruction.
class child_process {
 public:
  child_process(std::vector<std::string> argv, std::string log_path);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// False once the child has exited (reaps it).
  bool running();
  /// SIGTERM, SIGKILL after `grace`; returns the exit code (128 + signal). Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  /// The log so far.
  std::string log() const;

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

/// A Prometheus duration ("250ms", "20s", "1m30s", "2h") in milliseconds; throws on garbage.
std::chrono::milliseconds parse_prometheus_duration(std::string_view text);

/// One alert of a notification.
struct notified_alert {
  std::string status;  ///< "firing" or "resolved"
  label_map labels;
  std::string fingerprint;
};

/// One POST the receiver got: its arrival time and the Alertmanager webhook payload.
struct notification {
  std::chrono::steady_clock::time_point at;
  std::string path;
  std::string status;  ///< the group's status
  std::string receiver;
  std::string group_key;
  std::vector<notified_alert> alerts;
  std::string body;

  /// The alert named `alertname`, if the notification carries it.
  const notified_alert* alert(std::string_view alertname) const;
};

/// "path status [alertname{labels} status, ...]" for failure messages.
std::string to_string(const notification& n);

/// An HTTP server on 127.0.0.1:<ephemeral> on a thread of its own: answers 200 to every
/// request and records each POST's body, parsed as an Alertmanager webhook payload, with its
/// arrival time. Thread-safe.
class webhook_receiver {
 public:
  webhook_receiver();
  ~webhook_receiver();
  webhook_receiver(const webhook_receiver&) = delete;
  webhook_receiver& operator=(const webhook_receiver&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// http://127.0.0.1:<port><path>
  std::string url(std::string_view path) const;

  /// Every notification so far, in arrival order.
  std::vector<notification> received() const;
  /// Waits until a notification at index >= `from` satisfies `match` (at most `limit`);
  /// returns it, or nullopt at the limit.
  std::optional<notification> wait_for(const std::function<bool(const notification&)>& match,
                                       std::chrono::milliseconds limit, std::size_t from = 0) const;
  /// Everything received, one line each, for failure messages.
  std::string summary() const;

 private:
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  void record(std::string path, std::string body);

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<notification> received_;
  std::uint16_t port_ = 0;
  std::unique_ptr<tcp_servers> servers_;  // last: stopped first
};

/// One sample of an instant-query result.
struct query_sample {
  label_map labels;
  double value = 0;
};

/// A running `prometheus` on 127.0.0.1:<free port>, its TSDB in `dir`, with `config_text`
/// written to dir/prometheus.yml (relative rule_files resolve against `dir`). Waits for
/// /-/ready. Throws std::runtime_error with the log if it does not get ready.
class prometheus_server {
 public:
  prometheus_server(const temp_dir& dir, std::string_view config_text);

  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// /api/v1/query of `expr` (instant vector); throws on an error status.
  std::vector<query_sample> query(std::string_view expr) const;
  /// Polls `expr` every 200 ms until it returns at least one sample or `limit` passes.
  bool wait_for_result(std::string_view expr, std::chrono::milliseconds limit) const;
  std::string log() const { return process_->log(); }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

/// A running `prometheus-alertmanager` on 127.0.0.1:<free port>, no cluster, its state in
/// `dir`, with `config_text` written to dir/alertmanager.yml. Waits for /-/ready.
class alertmanager_server {
 public:
  alertmanager_server(const temp_dir& dir, std::string_view config_text);

  std::uint16_t port() const noexcept { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_->log(); }

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

/// Where the policy bundle is read from: $WGWATCH_BUNDLE_DIR if set (to run the e2e test
/// against a mutated copy), else <source>/alerts.
std::string bundle_dir();

/// The URL the bundle's failover receiver posts to; tests replace it with their receiver's.
inline constexpr std::string_view bundle_failover_url =
    "http://127.0.0.1:9586/api/v1/failover/alertmanager";

/// A duration field (`for`, `keep_firing_for`) of alerting rule `alertname` in a rendered
/// rules file (YAML or JSON); nullopt when the rule lacks it. Throws if the alert is missing.
std::optional<std::chrono::milliseconds> rule_duration(std::string_view rules_text,
                                                       std::string_view alertname,
                                                       std::string_view field);

/// `rules_text` with that field of rule `alertname` set to `value` (a duration); throws when
/// the rule or the field is missing.
std::string with_rule_duration(std::string rules_text, std::string_view alertname,
                               std::string_view field, std::string_view value);

/// A top-level-or-nested `key: <duration>` of a YAML config (first occurrence), e.g.
/// "evaluation_interval"; nullopt when absent.
std::optional<std::chrono::milliseconds> yaml_duration(std::string_view text, std::string_view key);

/// The policy bundle as the tests load it: the rendered rules, the Alertmanager config and the
/// example Prometheus config, as text.
struct policy_bundle {
  std::string rules;         ///< wgwatch.rules.yml
  std::string alertmanager;  ///< alertmanager.yml
  std::string prometheus;    ///< prometheus.yml

  /// Reads the three committed files from `dir` (default bundle_dir()).
  static policy_bundle load(const std::string& dir = bundle_dir());
  /// Renders the bundle's jsonnet sources (in `dir`) with `config` merged into `_config`
  /// (jsonnet object body, e.g. `failbackGracePeriod: '20s'`) and `mixin` merged into the
  /// mixin (e.g. `alertmanagerConfig+:: {...}`), the way alerts/bundle.jsonnet composes it.
  /// With both empty it equals load() minus the files' comment header and final newline.
  /// For what the committed knobs cannot express (the bench's 15 s intervals).
  static policy_bundle render(std::string_view config, std::string_view mixin = {},
                              const std::string& dir = bundle_dir());

  /// The failover alert's keep_firing_for (the failback grace); throws when it has none.
  std::chrono::milliseconds grace() const;
  /// The bundle's scrape_interval / evaluation_interval (prometheus.yml's global section).
  std::chrono::milliseconds scrape_interval() const;
  std::chrono::milliseconds evaluation_interval() const;

  /// alertmanager.yml with the failover URL replaced by receiver.url("/failover") and every
  /// other webhook URL by receiver.url("/other").
  std::string alertmanager_for(const webhook_receiver& receiver) const;
};

/// Scrape and evaluation intervals of a stack (the bundle's, or a test's own).
struct stack_intervals {
  std::chrono::milliseconds scrape;
  std::chrono::milliseconds evaluation;
};

/// Prometheus scraping one agent (job "wgwatch") with `rules`, alerting to an Alertmanager
/// that posts to `receiver`: each in `dir`, stopped by pid on destruction.
class monitoring_stack {
 public:
  monitoring_stack(const policy_bundle& bundle, std::uint16_t agent_port,
                   const webhook_receiver& receiver, stack_intervals intervals);
  /// With the bundle's own intervals.
  monitoring_stack(const policy_bundle& bundle, std::uint16_t agent_port,
                   const webhook_receiver& receiver);

  const prometheus_server& prometheus() const { return *prometheus_; }
  const alertmanager_server& alertmanager() const { return *alertmanager_; }
  /// The agent's `instance` label.
  const std::string& instance() const { return instance_; }
  /// Both servers' logs, for failure messages.
  std::string logs() const;

 private:
  temp_dir dir_;
  std::string instance_;
  std::unique_ptr<alertmanager_server> alertmanager_;
  std::unique_ptr<prometheus_server> prometheus_;
};

}  // namespace wgwatch::test
