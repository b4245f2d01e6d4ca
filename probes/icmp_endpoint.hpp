// SPDX-License-Identifier: MIT
// icmp_endpoint: one long-lived ICMP socket shared by the ICMP probes of one binding, address
// family and don't-fragment setting; answers and ICMP errors dispatched by echo sequence.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <sys/socket.h>

#include "probes/icmp_packet.hpp"
#include "probes/probe_result.hpp"
#include "probes/probe_spec.hpp"

namespace wgwatch::probe {

/// Told what came back for the sequences it reserved. Called on the endpoint's executor.
class icmp_waiter {
 public:
  /// An answer, with the kernel's receive time (SO_TIMESTAMPNS) when it gave one: the RTT
  /// then excludes how long the loop took to read it, as ping's does.
  virtual void on_echo_reply(std::uint16_t sequence, std::span<const std::uint8_t> payload,
                             std::optional<std::chrono::system_clock::time_point> received) = 0;
  /// An ICMP error quoting our echo (EMSGSIZE for "too big", EHOSTUNREACH otherwise, or the
  /// errno the kernel queued).
  virtual void on_echo_error(std::uint16_t sequence, int err) = 0;

 protected:
  ~icmp_waiter() = default;
};

/// Opening a socket per round costs more than the echo itself (socket, four setsockopts,
/// bind, epoll registration, close: about 15 us of the kernel's CPU against its 6 us per
/// echo). An endpoint is opened once and shared by every probe with the same key; it reads
/// whatever arrives with one persistent wait on its executor and hands each answer to the
/// waiter that reserved its sequence (ping sockets rewrite the id to the socket's own, so the
/// sequence, unique per endpoint, and the probe's payload cookie are what match).
///
/// A send that fails because the socket's binding went stale (the interface was re-created or
/// lost its address) invalidates the endpoint: acquire() then opens a new one. Not thread-safe
/// apart from acquire(): use it on its executor only.
class icmp_endpoint {
 public:
  /// Packets read per handler: a flood must not hold the executor's thread, which runs the
  /// probes' timers and the other endpoints too. The rest is read in the next handler.
  static constexpr int max_packets_per_wakeup = 32;

  struct open_failure {
    failure_reason reason;  ///< bind_error (SO_BINDTODEVICE, SO_MARK, bind) or internal
    error_code error;
  };

  /// The open endpoint for (executor's context, `where`, `family`, `dont_fragment`), opening
  /// one when there is none or it was invalidated. Shared while any probe holds it.
  static boost::system::result<std::shared_ptr<icmp_endpoint>, open_failure> acquire(
      const boost::asio::any_io_executor& executor, const binding& where, int family,
      bool dont_fragment);

  ~icmp_endpoint();
  icmp_endpoint(const icmp_endpoint&) = delete;
  icmp_endpoint& operator=(const icmp_endpoint&) = delete;

  /// Reserves a free sequence for `waiter` (false when all 65,536 are in flight).
  bool reserve(icmp_waiter& waiter, std::uint16_t& sequence);
  /// Gives a reserved sequence back; late answers to it are then ignored. The endpoint waits
  /// for packets only while sequences are reserved, so that an idle endpoint leaves its
  /// io_context free to return from run().
  void release(std::uint16_t sequence) noexcept;

  /// Sends an echo request with `sequence` and make_echo_payload(cookie, sent_ns,
  /// payload_bytes) to `to`. Returns 0 or the errno of a failed send; a stale binding (ENODEV,
  /// ENXIO, EINVAL, EADDRNOTAVAIL) also invalidates the endpoint.
  int send(std::uint16_t sequence, std::uint64_t cookie, std::uint64_t sent_ns,
           std::size_t payload_bytes, const sockaddr* to, socklen_t to_length);

  bool valid() const noexcept { return valid_; }

 private:
  /// (execution context, interface, source address or "", fwmark, family, DF)
  using key = std::tuple<const void*, std::string, std::string, std::uint32_t, int, bool>;
  struct registry;
  icmp_endpoint(const boost::asio::any_io_executor& executor, int fd, bool raw, int family);

  void wait_for_packets();
  /// Reads at most max_packets_per_wakeup packets; true when the socket may hold more.
  bool receive_some();
  /// Reads what receive_some() left in later handlers, then waits for packets again.
  void continue_receiving();
  void dispatch(std::span<const std::uint8_t> packet,
                std::optional<std::chrono::system_clock::time_point> received);
  void drain_error_queue();
  void invalidate() noexcept;

  boost::asio::posix::stream_descriptor descriptor_;
  bool raw_;
  icmp_family family_;
  std::uint16_t id_;  ///< raw sockets: ours to set and to filter on
  bool valid_ = true;
  bool waiting_ = false;  ///< a wait for packets is outstanding
  bool draining_ = false;  ///< a continue_receiving() is posted
  key key_;  ///< where the registry keeps it
  std::weak_ptr<icmp_endpoint> self_;
  std::unordered_map<std::uint16_t, icmp_waiter*> waiters_;  ///< reserved sequences
  std::uint16_t next_sequence_;
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> packet_;
};

}  // namespace wgwatch::probe
