// SPDX-License-Identifier: MIT
// Prometheus, Alertmanager and a webhook receiver for the e2e tests: child processes by pid,
// readiness polling, instant queries, Alertmanager payloads parsed with Boost.JSON.
#include "support/monitoring_stack.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/src.hpp>  // Boost.JSON header-only: in this one translation unit
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/agent_process.hpp"
#include "support/netns.hpp"
#include "support/require.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string string_of(const json::value* v) {
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

label_map labels_of(const json::value* v) {
  label_map out;
  if (!v || !v->is_object()) return out;
  for (const auto& [k, val] : v->get_object()) out.emplace(std::string(k), string_of(&val));
  return out;
}

/// GET until it answers 200 or `limit` passes.
bool wait_ready(std::uint16_t port, std::string_view target, std::chrono::milliseconds limit,
                child_process& process) {
  const auto give_up = steady::now() + limit;
  while (steady::now() < give_up) {
    if (!process.running()) return false;
    try {
      if (http_get(port, target, false, 2s).status == 200) return true;
    } catch (const std::exception&) {  // not listening yet
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::string require_program(std::string_view program) {
  const auto path = find_program(program);
  if (!path) throw std::runtime_error(*missing_program(program));
  return *path;
}

}  // namespace

// --- files and processes --------------------------------------------------------------------

temp_dir::temp_dir(std::string_view prefix) {
  std::string tmpl = "/tmp/" + std::string(prefix) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

std::string replace_all(std::string text, std::string_view from, std::string_view to,
                        std::string_view what) {
  std::size_t pos = text.find(from);
  if (pos == std::string::npos) {
    throw std::runtime_error(std::string(what) + ": \"" + std::string(from) + "\" not found");
  }
  for (; pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

std::uint16_t free_loopback_port() {
  const unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error(std::string("free port: ") + std::strerror(errno));
  }
  return ntohs(addr.sin_port);
}

child_process::child_process(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) throw std::runtime_error("open " + log_path_ + ": " + std::strerror(errno));
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::signal(SIGPIPE, SIG_DFL);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
}

child_process::~child_process() { stop(); }

bool child_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (!running()) return exit_code_;
  ::kill(pid_, SIGTERM);
  const auto deadline = steady::now() + grace;
  int status = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid_, &status, WNOHANG)) == 0 && steady::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  if (r == 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
  return exit_code_;
}

std::string child_process::log() const {
  try {
    return read_text_file(log_path_);
  } catch (const std::exception&) {
    return {};
  }
}

std::chrono::milliseconds parse_prometheus_duration(std::string_view text) {
  static const std::regex part(R"((\d+)(ms|s|m|h|d|w|y))");
  std::chrono::milliseconds total{0};
  std::size_t consumed = 0;
  const std::string s(text);
  for (std::sregex_iterator it(s.begin(), s.end(), part), end; it != end; ++it) {
    if (static_cast<std::size_t>(it->position()) != consumed) break;
    consumed += static_cast<std::size_t>(it->length());
    const long long n = std::stoll((*it)[1].str());
    const std::string unit = (*it)[2].str();
    const long long ms = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000
                         : unit == "h" ? 3'600'000 : unit == "d" ? 86'400'000
                         : unit == "w" ? 604'800'000 : 31'536'000'000;
    total += std::chrono::milliseconds(n * ms);
  }
  if (s.empty() || consumed != s.size()) {
    throw std::runtime_error("not a Prometheus duration: \"" + s + "\"");
  }
  return total;
}

// --- webhook receiver -----------------------------------------------------------------------

const notified_alert* notification::alert(std::string_view alertname) const {
  for (const auto& a : alerts) {
    const auto it = a.labels.find("alertname");
    if (it != a.labels.end() && it->second == alertname) return &a;
  }
  return nullptr;
}

std::string to_string(const notification& n) {
  std::string out = n.path + " " + n.status + " [";
  for (std::size_t i = 0; i < n.alerts.size(); ++i) {
    const auto& a = n.alerts[i];
    out += i ? ", " : "";
    const auto name = a.labels.find("alertname");
    out += name == a.labels.end() ? "?" : name->second;
    out += "{";
    bool first = true;
    for (const auto& [k, v] : a.labels) {
      if (k == "alertname") continue;
      out += (first ? "" : ",") + k + "=\"" + v + "\"";
      first = false;
    }
    out += "} " + a.status;
  }
  return out + "]";
}

webhook_receiver::webhook_receiver() : servers_(std::make_unique<tcp_servers>()) {
  port_ = servers_->serve_loopback([this](asio::ip::tcp::socket s) { return serve(std::move(s)); });
  servers_->start();
}

webhook_receiver::~webhook_receiver() { servers_.reset(); }

std::string webhook_receiver::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

asio::awaitable<void> webhook_receiver::serve(asio::ip::tcp::socket socket) {
  beast::flat_buffer buffer;
  // Alertmanager keeps connections alive: serve requests until the client closes.
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    auto [ec, n] = co_await bhttp::async_read(socket, buffer, req, use_tuple);
    if (ec) co_return;
    if (req.method() == bhttp::verb::post) record(std::string(req.target()), std::move(req.body()));
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "text/plain");
    res.keep_alive(req.keep_alive());
    res.body() = "ok\n";
    res.prepare_payload();
    auto [wec, wn] = co_await bhttp::async_write(socket, res, use_tuple);
    if (wec || !req.keep_alive()) co_return;
  }
}

