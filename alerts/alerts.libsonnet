// SPDX-License-Identifier: MIT
// Alerting rules: the failover decision and the warnings around it (names and labels are the
// shared contract of issue 9; see alerts/README.md for the runbook of each).
local lib = import 'lib.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local sel = c.jobSelector,
    local agent = lib.labels(c),
    local group = lib.labels(c, ['group']),
    local primaryKey = lib.labels(c, ['group', 'device']),
    local failoverLabels = lib.labels(c, ['group', 'device', 'role', 'standby_device']),
    local firing(name) = 'ALERTS{alertname="%s", alertstate="firing"}' % name,
    // Adds each tunnel's group and role to a per-device series.
    local withTunnel(expr) = |||
      %s
      * on (%s, device) group_left (group, role)
        tunnel:wgwatch_tunnel_role:info
    ||| % [expr, agent],

    groups+: [
      {
        name: 'wgwatch-failover',
        interval: c.failoverEvaluationInterval,
        rules: [
          {
            alert: 'WireGuardTunnelFailover',
            // Three branches, one label set (agent labels, group, device, role,
            // standby_device), so it stays one alert:
            // 1. entry: the primary is unhealthy and a standby of the same group on the same
            //    agent is healthy (not while already firing: the standby picked at entry stays);
            // 2. hysteresis: once firing, stay while the primary is unhealthy, standby or not;
            // 3. blind: once firing, stay while the primary is not observed (agent down,
            //    scrape failing, series stale or absent, samples older than freshnessSeconds).
            // keep_firing_for then holds it until the primary has been healthy for the grace.
            expr: |||
              (
                  (tunnel:wgwatch_tunnel_healthy:fresh{role="primary"} == 0)
                * on (%(group)s) group_left (standby_device)
                  group:wgwatch_tunnel_standby_healthy:topk1
                unless on (%(primary)s)
                  %(firing)s
              )
              or
              (
                  max by (%(labels)s) (%(firing)s)
                and on (%(primary)s)
                  tunnel:wgwatch_tunnel_healthy:fresh{role="primary"} == 0
              )
              or
              (
                  max by (%(labels)s) (%(firing)s)
                unless on (%(primary)s)
                  tunnel:wgwatch_tunnel_healthy:fresh{role="primary"}
              )
            ||| % {
              group: group,
              primary: primaryKey,
              labels: failoverLabels,
              firing: firing('WireGuardTunnelFailover'),
            },
            'for': c.failoverHoldTime,
            keep_firing_for: c.failbackGracePeriod,
            labels: { severity: 'critical', action: 'failover' },
            annotations: {
              summary: 'Traffic of a tunnel group moves from its primary to a standby.',
              description: '{{ $labels.device }}, the primary of group {{ $labels.group }} on {{ $labels.instance }}, is unhealthy or not observed; traffic goes to the standby {{ $labels.standby_device }} until the primary has been healthy for %s.' % c.failbackGracePeriod,
            },
          },
          {
            alert: 'WireGuardTunnelGroupDown',
            expr: 'max by (%s) (tunnel:wgwatch_tunnel_healthy:fresh) == 0' % group,
            'for': c.groupDownFor,
            labels: { severity: 'critical' },
            annotations: {
              summary: 'No tunnel of a group is healthy.',
              description: 'No tunnel of group {{ $labels.group }} on {{ $labels.instance }} is healthy (best health {{ printf "%.2f" $value }}): the traffic of the group has no working path.',
            },
          },
          {
            alert: 'WireGuardStandbyUnhealthy',
            expr: |||
              (tunnel:wgwatch_tunnel_healthy:fresh{role="standby"} == 0)
              and on (%s)
              (tunnel:wgwatch_tunnel_healthy:fresh{role="primary"} == 1)
            ||| % group,
            'for': c.standbyUnhealthyFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A standby tunnel is unhealthy while its primary carries the traffic.',
              description: 'Standby {{ $labels.device }} of group {{ $labels.group }} on {{ $labels.instance }} is unhealthy (health {{ printf "%.2f" $value }}): a failover of the group could not use it.',
            },
          },
        ],
      },
      {
        name: 'wgwatch-tunnel',
        interval: c.warningEvaluationInterval,
        rules: [
          {
            alert: 'WireGuardHandshakeStale',
            expr: 'wgwatch_tunnel_handshake_ok{%s} == 0' % sel,
            'for': c.handshakeStaleFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A tunnel has no fresh WireGuard handshake.',
              description: 'No counted peer of {{ $labels.device }} ({{ $labels.role }}, group {{ $labels.group }}) on {{ $labels.instance }} completed a handshake within the agent\'s handshake_max_age (handshake layer {{ printf "%.2f" $value }}).',
            },
          },
          {
            alert: 'WireGuardTunnelInterfaceDown',
            expr: 'wgwatch_tunnel_interface_up{%s} == 0' % sel,
            'for': c.interfaceDownFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A tunnel interface is missing, down or without carrier.',
              description: 'Interface {{ $labels.device }} ({{ $labels.role }}, group {{ $labels.group }}) on {{ $labels.instance }} is missing, administratively down or without carrier (interface layer {{ printf "%.2f" $value }}).',
            },
          },
          {
            alert: 'WireGuardMTUBlackHole',
            // The MTU probe loses echoes while another probe of the same tunnel succeeds:
            // full-size packets vanish, small ones pass.
            expr: |||
              (
                  wgwatch_probe_loss_ratio{%(sel)s}
                * on (%(agent)s, device, probe, kind, target) group_left (group, role)
                  probe:wgwatch_probe_mtu:info
              ) >= %(threshold)g
              and on (%(agent)s, device)
                (
                  max by (%(agent)s, device) (
                      wgwatch_probe_success{%(sel)s}
                    unless on (%(agent)s, device, probe, kind, target)
                      probe:wgwatch_probe_mtu:info
                  ) == 1
                )
            ||| % { sel: sel, agent: agent, threshold: c.mtuProbeLossThreshold },
            'for': c.mtuBlackHoleFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Full-size packets vanish in a tunnel while small ones pass.',
              description: 'MTU probe {{ $labels.probe }} ({{ $labels.target }}, don\'t-fragment, packets of the interface MTU) of {{ $labels.device }} on {{ $labels.instance }} loses {{ printf "%.2f" $value }} of its echoes while another probe of the tunnel succeeds: an MTU black hole on the path.',
            },
          },
          {
            alert: 'WireGuardProbeLatencyHigh',
            expr: withTunnel('(\n' + std.join('\n  or\n', [
              '  probe:wgwatch_probe_duration_seconds:histogram_quantile{quantile="%g", kind="%s"} > %g'
              % [c.probeLatencyQuantile, kind, c.probeLatencyThresholdSeconds[kind]]
              for kind in std.objectFields(c.probeLatencyThresholdSeconds)
            ]) + '\n)'),
            'for': c.probeLatencyFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Probe latency through a tunnel is high.',
              description: 'The %g quantile of probe {{ $labels.probe }} ({{ $labels.kind }} {{ $labels.target }}) through {{ $labels.device }} on {{ $labels.instance }} is {{ printf "%%.3f" $value }} s over %s.' % [c.probeLatencyQuantile, c.latencyWindow],
            },
          },
          {
            alert: 'WireGuardProbeLossHigh',
            expr: withTunnel('wgwatch_probe_loss_ratio{%s}' % sel) + '> %g\n' % c.probeLossThreshold,
            'for': c.probeLossFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A probe through a tunnel loses packets or rounds.',
              description: 'Probe {{ $labels.probe }} ({{ $labels.kind }} {{ $labels.target }}) through {{ $labels.device }} on {{ $labels.instance }} loses {{ printf "%.2f" $value }} of its echoes or rounds over the health window.',
            },
          },
          {
            alert: 'WgwatchCollectorFailing',
            expr: 'wgwatch_scrape_collector_success{%s} == 0' % sel,
            'for': c.collectorFailingFor,
            labels: { severity: 'warning' },
            annotations: {
              summary: 'A wgwatch collector fails.',
              description: 'Collector {{ $labels.collector }} of {{ $labels.instance }} fails (success {{ printf "%.2f" $value }}): its metrics are missing or partial.',
            },
          },
          {
            alert: 'WgwatchAgentDown',
            expr: |||
              up{%(sel)s} == 0
              or
              absent(up{%(sel)s})
            ||| % { sel: sel },
            'for': c.agentDownFor,
            labels: { severity: 'critical' },
            annotations: {
              summary: 'A wgwatch agent is not scraped.',
              description: '{{ if $labels.instance }}Prometheus cannot scrape {{ $labels.instance }}{{ else }}Prometheus has no target for {{ $labels.job }}{{ end }}: its tunnels are not observed (a failover in progress stays).',
            },
          },
          {
            alert: 'Watchdog',
            expr: 'vector(1)',
            labels: { severity: 'info' },
            annotations: {
              summary: 'Always firing: proves that the alerting pipeline works.',
              description: "Always firing (value {{ $value }}); if the dead man's switch stops receiving it, Prometheus or Alertmanager is down and no failover or failback happens.",
            },
          },
        ],
      },
    ],
  },
}
