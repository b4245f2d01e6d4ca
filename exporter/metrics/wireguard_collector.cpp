// SPDX-License-Identifier: MIT
// Reads every watched device, then writes the families family by family (the format needs
// each family contiguous), reusing one escaped label prefix per peer.
#include "metrics/wireguard_collector.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "util/error.hpp"
#include "util/log.hpp"

namespace wgwatch::metrics {
namespace {

// `device="wg0",public_key="..."` and, when the peer has a name, `,name="..."`.
struct peer_labels {
  std::string text;
  std::size_t base_length = 0;  // without the name part
  const std::string* name = nullptr;
};

std::vector<peer_labels> make_peer_labels(const wg::device& dev, const peer_names& names) {
  std::vector<peer_labels> labels(dev.peers.size());
  std::string base;
  append_label(base, "device", dev.name);
  base.append(",public_key=\"");
  for (std::size_t i = 0; i < dev.peers.size(); ++i) {
    auto& l = labels[i];
    l.text.reserve(base.size() + 64);
    l.text = base;
    wg::append_base64(l.text, dev.peers[i].public_key);
    l.text.push_back('"');
    l.base_length = l.text.size();
    if (const auto it = names.find(dev.peers[i].public_key); it != names.end()) {
      l.name = &it->second;
      append_label(l.text, "name", it->second);
    }
  }
  return labels;
}

std::optional<double> handshake_age(const wg::peer& p, std::chrono::system_clock::time_point now) {
  if (!p.last_handshake) return std::nullopt;
  const double then = static_cast<double>(p.last_handshake->seconds) +
                      static_cast<double>(p.last_handshake->nanoseconds) / 1e9;
  const double age = std::chrono::duration<double>(now.time_since_epoch()).count() - then;
  return std::max(age, 0.0);  // a clock stepped back must not yield a negative age
}

void write_device_families(const wireguard_snapshot& snap, const wireguard_options& opts,
                           exposition_writer& out) {
  out.family("wireguard_device_info", "Metadata about a device; value 1.", metric_type::gauge);
  for (const auto& d : snap.devices) {
    out.sample("wireguard_device_info").label("device", d.name)
        .label("public_key", d.public_key ? wg::to_base64(*d.public_key) : "").value(1.0);
  }
  out.family("wireguard_device_backend_info",
             "How wgwatch reads the device: kernel (genetlink) or userspace (UAPI); value 1.",
             metric_type::gauge);
  for (const auto& d : snap.devices) {
    out.sample("wireguard_device_backend_info").label("device", d.name)
        .label("backend", wg::to_string(d.kind)).value(1.0);
  }
  out.family("wireguard_device_listen_port", "UDP port the device listens on.", metric_type::gauge);
  for (const auto& d : snap.devices) {
    out.sample("wireguard_device_listen_port").label("device", d.name)
        .value(std::uint64_t{d.listen_port});
  }
  out.family("wireguard_device_peers", "Peers configured on the device.", metric_type::gauge);
  for (const auto& d : snap.devices) {
    out.sample("wireguard_device_peers").label("device", d.name)
        .value(std::uint64_t{d.peers.size()});
  }
  out.family("wireguard_device_peers_with_recent_handshake",
             "Peers whose last handshake is younger than the configured window "
             "(wireguard.recent_handshake_window, default 180s).",
             metric_type::gauge);
  const double window = std::chrono::duration<double>(opts.recent_handshake_window).count();
  for (const auto& d : snap.devices) {
    const auto recent = std::count_if(d.peers.begin(), d.peers.end(), [&](const wg::peer& p) {
      const auto age = handshake_age(p, snap.now);
      return age && *age <= window;
    });
    out.sample("wireguard_device_peers_with_recent_handshake").label("device", d.name)
        .value(static_cast<std::uint64_t>(recent));
  }
}

// One family over every peer of every device; `write` emits the samples of one peer.
template <class Fn>
void for_each_peer(const wireguard_snapshot& snap, const std::vector<std::vector<peer_labels>>& labels,
                   Fn&& write) {
  for (std::size_t d = 0; d < snap.devices.size(); ++d) {
    const auto& peers = snap.devices[d].peers;
    for (std::size_t i = 0; i < peers.size(); ++i) write(peers[i], labels[d][i]);
  }
}

void write_peer_families(const wireguard_snapshot& snap, const wireguard_options& opts,
                         exposition_writer& out) {
  std::vector<std::vector<peer_labels>> labels;
  labels.reserve(snap.devices.size());
  for (const auto& d : snap.devices) labels.push_back(make_peer_labels(d, opts.names));

  out.family("wireguard_peer_info",
             "Metadata about a peer: endpoint (empty if unknown) and friendly name; value 1.",
             metric_type::gauge);
  for_each_peer(snap, labels, [&](const wg::peer& p, const peer_labels& l) {
    out.sample("wireguard_peer_info")
        .raw_labels(std::string_view(l.text).substr(0, l.base_length))
        .label("endpoint", p.endpoint ? wg::to_string(*p.endpoint) : "")
        .label("name", l.name ? std::string_view(*l.name) : std::string_view())
        .value(1.0);
  });
  out.family("wireguard_peer_allowed_ips_info",
             "One allowed IP prefix of a peer, with its address family; value 1.",
             metric_type::gauge);
  for_each_peer(snap, labels, [&](const wg::peer& p, const peer_labels& l) {
    for (const auto& a : p.allowed_ips) {
      out.sample("wireguard_peer_allowed_ips_info").raw_labels(l.text)
          .label("allowed_ips", wg::to_string(a))
          .label("family", a.address.family == AF_INET ? "IPv4" : "IPv6")
          .value(1.0);
    }
  });
  out.family("wireguard_peer_receive_bytes_total", "Bytes received from the peer.",
             metric_type::counter);
  for_each_peer(snap, labels, [&](const wg::peer& p, const peer_labels& l) {
    out.sample("wireguard_peer_receive_bytes_total").raw_labels(l.text).value(p.rx_bytes);
  });
  out.family("wireguard_peer_transmit_bytes_total", "Bytes sent to the peer.",
             metric_type::counter);
  for_each_peer(snap, labels, [&](const wg::peer& p, const peer_labels& l) {
    out.sample("wireguard_peer_transmit_bytes_total").raw_labels(l.text).value(p.tx_bytes);
  });
  out.family("wireguard_peer_last_handshake_seconds",
             "Unix time of the last completed handshake, 0 if none ever completed.",
             metric_type::gauge);
  for_each_peer(snap, labels, [&](const wg::peer& p, const peer_labels& l) {
    out.sample("wireguard_peer_last_handshake_seconds").raw_labels(l.text)
        .value(p.last_handshake ? p.last_handshake->seconds : std::int64_t{0});
  });
  out.family("wireguard_peer_last_handshake_age_seconds",
             "Seconds since the last completed handshake; absent if none ever completed.",
             metric_type::gauge);
  for_each_peer(snap, labels, [&](const wg::peer& p, const peer_labels& l) {
    if (const auto age = handshake_age(p, snap.now)) {
      out.sample("wireguard_peer_last_handshake_age_seconds").raw_labels(l.text).value(*age);
    }
  });
  out.family("wireguard_peer_persistent_keepalive_interval_seconds",
             "Persistent keepalive interval, 0 if off.", metric_type::gauge);
  for_each_peer(snap, labels, [&](const wg::peer& p, const peer_labels& l) {
    out.sample("wireguard_peer_persistent_keepalive_interval_seconds").raw_labels(l.text)
        .value(std::uint64_t{p.persistent_keepalive});
  });
}

// Grows the body once to about what this snapshot will need, instead of doubling its way
// there (a 50,000-peer body is 38 MB: doubling would briefly hold 96 MB).
void reserve_for(const wireguard_snapshot& snap, std::string& body) {
  // Measured: about 610 bytes per peer over the peer families, 150 per allowed IP.
  constexpr std::size_t per_peer = 640;
  constexpr std::size_t per_allowed_ip = 160;
  std::size_t need = body.size() + 64 * 1024;
  for (const auto& d : snap.devices) {
    need += d.peers.size() * per_peer;
    for (const auto& p : d.peers) need += p.allowed_ips.size() * per_allowed_ip;
  }
  if (need > body.capacity()) body.reserve(need);
}

}  // namespace

void build_wireguard_families(const wireguard_snapshot& snap, const wireguard_options& opts,
                              exposition_writer& out) {
  write_device_families(snap, opts, out);
  write_peer_families(snap, opts, out);
  out.family("wgwatch_wireguard_read_success",
             "1 if the device was read in this scrape, 0 if it failed, vanished or is missing.",
             metric_type::gauge);
  for (const auto& r : snap.reads) {
    out.sample("wgwatch_wireguard_read_success").label("device", r.device)
        .value(r.success ? 1.0 : 0.0);
  }
}

wireguard_collector::wireguard_collector(wg::source& source, wireguard_options opts)
    : source_(source), opts_(std::move(opts)) {}

result<void> wireguard_collector::collect(exposition_writer& out) {
  wireguard_snapshot snap;
  error_code first_error;
  std::vector<std::string> names = opts_.interfaces;
  const bool configured = !names.empty();
  if (!configured) {
    auto listed = source_.list_devices();
    if (!listed) {
      first_error = listed.error();
    } else {
      names = std::move(*listed);
    }
  }
  // Each device once, whatever the configuration or the backends repeat.
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& name : names) {
    const auto started = std::chrono::steady_clock::now();
    auto dev = source_.get_device(name);
    snap.reads.push_back({name, dev.has_value()});
    if (dev) {
      if (log::enabled(log::level::debug)) {
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        log::debug("device read", {{"device", name},
                                   {"backend", wg::to_string(dev->kind)},
                                   {"peers", std::to_string(dev->peers.size())},
                                   {"seconds", std::to_string(took.count())}});
      }
      snap.devices.push_back(std::move(*dev));
      continue;
    }
    // A configured interface that is absent is a state (wgwatch_link_exists 0), not a fault.
    if (configured && dev.error() == errc::device_not_found) continue;
    log::warn("device read failed", {{"device", name}, {"err", dev.error().message()}});
    if (!first_error) first_error = dev.error();
  }
  snap.now = std::chrono::system_clock::now();
  reserve_for(snap, out.buffer());
  build_wireguard_families(snap, opts_, out);
  if (first_error) return first_error;
  return {};
}

}  // namespace wgwatch::metrics
