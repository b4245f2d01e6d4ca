// SPDX-License-Identifier: MIT
// TOML -> config: defaults first, every key checked, unknown keys rejected, all errors kept.
// The only file that includes toml++ (its types stay out of the rest of wgwatch).
#include "config/load.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "config/duration.hpp"
#include "config/listen_address.hpp"
#include "config/probe_target.hpp"
#include "config/validate.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::config {
namespace {

using key_list = std::initializer_list<std::string_view>;

constexpr std::size_t max_file_size = 1 << 20;

std::string_view type_name(toml::node_type t) noexcept {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

template <class T>
constexpr std::string_view wanted_name() noexcept {
  if constexpr (std::is_same_v<T, std::string>)
    return "a string";
  else if constexpr (std::is_same_v<T, bool>)
    return "a boolean";
  else if constexpr (std::is_same_v<T, std::int64_t>)
    return "an integer";
  else
    return "a table";
}

bool is_bare_key(std::string_view key) noexcept {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// "web" + "listen_address" -> "web.listen_address"; odd keys are quoted as TOML would.
std::string join(std::string_view path, std::string_view key) {
  const std::string k = is_bare_key(key) ? std::string{key} : fmt::format("\"{}\"", key);
  return path.empty() ? k : fmt::format("{}.{}", path, k);
}

std::string index(std::string_view path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view key, key_list known) {
  std::string_view best;
  std::size_t best_distance = 3;  // suggest only for typos: at most two edits
  for (const auto k : known) {
    const std::size_t d = edit_distance(key, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  if (best.empty()) return "unknown key";
  return fmt::format("unknown key (did you mean \"{}\"?)", best);
}

// The keys of one [[tunnel.probe]]: common ones, then each kind's own.
constexpr std::string_view icmp_keys[] = {"packets", "payload_bytes", "dont_fragment",
                                          "packet_interval"};
constexpr std::string_view http_keys[] = {
    "method",      "expected_status",      "body_contains", "ca_file",
    "server_name", "insecure_skip_verify", "max_body_bytes"};
const key_list probe_keys = {"name", "kind", "target", "interval", "timeout", "source_address",
                             // icmp
                             "packets", "payload_bytes", "dont_fragment", "packet_interval",
                             // http
                             "method", "expected_status", "body_contains", "ca_file", "server_name",
                             "insecure_skip_verify", "max_body_bytes"};

template <std::size_t N>
bool contains(const std::string_view (&keys)[N], std::string_view key) {
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

// Largest ICMP payload that fits one IP packet: 65535 - 20 (IPv4 header) - 8 (ICMP header);
// IPv6's payload length excludes its 40-byte header, so 65535 - 8.
constexpr std::int64_t max_icmp_payload_v4 = 65507;
constexpr std::int64_t max_icmp_payload_v6 = 65527;
constexpr std::int64_t max_http_body_bytes = 16 << 20;

// "(the default)" after a value the user did not write, so a cross-field error about it
// does not send them looking for a key that is not in the file.
std::string_view default_note(const toml::node* n) { return n == nullptr ? " (the default)" : ""; }

class decoder {
 public:
  explicit decoder(std::string_view file) : file_(file) {}

  config decode(const toml::table& root);
  std::vector<diagnostic> take_diagnostics() { return std::move(diagnostics_); }

 private:
  void report(const toml::source_region& where, std::string key, std::string message) {
    diagnostics_.push_back({file_, static_cast<int>(where.begin.line),
                            static_cast<int>(where.begin.column), std::move(key),
                            std::move(message)});
  }

  void type_error(const toml::node& n, std::string path, std::string_view wanted) {
    report(n.source(), std::move(path),
           fmt::format("expected {}, got {}", wanted, type_name(n.type())));
  }

  template <class T>
  std::optional<T> value_of(const toml::node& n, const std::string& path) {
    if (const auto* v = n.as<T>()) return v->get();
    type_error(n, path, wanted_name<T>());
    return std::nullopt;
  }

  const toml::table* table_of(const toml::node& n, const std::string& path) {
    if (const auto* t = n.as_table()) return t;
    type_error(n, path, "a table");
    return nullptr;
  }

  void reject_unknown(const toml::table& t, std::string_view path, key_list known) {
    for (const auto& [key, node] : t) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      report(key.source(), join(path, key.str()), unknown_key_message(key.str(), known));
    }
  }

  void read_string(const toml::table& t, std::string_view path, std::string_view key,
                   std::string& out) {
    if (const auto* n = t.get(key)) {
      if (auto v = value_of<std::string>(*n, join(path, key))) out = std::move(*v);
    }
  }

  void read_bool(const toml::table& t, std::string_view path, std::string_view key, bool& out) {
    if (const auto* n = t.get(key)) {
      if (auto v = value_of<bool>(*n, join(path, key))) out = *v;
    }
  }

  // A string checked by `check` (a check_* function of validate.hpp).
  template <class Check>
  void read_checked(const toml::table& t, std::string_view path, std::string_view key,
                    std::string& out, Check check) {
    const auto* n = t.get(key);
    if (n == nullptr) return;
    auto v = value_of<std::string>(*n, join(path, key));
    if (!v) return;
    if (auto e = check(*v)) return report(n->source(), join(path, key), std::move(*e));
    out = std::move(*v);
  }

  // A duration string in the range `check` enforces.
  template <class Check>
  std::optional<std::chrono::milliseconds> read_duration(const toml::table& t,
                                                         std::string_view path,
                                                         std::string_view key, Check check) {
    const auto* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    const auto text = value_of<std::string>(*n, join(path, key));
    if (!text) return std::nullopt;
    std::string why;
    const auto d = parse_duration(*text, &why);
    if (!d) {
      report(n->source(), join(path, key), fmt::format("invalid duration \"{}\": {}", *text, why));
      return std::nullopt;
    }
    if (auto e = check(*d)) {
      report(n->source(), join(path, key), std::move(*e));
      return std::nullopt;
    }
    return d;
  }

  // An integer in [min, max].
  std::optional<std::int64_t> read_integer(const toml::table& t, std::string_view path,
                                           std::string_view key, std::int64_t min,
                                           std::int64_t max) {
    const auto* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    const auto v = value_of<std::int64_t>(*n, join(path, key));
    if (!v) return std::nullopt;
    if (*v < min || *v > max) {
      report(n->source(), join(path, key), fmt::format("must be {} to {}", min, max));
      return std::nullopt;
    }
    return v;
  }

  // A number (integer or float) accepted by `check`.
  template <class Check>
  std::optional<double> read_number(const toml::table& t, std::string_view path,
                                    std::string_view key, Check check) {
    const auto* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    std::optional<double> v;
    if (const auto* f = n->as_floating_point()) v = f->get();
    if (const auto* i = n->as_integer()) v = static_cast<double>(i->get());
    if (!v) {
      type_error(*n, join(path, key), "a number");
      return std::nullopt;
    }
    if (auto e = check(*v)) {
      report(n->source(), join(path, key), std::move(*e));
      return std::nullopt;
    }
    return v;
  }

  // Reports every key of `required` missing from `t`; true when none is.
  bool require(const toml::table& t, const std::string& path, key_list required) {
    bool ok = true;
    for (const std::string_view key : required) {
      if (!t.contains(key)) {
        report(t.source(), path, fmt::format("missing required key \"{}\"", key));
        ok = false;
      }
    }
    return ok;
  }

  void decode_web(const toml::table& t, web_config& out);
  void decode_log(const toml::table& t, log_config& out);
  void decode_wireguard(const toml::table& t, wireguard_config& out);
  void decode_interfaces(const toml::node& n, std::vector<std::string>& out);
  void decode_collectors(const toml::table& t, collectors_config& out);
  void decode_peers(const toml::node& n, std::vector<peer_name>& out);
  std::optional<peer_name> decode_peer(const toml::table& t, const std::string& path);
  void decode_tunnels(const toml::node& n, std::vector<tunnel_config>& out);
  std::optional<tunnel_config> decode_tunnel(const toml::table& t, const std::string& path);
  void check_groups(const toml::array& tunnels);
  void decode_tunnel_peers(const toml::node& n, const std::string& path,
                           std::vector<wg::wg_key>& out);
  void decode_health(const toml::table& t, const std::string& path, health_config& out);
  void check_window(const toml::table& t, const std::string& path, const tunnel_config& c,
                    const std::vector<std::size_t>& probe_index);
  void decode_probes(const toml::node& n, const std::string& tunnel_path,
                     std::vector<probe::probe_spec>& out, std::vector<std::size_t>& index_of);
  void reject_probe_keys(const toml::table& t, const std::string& path,
                         std::optional<probe::kind> kind);
  std::optional<probe::probe_spec> decode_probe(const toml::table& t, const std::string& path);
  std::optional<probe::kind> decode_kind(const toml::table& t, const std::string& path);
  std::optional<address_family> decode_target(const toml::table& t, const std::string& path,
                                              std::optional<probe::kind> kind, bool timing_ok,
                                              probe::probe_spec& spec);
  void decode_source_address(const toml::table& t, const std::string& path,
                             std::optional<address_family> family, probe::probe_spec& spec);
  bool decode_timing(const toml::table& t, const std::string& path, probe::probe_spec& spec);
  void decode_icmp(const toml::table& t, const std::string& path,
                   std::optional<address_family> family, const std::chrono::milliseconds* timeout,
                   probe::icmp_spec& out);
  void decode_http(const toml::table& t, const std::string& path, const http_url* url,
                   probe::http_spec& out);
  void decode_status(const toml::node& n, const std::string& path, probe::http_spec& out);

  std::string file_;
  std::vector<diagnostic> diagnostics_;
};

config decoder::decode(const toml::table& root) {
  config c;  // defaults first: every struct member starts at its defaults.hpp value
  c.file = file_;
  for (const auto& [key, node] : root) {
    const std::string path = join("", key.str());
    if (key == "web") {
      if (const auto* t = table_of(node, path)) decode_web(*t, c.web);
    } else if (key == "log") {
      if (const auto* t = table_of(node, path)) decode_log(*t, c.log);
    } else if (key == "wireguard") {
      if (const auto* t = table_of(node, path)) decode_wireguard(*t, c.wireguard);
    } else if (key == "collectors") {
      if (const auto* t = table_of(node, path)) decode_collectors(*t, c.collectors);
    } else if (key == "peer") {
      decode_peers(node, c.peers);
    } else if (key == "tunnel") {
      decode_tunnels(node, c.tunnels);
    } else {
      report(key.source(), path,
             unknown_key_message(key.str(),
                                 {"web", "log", "wireguard", "collectors", "peer", "tunnel"}));
    }
  }
  return c;
}

void decoder::decode_web(const toml::table& t, web_config& out) {
  reject_unknown(t, "web", {"listen_address", "telemetry_path"});
  if (const auto* n = t.get("listen_address")) {
    if (auto text = value_of<std::string>(*n, "web.listen_address")) {
      std::string why;
      if (auto a = parse_listen_address(*text, &why)) {
        out.listen = std::move(*a);
      } else {
        report(n->source(), "web.listen_address",
               fmt::format("invalid listen address \"{}\": {}", *text, why));
      }
    }
  }
  read_checked(t, "web", "telemetry_path", out.telemetry_path, check_telemetry_path);
}

void decoder::decode_log(const toml::table& t, log_config& out) {
  reject_unknown(t, "log", {"level"});
  if (const auto* n = t.get("level")) {
    if (auto text = value_of<std::string>(*n, "log.level")) {
      if (auto l = log::parse_level(*text)) {
        out.level = *l;
      } else {
        report(n->source(), "log.level",
               fmt::format("invalid level \"{}\" (use debug, info, warn or error)", *text));
      }
    }
  }
}

void decoder::decode_wireguard(const toml::table& t, wireguard_config& out) {
  reject_unknown(t, "wireguard",
                 {"socket_dir", "interfaces", "recent_handshake_window", "read_timeout"});
  read_checked(t, "wireguard", "socket_dir", out.socket_dir, check_socket_dir);
  if (const auto* n = t.get("interfaces")) decode_interfaces(*n, out.interfaces);
  if (auto d =
          read_duration(t, "wireguard", "recent_handshake_window", check_recent_handshake_window)) {
    out.recent_handshake_window = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  if (auto d = read_duration(t, "wireguard", "read_timeout", check_read_timeout)) {
    out.read_timeout = *d;
  }
}

void decoder::decode_interfaces(const toml::node& n, std::vector<std::string>& out) {
  const auto* array = n.as_array();
  if (array == nullptr) return type_error(n, "wireguard.interfaces", "an array");
  std::unordered_map<std::string, const toml::node*> seen;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    const std::string path = index("wireguard.interfaces", i);
    auto name = value_of<std::string>(element, path);
    if (!name) continue;
    if (auto e = check_interface_name(*name)) {
      report(element.source(), path, std::move(*e));
      continue;
    }
    const auto [it, inserted] = seen.emplace(*name, &element);
    if (!inserted) {
      const auto& first = it->second->source().begin;
      report(element.source(), path,
             fmt::format("duplicate interface \"{}\" (first at line {}, column {})", *name,
                         first.line, first.column));
      continue;
    }
    names.push_back(std::move(*name));
  }
  out = std::move(names);
}

void decoder::decode_collectors(const toml::table& t, collectors_config& out) {
  reject_unknown(t, "collectors", {"wireguard", "link", "probes"});
  read_bool(t, "collectors", "wireguard", out.wireguard);
  read_bool(t, "collectors", "link", out.link);
  read_bool(t, "collectors", "probes", out.probes);
}

void decoder::decode_peers(const toml::node& n, std::vector<peer_name>& out) {
  const auto* array = n.as_array();
  if (array == nullptr) return type_error(n, "peer", "an array of tables ([[peer]])");
  std::vector<peer_name> peers;
  std::vector<std::pair<std::size_t, const toml::node*>> key_nodes;  // per accepted peer
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string path = index("peer", i);
    const auto* t = table_of((*array)[i], path);
    if (t == nullptr) continue;
    auto peer = decode_peer(*t, path);
    if (!peer) continue;
    const toml::node* key_node = t->get("public_key");
    const auto dup = std::find_if(peers.begin(), peers.end(), [&](const peer_name& p) {
      return p.public_key == peer->public_key;
    });
    if (dup != peers.end()) {
      const auto& [first_index, first_node] =
          key_nodes[static_cast<std::size_t>(dup - peers.begin())];
      report(key_node->source(), join(path, "public_key"),
             fmt::format("duplicate public key (first at peer[{}], line {})", first_index,
                         first_node->source().begin.line));
      continue;
    }
    key_nodes.emplace_back(i, key_node);
    peers.push_back(std::move(*peer));
  }
  out = std::move(peers);
}

std::optional<peer_name> decoder::decode_peer(const toml::table& t, const std::string& path) {
  reject_unknown(t, path, {"public_key", "name"});
  bool ok = true;
  peer_name peer;
  for (const std::string_view required : {"public_key", "name"}) {
    if (!t.contains(required)) {
      report(t.source(), path, fmt::format("missing required key \"{}\"", required));
      ok = false;
    }
  }
  if (const auto* n = t.get("public_key")) {
    const auto text = value_of<std::string>(*n, join(path, "public_key"));
    const auto key = text ? wg::parse_base64_key(*text) : std::nullopt;
    if (text && !key) {
      // The text is not echoed: a mistyped private key must not end up in logs.
      report(n->source(), join(path, "public_key"),
             "not a WireGuard public key (expected 44 characters of base64)");
    }
    if (key)
      peer.public_key = *key;
    else
      ok = false;
  }
  if (const auto* n = t.get("name")) {
    auto name = value_of<std::string>(*n, join(path, "name"));
    if (name) {
      if (auto e = check_peer_name(*name)) {
        report(n->source(), join(path, "name"), std::move(*e));
        name.reset();
      }
    }
    if (name)
      peer.name = std::move(*name);
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return peer;
}

// --- [[tunnel]] ------------------------------------------------------------------------------

void decoder::decode_tunnels(const toml::node& n, std::vector<tunnel_config>& out) {
  const auto* array = n.as_array();
  if (array == nullptr) return type_error(n, "tunnel", "an array of tables ([[tunnel]])");
  std::vector<tunnel_config> tunnels;
  // Checked apart from the rest of the tunnel, so a duplicate is reported even when the
  // first tunnel has other errors.
  std::unordered_map<std::string, std::pair<std::size_t, const toml::node*>> seen;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string path = index("tunnel", i);
    const auto* t = table_of((*array)[i], path);
    if (t == nullptr) continue;
    auto tunnel = decode_tunnel(*t, path);
    const toml::node* name = t->get("interface");
    const auto* text = name != nullptr ? name->as_string() : nullptr;
    if (text == nullptr || check_interface_name(text->get())) continue;
    const auto [it, inserted] = seen.try_emplace(text->get(), i, name);
    if (!inserted) {
      report(name->source(), join(path, "interface"),
             fmt::format("duplicate interface \"{}\" (first at tunnel[{}], line {})", text->get(),
                         it->second.first, it->second.second->source().begin.line));
      continue;
    }
    if (tunnel) tunnels.push_back(std::move(*tunnel));
  }
  check_groups(*array);
  out = std::move(tunnels);
}

// The failover rules pair each standby with its group's primary: at most one primary per
// group, and a group of standbys alone has nothing to fail over from. Checked on every
// tunnel whose group is valid, so one broken tunnel does not hide the rule, but not on a
// duplicate of an earlier tunnel's interface (reported as that); a group with a tunnel of
// unknown role is not called primary-less (that role may have been meant as one).
void decoder::check_groups(const toml::array& tunnels) {
  struct member {
    std::size_t index = 0;
    const toml::node* node = nullptr;  // where to report: `group`, else `role`
    std::string_view key;
  };
  struct group_members {
    std::optional<member> primary;
    std::optional<member> first_standby;
    bool unknown_role = false;
  };
  std::map<std::string, group_members> groups;
  std::set<std::string, std::less<>> interfaces;
  for (std::size_t i = 0; i < tunnels.size(); ++i) {
    const auto* t = tunnels[i].as_table();
    if (t == nullptr) continue;
    if (const auto* name = t->get_as<std::string>("interface")) {
      if (!interfaces.insert(name->get()).second) continue;
    }
    const toml::node* role = t->get("role");
    const auto* role_text = role != nullptr ? role->as_string() : nullptr;
    std::string group{defaults::tunnel_group};
    const toml::node* group_node = t->get("group");
    if (group_node != nullptr) {
      const auto* text = group_node->as_string();
      if (text == nullptr || check_group_name(text->get())) continue;
      group = text->get();
    }
    auto& g = groups[group];
    if (role_text == nullptr) {
      g.unknown_role = true;
    } else if (role_text->get() == "primary") {
      if (g.primary) {
        report(role->source(), join(index("tunnel", i), "role"),
               fmt::format("second primary in group \"{}\" (first at tunnel[{}], line {})", group,
                           g.primary->index, g.primary->node->source().begin.line));
      } else {
        g.primary = member{i, role, "role"};
      }
    } else if (role_text->get() != "standby") {
      g.unknown_role = true;
    } else if (!g.first_standby) {
      g.first_standby =
          group_node != nullptr ? member{i, group_node, "group"} : member{i, role, "role"};
    }
  }
  for (const auto& [name, g] : groups) {
    if (g.primary || !g.first_standby || g.unknown_role) continue;
    const member& s = *g.first_standby;
    report(s.node->source(), join(index("tunnel", s.index), s.key),
           fmt::format("group \"{}\" has a standby but no primary", name));
  }
}

std::optional<tunnel_config> decoder::decode_tunnel(const toml::table& t, const std::string& path) {
  const std::size_t before = diagnostics_.size();
  reject_unknown(t, path, {"interface", "role", "group", "peers", "fwmark", "health", "probe"});
  require(t, path, {"interface", "role", "probe"});
  tunnel_config c;
  read_checked(t, path, "interface", c.interface, check_interface_name);
  if (const auto* n = t.get("role")) {
    if (auto text = value_of<std::string>(*n, join(path, "role"))) {
      if (*text == "primary") {
        c.role = tunnel_role::primary;
      } else if (*text == "standby") {
        c.role = tunnel_role::standby;
      } else {
        report(n->source(), join(path, "role"),
               fmt::format("invalid role \"{}\" (use primary or standby)", *text));
      }
    }
  }
  read_checked(t, path, "group", c.group, check_group_name);
  if (const auto* n = t.get("peers")) decode_tunnel_peers(*n, join(path, "peers"), c.peers);
  if (auto v = read_integer(t, path, "fwmark", 0, std::numeric_limits<std::uint32_t>::max())) {
    c.fwmark = static_cast<std::uint32_t>(*v);
  }
  bool health_ok = true;
  if (const auto* n = t.get("health")) {
    const std::string health_path = join(path, "health");
    const std::size_t before_health = diagnostics_.size();
    if (const auto* h = table_of(*n, health_path)) decode_health(*h, health_path, c.health);
    health_ok = diagnostics_.size() == before_health;
  }
  std::vector<std::size_t> probe_index;  // in [[tunnel.probe]] of each accepted probe
  if (const auto* n = t.get("probe")) decode_probes(*n, path, c.probes, probe_index);
  if (health_ok) check_window(t, path, c, probe_index);
  if (diagnostics_.size() != before) return std::nullopt;
  return c;
}

void decoder::decode_tunnel_peers(const toml::node& n, const std::string& path,
                                  std::vector<wg::wg_key>& out) {
  const auto* array = n.as_array();
  if (array == nullptr) return type_error(n, path, "an array");
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    const std::string element_path = index(path, i);
    const auto text = value_of<std::string>(element, element_path);
    if (!text) continue;
    const auto key = wg::parse_base64_key(*text);
    if (!key) {
      // Not echoed, as for [[peer]]: a mistyped private key must not end up in logs.
      report(element.source(), element_path,
             "not a WireGuard public key (expected 44 characters of base64)");
      continue;
    }
    const auto dup = std::find(out.begin(), out.end(), *key);
    if (dup != out.end()) {
      report(element.source(), element_path,
             fmt::format("duplicate public key (first at {})",
                         index(path, static_cast<std::size_t>(dup - out.begin()))));
      continue;
    }
    out.push_back(*key);
  }
}

void decoder::decode_health(const toml::table& t, const std::string& path, health_config& out) {
  reject_unknown(t, path, {"handshake_max_age", "window", "down_below", "up_at", "min_rounds"});
  if (auto d = read_duration(t, path, "handshake_max_age", check_handshake_max_age)) {
    out.handshake_max_age = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  if (auto d = read_duration(t, path, "window", check_health_window)) out.window = *d;
  const std::size_t before = diagnostics_.size();
  if (auto r = read_number(t, path, "down_below", check_ratio)) out.down_below = *r;
  if (auto r = read_number(t, path, "up_at", check_ratio)) out.up_at = *r;
  if (diagnostics_.size() == before && out.down_below > out.up_at) {
    // Both defaults satisfy the rule, so at least one of the two keys is in the file.
    const toml::node* down = t.get("down_below");
    const toml::node* up = t.get("up_at");
    report(down != nullptr ? down->source() : up->source(),
           join(path, down != nullptr ? "down_below" : "up_at"),
           fmt::format("down_below {}{} must not exceed up_at {}{}", out.down_below,
                       default_note(down), out.up_at, default_note(up)));
  }
  if (auto v = read_integer(t, path, "min_rounds", 1, 1000)) {
    out.min_rounds = static_cast<std::uint32_t>(*v);
  }
}

// The data-plane window must span at least one round of every probe, or a slow probe's
// result would drop out of the window before its next round.
void decoder::check_window(const toml::table& t, const std::string& path, const tunnel_config& c,
                           const std::vector<std::size_t>& probe_index) {
  const auto slowest = std::max_element(c.probes.begin(), c.probes.end(),
                                        [](const probe::probe_spec& a, const probe::probe_spec& b) {
                                          return a.interval < b.interval;
                                        });
  if (slowest == c.probes.end() || slowest->interval <= c.health.window) return;
  const auto* health = t.get("health") != nullptr ? t.get("health")->as_table() : nullptr;
  if (const toml::node* window = health != nullptr ? health->get("window") : nullptr) {
    report(window->source(), join(join(path, "health"), "window"),
           fmt::format("window {} must be at least the interval {} of probe \"{}\"",
                       format_duration(c.health.window), format_duration(slowest->interval),
                       slowest->name));
    return;
  }
  // The default window (1m) is above the default interval: this interval is in the file.
  const std::size_t i = probe_index[static_cast<std::size_t>(slowest - c.probes.begin())];
  const toml::node* interval = (*t.get("probe")->as_array())[i].as_table()->get("interval");
  report(interval->source(), join(index(join(path, "probe"), i), "interval"),
         fmt::format("interval {} exceeds health.window {} (the default); "
                     "set a longer health.window",
                     format_duration(slowest->interval), format_duration(c.health.window)));
}

// --- [[tunnel.probe]] ------------------------------------------------------------------------

void decoder::decode_probes(const toml::node& n, const std::string& tunnel_path,
                            std::vector<probe::probe_spec>& out,
                            std::vector<std::size_t>& index_of) {
  const std::string path = join(tunnel_path, "probe");
  const auto* array = n.as_array();
  if (array == nullptr) return type_error(n, path, "an array of tables ([[tunnel.probe]])");
  if (array->empty()) return report(n.source(), path, "needs at least one [[tunnel.probe]]");
  std::unordered_map<std::string, std::pair<std::size_t, const toml::node*>> seen;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string probe_path = index(path, i);
    const auto* t = table_of((*array)[i], probe_path);
    if (t == nullptr) continue;
    auto spec = decode_probe(*t, probe_path);
    const toml::node* name = t->get("name");
    const auto* text = name != nullptr ? name->as_string() : nullptr;
    if (text == nullptr || check_probe_name(text->get())) continue;
    const auto [it, inserted] = seen.try_emplace(text->get(), i, name);
    if (!inserted) {
      report(name->source(), join(probe_path, "name"),
             fmt::format("duplicate probe name \"{}\" (first at probe[{}], line {})", text->get(),
                         it->second.first, it->second.second->source().begin.line));
      continue;
    }
    if (spec) {
      out.push_back(std::move(*spec));
      index_of.push_back(i);
    }
  }
}

void decoder::reject_probe_keys(const toml::table& t, const std::string& path,
                                std::optional<probe::kind> kind) {
  for (const auto& [key, node] : t) {
    const std::string_view k = key.str();
    if (std::find(probe_keys.begin(), probe_keys.end(), k) == probe_keys.end()) {
      report(key.source(), join(path, k), unknown_key_message(k, probe_keys));
    } else if (kind && *kind != probe::kind::icmp && contains(icmp_keys, k)) {
      report(key.source(), join(path, k), "only for kind \"icmp\"");
    } else if (kind && *kind != probe::kind::http && contains(http_keys, k)) {
      report(key.source(), join(path, k), "only for kind \"http\"");
    }
  }
}

std::optional<probe::probe_spec> decoder::decode_probe(const toml::table& t,
                                                       const std::string& path) {
  const std::size_t before = diagnostics_.size();
  require(t, path, {"name", "kind", "target"});
  probe::probe_spec spec;
  read_checked(t, path, "name", spec.name, check_probe_name);
  const auto kind = decode_kind(t, path);
  reject_probe_keys(t, path, kind);
  const bool timing_ok = decode_timing(t, path, spec);
  const auto family = decode_target(t, path, kind, timing_ok, spec);
  decode_source_address(t, path, family, spec);
  if (diagnostics_.size() != before) return std::nullopt;
  return spec;
}

std::optional<probe::kind> decoder::decode_kind(const toml::table& t, const std::string& path) {
  const auto* n = t.get("kind");
  if (n == nullptr) return std::nullopt;
  const auto text = value_of<std::string>(*n, join(path, "kind"));
  if (!text) return std::nullopt;
  for (const auto k : {probe::kind::icmp, probe::kind::tcp, probe::kind::http}) {
    if (*text == probe::to_string(k)) return k;
  }
  report(n->source(), join(path, "kind"),
         fmt::format("invalid kind \"{}\" (use icmp, tcp or http)", *text));
  return std::nullopt;
}

// The target, parsed by kind into spec.options with the kind's own keys; returns the target's
// address family when the target is valid. `timing_ok`: spec.timeout is the probe's timeout.
std::optional<address_family> decoder::decode_target(const toml::table& t, const std::string& path,
                                                     std::optional<probe::kind> kind,
                                                     bool timing_ok, probe::probe_spec& spec) {
  const toml::node* n = t.get("target");
  const auto target = n != nullptr ? value_of<std::string>(*n, join(path, "target")) : std::nullopt;
  if (!target) return std::nullopt;
  spec.target = *target;
  if (!kind) return std::nullopt;
  std::optional<address_family> family;
  std::string why;
  switch (*kind) {
    case probe::kind::icmp: {
      probe::icmp_spec icmp;
      family = address_family_of(*target);
      if (family)
        icmp.address = *target;
      else
        why =
            fmt::format("invalid target \"{}\": expected a numeric IPv4 or IPv6 address", *target);
      decode_icmp(t, path, family, timing_ok ? &spec.timeout : nullptr, icmp);
      spec.options = std::move(icmp);
      break;
    }
    case probe::kind::tcp: {
      probe::tcp_spec tcp;
      if (auto hp = parse_host_port(*target, &why)) {
        family = hp->family;
        tcp.host = std::move(hp->host);
        tcp.port = hp->port;
      }
      spec.options = std::move(tcp);
      break;
    }
    case probe::kind::http: {
      probe::http_spec http;
      const auto url = parse_http_url(*target, &why);
      if (url) {
        family = url->family;
        http.url = *target;
      }
      decode_http(t, path, url ? &*url : nullptr, http);
      spec.options = std::move(http);
      break;
    }
  }
  if (!family) report(n->source(), join(path, "target"), std::move(why));
  return family;
}

void decoder::decode_source_address(const toml::table& t, const std::string& path,
                                    std::optional<address_family> family, probe::probe_spec& spec) {
  const auto* n = t.get("source_address");
  if (n == nullptr) return;
  const std::string key = join(path, "source_address");
  auto text = value_of<std::string>(*n, key);
  if (!text) return;
  const auto f = address_family_of(*text);
  if (!f) {
    report(n->source(), key,
           fmt::format("invalid source address \"{}\": expected a numeric IPv4 or IPv6 address",
                       *text));
  } else if (family && *f != *family) {
    report(n->source(), key,
           fmt::format("source address \"{}\" is {} but the target is {}", *text, to_string(*f),
                       to_string(*family)));
  } else {
    spec.source_address = std::move(*text);
  }
}

// interval and timeout, and timeout < interval: a round must end before the next begins.
bool decoder::decode_timing(const toml::table& t, const std::string& path,
                            probe::probe_spec& spec) {
  spec.interval = defaults::probe_interval;
  spec.timeout = defaults::probe_timeout;
  const std::size_t before = diagnostics_.size();
  if (auto d = read_duration(t, path, "interval", check_probe_interval)) spec.interval = *d;
  if (auto d = read_duration(t, path, "timeout", check_probe_timeout)) spec.timeout = *d;
  if (diagnostics_.size() != before) return false;
  if (spec.timeout < spec.interval) return true;
  const toml::node* interval = t.get("interval");
  if (const toml::node* timeout = t.get("timeout")) {
    report(timeout->source(), join(path, "timeout"),
           fmt::format("timeout {} must be below interval {}{}", format_duration(spec.timeout),
                       format_duration(spec.interval), default_note(interval)));
  } else {
    report(interval->source(), join(path, "interval"),
           fmt::format("interval {} must be above timeout {} (the default); set a shorter "
                       "timeout",
                       format_duration(spec.interval), format_duration(spec.timeout)));
  }
  return false;
}

void decoder::decode_icmp(const toml::table& t, const std::string& path,
                          std::optional<address_family> family,
                          const std::chrono::milliseconds* timeout, probe::icmp_spec& out) {
  const std::size_t before = diagnostics_.size();
  if (auto v = read_integer(t, path, "packets", 1, 100))
    out.packets = static_cast<std::uint32_t>(*v);
  if (const auto* n = t.get("payload_bytes")) {
    const std::string key = join(path, "payload_bytes");
    const std::int64_t max =
        family == address_family::ipv4 ? max_icmp_payload_v4 : max_icmp_payload_v6;
    if (auto v = value_of<std::int64_t>(*n, key)) {
      if (*v < 0 || *v > max) {
        report(n->source(), key,
               family ? fmt::format("must be 0 to {} for an {} target", max, to_string(*family))
                      : fmt::format("must be 0 to {}", max));
      } else {
        out.payload_bytes = static_cast<std::uint32_t>(*v);
      }
    }
  }
  read_bool(t, path, "dont_fragment", out.dont_fragment);
  if (auto d = read_duration(t, path, "packet_interval", check_packet_interval)) {
    out.packet_interval = *d;
  }
  if (timeout == nullptr || diagnostics_.size() != before) return;
  // The last echo of a round goes out (packets - 1) gaps after the first; it needs the rest
  // of the timeout for its reply.
  const auto spread = out.packet_interval * (out.packets - 1);
  if (spread < *timeout) return;
  const std::string_view key = t.contains("packet_interval") ? "packet_interval"
                               : t.contains("packets")       ? "packets"
                                                             : "timeout";
  report(t.get(key)->source(), join(path, key),
         fmt::format("{} packets {} apart take {}, which must be below timeout {}", out.packets,
                     format_duration(out.packet_interval), format_duration(spread),
                     format_duration(*timeout)));
}

void decoder::decode_http(const toml::table& t, const std::string& path, const http_url* url,
                          probe::http_spec& out) {
  if (const auto* n = t.get("method")) {
    if (auto text = value_of<std::string>(*n, join(path, "method"))) {
      if (*text == "GET" || *text == "HEAD")
        out.method = *text;
      else
        report(n->source(), join(path, "method"),
               fmt::format("invalid method \"{}\" (use GET or HEAD)", *text));
    }
  }
  if (const auto* n = t.get("expected_status"))
    decode_status(*n, join(path, "expected_status"), out);
  if (const auto* n = t.get("body_contains")) {
    if (auto text = value_of<std::string>(*n, join(path, "body_contains"))) {
      if (text->empty())
        report(n->source(), join(path, "body_contains"),
               "must not be empty (leave it out to accept any body)");
      else
        out.body_contains = std::move(*text);
    }
  }
  read_checked(t, path, "ca_file", out.ca_file, check_absolute_path);
  read_checked(t, path, "server_name", out.server_name, check_server_name);
  read_bool(t, path, "insecure_skip_verify", out.insecure_skip_verify);
  if (auto v = read_integer(t, path, "max_body_bytes", 0, max_http_body_bytes)) {
    out.max_body_bytes = static_cast<std::size_t>(*v);
  }
  if (url != nullptr && !url->https) {
    for (const std::string_view key : {"ca_file", "server_name", "insecure_skip_verify"}) {
      if (const auto* n = t.get(key)) {
        report(n->source(), join(path, key), "only for https URLs");
      }
    }
  }
  if (const auto* n = t.get("ca_file"); n != nullptr && out.insecure_skip_verify) {
    report(n->source(), join(path, "ca_file"), "has no effect with insecure_skip_verify = true");
  }
  if (const auto* n = t.get("body_contains");
      n != nullptr && out.body_contains && out.body_contains->size() > out.max_body_bytes) {
    report(n->source(), join(path, "body_contains"),
           fmt::format("is {} bytes, more than max_body_bytes {}: it could never match",
                       out.body_contains->size(), out.max_body_bytes));
  }
}

void decoder::decode_status(const toml::node& n, const std::string& path, probe::http_spec& out) {
  const auto* array = n.as_array();
  if (array == nullptr) return type_error(n, path, "an array");
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    const std::string element_path = index(path, i);
    const auto v = value_of<std::int64_t>(element, element_path);
    if (!v) continue;
    if (*v < 100 || *v > 599) {
      report(element.source(), element_path, "must be 100 to 599");
      continue;
    }
    const auto status = static_cast<unsigned>(*v);
    if (std::find(out.expected_status.begin(), out.expected_status.end(), status) !=
        out.expected_status.end()) {
      report(element.source(), element_path, fmt::format("duplicate status {}", status));
      continue;
    }
    out.expected_status.push_back(status);
  }
}

load_result finish(config c, std::vector<diagnostic> diagnostics) {
  load_result r;
  if (diagnostics.empty()) {
    r.value = std::move(c);
    return r;
  }
  // Decoding goes section by section; a user fixes a file top to bottom.
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const diagnostic& a, const diagnostic& b) {
                     return std::pair{a.line, a.column} < std::pair{b.line, b.column};
                   });
  r.diagnostics = std::move(diagnostics);
  return r;
}

}  // namespace

