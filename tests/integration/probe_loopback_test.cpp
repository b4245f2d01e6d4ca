// SPDX-License-Identifier: MIT
// tcp, http, https (and icmp) probes bound to "lo" against servers on 127.0.0.1 started here:
// refused, timeout, reset, status and body mismatch, bad certificates, a server that never
// answers and one that drips an endless body.
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "probes/http_probe.hpp"
#include "probes/probe.hpp"
#include "support/netns.hpp"
#include "support/require.hpp"
#include "support/tcp_servers.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using test::connection_handler;
using test::read_request;  // errors ignored where awaited bare: the probe decides
constexpr auto slack = 500ms;

const binding loopback{"lo", std::nullopt, 0};

/// A server on 127.0.0.1:<ephemeral> running its own io_context on a thread.
class test_server {
 public:
  explicit test_server(connection_handler handler)
      : port_(servers_.serve_loopback(std::move(handler))) {
    servers_.start();
  }
  std::uint16_t port() const { return port_; }

 private:
  test::tcp_servers servers_;
  std::uint16_t port_;
};

template <class Stream>
asio::awaitable<void> write_text(Stream& stream, std::string text) {
  co_await asio::async_write(stream, asio::buffer(text), use_tuple);
}

std::string response(unsigned status, std::string_view body) {
  return test::http_response_text(std::to_string(status) + " X", body);
}

connection_handler answer(unsigned status, std::string body) {
  return [=](tcp::socket socket) {
    return test::answer(std::move(socket), response(status, body));
  };
}

/// Accepts, reads the request, then holds the connection open without a word.
asio::awaitable<void> never_answer(tcp::socket socket) {
  co_await read_request(socket);
  asio::steady_timer hold(socket.get_executor(), 60s);
  co_await hold.async_wait(use_tuple);
}

/// Reads the request, then closes with SO_LINGER 0: the client sees an RST.
asio::awaitable<void> reset_after_request(tcp::socket socket) {
  co_await read_request(socket);
  socket.set_option(asio::socket_base::linger(true, 0));
  socket.close();
}

/// Sends a header promising a huge body, then `chunk` every `gap`, forever.
connection_handler endless_body(std::size_t chunk, std::chrono::milliseconds gap) {
  return [=](tcp::socket socket) -> asio::awaitable<void> {
    co_await read_request(socket);
    co_await write_text(socket, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n");
    asio::steady_timer timer(socket.get_executor());
    for (;;) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(std::string(chunk, 'x')), use_tuple);
      if (ec) co_return;
      timer.expires_after(gap);
      co_await timer.async_wait(use_tuple);
    }
  };
}

/// Runs one round on a fresh io_context and returns the result and wall time.
struct timed_result {
  probe_result result;
  std::chrono::steady_clock::duration elapsed;
};

timed_result run_round(probe_spec spec, binding where = loopback) {
  asio::io_context io;
  auto p = make_probe(io.get_executor(), std::move(spec), std::move(where));
  timed_result out;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, p->run(), [&](std::exception_ptr e, probe_result r) {
    if (e) std::rethrow_exception(e);
    out.result = std::move(r);
  });
  io.run();
  out.elapsed = std::chrono::steady_clock::now() - start;
  return out;
}

probe_spec spec_of(std::string target, std::chrono::milliseconds timeout) {
  probe_spec spec;
  spec.name = "p";
  spec.target = std::move(target);
  spec.timeout = timeout;
  return spec;
}

probe_spec tcp_to(std::uint16_t port, std::chrono::milliseconds timeout = 2s) {
  auto spec = spec_of("127.0.0.1", timeout);
  tcp_spec options;
  options.host = "127.0.0.1";
  options.port = port;
  spec.options = options;
  return spec;
}

probe_spec http_to(std::string url, std::chrono::milliseconds timeout = 2s) {
  auto spec = spec_of(url, timeout);
  http_spec options;
  options.url = std::move(url);
  spec.options = options;
  return spec;
}

probe_spec icmp_to(std::string address, std::uint32_t packets, std::chrono::milliseconds timeout) {
  auto spec = spec_of(address, timeout);
  icmp_spec options;
  options.address = std::move(address);
  options.packets = packets;
  options.packet_interval = 20ms;
  spec.options = options;
  return spec;
}

http_spec& http_options(probe_spec& spec) { return std::get<http_spec>(spec.options); }

std::string url_of(const test_server& server, std::string_view path = "/health") {
  return "http://127.0.0.1:" + std::to_string(server.port()) + std::string(path);
}

std::vector<std::string_view> phase_names(const probe_result& r) {
  std::vector<std::string_view> names;
  for (const auto& p : r.phases) names.push_back(p.phase);
  return names;
}

