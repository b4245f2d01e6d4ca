// SPDX-License-Identifier: MIT
// Flag parsing: both value forms, every flag, and the usage errors users will hit.
#include <gtest/gtest.h>

#include <variant>
#include <vector>

#include "cli.hpp"

namespace {

using wgwatch::cli::options;
using wgwatch::cli::usage_error;

std::variant<options, usage_error> parse(std::vector<const char*> args) {
  return wgwatch::cli::parse(args);
}

options parse_ok(std::vector<const char*> args) {
  auto r = parse(std::move(args));
  if (auto* e = std::get_if<usage_error>(&r)) ADD_FAILURE() << e->message;
  return std::get_if<options>(&r) ? std::get<options>(r) : options{};
}

std::string parse_error(std::vector<const char*> args) {
  auto r = parse(std::move(args));
  if (std::holds_alternative<options>(r)) {
    ADD_FAILURE() << "parsed without error";
    return {};
  }
  return std::get<usage_error>(r).message;
}

TEST(Cli, NoFlagsMeansDefaults) {
  auto o = parse_ok({});
  EXPECT_FALSE(o.help);
  EXPECT_FALSE(o.config_check);
  EXPECT_FALSE(o.config_file);
  EXPECT_FALSE(o.listen_address);
  EXPECT_FALSE(o.log_level);
}

TEST(Cli, AcceptsBothValueForms) {
  auto a = parse_ok({"--config.file=/etc/x.toml", "--log.level", "debug"});
  EXPECT_EQ(a.config_file, "/etc/x.toml");
  EXPECT_EQ(a.log_level, wgwatch::log::level::debug);
  auto b = parse_ok({"--config.file", "/etc/y.toml", "--log.level=warn"});
  EXPECT_EQ(b.config_file, "/etc/y.toml");
  EXPECT_EQ(b.log_level, wgwatch::log::level::warn);
}

TEST(Cli, ParsesListenAddresses) {
  auto a = parse_ok({"--web.listen-address=127.0.0.1:0"});
  ASSERT_TRUE(a.listen_address);
  EXPECT_EQ(a.listen_address->host, "127.0.0.1");
  EXPECT_EQ(a.listen_address->port, 0);
  auto b = parse_ok({"--web.listen-address", ":9586"});
  ASSERT_TRUE(b.listen_address);
  EXPECT_EQ(b.listen_address->host, "");
  EXPECT_EQ(b.listen_address->port, 9586);
  auto c = parse_ok({"--web.listen-address=[::1]:9100"});
  ASSERT_TRUE(c.listen_address);
  EXPECT_EQ(c.listen_address->host, "::1");
  EXPECT_EQ(c.listen_address->port, 9100);
}

TEST(Cli, SwitchesAndTelemetryPath) {
  auto o = parse_ok({"--config.check", "--web.telemetry-path=/wg", "--help", "--version"});
  EXPECT_TRUE(o.config_check);
  EXPECT_TRUE(o.help);
  EXPECT_TRUE(o.version);
  EXPECT_EQ(o.telemetry_path, "/wg");
  EXPECT_TRUE(parse_ok({"-h"}).help);
}

TEST(Cli, ReportsUsageErrors) {
  EXPECT_EQ(parse_error({"--nope"}), "unknown flag --nope");
  EXPECT_EQ(parse_error({"--config.file"}), "flag --config.file needs a value");
  EXPECT_EQ(parse_error({"--config.file="}), "flag --config.file: empty path");
  EXPECT_EQ(parse_error({"--config.check=yes"}), "flag --config.check takes no value");
  EXPECT_EQ(parse_error({"--log.level=loud"}),
            "flag --log.level: invalid level \"loud\" (use debug, info, warn or error)");
  EXPECT_EQ(parse_error({"--web.listen-address=localhost"}).rfind("flag --web.listen-address: ", 0), 0u);
  EXPECT_EQ(parse_error({"--web.listen-address=:70000"}).rfind("flag --web.listen-address: ", 0), 0u);
  EXPECT_EQ(parse_error({"--web.telemetry-path=metrics"}).rfind("flag --web.telemetry-path: ", 0), 0u);
  EXPECT_EQ(parse_error({"serve"}), "unknown flag serve");
}

TEST(Cli, FlagsOverrideTheConfig) {
  wgwatch::config::config cfg;
  cfg.web.listen = {"0.0.0.0", 1234};
  cfg.web.telemetry_path = "/a";
  auto o = parse_ok({"--web.listen-address=127.0.0.1:9", "--log.level=error"});
  wgwatch::cli::apply_overrides(o, cfg);
  EXPECT_EQ(cfg.web.listen.host, "127.0.0.1");
  EXPECT_EQ(cfg.web.listen.port, 9);
  EXPECT_EQ(cfg.web.telemetry_path, "/a");
  EXPECT_EQ(cfg.log.level, wgwatch::log::level::error);
}

TEST(Cli, HelpNamesEveryFlagAndTheDefaultPort) {
  const auto help = wgwatch::cli::help_text();
  for (const char* flag : {"--help", "--version", "--config.file", "--config.check",
                           "--web.listen-address", "--web.telemetry-path", "--log.level"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(help.find(":9586"), std::string::npos);
  EXPECT_EQ(wgwatch::cli::version_text().rfind("wgwatch, version ", 0), 0u);
}

}  // namespace
