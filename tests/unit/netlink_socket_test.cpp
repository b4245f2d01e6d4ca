// SPDX-License-Identifier: MIT
// netlink::socket::exchange against the host kernel: single replies, errors, timeouts.
#include "netlink/socket.hpp"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "support/genl_builder.hpp"
#include "util/error.hpp"

namespace wgwatch::netlink {
namespace {

using namespace std::chrono_literals;

// An RTM_GETLINK request for one ifindex (no dump).
test::buffer getlink(int ifindex, std::uint16_t flags) {
  test::nl_message m(RTM_GETLINK, static_cast<std::uint16_t>(NLM_F_REQUEST | flags), 0);
  ifinfomsg ifi{};
  ifi.ifi_index = ifindex;
  m.extra_struct(ifi);
  return m.finish();
}

TEST(NetlinkSocket, SingleReplyWithoutAckEndsAfterOneMessage) {
  auto sock = socket::open(NETLINK_ROUTE, 2000ms);
  ASSERT_TRUE(sock) << sock.error().message();
  const int lo = static_cast<int>(if_nametoindex("lo"));
  ASSERT_GT(lo, 0);
  auto req = getlink(lo, 0);
  std::vector<std::uint16_t> types;
  auto status = sock->exchange(req, [&](const message& m) -> result<void> {
    types.push_back(m.header.nlmsg_type);
    return {};
  });
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->messages, 1U);
  EXPECT_FALSE(status->interrupted);
  EXPECT_EQ(types, std::vector<std::uint16_t>{RTM_NEWLINK});

  // With NLM_F_ACK the same socket also reads the trailing ACK, under a new sequence.
  auto acked = getlink(lo, NLM_F_ACK);
  status = sock->exchange(acked, [](const message&) -> result<void> { return {}; });
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(status->messages, 1U);
}

TEST(NetlinkSocket, KernelErrorIsAnErrno) {
  auto sock = socket::open(NETLINK_ROUTE, 2000ms);
  ASSERT_TRUE(sock);
  auto req = getlink(0x7ffffff0, NLM_F_ACK);  // no such ifindex
  bool called = false;
  auto status = sock->exchange(req, [&](const message&) -> result<void> {
    called = true;
    return {};
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), from_errno(ENODEV));
  EXPECT_FALSE(called);
}

TEST(NetlinkSocket, HandlerErrorStopsTheExchange) {
  auto sock = socket::open(NETLINK_ROUTE, 2000ms);
  ASSERT_TRUE(sock);
  test::nl_message m(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 0);
  ifinfomsg ifi{};
  m.extra_struct(ifi);
  auto req = m.finish();
  int calls = 0;
  auto status = sock->exchange(req, [&](const message&) -> result<void> {
    ++calls;
    return make_error_code(errc::protocol_error);
  });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), make_error_code(errc::protocol_error));
  EXPECT_EQ(calls, 1);
  // The rest of that dump is still queued; the next exchange drops it (older sequence).
  const int lo = static_cast<int>(if_nametoindex("lo"));
  auto next = getlink(lo, 0);
  std::vector<int> indexes;
  status = sock->exchange(next, [&](const message& reply) -> result<void> {
    indexes.push_back(load<ifinfomsg>(reply.payload).ifi_index);
    return {};
  });
  ASSERT_TRUE(status) << status.error().message();
  EXPECT_EQ(indexes, std::vector<int>{lo});
}

TEST(NetlinkSocket, NoReplyTimesOut) {
  auto sock = socket::open(NETLINK_ROUTE, 100ms);
  ASSERT_TRUE(sock);
  // The kernel skips control-type requests silently unless NLM_F_ACK asks for an answer.
  test::nl_message m(NLMSG_NOOP, NLM_F_REQUEST, 0);
  auto req = m.finish();
  const auto start = std::chrono::steady_clock::now();
  auto status = sock->exchange(req, [](const message&) -> result<void> { return {}; });
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), make_error_code(errc::timed_out));
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 2s);
}

// The timeout bounds the whole read, not each receive: a reply that keeps coming in parts,
// each in time, must still end at the deadline. Here the handler takes longer than the
// timeout on the first part; the ACK behind it is already queued, so a per-receive bound
// would return it at once and report success.
TEST(NetlinkSocket, TheTimeoutBoundsTheWholeExchange) {
  auto sock = socket::open(NETLINK_ROUTE, 100ms);
  ASSERT_TRUE(sock);
  const int lo = static_cast<int>(if_nametoindex("lo"));
  auto req = getlink(lo, NLM_F_ACK);  // RTM_NEWLINK, then the ACK in a second receive
  int calls = 0;
  auto status = sock->exchange(req, [&](const message&) -> result<void> {
    ++calls;
    std::this_thread::sleep_for(150ms);
    return {};
  });
  EXPECT_EQ(calls, 1);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), make_error_code(errc::timed_out));
}

// One socket serves one read: its deadline counts from open(), across exchanges.
TEST(NetlinkSocket, TheDeadlineCoversEveryExchangeOnTheSocket) {
  auto sock = socket::open(NETLINK_ROUTE, 100ms);
  ASSERT_TRUE(sock);
  const int lo = static_cast<int>(if_nametoindex("lo"));
  auto first = getlink(lo, 0);
  ASSERT_TRUE(sock->exchange(first, [](const message&) -> result<void> { return {}; }));
  std::this_thread::sleep_for(150ms);
  auto late = getlink(lo, 0);
  auto status = sock->exchange(late, [](const message&) -> result<void> { return {}; });
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), make_error_code(errc::timed_out));
}

TEST(NetlinkSocket, RequestLengthMustMatchTheBuffer) {
  auto sock = socket::open(NETLINK_ROUTE, 100ms);
  ASSERT_TRUE(sock);
  auto req = getlink(1, 0);
  req.push_back(0);
  auto status = sock->exchange(req, [](const message&) -> result<void> { return {}; });
  EXPECT_EQ(status.error(), make_error_code(errc::truncated_attribute));
}

}  // namespace
}  // namespace wgwatch::netlink
