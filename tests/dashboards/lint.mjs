// SPDX-License-Identifier: MIT
// The grafana/dashboard-linter rules (re-implemented; the Go tool is not packaged), plus wgwatch's
// own: uid/title/tags, import metadata, the datasource/job/instance/group/device variables, titles,
// descriptions and units on every panel, the templated datasource everywhere, $__rate_interval in
// rate/irate/increase, job and instance matchers on every selector, counters only inside
// rate/irate/increase, dashboard links carrying the variables.
import { collectQueries, LINT_INTERVALS, selectors, substitute, walkPanels } from './dashlib.mjs';

// Grafana unit ids these dashboards may use (a subset of Grafana's valueFormats registry).
const UNITS = new Set([
  'none', 'short', 'percent', 'percentunit', 'bool', 'bool_yes_no', 'bool_on_off',
  'ns', 'µs', 'ms', 's', 'm', 'h', 'd', 'dtdurationms', 'dtdurations', 'dateTimeAsIso', 'dateTimeFromNow',
  'bytes', 'decbytes', 'bits', 'decbits', 'kbytes', 'mbytes',
  'Bps', 'binBps', 'bps', 'binbps', 'pps', 'ops', 'reqps', 'rps', 'wps', 'iops', 'cps', 'hertz',
]);
const TEMPLATED_DS = new Set(['${datasource}', '$datasource']);
const RATE_FUNCS = new Set(['rate', 'irate', 'increase']);
const COUNTER = /(_total|_bucket|_count|_sum)$/;
const ANY_ROLE = ['datasource', 'job', 'instance', 'group', 'device'];

