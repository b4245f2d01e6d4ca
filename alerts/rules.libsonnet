// SPDX-License-Identifier: MIT
// Recording rules: the policy's inputs per (agent, group, tunnel), named level:metric:operations.
// Levels: `tunnel` = agent labels + group, device, role; `group` = agent labels + group;
// `probe` = a tunnel's level + probe, kind, target.
local lib = import 'lib.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local sel = c.jobSelector,
    local agent = lib.labels(c),
    local tunnel = lib.labels(c, ['group', 'device', 'role']),

    groups+: [
      {
        name: 'wgwatch-failover',
        interval: c.failoverEvaluationInterval,
        rules: [
          {
            // Each tunnel's health (1/0), only from samples younger than `freshnessSeconds`: an
            // absent result means "not observed", which the failover never takes as recovery.
            record: 'tunnel:wgwatch_tunnel_healthy:fresh',
            expr: |||
              max by (%(tunnel)s) (
                  wgwatch_tunnel_healthy{%(sel)s}
                and
                  time() - timestamp(wgwatch_tunnel_healthy{%(sel)s}) <= %(fresh)g
              )
            ||| % { tunnel: tunnel, sel: sel, fresh: c.freshnessSeconds },
          },
          {
            // One healthy standby per (agent, group), its device in `standby_device`: where a
            // failover sends traffic. topk(1) picks one when several are healthy.
            record: 'group:wgwatch_tunnel_standby_healthy:topk1',
            expr: |||
              max by (%(group)s, standby_device) (
                label_replace(
                  topk by (%(group)s) (1, tunnel:wgwatch_tunnel_healthy:fresh{role="standby"} == 1),
                  "standby_device", "$1", "device", "(.*)"
                )
              )
            ||| % { group: lib.labels(c, ['group']) },
          },
        ],
      },
      {
        name: 'wgwatch-tunnel',
        interval: c.warningEvaluationInterval,
        rules: [
          {
            // Group and role of each tunnel device (value 1): joins them onto the
            // per-probe and per-link series, which carry only `device`.
            record: 'tunnel:wgwatch_tunnel_role:info',
            expr: 'group by (%(tunnel)s) (wgwatch_tunnel_healthy{%(sel)s})' % { tunnel: tunnel, sel: sel },
          },
          {
            // The MTU probe of each tunnel (value 1): an ICMP probe with don't-fragment set
            // whose packets are exactly the interface MTU.
            record: 'probe:wgwatch_probe_mtu:info',
            expr: |||
              group by (%(tunnel)s, probe, kind, target) (
                  (
                      (
                          wgwatch_probe_icmp_packet_bytes{%(sel)s}
                        == on (%(agent)s, device) group_left
                          wgwatch_link_mtu_bytes{%(sel)s}
                      )
                    and on (%(agent)s, device, probe, kind, target)
                      wgwatch_probe_icmp_dont_fragment{%(sel)s} == 1
                  )
                * on (%(agent)s, device) group_left (group, role)
                  tunnel:wgwatch_tunnel_role:info
              )
            ||| % { tunnel: tunnel, agent: agent, sel: sel },
          },
          {
            // Per-probe latency quantile over latencyWindow (ICMP: each echo; TCP/HTTP: each
            // successful round).
            record: 'probe:wgwatch_probe_duration_seconds:histogram_quantile',
            labels: { quantile: '%g' % c.probeLatencyQuantile },
            expr: |||
              histogram_quantile(%(q)g,
                sum by (%(agent)s, device, probe, kind, target, le) (
                  rate(wgwatch_probe_duration_seconds_bucket{%(sel)s}[%(window)s])
                )
              )
            ||| % { q: c.probeLatencyQuantile, agent: agent, sel: sel, window: c.latencyWindow },
          },
        ],
      },
    ],
  },
}
