// SPDX-License-Identifier: MIT
// Fleet overview: every agent and tunnel at a glance: the three health layers per tunnel,
// which tunnel of each group carries traffic, failover alerts firing, agents up, peers.
local g = import 'lib/grafana.libsonnet';

function(config)
  local c = config._config;
  local w = (import 'lib/wgwatch.libsonnet')(config);
  local tun = w.sel(w.grp + w.dev);
  local layers = [
    ['wgwatch_tunnel_interface_up', 'Interface'],
    ['wgwatch_tunnel_handshake_ok', 'Handshake'],
    ['wgwatch_tunnel_data_plane_ok', 'Data plane'],
    ['wgwatch_tunnel_healthy', 'Healthy'],
  ];
  local tunnelLabels = ['group', 'device', 'role'];

  g.dashboard(
    c,
    c.uids.fleet,
    'Fleet overview',
    'Every wgwatch agent and tunnel at a glance: health layers, the active tunnel of each group, failover alerts, agents, peers.',
    w.variables,
    [
      g.row('Summary', [
        g.stat('Agents up',
               'Scrape targets of the selected jobs that Prometheus reaches (up == 1).',
               'none',
               [g.query('sum(up{%s})' % w.sel())],
               thresholds=g.redGreen),
        g.stat('Agents down',
               'Scrape targets that Prometheus cannot reach (up == 0). Their tunnels show no data; a firing failover stays firing.',
               'none',
               [g.query('count(up{%s} == 0) or vector(0)' % w.sel())]),
        g.stat('Failovers firing',
               'Groups whose traffic should be on a standby now: %s alerts firing.' % c.failoverAlert,
               'none',
               [g.query('count(%s) or vector(0)' % w.failoverAlerts(', alertstate="firing"'))]),
        g.stat('Groups without a healthy tunnel',
               'Tunnel groups where neither the primary nor any standby is healthy (wgwatch_tunnel_healthy == 0 for all).',
               'none',
               [g.query('count(max %s (wgwatch_tunnel_healthy{%s}) == 0) or vector(0)' % [w.by(['group']), tun])]),
        g.stat('Unhealthy tunnels',
               'Tunnels with at least one of the three layers down (wgwatch_tunnel_healthy == 0).',
               'none',
               [g.query('count(wgwatch_tunnel_healthy{%s} == 0) or vector(0)' % tun)]),
        g.stat('Collectors failing',
               'Agent collectors whose last collection failed (wgwatch_scrape_collector_success == 0).',
               'none',
               [g.query('count(wgwatch_scrape_collector_success{%s} == 0) or vector(0)' % w.sel())]),
      ]),
      g.row('Tunnels', [
        g.table(
          'Tunnel health layers',
          'One row per tunnel: its role and the three health layers (interface, handshake, data plane), the overall verdict, and the data-plane success ratio over the health window.',
          'none',
          [
            g.query('max %s (%s{%s})' % [w.by(tunnelLabels), l[0], tun])
            for l in layers
          ] + [g.query('max %s (wgwatch_tunnel_data_plane_success_ratio{%s})' % [w.by(tunnelLabels), tun])],
          [l[1] for l in layers] + ['Success ratio'],
          h=9,
          defaults={ mappings: g.okMapping(), custom: { cellOptions: { type: 'color-background' } }, color: { mode: 'thresholds' }, thresholds: g.redGreen },
          overrides=[{
            matcher: { id: 'byName', options: 'Success ratio' },
            properties: [
              { id: 'unit', value: 'percentunit' },
              { id: 'mappings', value: [] },
              { id: 'custom.cellOptions', value: { type: 'gauge', mode: 'basic' } },
              { id: 'min', value: 0 },
              { id: 'max', value: 1 },
              { id: 'thresholds', value: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'orange', value: 0.8 }, { color: 'green', value: 0.95 }] } },
            ],
          }],
        ),
        g.table(
          'Active tunnel per group',
          'Which tunnel of each group should carry traffic: the primary, unless %s fires for the group, naming the standby_device to move traffic to.' % c.failoverAlert,
          'none',
          [g.query(
            |||
              max %(byActive)s (
                label_replace(%(alerts)s, "active_device", "$1", "standby_device", "(.+)")
              )
              or %(onGroup)s
              max %(byActive)s (
                label_replace(wgwatch_tunnel_healthy{%(tun)s, role="primary"} * 0, "active_device", "$1", "device", "(.+)")
              )
            ||| % {
              byActive: w.by(['group', 'active_device']),
              onGroup: w.on(['group']),
              alerts: w.failoverAlerts(', alertstate="firing"'),
              tun: w.sel(w.grp),
            }
          )],
          ['State'],
          w=12,
          defaults={
            mappings: g.okMapping('failed over to the standby', 'primary'),
            color: { mode: 'thresholds' },
            thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 1 }] },
            custom: { cellOptions: { type: 'color-text' } },
          },
        ),
        g.table(
          'Failover alerts',
          '%s alerts, pending or firing: the primary device, the standby_device to move traffic to, and the state.' % c.failoverAlert,
          'none',
          [g.query('max %s (%s)' % [w.by(['group', 'device', 'standby_device', 'alertstate']), w.failoverAlerts()])],
          ['Alert'],
          w=12,
          defaults={ custom: { cellOptions: { type: 'auto' } } },
          hide=['Time', 'Value'],
        ),
      ]),
      g.row('Agents and peers', [
        g.table(
          'Agents',
          'Each agent: whether Prometheus reaches it, and whether all of its collectors succeeded in the last scrape.',
          'none',
          [
            g.query('max %s (up{%s})' % [w.by([]), w.sel()]),
            g.query('min %s (wgwatch_scrape_collector_success{%s})' % [w.by([]), w.sel()]),
          ],
          ['Up', 'All collectors ok'],
          w=12,
          defaults={ mappings: g.okMapping('yes', 'no'), color: { mode: 'thresholds' }, thresholds: g.redGreen, custom: { cellOptions: { type: 'color-text' } } },
        ),
        g.table(
          'Peers with a recent handshake',
          'Per device: configured peers, and peers whose last handshake is younger than the recent-handshake window (default 180 s).',
          'none',
          [
            g.query('max %s (wireguard_device_peers{%s})' % [w.by(['device']), w.sel(w.dev)]),
            g.query('max %s (wireguard_device_peers_with_recent_handshake{%s})' % [w.by(['device']), w.sel(w.dev)]),
          ],
          ['Peers', 'Recent handshake'],
          w=12,
        ),
        g.timeseries(
          'Data-plane success ratio',
          "Share of successful probe rounds in each tunnel's health window (wgwatch_tunnel_data_plane_success_ratio).",
          'percentunit',
          [g.query('max %s (wgwatch_tunnel_data_plane_success_ratio{%s})' % [w.by(tunnelLabels), tun], w.tunnelLegend)],
          w=12,
          defaults={ min: 0, max: 1 },
        ),
        g.timeseries(
          'Peers with a recent handshake over time',
          'wireguard_device_peers_with_recent_handshake per device.',
          'none',
          [g.query('max %s (wireguard_device_peers_with_recent_handshake{%s})' % [w.by(['device']), w.sel(w.dev)], '{{instance}} {{device}}')],
          w=12,
          defaults={ min: 0, decimals: 0 },
        ),
      ]),
    ],
  )
