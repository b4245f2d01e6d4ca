// SPDX-License-Identifier: MIT
// metrics_server over real loopback sockets: routes, methods, gzip, HEAD, keep-alive,
// malformed requests, idle clients and bind failures.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/gzip.hpp"
#include "http/metrics_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using wgwatch::http::metrics_server;

constexpr std::string_view body_text = "# HELP up_demo A demo.\n# TYPE up_demo gauge\nup_demo 1\n";

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    wgwatch::http::server_options opts;
    opts.listen = {"127.0.0.1", 0};
    opts.telemetry_path = "/metrics";
    server_ = std::make_unique<metrics_server>(opts, [this] {
      ++renders_;
      if (render_throws_) throw std::runtime_error("render failed");
      return std::string(body_text);
    });
    auto bound = server_->start();
    ASSERT_TRUE(bound.has_value()) << bound.error().message();
    endpoint_ = *bound;
    ASSERT_NE(endpoint_.port(), 0);
  }

  tcp::socket connect() {
    tcp::socket s(io_);
    s.connect(endpoint_);
    return s;
  }

  bhttp::response<bhttp::string_body> request(tcp::socket& s, bhttp::verb method,
                                              std::string_view target,
                                              std::string_view accept_encoding = {}) {
    bhttp::request<bhttp::empty_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    if (!accept_encoding.empty()) req.set(bhttp::field::accept_encoding, accept_encoding);
    bhttp::write(s, req);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(method == bhttp::verb::head);
    bhttp::read(s, buffer, parser);
    return parser.release();
  }

  bhttp::response<bhttp::string_body> get(std::string_view target,
                                          std::string_view accept_encoding = {}) {
    auto s = connect();
    return request(s, bhttp::verb::get, target, accept_encoding);
  }

  asio::io_context io_;
  std::unique_ptr<metrics_server> server_;
  tcp::endpoint endpoint_;
  std::atomic<int> renders_{0};
  std::atomic<bool> render_throws_{false};
};

TEST_F(MetricsServerTest, ServesTheRenderedBodyAsPrometheusText) {
  auto res = get("/metrics");
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), body_text);
  EXPECT_EQ(res[bhttp::field::content_encoding], "");
  EXPECT_EQ(renders_.load(), 1);
}

TEST_F(MetricsServerTest, IgnoresTheQueryString) {
  EXPECT_EQ(get("/metrics?name[]=up").body(), body_text);
}

TEST_F(MetricsServerTest, GzipsWhenTheClientAcceptsIt) {
  auto res = get("/metrics", "gzip");
  EXPECT_EQ(res[bhttp::field::content_encoding], "gzip");
  EXPECT_EQ(res[bhttp::field::vary], "Accept-Encoding");
  auto plain = wgwatch::http::gzip_decompress(res.body());
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(*plain, body_text);
}

TEST_F(MetricsServerTest, DoesNotGzipWhenGzipIsRefused) {
  auto res = get("/metrics", "gzip;q=0, identity");
  EXPECT_EQ(res[bhttp::field::content_encoding], "");
  EXPECT_EQ(res.body(), body_text);
}

TEST_F(MetricsServerTest, HeadGivesTheLengthWithoutABody) {
  auto s = connect();
  auto res = request(s, bhttp::verb::head, "/metrics");
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(body_text.size()));
  EXPECT_TRUE(res.body().empty());
  // The connection is still usable: no stray body bytes were sent.
  auto next = request(s, bhttp::verb::get, "/-/healthy");
  EXPECT_EQ(next.result(), bhttp::status::ok);
}

TEST_F(MetricsServerTest, AnswersHealthAndLandingPage) {
  EXPECT_EQ(get("/-/healthy").body(), "OK\n");
  EXPECT_EQ(get("/-/ready").body(), "OK\n");
  auto landing = get("/");
  EXPECT_EQ(landing.result(), bhttp::status::ok);
  EXPECT_NE(landing.body().find("href=\"/metrics\""), std::string::npos);
  EXPECT_EQ(renders_.load(), 0);
}

TEST_F(MetricsServerTest, UnknownPathIs404) {
  EXPECT_EQ(get("/nope").result(), bhttp::status::not_found);
  EXPECT_EQ(get("/metricsx").result(), bhttp::status::not_found);
}

TEST_F(MetricsServerTest, OtherMethodsAre405) {
  auto s = connect();
  EXPECT_EQ(request(s, bhttp::verb::post, "/metrics").result(), bhttp::status::method_not_allowed);
  EXPECT_EQ(renders_.load(), 0);
}

