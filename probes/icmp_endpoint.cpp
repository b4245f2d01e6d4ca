// SPDX-License-Identifier: MIT
// icmp_endpoint: open once (ping socket, else raw; binding; DF; IP_RECVERR), read with one
// persistent wait, dispatch by sequence; a registry of open endpoints per key.
#include "probes/icmp_endpoint.hpp"

#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <random>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include "probes/socket_binding.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;

struct opened_socket {
  unique_fd fd;
  bool raw = false;
};

/// A ping socket when the group range allows it, else a raw one.
result<opened_socket> open_icmp_socket(int family) {
  const int protocol = family == AF_INET ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
  constexpr int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  if (const int fd = ::socket(family, SOCK_DGRAM | flags, protocol); fd >= 0) {
    return opened_socket{unique_fd(fd), false};
  }
  if (const int fd = ::socket(family, SOCK_RAW | flags, protocol); fd >= 0) {
    return opened_socket{unique_fd(fd), true};
  }
  return from_errno();
}

result<void> set_int(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return from_errno();
  return {};
}

/// DF (no local fragmentation, EMSGSIZE above the path MTU), ICMP errors on the error queue
/// and receive timestamps.
result<void> configure(int fd, int family, bool dont_fragment) {
  if (auto r = set_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1); !r) return r;
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

/// A raw socket receives every ICMP message for the host (neighbour discovery, MLD, other
/// programs' echoes, a flood): let the kernel drop all but echo replies and the errors that
/// dispatch() reports, before they cost a wakeup.
result<void> filter_raw(int fd, int family) {
  if (family == AF_INET) {
    icmp_filter filter{};
    filter.data = ~((1u << icmp4_echo_reply) | (1u << icmp4_unreachable) |
                    (1u << icmp4_time_exceeded));  // a set bit drops that type
    if (::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter) != 0) return from_errno();
    return {};
  }
  icmp6_filter filter{};
  ICMP6_FILTER_SETBLOCKALL(&filter);
  for (const std::uint8_t type :
       {icmp6_echo_reply, icmp6_unreachable, icmp6_packet_too_big, icmp6_time_exceeded}) {
    ICMP6_FILTER_SETPASS(type, &filter);
  }
  if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0) {
    return from_errno();
  }
  return {};
}

/// Errors that mean the socket's binding is stale: its interface was deleted (and perhaps
/// re-created under a new index) or its source address is gone.
bool stale_binding(int err) noexcept {
  return err == ENODEV || err == ENXIO || err == EINVAL || err == EADDRNOTAVAIL;
}

std::uint64_t random_seed() {
  thread_local std::mt19937_64 random(std::random_device{}());
  return random();
}

}  // namespace

struct icmp_endpoint::registry {
  std::mutex mutex;
  std::map<key, std::weak_ptr<icmp_endpoint>> open;

  static registry& get() {
    static registry r;
    return r;
  }
};

boost::system::result<std::shared_ptr<icmp_endpoint>, icmp_endpoint::open_failure>
icmp_endpoint::acquire(const asio::any_io_executor& executor, const binding& where, int family,
                       bool dont_fragment) {
  const void* context = &asio::query(executor, asio::execution::context);
  key k{context, where.interface, where.source_address.value_or(""), where.fwmark, family,
        dont_fragment};
  auto& reg = registry::get();
  {
    const std::lock_guard lock(reg.mutex);
    if (const auto it = reg.open.find(k); it != reg.open.end()) {
      if (auto ep = it->second.lock(); ep && ep->valid_) return ep;
    }
  }
  auto opened = open_icmp_socket(family);
  if (!opened) return open_failure{failure_reason::internal, opened.error()};
  const int fd = opened->fd.get();
  if (auto r = apply_binding(fd, family, where); !r) {
    return open_failure{failure_reason::bind_error, r.error()};
  }
  if (auto r = configure(fd, family, dont_fragment); !r) {
    return open_failure{failure_reason::internal, r.error()};
  }
  if (opened->raw) {
    if (auto r = filter_raw(fd, family); !r) return open_failure{failure_reason::internal, r.error()};
  }
  std::shared_ptr<icmp_endpoint> ep(
      new icmp_endpoint(executor, opened->fd.release(), opened->raw, family));
  ep->self_ = ep;
  ep->key_ = std::move(k);
  {
    const std::lock_guard lock(reg.mutex);
    reg.open[ep->key_] = ep;
  }
  return ep;
}

icmp_endpoint::icmp_endpoint(const asio::any_io_executor& executor, int fd, bool raw, int family)
    : descriptor_(executor, fd),
      raw_(raw),
      family_(family == AF_INET ? icmp_family::v4 : icmp_family::v6),
      id_(static_cast<std::uint16_t>(random_seed())),
      next_sequence_(static_cast<std::uint16_t>(random_seed())),
      buffer_(65536) {}

icmp_endpoint::~icmp_endpoint() {
  auto& reg = registry::get();
  const std::lock_guard lock(reg.mutex);
  // Ours (expired now) unless a newer endpoint replaced it.
  if (const auto it = reg.open.find(key_); it != reg.open.end() && it->second.expired()) {
    reg.open.erase(it);
  }
}

void icmp_endpoint::invalidate() noexcept {
  valid_ = false;
  auto& reg = registry::get();
  const std::lock_guard lock(reg.mutex);
  if (const auto it = reg.open.find(key_);
      it != reg.open.end() && it->second.lock().get() == this) {
    reg.open.erase(it);
  }
}

