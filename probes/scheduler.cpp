// SPDX-License-Identifier: MIT
// The probe loop: offset, fixed-rate slots, link check, `run() || timer`, record, log
// changes. Everything runs on the scheduler's executor (one thread).
#include "probes/scheduler.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <exception>
#include <variant>

#include "util/error.hpp"
#include "util/log.hpp"
#include "util/unique_fd.hpp"

namespace wgwatch::probe {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using steady = std::chrono::steady_clock;

bool interface_usable(std::string_view interface) {
  ifreq ifr{};
  if (interface.empty() || interface.size() >= sizeof ifr.ifr_name) return false;
  std::memcpy(ifr.ifr_name, interface.data(), interface.size());
  const unique_fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd || ::ioctl(fd.get(), SIOCGIFFLAGS, &ifr) != 0) return false;  // ENODEV: missing
  return (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
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
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(h % static_cast<std::uint64_t>(interval.count())));
}

struct scheduler::entry {
  std::string tunnel;
  std::unique_ptr<probe> p;
  asio::cancellation_signal cancel;
  bool stopping = false;          // set on the executor by stop()
  bool exception_logged = false;  // an exception is logged once per probe
};

namespace {

// The probe's own round, with an exception turned into an internal failure. `what` gets the
// exception's text so that the caller can log it once, and only if this branch won the race
// (when the timeout wins, the probe is cancelled and its exception is expected).
asio::awaitable<probe_result> guarded_run(probe& p, std::string& what) {
  try {
    co_return co_await p.run();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  probe_result r;
  r.reason = failure_reason::internal;
  r.error = make_error_code(boost::system::errc::state_not_recoverable);
  co_return r;
}

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
  store_.add_probe(tunnel, p->spec());
  auto e = std::make_unique<entry>();
  e->tunnel = std::move(tunnel);
  e->p = std::move(p);
  probes_.push_back(std::move(e));
}

namespace {

// One round. `what` gets the text of an exception the probe threw (when its result won).
asio::awaitable<probe_result> run_round(probe& p, const std::string& tunnel, std::string& what,
                                        const scheduler::link_check& usable) {
  const auto& spec = p.spec();
  if (!usable(tunnel)) {
    probe_result r;
    r.reason = failure_reason::link_down;
    r.error = from_errno(ENETDOWN);
    co_return r;
  }
  const auto started = steady::now();
  asio::steady_timer deadline(co_await asio::this_coro::executor, spec.timeout);
  auto raced = co_await (guarded_run(p, what) || deadline.async_wait(asio::use_awaitable));
  if (raced.index() == 1) {
    what.clear();  // the probe was cancelled by the timeout: its exception is expected
    probe_result r;
    r.reason = failure_reason::timeout;
    r.error = make_error_code(errc::timed_out);
    r.duration = steady::now() - started;
    co_return r;
  }
  co_return std::get<0>(std::move(raced));
}

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
  for (auto& owned : probes_) {
    entry& e = *owned;
    auto loop = [this, &e]() -> asio::awaitable<void> {
      const auto& spec = e.p->spec();
      const auto interval = std::max(spec.interval, std::chrono::milliseconds(1));
      asio::steady_timer timer(co_await asio::this_coro::executor);
      auto next = steady::now() + start_offset(e.tunnel, spec.name, interval);
      while (!e.stopping) {
        timer.expires_at(next);
        const auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || e.stopping) break;
        if (observe_start_) observe_start_(spec.probe_kind(), steady::now() - next);
        std::string what;
        const auto r = co_await run_round(*e.p, e.tunnel, what, usable_);
        if (e.stopping) break;  // cut by stop(): not a result, and its exception expected
        if (!what.empty() && !e.exception_logged) {
          e.exception_logged = true;
          log::error("probe threw", {{"device", e.tunnel}, {"probe", spec.name}, {"err", what}});
        }
        const auto outcome =
            store_.record(e.tunnel, spec.name, r, steady::now(), std::chrono::system_clock::now());
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
