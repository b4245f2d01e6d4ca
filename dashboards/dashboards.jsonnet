// SPDX-License-Identifier: MIT
// Renders the three wgwatch dashboards:
//   jsonnet -J <repo root> -m <outdir> dashboards/dashboards.jsonnet
local config = import 'config.libsonnet';
{
  'wgwatch-fleet.json': (import 'fleet.libsonnet')(config),
  'wgwatch-tunnel.json': (import 'tunnel.libsonnet')(config),
  'wgwatch-failover.json': (import 'failover.libsonnet')(config),
}
