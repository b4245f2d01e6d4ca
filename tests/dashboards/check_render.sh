#!/bin/sh
# SPDX-License-Identifier: MIT
# The committed dashboards are exactly what the jsonnet sources render (the command
# packaging/scripts/render-bundle.sh runs), and the sources are jsonnetfmt-clean.
#   check_render.sh REPO_ROOT
set -eu
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0
for f in "$root"/dashboards/*.jsonnet "$root"/dashboards/*.libsonnet "$root"/dashboards/lib/*.libsonnet; do
  jsonnetfmt --test "$f" || { echo "FAIL $f: not jsonnetfmt-clean (jsonnetfmt -i $f)"; status=1; }
done
mkdir "$tmp/dashboards"
jsonnet -J "$root" -m "$tmp/dashboards" "$root/dashboards/dashboards.jsonnet" >/dev/null
for f in "$tmp"/dashboards/*.json; do
  name=$(basename "$f")
  if ! diff -u "$root/dashboards/$name" "$f"; then
    echo "FAIL dashboards/$name differs from what the sources render (packaging/scripts/render-bundle.sh)"
    status=1
  fi
done
for f in "$root"/dashboards/*.json; do
  [ -e "$tmp/dashboards/$(basename "$f")" ] || { echo "FAIL $f: committed but not rendered by dashboards.jsonnet"; status=1; }
done
[ $status = 0 ] && echo "ok: dashboards/*.json match their sources"
exit $status
