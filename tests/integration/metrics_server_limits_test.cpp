// SPDX-License-Identifier: MIT
// The metrics server cannot be starved: a connection cap that reclaims idle connections,
// idle and write timeouts, and (through the real agent with a low descriptor limit) scrapes,
// /-/healthy and a TCP probe that keep working under a flood of idle connections.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "http/metrics_server.hpp"
#include "support/agent_process.hpp"
#include "support/exposition.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using wgwatch::http::metrics_server;
using clock_type = std::chrono::steady_clock;

/// Only a guard against a hang: every wait below ends on a condition.
constexpr auto hang_guard = 20s;

/// The test opens hundreds of sockets: lift its own soft limit to the hard one.
void raise_own_nofile() {
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  lim.rlim_cur = lim.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);
}

/// True if the peer has closed `s` (FIN or reset); reads nothing.
bool peer_closed(tcp::socket& s) {
  pollfd p{s.native_handle(), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/// True if data for `s` has arrived (the server started answering); reads nothing.
bool has_data(tcp::socket& s) {
  pollfd p{s.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

/// Sockets of this process (the in-process server's and the test's).
std::size_t open_sockets() {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (!ec && target.string().starts_with("socket:")) ++n;
  }
  return n;
}

template <class Pred>
bool eventually(Pred pred) {
  const auto until = clock_type::now() + hang_guard;
  while (clock_type::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

class MetricsServerLimitsTest : public ::testing::Test {
 protected:
  /// The first render returns `first_body`, later ones a small body: a large body for a
  /// stuck client must not make the other scrapes slow enough to hit the write timeout.
  void start(wgwatch::http::server_options opts, std::string first_body = "up_demo 1\n") {
    opts.listen = {"127.0.0.1", 0};
    body_ = std::move(first_body);
    server_ = std::make_unique<metrics_server>(
        opts, [this] { return renders_++ == 0 ? body_ : std::string("up_demo 1\n"); });
    auto bound = server_->start();
    ASSERT_TRUE(bound.has_value()) << bound.error().message();
    endpoint_ = *bound;
  }

  tcp::socket connect() {
    tcp::socket s(io_);
    s.connect(endpoint_);
    return s;
  }

  void send_get(tcp::socket& s, std::string_view target) {
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    bhttp::write(s, req);
  }

  /// GET on a fresh connection; the status, or 0 when the server closed it unanswered.
  unsigned scrape(std::string* body = nullptr) {
    auto s = connect();
    timeval tv{static_cast<time_t>(hang_guard.count()), 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    send_get(s, "/metrics");
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);  // the large bodies below exceed Beast's 8 MiB default
    beast::error_code ec;
    bhttp::read(s, buffer, parser, ec);
    if (ec) return 0;
    if (body) *body = parser.get().body();
    return parser.get().result_int();
  }

  asio::io_context io_;
  std::string body_;
  int renders_ = 0;  // server thread only
  std::unique_ptr<metrics_server> server_;
  tcp::endpoint endpoint_;
};

// Over the cap, the longest-idle connections are closed to make room: the server never holds
// more than the cap, and a scrape arriving behind a flood of idle connections is answered.
TEST_F(MetricsServerLimitsTest, IdleConnectionsOverTheCapAreReclaimedForAScrape) {
  raise_own_nofile();
  wgwatch::http::server_options opts;
  opts.max_connections = 4;
  opts.idle_timeout = 10min;  // only the cap can free them within the test
  start(opts);
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(connect());
  std::string body;
  EXPECT_EQ(scrape(&body), 200u);
  EXPECT_EQ(body, "up_demo 1\n");
  // 41 connections, at most 4 open: at least 37 of the idle ones were closed by the server.
  auto closed = [&] {
    std::size_t n = 0;
    for (auto& s : idle) n += peer_closed(s) ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(eventually([&] { return closed() >= 37; })) << closed() << " closed";
}

// A keep-alive connection that sends no further request, and one that never sends any, are
// closed after the idle timeout.
TEST_F(MetricsServerLimitsTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  wgwatch::http::server_options opts;
  opts.idle_timeout = 300ms;
  start(opts);
  auto silent = connect();
  auto kept = connect();
  send_get(kept, "/metrics");
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(kept, buffer, res);
  ASSERT_EQ(res.result(), bhttp::status::ok);
  ASSERT_TRUE(res.keep_alive());
  EXPECT_TRUE(eventually([&] { return peer_closed(silent); }))
      << "a connection that never sent a request stayed open";
  EXPECT_TRUE(eventually([&] { return peer_closed(kept); }))
      << "an idle keep-alive connection stayed open";
}

// A client that requests a large body and never reads it: others are answered meanwhile, and
// the server lets go of its connection (the descriptor) once the write timeout passes.
TEST_F(MetricsServerLimitsTest, ANeverReadingClientIsDroppedAfterTheWriteTimeout) {
  wgwatch::http::server_options opts;
  opts.write_timeout = 2s;  // margin for a loaded machine between the checks below
  opts.idle_timeout = 10min;
  start(opts, std::string(32u << 20, 'x'));  // far more than the socket buffers take
  const std::size_t before = open_sockets();
  auto stuck = connect();
  int small = 4096;
  ::setsockopt(stuck.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  send_get(stuck, "/metrics");
  // The server is writing and holds the connection: its socket and ours are open.
  ASSERT_TRUE(eventually([&] { return has_data(stuck); }));
  ASSERT_EQ(open_sockets(), before + 2);
  EXPECT_EQ(scrape(), 200u) << "a never-reading client blocked another scrape";
  EXPECT_TRUE(eventually([&] { return open_sockets() == before + 1; }))
      << "the server still holds the never-reading connection";
}

// When every connection is busy (mid-response), a new one is refused at once instead of
// queueing, and the accept loop keeps serving once a slot frees.
TEST_F(MetricsServerLimitsTest, ConnectionsOverACapOfBusyOnesAreRefusedAtOnce) {
  wgwatch::http::server_options opts;
  opts.max_connections = 1;
  opts.write_timeout = 3s;  // margin for a loaded machine before the refused connect
  opts.idle_timeout = 10min;
  start(opts, std::string(32u << 20, 'x'));
  auto stuck = connect();
  int small = 4096;
  ::setsockopt(stuck.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  send_get(stuck, "/metrics");
  ASSERT_TRUE(eventually([&] { return has_data(stuck); }));  // busy: mid-response
  auto refused = connect();
  EXPECT_TRUE(eventually([&] { return peer_closed(refused); })) << "a connection over the cap was kept";
  // Once the stuck write times out, the slot is free again.
  EXPECT_TRUE(eventually([&] { return scrape() == 200u; }));
}

// ---- The real agent with a low descriptor limit -------------------------------------------

std::optional<double> value_of(const std::string& body, std::string_view name,
                               const wgwatch::test::label_map& labels) {
  return wgwatch::test::sample_value(wgwatch::test::parse_exposition(body), name, labels);
}

// The agent's RLIMIT_NOFILE is `nofile` (soft and hard, so raising it does not help); 400 idle
// connections would take every descriptor. Scrapes, /-/healthy and a TCP probe bound to lo
// must keep working, and the probe must not fail for lack of descriptors.
void flood_the_agent(std::uint64_t nofile) {
  raise_own_nofile();
  asio::io_context io;
  tcp::acceptor target(io, {asio::ip::make_address_v4("127.0.0.1"), 0});  // the kernel accepts
  const auto target_port = target.local_endpoint().port();
  const wgwatch::test::label_map probe{{"device", "lo"}, {"probe", "tcp"}};

  auto opts = wgwatch::test::agent_options::with_config(fmt::format(
      "[[tunnel]]\ninterface = \"lo\"\nrole = \"primary\"\n\n"
      "[[tunnel.probe]]\nname = \"tcp\"\nkind = \"tcp\"\ntarget = \"127.0.0.1:{}\"\n"
      "interval = \"200ms\"\ntimeout = \"150ms\"\n",
      target_port));
  opts.nofile_limit = nofile;
  opts.log_level = "info";
  wgwatch::test::agent_process agent(opts);

  auto runs = [&] {
    const auto res = agent.scrape();
    if (res.status != 200) return -1.0;
    return value_of(res.body, "wgwatch_probe_runs_total", probe).value_or(-1.0);
  };
  ASSERT_TRUE(eventually([&] { return runs() >= 1; })) << agent.stderr_text();

  std::vector<tcp::socket> flood;
  for (int i = 0; i < 400; ++i) {
    tcp::socket s(io);
    s.connect({asio::ip::make_address_v4("127.0.0.1"), agent.port()});
    flood.push_back(std::move(s));
  }

  // With the flood still connected: a scrape, /-/healthy, and probe rounds that succeed.
  const auto first = agent.scrape();
  ASSERT_EQ(first.status, 200u) << agent.stderr_text();
  const double runs_at_flood = value_of(first.body, "wgwatch_probe_runs_total", probe).value_or(-1);
  const auto healthy = agent.get("/-/healthy");
  EXPECT_EQ(healthy.status, 200u);
  EXPECT_EQ(healthy.body, "OK\n");
  ASSERT_TRUE(eventually([&] { return runs() >= runs_at_flood + 3; })) << agent.stderr_text();
  const auto last = agent.scrape();
  ASSERT_EQ(last.status, 200u);
  EXPECT_EQ(value_of(last.body, "wgwatch_probe_success", probe), 1.0) << last.body;
  const auto e = wgwatch::test::parse_exposition(last.body);
  EXPECT_EQ(wgwatch::test::sample_value(e, "wgwatch_probe_failures_total",
                                        {{"device", "lo"}, {"probe", "tcp"}, {"reason", "internal"}})
                .value_or(0),
            0)
      << last.body;
  EXPECT_NE(agent.stderr_text().find("msg=\"descriptor limit\""), std::string::npos)
      << agent.stderr_text();
  EXPECT_EQ(agent.stop(), 0);
}

// Above the reserve: the connection cap alone keeps descriptors free.
TEST(MetricsServerAgentLimits, AFloodOfIdleConnectionsStarvesNeitherScrapesNorProbes) {
  flood_the_agent(200);
}

// Below cap + reserve (64 + 128): the agent shrinks the cap so the reserve still holds.
TEST(MetricsServerAgentLimits, ALowDescriptorLimitShrinksTheCapToKeepTheReserve) {
  flood_the_agent(64);
}

}  // namespace
