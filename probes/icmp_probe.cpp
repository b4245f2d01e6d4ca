// SPDX-License-Identifier: MIT
// icmp_probe: ping or raw socket, DF, echoes paced by packet_interval, answers matched by
// sequence and payload, ICMP errors read from the error queue (IP_RECVERR).
#include "probes/icmp_probe.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probes/icmp_packet.hpp"
#include "probes/socket_binding.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

// GCC 12 reports a false -Wmismatched-new-delete on asio awaitable frames that use the
// awaitable operators (the frame's operator new and delete are asio's matching pair).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct icmp_socket {
  unique_fd fd;
  bool raw = false;
};

/// A ping socket when the group range allows it, else a raw one.
result<icmp_socket> open_icmp_socket(int family) {
  const int protocol = family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  constexpr int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  if (const int fd = ::socket(family, SOCK_DGRAM | flags, protocol); fd >= 0) {
    return icmp_socket{unique_fd(fd), false};
  }
  if (const int fd = ::socket(family, SOCK_RAW | flags, protocol); fd >= 0) {
    return icmp_socket{unique_fd(fd), true};
  }
  return from_errno();
}

result<void> set_int(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return from_errno();
  return {};
}

/// DF (no local fragmentation, EMSGSIZE above the path MTU) and ICMP errors on the error queue.
result<void> configure(int fd, int family, bool dont_fragment) {
  if (family == AF_INET) {
    if (auto r = set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER,
                         dont_fragment ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT); !r) return r;
    return set_int(fd, IPPROTO_IP, IP_RECVERR, 1);
  }
  if (auto r = set_int(fd, IPPROTO_IPV6, IPV6_DONTFRAG, dont_fragment ? 1 : 0); !r) return r;
  if (auto r = set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER,
                       dont_fragment ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_DONT); !r) return r;
  return set_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
}

socklen_t to_sockaddr(const asio::ip::address& address, sockaddr_storage& out) {
  out = {};
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(&sin->sin_addr, bytes.data(), bytes.size());
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  const auto v6 = address.to_v6();
  const auto bytes = v6.to_bytes();
  std::memcpy(&sin6->sin6_addr, bytes.data(), bytes.size());
  sin6->sin6_scope_id = v6.scope_id();
  return sizeof(sockaddr_in6);
}

/// One echo of the round.
struct echo_state {
  std::vector<std::uint8_t> payload;
  clock::time_point sent;
  bool answered = false;
  bool failed = false;  ///< an ICMP error quoted it
};

/// The round in progress: what was sent, what came back, what went wrong.
struct round_state {
  std::map<std::uint16_t, echo_state> echoes;
  std::uint32_t answered = 0;
  std::optional<failure_reason> error_reason;  ///< from ICMP errors / the error queue
  error_code error;

  bool settled(std::uint32_t packets) const {
    if (echoes.size() < packets) return false;
    for (const auto& [seq, e] : echoes) {
      if (!e.answered && !e.failed) return false;
    }
    return true;
  }
};

std::optional<failure_reason> reason_of_errno(int err) {
  switch (err) {
    case EMSGSIZE: return failure_reason::message_too_big;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ECONNREFUSED:
    case EHOSTDOWN:
    case ENODEV:
    case ENETDOWN:
    case EACCES:  // ICMP "administratively prohibited"
      return failure_reason::unreachable;
    default: return std::nullopt;
  }
}

void note_error(round_state& round, int err) {
  const auto reason = reason_of_errno(err);
  if (!reason) return;
  // "Too big" wins: it explains the silence of large probes better than a later unreachable.
  if (!round.error_reason || *reason == failure_reason::message_too_big) {
    round.error_reason = reason;
    round.error = from_errno(err);
  }
}

/// Reads the ICMP errors the kernel queued for this socket (IP_RECVERR).
void drain_error_queue(int fd, round_state& round) {
  for (;;) {
    std::uint8_t data[512];
    alignas(cmsghdr) std::uint8_t control[512];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      const bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      sock_extended_err ee{};
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      note_error(round, static_cast<int>(ee.ee_errno));
    }
  }
}

void on_packet(std::span<const std::uint8_t> packet, icmp_family family,
               const decode_options& options, round_state& round, probe_result& out) {
  const auto decoded = decode_icmp(family, packet, options);
  if (!decoded) return;  // not ours: other traffic on a raw socket
  const auto it = round.echoes.find(decoded->sequence);
  if (it == round.echoes.end()) return;
  echo_state& echo = it->second;
  if (decoded->message == icmp_message::echo_reply) {
    // The cookie check: ping sockets rewrite the id, so the payload proves the answer is ours.
    if (echo.answered || !std::equal(echo.payload.begin(), echo.payload.end(),
                                     decoded->payload.begin(), decoded->payload.end())) {
      return;
    }
    echo.answered = true;
    ++round.answered;
    out.rtts.push_back(std::chrono::duration_cast<seconds_d>(clock::now() - echo.sent));
    return;
  }
  echo.failed = true;
  note_error(round, decoded->message == icmp_message::packet_too_big ? EMSGSIZE : EHOSTUNREACH);
}

