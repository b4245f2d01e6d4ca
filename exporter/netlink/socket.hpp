// SPDX-License-Identifier: MIT
// netlink::socket: an RAII libmnl socket with a receive timeout; request/dump exchanges.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "netlink/message.hpp"
#include "util/result.hpp"

struct mnl_socket;

namespace wgwatch::netlink {

/// What an exchange saw besides the messages handed to the callback.
struct exchange_status {
  /// Some message carried NLM_F_DUMP_INTR: the dump is inconsistent; discard and retry.
  bool interrupted = false;
  std::size_t messages = 0;  ///< data messages passed to the callback
};

/// One bound netlink socket (the only mnl_socket_* caller). Open one per read: its timeout
/// is a deadline for everything it receives, and a socket that timed out may still receive
/// the late reply. Move-only; not thread-safe.
class socket {
 public:
  /// Called with each data message (not NLMSG_DONE/ERROR/NOOP) of the reply. The message's
  /// bytes live only for the duration of the call (the buffer is then reused and wiped).
  using message_handler = std::function<result<void>(const message&)>;

  /// Opens and binds a socket of `bus` (NETLINK_ROUTE, NETLINK_GENERIC) whose receives all
  /// end by open() + `timeout` (0 means no deadline): the bound is on the whole read (every
  /// exchange, every part of a dump), not on each receive. Errors are errno codes.
  static result<socket> open(int bus, std::chrono::milliseconds timeout);

  socket(socket&& other) noexcept;
  socket& operator=(socket&& other) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket();

  /// Sends `request` (a complete message; its nlmsg_seq and nlmsg_pid are overwritten) and
  /// reads the reply until NLMSG_DONE, an NLMSG_ERROR (error or ACK), or, for a request with
  /// neither NLM_F_DUMP nor NLM_F_ACK, the first message without NLM_F_MULTI.
  ///
  /// Failures: NLMSG_ERROR / NLMSG_DONE carrying -errno -> that errno (system category);
  /// the socket's deadline passed before the reply ended -> errc::timed_out; a reply addressed to another port ->
  /// errc::reply_mismatch (replies to earlier sequence numbers are dropped); malformed framing -> errc::truncated_attribute; otherwise the
  /// handler's error. DUMP_INTR is reported in the status, not as an error.
  result<exchange_status> exchange(std::span<std::uint8_t> request, const message_handler& on_message);

  std::uint32_t port_id() const noexcept;

 private:
  explicit socket(mnl_socket* s) noexcept : sock_(s) {}

  /// Waits until a reply is readable; errc::timed_out once the deadline has passed.
  result<void> wait_readable() const;

  mnl_socket* sock_ = nullptr;
  std::uint32_t seq_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace wgwatch::netlink