/// A port nobody listens on (bound then closed).
std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// --- tcp ----------------------------------------------------------------------------------

TEST(probe_loopback_test, tcp_connects_to_a_listener) {
  test_server server(answer(200, "ok"));
  const auto [r, elapsed] = run_round(tcp_to(server.port()));
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();
  EXPECT_EQ(phase_names(r), (std::vector<std::string_view>{"connect"}));
  EXPECT_GT(r.duration.count(), 0.0);
}

TEST(probe_loopback_test, tcp_reports_refused_for_a_closed_port) {
  const auto [r, elapsed] = run_round(tcp_to(closed_port()));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.reason, failure_reason::refused) << r.error.message();
}

TEST(probe_loopback_test, tcp_times_out_when_syns_are_dropped) {
  // A listener that never accepts, with its one-slot accept queue filled: further SYNs are
  // dropped, so the probe's connect hangs until its own timeout.
  const unique_fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 0), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::vector<unique_fd> fillers;
  for (int i = 0; i < 3; ++i) {
    fillers.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ::connect(fillers.back().get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  std::this_thread::sleep_for(100ms);

  const auto [r, elapsed] = run_round(tcp_to(ntohs(addr.sin_port), 700ms));
  EXPECT_EQ(r.reason, failure_reason::timeout) << r.error.message();
  EXPECT_GE(elapsed, 700ms);
  EXPECT_LT(elapsed, 700ms + slack);
}

TEST(probe_loopback_test, binding_to_a_missing_interface_is_a_bind_error) {
  test_server server(answer(200, "ok"));
  const auto [r, elapsed] = run_round(tcp_to(server.port()), {"nosuchif0", std::nullopt, 0});
  EXPECT_EQ(r.reason, failure_reason::bind_error);
  EXPECT_TRUE(r.error.failed());
}

TEST(probe_loopback_test, binding_to_a_foreign_source_address_is_a_bind_error) {
  test_server server(answer(200, "ok"));
  const auto [r, elapsed] =
      run_round(tcp_to(server.port()), {"lo", std::string("192.0.2.99"), 0});
  EXPECT_EQ(r.reason, failure_reason::bind_error);
}

// --- http ---------------------------------------------------------------------------------

TEST(probe_loopback_test, http_succeeds_with_phases_status_and_body) {
  test_server server(answer(200, "status: healthy"));
  auto spec = http_to(url_of(server));
  http_options(spec).body_contains = "healthy";
  const auto [r, elapsed] = run_round(spec);
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();
  EXPECT_EQ(r.http_status, 200u);
  EXPECT_EQ(phase_names(r), (std::vector<std::string_view>{"connect", "first_byte", "transfer"}));
}

TEST(probe_loopback_test, http_reports_refused) {
  const auto [r, elapsed] = run_round(http_to("http://127.0.0.1:" + std::to_string(closed_port()) + "/"));
  EXPECT_EQ(r.reason, failure_reason::refused);
}

TEST(probe_loopback_test, http_status_outside_2xx_fails) {
  test_server server(answer(500, "oops"));
  const auto [r, elapsed] = run_round(http_to(url_of(server)));
  EXPECT_EQ(r.reason, failure_reason::http_status);
  EXPECT_EQ(r.http_status, 500u);
}

TEST(probe_loopback_test, http_expected_status_replaces_2xx) {
  test_server server(answer(200, "ok"));
  auto spec = http_to(url_of(server));
  http_options(spec).expected_status = {204};
  EXPECT_EQ(run_round(spec).result.reason, failure_reason::http_status);

  test_server teapot(answer(418, "short and stout"));
  auto teapot_spec = http_to(url_of(teapot));
  http_options(teapot_spec).expected_status = {200, 418};
  EXPECT_TRUE(run_round(teapot_spec).result.success);
}

TEST(probe_loopback_test, http_body_without_the_text_is_a_body_mismatch) {
  test_server server(answer(200, "status: degraded"));
  auto spec = http_to(url_of(server));
  http_options(spec).body_contains = "healthy";
  const auto [r, elapsed] = run_round(spec);
  EXPECT_EQ(r.reason, failure_reason::body_mismatch);
  EXPECT_EQ(r.http_status, 200u);
}

TEST(probe_loopback_test, http_reset_after_the_request_is_a_reset) {
  test_server server(reset_after_request);
  const auto [r, elapsed] = run_round(http_to(url_of(server)));
  EXPECT_EQ(r.reason, failure_reason::reset) << r.error.message();
}

TEST(probe_loopback_test, http_closed_without_an_answer_is_a_protocol_failure) {
  test_server server([](tcp::socket socket) -> asio::awaitable<void> {
    co_await read_request(socket);
    socket.shutdown(asio::socket_base::shutdown_send);
  });
  const auto [r, elapsed] = run_round(http_to(url_of(server)));
  EXPECT_EQ(r.reason, failure_reason::protocol) << r.error.message();
}

TEST(probe_loopback_test, http_server_that_never_answers_is_cut_at_the_timeout) {
  test_server server(never_answer);
  const auto [r, elapsed] = run_round(http_to(url_of(server), 600ms));
  EXPECT_EQ(r.reason, failure_reason::timeout) << r.error.message();
  EXPECT_GE(elapsed, 600ms);
  EXPECT_LT(elapsed, 600ms + slack);
}

TEST(probe_loopback_test, http_endless_body_is_read_up_to_max_body_bytes) {
  test_server server(endless_body(4096, 1ms));
  auto spec = http_to(url_of(server), 5s);
  http_options(spec).max_body_bytes = 10000;
  http_options(spec).body_contains = "xxxx";
  const auto [r, elapsed] = run_round(spec);
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();
  EXPECT_LT(elapsed, 2s);  // stopped at the bound, not at the timeout
}

TEST(probe_loopback_test, http_dripping_body_is_cut_by_the_timeout) {
  test_server server(endless_body(1, 50ms));
  auto spec = http_to(url_of(server), 700ms);
  http_options(spec).max_body_bytes = 1 << 20;
  const auto [r, elapsed] = run_round(spec);
  EXPECT_EQ(r.reason, failure_reason::timeout) << r.error.message();
  EXPECT_EQ(r.http_status, 200u);
  EXPECT_GE(elapsed, 700ms);
  EXPECT_LT(elapsed, 700ms + slack);
}

// --- https --------------------------------------------------------------------------------

/// A self-signed certificate for "localhost" and 127.0.0.1 in a temp dir (openssl CLI).
class probe_loopback_tls_test : public ::testing::Test {
 protected:
  void SetUp() override {
    WGWATCH_REQUIRE_PROGRAM("openssl");
    dir_ = std::filesystem::temp_directory_path() /
           ("wgwatch-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    const auto made = test::run_command(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key(), "-out", cert()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    context_.use_certificate_chain_file(cert());
    context_.use_private_key_file(key(), ssl::context::pem);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }

  /// Handshakes, then answers 200 "secure".
  connection_handler tls_answer() {
    return [this](tcp::socket socket) -> asio::awaitable<void> {
      ssl::stream<tcp::socket> stream(std::move(socket), context_);
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
      if (ec) co_return;
      co_await read_request(stream);
      co_await write_text(stream, response(200, "secure"));
      co_await stream.async_shutdown(use_tuple);
    };
  }

  std::string https_url(const test_server& server) const {
    return "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  }

  std::filesystem::path dir_;
  ssl::context context_{ssl::context::tls_server};
};

TEST_F(probe_loopback_tls_test, https_rejects_a_self_signed_certificate_by_default) {
  test_server server(tls_answer());
  const auto [r, elapsed] = run_round(http_to(https_url(server)));
  EXPECT_EQ(r.reason, failure_reason::tls) << r.error.message();
}

TEST_F(probe_loopback_tls_test, https_insecure_skip_verify_accepts_it) {
  test_server server(tls_answer());
  auto spec = http_to(https_url(server));
  http_options(spec).insecure_skip_verify = true;
  http_options(spec).body_contains = "secure";
  const auto [r, elapsed] = run_round(spec);
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();
  EXPECT_EQ(phase_names(r),
            (std::vector<std::string_view>{"connect", "tls", "first_byte", "transfer"}));
}

TEST_F(probe_loopback_tls_test, https_trusts_the_ca_file_for_the_right_name) {
  test_server server(tls_answer());
  auto spec = http_to(https_url(server));
  http_options(spec).ca_file = cert();
  http_options(spec).server_name = "localhost";
  const auto [r, elapsed] = run_round(spec);
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();

  // The URL's address literal is in the certificate too.
  auto by_address = http_to(https_url(server));
  http_options(by_address).ca_file = cert();
  EXPECT_TRUE(run_round(by_address).result.success);
}

// The TLS context (and the CA file it reads) is built once per probe, not every round: a
// round must not depend on the file still being there, nor pay for parsing it again.
TEST_F(probe_loopback_tls_test, https_reads_the_ca_file_once_per_probe) {
  test_server server(tls_answer());
  auto spec = http_to(https_url(server));
  const auto ca = (dir_ / "ca-copy.pem").string();
  std::filesystem::copy_file(cert(), ca);
  http_options(spec).ca_file = ca;
  asio::io_context io;
  auto p = make_probe(io.get_executor(), std::move(spec), loopback);
  const auto round = [&] {
    probe_result out;
    asio::co_spawn(io, p->run(), [&](std::exception_ptr e, probe_result r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    io.restart();
    io.run();
    return out;
  };
  const auto first = round();
  ASSERT_TRUE(first.success) << to_string(first.reason) << " " << first.error.message();
  std::filesystem::remove(ca);  // a second read would fail
  for (int i = 0; i < 2; ++i) {
    const auto next = round();
    EXPECT_TRUE(next.success) << to_string(next.reason) << " " << next.error.message();
  }
}

TEST_F(probe_loopback_tls_test, https_rejects_a_trusted_certificate_for_another_name) {
  test_server server(tls_answer());
  auto spec = http_to(https_url(server));
  http_options(spec).ca_file = cert();
  http_options(spec).server_name = "wrong.example";
  const auto [r, elapsed] = run_round(spec);
  EXPECT_EQ(r.reason, failure_reason::tls) << r.error.message();
}

TEST_F(probe_loopback_tls_test, https_handshake_that_never_answers_is_a_timeout) {
  test_server server(never_answer);  // accepts, reads the ClientHello "request", stays silent
  auto spec = http_to(https_url(server), 600ms);
  const auto [r, elapsed] = run_round(spec);
  EXPECT_EQ(r.reason, failure_reason::timeout) << r.error.message();
  EXPECT_LT(elapsed, 600ms + slack);
}

// --- icmp on loopback -----------------------------------------------------------------------

TEST(probe_loopback_test, icmp_echoes_on_lo_all_answered) {
  WGWATCH_REQUIRE_ROOT();  // a raw socket unless ping_group_range admits us
  const auto [r, elapsed] = run_round(icmp_to("127.0.0.1", 3, 2s));
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();
  EXPECT_EQ(r.packets_sent, 3u);
  EXPECT_EQ(r.packets_received, 3u);
  EXPECT_EQ(r.rtts.size(), 3u);
  EXPECT_LT(elapsed, 1s);
}

TEST(probe_loopback_test, icmp_without_an_answer_times_out) {
  WGWATCH_REQUIRE_ROOT();
  // Bound to lo, a destination nobody owns: the echo leaves and nothing comes back.
  const auto [r, elapsed] = run_round(icmp_to("192.0.2.1", 2, 500ms));
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(r.reason == failure_reason::timeout || r.reason == failure_reason::unreachable)
      << to_string(r.reason);
  EXPECT_EQ(r.packets_received, 0u);
  EXPECT_LT(elapsed, 500ms + slack);
}

bool has_ipv6_loopback() {
  asio::io_context io;
  tcp::acceptor a(io);
  boost::system::error_code ec;
  a.open(tcp::v6(), ec);
  if (!ec) a.bind({asio::ip::make_address("::1"), 0}, ec);
  return !ec;
}

TEST(probe_loopback_test, icmpv6_echoes_on_lo_all_answered) {
  WGWATCH_REQUIRE_ROOT();
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no ::1 on lo: IPv6 disabled on this host";
  const auto [r, elapsed] = run_round(icmp_to("::1", 2, 2s));
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();
  EXPECT_EQ(r.packets_received, 2u);
}

TEST(probe_loopback_test, tcp_over_ipv6_binds_to_lo) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no ::1 on lo: IPv6 disabled on this host";
  asio::io_context io;
  tcp::acceptor listener(io, {asio::ip::make_address("::1"), 0});
  auto spec = tcp_to(listener.local_endpoint().port());
  std::get<tcp_spec>(spec.options).host = "::1";
  const auto [r, elapsed] = run_round(spec);
  EXPECT_TRUE(r.success) << to_string(r.reason) << " " << r.error.message();
}

TEST(probe_loopback_test, http_url_parsing) {
  EXPECT_EQ(parse_http_url("http://10.0.0.1/x?y").value(), (http_url{false, "10.0.0.1", 80, "/x?y"}));
  EXPECT_EQ(parse_http_url("https://[fd00::1]:8443").value(), (http_url{true, "fd00::1", 8443, "/"}));
  EXPECT_EQ(parse_http_url("https://host?q#f").value(), (http_url{true, "host", 443, "/?q"}));
  for (const char* bad : {"ftp://x/", "http://", "http://:80/", "http://a:0/", "http://a:99999/",
                          "http://u@h/", "http://[::1/", "http://a:b:c/"}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

}  // namespace
}  // namespace wgwatch::probe
