// SPDX-License-Identifier: MIT
// Example Prometheus config of the bundle (rendered to alerts/prometheus.yml): the wgwatch job
// at the fast-failover intervals, the rule file, one Alertmanager.
{
  prometheusConfig:: {
    local p = $._config.prometheus,
    global: {
      evaluation_interval: p.evaluationInterval,
    },
    rule_files: ['wgwatch.rules.yml'],
    alerting: {
      alertmanagers: [{ static_configs: [{ targets: p.alertmanagers }] }],
    },
    scrape_configs: [
      {
        job_name: p.jobName,
        scrape_interval: p.scrapeInterval,
        scrape_timeout: p.scrapeTimeout,
        static_configs: [{ targets: p.targets }],
      },
    ],
  },
}
