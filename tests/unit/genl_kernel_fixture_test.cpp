// SPDX-License-Identifier: MIT
// parse_genl_dump over a dump the real kernel (6.1) split across messages, captured in the
// QEMU guest by tests/kernel/capture-fixtures.sh, against `wg show <dev> dump` of the device.
#include <gtest/gtest.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/genl_builder.hpp"
#include "support/wg_dump.hpp"
#include "wireguard/genl_parse.hpp"
#include "wireguard/key.hpp"

namespace wgwatch::test {
namespace {

// The concatenated messages of the fixture, cut at each nlmsg_len (4-byte aligned).
std::vector<buffer> split_messages(const std::string& bytes) {
  std::vector<buffer> messages;
  std::size_t at = 0;
  while (at + sizeof(nlmsghdr) <= bytes.size()) {
    nlmsghdr h{};
    std::memcpy(&h, bytes.data() + at, sizeof h);
    if (h.nlmsg_len < sizeof h || at + h.nlmsg_len > bytes.size()) break;
    messages.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                          bytes.begin() + static_cast<std::ptrdiff_t>(at + h.nlmsg_len));
    at += NLMSG_ALIGN(h.nlmsg_len);
  }
  EXPECT_EQ(at, bytes.size()) << "trailing bytes in the fixture";
  return messages;
}

TEST(genl_kernel_fixture, split_dump_parses_to_what_wg_shows) {
  const auto messages = split_messages(read_fixture("genl/kernel-split-dump.bin"));
  ASSERT_GE(messages.size(), 2u) << "the fixture is meant to be a split dump";
  auto dev = wg::parse_genl_dump(messages);
  ASSERT_TRUE(dev) << dev.error().message();

  // `wg show <dev> dump`: "private public port fwmark", then one line per peer:
  // "public psk endpoint allowed-ips handshake rx tx keepalive".
  const auto lines = split(read_fixture("genl/kernel-split-dump.wg-dump"), '\n');
  ASSERT_GE(lines.size(), 2u);
  const auto head = split(lines[0], '\t');
  ASSERT_EQ(head.size(), 4u);
  ASSERT_TRUE(dev->public_key);
  EXPECT_EQ(wg::to_base64(*dev->public_key), head[1]);
  EXPECT_EQ(std::to_string(dev->listen_port), head[2]);
  EXPECT_EQ(dev->name, "wgcapture");

  std::map<std::string, const wg::peer*> parsed;
  for (const auto& p : dev->peers) {
    EXPECT_TRUE(parsed.emplace(wg::to_base64(p.public_key), &p).second) << "peer listed twice";
  }
  std::size_t expected_peers = 0;
  std::size_t widest = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const auto f = split(lines[i], '\t');
    ASSERT_EQ(f.size(), 8u) << lines[i];
    ++expected_peers;
    SCOPED_TRACE("peer " + f[0]);
    const auto it = parsed.find(f[0]);
    ASSERT_NE(it, parsed.end());
    const auto& p = *it->second;
    EXPECT_EQ(p.endpoint ? wg::to_string(*p.endpoint) : "(none)", f[2]);
    std::set<std::string> allowed;
    for (const auto& a : p.allowed_ips) allowed.insert(wg::to_string(a));
    EXPECT_EQ(allowed.size(), p.allowed_ips.size()) << "an allowed IP listed twice";
    const auto wanted = split(f[3], ',');
    EXPECT_EQ(allowed, std::set<std::string>(wanted.begin(), wanted.end()));
    widest = std::max(widest, allowed.size());
    EXPECT_EQ(f[4], "0");
    EXPECT_FALSE(p.last_handshake);
    EXPECT_EQ(std::to_string(p.rx_bytes), f[5]);
    EXPECT_EQ(std::to_string(p.tx_bytes), f[6]);
    EXPECT_EQ(p.persistent_keepalive ? std::to_string(p.persistent_keepalive) : "off", f[7]);
  }
  EXPECT_EQ(dev->peers.size(), expected_peers);
  EXPECT_EQ(expected_peers, 301u);
  EXPECT_EQ(widest, 800u);
}

}  // namespace
}  // namespace wgwatch::test
