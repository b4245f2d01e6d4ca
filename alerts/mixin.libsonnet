// SPDX-License-Identifier: MIT
// The wgwatch mixin (monitoring-mixin convention): _config, prometheusRules, prometheusAlerts,
// plus prometheusRuleFile (both in one file, groups merged so rules that feed each other share
// a group) and a runbook_url on every alert.
(import 'config.libsonnet') +
(import 'rules.libsonnet') +
(import 'alerts.libsonnet') +
{
  local c = self._config,
  local withRunbook(group) = group {
    rules: [
      rule {
        annotations+: { runbook_url: c.runbookURLPattern % std.asciiLower(rule.alert) },
      }
      for rule in super.rules
    ],
  },
  prometheusAlerts+:: {
    groups: [withRunbook(g) for g in super.groups],
  },
  // Recording rules first, then the alerts, in one group per name (evaluated in order at one
  // timestamp: an alert sees the values recorded just before it).
  prometheusRuleFile:: {
    local recording = $.prometheusRules.groups,
    local alerting = $.prometheusAlerts.groups,
    local names = std.uniq(std.sort([g.name for g in recording + alerting])),
    local byName(groups, name) = [g for g in groups if g.name == name],
    groups: [
      local r = byName(recording, name), a = byName(alerting, name);
      (r + a)[0] {
        rules: std.flattenArrays([g.rules for g in r + a]),
      }
      for name in names
    ],
  },
}
