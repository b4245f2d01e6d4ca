// SPDX-License-Identifier: MIT
// icmp_probe: a round of echoes paced by packet_interval on the shared icmp_endpoint, answers
// matched by sequence and payload cookie, ICMP errors turned into failure reasons.
#include "probes/icmp_probe.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probes/icmp_endpoint.hpp"
#include "probes/icmp_packet.hpp"
#include "util/error.hpp"

namespace wgwatch::probe {
namespace {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

std::optional<failure_reason> reason_of_errno(int err) {
  switch (err) {
    case EMSGSIZE: return failure_reason::message_too_big;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ECONNREFUSED:
    case EHOSTDOWN:
    case ENODEV:
    case ENXIO:
    case ENETDOWN:
    case EACCES:  // ICMP "administratively prohibited"
      return failure_reason::unreachable;
    default: return std::nullopt;
  }
}

/// One echo of the round.
struct echo_state {
  std::uint16_t sequence = 0;
  std::uint64_t sent_ns = 0;  ///< in the payload, after the probe's cookie
  clock::time_point sent;
  std::chrono::system_clock::time_point sent_wall;  ///< against the kernel's receive stamp
  bool answered = false;
  bool failed = false;  ///< an ICMP error quoted it
};

/// The round in progress: its echoes, reserved on its endpoint, what came back and what went
/// wrong. Wakes the round's coroutine (cancels `wake`) once every echo is settled.
class echo_round final : public icmp_waiter {
 public:
  echo_round(std::shared_ptr<icmp_endpoint> endpoint, asio::steady_timer& wake,
             const icmp_spec& options, std::uint64_t cookie, probe_result& out)
      : endpoint_(std::move(endpoint)),
        wake_(wake),
        packets_(options.packets),
        payload_bytes_(options.payload_bytes),
        cookie_(cookie),
        out_(out) {
    echoes_.reserve(packets_);
  }
  ~echo_round() { release_all(); }
  echo_round(const echo_round&) = delete;
  echo_round& operator=(const echo_round&) = delete;

  icmp_endpoint& endpoint() noexcept { return *endpoint_; }
  std::uint64_t cookie() const noexcept { return cookie_; }

  /// Starts over on another endpoint (the first send found this one stale).
  void move_to(std::shared_ptr<icmp_endpoint> endpoint) {
    release_all();
    echoes_.clear();
    endpoint_ = std::move(endpoint);
  }

  echo_state* reserve() {
    echo_state echo;
    if (!endpoint_->reserve(*this, echo.sequence)) return nullptr;
    echoes_.push_back(std::move(echo));
    return &echoes_.back();
  }

  void on_echo_reply(std::uint16_t sequence, std::span<const std::uint8_t> payload,
                     std::optional<std::chrono::system_clock::time_point> received) override {
    echo_state* echo = find(sequence);
    // The cookie check: ping sockets rewrite the id, so the payload proves the answer is ours.
    if (echo == nullptr || echo->answered ||
        !echo_payload_matches(payload, cookie_, echo->sent_ns, payload_bytes_)) {
      return;
    }
    echo->answered = true;
    ++answered_;
    auto rtt = std::chrono::duration_cast<seconds_d>(clock::now() - echo->sent);
    if (received && *received >= echo->sent_wall) {
      rtt = std::min(rtt, std::chrono::duration_cast<seconds_d>(*received - echo->sent_wall));
    }
    out_.rtts.push_back(rtt);
    wake_if_settled();
  }

  void on_echo_error(std::uint16_t sequence, int err) override {
    echo_state* echo = find(sequence);
    if (echo == nullptr || echo->answered) return;
    echo->failed = true;
    note_error(err);
    wake_if_settled();
  }

  void note_error(int err) {
    const auto reason = reason_of_errno(err);
    if (!reason) return;
    // "Too big" wins: it explains the silence of large probes better than a later unreachable.
    if (!error_reason_ || *reason == failure_reason::message_too_big) {
      error_reason_ = reason;
      error_ = from_errno(err);
    }
  }

  bool settled() const {
    if (echoes_.size() < packets_) return false;
    return std::all_of(echoes_.begin(), echoes_.end(),
                       [](const echo_state& e) { return e.answered || e.failed; });
  }

  std::uint32_t answered() const noexcept { return answered_; }
  std::optional<failure_reason> error_reason() const noexcept { return error_reason_; }
  const error_code& error() const noexcept { return error_; }

