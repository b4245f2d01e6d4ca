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
# The lint first proves it has teeth: each seeded defect below must make it fail.
test_name=rules.check
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

# Seeded defects, each applied to the first alert of the given name; the lint must reject each.
seed() {
    python3 - "$tmp/rules.json" "$1" "$2" <<'PY'
import json, sys
rules, alert, defect = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
rule = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == alert)
exec(defect)
json.dump(rules, sys.stdout)
PY
}
while IFS='|' read -r alert defect; do
    if out=$(seed "$alert" "$defect" | lint 2>&1); then
        fail "the lint accepts a seeded defect in $alert: $defect"
    fi
    case $out in
        *"lint: $alert"* | *"lint: ProbeLossHigh"*) ;;  # rejected for that alert (or its new name)
        *) fail "the lint did not name $alert for the seeded defect $defect: $out" ;;
    esac
done <<'EOF_DEFECTS'
WireGuardProbeLossHigh|del rule["labels"]["severity"]
WireGuardProbeLossHigh|rule["annotations"]["summary"] = "Probe {{ $labels.probe }} loses."
WireGuardProbeLossHigh|rule["annotations"]["summary"] = rule["annotations"]["summary"].rstrip(".")
WireGuardProbeLossHigh|rule["annotations"]["description"] = "A probe loses."
WireGuardProbeLossHigh|rule["annotations"]["runbook_url"] += "-typo"
WireGuardProbeLossHigh|rule["alert"] = "ProbeLossHigh"
WireGuardTunnelGroupDown|rule["expr"] = rule["expr"].replace("max by (job, instance, group)", "max by (group)")
WireGuardTunnelFailover|del rule["keep_firing_for"]
WireGuardTunnelFailover|rule["labels"]["action"] = "page"
WgwatchCollectorFailing|del rule["for"]
EOF_DEFECTS

lint < "$tmp/rules.json" || fail "lint problems above"
echo "rules.check: ok"
