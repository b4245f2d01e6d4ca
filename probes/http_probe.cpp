// SPDX-License-Identifier: MIT
// http_probe: bound connect, optional TLS, one request, a bounded read of the response.
#include "probes/http_probe.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "probes/tcp_probe.hpp"
#include "util/error.hpp"

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk_bytes = 16 * 1024;

result<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return make_error_code(errc::config_invalid);
  }
  return static_cast<std::uint16_t>(value);
}

/// What one round has learnt so far.
struct round {
  const http_spec& options;
  const http_url& url;
  clock::time_point start;
  clock::time_point mark;  ///< end of the previous phase
  probe_result out;

  void end_phase(std::string_view phase) {
    const auto now = clock::now();
    out.phases.push_back({phase, std::chrono::duration_cast<seconds_d>(now - mark)});
    mark = now;
  }
};

/// Network errors keep their socket meaning; a broken HTTP exchange is a protocol failure.
step_outcome exchange_failure(const error_code& ec) {
  auto reason = classify_socket_error(ec);
  if (reason == failure_reason::internal &&
      (ec.category() == error_code(http::error::end_of_stream).category() ||
       ec == asio::error::eof || ec == ssl::error::stream_truncated)) {
    reason = failure_reason::protocol;
  }
  return {reason, ec};
}

std::string host_header(const http_url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80)) host += ":" + std::to_string(url.port);
  return host;
}

/// Sends the request, reads the header (first_byte) and at most max_body_bytes (transfer).
template <class Stream>
asio::awaitable<step_outcome> exchange(Stream& stream, round& r, std::string& body) {
  const auto verb = http::string_to_verb(r.options.method);
  if (verb == http::verb::unknown) {
    co_return step_outcome{failure_reason::internal, make_error_code(errc::config_invalid)};
  }
  http::request<http::empty_body> request{verb, r.url.target, 11};
  request.set(http::field::host, host_header(r.url));
  request.set(http::field::user_agent, "wgwatch");
  request.set(http::field::connection, "close");
  if (auto [ec, n] = co_await http::async_write(stream, request, use_tuple); ec) {
    co_return exchange_failure(ec);
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  // We stop reading at max_body_bytes ourselves; a longer body is not an error.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (verb == http::verb::head) parser.skip(true);
  if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple); ec) {
    co_return exchange_failure(ec);
  }
  r.out.http_status = parser.get().result_int();
  r.end_phase("first_byte");

  std::array<char, read_chunk_bytes> chunk;
  while (!parser.is_done() && body.size() < r.options.max_body_bytes) {
    const std::size_t want = std::min(chunk.size(), r.options.max_body_bytes - body.size());
    parser.get().body().data = chunk.data();
    parser.get().body().size = want;
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    body.append(chunk.data(), want - parser.get().body().size);
    if (ec == http::error::need_buffer) continue;
    if (ec) co_return exchange_failure(ec);
  }
  r.end_phase("transfer");
  co_return step_outcome{};
}

/// The TLS context of the spec: verification, trust anchors.
result<std::unique_ptr<ssl::context>> make_tls_context(const http_spec& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  if (options.insecure_skip_verify) {
    context->set_verify_mode(ssl::verify_none);
    return context;
  }
  error_code ec;
  context->set_verify_mode(ssl::verify_peer, ec);
  if (!ec) {
    if (options.ca_file.empty()) {
      context->set_default_verify_paths(ec);
    } else {
      context->load_verify_file(options.ca_file, ec);
    }
  }
  if (ec) return ec;
  return context;
}

asio::awaitable<step_outcome> tls_handshake(beast::ssl_stream<beast::tcp_stream>& stream,
                                            const http_spec& options, const http_url& url) {
  const std::string name = options.server_name.empty() ? url.host : options.server_name;
  error_code ec;
  asio::ip::make_address(name, ec);
  // SNI carries names only (RFC 6066); an address literal is verified without it.
  if (ec && SSL_set_tlsext_host_name(stream.native_handle(), name.c_str()) != 1) {
    co_return step_outcome{failure_reason::tls, make_error_code(errc::protocol_error)};
  }
  if (!options.insecure_skip_verify) {
    stream.set_verify_callback(ssl::host_name_verification(name));
  }
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (handshake_ec) {
    const auto reason = classify_socket_error(handshake_ec) == failure_reason::timeout
                            ? failure_reason::timeout
                            : failure_reason::tls;
    co_return step_outcome{reason, handshake_ec};
  }
  co_return step_outcome{};
}

asio::awaitable<result<asio::ip::tcp::endpoint>> resolve(asio::any_io_executor executor,
                                                        const http_url& url) {
  error_code ec;
  const auto address = asio::ip::make_address(url.host, ec);
  if (!ec) co_return asio::ip::tcp::endpoint(address, url.port);
  // A name: the system resolver (bounded by its own timeouts, not the probe's).
  asio::ip::tcp::resolver resolver(executor);
  auto [resolve_ec, results] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
  if (resolve_ec) co_return resolve_ec;
  if (results.empty()) co_return error_code(asio::error::host_not_found);
  co_return results.begin()->endpoint();
}

