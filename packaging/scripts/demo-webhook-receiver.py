#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The demo lab's Alertmanager webhook receiver: prints each alert of each notification it gets
# as one line (time, status, alertname, group, device -> standby_device, severity, receiver).
#
#   demo-webhook-receiver.py HOST:PORT
"""Alertmanager webhook receiver for demo-lab.sh (stdlib only)."""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def describe(alert, received, receiver):
    """One line for one alert of an Alertmanager (version 4) webhook payload."""
    labels = alert.get("labels", {})
    where = labels.get("device", "")
    if labels.get("standby_device"):
        where = f"{where or '?'} -> {labels['standby_device']}"
    fields = [
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(received)),
        alert.get("status", "?").upper(),
        labels.get("alertname", "?"),
    ]
    if labels.get("group"):
        fields.append(f"group={labels['group']}")
    if where:
        fields.append(where)
    fields.append(f"severity={labels.get('severity', '?')}")
    fields.append(f"({receiver})")
    return "webhook: " + " ".join(fields)


class Handler(BaseHTTPRequestHandler):
    """Answers GET (readiness) and POST (a notification); logs nothing else."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        received = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
            alerts = payload.get("alerts", [])
            receiver = payload.get("receiver", "?")
        except (ValueError, AttributeError) as err:
            print(f"webhook: unreadable notification on {self.path}: {err}", flush=True)
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        for alert in alerts:
            print(describe(alert, received, receiver), flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


def main():
    if len(sys.argv) != 2 or ":" not in sys.argv[1]:
        sys.exit("usage: demo-webhook-receiver.py HOST:PORT")
    host, port = sys.argv[1].rsplit(":", 1)
    server = HTTPServer((host, int(port)), Handler)
    print(f"webhook: listening on http://{host}:{port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
