#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A self-contained WireGuard lab in two network namespaces, scraped by wgwatch, watched by
# Prometheus with the bundle's rules, routed by Alertmanager to a webhook receiver.
#   demo-lab.sh [--check] [--timeout SECONDS] [PATH_TO_WGWATCH]
#   demo-lab.sh fault on|off|status     (a silent failure on wg0 of the running lab)
#
#   host ── wgwatch-h 198.18.95.1/30 ──veth── wgwatch-m 198.18.95.2/30 ─┐
#                                                                       │ netns wgwatch-site
#     wg0 (primary) 10.200.0.1, .11  ─┐   wireguard-go, private /run,   │ agent     :9586
#     wg1 (standby) 10.201.0.1, .11  ─┤   wgwatch next to them          │ Prometheus :9090
#                                     │                                 │ Alertmanager :9093
#                                     │   webhook receiver 127.0.0.1:9595 (prints notifications)
#                                     └ wgwatch-us 198.18.94.1/30 ──────┘
#                                          │ veth underlay
#     netns wgwatch-cloud: wgwatch-uc 198.18.94.2/30, wireguard-go devices
#       c0a 10.200.0.2 / c0b 10.200.0.3  (far ends of wg0)
#       c1a 10.201.0.2 / c1b 10.201.0.3  (far ends of wg1)
#
# Each site tunnel has two real peers, kept busy by a ping each, and one configured peer
# whose endpoint does not answer, so it never completes a handshake. Both tunnels are in
# group "lab". Prometheus loads the bundle's alerts/wgwatch.rules.yml and scrapes the agent at
# the intervals of alerts/prometheus.yml; Alertmanager runs alerts/alertmanager.yml with its
# webhook URLs pointed at the receiver (WGWATCH_DEMO_ALERTS=DIR takes the three files from
# DIR instead, e.g. a render-bundle.sh output). `fault on` drops wg0's inner traffic at its
# far ends (nftables in wgwatch-cloud) while handshakes go on; `fault off` lifts it.
#
# wireguard-go always puts its UAPI socket in /var/run/wireguard. Each namespace's processes
# therefore run in one shell with a private mount namespace and a tmpfs on /run: the site's
# agent sees exactly the site's sockets, and nothing of the host's /run/wireguard.
#
# Without --check the lab runs until Ctrl-C. With --check (all within --timeout, default 90 s)
# it waits until both tunnels are healthy and Prometheus scrapes the agent with the rules
# loaded and the failover alert quiet, injects the silent failure, waits for the receiver's
# FIRING WireGuardTunnelFailover wg0 -> wg1, lifts the failure and, when the grace period
# fits in --timeout, waits for RESOLVED; it exits 0, or 1 with the logs.
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
readonly prometheus_port=9090
readonly alertmanager_port=9093
readonly receiver_addr=127.0.0.1:9595
readonly underlay_site=198.18.94.1
readonly underlay_cloud=198.18.94.2
readonly state_prefix=/tmp/wgwatch-lab.
readonly metrics_url="http://${agent_addr}:${agent_port}/metrics"
readonly prometheus_url="http://${agent_addr}:${prometheus_port}"
readonly alertmanager_url="http://${agent_addr}:${alertmanager_port}"
readonly group=lab
readonly fault_table=wgwatch_lab_fault
# The failover receiver's URL in alerts/alertmanager.yml (the agent's future webhook).
readonly bundle_failover_url=http://127.0.0.1:9586/api/v1/failover/alertmanager

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
alerts_dir=${WGWATCH_DEMO_ALERTS:-$repo_root/alerts}
receiver_py=$repo_root/packaging/scripts/demo-webhook-receiver.py
mode=run
timeout=90
binary=""

usage() {
    if [ "${1:-0}" = 0 ]; then
        sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//'
    else
        sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    fi
    exit "${1:-0}"
}

say() { printf 'demo-lab: %s\n' "$*"; }
die() { printf 'demo-lab: %s\n' "$*" >&2; exit 1; }

# --- fault: a silent failure of the primary, on the running lab --------------------------

