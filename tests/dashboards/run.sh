#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one dashboard check for ctest: checks the tools it needs (skip 77 when one is missing,
# fail under CI=true), installs the pinned npm tooling into the build tree once (npm ci, under a
# lock, npm's cache there too), then runs the command with WGWATCH_DASHBOARD_DEPS pointing at it.
#
#   run.sh DEPS_DIR [--need "TOOL..."] [--npm] -- COMMAND [ARGS...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
deps=$1
shift
need=""
npm=0
while [ $# -gt 0 ]; do
  case $1 in
    --need) need="$need $2"; shift 2 ;;
    --npm) npm=1; need="$need node npm"; shift ;;
    --) shift; break ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# Something this check needs is missing: a skip, except under CI where nothing may skip.
missing() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $1 (CI=true: nothing may skip)"
    exit 1
  fi
  echo "SKIP: $1"
  exit 77
}

for tool in $need; do
  command -v "$tool" >/dev/null 2>&1 || missing "$tool not found (packaging/scripts/install-deps.sh --test installs it)"
done

if [ "$npm" = 1 ]; then
  mkdir -p "$deps"
  # One npm ci per lock file content; parallel ctest runs wait for the first.
  (
    flock 9
    stamp=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$deps/node_modules/.wgwatch-stamp" 2>/dev/null || true)" != "$stamp" ]; then
      cp "$here/package.json" "$here/package-lock.json" "$deps/"
      rm -rf "$deps/node_modules"
      if ! (cd "$deps" && npm_config_cache="$deps/.npm-cache" npm ci --no-audit --no-fund --loglevel=error >"$deps/npm-ci.log" 2>&1); then
        cat "$deps/npm-ci.log"
        exit 3
      fi
      echo "$stamp" >"$deps/node_modules/.wgwatch-stamp"
    fi
  ) 9>"$deps/.npm-ci.lock" || missing "npm ci failed in $deps (no access to the npm registry?)"
fi

WGWATCH_DASHBOARD_DEPS=$deps
export WGWATCH_DASHBOARD_DEPS
exec "$@"
