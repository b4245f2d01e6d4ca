// SPDX-License-Identifier: MIT
// Proves the dashboard checks have teeth: breaks a copy of a committed dashboard in one way at a
// time and requires the check that guards it to fail with the expected message (and the
// unbroken copies to pass). Runs the checks in process: the schema is generated once.
//
//   node mutations.mjs --readme README.md --rules alerts/wgwatch.rules.yml [--promtool PATH] \
//        --fleet dashboards/wgwatch-fleet.json --tunnel dashboards/wgwatch-tunnel.json [--root REPO_ROOT]
// --root also edits a copy of the committed JSON by hand and expects check_render.sh to fail.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkQueries } from './check_queries.mjs';
import { dashboardSchema, schemaChecker } from './check_schema.mjs';
import { requireDeps, walkPanels } from './dashlib.mjs';

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
  const require = requireDeps();
  const checkSchema = schemaChecker(require, dashboardSchema(require));
  const queryOpts = { readme: args.readme, rules: args.rules, promtool: args.promtool ?? 'promtool' };
  // Controls: the unbroken dashboards pass both checks.
  const control = [args.fleet, args.tunnel];
  const schemaControl = [...checkSchema(control.map((file) => ({ file, dash: JSON.parse(readFileSync(file, 'utf8')) })))].filter(([, e]) => e.length);
  const queryControl = checkQueries({ ...queryOpts, files: control });
  if (schemaControl.length || queryControl.fatal || queryControl.failures.length) {
    console.log('FAIL control: the committed dashboards do not pass the checks');
    console.log(JSON.stringify({ schemaControl, queryControl }, null, 1));
    process.exit(1);
  }

  // Every mutant in its own file; the schema check runs per file (uids must be unique within a
  // call), the query check once for all (one promtool run).
  const mutants = MUTANTS.map(([name, which, check, expected, mutate], i) => {
    const dash = JSON.parse(readFileSync(args[which], 'utf8'));
    mutate(dash);
    const file = path.join(tmp, `m${i}-${which}.json`);
    writeFileSync(file, JSON.stringify(dash, null, 1));
    return { name, check, expected, file, dash };
  });
  const queryResult = checkQueries({ ...queryOpts, files: mutants.filter((m) => m.check === 'queries').map((m) => m.file) });
  if (queryResult.fatal) throw new Error(queryResult.fatal);
  for (const m of mutants) {
    const errors = m.check === 'schema'
      ? checkSchema([{ file: m.file, dash: m.dash }]).get(m.file)
      : queryResult.failures.filter((f) => f.file === m.file).map((f) => f.msg);
    const caught = errors.some((e) => e.includes(m.expected));
    console.log(`${caught ? 'ok  ' : 'FAIL'} ${m.name}: check_${m.check} ${caught ? 'caught it' : `did not report "${m.expected}"`}`);
    if (!caught) { console.log(errors.join('\n').replace(/^/gm, '    ')); failed++; }
  }
  // The committed JSON edited by hand, not re-rendered: check_render.sh must notice.
  if (args.root) {
    const root = path.join(tmp, 'root');
    cpSync(path.join(args.root, 'dashboards'), path.join(root, 'dashboards'), { recursive: true });
    cpSync(path.join(args.root, 'alerts'), path.join(root, 'alerts'), { recursive: true });
    const json = path.join(root, 'dashboards', 'wgwatch-fleet.json');
    writeFileSync(json, readFileSync(json, 'utf8').replace('"Agents up"', '"Agents upp"'));
    const r = spawnSync('sh', [path.join(here, 'check_render.sh'), root], { encoding: 'utf8' });
    const caught = r.status === 1 && r.stdout.includes('wgwatch-fleet.json differs');
    console.log(`${caught ? 'ok  ' : 'FAIL'} committed JSON edited by hand: check_render ${caught ? 'caught it' : 'did not'}`);
    if (!caught) { console.log(`${r.stdout}${r.stderr}`.replace(/^/gm, '    ')); failed++; }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(failed ? `FAIL: ${failed} mutants survived` : 'ok: every mutant caught');
process.exitCode = failed ? 1 : 0;
