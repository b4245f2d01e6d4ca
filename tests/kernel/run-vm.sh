#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boots the kernel-test guest (prepare-vm.sh) with PROGRAM, the --file extras and their
# libraries at their host paths, runs PROGRAM ARGS inside it, streams the console and exits
# with the guest's status.
#   run-vm.sh PREP_DIR [--timeout S] [--file PATH]... [--env NAME=VALUE]... [--capture-dir DIR]
#             -- PROGRAM [ARGS...]
# Exit: the guest's WGVM_EXIT; 77 = a skip: qemu, the prepared kernel or x86_64 missing, or a
# gtest PROGRAM that exited 0 with skipped tests (GTEST_SKIP in the guest); 1 instead under CI=true;
# 124 = timeout (qemu killed); 125 = no exit marker (guest crashed).
# --capture-dir: files the guest prints as hex "WGVM_FILE_DATA" lines between
# "WGVM_FILE_BEGIN <name>" and "WGVM_FILE_END" are written there as <name>.
# TCG only, unless the host has VT-x/AMD-V: a /dev/kvm without vmx/svm (e.g. PVM) cannot
# run a stock kernel.
set -euo pipefail

usage() { echo "usage: run-vm.sh PREP_DIR [--timeout S] [--file PATH]... [--env NAME=VALUE]... [--capture-dir DIR] -- PROGRAM [ARGS...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
prep=$1; shift
timeout_s=150
capture_dir=
files=()
envs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) timeout_s=$2; shift 2 ;;
        --file) files+=("$2"); shift 2 ;;
        --env) envs+=("$2"); shift 2 ;;
        --capture-dir) capture_dir=$2; shift 2 ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
[ $# -ge 1 ] || usage
program=$(realpath "$1"); shift

# A skip exits 77 (ctest shows it skipped); under CI=true, where everything is installed, 1.
skip() {
    if [ "${CI:-false}" = true ]; then echo "run-vm: FAIL (CI=true, would skip): $*"; exit 1; fi
    echo "run-vm: SKIP: $*"
    exit 77
}
[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not installed (packaging/scripts/install-deps.sh --test)"
if [ ! -f "$prep/ready" ] || [ ! -f "$prep/vmlinuz" ] || [ ! -f "$prep/base.cpio.gz" ]; then
    skip "no prepared guest in $prep (run tests/kernel/prepare-vm.sh $prep)"
fi
for tool in cpio ldd strip; do command -v "$tool" >/dev/null || skip "$tool not installed"; done

work=$(mktemp -d "${TMPDIR:-/tmp}/wgvm.XXXXXX")
qemu_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill -KILL "$qemu_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The payload: every file at its host path (compiled-in paths such as the agent's keep
# working), debug info stripped, plus each one's ldd libraries.
stage=$work/stage
mkdir -p "$stage/payload"
add_file() {
    local src=$1
    [ -e "$stage$src" ] && return 0
    mkdir -p "$stage$(dirname "$src")"
    strip --strip-debug -o "$stage$src" "$src" 2>/dev/null || cp -L "$src" "$stage$src"
    chmod --reference="$src" "$stage$src"
}
for f in "$program" "${files[@]}"; do
    f=$(realpath "$f")
    add_file "$f"
    while read -r lib; do add_file "$lib"; done < <(ldd "$f" | awk '/=> \//{print $3} /^\t\//{print $1}')
done
{
    echo '#!/bin/sh'
    echo 'cd /tmp'
    for e in "${envs[@]}"; do printf 'export %q\n' "$e"; done
    printf '%q ' "$program" "$@"
    echo
} > "$stage/payload/run.sh"
chmod 755 "$stage/payload/run.sh"
# Uncompressed payload first: appended after the gzip'd base it would be found only when it
# happens to land on a 4-byte boundary.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/initrd.img"
cat "$prep/base.cpio.gz" >> "$work/initrd.img"

accel=(-accel tcg -cpu max)
if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=(-accel kvm -cpu host); fi

log=$work/console.log
: > "$log"   # before tail -f starts
start=$(date +%s.%N)
"$qemu" -machine pc "${accel[@]}" -m 1024 -smp 2 \
    -nodefaults -no-user-config -nographic -serial stdio -monitor none -no-reboot \
    -kernel "$prep/vmlinuz" -initrd "$work/initrd.img" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3 mitigations=off" </dev/null > "$log" 2>&1 &
qemu_pid=$!

# Stream the console while waiting; kill qemu (by pid) at the deadline.
tail -n +1 -f --pid="$qemu_pid" "$log" | tr -d '\r' | grep -av '^WGVM_FILE_DATA ' &
tail_pid=$!
status=0
deadline=$(( $(date +%s) + timeout_s ))
while kill -0 "$qemu_pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "run-vm: timeout after ${timeout_s}s, killing qemu (pid $qemu_pid)"
        kill -KILL "$qemu_pid" 2>/dev/null || true
        status=124
        break
    fi
    sleep 0.2
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
wait "$tail_pid" 2>/dev/null || true
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "run-vm: guest ran ${elapsed}s"

if [ -n "$capture_dir" ]; then
    mkdir -p "$capture_dir"
    tr -d '\r' < "$log" | awk -v dir="$work" '
        /^WGVM_FILE_BEGIN / { name = $2; printf "" > (dir "/" name ".hex"); next }
        /^WGVM_FILE_DATA / && name != "" { print $2 > (dir "/" name ".hex"); next }
        /^WGVM_FILE_END/ && name != "" { close(dir "/" name ".hex"); name = "" }'
    for h in "$work"/*.hex; do
        [ -e "$h" ] || continue
        out=$capture_dir/$(basename "${h%.hex}")
        printf '%b' "$(tr -d '\n' < "$h" | sed 's/../\\x&/g')" > "$out"
        echo "run-vm: captured $out"
    done
fi

[ "$status" -eq 124 ] && exit 124
# Anywhere in a line: the firmware's terminal escapes may precede the guest's first output.
marker=$(tr -d '\r' < "$log" | grep -ao 'WGVM_EXIT=[0-9]*$' | tail -n 1 || true)
[ -n "$marker" ] || { echo "run-vm: no WGVM_EXIT marker (guest crashed or panicked)"; exit 125; }
guest_status=${marker#WGVM_EXIT=}
# A GTEST_SKIP inside the guest exits 0: gtest's summary lists the skipped tests
# ("[  SKIPPED ] suite.name"). Exit 77 then, so ctest shows a skip (and CI fails) instead of
# a pass that tested less.
if [ "$guest_status" -eq 0 ]; then
    skipped=$(tr -d '\r' < "$log" | sed -n 's/^\[  SKIPPED \] \([^ ]*\.[^ ]*\)$/\1/p' | sort -u)
    if [ -n "$skipped" ]; then
        # The reason: the message lines gtest prints after "<file>:<line>: Skipped".
        reasons=$(tr -d '\r' < "$log" | awk '/: Skipped$/ { on = 1; next } /^\[  SKIPPED \]/ { on = 0 } on' | sort -u | tr '\n' ' ')
        skip "the guest skipped $(echo "$skipped" | wc -l) test(s): $(echo "$skipped" | tr '\n' ' ')- ${reasons:-no reason printed}"
    fi
fi
exit "$guest_status"
