#!/bin/sh
# SPDX-License-Identifier: MIT
# Renders the policy bundle from its jsonnet sources: alerts/wgwatch.rules.yml,
# alerts/alertmanager.yml, alerts/prometheus.yml and dashboards/*.json.
#
#   render-bundle.sh [OUTDIR]     OUTDIR defaults to the repository (the committed files);
#                                 writes OUTDIR/alerts/ and OUTDIR/dashboards/
#
# Knobs live in alerts/config.libsonnet. tests/rules/up_to_date.sh re-renders into a temp dir
# and diffs, so edit the sources, run this, and commit both. Needs jsonnet (Debian 12: jsonnet).
set -eu

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo_root}

if ! command -v jsonnet >/dev/null 2>&1; then
    echo "render-bundle: jsonnet not found (apt-get install jsonnet)" >&2
    exit 127
fi

mkdir -p "$out/alerts"
jsonnet -J "$repo_root" -S -m "$out/alerts" "$repo_root/alerts/bundle.jsonnet" >/dev/null

# The dashboards (dashboards/dashboards.jsonnet evaluates to {filename: dashboard}).
if [ -f "$repo_root/dashboards/dashboards.jsonnet" ]; then
    mkdir -p "$out/dashboards"
    jsonnet -J "$repo_root" -m "$out/dashboards" "$repo_root/dashboards/dashboards.jsonnet" >/dev/null
fi
