// SPDX-License-Identifier: MIT
// http_probe: an HTTP(S) request (Boost.Beast, OpenSSL) over a stream bound to the tunnel.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "probes/probe.hpp"

namespace boost::asio::ssl {
class context;
}

namespace wgwatch::probe {

/// The parts of an http:// or https:// URL a probe needs.
struct http_url {
  bool tls = false;
  std::string host;    ///< without brackets for IPv6 literals
  std::uint16_t port = 0;  ///< the scheme's default when absent
  std::string target;  ///< path and query; "/" when absent

  friend bool operator==(const http_url&, const http_url&) = default;
};

/// Splits `url`; errc::config_invalid for another scheme, an empty host, a bad port, userinfo.
/// Pure.
result<http_url> parse_http_url(std::string_view url);

/// Connect (phase "connect"; a host name is resolved first, inside the phase), TLS handshake
/// for https ("tls": verification on unless insecure_skip_verify; SNI and host name checked
/// against server_name or the URL host; CA file or the system store), request and response
/// header ("first_byte"), at most max_body_bytes of body ("transfer"; more is not an error).
/// Then expected_status (empty = 2xx) -> http_status, body_contains -> body_mismatch.
/// The whole round is bounded by the spec's timeout (the socket is closed when it passes).
/// The TLS context (trust anchors, the CA file) is built by the first round that needs it and
/// kept for the probe's life: a new CA file takes effect with a new probe (a restart).
/// Runs on the executor's thread; never throws for network outcomes.
class http_probe final : public bound_probe {
 public:
  /// Splits the spec's URL once, not every round.
  http_probe(boost::asio::any_io_executor executor, probe_spec spec, binding where);
  ~http_probe() override;

  boost::asio::awaitable<probe_result> run() override;

 private:
  result<http_url> url_;
  std::unique_ptr<boost::asio::ssl::context> tls_context_;  ///< null until built
};

}  // namespace wgwatch::probe
