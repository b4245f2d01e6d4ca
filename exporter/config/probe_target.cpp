// SPDX-License-Identifier: MIT
// Probe targets as configured: numeric addresses, "host:port", http(s) URLs -> their parts.
#include "config/probe_target.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <utility>

namespace wgwatch::config {
namespace {

constexpr std::string_view no_dns = "must be a numeric IPv4 or IPv6 address (no DNS)";

std::nullopt_t fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

// 1-65535, digits only: "0" and "" are errors, as is "+1".
std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<address_family> address_family_of(std::string_view address) {
  // inet_pton wants a NUL-terminated string; an embedded NUL would cut the text short.
  if (address.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string text{address};
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return address_family::ipv4;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) return address_family::ipv6;
  return std::nullopt;
}

std::optional<host_port> parse_host_port(std::string_view text, std::string* error) {
  const auto invalid = [&](std::string_view why) {
    return fail(error, fmt::format("invalid target \"{}\": {}", text, why));
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return invalid("missing \"]\" after the IPv6 address");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return invalid("missing port (expected host:port or [v6]:port)");
    }
    port = rest.substr(1);
    if (address_family_of(host) != address_family::ipv6) {
      return invalid("inside \"[]\" must be a numeric IPv6 address");
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid("missing port (expected host:port or [v6]:port)");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid("an IPv6 address needs brackets: [v6]:port");
    }
    if (address_family_of(host) != address_family::ipv4) {
      return invalid(fmt::format("host {}", no_dns));
    }
  }
  const auto number = parse_port(port);
  if (!number) return invalid(fmt::format("port \"{}\" must be a number from 1 to 65535", port));
  return host_port{std::string{host}, *number, *address_family_of(host)};
}

std::optional<http_url> parse_http_url(std::string_view text, std::string* error) {
  namespace urls = boost::urls;
  const auto invalid = [&](std::string_view why) {
    return fail(error, fmt::format("invalid URL \"{}\": {}", text, why));
  };
  const auto parsed = urls::parse_uri(urls::string_view{text.data(), text.size()});
  if (!parsed) {
    return invalid("not an absolute URL (expected http://host[:port]/path or https://...)");
  }
  const urls::url_view& u = *parsed;
  http_url out;
  if (u.scheme_id() == urls::scheme::https)
    out.https = true;
  else if (u.scheme_id() != urls::scheme::http)
    return invalid("scheme must be http or https");
  if (!u.has_authority() || u.encoded_host().empty()) return invalid("missing host");
  if (u.has_userinfo()) return invalid("must not contain user information");
  if (u.has_fragment()) return invalid("must not contain a fragment");
  switch (u.host_type()) {
    case urls::host_type::ipv4:
      out.family = address_family::ipv4;
      break;
    case urls::host_type::ipv6:
      out.family = address_family::ipv6;
      break;
    default:
      return invalid(fmt::format("host {}; set server_name for TLS", no_dns));
  }
  out.host = std::string{u.host_address()};
  if (u.has_port()) {
    const std::string_view port{u.port().data(), u.port().size()};
    const auto number = parse_port(port);
    if (!number) {
      return invalid(fmt::format("port \"{}\" must be a number from 1 to 65535", port));
    }
    out.port = *number;
  } else {
    out.port = out.https ? 443 : 80;
  }
  const auto path = u.encoded_path();
  out.target = path.empty() ? "/" : std::string{path.data(), path.size()};
  if (u.has_query()) {
    const auto query = u.encoded_query();
    out.target += '?';
    out.target.append(query.data(), query.size());
  }
  return out;
}

}  // namespace wgwatch::config
