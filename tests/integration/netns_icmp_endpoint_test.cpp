// SPDX-License-Identifier: MIT
// icmp_endpoint's raw sockets under foreign ICMP traffic, on lo of a private network namespace
// (where ping sockets are off, so the endpoint opens raw ones): a bounded number of packets per
// wakeup, and ICMP filters that keep everything but echo replies and errors out.
#include "probes/icmp_endpoint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <cerrno>
#include <cstring>
#include <vector>

#include "support/netns.hpp"
#include "support/require.hpp"
#include "util/unique_fd.hpp"

WGWATCH_ISOLATED_TEST_PROGRAM();

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;

const binding loopback{"lo", std::nullopt, 0};
// More foreign packets than one wakeup may handle, few enough to fit the receive buffer.
constexpr int flood_packets = 100;

class recording_waiter final : public icmp_waiter {
 public:
  void on_echo_reply(std::uint16_t sequence, std::span<const std::uint8_t>,
                     std::optional<std::chrono::system_clock::time_point>) override {
    replies.push_back(sequence);
  }
  void on_echo_error(std::uint16_t, int) override {}

  std::vector<std::uint16_t> replies;
};

// The destination on lo of `family`, as the endpoint's send() takes it.
struct loopback_address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  explicit loopback_address(int family) {
    if (family == AF_INET) {
      auto& a = reinterpret_cast<sockaddr_in&>(storage);
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      length = sizeof a;
    } else {
      auto& a = reinterpret_cast<sockaddr_in6&>(storage);
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      length = sizeof a;
    }
  }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// Sends `count` ICMP messages of `type` (id and sequence nobody reserved) to the loopback
// address from a raw socket of the test's own: traffic that is not the endpoint's.
void send_foreign(int family, std::uint8_t type, int count) {
  const unique_fd fd(::socket(family, SOCK_RAW | SOCK_CLOEXEC,
                              family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6}));
  ASSERT_TRUE(fd) << std::strerror(errno);
  std::vector<std::uint8_t> message{type, 0, 0, 0, 0xfe, 0xed, 0xfa, 0xce};
  message.resize(24, 0x5a);
  if (family == AF_INET) {  // the kernel computes ICMPv6 checksums, not ICMP ones
    const std::uint16_t sum = internet_checksum(message);
    message[2] = static_cast<std::uint8_t>(sum >> 8);
    message[3] = static_cast<std::uint8_t>(sum);
  }
  const loopback_address to(family);
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(::sendto(fd.get(), message.data(), message.size(), 0, to.get(), to.length),
              static_cast<ssize_t>(message.size()))
        << std::strerror(errno);
  }
}

bool has_ipv6_loopback() {
  const unique_fd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  return fd && ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
}

// Our echo A, then `foreign` packets of `foreign_type`, then our echo B, all queued on the
// endpoint's socket before its io_context runs. Returns the replies the endpoint handed out
// in its first wakeup, then checks that the rest arrive in later ones.
std::vector<std::uint16_t> replies_in_first_wakeup(int family, std::uint8_t foreign_type,
                                                   int foreign) {
  asio::io_context io;
  auto ep = icmp_endpoint::acquire(io.get_executor(), loopback, family, false);
  if (!ep) {
    ADD_FAILURE() << "acquire: " << ep.error().error.message();
    return {};
  }
  auto& endpoint = **ep;
  recording_waiter waiter;
  std::uint16_t a = 0;
  std::uint16_t b = 0;
  if (!endpoint.reserve(waiter, a) || !endpoint.reserve(waiter, b)) {
    ADD_FAILURE() << "reserve";
    return {};
  }
  const loopback_address to(family);
  EXPECT_EQ(endpoint.send(a, 1, 0, 16, to.get(), to.length), 0);
  send_foreign(family, foreign_type, foreign);
  EXPECT_EQ(endpoint.send(b, 2, 0, 16, to.get(), to.length), 0);

  EXPECT_EQ(io.run_one(), 1u);  // the wakeup: the socket became readable
  const auto first = waiter.replies;
  // The rest follow in later handlers (a hang guard, not a timing figure).
  for (int handlers = 0; waiter.replies.size() < 2 && handlers < 10'000; ++handlers) {
    if (io.run_one_for(std::chrono::seconds(5)) == 0) break;
  }
  EXPECT_EQ(waiter.replies, (std::vector<std::uint16_t>{a, b})) << "an answer was lost";
  endpoint.release(a);
  endpoint.release(b);
  return first;
}

class netns_icmp_endpoint_test : public ::testing::Test {
 protected:
  void SetUp() override {
    WGWATCH_REQUIRE_ROOT();
    WGWATCH_REQUIRE_ISOLATION();
  }
};

// A flood of echo replies (they pass any filter: only the id tells they are not ours) must
// not keep the probe thread in one handler: one wakeup reads a bounded number of packets,
// then lets other handlers run, so B's answer, behind the flood, comes in a later one.
TEST_F(netns_icmp_endpoint_test, one_wakeup_handles_a_bounded_number_of_packets) {
  const auto first = replies_in_first_wakeup(AF_INET, 0 /* echo reply */, flood_packets);
  ASSERT_EQ(first.size(), 1u) << "B's answer, behind " << flood_packets
                              << " foreign packets, was read in the same wakeup";
}

// Raw sockets see every ICMP message for the host. With ICMP_FILTER the kernel keeps the
// ones the endpoint never dispatches (here router advertisements) off the socket, so they
// cost no wakeup: A and B, alone on the socket, come in the first one.
TEST_F(netns_icmp_endpoint_test, raw_ipv4_socket_filters_other_icmp_types) {
  const auto first = replies_in_first_wakeup(AF_INET, 9 /* router advertisement */, flood_packets);
  EXPECT_EQ(first.size(), 2u) << "foreign ICMP messages reached the socket";
}

// The same for ICMPv6 with ICMP6_FILTER: neighbour discovery (here neighbour solicitations)
// and MLD traffic never reach the socket.
TEST_F(netns_icmp_endpoint_test, raw_ipv6_socket_filters_neighbour_discovery) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no ::1 on lo: IPv6 disabled on this host";
  const auto first =
      replies_in_first_wakeup(AF_INET6, 135 /* neighbour solicitation */, flood_packets);
  EXPECT_EQ(first.size(), 2u) << "neighbour discovery messages reached the socket";
}

}  // namespace
}  // namespace wgwatch::probe
