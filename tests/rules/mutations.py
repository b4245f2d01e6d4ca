#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# rules.mutations: proves the unit tests have teeth. Each mutant removes or weakens one
# essential clause of alerts/wgwatch.rules.yml (a copy); the unit tests named for it must FAIL.
# Exits 1 if any mutant survives (or no longer applies), 77 if promtool is missing (1 under CI).
#
# Every mutant must still pass `promtool check rules`, so a mutant is killed by an assertion,
# never by a parse error. The unmutated rules must pass the same test files first. The output
# lists, per mutant, the first failing assertions (test name, alert or expression, time).
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "..", "..", "alerts", "wgwatch.rules.yml")
RULE_FILES_LINE = "rule_files: [../../alerts/wgwatch.rules.yml]"
FAILOVER = "WireGuardTunnelFailover"


class Stale(Exception):
    """A mutation no longer matches the rendered rules: update this file."""


def rule_span(text, name):
    """Start and end of one rule (its `alert: "name"` or `record: "name"` line) in the YAML."""
    items = [m.start() for m in re.finditer(r"(?m)^(  - |- )", text)] + [len(text)]
    key = re.compile(r'(?m)^[ -]*(alert|record): "%s"$' % re.escape(name))
    for start, end in zip(items, items[1:]):
        if key.search(text, start, end):
            return start, end
    raise Stale("no rule %s" % name)


def sub(text, rule, pattern, repl, count=1):
    """Regex-replaces `pattern` inside rule `rule` exactly `count` times, or raises Stale."""
    start, end = rule_span(text, rule)
    block, n = re.subn(pattern, repl, text[start:end])
    if n != count:
        raise Stale("%s: %r matched %d times, expected %d" % (rule, pattern, n, count))
    return text[:start] + block + text[end:]


AGENT = r"job, instance, "
# (name, clause removed, "file: test name prefix" of the tests that must fail, mutation).
# One targeted test per mutant keeps the run short; the whole suite fails whenever it does.
MUTANTS = [
    ("no-keep-firing-for", "failback grace: keep_firing_for deleted",
     ["failover.test.yml: silent data-plane failure"],
     lambda t: sub(t, FAILOVER, r"\n *keep_firing_for: [^\n]*", "")),
    ("no-hold-time", "hold time: the failover's for: deleted",
     ["failover.test.yml: a blip shorter"],
     lambda t: sub(t, FAILOVER, r"\n *for: [^\n]*", "")),
    ("no-hysteresis-branch", "the ALERTS branch that stays while the primary is unhealthy",
     ["failover.test.yml: a flapping primary"],
     lambda t: sub(t, FAILOVER, r"\n *or\n *\(\n *max by [^\n]*ALERTS[^\n]*\n *and on [^\n]*\n[^\n]*== 0\n *\)", "")),
    ("no-blind-branch", "the ALERTS branch that stays while the primary is not observed",
     ["blind.test.yml: the agent stopping"],
     lambda t: sub(t, FAILOVER, r"\n *or\n *\(\n *max by [^\n]*ALERTS[^\n]*\n *unless on [^\n]*\n[^\n]*\{role=\"primary\"\}\n *\)", "")),
    ("no-freshness", "freshness: samples older than freshnessSeconds count as data",
     ["blind.test.yml: samples stopping"],
     lambda t: sub(t, "tunnel:wgwatch_tunnel_healthy:fresh", r"\n *and\n *time\(\) - timestamp\([^\n]*", "")),
    ("standby-not-required-healthy", "entry needs a healthy standby: `== 1` on the standby deleted",
     ["failover.test.yml: both tunnels down"],
     lambda t: sub(t, "group:wgwatch_tunnel_standby_healthy:topk1", r"(\{role=\"standby\"\}) == 1", r"\1")),
    ("entry-join-across-agents", "entry: standby joined on (group) instead of per agent",
     ["agents.test.yml: one agent's healthy standby"],
     lambda t: sub(t, FAILOVER, r"\* on \(" + AGENT + r"group\) group_left", "* on (group) group_left")),
    ("entry-unless-across-agents", "entry: `unless ALERTS` matched across agents",
     ["agents.test.yml: one agent going blind"],
     lambda t: sub(t, FAILOVER, r"unless on \(" + AGENT + r"(group, device\)\n *ALERTS)", r"unless on (\1")),
    ("hysteresis-across-agents", "hysteresis: ALERTS matched to primaries across agents",
     ["agents.test.yml: one agent's healthy standby"],
     lambda t: sub(t, FAILOVER, r"and on \(" + AGENT + r"group, device\)", "and on (group, device)")),
    ("blind-across-agents", "blind: ALERTS matched to primaries across agents",
     ["agents.test.yml: one agent going blind"],
     lambda t: sub(t, FAILOVER, r"unless on \(" + AGENT + r"(group, device\)\n *tunnel:)", r"unless on (\1")),
    ("standby-pick-across-agents", "one standby picked per group across agents (topk by group)",
     ["agents.test.yml: two agents whose primaries"],
     lambda t: sub(t, "group:wgwatch_tunnel_standby_healthy:topk1", r"topk by \(" + AGENT + r"group\)", "topk by (group)")),
    ("group-down-across-agents", "GroupDown aggregated across agents",
     ["agents.test.yml: one agent's healthy standby"],
     lambda t: sub(t, "WireGuardTunnelGroupDown", r"max by \(" + AGENT + r"group\)", "max by (group)")),
    ("standby-unhealthy-across-agents", "StandbyUnhealthy: primary matched across agents",
     ["agents.test.yml: one agent's healthy standby"],
     lambda t: sub(t, "WireGuardStandbyUnhealthy", r"and on \(" + AGENT + r"group\)", "and on (group)")),
    ("mtu-ignores-other-probes", "MTU black hole: `while another probe succeeds` deleted",
     ["warnings.test.yml: an MTU black hole"],
     lambda t: sub(t, "WireGuardMTUBlackHole", r"\n *and on [^\n]*\n *\(\n(.*\n)*? *\) == 1\n *\)", "")),
    ("mtu-probe-ignores-df", "MTU probe identity: the don't-fragment condition deleted",
     ["warnings.test.yml: an MTU black hole"],
     lambda t: sub(t, "probe:wgwatch_probe_mtu:info", r"\n *and on [^\n]*\n *wgwatch_probe_icmp_dont_fragment[^\n]*", "")),
]


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def select_tests(name, prefixes):
    """The test file `name` reduced to the tests whose names start with one of `prefixes`."""
    with open(os.path.join(HERE, name)) as f:
        text = f.read()
    if RULE_FILES_LINE not in text:
        raise Stale("%s lacks the line %r" % (name, RULE_FILES_LINE))
    head, body = text.split("\ntests:\n", 1)
    chunks = re.split(r"(?m)^(?=  - name: )", body)
    kept = [c for c in chunks if any(c.startswith("  - name: " + p) for p in prefixes)]
    if len(kept) != len(prefixes):
        raise Stale("%s: tests %r not found exactly once each" % (name, prefixes))
    head = head.replace(RULE_FILES_LINE, "rule_files: [wgwatch.rules.yml]")
    return head + "\ntests:\n" + "".join(kept)


