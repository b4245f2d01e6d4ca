// SPDX-License-Identifier: MIT
// Validates dashboards against Grafana's own Dashboard type: @grafana/schema's TypeScript types
// turned into a JSON Schema (ts-json-schema-generator, loose mode) and checked with ajv; then a
// key allow-list (catches typos loose mode lets through) and the dashboard-linter rules (lint.mjs).
//
//   node check_schema.mjs [--schema-out FILE | --schema FILE] [--no-lint] DASHBOARD.json...
//
// --schema-out keeps the generated schema; --schema reuses one instead of generating it.
//
// Exit 0 all ok, 1 a dashboard failed, 2 usage error.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDashboard, requireDeps } from './dashlib.mjs';
import { lintDashboards } from './lint.mjs';

// The Dashboard type as a JSON Schema (about 3 s).
function dashboardSchema(require) {
  const pkg = path.dirname(require.resolve('@grafana/schema/package.json'));
  const tsj = require('ts-json-schema-generator');
  return tsj.createGenerator({
    path: path.join(pkg, 'dist/types/raw/dashboard/x/types.gen.d.ts'),
    type: 'Dashboard',
    skipTypeCheck: true,
    additionalProperties: true, // strict mode rejects valid dashboards (e.g. `definition` on variables)
  }).createSchema('Dashboard');
}

// Keys Grafana accepts beyond the TypeScript types: import metadata, the Prometheus query and
// annotation fields (plugin-defined, so absent from the types), and what Grafana's own editors write.
const EXTRA = {
  dashboard: ['__inputs', '__requires', '__elements'],
  variable: ['definition'],
  target: ['datasource', 'expr', 'refId', 'legendFormat', 'instant', 'range', 'format', 'editorMode',
           'interval', 'intervalFactor', 'hide', 'exemplar', 'step', 'queryType'],
  annotation: ['expr', 'step', 'titleFormat', 'textFormat', 'tagKeys', 'useValueForTime'],
};

// Unknown keys at each level that has a type: a typo such as `refreshh` or `descripton`.
function allowListErrors(schema, dash) {
  const defs = schema.definitions;
  const props = (...names) => new Set(names.flatMap((n) => Object.keys(defs[n].properties ?? {})));
  const allowed = {
    dashboard: new Set([...props('Dashboard'), ...EXTRA.dashboard]),
    panel: props('Panel', 'RowPanel'),
    gridPos: props('GridPos'),
    fieldConfigSource: props('FieldConfigSource'),
    fieldConfig: props('FieldConfig'),
    variable: new Set([...props('VariableModel'), ...EXTRA.variable]),
    target: new Set(EXTRA.target),
    annotation: new Set([...props('AnnotationQuery'), ...EXTRA.annotation]),
    link: props('DashboardLink'),
  };
  const errors = [];
  const check = (obj, kind, where) => {
    if (!obj || typeof obj !== 'object') return;
    for (const k of Object.keys(obj)) if (!allowed[kind].has(k)) errors.push(`${where}: unknown key "${k}"`);
  };
  check(dash, 'dashboard', '/');
  const panels = (list, base) => (list ?? []).forEach((p, i) => {
    const w = `${base}/${i}`;
    check(p, 'panel', w);
    check(p.gridPos, 'gridPos', `${w}/gridPos`);
    check(p.fieldConfig, 'fieldConfigSource', `${w}/fieldConfig`);
    check(p.fieldConfig?.defaults, 'fieldConfig', `${w}/fieldConfig/defaults`);
    (p.targets ?? []).forEach((t, j) => check(t, 'target', `${w}/targets/${j}`));
    panels(p.panels, `${w}/panels`);
  });
  panels(dash.panels, '/panels');
  (dash.templating?.list ?? []).forEach((v, i) => check(v, 'variable', `/templating/list/${i}`));
  (dash.annotations?.list ?? []).forEach((a, i) => check(a, 'annotation', `/annotations/list/${i}`));
  (dash.links ?? []).forEach((l, i) => check(l, 'link', `/links/${i}`));
  return errors;
}

// A checker for one JSON Schema: (dashboards = [{file, dash}], lint) -> Map file -> [error].
// Uids and titles must be unique among the dashboards of one call.
export function schemaChecker(require, schema) {
  const Ajv = require('ajv');
  const addFormats = require('ajv-formats');
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  const part = (name) => ajv.compile({ $ref: `#/definitions/${name}`, definitions: schema.definitions });
  const validatePanel = part('Panel');
  const validateRow = part('RowPanel');

  return (dashboards, lint = true) => {
    const lintErrors = lint ? lintDashboards(dashboards, require) : new Map();
    const out = new Map();
    for (const { file, dash } of dashboards) {
      const errors = [];
      const report = (fn, base) => {
        for (const e of fn.errors) errors.push(`schema ${base}${e.instancePath || ''} ${e.message}`);
      };
      // panels[] is Panel | RowPanel: validate the dashboard without them, then each panel against
      // the one type its `type` names, so a broken panel gets its own errors and not anyOf noise.
      if (!validate({ ...dash, panels: [] })) report(validate, '');
      const panels = (list, base) => (list ?? []).forEach((p, i) => {
        const fn = p?.type === 'row' ? validateRow : validatePanel;
        if (!fn({ ...p, ...(p?.type === 'row' ? { panels: [] } : {}) })) report(fn, `${base}/${i}`);
        if (p?.type === 'row') panels(p.panels, `${base}/${i}/panels`);
      });
      panels(dash.panels, '/panels');
      errors.push(...allowListErrors(schema, dash).map((e) => `keys ${e}`));
      errors.push(...(lintErrors.get(file) ?? []).map((e) => `lint ${e}`));
      out.set(file, errors);
    }
    return out;
  };
}

export { dashboardSchema };

function main(argv) {
  const files = [];
  let schemaOut = null;
  let schemaIn = null;
  let lint = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--schema-out') schemaOut = argv[++i];
    else if (argv[i] === '--schema') schemaIn = argv[++i];
    else if (argv[i] === '--no-lint') lint = false;
    else if (argv[i].startsWith('--')) { console.error(`unknown option ${argv[i]}`); return 2; }
    else files.push(argv[i]);
  }
  if (files.length === 0) { console.error('usage: check_schema.mjs [--schema-out FILE | --schema FILE] [--no-lint] DASHBOARD.json...'); return 2; }

  const require = requireDeps();
  const schema = schemaIn ? JSON.parse(readFileSync(schemaIn, 'utf8')) : dashboardSchema(require);
  if (schemaOut) writeFileSync(schemaOut, JSON.stringify(schema, null, 1));
  const results = schemaChecker(require, schema)(files.map((f) => ({ file: f, dash: loadDashboard(f) })), lint);
  let failed = 0;
  for (const [file, errors] of results) {
    console.log(`${errors.length ? 'FAIL' : 'ok  '} ${file}`);
    for (const e of errors) console.log(`  ${e}`);
    if (errors.length) failed++;
  }
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
