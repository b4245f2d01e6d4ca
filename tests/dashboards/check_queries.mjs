// SPDX-License-Identifier: MIT
// Checks every PromQL query of Grafana dashboards (panel targets, query variables, annotations):
// it parses with the real engine (promtool check rules) and names only metrics and labels that
// wgwatch's agent (README.md metrics table) or its rules (alerts/wgwatch.rules.yml) produce.
//
//   node check_queries.mjs --readme README.md [--rules alerts/wgwatch.rules.yml] [--promtool PATH]
//                          [--external] DASHBOARD.json...
//
// --external: dashboards written for mdlayher/wireguard_exporter (or mixed with other exporters).
// A name wgwatch should serve (wireguard_*, wgwatch_*) must be known; other exporters' names are
// listed as foreign, not failures. Exit 0 all ok, 1 a check failed, 2 usage error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { collectQueries, loadDashboard, requireDeps, selectors, substitute } from './dashlib.mjs';

// Grafana interval variables -> durations promtool accepts.
const INTERVALS = { __rate_interval: '1m', __interval: '15s', __range: '1h', __range_s: '3600', __range_ms: '3600000' };
// Series Prometheus itself makes, with the labels they can carry (null: any).
const BUILTIN = { ALERTS: null, ALERTS_FOR_STATE: null, up: ['job', 'instance'] };
const AGENT_LABELS = ['job', 'instance'];

