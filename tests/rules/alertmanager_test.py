#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# rules.alertmanager: alerts/alertmanager.yml with the real amtool and a real Alertmanager.
#   1. amtool check-config;
#   2. amtool config routes test --verify.receivers for each kind of alert (ROUTES below);
#   3. a running prometheus-alertmanager (127.0.0.1, free port, gossip off, private storage,
#      the webhook URLs pointed at a local receiver): alerts posted to /api/v2/alerts, then
#      /api/v2/alerts must show status.inhibitedBy set to exactly the expected source for each
#      (INHIBITION below): GroupDown mutes the tunnel warnings of its agent and group only,
#      a failover mutes its primary's symptoms only, the failover alert is never muted; and
#      the failover reaches the wgwatch-failover webhook (group_wait 0s), and so does its
#      resolve (send_resolved, the failback signal).
#   4. the same inhibition check against mutated configs (an `equal:` deleted, the failover
#      let into GroupDown's targets, the role matcher deleted) must FAIL, proving it can.
# Exit 77 if a tool is missing (1 under CI=true). Ends only the processes it started.
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "..", "alerts", "alertmanager.yml")
FAILOVER_URL = "http://127.0.0.1:9586/api/v1/failover/alertmanager"
HANG_GUARD = 30  # seconds; only against hangs, never a timing assertion

A = {"job": "wgwatch"}
FAILOVER = dict(A, alertname="WireGuardTunnelFailover", severity="critical", action="failover")

# expected receivers (route order) <- alert labels
ROUTES = [
    ("wgwatch-failover,wgwatch-default",
     dict(FAILOVER, instance="gw1", group="default", device="wg0", role="primary", standby_device="wg1")),
    ("wgwatch-watchdog", {"alertname": "Watchdog", "severity": "info"}),
    ("wgwatch-default", dict(A, alertname="WireGuardTunnelGroupDown", severity="critical", instance="gw1", group="default")),
    ("wgwatch-default", dict(A, alertname="WireGuardStandbyUnhealthy", severity="warning", instance="gw1", group="default", device="wg1", role="standby")),
    ("wgwatch-default", dict(A, alertname="WireGuardMTUBlackHole", severity="warning", instance="gw1", group="default", device="wg0", role="primary", probe="mtu")),
    ("wgwatch-default", dict(A, alertname="WireGuardHandshakeStale", severity="warning", instance="gw1", group="default", device="wg0", role="primary")),
    ("wgwatch-default", dict(A, alertname="WireGuardTunnelInterfaceDown", severity="warning", instance="gw1", group="default", device="wg0", role="primary")),
    ("wgwatch-default", dict(A, alertname="WireGuardProbeLatencyHigh", severity="warning", instance="gw1", group="default", device="wg0", role="primary", probe="gw-icmp")),
    ("wgwatch-default", dict(A, alertname="WireGuardProbeLossHigh", severity="warning", instance="gw1", group="default", device="wg0", role="primary", probe="gw-icmp")),
    ("wgwatch-default", dict(A, alertname="WgwatchAgentDown", severity="critical", instance="gw1")),
    ("wgwatch-default", dict(A, alertname="WgwatchCollectorFailing", severity="warning", instance="gw1", collector="link")),
]


def warn(name, instance, group, device, role, **extra):
    return dict(A, alertname=name, severity="warning", instance=instance, group=group,
                device=device, role=role, **extra)