// RFC 9110 15.5.6: a 405 names the methods the resource supports.
TEST_F(MetricsServerTest, A405NamesTheAllowedMethods) {
  auto s = connect();
  for (const auto method : {bhttp::verb::post, bhttp::verb::put, bhttp::verb::delete_}) {
    const auto res = request(s, method, "/metrics");
    EXPECT_EQ(res.result(), bhttp::status::method_not_allowed);
    EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD");
  }
}

// An exception outside the collectors (render, gzip, allocation) is the server's failure: the
// scraper gets a 500 it can record, not a connection closed without an answer, and the
// connection stays usable.
TEST_F(MetricsServerTest, AnExceptionWhileRenderingAnswers500) {
  auto s = connect();
  render_throws_ = true;
  const auto failed = request(s, bhttp::verb::get, "/metrics");
  EXPECT_EQ(failed.result(), bhttp::status::internal_server_error);
  EXPECT_EQ(failed.body().find("render failed"), std::string::npos);  // no internals leak
  render_throws_ = false;
  EXPECT_EQ(request(s, bhttp::verb::get, "/metrics").body(), body_text);
  EXPECT_EQ(renders_.load(), 2);
}

// The telemetry path comes from the config: the landing page must not become HTML from it.
TEST(MetricsServerLanding, EscapesTheTelemetryPath) {
  wgwatch::http::server_options opts;
  opts.listen = {"127.0.0.1", 0};
  opts.telemetry_path = "/m\"><script>alert('x')</script>&";
  metrics_server server(opts, [] { return std::string("x 1\n"); });
  auto bound = server.start();
  ASSERT_TRUE(bound.has_value()) << bound.error().message();
  asio::io_context io;
  tcp::socket s(io);
  s.connect(*bound);
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, "/", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  bhttp::write(s, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buffer, res);
  EXPECT_EQ(res.result(), bhttp::status::ok);
  EXPECT_EQ(res.body().find("<script>"), std::string::npos) << res.body();
  EXPECT_NE(res.body().find("href=\"/m&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;\""),
            std::string::npos)
      << res.body();
}

TEST_F(MetricsServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto s = connect();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(request(s, bhttp::verb::get, "/metrics").body(), body_text);
  EXPECT_EQ(renders_.load(), 3);
}

TEST_F(MetricsServerTest, MalformedRequestGets400AndClose) {
  auto s = connect();
  const std::string garbage = "GET /metrics HTTP/1.1\r\nHost localhost\r\n\r\n";
  asio::write(s, asio::buffer(garbage));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buffer, res);
  EXPECT_EQ(res.result(), bhttp::status::bad_request);
  beast::error_code ec;
  bhttp::read(s, buffer, res, ec);
  EXPECT_TRUE(ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
              ec == asio::error::connection_reset)
      << ec.message();
}

TEST_F(MetricsServerTest, OversizedHeaderIsRejected) {
  auto s = connect();
  const std::string req =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  beast::error_code ec;
  asio::write(s, asio::buffer(req), ec);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(s, buffer, res, ec);
  if (!ec) {
    EXPECT_EQ(res.result(), bhttp::status::bad_request);
  }
  EXPECT_EQ(renders_.load(), 0);
}

TEST_F(MetricsServerTest, AnIdleClientDoesNotBlockOthers) {
  auto idle = connect();  // connects and says nothing
  auto partial = connect();
  asio::write(partial, asio::buffer(std::string_view("GET /metr")));
  EXPECT_EQ(get("/metrics").body(), body_text);
}

TEST_F(MetricsServerTest, StopsWithClientsConnected) {
  auto idle = connect();
  server_->stop();
  // The listener is gone.
  tcp::socket s(io_);
  beast::error_code ec;
  s.connect(endpoint_, ec);
  EXPECT_TRUE(ec) << "still accepting after stop()";
  server_->stop();  // idempotent
}

TEST_F(MetricsServerTest, ABusyPortIsAnErrorNotACrash) {
  wgwatch::http::server_options opts;
  opts.listen = {"127.0.0.1", endpoint_.port()};
  metrics_server second(opts, [] { return std::string(); });
  auto bound = second.start();
  ASSERT_FALSE(bound.has_value());
  EXPECT_EQ(bound.error(), boost::system::errc::address_in_use) << bound.error().message();
}

TEST(MetricsServerBind, EmptyHostListensOnEveryAddress) {
  wgwatch::http::server_options opts;
  opts.listen = {"", 0};
  metrics_server server(opts, [] { return std::string("x 1\n"); });
  auto bound = server.start();
  ASSERT_TRUE(bound.has_value()) << bound.error().message();
  EXPECT_TRUE(bound->address().is_unspecified());
  asio::io_context io;
  tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), bound->port()});
  EXPECT_TRUE(s.is_open());
}

}  // namespace
