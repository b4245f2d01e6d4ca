// SPDX-License-Identifier: MIT
// icmp_probe: a round of ICMP echoes with DF set, from a socket bound to the tunnel.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <random>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/icmp.hpp>

#include "probes/probe.hpp"

namespace wgwatch::probe {

class icmp_endpoint;

/// Sends `packets` echoes `packet_interval` apart and waits for the answers until the spec's
/// timeout, on the icmp_endpoint shared by the probes with its binding, family and DF setting
/// (a datagram "ping" socket when net.ipv4.ping_group_range allows it, a raw socket otherwise,
/// CAP_NET_RAW). Success iff every echo is answered; some answered ->
/// packet_loss; none -> message_too_big (EMSGSIZE or an ICMP "too big"), unreachable (ICMP
/// unreachable, EHOSTUNREACH, ENETUNREACH, ENODEV, ENETDOWN) or timeout. Runs on the executor's
/// thread; never blocks it.
class icmp_probe final : public bound_probe {
 public:
  icmp_probe(boost::asio::any_io_executor executor, probe_spec spec, binding where);
  ~icmp_probe() override;

  boost::asio::awaitable<probe_result> run() override;
  bool ends_by_its_timeout() const noexcept override { return true; }  // its one wait is bounded by the deadline

 private:
  std::mt19937_64 random_;
  int family_ = AF_INET;
  error_code target_error_;  ///< the spec's address did not parse
  boost::asio::ip::icmp::endpoint to_;
  std::shared_ptr<icmp_endpoint> endpoint_;
};

}  // namespace wgwatch::probe