def prepare(directory, rules_text, picks):
    """Writes the rules and, per test file, a copy holding the picked tests; returns the copies."""
    os.makedirs(directory)
    with open(os.path.join(directory, "wgwatch.rules.yml"), "w") as f:
        f.write(rules_text)
    by_file = {}
    for pick in picks:
        name, prefix = pick.split(": ", 1)
        by_file.setdefault(name, []).append(prefix)
    copies = []
    for name, prefixes in sorted(by_file.items()):
        copy = os.path.join(directory, name)
        with open(copy, "w") as f:
            f.write(select_tests(name, prefixes))
        copies.append(copy)
    return copies


def first_failures(output, most=2):
    """'test name: alertname X at T' for the first failing assertions in promtool's output."""
    found, name = [], None
    for line in output.splitlines():
        m = re.match(r"\s+name: (.*),$", line)
        if m:
            name = m.group(1)
            continue
        m = re.match(r"\s+(alertname: [^,]+|expr: .*), time: ([^,]+),", line)
        if m:
            where = "%s: " % name if name else ""  # promql_expr_test failures name no test
            found.append("%s%s at %s" % (where, m.group(1), m.group(2)))
    return found[:most] or [output.strip().splitlines()[-1] if output.strip() else "(no output)"]


def check_mutant(workdir, index, mutant, original):
    name, clause, picks, mutate = mutant
    try:
        text = mutate(original)
    except Stale as e:
        return name, False, ["mutation no longer applies: %s" % e]
    if text == original:
        return name, False, ["mutation changed nothing"]
    directory = os.path.join(workdir, "%02d-%s" % (index, name))
    try:
        copies = prepare(directory, text, picks)
    except Stale as e:
        return name, False, ["test selection no longer applies: %s" % e]
    check = run(["promtool", "check", "rules", os.path.join(directory, "wgwatch.rules.yml")])
    if check.returncode != 0:
        return name, False, ["mutant does not parse (a test must kill it by assertion): "
                             + check.stdout.strip() + check.stderr.strip()]
    result = run(["promtool", "test", "rules"] + copies)
    out = result.stdout + result.stderr
    if result.returncode == 1 and "FAILED:" in out:
        return name, True, first_failures(out)
    return name, False, ["SURVIVED (promtool exit %d): %s" % (result.returncode, clause)]


def main():
    if shutil.which("promtool") is None:
        print("rules.mutations: promtool not found (apt-get install prometheus)", file=sys.stderr)
        return 1 if os.environ.get("CI") == "true" else 77
    with open(RULES) as f:
        original = f.read()
    workdir = tempfile.mkdtemp(prefix="wgwatch-mutations.")
    try:
        # The unmutated rules must pass every test picked below, the same way (run alongside
        # the mutants; a failure voids their results).
        picks = sorted({p for m in MUTANTS for p in m[2]})
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            baseline = pool.submit(lambda: run(["promtool", "test", "rules"] + prepare(
                os.path.join(workdir, "baseline"), original, picks)))
            results = list(pool.map(lambda im: check_mutant(workdir, im[0], im[1], original),
                                    enumerate(MUTANTS)))
            baseline = baseline.result()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if baseline.returncode != 0:
        print("rules.mutations: the unmutated rules fail their tests:\n" + baseline.stdout + baseline.stderr)
        return 1
    survivors = 0
    for (name, killed, detail), mutant in zip(results, MUTANTS):
        print("%-32s %s by %s" % (name, "killed" if killed else "NOT KILLED", "; ".join(mutant[2])))
        for line in detail:
            print("    " + line)
        survivors += not killed
    print("rules.mutations: %d of %d mutants killed" % (len(MUTANTS) - survivors, len(MUTANTS)))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
