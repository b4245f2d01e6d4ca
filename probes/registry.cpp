// SPDX-License-Identifier: MIT
// make_probe: kind -> probe, one line per kind.
#include "probes/http_probe.hpp"
#include "probes/icmp_probe.hpp"
#include "probes/probe.hpp"
#include "probes/tcp_probe.hpp"

namespace wgwatch::probe {

std::unique_ptr<probe> make_probe(boost::asio::any_io_executor executor, probe_spec spec,
                                  binding where) {
  auto& ex = executor;
  switch (spec.probe_kind()) {
    case kind::icmp: return std::make_unique<icmp_probe>(std::move(ex), std::move(spec), std::move(where));
    case kind::tcp: return std::make_unique<tcp_probe>(std::move(ex), std::move(spec), std::move(where));
    case kind::http: return std::make_unique<http_probe>(std::move(ex), std::move(spec), std::move(where));
  }
  return nullptr;
}

}  // namespace wgwatch::probe
