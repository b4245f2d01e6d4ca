#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A self-contained WireGuard lab in two network namespaces, scraped by wgwatch.
#
#   demo-lab.sh [--check] [--timeout SECONDS] [PATH_TO_WGWATCH]
#
#   host ── wgwatch-h 198.18.95.1/30 ──veth── wgwatch-m 198.18.95.2/30 ─┐
#                                                                       │ netns wgwatch-site
#     wg0 (primary) 10.200.0.1, .11  ─┐   wireguard-go, private /run,   │ agent on
#     wg1 (standby) 10.201.0.1, .11  ─┤   wgwatch next to them          │ 198.18.95.2:9586
#                                     └ wgwatch-us 198.18.94.1/30 ──────┘
#                                          │ veth underlay
#     netns wgwatch-cloud: wgwatch-uc 198.18.94.2/30, wireguard-go devices
#       c0a 10.200.0.2 / c0b 10.200.0.3  (far ends of wg0)
#       c1a 10.201.0.2 / c1b 10.201.0.3  (far ends of wg1)
#
# Each site tunnel has two real peers, kept busy by a ping each, and one configured peer
# whose endpoint does not answer, so it never completes a handshake.
#
# wireguard-go always puts its UAPI socket in /var/run/wireguard. Each namespace's processes
# therefore run in one shell with a private mount namespace and a tmpfs on /run: the site's
# agent sees exactly the site's sockets, and nothing of the host's /run/wireguard.
#
# Without --check the lab runs until Ctrl-C. With --check it waits until a scrape shows a
# recent handshake on both wg0 and wg1 and both tunnels healthy (interface, handshake and
# ICMP data plane), prints a summary and exits 0 (or 1 on timeout).
# Either way everything it created is removed on exit, and leftovers of an earlier run with
# the same names are removed at start.
set -euo pipefail

readonly site_ns=wgwatch-site
readonly cloud_ns=wgwatch-cloud
readonly host_if=wgwatch-h
readonly mgmt_if=wgwatch-m
readonly underlay_site_if=wgwatch-us
readonly underlay_cloud_if=wgwatch-uc
readonly host_addr=198.18.95.1
readonly agent_addr=198.18.95.2
readonly agent_port=9586
readonly underlay_site=198.18.94.1
readonly underlay_cloud=198.18.94.2
readonly state_prefix=/tmp/wgwatch-lab.
readonly metrics_url="http://${agent_addr}:${agent_port}/metrics"

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
mode=run
timeout=90
binary=""

usage() {
    sed -n '5p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --check) mode=check ;;
        --timeout) shift; timeout=${1:?--timeout needs a value} ;;
        -h|--help) usage 0 ;;
        -*) echo "demo-lab: unknown option $1" >&2; usage 2 ;;
        *) binary=$1 ;;
    esac
    shift
done
binary=${binary:-$repo_root/build/exporter/wgwatch}

say() { printf 'demo-lab: %s\n' "$*"; }
die() { printf 'demo-lab: %s\n' "$*" >&2; exit 1; }

# --- cleanup ---------------------------------------------------------------------------

# Ends every process left in one of our namespaces (they can only be ours: the names are).
kill_namespace_processes() {
    local ns=$1 pids
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -n "$pids" ] || return 0
        sleep 0.2
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
}

# Idempotent: safe with nothing to remove, with half a lab, and twice in a row.
cleanup() {
    local ns dir pid
    for ns in "$site_ns" "$cloud_ns"; do
        kill_namespace_processes "$ns"
    done
    # The shells that entered the namespaces, and the log tail, if they are still around.
    for pid in ${site_shell_pid:-} ${cloud_shell_pid:-} ${tail_pid:-}; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for ns in "$site_ns" "$cloud_ns"; do
        ip netns delete "$ns" 2>/dev/null || true
    done
    # Deleting the site namespace removes the veth pair; this covers a half-built lab.
    ip link delete "$host_if" 2>/dev/null || true
    for dir in "${state_prefix}"*; do
        [ -d "$dir" ] && rm -rf -- "$dir"
    done
    return 0
}

# shellcheck disable=SC2317  # invoked by trap
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$mode" = run ]; then
        say "stopping"
    fi
    cleanup
    if [ "$mode" = run ]; then
        say "removed namespaces $site_ns and $cloud_ns"
    fi
    exit "$rc"
}

# --- prerequisites ---------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN devices): sudo $0"
for tool in ip wg wireguard-go unshare mount curl ping; do
    command -v "$tool" >/dev/null || die "missing $tool (packaging/scripts/install-deps.sh installs it)"
done
[ -c /dev/net/tun ] || die "missing /dev/net/tun (wireguard-go needs a TUN device)"
[ -x "$binary" ] || die "no agent binary at $binary (build it: cmake --build build --target wgwatch)"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

cleanup
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

state=$(mktemp -d "${state_prefix}XXXXXX")
chmod 0700 "$state"

# --- keys and config -------------------------------------------------------------------

