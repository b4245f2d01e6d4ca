#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs ctest with the given arguments and lists every test that did not run (skipped or
# disabled) with its reason. ctest exits 0 when tests skip; under CI=true a skip is a failure.
#   ctest-no-skips.sh CTEST_ARGS...      (e.g. --test-dir build -LE bench)
# Exit: ctest's status if it failed; 1 under CI=true if any test did not run; 0 otherwise.
set -euo pipefail

junit=$(mktemp "${TMPDIR:-/tmp}/ctest-junit.XXXXXX.xml")
trap 'rm -f "$junit"' EXIT

status=0
ctest --output-junit "$junit" "$@" || status=$?

# One line per test that did not run: "<name>: <reason>". The JUnit file, not ctest's console
# output: test output printed on failure cannot be mistaken for ctest's own summary.
not_run=$(python3 - "$junit" <<'EOF'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)  # ctest failed before writing it: its status says why
for case in root.iter("testcase"):
    status = case.get("status")
    if status not in ("notrun", "disabled"):
        continue
    out = case.findtext("system-out") or ""
    why = [line.strip() for line in out.splitlines() if "SKIP" in line.upper()]
    skipped = case.find("skipped")
    if not why and skipped is not None:
        why = [skipped.get("message", "")]
    print(f"{case.get('name')}: {' | '.join(why[:3]) or status}")
EOF
)

if [ -n "$not_run" ]; then
    count=$(printf '%s\n' "$not_run" | wc -l)
    echo
    echo "ctest-no-skips: $count test(s) did not run:"
    printf '%s\n' "$not_run" | sed 's/^/  /'
fi
[ "$status" -eq 0 ] || exit "$status"
if [ -n "$not_run" ] && [ "${CI:-false}" = true ]; then
    echo "ctest-no-skips: CI=true and tests were skipped: a skipped test tested nothing (install what it needs)" >&2
    exit 1
fi
exit 0
