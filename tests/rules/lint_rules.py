#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Lints the bundle's rules against the mixtool conventions and the shared contract: reads the
# rule file as JSON (`jsonnet` of alerts/mixin.libsonnet's prometheusRuleFile; rules.up_to_date
# proves it equals alerts/wgwatch.rules.yml) on stdin. Exits 1 listing every problem. It first
# checks itself: each seeded defect in DEFECTS must be reported.
#
#   lint_rules.py README.md AGENT_LABELS_JSON TEST_FILE... < rules.json
import copy
import json
import re
import sys

CONTRACT = {  # alert name -> labels it must carry (shared contract, issue 9)
    "WireGuardTunnelFailover": {"severity": "critical", "action": "failover"},
    "WireGuardTunnelGroupDown": {"severity": "critical"},
    "WireGuardStandbyUnhealthy": {"severity": "warning"},
    "WireGuardHandshakeStale": {}, "WireGuardTunnelInterfaceDown": {},
    "WireGuardMTUBlackHole": {}, "WireGuardProbeLatencyHigh": {}, "WireGuardProbeLossHigh": {},
    "WgwatchCollectorFailing": {}, "WgwatchAgentDown": {},
    "Watchdog": {"severity": "info"},
}
SEVERITIES = {"critical", "warning", "info"}


def github_anchor(heading):
    """The anchor GitHub gives a Markdown heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def lint(rules, readme, agent_labels, tests):
    problems = []
    anchors = {github_anchor(m) for m in re.findall(r"(?m)^#{1,6} (.+)$", readme)}
    seen = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            expr = rule["expr"]
            # Never aggregate or match across agents: every by/on names the agent labels.
            for kind, labels in re.findall(r"\b(by|on) \(([^)]*)\)", expr):
                names = {l.strip() for l in labels.split(",")}
                missing = [l for l in agent_labels if l not in names]
                if missing:
                    problems.append("%s: `%s (%s)` lacks agent label(s) %s"
                                    % (rule.get("alert") or rule["record"], kind, labels, missing))
            if "record" in rule:
                if not re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", rule["record"]):
                    problems.append("%s: not level:metric:operations" % rule["record"])
                continue
            name = rule["alert"]
            seen.add(name)
            labels, ann = rule.get("labels", {}), rule.get("annotations", {})
            say = lambda msg: problems.append("%s: %s" % (name, msg))
            if not re.fullmatch(r"([A-Z]+[a-z0-9]+)+", name):
                say("name is not CamelCase")
            if name != "Watchdog" and not name.startswith(("WireGuard", "Wgwatch")):
                say("name lacks the WireGuard/Wgwatch prefix")
            if labels.get("severity") not in SEVERITIES:
                say("severity %r not in %s" % (labels.get("severity"), sorted(SEVERITIES)))
            for key, value in CONTRACT.get(name, {}).items():
                if labels.get(key) != value:
                    say("label %s=%r, the contract says %r" % (key, labels.get(key), value))
            summary = ann.get("summary", "")
            if not summary or "{{" in summary or not summary[0].isupper() or not summary.endswith("."):
                say("summary must be static, capitalised and end with a period: %r" % summary)
            if "{{" not in ann.get("description", ""):
                say("description missing or not templated")
            if name != "Watchdog" and "for" not in rule:
                say("no explicit for:")
            url = ann.get("runbook_url", "")
            anchor = url.rpartition("#")[2] if "#" in url else None
            if not url.split("#")[0].endswith("alerts/README.md") or anchor != name.lower():
                say("runbook_url %r must point at alerts/README.md#%s" % (url, name.lower()))
            elif anchor not in anchors:
                say("alerts/README.md has no section #%s" % anchor)
            fires = r"alertname: %s\n\s+exp_alerts:( &\w+)?\n\s+- exp_labels" % re.escape(name)
            if not any(re.search(fires, t) for t in tests):
                say("no unit test expects it to fire")
    failover = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "WireGuardTunnelFailover"]
    if failover and "keep_firing_for" not in failover[0]:
        problems.append("WireGuardTunnelFailover: no keep_firing_for (failback grace)")
    for name in sorted(set(CONTRACT) - seen):
        problems.append("%s: missing (shared contract)" % name)
    return problems


# Seeded defects (alert, change): the lint must reject each, naming that alert, before its
# verdict on the real rules counts.
DEFECTS = [
    ("WireGuardProbeLossHigh", lambda r: r["labels"].pop("severity")),
    ("WireGuardProbeLossHigh", lambda r: r["annotations"].update(summary="Probe {{ $labels.probe }} loses.")),
    ("WireGuardProbeLossHigh", lambda r: r["annotations"].update(summary=r["annotations"]["summary"].rstrip("."))),
    ("WireGuardProbeLossHigh", lambda r: r["annotations"].update(description="A probe loses.")),
    ("WireGuardProbeLossHigh", lambda r: r["annotations"].update(runbook_url=r["annotations"]["runbook_url"] + "-typo")),
    ("WireGuardProbeLossHigh", lambda r: r.update(alert="ProbeLossHigh")),
    ("WireGuardTunnelGroupDown", lambda r: r.update(expr=r["expr"].replace("max by (job, instance, group)", "max by (group)"))),
    ("WireGuardTunnelFailover", lambda r: r.pop("keep_firing_for")),
    ("WireGuardTunnelFailover", lambda r: r["labels"].update(action="page")),
    ("WgwatchCollectorFailing", lambda r: r.pop("for")),
]


def self_test(rules, readme, agent_labels, tests):
    """Problems of the lint itself: defects it fails to reject."""
    problems = []
    for i, (alert, defect) in enumerate(DEFECTS):
        seeded = copy.deepcopy(rules)
        rule = next(r for g in seeded["groups"] for r in g["rules"] if r.get("alert") == alert)
        defect(rule)
        found = lint(seeded, readme, agent_labels, tests)
        if not any(p.startswith((alert + ":", rule["alert"] + ":")) for p in found):
            problems.append("self-test: seeded defect %d in %s not reported" % (i, alert))
    return problems


def main():
    readme_path, agent_labels, test_paths = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
    with open(readme_path) as f:
        readme = f.read()
    tests = []
    for path in test_paths:
        with open(path) as f:
            tests.append(f.read())
    rules = json.load(sys.stdin)
    problems = self_test(rules, readme, agent_labels, tests) + lint(rules, readme, agent_labels, tests)
    for p in problems:
        print("lint: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
