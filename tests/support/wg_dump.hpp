// SPDX-License-Identifier: MIT
// `wg show all dump` as data, and the assertion that an agent's exposition equals it.
#pragma once

#include <ctime>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "support/agent_process.hpp"
#include "support/exposition.hpp"

namespace wgwatch::test {

/// One peer line of `wg show all dump`, as printed.
struct dump_peer {
  std::string endpoint;  // "" for "(none)"
  std::set<std::string> allowed_ips;
  std::string latest_handshake;
  std::string rx_bytes;
  std::string tx_bytes;
  std::string keepalive;  // "0" for "off"

  friend bool operator==(const dump_peer&, const dump_peer&) = default;
};

struct dump_device {
  std::string public_key;
  std::string listen_port;
  std::map<std::string, dump_peer> peers;  // by public key

  friend bool operator==(const dump_device&, const dump_device&) = default;
};

/// By device name.
using wg_dump = std::map<std::string, dump_device>;

/// `text` cut at every `sep` (empty fields kept).
std::vector<std::string> split(std::string_view text, char sep);

/// `wg show all dump` in the current namespace, keeping only `devices` (the socket directory
/// is shared by every namespace, so userspace devices of other namespaces show up too).
/// Unexpected lines are gtest failures.
wg_dump read_wg_dump(const std::set<std::string>& devices);

/// A scrape that two equal `wg show all dump`s bracket, so counters did not move under it.
struct bracketed_scrape {
  wg_dump dump;
  std::string body;
  std::time_t scraped_at = 0;
};

/// Scrapes `agent` until the dumps before and after agree (counters move with keepalives
/// and rekeys). Throws std::runtime_error after `attempts` tries or on a non-200 scrape.
bracketed_scrape scrape_between_equal_dumps(const agent_process& agent,
                                            const std::set<std::string>& devices,
                                            int attempts = 50);

/// gtest expectations: every device of `expected` is exported with the values the dump
/// shows (public key, listen port, peer count, endpoints, allowed IPs as sets, handshake,
/// rx/tx, keepalive, handshake age relative to `scraped_at`), with backend label `backend`.
void expect_exposition_matches_dump(const exposition& e, const wg_dump& expected,
                                    std::string_view backend, std::time_t scraped_at);

}  // namespace wgwatch::test
