// SPDX-License-Identifier: MIT
// The probe loop: offset, fixed-rate slots, link check, run() with a watchdog, record, log
// changes. Everything runs on the scheduler's executor (one thread).
#include "probes/scheduler.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <variant>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::probe {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

bool interface_usable(std::string_view interface) {
  ifreq ifr{};
  if (interface.empty() || interface.size() >= sizeof ifr.ifr_name) return false;
  std::memcpy(ifr.ifr_name, interface.data(), interface.size());
  // One socket per thread for the ioctl, not one per call: the probe loop asks every round.
  thread_local const unique_fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd || ::ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) return false;  // ENODEV: missing
  return (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
}

std::chrono::milliseconds start_quantum(std::chrono::milliseconds interval) noexcept {
  return std::clamp(interval / 40, std::chrono::milliseconds(1), max_start_quantum);
}

std::chrono::milliseconds start_offset(std::string_view tunnel, std::string_view probe,
                                       std::chrono::milliseconds interval) noexcept {
  if (interval.count() <= 0) return std::chrono::milliseconds(0);
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a, 64-bit
  const auto mix = [&h](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
  };
  mix(tunnel);
  mix("/");
  mix(probe);
  const auto quantum = start_quantum(interval);
  const auto slots = static_cast<std::uint64_t>(interval / quantum);
  return quantum * static_cast<std::int64_t>(h % slots);
}

// A tunnel's link state as last checked: the probes of one slot start together and share
// one check.
struct scheduler::link_state {
  std::string tunnel;
  steady::time_point checked{};  // never (the clock's epoch is boot)
  bool usable = false;
};

// How long a link check stands for the tunnel's other probes.
constexpr auto link_check_reuse = std::chrono::milliseconds(50);

struct scheduler::entry {
  std::string tunnel;
  link_state* link = nullptr;
  std::unique_ptr<probe> p;
  std::size_t handle = 0;         // in the result_store
  asio::cancellation_signal cancel;
  std::optional<asio::steady_timer> watchdog;  // cuts a round at its timeout
  std::uint64_t round = 0;        // the watched round in flight; bumped again when it ends
  bool cut = false;               // the watchdog cut the current round
  bool stopping = false;          // set on the executor by stop()
  bool exception_logged = false;  // an exception is logged once per probe
};

namespace {

void log_changes(const std::string& tunnel, const probe_spec& spec, const probe_result& r,
                 const record_outcome& o) {
  if (o.probe_changed) {
    if (r.success) {
      log::info("probe ok", {{"device", tunnel}, {"probe", spec.name}, {"target", spec.target}});
    } else {
      log::info("probe failing", {{"device", tunnel},
                                  {"probe", spec.name},
                                  {"target", spec.target},
                                  {"reason", std::string(to_string(r.reason))},
                                  {"err", r.error ? r.error.message() : std::string()}});
    }
  }
  if (o.data_plane_changed) {
    log::info(o.data_plane_up ? "tunnel data plane up" : "tunnel data plane down",
              {{"device", tunnel}});
  }
}

}  // namespace

scheduler::scheduler(asio::any_io_executor executor, result_store& store, link_check usable)
    : executor_(std::move(executor)), store_(store), usable_(std::move(usable)) {}

scheduler::~scheduler() = default;

void scheduler::add(std::string tunnel, std::unique_ptr<probe> p) {
  auto e = std::make_unique<entry>();
  e->handle = store_.add_probe(tunnel, p->spec());
  const auto known = std::find_if(links_.begin(), links_.end(),
                                  [&](const auto& l) { return l->tunnel == tunnel; });
  if (known != links_.end()) {
    e->link = known->get();
  } else {
    links_.push_back(std::make_unique<link_state>(link_state{tunnel}));
    e->link = links_.back().get();
  }
  e->tunnel = std::move(tunnel);
  e->p = std::move(p);
  probes_.push_back(std::move(e));
}

namespace {

// A probe's own deadlines end its round at its timeout; the watchdog is the backstop for one
// that does not, a little later so that it never beats a probe finishing on time.
constexpr auto watchdog_grace = std::chrono::milliseconds(10);

probe_result failure(failure_reason reason, error_code ec) {
  probe_result r;
  r.reason = reason;
  r.error = ec;
  return r;
}

}  // namespace

bool scheduler::link_usable(entry& e) const {
  auto& link = *e.link;
  if (const auto now = steady::now(); now - link.checked >= link_check_reuse) {
    link.usable = usable_(e.tunnel);
    link.checked = now;
  }
  return link.usable;
}

