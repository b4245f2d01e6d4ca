// SPDX-License-Identifier: MIT
// Failover timeline: the health layers of every tunnel over time next to the failover alerts,
// data-plane flips and primary-vs-standby success, to read what happened when.
local g = import 'lib/grafana.libsonnet';

function(config)
  local c = config._config;
  local w = (import 'lib/wgwatch.libsonnet')(config);
  local tun = w.sel(w.grp + w.dev);
  local tunnelBy = w.by(['group', 'device', 'role']);
  local layer(metric, title, what) =
    g.stateTimeline(title,
                    '%s (%s), per tunnel.' % [what, metric],
                    [g.query('max %s (%s{%s})' % [tunnelBy, metric, tun], w.tunnelLegend)],
                    h=6);

  g.dashboard(
    c,
    c.uids.failover,
    'Failover timeline',
    'What happened when: the three health layers per tunnel, the failover alerts, data-plane flips, and the success ratio of primaries against standbys.',
    w.variables,
    [
      g.row('Health layers', [
        layer('wgwatch_tunnel_healthy', 'Tunnel healthy', 'All three layers ok'),
        layer('wgwatch_tunnel_interface_up', 'Interface layer', 'The link exists, is admin up and has carrier'),
        layer('wgwatch_tunnel_handshake_ok', 'Handshake layer', 'A counted peer completed a handshake within handshake_max_age'),
        layer('wgwatch_tunnel_data_plane_ok', 'Data-plane layer', 'Probe success in the health window, with hysteresis'),
      ]),
      g.row('Failover', [
        g.stateTimeline(
          'Failover alert',
          '%s over time: pending (the hold time running), then firing (move traffic to standby_device); it keeps firing for the grace period after the primary recovers.' % c.failoverAlert,
          [g.query('max %s (%s * 1 or %s * 2)' % [w.by(['group', 'device', 'standby_device']), w.failoverAlerts(', alertstate="pending"'), w.failoverAlerts(', alertstate="firing"')],
                   '{{instance}} {{group}}: {{device}} -> {{standby_device}}')],
          mapping=[{ type: 'value', options: {
            '1': { text: 'pending', color: 'orange', index: 0 },
            '2': { text: 'firing: traffic on the standby', color: 'red', index: 1 },
          } }],
          h=6,
        ),
        g.timeseries(
          'wgwatch alerts',
          'Alerts about these agents and tunnels by name and state (ALERTS); empty while all is well.',
          'none',
          [g.query('count by (alertname, alertstate) (ALERTS{%s, alertname=~"WireGuard.*|Wgwatch.*"})' % w.sel(), '{{alertname}} {{alertstate}}')],
          defaults={ min: 0, decimals: 0, custom+: { drawStyle: 'bars', fillOpacity: 60 } },
        ),
        g.timeseries(
          'Data-plane transitions',
          "Flips of each tunnel's data-plane layer (increase of wgwatch_tunnel_data_plane_transitions_total); many flips mean a flapping tunnel.",
          'none',
          [g.query('sum %s (increase(wgwatch_tunnel_data_plane_transitions_total{%s}%s))' % [tunnelBy, tun, w.rate], w.tunnelLegend)],
          defaults={ min: 0, custom+: { drawStyle: 'bars', fillOpacity: 60 } },
        ),
        g.timeseries(
          'Success ratio: primary vs standby',
          "Data-plane success ratio of each group's tunnels by role (wgwatch_tunnel_data_plane_success_ratio): the failover moves traffic when the primary drops and a standby stays up.",
          'percentunit',
          [
            g.query('max %s (wgwatch_tunnel_data_plane_success_ratio{%s, role="%s"})' % [tunnelBy, tun, role], w.tunnelLegend)
            for role in ['primary', 'standby']
          ],
          defaults={ min: 0, max: 1 },
          overrides=[{
            matcher: { id: 'byFrameRefID', options: 'B' },
            properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
          }],
        ),
        g.timeseries(
          'Handshake age per tunnel',
          "Youngest handshake among each device's peers (min of wireguard_peer_last_handshake_age_seconds): fresh handshakes with a failing data plane are the silent failure the data-plane layer catches.",
          's',
          [g.query('min %s (wireguard_peer_last_handshake_age_seconds{%s})' % [w.by(['device']), w.sel(w.dev)], '{{instance}} {{device}}')],
          defaults={ min: 0 },
        ),
      ]),
    ],
    annotations=[{
      name: 'Failovers',
      datasource: g.datasourceRef,
      enable: true,
      hide: false,
      iconColor: 'orange',
      expr: 'max %s (%s)' % [w.by(['group', 'device', 'standby_device']), w.failoverAlerts(', alertstate="firing"')],
      step: '15s',
      titleFormat: '%s' % c.failoverAlert,
      textFormat: '{{instance}} {{group}}: traffic to {{standby_device}}',
      useValueForTime: false,
      tagKeys: 'group,device,standby_device',
    }],
  )
