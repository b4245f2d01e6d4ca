#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README command 2: the whole test suite, as CI runs it.
#   1. test dependencies (install-deps.sh --test)
#   2. build-sanitize/: Debug + ASan/UBSan + -Werror; ctest -L 'unit|netns|loopback'
#   3. build/: RelWithDebInfo + -Werror
#   4. build/wgvm: the kernel tests' QEMU guest (tests/kernel/prepare-vm.sh)
#   5. build/: ctest -LE bench (the .deb is the packaging.deb test; label kernel boots the
#      guest), last, so the output ends with ctest's summary
# Exits non-zero on the first failing step. CI=true: no colour, failure output always shown,
# and a skipped test fails the run (ctest-no-skips.sh lists what skipped and why).
# Extra arguments go to both ctest runs (e.g. -R uapi, or -j2).
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo_root"
jobs=$(nproc)

if [ "${CI:-false}" = true ]; then
    export NO_COLOR=1 CLICOLOR=0 CLICOLOR_FORCE=0 GTEST_COLOR=no CMAKE_COLOR_DIAGNOSTICS=OFF
    color=OFF
else
    color=ON
fi
# Failures print their output either way: a red summary alone helps nobody.
export CTEST_OUTPUT_ON_FAILURE=1

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
packaging/scripts/install-deps.sh --test

step "sanitizer build (build-sanitize: Debug, ASan+UBSan, -Werror)"
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DWGWATCH_SANITIZE=ON -DWGWATCH_WERROR=ON \
    -DWGWATCH_BUILD_TESTS=ON -DCMAKE_COLOR_DIAGNOSTICS="$color"
cmake --build build-sanitize -j"$jobs"

step "sanitizer tests: unit, loopback, netns"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
packaging/scripts/ctest-no-skips.sh --test-dir build-sanitize --output-on-failure --no-tests=error \
    -L 'unit|netns|loopback' "$@"
unset ASAN_OPTIONS UBSAN_OPTIONS

step "main build (build: RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWGWATCH_SANITIZE=OFF -DWGWATCH_WERROR=ON \
    -DWGWATCH_BUILD_TESTS=ON -DCMAKE_COLOR_DIAGNOSTICS="$color"
cmake --build build -j"$jobs"

# The kernel tests (label kernel) boot a QEMU guest with Debian's cloud kernel: fetch it and
# busybox from Debian's archive (apt-get download) into build/wgvm. Without it they skip.
step "kernel test guest (build/wgvm: Debian cloud kernel + busybox initramfs)"
if ! tests/kernel/prepare-vm.sh build/wgvm; then
    if [ "${CI:-false}" = true ]; then exit 1; fi
    echo "test.sh: could not prepare the guest; the kernel tests will be skipped" >&2
fi

# The .deb is checked by the `packaging.deb` test (label packaging) in this last run.
step "tests: everything but bench (unit, loopback, netns, kernel, packaging)"
packaging/scripts/ctest-no-skips.sh --test-dir build --output-on-failure --no-tests=error -LE bench "$@"
