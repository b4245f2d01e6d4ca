// SPDX-License-Identifier: MIT
// Proves the dashboard checks have teeth: breaks a copy of a committed dashboard in one way at a
// time and requires the check that guards it to fail with the expected message (and the
// unbroken copy to pass).
//
//   node mutations.mjs --readme README.md --rules alerts/wgwatch.rules.yml [--promtool PATH] \
//        --fleet dashboards/wgwatch-fleet.json --tunnel dashboards/wgwatch-tunnel.json
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkPanels } from './dashlib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
for (const k of ['readme', 'rules', 'fleet', 'tunnel']) {
  if (!args[k]) { console.error(`mutations.mjs: --${k} missing`); process.exit(2); }
}

const panelsOf = (d) => [...walkPanels(d.panels)].filter((p) => p.type !== 'row');
const panel = (d, title) => panelsOf(d).find((p) => p.title === title) ?? (() => { throw new Error(`no panel "${title}"`); })();
const editExpr = (d, title, from, to) => {
  const t = panel(d, title).targets[0];
  if (!t.expr.includes(from)) throw new Error(`panel "${title}": "${from}" not in ${t.expr}`);
  t.expr = t.expr.replace(from, to);
};

// [name, dashboard, check, expected output, mutate(dashboard)]
const MUTANTS = [
  ['metric name typo', 'fleet', 'queries', 'unknown metric wgwatch_tunnel_helthy',
    (d) => editExpr(d, 'Unhealthy tunnels', 'wgwatch_tunnel_healthy', 'wgwatch_tunnel_helthy')],
  ['label the metric lacks', 'tunnel', 'queries', 'wireguard_peer_receive_bytes_total has no label "group"',
    (d) => editExpr(d, 'Receive rate per peer', 'device=~"$device"', 'device=~"$device", group=~"$group"')],
  ['alert name typo in ALERTS', 'fleet', 'queries', 'no alert named WireGuardTunnelFailovr',
    (d) => editExpr(d, 'Failovers firing', 'WireGuardTunnelFailover', 'WireGuardTunnelFailovr')],
  ['PromQL syntax error', 'tunnel', 'queries', 'could not parse expression',
    (d) => editExpr(d, 'Loss per probe', 'max by (', 'max by ((')],
  ['variable query names an unknown metric', 'fleet', 'queries', 'variable $device: unknown metric wgwatch_link_exist',
    (d) => { const v = d.templating.list.find((x) => x.name === 'device'); v.query = v.query.replace('wgwatch_link_exists', 'wgwatch_link_exist'); }],
  ['gridPos.h removed', 'fleet', 'schema', "must have required property 'h'",
    (d) => { delete panel(d, 'Agents up').gridPos.h; }],
  ['schemaVersion removed', 'tunnel', 'schema', "must have required property 'schemaVersion'",
    (d) => { delete d.schemaVersion; }],
  ['unit dropped', 'tunnel', 'schema', 'no unit',
    (d) => { delete panel(d, 'Link MTU').fieldConfig.defaults.unit; }],
  ['[5m] instead of $__rate_interval', 'tunnel', 'schema', 'rate() over [5m], use [$__rate_interval]',
    (d) => editExpr(d, 'Receive rate per peer', '[$__rate_interval]', '[5m]')],
  ['instance matcher dropped', 'tunnel', 'schema', 'without instance=~"$instance"',
    (d) => editExpr(d, 'Link MTU', ', instance=~"$instance"', '')],
  ['counter outside rate()', 'fleet', 'schema', 'counter wgwatch_probe_runs_total outside rate/irate/increase',
    (d) => editExpr(d, 'Collectors failing', 'wgwatch_scrape_collector_success{', 'wgwatch_probe_runs_total{')],
  ['description dropped', 'fleet', 'schema', 'no description',
    (d) => { delete panel(d, 'Agents down').description; }],
  ['hard-coded datasource', 'tunnel', 'schema', 'datasource must be the $datasource variable',
    (d) => { panel(d, 'Peers').targets[0].datasource = { type: 'prometheus', uid: 'prom-1' }; }],
  ['variable without allValue .+', 'fleet', 'schema', 'allValue must be ".+"',
    (d) => { d.templating.list.find((x) => x.name === 'instance').allValue = ''; }],
  ['misspelt key', 'tunnel', 'schema', 'unknown key "descripton"',
    (d) => { const p = panel(d, 'Peers'); p.descripton = p.description; }],
  ['wrong type for a unit', 'fleet', 'schema', '/fieldConfig/defaults/unit must be string',
    (d) => { panel(d, 'Agents up').fieldConfig.defaults.unit = 1; }],
];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wgwatch-dash-mut-'));
let failed = 0;
try {
  const schemaFile = path.join(tmp, 'dashboard.schema.json');
  const run = (check, file) => {
    const argv = check === 'schema'
      ? [path.join(here, 'check_schema.mjs'), '--schema', schemaFile, file]
      : [path.join(here, 'check_queries.mjs'), '--readme', args.readme, '--rules', args.rules, '--promtool', args.promtool ?? 'promtool', file];
    const r = spawnSync(process.execPath, argv, { encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  // Controls: the unbroken dashboards pass both checks (and the schema is generated once).
  const gen = spawnSync(process.execPath, [path.join(here, 'check_schema.mjs'), '--schema-out', schemaFile, args.fleet, args.tunnel], { encoding: 'utf8' });
  if (gen.status !== 0) { console.log(`FAIL control: the committed dashboards do not pass check_schema\n${gen.stdout}${gen.stderr}`); process.exit(1); }
  const q = run('queries', args.fleet);
  if (q.status !== 0) { console.log(`FAIL control: the committed fleet dashboard does not pass check_queries\n${q.out}`); process.exit(1); }

  for (const [name, which, check, expected, mutate] of MUTANTS) {
    const dash = JSON.parse(readFileSync(args[which], 'utf8'));
    mutate(dash);
    const file = path.join(tmp, `${which}.json`);
    writeFileSync(file, JSON.stringify(dash, null, 1));
    const r = run(check, file);
    const caught = r.status === 1 && r.out.includes(expected);
    console.log(`${caught ? 'ok  ' : 'FAIL'} ${name}: check_${check} ${caught ? 'caught it' : `did not report "${expected}" (exit ${r.status})`}`);
    if (!caught) { console.log(r.out.replace(/^/gm, '    ')); failed++; }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(failed ? `FAIL: ${failed} of ${MUTANTS.length} mutants survived` : `ok: all ${MUTANTS.length} mutants caught`);
process.exitCode = failed ? 1 : 0;
