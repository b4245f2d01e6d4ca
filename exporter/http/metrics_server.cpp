// SPDX-License-Identifier: MIT
// The Beast server: accept loop and per-connection sessions as coroutines on one thread.
#include "http/metrics_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <chrono>
#include <exception>
#include <list>
#include <memory>

#include "http/gzip.hpp"
#include "util/log.hpp"

namespace wgwatch::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t header_limit = 8 * 1024;
constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

// The telemetry path comes from the config: it is text in the page, never markup.
void append_html_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&#39;"); break;
      default: out.push_back(c);
    }
  }
}

std::string landing_page(std::string_view telemetry_path) {
  std::string page =
      "<!DOCTYPE html>\n<html><head><title>wgwatch</title></head><body>\n"
      "<h1>wgwatch</h1>\n<p>WireGuard tunnel exporter.</p>\n<ul>\n<li><a href=\"";
  append_html_escaped(page, telemetry_path);
  page.append("\">Metrics</a></li>\n<li><a href=\"/-/healthy\">Health</a></li>\n</ul>\n</body></html>\n");
  return page;
}

template <class Body>
void common_headers(bhttp::response<Body>& res, unsigned version, bool keep_alive) {
  res.version(version);
  res.set(bhttp::field::server, "wgwatch");
  res.keep_alive(keep_alive);
}

/// HEAD gets the length of the body it would have had, and no body.
void set_body(bhttp::response<bhttp::string_body>& res,
              const bhttp::request<bhttp::empty_body>& req, std::string body) {
  if (req.method() == bhttp::verb::head) {
    res.content_length(body.size());
  } else {
    res.body() = std::move(body);
    res.prepare_payload();
  }
}

bhttp::message_generator text_response(const bhttp::request<bhttp::empty_body>& req,
                                       bhttp::status status, std::string_view content_type,
                                       std::string body) {
  bhttp::response<bhttp::string_body> res{status, req.version()};
  common_headers(res, req.version(), req.keep_alive());
  res.set(bhttp::field::content_type, content_type);
  set_body(res, req, std::move(body));
  return res;
}

}  // namespace

namespace {

struct handler {
  const server_options& opts;
  const metrics_server::render_fn& render;

  bhttp::message_generator operator()(const bhttp::request<bhttp::empty_body>& req) const {
    const std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
      bhttp::response<bhttp::string_body> res{bhttp::status::method_not_allowed, req.version()};
      common_headers(res, req.version(), req.keep_alive());
      res.set(bhttp::field::allow, "GET, HEAD");  // RFC 9110: a 405 lists what is allowed
      res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
      set_body(res, req, "method not allowed\n");
      return res;
    }
    if (path == opts.telemetry_path) return metrics(req);
    if (path == "/-/healthy" || path == "/-/ready") {
      return text_response(req, bhttp::status::ok, "text/plain; charset=utf-8", "OK\n");
    }
    if (path == "/") {
      return text_response(req, bhttp::status::ok, "text/html; charset=utf-8",
                           landing_page(opts.telemetry_path));
    }
    return text_response(req, bhttp::status::not_found, "text/plain; charset=utf-8", "not found\n");
  }

  bhttp::message_generator metrics(const bhttp::request<bhttp::empty_body>& req) const {
    std::string body = render();
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
    common_headers(res, req.version(), req.keep_alive());
    res.set(bhttp::field::content_type, exposition_content_type);
    res.set(bhttp::field::vary, "Accept-Encoding");
    if (accepts_gzip(req[bhttp::field::accept_encoding])) {
      body = gzip_compress(body);
      res.set(bhttp::field::content_encoding, "gzip");
    }
    set_body(res, req, std::move(body));
    return res;
  }
};

// Collectors report their own failures in the scrape; anything thrown past them (render,
// gzip, an allocation) is the server's: a 500 the scraper records, not a silent close.
bhttp::message_generator respond(const handler& handle, const bhttp::request<bhttp::empty_body>& req) {
  try {
    return handle(req);
  } catch (const std::exception& e) {
    log::error("http request failed", {{"path", std::string(req.target())}, {"err", e.what()}});
  }
  return text_response(req, bhttp::status::internal_server_error, "text/plain; charset=utf-8",
                       "internal server error\n");
}

/// One open connection. `idle`: waiting for the first byte of a request, so closing it
/// loses nothing a client sent.
struct connection {
  explicit connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool idle = true;
  bool listed = false;
  std::list<std::shared_ptr<connection>>::iterator pos;
};

/// The open connections, least recently idle first; only the server thread touches it.
class connection_table {
 public:
  explicit connection_table(std::size_t max) : max_(max < 1 ? 1 : max) {}

