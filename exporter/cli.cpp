// SPDX-License-Identifier: MIT
// Flag parsing and the help and version texts.
#include "cli.hpp"

#include <fmt/format.h>

#include "config/listen_address.hpp"
#include "config/validate.hpp"
#include "version.hpp"

namespace wgwatch::cli {
namespace {

/// Splits "--name=value" into name and value; value is nullopt without '='.
std::pair<std::string_view, std::optional<std::string_view>> split_flag(std::string_view arg) {
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos) return {arg, std::nullopt};
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

}  // namespace

std::variant<options, usage_error> parse(std::span<const char* const> args) {
  options opts;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    auto [name, inline_value] = split_flag(arg);
    const auto is_switch = [&](std::string_view flag) { return name == flag; };

    if (is_switch("--help") || is_switch("-h")) {
      opts.help = true;
      continue;
    }
    if (is_switch("--version")) {
      opts.version = true;
      continue;
    }
    if (is_switch("--config.check")) {
      if (inline_value) return usage_error{"flag --config.check takes no value"};
      opts.config_check = true;
      continue;
    }

    const bool takes_value = name == "--config.file" || name == "--web.listen-address" ||
                             name == "--web.telemetry-path" || name == "--log.level";
    if (!takes_value) return usage_error{fmt::format("unknown flag {}", name)};
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return usage_error{fmt::format("flag {} needs a value", name)};
    }

    if (name == "--config.file") {
      if (value.empty()) return usage_error{"flag --config.file: empty path"};
      opts.config_file = std::string(value);
    } else if (name == "--web.listen-address") {
      std::string error;
      auto parsed = config::parse_listen_address(value, &error);
      if (!parsed) return usage_error{fmt::format("flag --web.listen-address: {}", error)};
      opts.listen_address = *parsed;
    } else if (name == "--web.telemetry-path") {
      if (auto error = config::check_telemetry_path(value)) {
        return usage_error{fmt::format("flag --web.telemetry-path: {}", *error)};
      }
      opts.telemetry_path = std::string(value);
    } else {
      auto level = log::parse_level(value);
      if (!level) {
        return usage_error{fmt::format(
            "flag --log.level: invalid level \"{}\" (use debug, info, warn or error)", value)};
      }
      opts.log_level = *level;
    }
  }
  return opts;
}

std::string help_text() {
  return fmt::format(
      "usage: wgwatch [<flags>]\n"
      "\n"
      "Exports WireGuard device, peer and interface state to Prometheus, read natively\n"
      "(kernel generic netlink and the userspace UAPI socket).\n"
      "\n"
      "Flags:\n"
      "  -h, --help                  Show this help and exit.\n"
      "      --version               Show the version and exit.\n"
      "      --config.file=PATH      TOML config file. Without one, defaults apply and every\n"
      "                              WireGuard interface visible is watched.\n"
      "      --config.check          Validate the config file and exit (0 valid, 2 invalid).\n"
      "      --web.listen-address=ADDR\n"
      "                              Address to listen on: host:port, [v6]:port or :port\n"
      "                              (default \":{}\"; overrides web.listen_address).\n"
      "      --web.telemetry-path=PATH\n"
      "                              Path under which metrics are served (default \"{}\").\n"
      "      --log.level=LEVEL       debug, info, warn or error (default \"{}\").\n"
      "\n"
      "Exit status: 0 success, 1 runtime failure, 2 usage or config error.\n",
      config::defaults::listen_port, config::defaults::telemetry_path,
      log::to_string(config::defaults::log_level));
}

std::string version_text() {
  return fmt::format("wgwatch, version {} (revision {})\n", build::version, build::revision);
}

void apply_overrides(const options& opts, config::config& cfg) {
  if (opts.listen_address) cfg.web.listen = *opts.listen_address;
  if (opts.telemetry_path) cfg.web.telemetry_path = *opts.telemetry_path;
  if (opts.log_level) cfg.log.level = *opts.log_level;
}

}  // namespace wgwatch::cli