# wg0's far ends (c0a, c0b) drop everything that comes out of the tunnel, so probes and pings
# through wg0 go unanswered while the encrypted UDP underneath, handshakes included, flows on.
fault() {
    [ "$(id -u)" = 0 ] || die "needs root: sudo $0 fault ${1:-}"
    [ -e "/run/netns/$cloud_ns" ] || die "no running lab (netns $cloud_ns is missing)"
    case "${1:-}" in
        on)
            # Create-delete-create: one atomic transaction whether or not it was on already.
            ip netns exec "$cloud_ns" nft -f - <<EOF
table inet $fault_table
delete table inet $fault_table
table inet $fault_table {
    chain input {
        type filter hook input priority 0; policy accept;
        iifname { "c0a", "c0b" } counter drop
    }
}
EOF
            say "fault on: wg0's inner traffic is dropped in netns $cloud_ns; handshakes go on"
            ;;
        off)
            if ip netns exec "$cloud_ns" nft delete table inet "$fault_table" 2>/dev/null; then
                say "fault off: wg0 carries traffic again"
            else
                say "fault off: no fault was on"
            fi
            ;;
        status)
            local rules
            if rules=$(ip netns exec "$cloud_ns" nft list table inet "$fault_table" 2>/dev/null); then
                say "fault on: $(grep -o 'packets [0-9]*' <<<"$rules" | head -n 1) of wg0 dropped"
            else
                say "fault off"
            fi
            ;;
        *) usage 2 ;;
    esac
}

if [ "${1:-}" = fault ]; then
    fault "${2:-}"
    exit 0
fi

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

# --- cleanup ---------------------------------------------------------------------------

# Ends every process left in one of our namespaces (they can only be ours: the names are).
kill_namespace_processes() {
    local ns=$1 pids
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 25); do
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
    for pid in ${site_shell_pid:-} ${cloud_shell_pid:-} ${monitor_shell_pid:-} ${tail_pid:-}; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for ns in "$site_ns" "$cloud_ns"; do
        ip netns delete "$ns" 2>/dev/null || true
    done
    # Deleting the site namespace removes the veth pair; this covers a half-built lab.
    ip link delete "$host_if" 2>/dev/null || true
    # Our temp directory, and those of earlier runs that are gone; a lab running elsewhere
    # (another network and mount namespace, as under ctest) keeps its own.
    for dir in "${state_prefix}"*; do
        [ -d "$dir" ] || continue
        pid=$(cat "$dir/lab.pid" 2>/dev/null || true)
        if [ "$dir" != "${state:-}" ] && [ -n "$pid" ] && [ "$pid" != $$ ] && kill -0 "$pid" 2>/dev/null; then
            continue
        fi
        rm -rf -- "$dir"
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
for tool in ip wg wireguard-go unshare mount curl ping nft python3 \
    prometheus promtool prometheus-alertmanager amtool; do
    command -v "$tool" >/dev/null || die "missing $tool (packaging/scripts/install-deps.sh installs it)"
done
[ -c /dev/net/tun ] || die "missing /dev/net/tun (wireguard-go needs a TUN device)"
[ -x "$binary" ] || die "no agent binary at $binary (build it: cmake --build build --target wgwatch)"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
for f in wgwatch.rules.yml prometheus.yml alertmanager.yml; do
    [ -f "$alerts_dir/$f" ] || die "missing $alerts_dir/$f (the policy bundle)"
done

cleanup
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

state=$(mktemp -d "${state_prefix}XXXXXX")
chmod 0700 "$state"
echo $$ >"$state/lab.pid"

# --- keys and config -------------------------------------------------------------------

umask 077
for k in site-wg0 site-wg1 c0a c0b c1a c1b dead0 dead1; do
    wg genkey >"$state/$k.key"
    wg pubkey <"$state/$k.key" >"$state/$k.pub"
done
pub() { cat "$state/$1.pub"; }

# The lab's agent config: both tunnels always reported, peers under friendly names. A 10 s
# data-plane window (ten 1 s rounds) lets a silent drop show within seconds.
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

# The two tunnels of group "$group", each probed through itself (bound to its interface).
[[tunnel]]
interface = "wg0"
role = "primary"
group = "$group"
peers = ["$(pub c0a)"]
[tunnel.health]
window = "10s"
[[tunnel.probe]]
name = "cloud-a-icmp"
kind = "icmp"
target = "10.200.0.2"
interval = "1s"
timeout = "500ms"

