// SPDX-License-Identifier: MIT
// tcp_servers: coroutine TCP servers for tests, on an io_context and a thread of their own,
// and the HTTP pieces their handlers share.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "util/unique_fd.hpp"

namespace wgwatch::test {

/// What a server does with one accepted connection.
using connection_handler =
    std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

/// TCP servers on one io_context run by a thread of their own: every listening socket gets an
/// accept loop that runs its handler for each connection. Add the servers, then start(); the
/// destructor stops the loop and joins the thread.
class tcp_servers {
 public:
  tcp_servers() = default;
  ~tcp_servers();
  tcp_servers(const tcp_servers&) = delete;
  tcp_servers& operator=(const tcp_servers&) = delete;

  /// Serves `listener`, a listening IPv4 socket (listen_in() makes one in a namespace).
  /// Before start() only. Returns its port.
  std::uint16_t serve(unique_fd listener, connection_handler handler);
  /// Listens on 127.0.0.1:<ephemeral> and serves it. Before start() only. Returns the port.
  std::uint16_t serve_loopback(connection_handler handler);
  void start();

 private:
  std::uint16_t serve(std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor,
                      connection_handler handler);

  boost::asio::io_context io_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::thread thread_;
};

/// "HTTP/1.1 <status>" with a text/plain `body`, its Content-Length and Connection: close.
std::string http_response_text(std::string_view status, std::string_view body);

/// Reads until the end of the request header; false on an error or EOF first. Callers await
/// it into a variable: `if (!co_await read_request(s))` died with SIGILL when built by GCC 12.
template <class Stream>
boost::asio::awaitable<bool> read_request(Stream& stream) {
  boost::asio::streambuf request;
  auto [ec, n] = co_await boost::asio::async_read_until(
      stream, request, "\r\n\r\n", boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return !ec;
}

/// Reads the request, then writes `text` (the connection closes when the handler returns).
boost::asio::awaitable<void> answer(boost::asio::ip::tcp::socket socket, std::string text);

}  // namespace wgwatch::test
