// SPDX-License-Identifier: MIT
// Runs every query of wgwatch's dashboards against a live Prometheus and fails on an error or an
// empty result: proves each panel shows data from the real agent, not just that it parses.
//
// Usage (stable; the end-to-end test calls it):
//   node tests/dashboards/check_live.mjs --prometheus http://HOST:PORT [--expect-fault]
//        [--var NAME=VALUE]... [--rate-interval DURATION] [--allow-empty UID/TITLE]...
//        [--timeout SECONDS] [--verbose] dashboards/*.json
//
//   --prometheus URL    Prometheus base URL; queries go to URL/api/v1/query (instant, now).
//   --expect-fault      The scene is faulty: a primary's data plane is down while a standby of its
//                       group is healthy, long enough for WireGuardTunnelFailover to fire (and a
//                       probe to fail). The queries listed in EMPTY_WHEN_HEALTHY must then return
//                       data too. Without it they may be empty (and are reported, not failed).
//   --var NAME=VALUE    Value of a dashboard variable ($job, $instance, $group, $device); the
//                       default is ".+" (the variables' All value). Regex syntax, as Grafana sends.
//   --rate-interval D   What $__rate_interval becomes (default 1m). It needs at least two scrapes
//                       inside it: wait that long after the first scrape before running this.
//   --allow-empty U/T   Also allow panel T of dashboard uid U to be empty (repeatable; e.g. a
//                       scene without an MTU probe: wgwatch-tunnel/MTU probe loss and success).
//   --timeout S         Per-query HTTP timeout (default 10).
//   --verbose           Print every query with its series count.
//
// Exit status: 0 every query answered with data (or was allowed to be empty), 1 a query failed
// or came back empty, 2 usage error. Needs only Node >= 18 (global fetch); no npm packages.
import path from 'node:path';
import { collectQueries, loadDashboard, substitute } from './dashlib.mjs';

// Queries that are legitimately empty while every tunnel is healthy, by dashboard uid and panel
// title (or "annotation:<name>"). With --expect-fault each must return data.
export const EMPTY_WHEN_HEALTHY = {
  'wgwatch-fleet': {
    'Failover alerts': 'lists WireGuardTunnelFailover alerts; none is pending or firing',
  },
  'wgwatch-tunnel': {
    'Probe failures by reason': 'shows reasons with a non-zero failure rate (> 0); every round succeeds',
  },
  'wgwatch-failover': {
    'Failover alert': 'WireGuardTunnelFailover pending or firing; none is',
    'wgwatch alerts': 'ALERTS of these agents; none is pending or firing (Watchdog has no job label)',
    'annotation:Failovers': 'firing WireGuardTunnelFailover alerts as annotations; none fires',
  },
};

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: check_live.mjs --prometheus URL [--expect-fault] [--var NAME=VALUE]... [--rate-interval D] [--allow-empty UID/TITLE]... [--timeout S] [--verbose] DASHBOARD.json...');
  return 2;
}

async function instantQuery(base, expr, timeoutMs) {
  const url = new URL('api/v1/query', base.endsWith('/') ? base : `${base}/`);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json().catch(() => null);
    if (!body) return { error: `HTTP ${res.status}, no JSON body` };
    if (body.status !== 'success') return { error: `${body.errorType ?? 'error'}: ${body.error ?? res.status}` };
    const { resultType, result } = body.data;
    const count = resultType === 'scalar' || resultType === 'string' ? 1 : result.length;
    return { count };
  } catch (e) {
    return { error: `${url}: ${e.cause?.message ?? e.message}` };
  }
}

async function main(argv) {
  const opts = { prometheus: null, fault: false, vars: {}, rate: '1m', allow: new Set(), timeout: 10, verbose: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    try {
      if (a === '--prometheus') opts.prometheus = next();
      else if (a === '--expect-fault') opts.fault = true;
      else if (a === '--var') {
        const [k, ...v] = next().split('=');
        if (!v.length) return usage(`--var wants NAME=VALUE, got ${k}`);
        opts.vars[k] = v.join('=');
      } else if (a === '--rate-interval') opts.rate = next();
      else if (a === '--allow-empty') opts.allow.add(next());
      else if (a === '--timeout') opts.timeout = Number(next());
      else if (a === '--verbose') opts.verbose = true;
      else if (a.startsWith('--')) return usage(`unknown option ${a}`);
      else opts.files.push(a);
    } catch (e) {
      return usage(e.message);
    }
  }
  if (!opts.prometheus || opts.files.length === 0) return usage();
  if (!/^\d+(ms|s|m|h)$/.test(opts.rate)) return usage(`bad --rate-interval ${opts.rate}`);

  const values = { __rate_interval: opts.rate, __interval: '15s', __range: '1h', __range_s: '3600', __range_ms: '3600000', ...opts.vars };
  const failures = [];
  const emptyOk = [];
  let total = 0;
  for (const file of opts.files) {
    const dash = loadDashboard(file);
    const expected = EMPTY_WHEN_HEALTHY[dash.uid] ?? {};
    const titles = new Set(collectQueries(dash).map((q) => (q.kind === 'annotation' ? `annotation:${q.title}` : q.title)));
    for (const key of Object.keys(expected)) {
      if (!titles.has(key)) failures.push(`${path.basename(file)}: EMPTY_WHEN_HEALTHY names "${key}", which the dashboard does not have`);
    }
    for (const q of collectQueries(dash)) {
      total++;
      const key = q.kind === 'annotation' ? `annotation:${q.title}` : q.title;
      const where = `${path.basename(file)}: ${q.where}`;
      const expr = substitute(q.expr, values);
      const r = await instantQuery(opts.prometheus, expr, opts.timeout * 1000);
      if (opts.verbose) console.log(`${r.error ? 'ERR ' : String(r.count).padStart(4)} ${where}: ${expr.replace(/\s+/g, ' ')}`);
      if (r.error) { failures.push(`${where}: ${r.error}`); continue; }
      if (r.count > 0) continue;
      const reason = q.kind !== 'variable' && expected[key];
      if (reason && !opts.fault) emptyOk.push(`${where}: empty, as expected while healthy (${reason})`);
      else if (opts.allow.has(`${dash.uid}/${key}`)) emptyOk.push(`${where}: empty, allowed by --allow-empty`);
      else failures.push(`${where}: empty result${reason ? ` (with --expect-fault it must show data: ${reason})` : ''}\n    ${expr.replace(/\s+/g, ' ')}`);
    }
  }
  for (const e of emptyOk) console.log(`  ${e}`);
  for (const f of failures) console.log(`FAIL ${f}`);
  console.log(`${failures.length ? 'FAIL' : 'ok'}: ${total} queries against ${opts.prometheus}${opts.fault ? ' (expecting a fault)' : ''}, ${failures.length} failed, ${emptyOk.length} empty as allowed`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
