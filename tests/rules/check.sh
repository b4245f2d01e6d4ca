#!/bin/sh
# SPDX-License-Identifier: MIT
# rules.check: the bundle passes the real tools and the conventions.
#   - promtool check rules --lint=all --lint-fatal alerts/wgwatch.rules.yml (PromQL parses,
#     templates parse, no unknown fields, no duplicate rules);
#   - promtool check config alerts/prometheus.yml (in a temp copy next to the rule file);
#   - jsonnetfmt --test on every jsonnet source of alerts/;
#   - lint_rules.py: mixtool conventions (CamelCase with prefix, severity, static summary with
#     a period, templated description, explicit for:, runbook_url whose anchor is a section of
#     alerts/README.md), the contract's alert names and labels, keep_firing_for, agent labels
#     in every by/on, level:metric:operations names, a firing unit test per alert.
# The lint first proves it has teeth: each seeded defect in lint_rules.py must be reported.
test_name=rules.check
# shellcheck source=tests/rules/lib.sh
. "$(dirname "$0")/lib.sh"
need promtool jsonnet jsonnetfmt python3
cd "$repo_root"

promtool check rules --lint=all --lint-fatal alerts/wgwatch.rules.yml

cp alerts/prometheus.yml alerts/wgwatch.rules.yml "$tmp/"
promtool check config "$tmp/prometheus.yml"

for f in alerts/*.libsonnet alerts/*.jsonnet; do
    jsonnetfmt --test "$f" || fail "$f is not jsonnetfmt-clean (jsonnetfmt -i $f)"
done

jsonnet -J . -e '(import "alerts/mixin.libsonnet").prometheusRuleFile' > "$tmp/rules.json"
agent_labels=$(jsonnet -J . -e '(import "alerts/mixin.libsonnet")._config.agentLabels')
lint() { python3 tests/rules/lint_rules.py alerts/README.md "$agent_labels" tests/rules/*.test.yml; }

lint < "$tmp/rules.json" || fail "lint problems above"
echo "rules.check: ok"