/// Reads everything queued on the socket without blocking.
void receive_all(int fd, icmp_family family, const decode_options& options, round_state& round,
                 probe_result& out) {
  std::vector<std::uint8_t> buffer(65536);
  for (;;) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n >= 0) {
      on_packet(std::span(buffer.data(), static_cast<std::size_t>(n)), family, options, round, out);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno == EINTR) continue;
    // A pending socket error (sk_err) from an ICMP error: the details are on the error queue.
    note_error(round, errno);
    drain_error_queue(fd, round);
    return;  // anything still queued wakes the next wait at once
  }
}

probe_result finish(probe_result out, const round_state& round, clock::time_point start) {
  out.duration = std::chrono::duration_cast<seconds_d>(clock::now() - start);
  out.packets_received = round.answered;
  if (out.packets_sent > 0 && round.answered == out.packets_sent && out.reason == failure_reason::none) {
    out.success = true;
    return out;
  }
  if (out.reason != failure_reason::none) return out;  // decided at send time
  if (round.answered > 0) {
    out.reason = failure_reason::packet_loss;
    out.error = make_error_code(errc::timed_out);
  } else if (round.error_reason) {
    out.reason = *round.error_reason;
    out.error = round.error;
  } else {
    out.reason = failure_reason::timeout;
    out.error = make_error_code(errc::timed_out);
  }
  return out;
}

probe_result failed(failure_reason reason, error_code ec, clock::time_point start) {
  probe_result out;
  out.reason = reason;
  out.error = ec;
  out.duration = std::chrono::duration_cast<seconds_d>(clock::now() - start);
  return out;
}

}  // namespace

icmp_probe::icmp_probe(asio::any_io_executor executor, probe_spec spec, binding where)
    : bound_probe(std::move(executor), std::move(spec), std::move(where)),
      random_(std::random_device{}()) {}

asio::awaitable<probe_result> icmp_probe::run() {
  const auto start = clock::now();
  const auto deadline = start + spec_.timeout;
  const auto& options = std::get<icmp_spec>(spec_.options);
  error_code ec;
  const auto target = asio::ip::make_address(options.address, ec);
  if (ec) co_return failed(failure_reason::internal, ec, start);
  const int family = target.is_v4() ? AF_INET : AF_INET6;
  const icmp_family icmp = target.is_v4() ? icmp_family::v4 : icmp_family::v6;

  auto opened = open_icmp_socket(family);
  if (!opened) co_return failed(failure_reason::internal, opened.error(), start);
  const int fd = opened->fd.get();
  if (auto r = apply_binding(fd, family, where_); !r) {
    co_return failed(failure_reason::bind_error, r.error(), start);
  }
  if (auto r = configure(fd, family, options.dont_fragment); !r) {
    co_return failed(failure_reason::internal, r.error(), start);
  }
  const bool raw = opened->raw;
  asio::posix::stream_descriptor descriptor(executor_, opened->fd.release());

  sockaddr_storage to{};
  const socklen_t to_length = to_sockaddr(target, to);
  const auto id = static_cast<std::uint16_t>(random_());
  const std::uint64_t cookie = random_();
  // Raw IPv4 sockets see the IP header and every ICMP message; ping sockets only our answers
  // (with the id the kernel chose).
  const decode_options decode{.has_ip_header = raw && family == AF_INET,
                              .id = raw ? std::optional<std::uint16_t>(id) : std::nullopt};

  probe_result out;
  round_state round;
  asio::steady_timer timer(executor_);
  auto next_send = start;
  for (;;) {
    if (out.packets_sent < options.packets && clock::now() >= next_send) {
      const std::uint16_t sequence = next_sequence_++;
      echo_state echo;
      echo.sent = clock::now();
      echo.payload = make_echo_payload(
          cookie, static_cast<std::uint64_t>(echo.sent.time_since_epoch().count()),
          options.payload_bytes);
      const auto packet = encode_echo_request(icmp, id, sequence, echo.payload);
      const ssize_t n = ::sendto(descriptor.native_handle(), packet.data(), packet.size(), 0,
                                 reinterpret_cast<const sockaddr*>(&to), to_length);
      if (n < 0) {
        const int err = errno;
        if (err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) {
          // EMSGSIZE (DF above the path MTU) or no route/link: the round's verdict.
          out.reason = reason_of_errno(err).value_or(failure_reason::internal);
          out.error = from_errno(err);
          break;
        }
      }
      ++out.packets_sent;
      round.echoes.emplace(sequence, std::move(echo));
      next_send += options.packet_interval;
      continue;
    }
    if (round.settled(options.packets)) break;
    const auto now = clock::now();
    if (now >= deadline) break;
    const auto wake = out.packets_sent < options.packets ? std::min(next_send, deadline) : deadline;
    timer.expires_at(wake);
    const auto woke = co_await (
        descriptor.async_wait(asio::posix::descriptor_base::wait_read, use_tuple) ||
        timer.async_wait(use_tuple));
    if (woke.index() == 0) {
      if (const auto [wait_ec] = std::get<0>(woke); wait_ec) {
        out.reason = failure_reason::internal;
        out.error = wait_ec;
        break;
      }
      receive_all(descriptor.native_handle(), icmp, decode, round, out);
    }
  }
  error_code ignored;
  descriptor.close(ignored);
  co_return finish(std::move(out), round, start);
}

}  // namespace wgwatch::probe
