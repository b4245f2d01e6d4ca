// SPDX-License-Identifier: MIT
// wgwatch: WireGuard tunnel exporter. See application.cpp.
#include <malloc.h>

#include <span>

#include "application.hpp"

int main(int argc, char** argv) {
  // Every scrape allocates the same few large buffers (a 10,000-peer body is 7.6 MB). Served
  // from the heap and kept there between scrapes, they are not mapped, page-faulted and
  // unmapped again each time; the memory kept is bounded by the largest scrape.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  return wgwatch::run(std::span<const char* const>(argv + 1, static_cast<std::size_t>(argc - 1)));
}