# key -> (labels, key of the expected inhibiting alert or None)
INHIBITION = {
    # gw1/default: failed over, then the standby died too (GroupDown).
    "gd-gw1": (dict(A, alertname="WireGuardTunnelGroupDown", severity="critical", instance="gw1", group="default"), None),
    "fo-gw1": (dict(FAILOVER, instance="gw1", group="default", device="wg0", role="primary", standby_device="wg1"), None),
    "sb-gw1": (warn("WireGuardStandbyUnhealthy", "gw1", "default", "wg1", "standby"), "gd-gw1"),
    "if-gw1-wg1": (warn("WireGuardTunnelInterfaceDown", "gw1", "default", "wg1", "standby"), "gd-gw1"),
    # the same agent's other group, and another agent's same group: not GroupDown's business
    "hs-gw1-backup": (warn("WireGuardHandshakeStale", "gw1", "backup", "wg3", "primary"), None),
    "hs-gw3": (warn("WireGuardHandshakeStale", "gw3", "default", "wg1", "standby"), None),
    # gw2/default: failed over; the primary's symptoms are muted, the standby's are not
    "fo-gw2": (dict(FAILOVER, instance="gw2", group="default", device="wg0", role="primary", standby_device="wg1"), None),
    "loss-gw2-wg0": (warn("WireGuardProbeLossHigh", "gw2", "default", "wg0", "primary", probe="gw-icmp", kind="icmp", target="10.200.0.2"), "fo-gw2"),
    "hs-gw2-wg0": (warn("WireGuardHandshakeStale", "gw2", "default", "wg0", "primary"), "fo-gw2"),
    "loss-gw2-wg1": (warn("WireGuardProbeLossHigh", "gw2", "default", "wg1", "standby", probe="gw-icmp", kind="icmp", target="10.201.0.2"), None),
    # gw4: a black-holed MTU probe mutes its own loss warning, not another probe's
    "mtu-gw4": (warn("WireGuardMTUBlackHole", "gw4", "default", "wg0", "primary", probe="mtu", kind="icmp", target="10.200.0.2"), None),
    "loss-gw4-mtu": (warn("WireGuardProbeLossHigh", "gw4", "default", "wg0", "primary", probe="mtu", kind="icmp", target="10.200.0.2"), "mtu-gw4"),
    "loss-gw4-small": (warn("WireGuardProbeLossHigh", "gw4", "default", "wg0", "primary", probe="gw-icmp", kind="icmp", target="10.200.0.2"), None),
}

# (what the mutant breaks, old text, new text): the inhibition check must fail on each.
MUTANTS = [
    ("GroupDown inhibition without equal: (across agents and groups)",
     '- equal:\n  - "job"\n  - "instance"\n  - "group"\n  source_matchers:\n  - "alertname=\\"WireGuardTunnelGroupDown\\""',
     '- source_matchers:\n  - "alertname=\\"WireGuardTunnelGroupDown\\""'),
    ("GroupDown inhibits the failover alert too",
     'alertname=~\\"WireGuard(StandbyUnhealthy|',
     'alertname=~\\"WireGuard(TunnelFailover|StandbyUnhealthy|'),
    ("failover inhibition without device in equal: (mutes the standby's symptoms)",
     '  - "group"\n  - "device"\n  source_matchers:\n  - "alertname=\\"WireGuardTunnelFailover\\""',
     '  - "group"\n  source_matchers:\n  - "alertname=\\"WireGuardTunnelFailover\\""'),
]


