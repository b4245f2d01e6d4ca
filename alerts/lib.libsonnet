// SPDX-License-Identifier: MIT
// Small helpers shared by the bundle's sources: label lists for by/on clauses, and a YAML
// writer (std.manifestYamlDoc of jsonnet 0.18 is quadratic: a minute for this bundle).
{
  // 'job, instance' plus extra labels, for `by (...)` and `on (...)`.
  labels(config, extra=[]):: std.join(', ', config.agentLabels + extra),

  // YAML of plain data, in std.manifestYamlDoc's style (arrays not indented inside objects,
  // strings quoted, multi-line strings as `|` blocks), built as lines joined once.
  manifestYaml(value)::
    // Native string functions only: std.escapeStringJson and std.findSubstr are slow too.
    // Strings with control characters other than newlines are not expected here.
    local quote(s) =
      assert std.length(std.split(s, '\t')) == 1 && std.length(std.split(s, '\r')) == 1 :
             'manifestYaml: tab or CR in %s' % s;
      '"' + std.strReplace(std.strReplace(s, '\\', '\\\\'), '"', '\\"') + '"';
    local scalar(v) =
      if std.isString(v) then quote(v)
      else if v == null then 'null'
      else std.toString(v);
    local isBlock(v) = std.isString(v) && std.length(std.split(v, '\n')) > 1;
    local isEmpty(v) = (std.isArray(v) || std.isObject(v)) && std.length(v) == 0;
    local indent(lines, first, rest) =
      [(if i == 0 then first else rest) + lines[i] for i in std.range(0, std.length(lines) - 1)];
    local block(s, pad) =
      local body = if std.endsWith(s, '\n') then std.substr(s, 0, std.length(s) - 1) else s;
      [(if std.endsWith(s, '\n') then '|' else '|-')] +
      [if line == '' then '' else pad + line for line in std.split(body, '\n')];
    local lines(v) =
      if std.isArray(v) then
        std.flattenArrays([
          if isBlock(item) then indent(block(item, '  '), '- ', '')
          else if (std.isArray(item) || std.isObject(item)) && !isEmpty(item) then indent(lines(item), '- ', '  ')
          else ['- ' + (if isEmpty(item) then std.manifestJson(item) else scalar(item))]
          for item in v
        ])
      else if std.isObject(v) then
        std.flattenArrays([
          local item = v[key];
          if isBlock(item) then indent(block(item, '  '), key + ': ', '')
          else if std.isArray(item) && !isEmpty(item) then [key + ':'] + lines(item)
          else if std.isObject(item) && !isEmpty(item) then [key + ':'] + indent(lines(item), '  ', '  ')
          else [key + ': ' + (if isEmpty(item) then std.manifestJson(item) else scalar(item))]
          for key in std.objectFields(v)
        ])
      else [scalar(v)];
    std.join('\n', lines(value)),
}
