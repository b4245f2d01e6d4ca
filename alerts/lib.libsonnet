// SPDX-License-Identifier: MIT
// Small helpers shared by rules.libsonnet and alerts.libsonnet: label lists for by/on clauses.
{
  // 'job, instance' plus extra labels, for `by (...)` and `on (...)`.
  labels(config, extra=[]):: std.join(', ', config.agentLabels + extra),
}
