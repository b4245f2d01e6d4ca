// SPDX-License-Identifier: MIT
// Every knob of the wgwatch policy bundle (rules, Alertmanager, dashboards), with why you would
// change it. Edit here and run packaging/scripts/render-bundle.sh, or override `_config+::`.
{
  _config+:: {
    // Selector of the wgwatch scrape job, spliced into every query. Change it when your job is
    // named differently or you want to scope the bundle (e.g. 'job="wgwatch",env="prod"').
    jobSelector: 'job="wgwatch"',

    // The labels that identify one agent. Every `by`/`on` of the bundle uses these plus
    // `group`, so nothing is ever aggregated across agents. Add e.g. 'cluster' when one
    // Thanos/Mimir ruler sees several Prometheus servers whose targets may share an instance.
    agentLabels: ['job', 'instance'],

    // Evaluation interval of the failover group (rules that feed the failover decision).
    // 1s gives fast failover; it costs one evaluation of a few small rules per second. Keep it
    // equal to the wgwatch scrape_interval: a shorter one adds nothing.
    failoverEvaluationInterval: '1s',
    // Evaluation interval of the warning group (latency, loss, collectors, agent).
    warningEvaluationInterval: '15s',

    // A tunnel sample older than this many seconds is "no data" for the failover policy:
    // missing data never counts as recovery. About 3-5 scrape intervals; raise it with a
    // slower scrape, or every scrape gap looks like a blind agent.
    freshnessSeconds: 5,

    // How long the primary must be unhealthy (with a healthy standby) before traffic moves.
    // The agent already debounces (tunnel.health window and hysteresis); this only filters a
    // single bad scrape. Raise it if you prefer fewer failovers to faster ones.
    failoverHoldTime: '3s',
    // Failback grace (keep_firing_for): the primary must stay healthy this long before the
    // failover alert resolves and traffic returns. Any unhealthy moment restarts it, so a
    // flapping primary never gets traffic back. Longer = more stable, slower failback.
    failbackGracePeriod: '5m',

    // Hold times of the other alerts.
    groupDownFor: '5s',  // page fast: no tunnel of a group carries traffic
    standbyUnhealthyFor: '1m',  // the safety net is gone; not urgent by itself
    handshakeStaleFor: '1m',  // the agent's handshake_max_age (default 5m) already waited
    interfaceDownFor: '30s',
    mtuBlackHoleFor: '2m',
    probeLatencyFor: '5m',
    probeLossFor: '5m',
    collectorFailingFor: '2m',
    agentDownFor: '1m',  // shorter pages on scrape hiccups; the failover alert holds anyway

    // MTU black hole: the tunnel's MTU probe (don't-fragment, packet size = interface MTU)
    // loses at least this share of echoes over the agent's health window while another probe
    // of the same tunnel succeeds.
    mtuProbeLossThreshold: 0.5,
    // Probe loss (wgwatch_probe_loss_ratio, over the agent's health window) above this warns.
    probeLossThreshold: 0.05,
    // Probe latency: this quantile of wgwatch_probe_duration_seconds over latencyWindow, per
    // probe, above the threshold of the probe's kind warns. ICMP measures each echo; TCP and
    // HTTP measure whole successful rounds (connect, TLS, response), hence larger limits.
    probeLatencyQuantile: 0.9,
    latencyWindow: '5m',
    probeLatencyThresholdSeconds: { icmp: 0.25, tcp: 0.5, http: 1 },

    // Alert annotations link here; %s is the alert name in lower case (the section anchors
    // of alerts/README.md). Point it at your own copy, e.g. an internal wiki.
    runbookURLPattern: 'https://github.com/wgwatch/wgwatch/blob/main/alerts/README.md#%s',

    // Dashboards (dashboards/*.json; read by dashboards/config.libsonnet). Stable uids keep
    // links and bookmarks working; the first tag links the dashboards to each other; the
    // title prefix tells them apart in Grafana's search.
    dashboardUids: { fleet: 'wgwatch-fleet', tunnel: 'wgwatch-tunnel', failover: 'wgwatch-failover' },
    dashboardTags: ['wgwatch', 'wireguard'],
    dashboardTitlePrefix: 'wgwatch / ',
    dashboardRefresh: '30s',  // auto-refresh; lower it on a wall screen during an incident
    dashboardTimeFrom: 'now-3h',  // default time range

    // Alertmanager (alerts/alertmanager.yml).
    alertmanager: {
      // The failover controller: the agent's webhook endpoint. Tests and the demo lab replace
      // this exact string with their own receiver.
      failoverWebhookURL: 'http://127.0.0.1:9586/api/v1/failover/alertmanager',
      // Timers of the failover route: group_wait 0s sends a new failover at once;
      // group_interval bounds failback and re-failover latency; repeat_interval re-asserts the
      // desired state to the (idempotent) controller.
      failoverGroupWait: '0s',
      failoverGroupInterval: '1s',
      failoverRepeatInterval: '1m',
      // Placeholders: replace with your paging/ticket receiver and dead man's switch.
      defaultWebhookURL: 'http://127.0.0.1:9999/REPLACE-ME/notify',
      watchdogWebhookURL: 'http://127.0.0.1:9999/REPLACE-ME/watchdog',
      watchdogRepeatInterval: '1m',
    },

    // Example Prometheus config (alerts/prometheus.yml).
    prometheus: {
      jobName: 'wgwatch',  // must match jobSelector
      scrapeInterval: '1s',  // the agent's metrics are cheap; 1s bounds detection latency
      scrapeTimeout: '800ms',  // below the interval, or Prometheus refuses the config
      evaluationInterval: '1s',
      targets: ['127.0.0.1:9586'],
      alertmanagers: ['127.0.0.1:9093'],
    },
  },
}
