#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the .deb of a configured build directory with cpack and checks what it holds.
#   check-package.sh BUILD_DIR
# Exit: 0 ok, 1 a check failed, 77 systemd-analyze missing (a skip; a failure under CI=true).
set -euo pipefail

build_dir=$(cd "${1:?usage: check-package.sh BUILD_DIR}" && pwd)
out=$build_dir/package
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

fail() { printf 'check-package: FAIL: %s\n' "$*" >&2; exit 1; }

rm -rf -- "$out"
cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$out" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack failed"; }
debs=("$out"/*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
    fail "expected one .deb in $out, got: ${debs[*]}"
fi
deb=${debs[0]}

dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' >"$work/files"
dpkg-deb -e "$deb" "$work/control"

has_file() { grep -qx -- "$1" "$work/files" || fail "$(basename "$deb") lacks $1"; }
has_file /usr/bin/wgwatch
has_file /etc/wgwatch/wgwatch.toml
# /lib is /usr/lib on Debian 12 (merged /usr); systemd reads units from both.
grep -qxE '/(usr/)?lib/systemd/system/wgwatch.service' "$work/files" ||
    fail "$(basename "$deb") lacks lib/systemd/system/wgwatch.service"

grep -qx /etc/wgwatch/wgwatch.toml "$work/control/conffiles" ||
    fail "/etc/wgwatch/wgwatch.toml is not a conffile"
for script in postinst prerm postrm; do
    [ -x "$work/control/$script" ] || fail "maintainer script $script missing or not executable"
    sh -n "$work/control/$script" || fail "$script: syntax error"
done
depends=$(dpkg-deb -f "$deb" Depends)
case "$depends" in
    *adduser*) ;;
    *) fail "Depends lacks adduser (postinst creates the wgwatch user): $depends" ;;
esac

# The packaged binary runs and accepts the packaged config.
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/wgwatch" --config.check --config.file="$work/root/etc/wgwatch/wgwatch.toml" ||
    fail "the packaged wgwatch rejects the packaged /etc/wgwatch/wgwatch.toml"
# The unit parses (systemd-analyze needs ExecStart to exist, so it points at the extracted one).
# Without systemd-analyze the check cannot run: a skip (77), a failure under CI=true.
if ! command -v systemd-analyze >/dev/null; then
    [ "${CI:-false}" = true ] && fail "systemd-analyze not installed (Debian: apt-get install systemd)"
    echo "check-package: SKIP: systemd-analyze not installed (Debian: apt-get install systemd)"
    exit 77
fi
unit=$(find "$work/root" -name wgwatch.service)
mkdir "$work/unit"
sed "s|/usr/bin/wgwatch|$work/root/usr/bin/wgwatch|" "$unit" >"$work/unit/wgwatch.service"
# A non-zero exit is a failure too (e.g. ExecStart not executable, or verify could not run at
# all); unknown keys and bad values only print "wgwatch.service:<line>: ..." and exit 0.
verify_status=0
systemd-analyze verify "$work/unit/wgwatch.service" >"$work/verify.log" 2>&1 || verify_status=$?
if [ "$verify_status" -ne 0 ]; then
    cat "$work/verify.log" >&2
    fail "systemd-analyze verify exited $verify_status"
fi
if grep -E 'wgwatch\.service:' "$work/verify.log" | grep -v 'Found documentation' >&2; then
    fail "systemd-analyze verify reports problems in wgwatch.service"
fi

printf 'check-package: OK %s\n' "$deb"
dpkg-deb -f "$deb" Package Version Architecture Depends | sed 's/^/  /'
sed 's/^/  /' "$work/files" | grep -v '/$'