[[tunnel]]
interface = "wg1"
role = "standby"
group = "$group"
peers = ["$(pub c1a)"]
[tunnel.health]
window = "10s"
[[tunnel.probe]]
name = "cloud-a-icmp"
kind = "icmp"
target = "10.201.0.2"
interval = "1s"
timeout = "500ms"
EOF
umask 022

# --- the bundle, pointed at the lab ----------------------------------------------------

# Prometheus: the bundle's example config with the lab's agent as target, the lab's
# Alertmanager, and the bundle's rule file (copied next to it, as the example expects).
cp "$alerts_dir/wgwatch.rules.yml" "$state/wgwatch.rules.yml"
sed -e "s#127\.0\.0\.1:${agent_port}#${agent_addr}:${agent_port}#g" \
    -e "s#127\.0\.0\.1:9093#${agent_addr}:${alertmanager_port}#g" \
    -E -e "s#^([[:space:]]*-[[:space:]]*)['\"]?[^'\"[:space:]]*wgwatch\.rules\.yml['\"]?#\1$state/wgwatch.rules.yml#" \
    "$alerts_dir/prometheus.yml" >"$state/prometheus.yml"
grep -q "${agent_addr}:${agent_port}" "$state/prometheus.yml" ||
    die "$alerts_dir/prometheus.yml: no scrape target 127.0.0.1:$agent_port to point at the lab's agent"
promtool check config "$state/prometheus.yml" >"$state/promtool.out" 2>&1 ||
    { cat "$state/promtool.out" >&2; die "the lab's Prometheus config is invalid"; }

# Alertmanager: the failover webhook to the receiver's /failover, every other webhook URL
# (the default receiver's placeholder) to its /other.
sed -e "s#${bundle_failover_url}#http://${receiver_addr}/failover#" \
    -E -e "\#http://${receiver_addr}/#!s#^([[:space:]]*-?[[:space:]]*url:[[:space:]]*).*#\1http://${receiver_addr}/other#" \
    "$alerts_dir/alertmanager.yml" >"$state/alertmanager.yml"
grep -q "http://${receiver_addr}/failover" "$state/alertmanager.yml" ||
    die "$alerts_dir/alertmanager.yml: no webhook URL $bundle_failover_url to point at the receiver"
amtool check-config "$state/alertmanager.yml" >"$state/amtool.out" 2>&1 ||
    { cat "$state/amtool.out" >&2; die "the lab's Alertmanager config is invalid"; }

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

# The decide loop, next to the agent in the site namespace: the webhook receiver,
# Alertmanager and Prometheus, each with its data in the lab's temp directory (bash: wait -n).
cat >"$state/monitor.sh" <<EOF
set -u
pids=""
trap 'kill \$pids 2>/dev/null; wait; exit 0' INT TERM
ip link set lo up
python3 "$receiver_py" "$receiver_addr" >"$state/receiver.log" 2>&1 &
pids="\$pids \$!"
prometheus-alertmanager --config.file="$state/alertmanager.yml" \\
    --storage.path="$state/alertmanager" --cluster.listen-address= \\
    --web.listen-address="${agent_addr}:${alertmanager_port}" \\
    --web.external-url="$alertmanager_url/" >"$state/alertmanager.log" 2>&1 &
pids="\$pids \$!"
prometheus --config.file="$state/prometheus.yml" --storage.tsdb.path="$state/prometheus" \\
    --web.listen-address="${agent_addr}:${prometheus_port}" \\
    --web.external-url="$prometheus_url/" >"$state/prometheus.log" 2>&1 &
pids="\$pids \$!"
# One of them gone is the lab broken: end the others, so the lab notices this shell is gone.
wait -n || true
echo "receiver, Alertmanager or Prometheus exited" >&2
kill \$pids 2>/dev/null
wait
exit 1
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
ip netns exec "$site_ns" bash "$state/monitor.sh" >"$state/monitor.out" 2>&1 &
monitor_shell_pid=$!

# --- waiting for the lab ---------------------------------------------------------------

started=$SECONDS
deadline=$((SECONDS + timeout))

scrape() { curl -fsS --max-time 2 "$metrics_url" 2>/dev/null; }
ready() { curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; }
received() { grep -E "$1" "$state/receiver.log" 2>/dev/null; }