void webhook_receiver::record(std::string path, std::string body) {
  notification n;
  n.at = steady::now();
  n.path = std::move(path);
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (!ec && doc.is_object()) {
    const auto& o = doc.get_object();
    n.status = string_of(o.if_contains("status"));
    n.receiver = string_of(o.if_contains("receiver"));
    n.group_key = string_of(o.if_contains("groupKey"));
    if (const auto* alerts = o.if_contains("alerts"); alerts && alerts->is_array()) {
      for (const auto& a : alerts->get_array()) {
        if (!a.is_object()) continue;
        const auto& ao = a.get_object();
        n.alerts.push_back({string_of(ao.if_contains("status")), labels_of(ao.if_contains("labels")),
                            string_of(ao.if_contains("fingerprint"))});
      }
    }
  } else {
    n.status = "unparsable";
  }
  n.body = std::move(body);
  const std::lock_guard lock(mutex_);
  received_.push_back(std::move(n));
  changed_.notify_all();
}

std::vector<notification> webhook_receiver::received() const {
  const std::lock_guard lock(mutex_);
  return received_;
}

std::optional<notification> webhook_receiver::wait_for(
    const std::function<bool(const notification&)>& match, std::chrono::milliseconds limit,
    std::size_t from) const {
  std::unique_lock lock(mutex_);
  std::optional<notification> found;
  changed_.wait_for(lock, limit, [&] {
    for (; from < received_.size(); ++from) {
      if (match(received_[from])) {
        found = received_[from];
        return true;
      }
    }
    return false;
  });
  return found;
}

std::string webhook_receiver::summary() const {
  const auto all = received();
  if (all.empty()) return "(no notifications)\n";
  const auto t0 = all.front().at;
  std::string out;
  for (const auto& n : all) {
    out += "  +" +
           std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(n.at - t0).count()) +
           "ms " + to_string(n) + "\n";
  }
  return out;
}

// --- Prometheus and Alertmanager ------------------------------------------------------------

namespace {

/// Starts `program` with `args` (logging to dir/<name>.log) and waits for its /-/ready on
/// `port`; throws with the log if it does not get ready.
std::unique_ptr<child_process> start_server(std::string_view program, std::vector<std::string> args,
                                            const temp_dir& dir, std::uint16_t port) {
  const std::string name(program);
  args.insert(args.begin(), require_program(program));
  const std::string address = "127.0.0.1:" + std::to_string(port);
  args.insert(args.end(), {"--web.listen-address=" + address,
                           "--web.external-url=http://" + address + "/", "--log.level=info"});
  auto process = std::make_unique<child_process>(std::move(args), dir.file(name + ".log"));
  if (!wait_ready(port, "/-/ready", 30s, *process)) {
    const std::string text = process->log();
    process->stop();
    throw std::runtime_error(name + " did not get ready; log:\n" + text);
  }
  return process;
}

}  // namespace

prometheus_server::prometheus_server(const temp_dir& dir, std::string_view config_text)
    : port_(free_loopback_port()) {
  const std::string config = dir.file("prometheus.yml");
  write_text_file(config, config_text);
  process_ = start_server("prometheus",
                         {"--config.file=" + config,
                          "--storage.tsdb.path=" + dir.file("prometheus-data"),
                          "--web.enable-lifecycle"},
                         dir, port_);
}

