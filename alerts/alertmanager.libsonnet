// SPDX-License-Identifier: MIT
// Alertmanager config of the bundle (rendered to alerts/alertmanager.yml): the failover route
// to the agent's webhook, a default route for people, the Watchdog, and inhibitions.
local lib = import 'lib.libsonnet';

{
  alertmanagerConfig:: {
    local c = $._config,
    local am = c.alertmanager,
    local agentGroup = c.agentLabels + ['group'],
    local tunnelWarnings = ['HandshakeStale', 'TunnelInterfaceDown', 'MTUBlackHole', 'ProbeLatencyHigh', 'ProbeLossHigh'],
    local alertnames(names) = 'alertname=~"WireGuard(%s)"' % std.join('|', names),

    route: {
      // Everything not routed below: one notification group per agent and tunnel group.
      receiver: 'wgwatch-default',
      group_by: agentGroup,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        {
          // The machine action, first and fast: a new failover is sent at once
          // (group_wait 0s), a failback (resolve) or re-failover within group_interval.
          // continue: true, so the default route also tells people that traffic moved.
          receiver: 'wgwatch-failover',
          matchers: ['action="failover"'],
          group_by: ['alertname'] + agentGroup,
          group_wait: am.failoverGroupWait,
          group_interval: am.failoverGroupInterval,
          repeat_interval: am.failoverRepeatInterval,
          continue: true,
        },
        {
          // Dead man's switch: always firing, re-sent every watchdogRepeatInterval; the
          // receiver alarms when it stops arriving.
          receiver: 'wgwatch-watchdog',
          matchers: ['alertname="Watchdog"'],
          group_by: ['alertname'],
          group_wait: '0s',
          group_interval: am.watchdogRepeatInterval,
          repeat_interval: am.watchdogRepeatInterval,
        },
        {
          // People: everything else, and the failover too (it continues here from above;
          // without this route a matched child hides the root receiver).
          receiver: 'wgwatch-default',
        },
      ],
    },

    inhibit_rules: [
      {
        // No tunnel of the group is healthy: its per-tunnel warnings add nothing. Never
        // inhibits the failover alert (a machine acts on it).
        source_matchers: ['alertname="WireGuardTunnelGroupDown"'],
        target_matchers: [alertnames(['StandbyUnhealthy'] + tunnelWarnings)],
        equal: agentGroup,
      },
      {
        // Traffic already left the primary: its symptoms are handled. `device` is the
        // primary's (the standby's warnings stay: it carries the traffic now).
        source_matchers: ['alertname="WireGuardTunnelFailover"'],
        target_matchers: [alertnames(tunnelWarnings)],
        equal: agentGroup + ['device'],
      },
      {
        // A black-holed MTU probe loses every echo; the loss warning of that probe repeats it.
        source_matchers: ['alertname="WireGuardMTUBlackHole"'],
        target_matchers: ['alertname="WireGuardProbeLossHigh"'],
        equal: c.agentLabels + ['device', 'probe'],
      },
    ],

    receivers: [
      {
        name: 'wgwatch-failover',
        webhook_configs: [{
          url: am.failoverWebhookURL,
          // The resolve is the failback signal (the controller must still check that it is
          // not a blind resolve: see alerts/README.md).
          send_resolved: true,
          max_alerts: 0,
        }],
      },
      {
        // REPLACE: your paging / chat / ticket receiver.
        name: 'wgwatch-default',
        webhook_configs: [{ url: am.defaultWebhookURL, send_resolved: true }],
      },
      {
        // REPLACE: your dead man's switch (e.g. a healthchecks-style URL).
        name: 'wgwatch-watchdog',
        webhook_configs: [{ url: am.watchdogWebhookURL, send_resolved: false }],
      },
    ],
  },
}
