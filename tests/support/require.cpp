// SPDX-License-Identifier: MIT
// Skip helpers: capability and PATH checks behind WGWATCH_REQUIRE_*.
#include "support/require.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace wgwatch::test {
namespace {

constexpr int cap_net_admin = 12;
constexpr int cap_sys_admin = 21;

// CapEff from /proc/self/status; 0 when unreadable.
std::uint64_t effective_capabilities() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) return std::strtoull(line.c_str() + 7, nullptr, 16);
  }
  return 0;
}

}  // namespace

std::optional<std::string> missing_root() {
  const auto caps = effective_capabilities();
  const bool has_net = (caps >> cap_net_admin) & 1U;
  const bool has_sys = (caps >> cap_sys_admin) & 1U;
  if (has_net && has_sys) return std::nullopt;
  std::ostringstream why;
  why << "needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network and mount namespaces;"
      << " uid " << ::geteuid() << " lacks " << (has_net ? "" : "CAP_NET_ADMIN ")
      << (has_sys ? "" : "CAP_SYS_ADMIN") << ": run the netns tests as root";
  return why.str();
}

std::optional<std::string> find_program(std::string_view program) {
  if (program.find('/') != std::string_view::npos) {
    if (::access(std::string(program).c_str(), X_OK) == 0) return std::string(program);
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + std::string(program);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

std::optional<std::string> missing_program(std::string_view program) {
  if (find_program(program)) return std::nullopt;
  return std::string(program) + " not found on PATH: install it (Debian: apt-get install " +
         (program == "wg" ? std::string("wireguard-tools")
          : program == "promtool" ? std::string("prometheus")
          : program == "ip" ? std::string("iproute2")
          : program == "ping" ? std::string("iputils-ping")
                           : std::string(program)) +
         ")";
}

}  // namespace wgwatch::test
