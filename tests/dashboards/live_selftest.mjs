// SPDX-License-Identifier: MIT
// Self-test of check_live.mjs on loopback: a real Prometheus (rules: alerts/wgwatch.rules.yml)
// scrapes fixture_agent.py every second. Healthy: every dashboard query has data (the
// EMPTY_WHEN_HEALTHY ones may not, and --expect-fault must then fail). A typo'd metric makes it
// fail. After the fixture breaks wg0's data plane and WireGuardTunnelFailover fires, the run with
// --expect-fault passes.
//   node live_selftest.mjs --rules alerts/wgwatch.rules.yml [--prometheus-bin prometheus] DASHBOARD.json...
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
let rules = null;
let promBin = 'prometheus';
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--rules') rules = argv[++i];
  else if (argv[i] === '--prometheus-bin') promBin = argv[++i];
  else files.push(argv[i]);
}
if (!rules || files.length === 0) { console.error('usage: live_selftest.mjs --rules RULES.yml [--prometheus-bin BIN] DASHBOARD.json...'); process.exit(2); }

const RATE = '10s'; // $__rate_interval: at 1 s scrapes, ten samples
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  s.on('error', reject);
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wgwatch-dash-live-'));
const children = [];
let failed = 0;
const step = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) { failed++; if (detail) console.log(detail.replace(/^/gm, '    ')); }
};

async function query(base, expr) {
  const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: expr })}`, { signal: AbortSignal.timeout(5000) });
  const body = await res.json();
  return body.status === 'success' ? body.data.result : [];
}

// Polls until expr returns data; a hang guard, not a timing assertion.
async function waitFor(base, expr, seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    try { if ((await query(base, expr)).length) return true; } catch { /* not up yet */ }
    await sleep(500);
  }
  return false;
}

function checkLive(base, extra, dashboards = files) {
  const r = spawnSync(process.execPath, [path.join(here, 'check_live.mjs'), '--prometheus', base, '--rate-interval', RATE, ...extra, ...dashboards], { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

try {
  const [agentPort, promPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${promPort}`;
  writeFileSync(path.join(tmp, 'prometheus.yml'), JSON.stringify({
    global: { scrape_interval: '1s', scrape_timeout: '800ms', evaluation_interval: '1s' },
    rule_files: [path.resolve(rules)],
    scrape_configs: [{ job_name: 'wgwatch', static_configs: [{ targets: [`127.0.0.1:${agentPort}`] }] }],
  }));
  const start = (cmd, args) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    c.on('error', (e) => { err += e.message; });
    children.push(c);
    return () => err;
  };
  start('python3', [path.join(here, 'fixture_agent.py'), String(agentPort)]);
  const promErr = start(promBin, [`--config.file=${path.join(tmp, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(tmp, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn']);

  if (!await waitFor(base, 'up{job="wgwatch"} == 1', 60)) {
    step(false, 'Prometheus scrapes the fixture agent', promErr());
    process.exit(1);
  }
  // Enough samples for every [$__rate_interval] window, and the rules evaluated on them.
  await sleep(12000);

  let r = checkLive(base, []);
  step(r.status === 0, 'healthy scene: every query returns data (or may be empty while healthy)', r.out);
  r = checkLive(base, ['--expect-fault']);
  step(r.status === 1 && r.out.includes('with --expect-fault it must show data'), 'healthy scene with --expect-fault fails on the empty-when-healthy queries', r.out);

  const mutant = path.join(tmp, 'mutant.json');
  const tunnel = files.find((f) => f.endsWith('wgwatch-tunnel.json'));
  writeFileSync(mutant, readFileSync(tunnel, 'utf8').replaceAll('wgwatch_link_mtu_bytes{', 'wgwatch_link_mtu_byte{'));
  r = checkLive(base, [], [mutant]);
  step(r.status === 1 && r.out.includes('"Link MTU" A: empty result'), 'a misspelt metric gives an empty result and fails', r.out);

  await fetch(`http://127.0.0.1:${agentPort}/fault`, { method: 'POST' });
  const fired = await waitFor(base, 'ALERTS{alertname="WireGuardTunnelFailover", alertstate="firing", device="wg0", standby_device="wg1"}', 90);
  step(fired, 'fault scene: WireGuardTunnelFailover fires for wg0 -> wg1');
  if (fired) {
    r = checkLive(base, ['--expect-fault']);
    step(r.status === 0, 'fault scene with --expect-fault: every query returns data', r.out);
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await sleep(300);
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
console.log(failed ? `FAIL: ${failed} steps failed` : 'ok: check_live passes, fails and expects faults as documented');
process.exitCode = failed ? 1 : 0;