std::string to_string(const diagnostic& d) {
  if (d.key.empty()) return fmt::format("{}:{}:{}: {}", d.file, d.line, d.column, d.message);
  return fmt::format("{}:{}:{}: {}: {}", d.file, d.line, d.column, d.key, d.message);
}

load_result load_string(std::string_view toml, std::string_view file) {
  toml::table root;
  try {
    root = toml::parse(toml, file);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    load_result r;
    r.diagnostics.push_back({std::string{file}, static_cast<int>(begin.line),
                             static_cast<int>(begin.column), "", std::string{e.description()}});
    return r;
  }
  decoder d{file};
  config c = d.decode(root);
  return finish(std::move(c), d.take_diagnostics());
}

load_result load_file(const std::string& path) {
  const auto fail = [&](int err) {
    load_result r;
    r.diagnostics.push_back(
        {path, 0, 0, "",
         "cannot read file: " + std::error_code(err, std::system_category()).message()});
    return r;
  };
  unique_fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) return fail(errno);
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno);
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    // A config is a few KiB; this stops "--config.file=/dev/zero" from eating memory.
    if (text.size() > max_file_size) {
      load_result r;
      r.diagnostics.push_back({path, 0, 0, "", "cannot read file: larger than 1 MiB"});
      return r;
    }
  }
  return load_string(text, path);
}

}  // namespace wgwatch::config