// README metrics table rows: | `name` | type | labels | meaning |. `{a,b}` expands; a histogram
// adds _bucket (with le), _sum and _count. Returns Map name -> Set of labels.
export function readmeMetrics(text) {
  const metrics = new Map();
  const expand = (s) => {
    const m = /^(.*?)\{([^}]*)\}(.*)$/.exec(s);
    if (!m) return [s];
    return m[2].split(',').flatMap((alt) => expand(m[1] + alt.trim() + m[3]));
  };
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([a-z_:{},0-9]+)`\s*\|\s*(counter|gauge|histogram|summary|info|untyped)\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const labels = m[3].replace(/[[\]]/g, '').split(',').map((l) => l.trim()).filter(Boolean);
    for (const name of expand(m[1])) {
      const set = new Set([...AGENT_LABELS, ...labels]);
      if (m[2] === 'histogram') {
        metrics.set(`${name}_bucket`, new Set([...set, 'le']));
        metrics.set(`${name}_sum`, set);
        metrics.set(`${name}_count`, set);
      } else {
        metrics.set(name, set);
      }
    }
  }
  return metrics;
}

// Recording rule and alert names of a rendered rules file (YAML or JSON; quoted or not).
export function ruleNames(text) {
  const grab = (key) => [...text.matchAll(new RegExp(`^\\s*(?:-\\s*)?["']?${key}["']?:\\s*["']?([A-Za-z_:][A-Za-z0-9_:]*)`, 'gm'))].map((m) => m[1]);
  return { records: new Set(grab('record')), alerts: new Set(grab('alert')) };
}

// promtool check rules on all queries at once: one group per query, so an error names the query.
function promtoolParse(promtool, items) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wgwatch-dash-'));
  try {
    const file = path.join(dir, 'queries.rules.yml');
    const groups = items.map((it, i) => ({ name: `q${i}`, rules: [{ record: 'dashboard:query:check', expr: it.promql }] }));
    writeFileSync(file, JSON.stringify({ groups }, null, 1));
    const r = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run ${promtool}: ${r.error.message}`);
    const bad = new Map();
    for (const m of `${r.stdout}\n${r.stderr}`.matchAll(/group "q(\d+)", rule \d+, "[^"]*": (.*)/g)) bad.set(Number(m[1]), m[2]);
    if (r.status !== 0 && bad.size === 0) throw new Error(`promtool failed without naming a query:\n${r.stdout}${r.stderr}`);
    if (r.status === 0 && bad.size > 0) throw new Error('promtool succeeded but printed errors');
    return bad;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Checks the queries of `files`. Returns {fatal} for a setup problem, else {counts: Map file ->
// number of queries, failures: [{file, msg}], foreign: [{file, name}]}.
export function checkQueries({ readme, rules: rulesFile = null, promtool = 'promtool', external = false, files }) {
  const { parser } = requireDeps()('@prometheus-io/lezer-promql');
  const metrics = readmeMetrics(readFileSync(readme, 'utf8'));
  if (metrics.size < 20) return { fatal: `${readme}: only ${metrics.size} metrics found in its table` };
  let rules = { records: new Set(), alerts: new Set() };
  if (rulesFile) {
    if (!existsSync(rulesFile)) return { fatal: `${rulesFile}: missing (rendered rules are part of the bundle)` };
    rules = ruleNames(readFileSync(rulesFile, 'utf8'));
  }

  const items = [];
  const counts = new Map();
  for (const file of files) {
    const queries = collectQueries(loadDashboard(file));
    counts.set(file, queries.length);
    for (const q of queries) items.push({ file, ...q, promql: substitute(q.expr, INTERVALS) });
  }
  const failures = [];
  const foreign = [];
  const fail = (it, msg) => failures.push({ file: it.file, msg: `${it.where}: ${msg}` });

  for (const [i, msg] of promtoolParse(promtool, items)) fail(items[i], `promtool: ${msg}\n    ${items[i].promql.replace(/\s+/g, ' ')}`);

  for (const it of items) {
    const { selectors: sels, errors } = selectors(parser, it.promql);
    if (errors.length) fail(it, `lezer-promql: syntax error at offset ${errors[0]}`);
    for (const s of sels) {
      if (!s.name) { fail(it, 'a selector without a metric name'); continue; }
      let labels;
      if (metrics.has(s.name)) labels = metrics.get(s.name);
      else if (Object.hasOwn(BUILTIN, s.name)) labels = BUILTIN[s.name] && new Set(BUILTIN[s.name]);
      else if (rules.records.has(s.name)) labels = null;
      else if (external && !/^(wireguard|wgwatch)_/.test(s.name)) { foreign.push({ file: it.file, name: s.name }); continue; }
      else { fail(it, `unknown metric ${s.name} (not in README.md's metrics table, not a recording rule)`); continue; }
      for (const m of s.matchers) {
        if (m.label === '__name__') continue;
        if (labels && !labels.has(m.label)) fail(it, `${s.name} has no label "${m.label}" (it has: ${[...labels].join(', ')})`);
      }
      if ((s.name === 'ALERTS' || s.name === 'ALERTS_FOR_STATE') && rulesFile) {
        for (const m of s.matchers) {
          if (m.label === 'alertname' && m.op === '=' && !rules.alerts.has(m.value)) fail(it, `no alert named ${m.value} in ${rulesFile}`);
        }
      }
    }
  }
  return { counts, failures, foreign };
}

function main(argv) {
  const opts = { readme: null, rules: null, promtool: 'promtool', external: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--readme') opts.readme = argv[++i];
    else if (a === '--rules') opts.rules = argv[++i];
    else if (a === '--promtool') opts.promtool = argv[++i];
    else if (a === '--external') opts.external = true;
    else if (a.startsWith('--')) { console.error(`unknown option ${a}`); return 2; }
    else opts.files.push(a);
  }
  if (!opts.readme || opts.files.length === 0) {
    console.error('usage: check_queries.mjs --readme README.md [--rules RULES.yml] [--promtool PATH] [--external] DASHBOARD.json...');
    return 2;
  }
  const r = checkQueries(opts);
  if (r.fatal) { console.log(`FAIL ${r.fatal}`); return 1; }
  for (const file of opts.files) {
    const bad = r.failures.filter((f) => f.file === file);
    console.log(`${bad.length ? 'FAIL' : 'ok  '} ${file}: ${r.counts.get(file)} queries${bad.length ? `, ${bad.length} problems` : ''}`);
    for (const f of bad) console.log(`  ${path.basename(file)}: ${f.msg}`);
  }
  if (r.foreign.length) {
    console.log('foreign metric names (other exporters, not checked):');
    for (const file of opts.files) {
      const names = [...new Set(r.foreign.filter((f) => f.file === file).map((f) => f.name))].sort();
      if (names.length) console.log(`  ${path.basename(file)}: ${names.join(', ')}`);
    }
  }
  return r.failures.length ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
