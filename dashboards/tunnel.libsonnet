// SPDX-License-Identifier: MIT
// Tunnel detail: per peer (handshake age, traffic), per probe (latency, loss, success, failure
// reasons), the MTU probe against the link MTU, and the interface's own counters.
local g = import 'lib/grafana.libsonnet';

function(config)
  local c = config._config;
  local w = (import 'lib/wgwatch.libsonnet')(config);
  local d = w.sel(w.dev);
  local peer = ['device', 'public_key', 'name'];
  local probe = ['device', 'probe', 'kind', 'target'];
  // ICMP probes that are MTU probes: don't-fragment set and the packet as big as the link MTU.
  local mtuProbes = |||
    (
      wgwatch_probe_icmp_packet_bytes{%(d)s}
        == %(onDev)s group_left
      wgwatch_link_mtu_bytes{%(d)s}
    )
    and %(onProbe)s
    wgwatch_probe_icmp_dont_fragment{%(d)s} == 1
  ||| % { d: d, onDev: w.on(['device']), onProbe: w.on(probe) };
  local linkRate(metric, dir) =
    g.query('sum %s (rate(wgwatch_link_%s_%s_total{%s}%s))' % [w.by(['device']), dir, metric, d, w.rate],
            '{{instance}} {{device}} %s' % dir);

  g.dashboard(
    c,
    c.uids.tunnel,
    'Tunnel detail',
    'One tunnel in depth: peers, probes (latency, loss, failure reasons), the MTU probe, and the interface counters.',
    w.variables,
    [
      g.row('Peers', [
        g.timeseries(
          'Handshake age per peer',
          "Seconds since each peer's last completed handshake (wireguard_peer_last_handshake_age_seconds). WireGuard rekeys every 120 s while traffic flows; beyond 180 s the session carries no data. Peers that never completed a handshake have no series.",
          's',
          [g.query('max %s (wireguard_peer_last_handshake_age_seconds{%s})' % [w.by(peer), d], w.peerLegend)],
          defaults={ min: 0, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 180 }] }, custom+: { thresholdsStyle: { mode: 'line' } } },
        ),
        g.table(
          'Peers',
          'Configured peers (wireguard_peer_info): name and current endpoint.',
          'none',
          [g.query('max %s (wireguard_peer_info{%s})' % [w.by(peer + ['endpoint']), d])],
          ['Info'],
          w=12,
          hide=['Time', 'Value'],
        ),
        g.timeseries(
          'Receive rate per peer',
          'Bytes per second received from each peer (rate of wireguard_peer_receive_bytes_total).',
          'Bps',
          [g.query('sum %s (rate(wireguard_peer_receive_bytes_total{%s}%s))' % [w.by(peer), d, w.rate], w.peerLegend)],
        ),
        g.timeseries(
          'Transmit rate per peer',
          'Bytes per second sent to each peer (rate of wireguard_peer_transmit_bytes_total).',
          'Bps',
          [g.query('sum %s (rate(wireguard_peer_transmit_bytes_total{%s}%s))' % [w.by(peer), d, w.rate], w.peerLegend)],
        ),
      ]),
      g.row('Probes', [
        g.heatmap(
          'Probe latency',
          "Distribution of probe latencies on the selected devices (wgwatch_probe_duration_seconds buckets): each ICMP echo's round trip, each successful TCP or HTTP round.",
          's',
          [g.query('sum by (le) (rate(wgwatch_probe_duration_seconds_bucket{%s}%s))' % [d, w.rate])],
          w=12,
        ),
        g.timeseries(
          'Probe latency p50 / p99',
          'Median and 99th percentile latency per probe, from the wgwatch_probe_duration_seconds histogram.',
          's',
          [
            g.query('histogram_quantile(%s, sum %s (rate(wgwatch_probe_duration_seconds_bucket{%s}%s)))' % [q[0], w.by(probe + ['le']), d, w.rate],
                    '%s %s' % [q[1], w.probeLegend])
            for q in [['0.5', 'p50'], ['0.99', 'p99']]
          ],
        ),
        g.timeseries(
          'Loss per probe',
          "Over the tunnel's health window: ICMP echoes lost / sent; TCP and HTTP failed rounds / rounds (wgwatch_probe_loss_ratio).",
          'percentunit',
          [g.query('max %s (wgwatch_probe_loss_ratio{%s})' % [w.by(probe), d], w.probeLegend)],
          defaults={ min: 0, max: 1 },
        ),
        g.timeseries(
          'Success ratio per probe',
          'Share of probe rounds that succeeded: 1 - failed rounds / rounds run (wgwatch_probe_failures_total, wgwatch_probe_runs_total).',
          'percentunit',
          [g.query(|||
            1 - (
                sum %(by)s (rate(wgwatch_probe_failures_total{%(d)s}%(r)s))
              /
                sum %(by)s (rate(wgwatch_probe_runs_total{%(d)s}%(r)s))
            )
          ||| % { by: w.by(probe), d: d, r: w.rate }, w.probeLegend)],
          defaults={ min: 0, max: 1 },
        ),
        g.timeseries(
          'Probe failures by reason',
          'Failed probe rounds per second by reason (rate of wgwatch_probe_failures_total): timeout, refused, reset, unreachable, packet_loss, message_too_big, tls, http_status, body_mismatch, bind_error, link_down, protocol, internal. Empty while every round succeeds.',
          'ops',
          [g.query('sum %s (rate(wgwatch_probe_failures_total{%s}%s)) > 0' % [w.by(probe + ['reason']), d, w.rate],
                   '{{instance}} {{device}} {{probe}}: {{reason}}')],
          stack=true,
        ),
        g.timeseries(
          'Data-plane success ratio',
          'Share of successful probe rounds (all probes of the tunnel) in its health window: what the data-plane layer decides on (wgwatch_tunnel_data_plane_success_ratio).',
          'percentunit',
          [g.query('max %s (wgwatch_tunnel_data_plane_success_ratio{%s})' % [w.by(['group', 'device', 'role']), w.sel(w.grp + w.dev)], w.tunnelLegend)],
          defaults={ min: 0, max: 1 },
        ),
      ]),
      g.row('MTU', [
        g.table(
          'ICMP probes and the link MTU',
          "Each ICMP probe: its IP packet size (wgwatch_probe_icmp_packet_bytes), whether don't-fragment is set (wgwatch_probe_icmp_dont_fragment), the link MTU (wgwatch_link_mtu_bytes), and how far the packet is below it. A DF probe whose packet equals the MTU is the MTU probe: it alone fails on an MTU black hole.",
          'bytes',
          [
            g.query('max %s (wgwatch_probe_icmp_packet_bytes{%s})' % [w.by(probe), d]),
            g.query('max %s (wgwatch_probe_icmp_dont_fragment{%s})' % [w.by(probe), d]),
            g.query('max %s (wgwatch_link_mtu_bytes{%s} - %s group_right wgwatch_probe_icmp_packet_bytes{%s} * 0)' % [w.by(probe), d, w.on(['device']), d]),
            g.query('max %s (wgwatch_link_mtu_bytes{%s} - %s group_right wgwatch_probe_icmp_packet_bytes{%s})' % [w.by(probe), d, w.on(['device']), d]),
            g.query('max %s (wgwatch_probe_success{%s, kind="icmp"})' % [w.by(probe), d]),
            g.query('max %s (wgwatch_probe_loss_ratio{%s, kind="icmp"})' % [w.by(probe), d]),
          ],
          ['Packet', "Don't fragment", 'Link MTU', 'Below MTU', 'Success', 'Loss'],
          w=24,
          overrides=[
            { matcher: { id: 'byName', options: "Don't fragment" }, properties: [{ id: 'unit', value: 'bool_yes_no' }] },
            { matcher: { id: 'byName', options: 'Success' }, properties: [{ id: 'unit', value: 'none' }, { id: 'mappings', value: g.okMapping('ok', 'failed') }, { id: 'custom.cellOptions', value: { type: 'color-text' } }] },
            { matcher: { id: 'byName', options: 'Loss' }, properties: [{ id: 'unit', value: 'percentunit' }] },
          ],
        ),
        g.timeseries(
          'MTU probe loss and success',
          "Loss ratio and last-round success of the MTU probes only (ICMP, don't fragment, packet size equal to the link MTU). Loss here while the other probes are fine means an MTU black hole on the path. Empty when no MTU probe is configured.",
          'percentunit',
          [
            g.query('max %s (wgwatch_probe_loss_ratio{%s} and %s %s)' % [w.by(probe), d, w.on(probe), mtuProbes], 'loss {{instance}} {{device}} {{probe}}'),
            g.query('max %s (wgwatch_probe_success{%s} and %s %s)' % [w.by(probe), d, w.on(probe), mtuProbes], 'success {{instance}} {{device}} {{probe}}'),
          ],
          defaults={ min: 0, max: 1 },
        ),
        g.timeseries(
          'Link MTU',
          'The interface MTU (wgwatch_link_mtu_bytes); absent while the interface is missing.',
          'bytes',
          [g.query('max %s (wgwatch_link_mtu_bytes{%s})' % [w.by(['device']), d], '{{instance}} {{device}}')],
        ),
      ]),
      g.row('Interface', [
        g.timeseries('Interface throughput',
                     'Bytes per second through the interface (rate of wgwatch_link_{receive,transmit}_bytes_total).',
                     'Bps',
                     [linkRate('bytes', 'receive'), linkRate('bytes', 'transmit')],
                     w=8),
        g.timeseries('Interface packets',
                     'Packets per second through the interface (rate of wgwatch_link_{receive,transmit}_packets_total).',
                     'pps',
                     [linkRate('packets', 'receive'), linkRate('packets', 'transmit')],
                     w=8),
        g.timeseries('Interface errors and drops',
                     "Errors and dropped packets per second (wgwatch_link_*_errors_total, wgwatch_link_*_dropped_total). For WireGuard, transmit errors count packets that no peer's allowed IPs match.",
                     'pps',
                     [
                       linkRate(m, dir) { legendFormat: '{{instance}} {{device}} %s %s' % [dir, m] }
                       for m in ['errors', 'dropped']
                       for dir in ['receive', 'transmit']
                     ],
                     w=8),
      ]),
    ],
  )