step_outcome judge(const http_spec& options, const probe_result& out, const std::string& body) {
  const unsigned status = out.http_status.value_or(0);
  const bool status_ok = options.expected_status.empty()
                             ? status >= 200 && status <= 299
                             : std::find(options.expected_status.begin(),
                                         options.expected_status.end(),
                                         status) != options.expected_status.end();
  if (!status_ok) return {failure_reason::http_status, make_error_code(errc::reply_mismatch)};
  if (options.body_contains && body.find(*options.body_contains) == std::string::npos) {
    return {failure_reason::body_mismatch, make_error_code(errc::reply_mismatch)};
  }
  return {};
}

}  // namespace

result<http_url> parse_http_url(std::string_view url) {
  http_url out;
  constexpr std::string_view http_scheme = "http://";
  constexpr std::string_view https_scheme = "https://";
  if (url.starts_with(https_scheme)) {
    out.tls = true;
    url.remove_prefix(https_scheme.size());
  } else if (url.starts_with(http_scheme)) {
    url.remove_prefix(http_scheme.size());
  } else {
    return make_error_code(errc::config_invalid);
  }
  const auto authority_end = url.find_first_of("/?#");
  const std::string_view authority = url.substr(0, authority_end);
  std::string_view rest = authority_end == std::string_view::npos ? "" : url.substr(authority_end);
  rest = rest.substr(0, rest.find('#'));
  out.target = rest.empty() ? "/" : rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  if (authority.find('@') != std::string_view::npos) return make_error_code(errc::config_invalid);

  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error_code(errc::config_invalid);
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error_code(errc::config_invalid);
      port = after.substr(1);
      if (port.empty()) return make_error_code(errc::config_invalid);
    }
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.find(':') != std::string_view::npos) {
      return make_error_code(errc::config_invalid);
    }
  }
  if (host.empty()) return make_error_code(errc::config_invalid);
  out.host = std::string(host);
  if (port.empty()) {
    out.port = out.tls ? 443 : 80;
  } else {
    auto parsed = parse_port(port);
    if (!parsed) return parsed.error();
    out.port = *parsed;
  }
  return out;
}

http_probe::http_probe(asio::any_io_executor executor, probe_spec spec, binding where)
    : bound_probe(std::move(executor), std::move(spec), std::move(where)),
      url_(parse_http_url(std::get<http_spec>(spec_.options).url)) {}

http_probe::~http_probe() = default;

asio::awaitable<probe_result> http_probe::run() {
  const auto start = clock::now();
  const auto deadline = start + spec_.timeout;
  const auto& options = std::get<http_spec>(spec_.options);
  auto finish = [&](round& r, step_outcome outcome) {
    r.out.duration = std::chrono::duration_cast<seconds_d>(clock::now() - start);
    r.out.reason = outcome.reason;
    r.out.error = outcome.error;
    r.out.success = outcome.reason == failure_reason::none;
    return std::move(r.out);
  };
  const auto& url = url_;
  if (!url) {
    probe_result out;
    out.reason = failure_reason::internal;
    out.error = url.error();
    co_return out;
  }
  round r{options, *url, start, start, {}};
  const auto endpoint = co_await resolve(executor_, *url);
  if (!endpoint) co_return finish(r, {failure_reason::unreachable, endpoint.error()});

  std::string body;
  if (!url->tls) {
    beast::tcp_stream stream(executor_);
    stream.expires_at(deadline);
    if (auto c = co_await bound_connect(stream, *endpoint, where_); !c) co_return finish(r, c);
    r.end_phase("connect");
    auto exchanged = co_await exchange(stream, r, body);
    error_code ignored;
    stream.socket().close(ignored);
    if (!exchanged) co_return finish(r, exchanged);
    co_return finish(r, judge(options, r.out, body));
  }

  // Built once: parsing the system store or the CA file every round costs milliseconds of
  // CPU per probe. A failed build (CA file not there yet) is retried next round.
  if (!tls_context_) {
    auto context = make_tls_context(options);
    if (!context) co_return finish(r, {failure_reason::tls, context.error()});
    tls_context_ = std::move(*context);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor_, *tls_context_);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_at(deadline);
  if (auto c = co_await bound_connect(lowest, *endpoint, where_); !c) co_return finish(r, c);
  r.end_phase("connect");
  if (auto t = co_await tls_handshake(stream, options, *url); !t) {
    lowest.socket().close();
    co_return finish(r, t);
  }
  r.end_phase("tls");
  auto exchanged = co_await exchange(stream, r, body);
  // No TLS shutdown: the peer may never answer close_notify, and the round is over.
  error_code ignored;
  lowest.socket().close(ignored);
  if (!exchanged) co_return finish(r, exchanged);
  co_return finish(r, judge(options, r.out, body));
}

}  // namespace wgwatch::probe
