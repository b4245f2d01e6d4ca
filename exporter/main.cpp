// SPDX-License-Identifier: MIT
// wgwatch: WireGuard tunnel exporter. See application.cpp.
#include <span>

#include "application.hpp"

int main(int argc, char** argv) {
  return wgwatch::run(std::span<const char* const>(argv + 1, static_cast<std::size_t>(argc - 1)));
}
