#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README command 1: install dependencies, build a Release agent, then run it against this
# host's WireGuard interfaces, or start the demo lab (tunnels, agent, Prometheus, Alertmanager).
#
#   sudo packaging/scripts/run.sh                         agent if WireGuard is up, else lab
#   sudo packaging/scripts/run.sh --config.file=FILE ...  agent with these arguments
#   sudo packaging/scripts/run.sh --demo                  demo lab even if WireGuard is up
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$repo_root/build
binary=$build_dir/exporter/wgwatch

demo=no
if [ "${1:-}" = "--demo" ]; then
    demo=yes
    shift
fi
case "${1:-}" in
    -h|--help) sed -n '6,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

if [ "$(id -u)" != 0 ]; then
    echo "run.sh: needs root (packages, WireGuard devices, network namespaces): sudo $0 $*" >&2
    exit 1
fi

"$repo_root/packaging/scripts/install-deps.sh"

echo "run.sh: building $binary (Release)"
cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DWGWATCH_BUILD_TESTS=OFF \
    -DWGWATCH_WERROR=OFF -DWGWATCH_SANITIZE=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target wgwatch

# A WireGuard interface on this host: a kernel link, or a userspace one with a live socket
# (`wg show` connects, and only answers for a live one).
host_has_wireguard() {
    if ip -d link show type wireguard 2>/dev/null | grep -q .; then
        return 0
    fi
    local sock
    for sock in /var/run/wireguard/*.sock; do
        [ -S "$sock" ] || continue
        if wg show "$(basename "$sock" .sock)" >/dev/null 2>&1; then
            return 0
        fi
    done
    return 1
}

if [ "$demo" = no ] && { [ $# -gt 0 ] || host_has_wireguard; }; then
    echo "run.sh: starting the agent: $binary $*"
    exec "$binary" "$@"
fi

if [ "$demo" = no ]; then
    echo "run.sh: no WireGuard interface on this host and no arguments: starting the demo lab"
fi
exec "$repo_root/packaging/scripts/demo-lab.sh" "$binary"
