# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# Shared by the tests/rules/*.sh scripts (sourced): repository root, a temp dir removed on
# exit, and `need TOOL...`, which skips (exit 77) when a tool is missing, or fails under CI=true.
set -eu
# shellcheck disable=SC2034 # used by the scripts that source this
repo_root=$(cd "$(dirname "$0")/../.." && pwd)
test_name=${test_name:-$(basename "$0" .sh)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wgwatch-$test_name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

need() {
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$test_name: $tool not found (packaging/scripts/install-deps.sh --test)" >&2
            if [ "${CI:-false}" = true ]; then exit 1; fi
            exit 77
        fi
    done
}

fail() { echo "$test_name: FAIL: $*" >&2; exit 1; }
