// SPDX-License-Identifier: MIT
// metrics_server: the agent's HTTP endpoint (Boost.Beast) on its own thread and io_context.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "config/config.hpp"
#include "util/result.hpp"

namespace wgwatch::http {

struct server_options {
  config::listen_address listen;
  std::string telemetry_path{config::defaults::telemetry_path};
  /// At most this many connections at once (at least 1).
  std::size_t max_connections = config::defaults::http_max_connections;
  std::chrono::milliseconds idle_timeout = config::defaults::http_idle_timeout;
  std::chrono::milliseconds write_timeout = config::defaults::http_write_timeout;
};

/// Serves GET/HEAD on the telemetry path (the body from `render`, gzip-encoded when the
/// client accepts it), a landing page on "/", and "/-/healthy" and "/-/ready".
/// Requests are answered one connection at a time per coroutine; `render` runs on the
/// server thread, so a scrape never overlaps another. At most `max_connections` are open:
/// an accept over the cap closes the longest-idle connection (one waiting for a request)
/// or, when every connection is busy, the new one; idle and header reads end after
/// `idle_timeout`, a response not taken within `write_timeout` ends its connection.
class metrics_server {
 public:
  using render_fn = std::function<std::string()>;

  metrics_server(server_options opts, render_fn render);
  ~metrics_server();
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  /// Resolves and binds the listen address, then starts serving on a new thread.
  /// Returns the bound endpoint (the real port when 0 was asked for).
  result<boost::asio::ip::tcp::endpoint> start();

  /// Stops accepting, closes connections and joins the thread. Idempotent.
  void stop();

 private:
  server_options opts_;
  render_fn render_;
  boost::asio::io_context io_{1};
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::thread thread_;
};

}  // namespace wgwatch::http