 private:
  echo_state* find(std::uint16_t sequence) {
    for (auto& e : echoes_) {
      if (e.sequence == sequence) return &e;
    }
    return nullptr;
  }
  void wake_if_settled() {
    if (settled()) wake_.cancel();
  }
  void release_all() noexcept {
    for (const auto& e : echoes_) endpoint_->release(e.sequence);
  }

  std::shared_ptr<icmp_endpoint> endpoint_;
  asio::steady_timer& wake_;
  std::uint32_t packets_;
  std::size_t payload_bytes_;
  std::uint64_t cookie_;
  probe_result& out_;
  std::vector<echo_state> echoes_;
  std::uint32_t answered_ = 0;
  std::optional<failure_reason> error_reason_;
  error_code error_;
};

probe_result finish(probe_result out, const echo_round& round, clock::time_point start) {
  out.duration = std::chrono::duration_cast<seconds_d>(clock::now() - start);
  out.packets_received = round.answered();
  if (out.packets_sent > 0 && round.answered() == out.packets_sent &&
      out.reason == failure_reason::none) {
    out.success = true;
    return out;
  }
  if (out.reason != failure_reason::none) return out;  // decided at send time
  if (round.answered() > 0) {
    out.reason = failure_reason::packet_loss;
    out.error = make_error_code(errc::timed_out);
  } else if (round.error_reason()) {
    out.reason = *round.error_reason();
    out.error = round.error();
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
      random_(std::random_device{}()) {
  const auto target = asio::ip::make_address(std::get<icmp_spec>(spec_.options).address, target_error_);
  if (!target_error_) {
    family_ = target.is_v4() ? AF_INET : AF_INET6;
    to_ = asio::ip::icmp::endpoint(target, 0);
  }
}

icmp_probe::~icmp_probe() = default;

asio::awaitable<probe_result> icmp_probe::run() {
  const auto start = clock::now();
  const auto deadline = start + spec_.timeout;
  const auto& options = std::get<icmp_spec>(spec_.options);
  if (target_error_) co_return failed(failure_reason::internal, target_error_, start);
  const auto acquire = [&]() -> std::optional<probe_result> {
    auto acquired = icmp_endpoint::acquire(executor_, where_, family_, options.dont_fragment);
    if (!acquired) return failed(acquired.error().reason, acquired.error().error, start);
    endpoint_ = std::move(*acquired);
    return std::nullopt;
  };
  if (!endpoint_ || !endpoint_->valid()) {
    endpoint_.reset();
    if (auto failure = acquire()) co_return std::move(*failure);
  }

  probe_result out;
  asio::steady_timer wake(executor_);
  echo_round round(endpoint_, wake, options, random_(), out);
  auto next_send = start;
  bool moved = false;
  for (;;) {
    if (out.packets_sent < options.packets && clock::now() >= next_send) {
      echo_state* echo = round.reserve();
      if (echo == nullptr) {  // 65,536 echoes in flight on one socket
        out.reason = failure_reason::internal;
        out.error = from_errno(ENOBUFS);
        break;
      }
      echo->sent_wall = std::chrono::system_clock::now();
      echo->sent = clock::now();
      echo->sent_ns = static_cast<std::uint64_t>(echo->sent.time_since_epoch().count());
      const int err = round.endpoint().send(echo->sequence, round.cookie(), echo->sent_ns,
                                            options.payload_bytes, to_.data(),
                                            static_cast<socklen_t>(to_.size()));
      if (err != 0 && !round.endpoint().valid() && out.packets_sent == 0 && !moved) {
        // The shared socket's binding went stale (interface re-created, address changed):
        // open a fresh one and start the round over, once.
        moved = true;
        if (auto failure = acquire()) co_return std::move(*failure);
        round.move_to(endpoint_);
        continue;
      }
      if (err != 0 && err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) {
        // EMSGSIZE (DF above the path MTU) or no route/link: the round's verdict.
        out.reason = reason_of_errno(err).value_or(failure_reason::internal);
        out.error = from_errno(err);
        break;
      }
      ++out.packets_sent;
      next_send += options.packet_interval;
      continue;
    }
    if (round.settled()) break;
    if (clock::now() >= deadline) break;
    wake.expires_at(out.packets_sent < options.packets ? std::min(next_send, deadline) : deadline);
    // Ends at the time, or early when the endpoint settles the round (it cancels the timer).
    co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return finish(std::move(out), round, start);
}

}  // namespace wgwatch::probe