umask 077
for k in site-wg0 site-wg1 c0a c0b c1a c1b dead0 dead1; do
    wg genkey >"$state/$k.key"
    wg pubkey <"$state/$k.key" >"$state/$k.pub"
done
pub() { cat "$state/$1.pub"; }

# The lab's agent config: both tunnels always reported, peers under friendly names.
cat >"$state/wgwatch.toml" <<EOF
# wgwatch demo lab (generated by demo-lab.sh)
[web]
listen_address = "${agent_addr}:${agent_port}"

[wireguard]
interfaces = ["wg0", "wg1"]

[[peer]]
public_key = "$(pub c0a)"
name = "cloud-a (wg0)"

[[peer]]
public_key = "$(pub c0b)"
name = "cloud-b (wg0)"

[[peer]]
public_key = "$(pub dead0)"
name = "branch-offline (wg0)"

[[peer]]
public_key = "$(pub c1a)"
name = "cloud-a (wg1)"

[[peer]]
public_key = "$(pub c1b)"
name = "cloud-b (wg1)"

[[peer]]
public_key = "$(pub dead1)"
name = "branch-offline (wg1)"

# The two tunnels, each probed through itself (bound to its interface).
[[tunnel]]
interface = "wg0"
role = "primary"
peers = ["$(pub c0a)"]
[[tunnel.probe]]
name = "cloud-a-icmp"
kind = "icmp"
target = "10.200.0.2"
interval = "1s"
timeout = "500ms"

[[tunnel]]
interface = "wg1"
role = "standby"
peers = ["$(pub c1a)"]
[[tunnel.probe]]
name = "cloud-a-icmp"
kind = "icmp"
target = "10.201.0.2"
interval = "1s"
timeout = "500ms"
EOF
umask 022

# Waits (inside a namespace shell) for wireguard-go's UAPI socket to appear.
# shellcheck disable=SC2016  # expanded by the namespace shell, not here
readonly wait_sock='wait_sock() { i=0; while [ ! -S "/run/wireguard/$1.sock" ]; do
  i=$((i + 1)); [ $i -le 100 ] || { echo "no UAPI socket for $1" >&2; exit 1; }; sleep 0.1; done; }'

# The far side: four wireguard-go devices, each the single peer of one site peer slot.
cat >"$state/cloud.sh" <<EOF
set -eu
mount -t tmpfs -o mode=0755,size=1m wgwatch-lab /run
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
pids=""
trap 'kill \$pids 2>/dev/null; wait; exit 0' INT TERM
$wait_sock
ip link set lo up
# name  port   address     site device  site port  site address
for dev in "c0a 51830 10.200.0.2 site-wg0 51820 10.200.0.1" \\
           "c0b 51831 10.200.0.3 site-wg0 51820 10.200.0.11" \\
           "c1a 51832 10.201.0.2 site-wg1 51821 10.201.0.1" \\
           "c1b 51833 10.201.0.3 site-wg1 51821 10.201.0.11"; do
    set -- \$dev
    wireguard-go -f "\$1" >"$state/\$1.log" 2>&1 &
    pids="\$pids \$!"
    wait_sock "\$1"
    wg set "\$1" private-key "$state/\$1.key" listen-port "\$2" \\
        peer "\$(cat "$state/\$4.pub")" endpoint "${underlay_site}:\$5" allowed-ips "\$6/32"
    ip address add "\$3/32" dev "\$1"
    ip link set "\$1" up
    ip route add "\$6/32" dev "\$1"
done
echo ready >"$state/cloud.ready"
wait
EOF

# The site: wg0 and wg1, a ping per real peer, and the agent, all sharing one private /run.
cat >"$state/site.sh" <<EOF
set -eu
mount -t tmpfs -o mode=0755,size=1m wgwatch-lab /run
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1
pids=""
trap 'kill \$pids 2>/dev/null; wait; exit 0' INT TERM
$wait_sock
ip link set lo up
# device port  net       peer a  peer b  dead peer
for dev in "wg0 51820 10.200.0 c0a 51830 c0b 51831 dead0" \\
           "wg1 51821 10.201.0 c1a 51832 c1b 51833 dead1"; do
    set -- \$dev
    wireguard-go -f "\$1" >"$state/site-\$1.log" 2>&1 &
    pids="\$pids \$!"
    wait_sock "\$1"
    wg set "\$1" private-key "$state/site-\$1.key" listen-port "\$2" \\
        peer "\$(cat "$state/\$4.pub")" endpoint "${underlay_cloud}:\$5" allowed-ips "\$3.2/32" \\
        peer "\$(cat "$state/\$6.pub")" endpoint "${underlay_cloud}:\$7" allowed-ips "\$3.3/32" \\
        peer "\$(cat "$state/\$8.pub")" endpoint "${underlay_cloud}:51899" allowed-ips "\$3.4/32" \\
            persistent-keepalive 25
    ip address add "\$3.1/24" dev "\$1"
    ip address add "\$3.11/24" dev "\$1"
    ip link set "\$1" up
    # One ping per real peer; the source address picks the cloud device that answers.
    ping -q -i 1 -I "\$3.1" "\$3.2" >/dev/null 2>&1 &
    pids="\$pids \$!"
    ping -q -i 1 -I "\$3.11" "\$3.3" >/dev/null 2>&1 &
    pids="\$pids \$!"
