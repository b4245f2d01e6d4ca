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
#include <initializer_list>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "config/duration.hpp"
#include "config/listen_address.hpp"
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

  void decode_web(const toml::table& t, web_config& out);
  void decode_log(const toml::table& t, log_config& out);
  void decode_wireguard(const toml::table& t, wireguard_config& out);
  void decode_interfaces(const toml::node& n, std::vector<std::string>& out);
  void decode_collectors(const toml::table& t, collectors_config& out);
  void decode_peers(const toml::node& n, std::vector<peer_name>& out);
  std::optional<peer_name> decode_peer(const toml::table& t, const std::string& path);

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
      // Reserved for the tunnel probes of the next release; rejecting it now keeps a config
      // written for that release from being half-understood by this one.
      report(key.source(), path,
             "[[tunnel]] is not supported yet (tunnel probes come in a later release)");
    } else {
      report(key.source(), path,
             unknown_key_message(key.str(), {"web", "log", "wireguard", "collectors", "peer"}));
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
  reject_unknown(t, "collectors", {"wireguard", "link"});
  read_bool(t, "collectors", "wireguard", out.wireguard);
  read_bool(t, "collectors", "link", out.link);
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
