// SPDX-License-Identifier: MIT
// A small, project-owned stand-in for grafonnet: dashboards, variables, panels, queries and a
// grid layout, each a plain function returning Grafana's classic dashboard JSON (schemaVersion 39).
{
  local ds = { type: 'prometheus', uid: '${datasource}' },
  datasourceRef:: ds,

  // One PromQL query. Panels default to range queries; tables pass instant + format 'table'.
  query(expr, legend='', refId='A', instant=false, format='time_series'):: {
    datasource: ds,
    editorMode: 'code',
    expr: expr,
    legendFormat: legend,
    refId: refId,
    instant: instant,
    range: !instant,
    format: format,
  },

  // Queries get refIds A, B, C... in order.
  withRefIds(targets):: [
    targets[i] { refId: std.char(std.codepoint('A') + i) }
    for i in std.range(0, std.length(targets) - 1)
  ],

  // 0/1 gauges shown as words and colours (layer states, health, up).
  okMapping(ok='ok', bad='down'):: [{
    type: 'value',
    options: {
      '0': { text: bad, color: 'red', index: 0 },
      '1': { text: ok, color: 'green', index: 1 },
    },
  }],

  local thresholds(steps) = { mode: 'absolute', steps: steps },
  greenRed:: thresholds([{ color: 'green', value: null }, { color: 'red', value: 1 }]),
  redGreen:: thresholds([{ color: 'red', value: null }, { color: 'green', value: 1 }]),

  // The common panel shape: every panel has a title, a description, a unit and the templated
  // datasource. gridPos is filled in by grid() below.
  panel(type, title, description, unit, targets, options={}, defaults={}, overrides=[], w=12, h=8):: {
    type: type,
    title: title,
    description: description,
    datasource: ds,
    targets: $.withRefIds(targets),
    fieldConfig: { defaults: { unit: unit } + defaults, overrides: overrides },
    options: options,
    w:: w,
    h:: h,
  },

  timeseries(title, description, unit, targets, w=12, h=8, defaults={}, stack=false, overrides=[])::
    $.panel('timeseries',
            title,
            description,
            unit,
            targets,
            w=w,
            h=h,
            overrides=overrides,
            options={
              legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'], showLegend: true },
              tooltip: { mode: 'multi', sort: 'desc' },
            },
            defaults={
              custom: {
                drawStyle: 'line',
                lineWidth: 1,
                fillOpacity: if stack then 30 else 10,
                showPoints: 'never',
                spanNulls: false,
                stacking: { mode: if stack then 'normal' else 'none', group: 'A' },
              },
            } + defaults),

  stat(title, description, unit, targets, w=4, h=4, thresholds=$.greenRed, defaults={})::
    $.panel('stat',
            title,
            description,
            unit,
            targets,
            w=w,
            h=h,
            options={
              reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
              colorMode: 'background',
              graphMode: 'none',
              textMode: 'auto',
              justifyMode: 'auto',
              orientation: 'auto',
            },
            defaults={ color: { mode: 'thresholds' }, thresholds: thresholds } + defaults),

  // A table of instant queries merged into one row per series (transformation "merge"), with
  // the value columns renamed by `columns` (one name per query, in order).
  table(title, description, unit, targets, columns, w=24, h=8, defaults={}, overrides=[], hide=['Time'])::
    $.panel('table',
            title,
            description,
            unit,
            [t { instant: true, range: false, format: 'table' } for t in targets],
            w=w,
            h=h,
            defaults=defaults,
            overrides=overrides,
            options={ showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } }) {
      transformations: [
        { id: 'merge', options: {} },
        {
          id: 'organize',
          options: {
            excludeByName: { [c]: true for c in hide },
            renameByName: if std.length(targets) == 1 then { Value: columns[0] } else {
              ['Value #' + std.char(std.codepoint('A') + i)]: columns[i]
              for i in std.range(0, std.length(columns) - 1)
            },
            indexByName: {},
          },
        },
      ],
    },

  // One row per series, coloured by value mapping: the state of 0/1 gauges over time.
  stateTimeline(title, description, targets, mapping=$.okMapping(), w=24, h=8)::
    $.panel('state-timeline',
            title,
            description,
            'none',
            targets,
            w=w,
            h=h,
            options={
              mergeValues: true,
              showValue: 'never',
              alignValue: 'left',
              rowHeight: 0.8,
              legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
              tooltip: { mode: 'single', sort: 'none' },
            },
            defaults={
              color: { mode: 'thresholds' },
              thresholds: $.redGreen,
              mappings: mapping,
              custom: { fillOpacity: 80, lineWidth: 0 },
            }),

  // Latency heatmap from Prometheus histogram buckets (format 'heatmap', no recalculation).
  heatmap(title, description, yUnit, targets, w=24, h=8)::
    $.panel('heatmap',
            title,
            description,
            'ops',
            [t { format: 'heatmap', legendFormat: '{{le}}' } for t in targets],
            w=w,
            h=h,
            options={
              calculate: false,
              cellGap: 1,
              color: { mode: 'scheme', scheme: 'Spectral', scale: 'exponential', exponent: 0.5, steps: 64, fill: 'dark-orange', reverse: false },
              yAxis: { axisPlacement: 'left', unit: yUnit, reverse: false },
              rowsFrame: { layout: 'auto' },
              legend: { show: true },
              tooltip: { mode: 'single', yHistogram: true, showColorScale: false },
              filterValues: { le: 1e-9 },
              exemplars: { color: 'rgba(255,0,255,0.7)' },
            }) { maxDataPoints: 60 },

  // A query variable over label_values(selector, label): multi, All = ".+", refreshed on time change.
  queryVariable(name, label, selector, labelName, description):: {
    local q = 'label_values(%s, %s)' % [selector, labelName],
    type: 'query',
    name: name,
    label: label,
    description: description,
    datasource: ds,
    query: q,
    definition: q,
    refresh: 2,
    multi: true,
    includeAll: true,
    allValue: '.+',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    regex: '',
    sort: 1,
    hide: 0,
    skipUrlSync: false,
  },

  datasourceVariable:: {
    type: 'datasource',
    name: 'datasource',
    label: 'Data Source',
    description: 'The Prometheus that scrapes the wgwatch agents.',
    query: 'prometheus',
    // Replaced with the chosen datasource on import (__inputs); when provisioned as is, Grafana
    // falls back to the default Prometheus datasource.
    current: { selected: false, text: 'Prometheus', value: '${DS_PROMETHEUS}' },
    options: [],
    regex: '',
    refresh: 1,
    hide: 0,
    skipUrlSync: false,
  },

  // Lays out rows top to bottom: each row is a collapsed=false row panel followed by its panels,
  // packed left to right (24 columns) and wrapped. Assigns ids and gridPos.
  grid(rows)::
    local place(acc, p) =
      local wrap = acc.x + p.w > 24;
      local x = if wrap then 0 else acc.x;
      local y = if wrap then acc.y + acc.rowH else acc.y;
      local rowH = if wrap then p.h else std.max(acc.rowH, p.h);
      acc {
        x: x + p.w,
        y: y,
        rowH: rowH,
        id: acc.id + 1,
        out+: [p { id: acc.id, gridPos: { x: x, y: y, w: p.w, h: p.h } }],
      };
    local addRow(acc, r) =
      local y0 = acc.y + acc.rowH;
      local header = {
        type: 'row',
        title: r.title,
        id: acc.id,
        collapsed: false,
        panels: [],
        gridPos: { x: 0, y: y0, w: 24, h: 1 },
      };
      std.foldl(place, r.panels, acc { x: 0, y: y0 + 1, rowH: 0, id: acc.id + 1, out+: [header] });
    local end = std.foldl(addRow, rows, { x: 0, y: 0, rowH: 0, id: 1, out: [] });
    end.out,

  row(title, panels):: { title: title, panels: panels },

  // A whole importable dashboard. `links` carry every variable and the time range.
  dashboard(cfg, uid, title, description, variables, rows, annotations=[]):: {
    __inputs: [{
      name: 'DS_PROMETHEUS',
      label: 'Prometheus',
      description: 'The Prometheus that scrapes the wgwatch agents.',
      type: 'datasource',
      pluginId: 'prometheus',
      pluginName: 'Prometheus',
    }],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: cfg.grafanaVersion },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
    ] + [
      { type: 'panel', id: t, name: t, version: '' }
      for t in std.set([p.type for r in rows for p in r.panels])
    ],
    uid: uid,
    title: cfg.titlePrefix + title,
    description: description,
    tags: cfg.tags,
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: cfg.refresh,
    time: { from: cfg.timeFrom, to: 'now' },
    timepicker: {},
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    links: [{
      title: 'wgwatch dashboards',
      type: 'dashboards',
      tags: [cfg.tags[0]],
      asDropdown: false,
      includeVars: true,
      keepTime: true,
      icon: 'external link',
      targetBlank: false,
      tooltip: 'The other wgwatch dashboards, with the same variables and time range',
      url: '',
    }],
    annotations: {
      list: [{
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      }] + annotations,
    },
    templating: { list: [$.datasourceVariable] + variables },
    panels: $.grid(rows),
  },
}