std::vector<query_sample> prometheus_server::query(std::string_view expr) const {
  const auto res = http_get(port_, "/api/v1/query?query=" + url_encode(expr));
  boost::system::error_code ec;
  const json::value doc = json::parse(res.body, ec);
  if (ec || res.status != 200 || !doc.is_object()) {
    throw std::runtime_error("query " + std::string(expr) + ": HTTP " + std::to_string(res.status) +
                             " " + res.body);
  }
  std::vector<query_sample> out;
  const auto* data = doc.get_object().if_contains("data");
  const auto* result = data && data->is_object() ? data->get_object().if_contains("result") : nullptr;
  if (!result || !result->is_array()) return out;
  for (const auto& r : result->get_array()) {
    if (!r.is_object()) continue;
    const auto& ro = r.get_object();
    query_sample s;
    s.labels = labels_of(ro.if_contains("metric"));
    if (const auto* v = ro.if_contains("value"); v && v->is_array() && v->get_array().size() == 2) {
      s.value = std::strtod(string_of(&v->get_array()[1]).c_str(), nullptr);
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool prometheus_server::wait_for_result(std::string_view expr, std::chrono::milliseconds limit) const {
  const auto give_up = steady::now() + limit;
  for (;;) {
    if (!query(expr).empty()) return true;
    if (steady::now() >= give_up) return false;
    std::this_thread::sleep_for(200ms);
  }
}

alertmanager_server::alertmanager_server(const temp_dir& dir, std::string_view config_text)
    : port_(free_loopback_port()) {
  const std::string config = dir.file("alertmanager.yml");
  write_text_file(config, config_text);
  process_ = start_server("prometheus-alertmanager",
                         {"--config.file=" + config,
                          "--storage.path=" + dir.file("alertmanager-data"),
                          "--cluster.listen-address="},
                         dir, port_);
}

// --- the bundle -----------------------------------------------------------------------------

std::string bundle_dir() {
  if (const char* dir = std::getenv("WGWATCH_BUNDLE_DIR"); dir && *dir) return dir;
  return std::string(WGWATCH_SOURCE_DIR) + "/alerts";
}

namespace {

/// [begin, end) of alerting rule `alertname`'s keys after its `alert:` line (YAML) or key
/// (JSON), up to the next rule. Throws if the rule is missing.
std::pair<std::size_t, std::size_t> rule_block(const std::string& text, std::string_view alertname) {
  const std::regex start("\"?alert\"?\\s*:\\s*\"?" + std::string(alertname) + "\"?\\s*[,\\n]");
  std::smatch m;
  if (!std::regex_search(text, m, start)) {
    throw std::runtime_error("no alerting rule " + std::string(alertname) + " in the rules file");
  }
  const auto begin = static_cast<std::size_t>(m.position() + m.length());
  static const std::regex next_rule("\"?(alert|record)\"?\\s*:");
  std::smatch n;
  const std::string rest = text.substr(begin);
  return {begin, std::regex_search(rest, n, next_rule) ? begin + static_cast<std::size_t>(n.position())
                                                       : text.size()};
}

/// `field: value` in a rule's block. Renderers sort keys, so `for` and `keep_firing_for`
/// follow `alert`; the character before the key tells keep_firing_for from for.
std::regex field_regex(std::string_view field) {
  return std::regex("(^|[^a-z_])(\"?" + std::string(field) + "\"?\\s*:\\s*)\"?([0-9a-z]+)\"?");
}

}  // namespace

std::optional<std::chrono::milliseconds> rule_duration(std::string_view rules_text,
                                                       std::string_view alertname,
                                                       std::string_view field) {
  const std::string text(rules_text);
  const auto [begin, end] = rule_block(text, alertname);
  const std::string block = text.substr(begin, end - begin);
  std::smatch n;
  if (std::regex_search(block, n, field_regex(field))) return parse_prometheus_duration(n[3].str());
  return std::nullopt;
}

std::string with_rule_duration(std::string rules_text, std::string_view alertname,
                               std::string_view field, std::string_view value) {
  const auto [begin, end] = rule_block(rules_text, alertname);
  const std::string block = rules_text.substr(begin, end - begin);
  std::smatch n;
  if (!std::regex_search(block, n, field_regex(field))) {
    throw std::runtime_error(std::string(alertname) + " has no " + std::string(field));
  }
  const auto at = begin + static_cast<std::size_t>(n.position(3));
  rules_text.replace(at, static_cast<std::size_t>(n.length(3)), value);
  return rules_text;
}

std::optional<std::chrono::milliseconds> yaml_duration(std::string_view text, std::string_view key) {
  const std::string s(text);
  const std::regex re("(^|\\n)\\s*\"?" + std::string(key) + "\"?\\s*:\\s*\"?([0-9a-z]+)\"?");
  std::smatch m;
  if (!std::regex_search(s, m, re)) return std::nullopt;
  return parse_prometheus_duration(m[2].str());
}

// --- the stack ------------------------------------------------------------------------------

namespace {

std::string duration_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                               : std::to_string(d.count()) + "ms";
}

std::chrono::milliseconds required_duration(std::string_view text, std::string_view key,
                                            std::string_view file) {
  const auto d = yaml_duration(text, key);
  if (!d) throw std::runtime_error(std::string(file) + " has no " + std::string(key));
  return *d;
}

}  // namespace

policy_bundle policy_bundle::load(const std::string& dir) {
  return {read_text_file(dir + "/wgwatch.rules.yml"), read_text_file(dir + "/alertmanager.yml"),
          read_text_file(dir + "/prometheus.yml")};
}

policy_bundle policy_bundle::render(std::string_view config, std::string_view mixin,
                                   const std::string& dir) {
  const temp_dir tmp("wgwatch-render");
  // The composition of alerts/bundle.jsonnet, whose `mixin` is local and cannot be extended.
  write_text_file(tmp.file("render.jsonnet"),
                  "local mixin = (import 'alerts/mixin.libsonnet') +\n"
                  "  (import 'alerts/alertmanager.libsonnet') +\n"
                  "  (import 'alerts/prometheus.libsonnet') +\n"
                  "  { _config+:: {" + std::string(config) + "} } + {" + std::string(mixin) + "};\n"
                  "local yaml(v) = (import 'alerts/lib.libsonnet').manifestYaml(v);\n"
                  "{ rules: yaml(mixin.prometheusRuleFile), alertmanager: yaml(mixin.alertmanagerConfig),\n"
                  "  prometheus: yaml(mixin.prometheusConfig) }\n");
  const auto r = run_command({require_program("jsonnet"), "-J", dir + "/..", tmp.file("render.jsonnet")});
  if (r.exit_code != 0) throw std::runtime_error("jsonnet failed: " + r.err);
  const json::value doc = json::parse(r.out);
  const auto& o = doc.as_object();
  return {std::string(o.at("rules").as_string()), std::string(o.at("alertmanager").as_string()),
          std::string(o.at("prometheus").as_string())};
}

std::chrono::milliseconds policy_bundle::grace() const {
  const auto d = rule_duration(rules, "WireGuardTunnelFailover", "keep_firing_for");
  if (!d) throw std::runtime_error("WireGuardTunnelFailover has no keep_firing_for");
  return *d;
}

std::chrono::milliseconds policy_bundle::scrape_interval() const {
  return required_duration(prometheus, "scrape_interval", "prometheus.yml");
}

std::chrono::milliseconds policy_bundle::evaluation_interval() const {
  return required_duration(prometheus, "evaluation_interval", "prometheus.yml");
}

std::string policy_bundle::alertmanager_for(const webhook_receiver& receiver) const {
  std::string text = replace_all(alertmanager, bundle_failover_url, receiver.url("/failover"),
                                 "alertmanager.yml, the failover receiver");
  // Every other webhook (the default receiver's placeholder and the like) to "/other".
  static const std::regex other_url(R"((url:\s*['"]?)(https?://[^'"\s]+))");
  std::string out;
  std::sregex_iterator it(text.begin(), text.end(), other_url), end;
  std::size_t copied = 0;
  for (; it != end; ++it) {
    const auto& m = *it;
    out.append(text, copied, static_cast<std::size_t>(m.position(2)) - copied);
    const std::string url = m[2].str();
    out += url.rfind(receiver.url(""), 0) == 0 ? url : receiver.url("/other");
    copied = static_cast<std::size_t>(m.position(2) + m.length(2));
  }
  out.append(text, copied);
  return out;
}

monitoring_stack::monitoring_stack(const policy_bundle& bundle, std::uint16_t agent_port,
                                   const webhook_receiver& receiver)
    : monitoring_stack(bundle, agent_port, receiver,
                       {bundle.scrape_interval(), bundle.evaluation_interval()}) {}

monitoring_stack::monitoring_stack(const policy_bundle& bundle, std::uint16_t agent_port,
                                   const webhook_receiver& receiver, stack_intervals intervals)
    : instance_("127.0.0.1:" + std::to_string(agent_port)) {
  alertmanager_ = std::make_unique<alertmanager_server>(dir_, bundle.alertmanager_for(receiver));
  // Our own prometheus.yml: the bundle's rules file beside it, our targets, the intervals
  // asked for; the scrape timeout is the bundle's, but never above the scrape interval.
  write_text_file(dir_.file("wgwatch.rules.yml"), bundle.rules);
  auto timeout = yaml_duration(bundle.prometheus, "scrape_timeout").value_or(intervals.scrape);
  timeout = std::min(timeout, intervals.scrape);
  std::ostringstream config;
  config << "global:\n  scrape_interval: " << duration_text(intervals.scrape)
         << "\n  scrape_timeout: " << duration_text(timeout)
         << "\n  evaluation_interval: " << duration_text(intervals.evaluation)
         << "\nrule_files: [wgwatch.rules.yml]\n"
         << "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['"
         << alertmanager_->address() << "']\n"
         << "scrape_configs:\n  - job_name: wgwatch\n    static_configs:\n      - targets: ['"
         << instance_ << "']\n";
  prometheus_ = std::make_unique<prometheus_server>(dir_, config.str());
}

std::string monitoring_stack::logs() const {
  return "--- prometheus log:\n" + prometheus_->log() + "--- alertmanager log:\n" +
         alertmanager_->log();
}

}  // namespace wgwatch::test