  /// Room for one more connection: closes the longest-idle one when at the cap. False when
  /// every connection is busy with a request.
  bool make_room() {
    if (open_.size() < max_) return true;
    for (const auto& conn : open_) {
      if (!conn->idle) continue;
      const auto victim = conn;  // keep it alive past remove()
      remove(*victim);
      victim->stream.close();    // its pending read ends with operation_aborted
      return true;
    }
    return false;
  }
  void add(const std::shared_ptr<connection>& conn) {
    conn->pos = open_.insert(open_.end(), conn);
    conn->listed = true;
  }
  void remove(connection& conn) {
    if (!conn.listed) return;
    open_.erase(conn.pos);
    conn.listed = false;
  }
  void set_idle(connection& conn, bool idle) {
    conn.idle = idle;
    if (idle && conn.listed) open_.splice(open_.end(), open_, conn.pos);
  }

 private:
  std::size_t max_;
  std::list<std::shared_ptr<connection>> open_;
};

asio::awaitable<void> session(std::shared_ptr<connection> conn,
                              std::shared_ptr<connection_table> table, handler handle) {
  beast::tcp_stream& stream = conn->stream;
  const auto& opts = handle.opts;
  beast::flat_buffer buffer;
  try {
    for (;;) {
      // Idle until a request starts: the only state in which the cap may close it.
      table->set_idle(*conn, true);
      stream.expires_after(opts.idle_timeout);
      if (buffer.size() == 0) {
        auto [wait_ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
        if (wait_ec) break;  // closed, timed out or evicted
        buffer.commit(n);
      }
      table->set_idle(*conn, false);
      bhttp::request_parser<bhttp::empty_body> parser;
      parser.header_limit(header_limit);
      stream.expires_after(opts.idle_timeout);
      auto [read_ec, read_n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (read_ec) {
        if (read_ec != bhttp::error::end_of_stream && read_ec != beast::error::timeout &&
            read_ec != asio::error::operation_aborted && read_ec != asio::error::connection_reset) {
          // Malformed request: answer once, then close.
          bhttp::response<bhttp::string_body> res{bhttp::status::bad_request, 11};
          common_headers(res, 11, false);
          res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
          res.body() = "bad request\n";
          res.prepare_payload();
          stream.expires_after(opts.write_timeout);
          co_await bhttp::async_write(stream, res, use_tuple);
        }
        break;
      }
      bhttp::message_generator response = respond(handle, parser.get());
      const bool keep_alive = response.keep_alive();
      stream.expires_after(opts.write_timeout);
      auto [write_ec, write_n] = co_await beast::async_write(stream, std::move(response), use_tuple);
      if (write_ec || !keep_alive) break;
    }
  } catch (const std::exception& e) {
    log::error("http session failed", {{"err", e.what()}});
  }
  table->remove(*conn);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, handler handle) {
  auto table = std::make_shared<connection_table>(handle.opts.max_connections);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning.
      log::warn("accept failed", {{"err", ec.message()}});
      asio::steady_timer pause(acceptor.get_executor(), 100ms);
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (!table->make_room()) {
      // Every connection is mid-request: refuse this one at once, keeping the descriptor free.
      log::debug("connection refused: at the cap",
                 {{"max_connections", std::to_string(handle.opts.max_connections)}});
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto conn = std::make_shared<connection>(std::move(socket));
    table->add(conn);
    asio::co_spawn(acceptor.get_executor(), session(std::move(conn), table, handle), asio::detached);
  }
}

result<tcp::acceptor> bind_acceptor(asio::io_context& io, const config::listen_address& listen) {
  std::vector<tcp::endpoint> candidates;
  if (listen.host.empty()) {
    candidates.emplace_back(asio::ip::address_v6::any(), listen.port);
    candidates.emplace_back(asio::ip::address_v4::any(), listen.port);
  } else {
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto resolved = resolver.resolve(listen.host, std::to_string(listen.port),
                                     tcp::resolver::numeric_service, ec);
    if (ec) return ec;
    for (const auto& entry : resolved) candidates.push_back(entry.endpoint());
  }
  boost::system::error_code last = make_error_code(boost::system::errc::address_not_available);
  for (const auto& endpoint : candidates) {
    tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6() && endpoint.address().is_unspecified()) {
      acceptor.set_option(asio::ip::v6_only(false), ec);  // one socket for IPv6 and IPv4
    }
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) return acceptor;
    last = ec;
  }
  return last;
}

}  // namespace

metrics_server::metrics_server(server_options opts, render_fn render)
    : opts_(std::move(opts)), render_(std::move(render)) {}

metrics_server::~metrics_server() { stop(); }

result<tcp::endpoint> metrics_server::start() {
  auto acceptor = bind_acceptor(io_, opts_.listen);
  if (!acceptor) return acceptor.error();
  acceptor_ = std::make_unique<tcp::acceptor>(std::move(*acceptor));
  boost::system::error_code ec;
  const auto bound = acceptor_->local_endpoint(ec);
  if (ec) return ec;
  asio::co_spawn(io_, accept_loop(*acceptor_, handler{opts_, render_}), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
  return bound;
}

void metrics_server::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
    io_.stop();
  });
  thread_.join();
}

}  // namespace wgwatch::http
