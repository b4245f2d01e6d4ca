// SPDX-License-Identifier: MIT
// What a process costs, read from /proc: CPU time of all its threads and its resident memory.
#pragma once

#include <sys/types.h>

#include <utility>

namespace wgwatch::test {

/// CPU time of every thread of `pid` in ms, from the scheduler's nanosecond accounting
/// (/proc/<pid>/task/*/schedstat).
double process_cpu_ms(pid_t pid);

/// VmRSS and VmHWM (peak) of `pid` in KiB.
std::pair<long, long> process_rss_kib(pid_t pid);

}  // namespace wgwatch::test