def skip_or_fail(msg):
    print("rules.alertmanager: " + msg, file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver(http.server.BaseHTTPRequestHandler):
    """Webhook receiver: keeps (path, payload) of every POST."""
    posts = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.posts.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def api(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        text = r.read()
        return json.loads(text) if text else None


def wait_for(what, check):
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    raise AssertionError("gave up waiting for " + what)


def resolve_failover(base):
    """Resolves gw2's failover (endsAt now): the failback notification."""
    labels = INHIBITION["fo-gw2"][0]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    api("POST", base + "/api/v2/alerts", [{"labels": labels, "annotations": {"summary": "fo-gw2"},
                                            "startsAt": now, "endsAt": now}])


def failover_posts(status):
    """Instances of the failover alerts the failover webhook received with `status`."""
    return {a["labels"]["instance"] for path, p in Receiver.posts if path == "/failover"
            for a in p["alerts"] if a["status"] == status}


def check_inhibition(workdir, name, config_text, receiver_port, then=None):
    """Runs one Alertmanager on config_text; returns a list of problems (empty = as expected).
    `then(base)` runs against the same Alertmanager afterwards."""
    path = os.path.join(workdir, name + ".yml")
    with open(path, "w") as f:
        f.write(config_text)
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    log = open(os.path.join(workdir, name + ".log"), "w")
    proc = subprocess.Popen(
        ["prometheus-alertmanager", "--config.file=" + path,
         "--storage.path=" + os.path.join(workdir, name + ".data"),
         "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=",
         "--web.external-url=" + base + "/"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for("Alertmanager ready", lambda: urllib.request.urlopen(base + "/-/ready", timeout=2).status == 200)
        now = time.time()
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        api("POST", base + "/api/v2/alerts",
             [{"labels": labels, "annotations": {"summary": key}, "startsAt": iso(now - 60), "endsAt": iso(now + 600)}
              for key, (labels, _) in INHIBITION.items()])

        def snapshot():
            alerts = api("GET", base + "/api/v2/alerts?" + urllib.parse.urlencode(
                {"active": "true", "silenced": "true", "inhibited": "true", "unprocessed": "true"}))
            if len(alerts) != len(INHIBITION):
                return None
            by_key = {a["annotations"]["summary"]: a for a in alerts}
            # the inhibitor learns about sources asynchronously: wait until every expected
            # inhibition is visible (on a correct config) or give up after a short settle time
            return by_key
        by_key = wait_for("all alerts stored", snapshot)
        settle = time.monotonic() + 2
        while time.monotonic() < settle:
            by_key = snapshot() or by_key
            if all(bool(by_key[k]["status"]["inhibitedBy"]) == (src is not None) for k, (_, src) in INHIBITION.items()):
                break
            time.sleep(0.1)
        fingerprint = {k: a["fingerprint"] for k, a in by_key.items()}
        problems = []
        for key, (_, source) in INHIBITION.items():
            got = sorted(by_key[key]["status"]["inhibitedBy"])
            want = [fingerprint[source]] if source else []
            if source and fingerprint[source] in got:
                continue
            if got != want:
                names = [k for k, f in fingerprint.items() if f in got]
                problems.append("%s: inhibited by %s, expected %s" % (key, names or "nothing", source or "nothing"))
        if then:
            problems += then(base)
        return problems
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main():
    for tool in ("amtool", "prometheus-alertmanager"):
        if shutil.which(tool) is None:
            skip_or_fail("%s not found (apt-get install prometheus-alertmanager)" % tool)
    failures = []

    check = subprocess.run(["amtool", "check-config", CONFIG], capture_output=True, text=True)
    if check.returncode != 0:
        failures.append("amtool check-config:\n" + check.stdout + check.stderr)

    for receivers, labels in ROUTES:
        r = subprocess.run(["amtool", "config", "routes", "test", "--config.file=" + CONFIG,
                            "--verify.receivers=" + receivers] + ["%s=%s" % kv for kv in labels.items()],
                           capture_output=True, text=True)
        if r.returncode != 0:
            failures.append("route of %s: expected %s, got %s" % (labels["alertname"], receivers, r.stdout.strip()))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    rport = server.server_address[1]
    with open(CONFIG) as f:
        original = f.read()
    if FAILOVER_URL not in original:
        failures.append("the failover webhook URL %s is not in the config" % FAILOVER_URL)
    config = (original.replace(FAILOVER_URL, "http://127.0.0.1:%d/failover" % rport)
              .replace("http://127.0.0.1:9999/REPLACE-ME/", "http://127.0.0.1:%d/" % rport))

    workdir = tempfile.mkdtemp(prefix="wgwatch-rules.alertmanager.")
    try:
        def delivery(base):
            """The failover webhook gets both failovers (group_wait 0s), then gw2's resolve
            (send_resolved: the failback signal), and nothing but failovers."""
            try:
                wait_for("both failovers at the wgwatch-failover webhook",
                         lambda: failover_posts("firing") >= {"gw1", "gw2"})
                resolve_failover(base)
                wait_for("gw2's resolve at the wgwatch-failover webhook",
                         lambda: failover_posts("resolved") == {"gw2"})
            except AssertionError as e:
                return [str(e)]
            stray = [a["labels"]["alertname"] for path, p in Receiver.posts if path == "/failover"
                     for a in p["alerts"] if a["labels"].get("action") != "failover"]
            return ["non-failover alerts at the failover webhook: %s" % stray] if stray else []
        problems = check_inhibition(workdir, "bundle", config, rport, then=delivery)
        failures += ["alertmanager: " + p for p in problems]
        for i, (what, old, new) in enumerate(MUTANTS):
            if config.count(old) != 1:
                failures.append("mutant no longer applies (update the test): " + what)
                continue
            if not check_inhibition(workdir, "mutant%d" % i, config.replace(old, new), rport):
                failures.append("the inhibition check passes a broken config: " + what)
            else:
                print("rules.alertmanager: mutant caught: " + what)
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)

    for f in failures:
        print("rules.alertmanager: FAIL: " + f, file=sys.stderr)
    if not failures:
        print("rules.alertmanager: ok (%d routes, %d alerts' inhibition, %d mutants caught)"
              % (len(ROUTES), len(INHIBITION), len(MUTANTS)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
