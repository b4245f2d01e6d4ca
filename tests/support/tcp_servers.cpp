// SPDX-License-Identifier: MIT
// tcp_servers: accept loops on the servers' own io_context; shared HTTP answers.
#include "support/tcp_servers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>

namespace wgwatch::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, connection_handler handler) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), handler(std::move(socket)), asio::detached);
  }
}

}  // namespace

tcp_servers::~tcp_servers() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

std::uint16_t tcp_servers::serve(std::unique_ptr<tcp::acceptor> acceptor,
                                 connection_handler handler) {
  auto& a = *acceptors_.emplace_back(std::move(acceptor));
  asio::co_spawn(io_, accept_loop(a, std::move(handler)), asio::detached);
  return a.local_endpoint().port();
}

std::uint16_t tcp_servers::serve(unique_fd listener, connection_handler handler) {
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  acceptor->assign(tcp::v4(), listener.release());
  return serve(std::move(acceptor), std::move(handler));
}

std::uint16_t tcp_servers::serve_loopback(connection_handler handler) {
  return serve(std::make_unique<tcp::acceptor>(
                   io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
               std::move(handler));
}

void tcp_servers::start() {
  thread_ = std::thread([this] { io_.run(); });
}

std::string http_response_text(std::string_view status, std::string_view body) {
  return "HTTP/1.1 " + std::string(status) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(body);
}

asio::awaitable<void> answer(tcp::socket socket, std::string text) {
  const bool got = co_await read_request(socket);
  if (!got) co_return;
  co_await asio::async_write(socket, asio::buffer(text), use_tuple);
}

}  // namespace wgwatch::test