// The watchdog cuts a round that overruns by emitting on the loop's cancellation signal: the
// awaited operation inside the probe completes with operation_aborted (or its next co_await
// throws). Much cheaper than racing every round against a timer (`run() || timer` spawns two
// coroutines and unwinds an exception through the loser); probes that end their rounds by
// their timeout themselves do without it.
void scheduler::arm_watchdog(entry& e, steady::time_point at) {
  const auto round = ++e.round;
  e.watchdog->expires_at(at);
  e.watchdog->async_wait([&e, round](const error_code& ec) {
    // A handler already due when the round ended finds the count moved on.
    if (ec || e.round != round) return;
    e.cut = true;
    e.cancel.emit(asio::cancellation_type::terminal);
  });
}

namespace {

// The next slot after `now` on the grid next + k * interval (k >= 0): missed slots are
// skipped, not run back to back.
steady::time_point next_slot(steady::time_point next, std::chrono::milliseconds interval,
                             steady::time_point now) {
  if (next > now) return next;
  const auto missed = (now - next) / interval + 1;
  return next + missed * interval;
}

}  // namespace

void scheduler::start() {
  // Every probe's grid starts from one epoch on the coarsest quantum, so that probes with the
  // same interval whose offsets share a slot have timers expiring at the same instant.
  const auto now = steady::now().time_since_epoch();
  const steady::time_point epoch(
      (now / max_start_quantum + 1) * std::chrono::duration_cast<steady::duration>(max_start_quantum));
  for (auto& owned : probes_) {
    entry& e = *owned;
    auto loop = [this, &e, epoch]() -> asio::awaitable<void> {
      const auto& spec = e.p->spec();
      const auto interval = std::max(spec.interval, std::chrono::milliseconds(1));
      asio::steady_timer timer(co_await asio::this_coro::executor);
      e.watchdog.emplace(timer.get_executor());
      auto next = epoch + start_offset(e.tunnel, spec.name, interval);
      while (!e.stopping) {
        timer.expires_at(next);
        const auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || e.stopping) break;
        if (observe_start_) observe_start_(spec.probe_kind(), steady::now() - next);
        // The round, inline (a coroutine frame fewer per round).
        std::string what;
        probe_result r;
        if (!link_usable(e)) {
          r = failure(failure_reason::link_down, from_errno(ENETDOWN));
        } else {
          const auto started = steady::now();
          const bool watched = !e.p->ends_by_its_timeout();
          e.cut = false;
          if (watched) arm_watchdog(e, started + spec.timeout + watchdog_grace);
          try {
            r = co_await e.p->run();
          } catch (const std::exception& ex) {
            what = ex.what();
          } catch (...) {
            what = "unknown exception";
          }
          if (watched) {
            ++e.round;
            e.watchdog->cancel();
          }
          if (e.stopping) break;  // cut by stop(): not a result, and its exception expected
          if (e.cut) {
            // Cancelled by the watchdog, its exception expected: clear the cancellation for
            // the next wait.
            co_await asio::this_coro::reset_cancellation_state(
                asio::enable_terminal_cancellation());
            what.clear();
            r = failure(failure_reason::timeout, make_error_code(errc::timed_out));
            r.duration = steady::now() - started;
          } else if (!what.empty()) {
            r = failure(failure_reason::internal,
                        make_error_code(boost::system::errc::state_not_recoverable));
          }
        }
        if (!what.empty() && !e.exception_logged) {
          e.exception_logged = true;
          log::error("probe threw", {{"device", e.tunnel}, {"probe", spec.name}, {"err", what}});
        }
        const auto outcome =
            store_.record(e.handle, r, steady::now(), std::chrono::system_clock::now());
        log_changes(e.tunnel, spec, r, outcome);
        next = next_slot(next + interval, interval, steady::now());
      }
    };
    asio::co_spawn(
        executor_, std::move(loop),
        asio::bind_cancellation_slot(e.cancel.slot(), [&e](std::exception_ptr ep) {
          // Cancellation by stop() ends the loop with operation_aborted: expected.
          if (!ep || e.stopping) return;
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& ex) {
            log::error("probe loop ended",
                       {{"device", e.tunnel}, {"probe", e.p->spec().name}, {"err", ex.what()}});
          } catch (...) {
            log::error("probe loop ended", {{"device", e.tunnel}, {"probe", e.p->spec().name}});
          }
        }));
  }
}

void scheduler::stop() {
  asio::post(executor_, [this] {
    for (auto& e : probes_) {
      e->stopping = true;
      e->cancel.emit(asio::cancellation_type::terminal);
    }
  });
}

}  // namespace wgwatch::probe
