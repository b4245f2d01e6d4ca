// SPDX-License-Identifier: MIT
// tcp_probe: bound connect with a deadline; errors become failure reasons.
#include "probes/tcp_probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include "probes/socket_binding.hpp"

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using clock = std::chrono::steady_clock;

}  // namespace

failure_reason classify_socket_error(const error_code& ec) noexcept {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return failure_reason::timeout;
  if (ec == asio::error::connection_refused) return failure_reason::refused;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted) {
    return failure_reason::reset;
  }
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable ||
      ec == asio::error::network_down || ec == asio::error::no_such_device ||
      ec == asio::error::host_not_found) {
    return failure_reason::unreachable;
  }
  if (ec.category() == boost::system::system_category() &&
      (ec.value() == ENODEV || ec.value() == EHOSTDOWN)) {
    return failure_reason::unreachable;
  }
  return failure_reason::internal;
}

asio::awaitable<step_outcome> bound_connect(beast::tcp_stream& stream,
                                            const asio::ip::tcp::endpoint& endpoint,
                                            const binding& where) {
  auto& socket = stream.socket();
  error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (ec) co_return step_outcome{failure_reason::internal, ec};
  if (auto bound = apply_binding(socket.native_handle(), endpoint.protocol().family(), where);
      !bound) {
    co_return step_outcome{failure_reason::bind_error, bound.error()};
  }
  auto [connect_ec] = co_await stream.async_connect(endpoint, asio::as_tuple(asio::use_awaitable));
  if (connect_ec) co_return step_outcome{classify_socket_error(connect_ec), connect_ec};
  co_return step_outcome{};
}

asio::awaitable<probe_result> tcp_probe::run() {
  const auto start = clock::now();
  const auto& options = std::get<tcp_spec>(spec_.options);
  probe_result out;
  error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    out.reason = failure_reason::internal;
    out.error = ec;
    co_return out;
  }
  beast::tcp_stream stream(executor_);
  stream.expires_at(start + spec_.timeout);
  const auto connected = co_await bound_connect(stream, {address, options.port}, where_);
  const auto connect_time = std::chrono::duration_cast<seconds_d>(clock::now() - start);
  stream.socket().close(ec);
  out.duration = connect_time;
  if (!connected) {
    out.reason = connected.reason;
    out.error = connected.error;
    co_return out;
  }
  out.phases.push_back({"connect", connect_time});
  out.success = true;
  co_return out;
}

}  // namespace wgwatch::probe
