// SPDX-License-Identifier: MIT
// icmp_probe: a round of ICMP echoes with DF set, from a socket bound to the tunnel.
#pragma once

#include <cstdint>
#include <random>

#include <boost/asio/any_io_executor.hpp>

#include "probes/probe.hpp"

namespace wgwatch::probe {

/// Sends `packets` echoes `packet_interval` apart and waits for the answers until the spec's
/// timeout. Uses a datagram "ping" socket when net.ipv4.ping_group_range allows it, a raw
/// socket otherwise (CAP_NET_RAW). Success iff every echo is answered; some answered ->
/// packet_loss; none -> message_too_big (EMSGSIZE or an ICMP "too big"), unreachable (ICMP
/// unreachable, EHOSTUNREACH, ENETUNREACH, ENODEV, ENETDOWN) or timeout. Runs on the executor's
/// thread; never blocks it.
class icmp_probe final : public bound_probe {
 public:
  icmp_probe(boost::asio::any_io_executor executor, probe_spec spec, binding where);

  boost::asio::awaitable<probe_result> run() override;

 private:
  std::mt19937_64 random_;
  std::uint16_t next_sequence_ = 1;
};

}  // namespace wgwatch::probe
