// SPDX-License-Identifier: MIT
// Probe families, one pass per family over the probes, one escaped label prefix per probe.
#include "metrics/probe_collector.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <span>
#include <string>
#include <variant>

namespace wgwatch::metrics {
namespace {

// The phases exported for a kind, so that their series exist even when a round fails early.
std::span<const std::string_view> phases_of(probe::kind k) {
  static constexpr std::string_view tcp[] = {"connect"};
  static constexpr std::string_view http[] = {"connect", "tls", "first_byte", "transfer"};
  switch (k) {
    case probe::kind::tcp:
      return tcp;
    case probe::kind::http:
      return http;
    case probe::kind::icmp:
      break;
  }
  return {};
}

std::string probe_labels(const probe::probe_stats& p) {
  std::string text;
  append_label(text, "device", p.tunnel);
  append_label(text, "probe", p.spec.name);
  append_label(text, "kind", probe::to_string(p.spec.probe_kind()));
  append_label(text, "target", p.spec.target);
  return text;
}

// The `le` values, as Prometheus' client libraries print them (to_chars would pick "5e-04").
constexpr std::string_view bucket_bounds[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                              "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                              "1",      "2.5",   "5"};
static_assert(std::size(bucket_bounds) == probe::latency_buckets.size());

void write_histogram(const probe::store_snapshot& snap, const std::vector<std::string>& labels,
                     exposition_writer& out) {
  constexpr std::string_view name = "wgwatch_probe_duration_seconds";
  out.family(name,
             "Probe latency: each ICMP echo's round-trip time; the duration of each "
             "successful TCP or HTTP round.",
             metric_type::histogram);
  for (std::size_t i = 0; i < snap.probes.size(); ++i) {
    const auto& h = snap.probes[i].latency;
    for (std::size_t b = 0; b < std::size(bucket_bounds); ++b) {
      out.sample("wgwatch_probe_duration_seconds_bucket")
          .raw_labels(labels[i])
          .label("le", bucket_bounds[b])
          .value(h.cumulative(b));
    }
    out.sample("wgwatch_probe_duration_seconds_bucket")
        .raw_labels(labels[i])
        .label("le", "+Inf")
        .value(h.count);
    out.sample("wgwatch_probe_duration_seconds_sum").raw_labels(labels[i]).value(h.sum);
    out.sample("wgwatch_probe_duration_seconds_count").raw_labels(labels[i]).value(h.count);
  }
}

template <class Fn>
void per_probe(const probe::store_snapshot& snap, const std::vector<std::string>& labels,
               exposition_writer& out, const char* name, const char* help, metric_type type,
               Fn&& write) {
  out.family(name, help, type);
  for (std::size_t i = 0; i < snap.probes.size(); ++i) write(snap.probes[i], labels[i]);
}

// The IP packet of each echo: IP header (20 bytes, or 40 for IPv6), ICMP header (8), payload.
// Equal to the tunnel MTU with don't-fragment set, the probe is the tunnel's MTU probe.
double icmp_packet_bytes(const probe::icmp_spec& icmp) {
  const bool v6 = icmp.address.find(':') != std::string::npos;
  return static_cast<double>(icmp.payload_bytes) + 8.0 + (v6 ? 40.0 : 20.0);
}

}  // namespace

void build_probe_families(const probe::store_snapshot& snap, exposition_writer& out) {
  std::vector<std::string> labels;
  labels.reserve(snap.probes.size());
  for (const auto& p : snap.probes) labels.push_back(probe_labels(p));
  using stats = probe::probe_stats;

  per_probe(
      snap, labels, out, "wgwatch_probe_success", "1 if the probe's last round succeeded.",
      metric_type::gauge, [&](const stats& p, const std::string& l) {
        if (p.last)
          out.sample("wgwatch_probe_success").raw_labels(l).value(p.last->success ? 1.0 : 0.0);
      });
  write_histogram(snap, labels, out);
  per_probe(snap, labels, out, "wgwatch_probe_runs_total",
            "Probe rounds run (or skipped as link_down).", metric_type::counter,
            [&](const stats& p, const std::string& l) {
              out.sample("wgwatch_probe_runs_total").raw_labels(l).value(p.runs_total);
            });
  per_probe(snap, labels, out, "wgwatch_probe_failures_total", "Failed probe rounds by reason.",
            metric_type::counter, [&](const stats& p, const std::string& l) {
              for (const auto r : probe::all_failure_reasons) {
                out.sample("wgwatch_probe_failures_total")
                    .raw_labels(l)
                    .label("reason", probe::to_string(r))
                    .value(p.failures_total(r));
              }
            });
  per_probe(snap, labels, out, "wgwatch_probe_loss_ratio",
            "Share lost over the tunnel's health window: ICMP echoes lost/sent, TCP and HTTP "
            "rounds failed/run.",
            metric_type::gauge, [&](const stats& p, const std::string& l) {
              if (p.loss_ratio)
                out.sample("wgwatch_probe_loss_ratio").raw_labels(l).value(*p.loss_ratio);
            });
  per_probe(snap, labels, out, "wgwatch_probe_consecutive_failures",
            "Rounds failed in a row since the last success.", metric_type::gauge,
            [&](const stats& p, const std::string& l) {
              out.sample("wgwatch_probe_consecutive_failures")
                  .raw_labels(l)
                  .value(p.consecutive_failures);
            });
  per_probe(
      snap, labels, out, "wgwatch_probe_last_success_timestamp_seconds",
      "Unix time of the last successful round; absent if none succeeded.", metric_type::gauge,
      [&](const stats& p, const std::string& l) {
        if (!p.last_success) return;
        const std::chrono::duration<double> t = p.last_success->time_since_epoch();
        out.sample("wgwatch_probe_last_success_timestamp_seconds").raw_labels(l).value(t.count());
      });
  per_probe(snap, labels, out, "wgwatch_probe_phase_duration_seconds",
            "Duration of each phase of the last TCP or HTTP round; 0 for a phase it did not reach.",
            metric_type::gauge, [&](const stats& p, const std::string& l) {
              if (!p.last) return;
              for (const auto phase : phases_of(p.spec.probe_kind())) {
                const auto it =
                    std::find_if(p.last->phases.begin(), p.last->phases.end(),
                                 [&](const probe::phase_duration& d) { return d.phase == phase; });
                out.sample("wgwatch_probe_phase_duration_seconds")
                    .raw_labels(l)
                    .label("phase", phase)
                    .value(it == p.last->phases.end() ? 0.0 : it->duration.count());
              }
            });
  per_probe(snap, labels, out, "wgwatch_probe_icmp_packets_sent_total", "ICMP echo requests sent.",
            metric_type::counter, [&](const stats& p, const std::string& l) {
              if (p.spec.probe_kind() == probe::kind::icmp) {
                out.sample("wgwatch_probe_icmp_packets_sent_total")
                    .raw_labels(l)
                    .value(p.packets_sent_total);
              }
            });
  per_probe(snap, labels, out, "wgwatch_probe_icmp_packets_received_total",
            "ICMP echo replies received (matching id and sequence).", metric_type::counter,
            [&](const stats& p, const std::string& l) {
              if (p.spec.probe_kind() == probe::kind::icmp) {
                out.sample("wgwatch_probe_icmp_packets_received_total")
                    .raw_labels(l)
                    .value(p.packets_received_total);
              }
            });
  // Settings a rule needs to tell an MTU black hole from plain loss, one series per probe
  // rather than labels on every series.
  per_probe(snap, labels, out, "wgwatch_probe_icmp_packet_bytes",
            "Size of each echo's IP packet (IP and ICMP headers and payload).", metric_type::gauge,
            [&](const stats& p, const std::string& l) {
              if (const auto* icmp = std::get_if<probe::icmp_spec>(&p.spec.options)) {
                out.sample("wgwatch_probe_icmp_packet_bytes")
                    .raw_labels(l)
                    .value(icmp_packet_bytes(*icmp));
              }
            });
  per_probe(snap, labels, out, "wgwatch_probe_icmp_dont_fragment",
            "1 if the echoes are sent with don't-fragment set.", metric_type::gauge,
            [&](const stats& p, const std::string& l) {
              if (const auto* icmp = std::get_if<probe::icmp_spec>(&p.spec.options)) {
                out.sample("wgwatch_probe_icmp_dont_fragment")
                    .raw_labels(l)
                    .value(icmp->dont_fragment ? 1.0 : 0.0);
              }
            });
}

result<void> probe_collector::collect(exposition_writer& out) {
  build_probe_families(store_.snapshot(), out);
  return {};
}

}  // namespace wgwatch::metrics