bool icmp_endpoint::reserve(icmp_waiter& waiter, std::uint16_t& sequence) {
  if (waiters_.size() > 0xffff) return false;
  while (waiters_.contains(next_sequence_)) ++next_sequence_;
  sequence = next_sequence_++;
  waiters_.emplace(sequence, &waiter);
  if (!waiting_ && !draining_) wait_for_packets();
  return true;
}

void icmp_endpoint::release(std::uint16_t sequence) noexcept {
  waiters_.erase(sequence);
  if (waiters_.empty() && waiting_) {
    waiting_ = false;
    error_code ignored;
    descriptor_.cancel(ignored);  // its handler sees operation_aborted and does nothing
  }
}

int icmp_endpoint::send(std::uint16_t sequence, std::uint64_t cookie, std::uint64_t sent_ns,
                        std::size_t payload_bytes, const sockaddr* to, socklen_t to_length) {
  write_echo_request(packet_, family_, id_, sequence, cookie, sent_ns, payload_bytes);
  if (::sendto(descriptor_.native_handle(), packet_.data(), packet_.size(), 0, to, to_length) >= 0) {
    return 0;
  }
  const int err = errno;
  if (stale_binding(err)) invalidate();
  return err;
}

// Packets that arrive while nobody waits stay queued on the socket; the next one to arrive
// wakes the next wait (epoll is edge-triggered) and the handlers read them all.
void icmp_endpoint::wait_for_packets() {
  waiting_ = true;
  descriptor_.async_wait(asio::posix::descriptor_base::wait_read,
                         [weak = self_](const error_code& ec) {
                           const auto self = weak.lock();
                           if (!self || ec == asio::error::operation_aborted) return;
                           self->waiting_ = false;
                           if (ec) {
                             self->invalidate();  // rounds in flight time out; new ones reopen
                             return;
                           }
                           self->continue_receiving();
                         });
}

void icmp_endpoint::continue_receiving() {
  draining_ = false;
  if (waiters_.empty() || waiting_) return;  // released meanwhile; queued packets wait
  if (receive_some()) {
    // Edge-triggered: no new wakeup comes for what is already queued, so read on in a
    // handler of its own, after whatever else is ready to run.
    draining_ = true;
    asio::post(descriptor_.get_executor(), [weak = self_] {
      if (const auto self = weak.lock()) self->continue_receiving();
    });
    return;
  }
  if (!waiters_.empty()) wait_for_packets();
}

bool icmp_endpoint::receive_some() {
  const int fd = descriptor_.native_handle();
  int packets = 0;
  for (int errors = 0; errors < 64;) {
    if (packets++ == max_packets_per_wakeup) return true;
    iovec iov{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n >= 0) {
      std::optional<std::chrono::system_clock::time_point> received;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        received = std::chrono::system_clock::time_point(std::chrono::duration_cast<
            std::chrono::system_clock::duration>(std::chrono::seconds(ts.tv_sec) +
                                                 std::chrono::nanoseconds(ts.tv_nsec)));
      }
      dispatch(std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n)),
               received);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    if (errno == EINTR) continue;
    // A pending socket error (sk_err) from an ICMP error: the details are on the error queue.
    ++errors;
    drain_error_queue();
  }
  return false;  // errors on every read: wait for the next packet rather than spin
}

void icmp_endpoint::dispatch(std::span<const std::uint8_t> packet,
                             std::optional<std::chrono::system_clock::time_point> received) {
  // Raw IPv4 sockets see the IP header and every ICMP message; ping sockets only our answers
  // (with the id the kernel chose).
  const decode_options options{.has_ip_header = raw_ && family_ == icmp_family::v4,
                               .id = raw_ ? std::optional<std::uint16_t>(id_) : std::nullopt};
  const auto decoded = decode_icmp(family_, packet, options);
  if (!decoded) return;  // not ours: other traffic on a raw socket
  const auto it = waiters_.find(decoded->sequence);
  if (it == waiters_.end()) return;  // late, or another endpoint's on a raw socket
  if (decoded->message == icmp_message::echo_reply) {
    it->second->on_echo_reply(decoded->sequence, decoded->payload, received);
  } else {
    it->second->on_echo_error(decoded->sequence,
                              decoded->message == icmp_message::packet_too_big ? EMSGSIZE
                                                                               : EHOSTUNREACH);
  }
}

/// Reads the ICMP errors the kernel queued (IP_RECVERR). On a ping socket each carries the
/// echo it quotes from its ICMP header on, so the sequence says whose it is; a raw socket also
/// receives the ICMP error itself, which dispatch() handles, so here it is only drained.
void icmp_endpoint::drain_error_queue() {
  const int fd = descriptor_.native_handle();
  const std::uint8_t request = family_ == icmp_family::v4 ? icmp4_echo_request : icmp6_echo_request;
  for (;;) {
    std::uint8_t data[512];
    alignas(cmsghdr) std::uint8_t control[512];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) return;
    int err = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      const bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      sock_extended_err ee{};
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      // Local errors (EMSGSIZE at send time) carry no packet: send() already reported them.
      if (ee.ee_origin != SO_EE_ORIGIN_LOCAL) err = static_cast<int>(ee.ee_errno);
    }
    if (raw_ || err == 0 || n < static_cast<ssize_t>(icmp_header_bytes) || data[0] != request) {
      continue;
    }
    const auto sequence = static_cast<std::uint16_t>(data[6] << 8 | data[7]);
    if (const auto it = waiters_.find(sequence); it != waiters_.end()) {
      it->second->on_echo_error(sequence, err);
    }
  }
}

}  // namespace wgwatch::probe
