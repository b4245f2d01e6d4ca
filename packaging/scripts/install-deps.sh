#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what wgwatch needs from Debian 12's archive, without recommends
# (wireguard-tools recommends a whole kernel image).
#   install-deps.sh          build and run, demo lab included: compiler, libraries,
#                            wireguard-go, wireguard-tools, iproute2, ping, curl, nftables
#                            (fault injection), and the decide loop the lab runs: Prometheus,
#                            Alertmanager and python3 (the lab's webhook receiver)
#   install-deps.sh --test   also what the test suite and packaging check drive: GoogleTest,
#                            promtool, amtool, jsonnet (the policy bundle is rendered from it),
#                            Node.js and npm (dashboard schema and query checks), dpkg-dev
#                            (cpack's shlibdeps), systemd (systemd-analyze verify of the unit), and QEMU, cpio and kmod for the kernel
#                            tests' guest (tests/kernel/)
#   install-deps.sh --bench  also the peer tools the benchmarks measure side by side:
#                            blackbox_exporter and smokeping_prober (tests/bench/probe_bench);
#                            not for CI (their packages start services)
set -eu

build_packages="ca-certificates cmake g++ make pkg-config git
  libboost1.81-dev prometheus-cpp-dev libmnl-dev libfmt-dev libtomlplusplus-dev
  libssl-dev zlib1g-dev libisal-dev
  wireguard-go wireguard-tools iproute2 iputils-ping procps util-linux curl nftables
  prometheus prometheus-alertmanager python3"
test_packages="googletest libgtest-dev libgmock-dev jsonnet dpkg-dev file systemd
  qemu-system-x86 cpio kmod"
bench_packages="prometheus-blackbox-exporter prometheus-smokeping-prober"

case "${1:-}" in
    "") packages=$build_packages ;;
    --test) packages="$build_packages $test_packages" ;;
    --bench) packages="$build_packages $test_packages $bench_packages" ;;
    *) echo "usage: install-deps.sh [--test|--bench]" >&2; exit 2 ;;
esac

# Node.js (with its npm) for the dashboard checks, unless a node is already installed: Debian's
# npm package would conflict with a Node.js from elsewhere that bundles its own npm.
if [ "${1:-}" != "" ] && ! command -v node >/dev/null 2>&1; then
    packages="$packages nodejs npm"
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
