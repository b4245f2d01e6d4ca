// SPDX-License-Identifier: MIT
// load_string / load_file: defaults, every rule with its exact message and position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "config/listen_address.hpp"
#include "config/load.hpp"
#include "support/config_text.hpp"

namespace wgwatch::config {

// gtest prints a mismatching address as text, not bytes.
void PrintTo(const listen_address& a, std::ostream* os) { *os << '"' << to_string(a) << '"'; }

namespace {

using namespace std::chrono_literals;
using test::errors_of;
using test::key_a;
using test::key_b;
using test::valid;
using ::testing::ElementsAre;

void expect_defaults(const config& c) {
  EXPECT_EQ(c.web.listen, (listen_address{"", 9586}));
  EXPECT_EQ(c.web.telemetry_path, "/metrics");
  EXPECT_EQ(c.log.level, log::level::info);
  EXPECT_EQ(c.wireguard.socket_dir, "/var/run/wireguard");
  EXPECT_TRUE(c.wireguard.interfaces.empty());
  EXPECT_EQ(c.wireguard.recent_handshake_window, 180s);
  EXPECT_EQ(c.wireguard.read_timeout, 5s);
  EXPECT_TRUE(c.peers.empty());
  EXPECT_TRUE(c.collectors.wireguard);
  EXPECT_TRUE(c.collectors.link);
  EXPECT_TRUE(c.collectors.probes);
  EXPECT_TRUE(c.tunnels.empty());
}

// --- defaults and a full file ----------------------------------------------------------

TEST(config_load_test, empty_file_gives_all_defaults) {
  const config c = valid("");
  EXPECT_EQ(c.file, "t.toml");
  expect_defaults(c);
}

TEST(config_load_test, empty_sections_give_all_defaults) {
  expect_defaults(valid("[web]\n[log]\n[wireguard]\n[collectors]\n# a comment\n"));
}

TEST(config_load_test, full_file_round_trips_into_the_structs) {
  const std::string text =
      std::string{
          "[web]\n"
          "listen_address = \"[::1]:9100\"\n"
          "telemetry_path = \"/wg/metrics\"\n"
          "[log]\n"
          "level = \"debug\"\n"
          "[wireguard]\n"
          "socket_dir = \"/run/wg\"\n"
          "interfaces = [\"wg0\", \"wg-site.b\"]\n"
          "recent_handshake_window = \"1h30m\"\n"
          "read_timeout = \"250ms\"\n"
          "[collectors]\n"
          "wireguard = false\n"
          "link = false\n"
          "probes = false\n"
          "[[peer]]\n"
          "public_key = \""} +
      std::string{key_a} +
      "\"\n"
      "name = \"site-b\"\n"
      "[[peer]]\n"
      "public_key = \"" +
      std::string{key_b} +
      "\"\n"
      "name = \"Büro Köln\"\n";
  const config c = valid(text);
  EXPECT_EQ(c.web.listen, (listen_address{"::1", 9100}));
  EXPECT_EQ(c.web.telemetry_path, "/wg/metrics");
  EXPECT_EQ(c.log.level, log::level::debug);
  EXPECT_EQ(c.wireguard.socket_dir, "/run/wg");
  EXPECT_THAT(c.wireguard.interfaces, ElementsAre("wg0", "wg-site.b"));
  EXPECT_EQ(c.wireguard.recent_handshake_window, 90min);
  EXPECT_EQ(c.wireguard.read_timeout, 250ms);
  EXPECT_FALSE(c.collectors.wireguard);
  EXPECT_FALSE(c.collectors.link);
  EXPECT_FALSE(c.collectors.probes);
  ASSERT_EQ(c.peers.size(), 2U);
  EXPECT_EQ(wg::to_base64(c.peers[0].public_key), key_a);
  EXPECT_EQ(c.peers[0].name, "site-b");
  EXPECT_EQ(wg::to_base64(c.peers[1].public_key), key_b);
  EXPECT_EQ(c.peers[1].name, "Büro Köln");
}

TEST(config_load_test, inline_tables_and_dotted_keys_are_accepted) {
  const config c = valid(std::string{"web.telemetry_path = \"/m\"\npeer = [{public_key = \""} +
                         std::string{key_a} + "\", name = \"x\"}]\n");
  EXPECT_EQ(c.web.telemetry_path, "/m");
  ASSERT_EQ(c.peers.size(), 1U);
  EXPECT_EQ(c.peers[0].name, "x");
}

TEST(config_load_test, every_log_level_is_accepted) {
  EXPECT_EQ(valid("log.level = \"debug\"").log.level, log::level::debug);
  EXPECT_EQ(valid("log.level = \"info\"").log.level, log::level::info);
  EXPECT_EQ(valid("log.level = \"warn\"").log.level, log::level::warn);
  EXPECT_EQ(valid("log.level = \"error\"").log.level, log::level::error);
}

TEST(config_load_test, listen_address_forms_are_accepted) {
  EXPECT_EQ(valid("web.listen_address = \":9586\"").web.listen, (listen_address{"", 9586}));
  EXPECT_EQ(valid("web.listen_address = \"0.0.0.0:0\"").web.listen, (listen_address{"0.0.0.0", 0}));
  EXPECT_EQ(valid("web.listen_address = \"localhost:1\"").web.listen,
            (listen_address{"localhost", 1}));
}

TEST(config_load_test, empty_interface_list_means_every_interface) {
  EXPECT_TRUE(valid("[wireguard]\ninterfaces = []\n").wireguard.interfaces.empty());
}

TEST(config_load_test, duration_range_bounds_are_inclusive) {
  const config low =
      valid("[wireguard]\nrecent_handshake_window = \"1s\"\nread_timeout = \"10ms\"\n");
  EXPECT_EQ(low.wireguard.recent_handshake_window, 1s);
  EXPECT_EQ(low.wireguard.read_timeout, 10ms);
  const config high =
      valid("[wireguard]\nrecent_handshake_window = \"1d\"\nread_timeout = \"1m\"\n");
  EXPECT_EQ(high.wireguard.recent_handshake_window, 24h);
  EXPECT_EQ(high.wireguard.read_timeout, 60s);
}

// --- syntax errors --------------------------------------------------------------------

TEST(config_load_test, syntax_error_has_position_and_no_key) {
  const load_result r = load_string("[web]\nlisten_address = \":1\"\n[log\n", "t.toml");
  EXPECT_FALSE(r.value.has_value());
  ASSERT_EQ(r.diagnostics.size(), 1U);
  const diagnostic& d = r.diagnostics[0];
  EXPECT_EQ(d.file, "t.toml");
  EXPECT_EQ(d.line, 3);
  EXPECT_GT(d.column, 0);
  EXPECT_EQ(d.key, "");
  EXPECT_FALSE(d.message.empty());
  EXPECT_EQ(to_string(d), "t.toml:3:" + std::to_string(d.column) + ": " + d.message);
}

TEST(config_load_test, duplicate_toml_key_is_a_syntax_error) {
  const load_result r = load_string("[log]\nlevel = \"info\"\nlevel = \"debug\"\n", "t.toml");
  ASSERT_EQ(r.diagnostics.size(), 1U);
  EXPECT_EQ(r.diagnostics[0].line, 3);
  EXPECT_EQ(r.diagnostics[0].key, "");
}

// --- types ------------------------------------------------------------------------------

TEST(config_load_test, wrong_types_name_expected_and_actual) {
  EXPECT_THAT(errors_of("[web]\nlisten_address = 9586\n"),
              ElementsAre("t.toml:2:18: web.listen_address: expected a string, got an integer"));
  EXPECT_THAT(errors_of("[web]\ntelemetry_path = 1.5\n"),
              ElementsAre("t.toml:2:18: web.telemetry_path: expected a string, got a float"));
  EXPECT_THAT(errors_of("[log]\nlevel = true\n"),
              ElementsAre("t.toml:2:9: log.level: expected a string, got a boolean"));
  EXPECT_THAT(
      errors_of("[wireguard]\nread_timeout = 5\n"),
      ElementsAre("t.toml:2:16: wireguard.read_timeout: expected a string, got an integer"));
  EXPECT_THAT(errors_of("[wireguard]\nsocket_dir = 1979-05-27\n"),
              ElementsAre("t.toml:2:14: wireguard.socket_dir: expected a string, got a date"));
  EXPECT_THAT(errors_of("[collectors]\nlink = \"yes\"\n"),
              ElementsAre("t.toml:2:8: collectors.link: expected a boolean, got a string"));
  EXPECT_THAT(errors_of("[collectors]\nwireguard = [true]\n"),
              ElementsAre("t.toml:2:13: collectors.wireguard: expected a boolean, got an array"));
}

TEST(config_load_test, sections_must_be_tables) {
  EXPECT_THAT(errors_of("web = 1\n"),
              ElementsAre("t.toml:1:7: web: expected a table, got an integer"));
  EXPECT_THAT(errors_of("wireguard = \"x\"\n"),
              ElementsAre("t.toml:1:13: wireguard: expected a table, got a string"));
}

// --- unknown keys -----------------------------------------------------------------------

TEST(config_load_test, unknown_keys_are_rejected_with_their_position) {
  EXPECT_THAT(errors_of("[web]\nport = 1\n"), ElementsAre("t.toml:2:1: web.port: unknown key"));
  EXPECT_THAT(errors_of("\n[metrics]\n"), ElementsAre("t.toml:2:2: metrics: unknown key"));
  EXPECT_THAT(errors_of("[collectors]\nprobe = true\n"),
              ElementsAre("t.toml:2:1: collectors.probe: unknown key (did you mean \"probes\"?)"));
  EXPECT_THAT(errors_of("[collectors]\ntunnels = true\n"),
              ElementsAre("t.toml:2:1: collectors.tunnels: unknown key"));
  EXPECT_THAT(errors_of("[web]\n\"a b\" = 1\n"),
              ElementsAre("t.toml:2:1: web.\"a b\": unknown key"));
}

TEST(config_load_test, unknown_key_close_to_a_known_one_gets_a_suggestion) {
  EXPECT_THAT(
      errors_of("[web]\n  listen_adress = \":1\"\n"),
      ElementsAre("t.toml:2:3: web.listen_adress: unknown key (did you mean \"listen_address\"?)"));
  EXPECT_THAT(
      errors_of("[wireguard]\ninterface = []\n"),
      ElementsAre("t.toml:2:1: wireguard.interface: unknown key (did you mean \"interfaces\"?)"));
  EXPECT_THAT(errors_of("[[peers]]\n"),
              ElementsAre("t.toml:1:3: peers: unknown key (did you mean \"peer\"?)"));
}

TEST(config_load_test, tunnel_must_be_an_array_of_tables) {
  EXPECT_THAT(errors_of("tunnel = 1\n"),
              ElementsAre("t.toml:1:10: tunnel: expected an array of tables ([[tunnel]]), got an "
                          "integer"));
  EXPECT_THAT(errors_of("[tunnels]\n"),
              ElementsAre("t.toml:1:2: tunnels: unknown key (did you mean \"tunnel\"?)"));
}

// --- values -----------------------------------------------------------------------------

TEST(config_load_test, invalid_listen_address_is_rejected) {
  EXPECT_THAT(errors_of("[web]\nlisten_address = \":70000\"\n"),
              ElementsAre("t.toml:2:18: web.listen_address: invalid listen address \":70000\": "
                          "port 70000 out of range (0-65535)"));
  EXPECT_THAT(errors_of("[web]\nlisten_address = \"9586\"\n"),
              ElementsAre("t.toml:2:18: web.listen_address: invalid listen address \"9586\": "
                          "missing port (expected host:port, [v6]:port or :port)"));
}

TEST(config_load_test, telemetry_path_must_start_with_a_slash) {
  EXPECT_THAT(errors_of("[web]\ntelemetry_path = \"metrics\"\n"),
              ElementsAre("t.toml:2:18: web.telemetry_path: must start with \"/\""));
  EXPECT_THAT(errors_of("[web]\ntelemetry_path = \"\"\n"),
              ElementsAre("t.toml:2:18: web.telemetry_path: must start with \"/\""));
  EXPECT_THAT(errors_of("[web]\ntelemetry_path = \"/a b\"\n"),
              ElementsAre("t.toml:2:18: web.telemetry_path: must not contain whitespace or "
                          "control characters"));
}

TEST(config_load_test, invalid_log_level_lists_the_valid_ones) {
  EXPECT_THAT(errors_of("[log]\nlevel = \"verbose\"\n"),
              ElementsAre("t.toml:2:9: log.level: invalid level \"verbose\" "
                          "(use debug, info, warn or error)"));
  EXPECT_THAT(errors_of("[log]\nlevel = \"INFO\"\n"),
              ElementsAre("t.toml:2:9: log.level: invalid level \"INFO\" "
                          "(use debug, info, warn or error)"));
}

TEST(config_load_test, socket_dir_must_be_absolute) {
  EXPECT_THAT(errors_of("[wireguard]\nsocket_dir = \"run/wireguard\"\n"),
              ElementsAre("t.toml:2:14: wireguard.socket_dir: must be an absolute path"));
  EXPECT_THAT(errors_of("[wireguard]\nsocket_dir = \"\"\n"),
              ElementsAre("t.toml:2:14: wireguard.socket_dir: must be an absolute path"));
}

TEST(config_load_test, invalid_duration_quotes_the_text_and_the_reason) {
  EXPECT_THAT(errors_of("[wireguard]\nread_timeout = \"5x\"\n"),
              ElementsAre("t.toml:2:16: wireguard.read_timeout: invalid duration \"5x\": "
                          "unknown unit \"x\" (use ms, s, m, h or d)"));
  EXPECT_THAT(errors_of("[wireguard]\nrecent_handshake_window = \"180\"\n"),
              ElementsAre("t.toml:2:27: wireguard.recent_handshake_window: invalid duration "
                          "\"180\": missing unit after \"180\" (use ms, s, m, h or d)"));
}

TEST(config_load_test, durations_out_of_range_are_rejected) {
  EXPECT_THAT(errors_of("[wireguard]\nrecent_handshake_window = \"999ms\"\n"),
              ElementsAre("t.toml:2:27: wireguard.recent_handshake_window: must be at least 1s"));
  EXPECT_THAT(errors_of("[wireguard]\nrecent_handshake_window = \"24h1s\"\n"),
              ElementsAre("t.toml:2:27: wireguard.recent_handshake_window: must be at most 1d"));
  EXPECT_THAT(errors_of("[wireguard]\nrecent_handshake_window = \"1s500ms\"\n"),
              ElementsAre("t.toml:2:27: wireguard.recent_handshake_window: "
                          "must be a whole number of seconds"));
  EXPECT_THAT(errors_of("[wireguard]\nread_timeout = \"9ms\"\n"),
              ElementsAre("t.toml:2:16: wireguard.read_timeout: must be at least 10ms"));
  EXPECT_THAT(errors_of("[wireguard]\nread_timeout = \"0\"\n"),
              ElementsAre("t.toml:2:16: wireguard.read_timeout: must be at least 10ms"));
  EXPECT_THAT(errors_of("[wireguard]\nread_timeout = \"1m1ms\"\n"),
              ElementsAre("t.toml:2:16: wireguard.read_timeout: must be at most 1m"));
}

TEST(config_load_test, interfaces_must_be_an_array_of_strings) {
  EXPECT_THAT(errors_of("[wireguard]\ninterfaces = \"wg0\"\n"),
              ElementsAre("t.toml:2:14: wireguard.interfaces: expected an array, got a string"));
  EXPECT_THAT(
      errors_of("[wireguard]\ninterfaces = [\"wg0\", \"wg1\", 2]\n"),
      ElementsAre("t.toml:2:29: wireguard.interfaces[2]: expected a string, got an integer"));
}

TEST(config_load_test, interface_names_follow_linux_rules) {
  EXPECT_THAT(
      errors_of("[wireguard]\ninterfaces = [\"\", \"abcdefghijklmnop\", \"a/b\", \"a b\", \".\", "
                "\"..\", \"wg0:1\", \"abcdefghijklmno\"]\n"),
      ElementsAre(
          "t.toml:2:15: wireguard.interfaces[0]: invalid interface name \"\": must be 1 to 15 "
          "characters",
          "t.toml:2:19: wireguard.interfaces[1]: invalid interface name \"abcdefghijklmnop\": "
          "must be 1 to 15 characters",
          "t.toml:2:39: wireguard.interfaces[2]: invalid interface name \"a/b\": must not contain "
          "\"/\"",
          "t.toml:2:46: wireguard.interfaces[3]: invalid interface name \"a b\": "
          "must not contain whitespace",
          "t.toml:2:53: wireguard.interfaces[4]: invalid interface name \".\": must not be \".\" "
          "or \"..\"",
          "t.toml:2:58: wireguard.interfaces[5]: invalid interface name \"..\": must not be \".\" "
          "or \"..\"",
          "t.toml:2:64: wireguard.interfaces[6]: invalid interface name \"wg0:1\": must not "
          "contain \":\""));
}

TEST(config_load_test, duplicate_interfaces_are_rejected) {
  EXPECT_THAT(errors_of("[wireguard]\ninterfaces = [\"wg0\", \"wg1\", \"wg0\", \"wg0\"]\n"),
              ElementsAre("t.toml:2:29: wireguard.interfaces[2]: duplicate interface \"wg0\" "
                          "(first at line 2, column 15)",
                          "t.toml:2:36: wireguard.interfaces[3]: duplicate interface \"wg0\" "
                          "(first at line 2, column 15)"));
}

// --- peers ------------------------------------------------------------------------------

std::string peer(std::string_view key, std::string_view name) {
  return std::string{"[[peer]]\npublic_key = \""} + std::string{key} + "\"\nname = \"" +
         std::string{name} + "\"\n";
}

TEST(config_load_test, peer_requires_key_and_name) {
  EXPECT_THAT(errors_of("[[peer]]\nname = \"x\"\n[[peer]]\n"),
              ElementsAre("t.toml:1:1: peer[0]: missing required key \"public_key\"",
                          "t.toml:3:1: peer[1]: missing required key \"public_key\"",
                          "t.toml:3:1: peer[1]: missing required key \"name\""));
}

TEST(config_load_test, peer_public_key_must_be_a_wireguard_key) {
  EXPECT_THAT(errors_of(peer("not-a-key", "x")),
              ElementsAre("t.toml:2:14: peer[0].public_key: not a WireGuard public key "
                          "(expected 44 characters of base64)"));
  // 44 characters, but the padding bits are set: not canonical base64.
  EXPECT_THAT(errors_of(peer("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", "x")),
              ElementsAre("t.toml:2:14: peer[0].public_key: not a WireGuard public key "
                          "(expected 44 characters of base64)"));
  EXPECT_THAT(errors_of("[[peer]]\npublic_key = 5\nname = \"x\"\n"),
              ElementsAre("t.toml:2:14: peer[0].public_key: expected a string, got an integer"));
}

TEST(config_load_test, peer_name_must_not_be_empty) {
  EXPECT_THAT(errors_of(peer(key_a, "")),
              ElementsAre("t.toml:3:8: peer[0].name: must not be empty"));
  EXPECT_THAT(errors_of(peer(key_a, "a\\tb")),
              ElementsAre("t.toml:3:8: peer[0].name: must not contain control characters"));
}

TEST(config_load_test, duplicate_public_key_is_an_error) {
  EXPECT_THAT(errors_of(peer(key_a, "one") + peer(key_b, "two") + peer(key_a, "three")),
              ElementsAre("t.toml:8:14: peer[2].public_key: duplicate public key "
                          "(first at peer[0], line 2)"));
}

TEST(config_load_test, same_name_for_different_keys_is_allowed) {
  EXPECT_EQ(valid(peer(key_a, "site") + peer(key_b, "site")).peers.size(), 2U);
}

TEST(config_load_test, peer_keys_are_checked) {
  EXPECT_THAT(errors_of(peer(key_a, "x") + "endpoint = \"1.2.3.4:51820\"\n"),
              ElementsAre("t.toml:4:1: peer[0].endpoint: unknown key"));
}

TEST(config_load_test, peer_must_be_an_array_of_tables) {
  EXPECT_THAT(errors_of("[peer]\nname = \"x\"\n"),
              ElementsAre("t.toml:1:1: peer: expected an array of tables ([[peer]]), got a table"));
  EXPECT_THAT(errors_of("peer = [1]\n"),
              ElementsAre("t.toml:1:9: peer[0]: expected a table, got an integer"));
}

// --- all errors, nothing half-applied --------------------------------------------------

TEST(config_load_test, every_error_in_a_file_is_reported_in_file_order) {
  const std::string text =
      std::string{
          "[[tunnel]]\n"                        // 1
          "[web]\n"                             // 2
          "listen_address = \"[::1]\"\n"        // 3
          "telemetry_path = \"metrics\"\n"      // 4
          "[log]\n"                             // 5
          "level = 3\n"                         // 6
          "[wireguard]\n"                       // 7
          "interfaces = [\"wg0\", \"wg0\"]\n"   // 8
          "read_timeout = \"2m\"\n"             // 9
          "recent_handshake_window = \"5x\"\n"  // 10
          "colour = true\n"                     // 11
          "[collectors]\n"                      // 12
          "link = 1\n"} +                       // 13
      peer(key_a, "") +                         // 14-16
      peer(key_a, "b");                         // 17-19
  EXPECT_THAT(
      errors_of(text),
      ElementsAre(
          "t.toml:1:1: tunnel[0]: missing required key \"interface\"",
          "t.toml:1:1: tunnel[0]: missing required key \"role\"",
          "t.toml:1:1: tunnel[0]: missing required key \"probe\"",
          "t.toml:3:18: web.listen_address: invalid listen address \"[::1]\": missing port "
          "(expected host:port, [v6]:port or :port)",
          "t.toml:4:18: web.telemetry_path: must start with \"/\"",
          "t.toml:6:9: log.level: expected a string, got an integer",
          "t.toml:8:22: wireguard.interfaces[1]: duplicate interface \"wg0\" (first at line 8, "
          "column 15)",
          "t.toml:9:16: wireguard.read_timeout: must be at most 1m",
          "t.toml:10:27: wireguard.recent_handshake_window: invalid duration \"5x\": unknown unit "
          "\"x\" (use ms, s, m, h or d)",
          "t.toml:11:1: wireguard.colour: unknown key",
          "t.toml:13:8: collectors.link: expected a boolean, got an integer",
          "t.toml:16:8: peer[0].name: must not be empty"));
}

TEST(config_load_test, one_error_leaves_no_value) {
  const load_result r =
      load_string("[web]\nlisten_address = \"127.0.0.1:1\"\n[log]\nlevel = \"x\"\n", "t.toml");
  EXPECT_FALSE(r.value.has_value());
  EXPECT_EQ(r.diagnostics.size(), 1U);
}

TEST(config_load_test, diagnostic_formats_with_and_without_key) {
  EXPECT_EQ(to_string(diagnostic{"a.toml", 12, 7, "wireguard.socket_dir",
                                 "expected a string, got an integer"}),
            "a.toml:12:7: wireguard.socket_dir: expected a string, got an integer");
  EXPECT_EQ(to_string(diagnostic{"a.toml", 3, 1, "", "unexpected end"}),
            "a.toml:3:1: unexpected end");
}

// --- files ------------------------------------------------------------------------------

class temp_file {
 public:
  explicit temp_file(std::string_view content) {
    char name[] = "/tmp/wgwatch-config-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    ::close(fd);
    path_ = name;
    std::ofstream{path_} << content;
  }
  ~temp_file() { std::remove(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(config_load_test, load_file_reads_a_file_and_names_it) {
  const temp_file f{"[log]\nlevel = \"warn\"\n[web]\nport = 1\n"};
  const load_result bad = load_file(f.path());
  ASSERT_EQ(bad.diagnostics.size(), 1U);
  EXPECT_EQ(to_string(bad.diagnostics[0]), f.path() + ":4:1: web.port: unknown key");

  const temp_file g{"[log]\nlevel = \"warn\"\n"};
  const load_result good = load_file(g.path());
  ASSERT_TRUE(good.value.has_value());
  EXPECT_EQ(good.value->file, g.path());
  EXPECT_EQ(good.value->log.level, log::level::warn);
}

TEST(config_load_test, missing_file_is_one_diagnostic) {
  const load_result r = load_file("/nonexistent/wgwatch.toml");
  EXPECT_FALSE(r.value.has_value());
  ASSERT_EQ(r.diagnostics.size(), 1U);
  EXPECT_EQ(to_string(r.diagnostics[0]),
            "/nonexistent/wgwatch.toml:0:0: cannot read file: No such file or directory");
}

TEST(config_load_test, directory_is_one_diagnostic) {
  const load_result r = load_file("/tmp");
  ASSERT_EQ(r.diagnostics.size(), 1U);
  EXPECT_EQ(to_string(r.diagnostics[0]), "/tmp:0:0: cannot read file: Is a directory");
}

TEST(config_load_test, oversized_file_is_one_diagnostic) {
  const temp_file f{std::string((1 << 20) + 1, '#')};
  const load_result r = load_file(f.path());
  ASSERT_EQ(r.diagnostics.size(), 1U);
  EXPECT_EQ(to_string(r.diagnostics[0]), f.path() + ":0:0: cannot read file: larger than 1 MiB");
  // Exactly 1 MiB of comment is still read.
  const temp_file g{std::string(1 << 20, '#')};
  EXPECT_TRUE(load_file(g.path()).value.has_value());
}

// --- the packaged example ---------------------------------------------------------------

std::string example_config() {
  std::ifstream in{std::string{WGWATCH_SOURCE_DIR} + "/packaging/config/wgwatch.toml"};
  EXPECT_TRUE(in.good()) << "cannot open the example config";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(config_load_test, example_config_loads_cleanly_as_the_defaults) {
  const std::string text = example_config();
  ASSERT_FALSE(text.empty());
  expect_defaults(valid(text));
}

// Every commented-out "key = value" line of the example is its default: uncommented, the
// file must load and still give the defaults, so the documentation cannot drift. The
// [[peer]] and [[tunnel]] examples (no defaults: they hold required keys) are collected apart.
TEST(config_load_test, example_config_commented_defaults_are_the_defaults) {
  std::istringstream in{example_config()};
  std::string text;
  std::string peer_lines;
  std::string tunnel_lines;
  enum { settings, peer, tunnel } section = settings;
  int uncommented = 0;
  for (std::string line; std::getline(in, line);) {
    const bool setting = line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos &&
                         line.find_first_of(" ", 2) == line.find(" = ");
    const bool header = line == "# [[peer]]" || line == "# [[tunnel]]" ||
                        line == "# [tunnel.health]" || line == "# [[tunnel.probe]]";
    if (line == "# [[peer]]") section = peer;
    if (line == "# [[tunnel]]") section = tunnel;
    if (section != settings && (setting || header)) {
      (section == peer ? peer_lines : tunnel_lines) += line.substr(2) + "\n";
      continue;
    }
    if (setting) {
      line = line.substr(2);
      ++uncommented;
    }
    text += line + "\n";
  }
  EXPECT_EQ(uncommented, 10);  // every key of [web], [log], [wireguard] and [collectors]
  expect_defaults(valid(text));

  // The [[peer]] example, uncommented, is a valid peer.
  const config c = valid(text + peer_lines);
  ASSERT_EQ(c.peers.size(), 1U);
  EXPECT_EQ(c.peers[0].name, "site-b");

  // The [[tunnel]] example, uncommented, is a valid wg0 primary / wg1 standby pair.
  const config t = valid(text + tunnel_lines);
  ASSERT_EQ(t.tunnels.size(), 2U);
  EXPECT_EQ(t.tunnels[0].interface, "wg0");
  EXPECT_EQ(t.tunnels[0].role, tunnel_role::primary);
  EXPECT_EQ(t.tunnels[0].health, health_config{});  // the example shows the defaults
  EXPECT_EQ(t.tunnels[0].probes.size(), 4U);
  EXPECT_EQ(t.tunnels[1].interface, "wg1");
  EXPECT_EQ(t.tunnels[1].role, tunnel_role::standby);
  EXPECT_EQ(t.tunnels[1].fwmark, 0x51U);
  EXPECT_EQ(t.tunnels[1].probes.size(), 2U);
}

}  // namespace
}  // namespace wgwatch::config
