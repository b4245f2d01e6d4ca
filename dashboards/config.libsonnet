// SPDX-License-Identifier: MIT
// Dashboard knobs. The bundle's shared knobs (job selector, the labels that identify an agent)
// come from alerts/config.libsonnet (an error if they vanish there); the dashboard-only ones
// (uids, tags, titles) default here unless alerts/config.libsonnet sets them.
local alerts = import 'alerts/config.libsonnet';
local shared = alerts._config;
local pick(key, default) = std.get(shared, key, default);

{
  _config+:: {
    // jobSelector: picks the wgwatch scrape job in the $job variable query; set it in
    // alerts/config.libsonnet (the `job` variable then lists only what it matches).
    selector: shared.jobSelector,
    // The labels that identify one agent; every aggregation keeps them.
    agentLabels: shared.agentLabels,
    // Dashboard identity: stable uids (links and bookmarks rely on them), tags (the dashboards
    // link to each other by the first tag), and a title prefix to tell them apart in search.
    uids: pick('dashboardUids', {
      fleet: 'wgwatch-fleet',
      tunnel: 'wgwatch-tunnel',
      failover: 'wgwatch-failover',
    }),
    tags: pick('dashboardTags', ['wgwatch', 'wireguard']),
    titlePrefix: pick('dashboardTitlePrefix', 'wgwatch / '),
    // Auto-refresh and default time range.
    refresh: pick('dashboardRefresh', '30s'),
    timeFrom: pick('dashboardTimeFrom', 'now-3h'),
    // The oldest Grafana these dashboards are written for (panel types and options).
    grafanaVersion: '10.4.0',
    // The failover alert the fleet and failover dashboards show.
    failoverAlert: pick('failoverAlertName', 'WireGuardTunnelFailover'),
  },
}
