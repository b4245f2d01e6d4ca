#!/bin/sh
# SPDX-License-Identifier: MIT
# Refreshes tests/fixtures/genl/kernel-split-dump.{bin,wg-dump}: a WG_CMD_GET_DEVICE dump the
# real kernel split across messages, and `wg show` of the same device, captured in the guest.
#   capture-fixtures.sh BUILD_DIR   (after prepare-vm.sh BUILD_DIR/wgvm and a build)
set -eu
[ $# -eq 1 ] || { echo "usage: capture-fixtures.sh BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$(cd "$here/.." && pwd)/fixtures/genl
TMPDIR=$build "$here/run-vm.sh" "$build/wgvm" --file "$build/exporter/wgwatch" \
    --capture-dir "$fixtures" \
    -- "$build/tests/kernel_wg_test" --gtest_also_run_disabled_tests \
    --gtest_filter='*capture_split_dumps*' --gtest_color=no
