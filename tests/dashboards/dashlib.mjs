// SPDX-License-Identifier: MIT
// Shared by the dashboard checks: load dashboards, walk their panels (rows nest panels), collect
// every PromQL query (panel targets, query variables, annotations), substitute Grafana variables,
// and load the npm tooling installed into the build tree (WGWATCH_DASHBOARD_DEPS).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export function loadDashboard(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// Every panel, depth first, rows included (a collapsed row keeps its panels inside).
export function* walkPanels(panels) {
  for (const p of panels ?? []) {
    yield p;
    if (Array.isArray(p.panels)) yield* walkPanels(p.panels);
  }
}

// label_values(<selector>, label) -> the selector; label_values(label) -> null (no query).
export function variableSelector(query) {
  const q = typeof query === 'string' ? query : query?.query;
  if (typeof q !== 'string') return null;
  const m = /^\s*label_values\(\s*(.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/s.exec(q);
  if (m) return m[1];
  if (/^\s*label_values\(/.test(q)) return null;
  const qr = /^\s*query_result\((.*)\)\s*$/s.exec(q);
  if (qr) return qr[1];
  if (/^\s*(label_names|metrics)\(/.test(q) || q.trim() === '') return null;
  return q; // a plain selector or expression
}

// [{where, kind, panel, title, refId, expr}] for one dashboard. `kind` is 'target',
// 'variable' or 'annotation'; hidden targets are still checked.
export function collectQueries(dash) {
  const out = [];
  for (const p of walkPanels(dash.panels)) {
    for (const t of p.targets ?? []) {
      if (typeof t.expr !== 'string' || t.expr.trim() === '') continue;
      out.push({ kind: 'target', panel: p.id, title: p.title ?? '', refId: t.refId ?? '', expr: t.expr,
                 where: `panel ${p.id} "${p.title ?? ''}" ${t.refId ?? ''}`.trim() });
    }
  }
  for (const v of dash.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const sel = variableSelector(v.query);
    if (sel) out.push({ kind: 'variable', panel: null, title: v.name, refId: '', expr: sel, where: `variable $${v.name}` });
  }
  for (const a of dash.annotations?.list ?? []) {
    if (typeof a.expr === 'string' && a.expr.trim() !== '') {
      out.push({ kind: 'annotation', panel: null, title: a.name, refId: '', expr: a.expr, where: `annotation "${a.name}"` });
    }
  }
  return out;
}

// Grafana's built-in interval variables, in the form the dashboard-linter uses: values no real
// query would contain, so a check can tell where they were.
export const LINT_INTERVALS = { __rate_interval: '8869990787ms', __interval: '4867856611ms', __range: '6103476123ms' };

// Replaces $var, ${var}, ${var:fmt} and [[var]]. `values` maps a name to its value; names not in
// it become `fallback(name)`. Built-in $__… variables not in `values` are left alone.
export function substitute(expr, values, fallback = () => '.+') {
  const pick = (name) => {
    if (Object.hasOwn(values, name)) return values[name];
    if (name.startsWith('__')) return null;
    return fallback(name);
  };
  const rep = (whole, name) => pick(name) ?? whole;
  return expr
    .replace(/\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z]+)?\}/g, rep)
    .replace(/\[\[([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z]+)?\]\]/g, rep)
    .replace(/\$([a-zA-Z_][a-zA-Z0-9_]*)/g, rep);
}

// require() for the npm packages installed by run.sh into $WGWATCH_DASHBOARD_DEPS/node_modules.
export function requireDeps() {
  const dir = process.env.WGWATCH_DASHBOARD_DEPS;
  if (!dir) throw new Error('WGWATCH_DASHBOARD_DEPS is not set (the directory holding node_modules; run through run.sh)');
  return createRequire(path.join(path.resolve(dir), 'package.json'));
}

// Walks a lezer-promql tree: calls visit(node) for every node (node.name, node.from, node.to,
// node.parent, node.getChild...).
export function walkTree(tree, visit) {
  const cursor = tree.cursor();
  do {
    visit(cursor.node);
  } while (cursor.next());
}

// The metric selectors of a PromQL expression (after substitute()): [{name, matchers, node, inRange}],
// matchers as [{label, op, value}]. `name` comes from the identifier or a __name__="…" matcher.
export function selectors(parser, expr) {
  const tree = parser.parse(expr);
  const text = (n) => expr.slice(n.from, n.to);
  const errors = [];
  const out = [];
  walkTree(tree, (n) => {
    if (n.type.isError) errors.push(n.from);
    if (n.name !== 'VectorSelector') return;
    const id = n.getChild('Identifier');
    const matchers = [];
    const lm = n.getChild('LabelMatchers');
    for (let m = lm?.firstChild; m; m = m.nextSibling) {
      const ln = m.getChild('LabelName');
      const op = m.getChild('MatchOp');
      const val = m.getChild('StringLiteral');
      if (!ln || !op || !val) continue;
      matchers.push({ label: text(ln), op: text(op), value: JSON.parse(text(val).replace(/^'|'$/g, '"')) });
    }
    let name = id ? text(id) : null;
    const nm = matchers.find((m) => m.label === '__name__' && m.op === '=');
    if (!name && nm) name = nm.value;
    out.push({ name, matchers, node: n });
  });
  return { selectors: out, errors, tree };
}
