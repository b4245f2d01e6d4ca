// SPDX-License-Identifier: MIT
// tcp_probe: a connect (then close) from a socket bound to the tunnel; the bound connect and
// socket-error mapping shared with http_probe.
#pragma once

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "probes/probe.hpp"

namespace wgwatch::probe {

/// The failure reason of a socket error on the probe path: ECONNREFUSED -> refused,
/// ECONNRESET/EPIPE -> reset, EHOSTUNREACH/ENETUNREACH/ENODEV/ENETDOWN -> unreachable,
/// timeouts (beast::error::timeout, ETIMEDOUT) -> timeout, anything else -> internal.
failure_reason classify_socket_error(const error_code& ec) noexcept;

/// What went wrong in one step: reason none means it succeeded.
struct step_outcome {
  failure_reason reason = failure_reason::none;
  error_code error;
  explicit operator bool() const noexcept { return reason == failure_reason::none; }
};

/// Opens `stream`'s socket for `endpoint`'s family, applies `where` (socket_binding) and
/// connects. The caller sets the stream's expiry first (expires_at): when it passes, the
/// socket is closed and the outcome is timeout. Binding failures -> bind_error.
boost::asio::awaitable<step_outcome> bound_connect(boost::beast::tcp_stream& stream,
                                                   const boost::asio::ip::tcp::endpoint& endpoint,
                                                   const binding& where);

/// Connects to the numeric host:port within the spec's timeout (phase "connect"), then closes.
/// Runs on the executor's thread; never throws for network outcomes.
class tcp_probe final : public bound_probe {
 public:
  using bound_probe::bound_probe;

  boost::asio::awaitable<probe_result> run() override;
  bool ends_by_its_timeout() const noexcept override { return true; }  // the stream expires at the deadline
};

}  // namespace wgwatch::probe