# Prometheus' answer to an instant query, as "labels value" lines, e.g.
# `{device="wg0",...} 1`.
query() {
    curl -fsS --max-time 2 -G "$prometheus_url/api/v1/query" --data-urlencode "query=$1" \
        2>/dev/null | grep -oE '"metric":\{[^}]*\},"value":\[[^]]*\]' |
        sed -E 's/^"metric":(\{[^}]*\}),"value":\[[^,]*,"([^"]*)"\]$/\1 \2/'
}

# The value of one wgwatch_tunnel_* series of a device in a scrape.
tunnel_value() {
    awk -v name="wgwatch_tunnel_$2{" -v device="device=\"$3\"" \
        'index($0, name) == 1 && index($0, device) { print $NF; exit }' <<<"$1"
}

show_logs() {
    local f
    for f in site.out monitor.out agent.log prometheus.log alertmanager.log receiver.log; do
        [ -s "$state/$f" ] || continue
        say "$f (last 25 lines):"
        tail -n 25 "$state/$f" | sed 's/^/  /'
    done
}

lab_failed() {
    show_logs >&2
    die "$1"
}

# Polls `$@` every half second until it succeeds; fails the lab at the deadline, or at once
# when one of the lab's shells (and so what it runs) has exited.
wait_until() {
    local what=$1
    shift
    until "$@"; do
        kill -0 "$site_shell_pid" 2>/dev/null || lab_failed "site side exited"
        kill -0 "$monitor_shell_pid" 2>/dev/null || lab_failed "Prometheus, Alertmanager or the receiver exited"
        if [ -e "$state/agent.pid" ] && ! kill -0 "$(cat "$state/agent.pid")" 2>/dev/null; then
            lab_failed "the agent exited"
        fi
        [ $SECONDS -lt $deadline ] || lab_failed "FAIL: $what, not within ${timeout}s"
        sleep 0.5
    done
}

wait_until "no scrape from $metrics_url" scrape >/dev/null
wait_until "Alertmanager not ready at $alertmanager_url" ready "$alertmanager_url/-/ready"
wait_until "Prometheus not ready at $prometheus_url" ready "$prometheus_url/-/ready"
wait_until "the receiver did not start" received '^webhook: listening' >/dev/null

# The failover alert's keep_firing_for in the rule file, in seconds (0 when it has none).
grace_seconds() {
    awk '/^[[:space:]]*-[[:space:]]*alert:/ { gsub(/["\047]/, ""); mine = ($NF == "WireGuardTunnelFailover") }
         mine && /^[[:space:]]*keep_firing_for:/ { print $NF; exit }' "$state/wgwatch.rules.yml" |
        tr -d "'\"" | awk '{
            s = 0; d = $0
            while (match(d, /^[0-9]+(ms|s|m|h|d|w|y)/)) {
                n = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
                u = n; sub(/^[0-9]+/, "", u); sub(/[a-z]+$/, "", n)
                s += n * (u == "ms" ? 0.001 : u == "s" ? 1 : u == "m" ? 60 : u == "h" ? 3600 : u == "d" ? 86400 : u == "w" ? 604800 : 31536000)
            }
            printf "%d\n", s
        } END { if (NR == 0) print 0 }'
}
grace=$(grace_seconds)

if [ "$mode" = run ]; then
    cat <<EOF

wgwatch demo lab is running (agent in netns $site_ns, config $state/wgwatch.toml).

  metrics:      $metrics_url
  Prometheus:   $prometheus_url/alerts     (rules: $prometheus_url/rules)
  Alertmanager: $alertmanager_url/
  notifications: printed below as "webhook: <time> <FIRING|RESOLVED> <alert> ..."

  curl -s $metrics_url | grep -E '^wgwatch_tunnel_(handshake_ok|data_plane_ok|healthy)'
  nsenter -t $(cat "$state/agent.pid") -m -n wg show    # what the agent reads (as root)

A silent failure on the primary wg0 (its inner traffic dropped, handshakes go on):

  $0 fault on       # data_plane_ok{device="wg0"} 0, then FIRING WireGuardTunnelFailover wg0 -> wg1
  $0 fault off      # RESOLVED once wg0 has been healthy for the grace period (${grace}s)
  $0 fault status

Handshakes complete within a few seconds; the "branch-offline" peers never handshake.
Press Ctrl-C to stop; everything the lab created is removed.

