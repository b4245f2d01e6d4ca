# SPDX-License-Identifier: MIT
# A stand-in wgwatch agent for check_live's self-test: serves /metrics shaped like the README's
# metrics table (two tunnels of group "site": wg0 primary, wg1 standby; peers, probes incl. an
# MTU probe, link counters), with counters that grow with time. POST /fault breaks wg0's data
# plane (probes fail, layer down) while wg1 stays healthy; POST /healthy restores it.
#   python3 fixture_agent.py PORT
import http.server
import sys
import time

START = time.monotonic()
STATE = {"fault": False, "fault_since": None}
MTU = 1420
BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
REASONS = ["timeout", "refused", "reset", "unreachable", "packet_loss", "message_too_big", "tls",
           "http_status", "body_mismatch", "bind_error", "link_down", "protocol", "internal"]
PEERS = {"wg0": [("AAAA0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=", "cloud-a"),
                 ("AAAA0bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=", "cloud-b")],
         "wg1": [("AAAA1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=", "cloud-c")]}
PROBES = {"wg0": [("icmp", "icmp", "10.200.0.2", 84), ("mtu", "icmp", "10.200.0.2", MTU),
                  ("tcp", "tcp", "10.200.0.2:22", None)],
          "wg1": [("icmp", "icmp", "10.201.0.2", 84), ("mtu", "icmp", "10.201.0.2", MTU)]}
ROLE = {"wg0": "primary", "wg1": "standby"}


def render():
    t = time.monotonic() - START
    now = time.time()
    out = []

    def m(name, labels, value, kind=None):
        if kind:
            out.append(f"# TYPE {name} {kind}")
        lab = ",".join(f'{k}="{v}"' for k, v in labels.items())
        out.append(f"{name}{{{lab}}} {value}")

    m("wgwatch_build_info", {"version": "0.1.0", "revision": "fixture"}, 1, "gauge")
    for c in ["build_info", "wireguard", "link", "probe", "tunnel"]:
        m("wgwatch_scrape_collector_success", {"collector": c}, 1)
        m("wgwatch_scrape_errors_total", {"collector": c}, 0)
    for dev, peers in PEERS.items():
        broken = dev == "wg0" and STATE["fault"]
        d = {"device": dev}
        m("wireguard_device_info", {**d, "public_key": "DEV" + dev}, 1)
        m("wireguard_device_peers", d, len(peers))
        m("wireguard_device_peers_with_recent_handshake", d, len(peers))
        for key, name in peers:
            p = {**d, "public_key": key, "name": name}
            m("wireguard_peer_info", {**p, "endpoint": "198.18.94.2:51820"}, 1)
            m("wireguard_peer_receive_bytes_total", p, int(1000 * t))
            m("wireguard_peer_transmit_bytes_total", p, int(1200 * t))
            m("wireguard_peer_last_handshake_seconds", p, int(now) - 30)
            m("wireguard_peer_last_handshake_age_seconds", p, 30)
        m("wgwatch_link_exists", d, 1)
        m("wgwatch_link_up", d, 1)
        m("wgwatch_link_mtu_bytes", d, MTU)
        for direction in ["receive", "transmit"]:
            m(f"wgwatch_link_{direction}_bytes_total", d, int(3000 * t))
            m(f"wgwatch_link_{direction}_packets_total", d, int(10 * t))
            m(f"wgwatch_link_{direction}_errors_total", d, 0)
            m(f"wgwatch_link_{direction}_dropped_total", d, 0)
        for probe, kind, target, size in PROBES[dev]:
            p = {**d, "probe": probe, "kind": kind, "target": target}
            runs = int(t)
            failed = int(time.monotonic() - STATE["fault_since"]) if broken else 0
            m("wgwatch_probe_success", p, 0 if broken else 1)
            m("wgwatch_probe_loss_ratio", p, 1 if broken else 0)
            m("wgwatch_probe_runs_total", p, runs)
            for r in REASONS:
                m("wgwatch_probe_failures_total", {**p, "reason": r}, failed if r == "timeout" else 0)
            good = runs - failed
            for le in BUCKETS:
                m("wgwatch_probe_duration_seconds_bucket", {**p, "le": le}, good if le >= 0.001 else 0)
            m("wgwatch_probe_duration_seconds_bucket", {**p, "le": "+Inf"}, good)
            m("wgwatch_probe_duration_seconds_sum", p, good * 0.0008)
            m("wgwatch_probe_duration_seconds_count", p, good)
            if size:
                m("wgwatch_probe_icmp_packet_bytes", p, size)
                m("wgwatch_probe_icmp_dont_fragment", p, 1)
        tl = {**d, "role": ROLE[dev], "group": "site"}
        m("wgwatch_tunnel_interface_up", tl, 1)
        m("wgwatch_tunnel_handshake_ok", tl, 1)
        m("wgwatch_tunnel_data_plane_ok", tl, 0 if broken else 1)
        m("wgwatch_tunnel_data_plane_success_ratio", tl, 0.1 if broken else 1)
        m("wgwatch_tunnel_healthy", tl, 0 if broken else 1)
        m("wgwatch_tunnel_data_plane_transitions_total", tl, 2 if broken else 1)
    return "\n".join(out) + "\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = render().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        STATE["fault"] = self.path == "/fault"
        STATE["fault_since"] = time.monotonic() if STATE["fault"] else None
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