done
"$binary" --config.file="$state/wgwatch.toml" >"$state/agent.log" 2>&1 &
pids="\$pids \$!"
echo "\$!" >"$state/agent.pid"
wait
EOF

# --- namespaces and links --------------------------------------------------------------

ip netns add "$site_ns"
ip netns add "$cloud_ns"
ip link add "$underlay_site_if" netns "$site_ns" type veth peer name "$underlay_cloud_if" netns "$cloud_ns"
ip -n "$site_ns" address add "$underlay_site/30" dev "$underlay_site_if"
ip -n "$cloud_ns" address add "$underlay_cloud/30" dev "$underlay_cloud_if"
ip -n "$site_ns" link set "$underlay_site_if" up
ip -n "$cloud_ns" link set "$underlay_cloud_if" up
ip link add "$host_if" type veth peer name "$mgmt_if" netns "$site_ns"
ip address add "$host_addr/30" dev "$host_if"
ip link set "$host_if" up
ip -n "$site_ns" address add "$agent_addr/30" dev "$mgmt_if"
ip -n "$site_ns" link set "$mgmt_if" up

ip netns exec "$cloud_ns" unshare -m --propagation private sh "$state/cloud.sh" \
    >"$state/cloud.out" 2>&1 &
cloud_shell_pid=$!
for _ in $(seq 100); do
    [ -e "$state/cloud.ready" ] && break
    kill -0 "$cloud_shell_pid" 2>/dev/null || { cat "$state/cloud.out" >&2; die "cloud side failed"; }
    sleep 0.1
done
[ -e "$state/cloud.ready" ] || die "cloud side did not come up"

ip netns exec "$site_ns" unshare -m --propagation private sh "$state/site.sh" \
    >"$state/site.out" 2>&1 &
site_shell_pid=$!

# --- wait for the agent ----------------------------------------------------------------

scrape() { curl -fsS --max-time 2 "$metrics_url" 2>/dev/null; }

# Prints "<device> <peers with recent handshake>" for wg0 and wg1 from a scrape.
recent_handshakes() {
    awk '/^wireguard_device_peers_with_recent_handshake\{/ {
            if (match($0, /device="[^"]*"/)) print substr($0, RSTART + 8, RLENGTH - 9), $NF
         }'
}

agent_failed() {
    cat "$state/site.out" >&2 || true
    say "agent log (last 40 lines):" >&2
    tail -n 40 "$state/agent.log" >&2 || true
    die "$1"
}

deadline=$((SECONDS + timeout))
until scrape >/dev/null; do
    kill -0 "$site_shell_pid" 2>/dev/null || agent_failed "site side exited"
    if [ -e "$state/agent.pid" ] && ! kill -0 "$(cat "$state/agent.pid")" 2>/dev/null; then
        agent_failed "the agent exited"
    fi
    [ $SECONDS -lt $deadline ] || agent_failed "no scrape from $metrics_url within ${timeout}s"
    sleep 0.5
done

if [ "$mode" = check ]; then
    while :; do
        body=$(scrape || true)
        summary=$(recent_handshakes <<<"$body" || true)
        healthy=$(grep -cE '^wgwatch_tunnel_healthy\{device="wg[01]",role="[a-z]+"\} 1$' <<<"$body" || true)
        if awk '$2 >= 1 { ok[$1] = 1 } END { exit !(ok["wg0"] && ok["wg1"]) }' <<<"$summary" &&
            [ "$healthy" = 2 ]; then
            say "OK: devices with peers that completed a recent handshake, both tunnels healthy:"
            awk '{ printf "  %s: %s peers with a recent handshake\n", $1, $2 }' <<<"$summary"
            grep -E '^(wireguard_peer_last_handshake_seconds|wgwatch_tunnel_healthy)' <<<"$body" |
                sed 's/^/  /' || true
            exit 0
        fi
        if [ $SECONDS -ge $deadline ]; then
            say "FAIL: no recent handshake or no healthy tunnel on wg0 and wg1 within ${timeout}s; last scrape:" >&2
            grep -E '^(wireguard_device|wgwatch_wireguard|wgwatch_tunnel)' <<<"$body" >&2 || true
            agent_failed "check failed"
        fi
        sleep 1
    done
fi

cat <<EOF

wgwatch demo lab is running (agent in netns $site_ns, config $state/wgwatch.toml).

  metrics: $metrics_url

  curl -s $metrics_url | grep -E '^wireguard_(device|peer)_'
  nsenter -t $(cat "$state/agent.pid") -m -n wg show    # what the agent reads (as root)

Handshakes complete within a few seconds; the "branch-offline" peers never handshake.
Press Ctrl-C to stop; everything the lab created is removed.

EOF
tail -n +1 -f "$state/agent.log" &
tail_pid=$!
wait "$site_shell_pid" || true
kill "$tail_pid" 2>/dev/null || true
die "the site side exited unexpectedly"