function lintVariables(dash, err) {
  const vars = dash.templating?.list ?? [];
  const dsVars = vars.filter((v) => v.type === 'datasource');
  if (dsVars.length !== 1) err(`templating: ${dsVars.length} datasource variables, want exactly 1`);
  const ds = vars.find((v) => v.name === 'datasource');
  if (!ds || ds.type !== 'datasource') err('templating: no datasource variable named "datasource"');
  else {
    if (ds.label !== 'Data Source') err('variable $datasource: label must be "Data Source"');
    if (ds.query !== 'prometheus') err('variable $datasource: query must be "prometheus"');
  }
  for (const name of ANY_ROLE.slice(1)) {
    const v = vars.find((x) => x.name === name);
    if (!v) { err(`templating: no $${name} variable`); continue; }
    const w = `variable $${name}`;
    if (v.type !== 'query') err(`${w}: type ${v.type}, want query`);
    if (!TEMPLATED_DS.has(v.datasource?.uid)) err(`${w}: datasource must be the $datasource variable`);
    if (v.multi !== true) err(`${w}: must be multi-select`);
    if (v.includeAll !== true) err(`${w}: must include All`);
    if (v.allValue !== '.+') err(`${w}: allValue must be ".+"`);
    if (v.refresh !== 2) err(`${w}: refresh must be 2 (on time range change)`);
    if (!/^label_values\(/.test(typeof v.query === 'string' ? v.query : v.query?.query ?? '')) err(`${w}: must be a label_values() query`);
  }
}

function lintPanels(dash, err) {
  const ids = new Set();
  for (const p of walkPanels(dash.panels)) {
    const w = `panel ${p.id} "${p.title ?? ''}"`;
    if (ids.has(p.id)) err(`${w}: duplicate id`);
    ids.add(p.id);
    for (const k of ['h', 'w', 'x', 'y']) if (!Number.isInteger(p.gridPos?.[k])) err(`${w}: gridPos.${k} missing`);
    if (p.type === 'row') continue;
    if (!p.title?.trim()) err(`${w}: no title`);
    if (!p.description?.trim()) err(`${w}: no description`);
    const unit = p.fieldConfig?.defaults?.unit;
    if (!unit) err(`${w}: no unit (fieldConfig.defaults.unit)`);
    else if (!UNITS.has(unit)) err(`${w}: unknown unit "${unit}"`);
    if (!TEMPLATED_DS.has(p.datasource?.uid)) err(`${w}: datasource must be the $datasource variable`);
    if (!p.targets?.length) err(`${w}: no queries`);
    for (const t of p.targets ?? []) {
      if (!TEMPLATED_DS.has(t.datasource?.uid)) err(`${w} ${t.refId}: datasource must be the $datasource variable`);
    }
  }
}

function lintQueries(dash, parser, err) {
  for (const q of collectQueries(dash)) {
    const expr = substitute(q.expr, LINT_INTERVALS, (name) => `$${name}`);
    const text = (n) => expr.slice(n.from, n.to);
    const { selectors: sels, tree } = selectors(parser, expr);
    // Range windows: inside rate/irate/increase always $__rate_interval.
    const cursor = tree.cursor();
    do {
      const n = cursor.node;
      if (n.name !== 'FunctionCall') continue;
      const fn = text(n.getChild('FunctionIdentifier') ?? n);
      if (!RATE_FUNCS.has(fn)) continue;
      for (const ms of n.getChild('FunctionCallBody')?.getChildren('MatrixSelector') ?? []) {
        const range = text(ms).slice(text(ms).lastIndexOf('[') + 1, -1);
        if (range !== LINT_INTERVALS.__rate_interval) err(`${q.where}: ${fn}() over [${range}], use [$__rate_interval]`);
      }
    } while (cursor.next());
    for (const s of sels) {
      if (q.kind === 'variable') continue; // $job/$instance come from these
      for (const label of ['job', 'instance']) {
        if (!s.matchers.some((m) => m.label === label && m.op === '=~' && m.value === `$${label}`)) {
          err(`${q.where}: ${s.name} without ${label}=~"$${label}"`);
        }
      }
      if (s.name && COUNTER.test(s.name)) {
        const ms = s.node.parent;
        const fc = ms?.name === 'MatrixSelector' ? ms.parent?.parent : null;
        const fn = fc?.name === 'FunctionCall' ? text(fc.getChild('FunctionIdentifier')) : null;
        if (!RATE_FUNCS.has(fn)) err(`${q.where}: counter ${s.name} outside rate/irate/increase`);
      }
    }
  }
}

function lintDashboard(dash, err) {
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(dash.uid ?? '')) err(`uid "${dash.uid}" missing or invalid`);
  if (!dash.title?.trim()) err('no title');
  if (!dash.description?.trim()) err('no description');
  if (!dash.tags?.length) err('no tags');
  if (dash.editable === false) err('uneditable dashboard');
  const input = (dash.__inputs ?? []).find((i) => i.name === 'DS_PROMETHEUS');
  if (input?.type !== 'datasource' || input?.pluginId !== 'prometheus') err('__inputs: no DS_PROMETHEUS Prometheus datasource input');
  if (!(dash.__requires ?? []).some((r) => r.type === 'datasource' && r.id === 'prometheus')) err('__requires: no prometheus datasource');
  if (!(dash.links ?? []).some((l) => l.includeVars === true && l.keepTime === true)) err('links: none carries the variables and time range');
}

// Map file -> [error] for [{file, dash}]; also checks uids and titles are unique across files.
export function lintDashboards(dashboards, require) {
  const { parser } = require('@prometheus-io/lezer-promql');
  const out = new Map();
  const seen = { uid: new Map(), title: new Map() };
  for (const { file, dash } of dashboards) {
    const errors = [];
    const err = (m) => errors.push(m);
    lintDashboard(dash, err);
    lintVariables(dash, err);
    lintPanels(dash, err);
    lintQueries(dash, parser, err);
    for (const key of ['uid', 'title']) {
      if (seen[key].has(dash[key])) err(`${key} "${dash[key]}" also used by ${seen[key].get(dash[key])}`);
      seen[key].set(dash[key], file);
    }
    out.set(file, errors);
  }
  return out;
}
