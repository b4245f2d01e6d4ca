// SPDX-License-Identifier: MIT
// wireguard_collector: device and peer state -> wireguard_* families (mdlayher's names kept).
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include "metrics/collector.hpp"
#include "wireguard/model.hpp"
#include "wireguard/source.hpp"

namespace wgwatch::metrics {

using peer_names = std::unordered_map<wg::wg_key, std::string, wg::wg_key_hash>;

/// The outcome of reading one device in one scrape.
struct device_read {
  std::string device;
  bool success = false;
};

/// Everything one scrape read, plus the wall-clock time the ages are computed against.
struct wireguard_snapshot {
  std::vector<wg::device> devices;
  std::vector<device_read> reads;
  std::chrono::system_clock::time_point now;
};

struct wireguard_options {
  /// Devices to read; empty = every device the source lists.
  std::vector<std::string> interfaces;
  std::chrono::seconds recent_handshake_window{180};
  peer_names names;
};

/// Pure: writes every wireguard_* family and wgwatch_wireguard_read_success for `snap`.
void build_wireguard_families(const wireguard_snapshot& snap, const wireguard_options& opts,
                              exposition_writer& out);

class wireguard_collector final : public collector {
 public:
  wireguard_collector(wg::source& source, wireguard_options opts);

  std::string_view name() const noexcept override { return "wireguard"; }

  /// Fails (after writing everything that could be read) when listing failed or a listed
  /// device could not be read; a configured interface that does not exist is not a failure.
  result<void> collect(exposition_writer& out) override;

 private:
  wg::source& source_;
  wireguard_options opts_;
};

}  // namespace wgwatch::metrics