EOF
    # --pid: the tail ends with this script even after a kill -9.
    tail -q -n +1 -f --pid=$$ "$state/agent.log" "$state/receiver.log" &
    tail_pid=$!
    wait -n "$site_shell_pid" "$monitor_shell_pid" || true
    kill "$tail_pid" 2>/dev/null || true
    show_logs >&2
    die "the lab exited unexpectedly"
fi

# --- check: the whole decide loop ------------------------------------------------------

both_tunnels_up() {
    local body summary
    body=$(scrape || true)
    summary=$(awk '/^wireguard_device_peers_with_recent_handshake\{/ {
                      if (match($0, /device="[^"]*"/)) print substr($0, RSTART + 8, RLENGTH - 9), $NF
                   }' <<<"$body")
    awk '$2 >= 1 { ok[$1] = 1 } END { exit !(ok["wg0"] && ok["wg1"]) }' <<<"$summary" &&
        [ "$(tunnel_value "$body" healthy wg0)" = 1 ] && [ "$(tunnel_value "$body" healthy wg1)" = 1 ]
}
rules_loaded() {
    curl -fsS --max-time 2 "$prometheus_url/api/v1/rules?type=alert" 2>/dev/null |
        grep -q '"name":"WireGuardTunnelFailover"'
}
prometheus_sees_both_healthy() {
    [ "$(query "up{instance=\"${agent_addr}:${agent_port}\"}" | awk '{ print $NF }')" = 1 ] &&
        [ "$(query "wgwatch_tunnel_healthy{instance=\"${agent_addr}:${agent_port}\",group=\"$group\"} == 1" |
            wc -l)" = 2 ]
}
silent_failure_seen() {
    local body
    body=$(scrape || true)
    [ "$(tunnel_value "$body" data_plane_ok wg0)" = 0 ] && [ "$(tunnel_value "$body" handshake_ok wg0)" = 1 ]
}
readonly firing="FIRING WireGuardTunnelFailover group=$group wg0 -> wg1 "
readonly resolved="RESOLVED WireGuardTunnelFailover group=$group wg0 -> wg1 "

wait_until "no recent handshake or no healthy tunnel on wg0 and wg1" both_tunnels_up
say "both tunnels healthy after $((SECONDS - started))s"
wait_until "Prometheus did not load WireGuardTunnelFailover" rules_loaded
wait_until "Prometheus does not scrape the agent (up == 1) with wg0 and wg1 healthy in group $group" \
    prometheus_sees_both_healthy
say "Prometheus scrapes the agent, rules loaded, after $((SECONDS - started))s"

# A failover of a healthy lab would be a false alarm, and would make the wait below pass early:
# after a few rule evaluations on the agent's data the alert must be neither pending nor firing.
sleep 3
if [ -n "$(query 'ALERTS{alertname="WireGuardTunnelFailover"}')" ] || received "WireGuardTunnelFailover" >&2; then
    lab_failed "FAIL: WireGuardTunnelFailover is pending or firing before any fault"
fi
fault on
fault_at=$SECONDS
wait_until "wg0's data plane did not go down (with handshake_ok 1) under the fault" silent_failure_seen
say "silent failure seen after $((SECONDS - fault_at))s: data_plane_ok{device=\"wg0\"} 0, handshake_ok 1"
wait_until "the receiver got no '$firing' notification" received "$firing" >/dev/null
say "failover notified after $((SECONDS - fault_at))s: $(received "$firing" | head -n 1)"

fault off
lifted_at=$SECONDS
# Back to healthy takes a full 10 s window of good rounds, then the grace period, then up to
# Alertmanager's group_interval: 30 s covers the window, scrapes, evaluation and the flush.
if [ $((SECONDS + 10 + grace + 30)) -gt $deadline ]; then
    say "skipped waiting for RESOLVED: the grace period (${grace}s) does not fit in the remaining $((deadline - SECONDS))s of --timeout ${timeout}"
else
    wait_until "the receiver got no '$resolved' notification" received "$resolved" >/dev/null
    say "failback notified $((SECONDS - lifted_at))s after lifting the fault (grace ${grace}s): $(received "$resolved" | head -n 1)"
fi
say "OK: the decide loop works end to end in $((SECONDS - started))s; notifications received:"
sed -n 's/^webhook: /  /p' "$state/receiver.log" | grep -v '^  listening' || true
