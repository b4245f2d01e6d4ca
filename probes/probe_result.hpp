// SPDX-License-Identifier: MIT
// The outcome of one probe round: success, why not, and how long each phase took.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace wgwatch::probe {

/// Why a round failed; the `reason` label of wgwatch_probe_failures_total. Outcomes, not
/// exceptions: a refused connection is a result.
enum class failure_reason {
  none,
  timeout,        ///< no answer within the probe's timeout
  refused,        ///< TCP RST to the SYN (ECONNREFUSED)
  reset,          ///< connection reset after it was established
  unreachable,    ///< ICMP unreachable, EHOSTUNREACH, ENETUNREACH
  packet_loss,    ///< ICMP: some but not all echoes of the round answered
  message_too_big,///< EMSGSIZE: the payload does not fit the path MTU with DF set
  tls,            ///< handshake or certificate verification failed
  http_status,    ///< a status not in expected_status
  body_mismatch,  ///< body_contains not found
  bind_error,     ///< SO_BINDTODEVICE / source address / SO_MARK failed
  link_down,      ///< the tunnel interface is missing or down: the round was not run
  protocol,       ///< malformed answer (bad HTTP, wrong ICMP reply)
  internal,       ///< anything else (see the error code)
};

/// snake_case name of the reason ("timeout", "refused", ...).
constexpr std::string_view to_string(failure_reason r) noexcept {
  switch (r) {
    case failure_reason::none: return "none";
    case failure_reason::timeout: return "timeout";
    case failure_reason::refused: return "refused";
    case failure_reason::reset: return "reset";
    case failure_reason::unreachable: return "unreachable";
    case failure_reason::packet_loss: return "packet_loss";
    case failure_reason::message_too_big: return "message_too_big";
    case failure_reason::tls: return "tls";
    case failure_reason::http_status: return "http_status";
    case failure_reason::body_mismatch: return "body_mismatch";
    case failure_reason::bind_error: return "bind_error";
    case failure_reason::link_down: return "link_down";
    case failure_reason::protocol: return "protocol";
    case failure_reason::internal: return "internal";
  }
  return "internal";
}

/// Every reason a round can fail with, for exporting zero-valued counters up front.
inline constexpr failure_reason all_failure_reasons[] = {
    failure_reason::timeout,     failure_reason::refused,       failure_reason::reset,
    failure_reason::unreachable, failure_reason::packet_loss,   failure_reason::message_too_big,
    failure_reason::tls,         failure_reason::http_status,   failure_reason::body_mismatch,
    failure_reason::bind_error,  failure_reason::link_down,     failure_reason::protocol,
    failure_reason::internal};

using seconds_d = std::chrono::duration<double>;

struct phase_duration {
  std::string_view phase;  ///< "connect", "tls", "first_byte", "transfer" (static strings)
  seconds_d duration{};
};

struct probe_result {
  bool success = false;
  failure_reason reason = failure_reason::none;
  error_code error;  ///< the underlying error, for the log
  seconds_d duration{};  ///< the whole round
  std::vector<phase_duration> phases;  ///< TCP: connect; HTTP: connect, tls, first_byte, transfer
  /// ICMP: echoes sent and answered this round, and each answer's round-trip time.
  std::uint32_t packets_sent = 0;
  std::uint32_t packets_received = 0;
  std::vector<seconds_d> rtts;
  std::optional<unsigned> http_status;
};

}  // namespace wgwatch::probe
