// SPDX-License-Identifier: MIT
// What the three wgwatch dashboards share: the label selectors spliced into every query, the
// job/instance/group/device variables, and the legends that name a tunnel or a probe.
local g = import 'grafana.libsonnet';

function(config) {
  local c = config._config,
  // Every selector carries the agent matchers; `extra` adds more (e.g. ', device=~"$device"').
  sel(extra=''):: 'job=~"$job", instance=~"$instance"' + extra,
  dev:: ', device=~"$device"',
  grp:: ', group=~"$group"',
  // "by (job, instance, ...)" keeping the labels that identify an agent.
  by(labels):: 'by (%s)' % std.join(', ', c.agentLabels + labels),
  on(labels):: 'on (%s)' % std.join(', ', c.agentLabels + labels),
  rate:: '[$__rate_interval]',

  tunnelLegend:: '{{instance}} {{group}} {{device}} ({{role}})',
  probeLegend:: '{{instance}} {{device}} {{probe}} ({{kind}} {{target}})',
  peerLegend:: '{{instance}} {{device}} {{name}} {{public_key}}',

  failoverAlerts(extra=''):: 'ALERTS{alertname="%s", %s}' % [c.failoverAlert, self.sel(self.grp + extra)],

  variables:: [
    g.queryVariable('job',
                    'Job',
                    'wgwatch_build_info{%s}' % c.selector,
                    'job',
                    'Prometheus scrape jobs of wgwatch agents.'),
    g.queryVariable('instance',
                    'Agent',
                    'wgwatch_build_info{job=~"$job"}',
                    'instance',
                    'wgwatch agents (scrape targets).'),
    g.queryVariable('group',
                    'Group',
                    'wgwatch_tunnel_healthy{%s}' % self.sel(),
                    'group',
                    'Tunnel groups ([[tunnel]] group): a primary and its standbys. Applies to the tunnel health panels.'),
    g.queryVariable('device',
                    'Device',
                    'wgwatch_link_exists{%s}' % self.sel(),
                    'device',
                    'WireGuard interfaces the agents watch.'),
  ],
}
