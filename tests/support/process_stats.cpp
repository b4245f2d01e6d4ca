// SPDX-License-Identifier: MIT
// /proc readers for the benchmarks.
#include "support/process_stats.hpp"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace wgwatch::test {

double process_cpu_ms(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  double total_ns = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream stat(dir + "/" + e->d_name + "/schedstat");
      double ns = 0;
      if (stat >> ns) total_ns += ns;
    }
    closedir(d);
  }
  return total_ns / 1e6;
}

std::pair<long, long> process_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  long rss = 0, hwm = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atol(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::atol(line.c_str() + 6);
  }
  return {rss, hwm};
}

}  // namespace wgwatch::test
