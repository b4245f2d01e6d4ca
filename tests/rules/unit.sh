#!/bin/sh
# SPDX-License-Identifier: MIT
# rules.unit: promtool's rule unit tests (tests/rules/*.test.yml) against the committed
# alerts/wgwatch.rules.yml: failover entry, hold, hysteresis, grace, blindness, per-agent and
# per-group isolation, and every warning (see the comments in each file).
test_name=rules.unit
# shellcheck source=tests/rules/lib.sh
. "$(dirname "$0")/lib.sh"
need promtool
cd "$repo_root/tests/rules"
promtool test rules failover.test.yml blind.test.yml agents.test.yml warnings.test.yml
