#!/usr/bin/env python3
"""Times one push to deployed: sends a signed generic webhook for COMMIT to the daemon, then asks its /metrics every
10 ms until `reconciler_deployed_commit_info` names COMMIT. Prints the milliseconds from sending to seeing it.

`push.py PORT SECRET_FILE COMMIT [TIMEOUT_S]`. One process does both, in-process, so the wait itself loads the
machine as little as possible (a `curl` every 20 ms would take CPU from the deploy it measures). Exits 1 when the
webhook is refused or the commit is not deployed in time."""
import hashlib
import hmac
import http.client
import json
import sys
import time

port, secret_file, commit = int(sys.argv[1]), sys.argv[2], sys.argv[3]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
secret = open(secret_file, "rb").read().strip()
body = json.dumps({"ref": "refs/heads/main", "after": commit}, separators=(",", ":")).encode()
signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
marker = ('reconciler_deployed_commit_info{commit="%s' % commit[:12]).encode()


def request(method, path, payload=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=payload, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


start = time.perf_counter()
status, answer = request(
    "POST", "/hooks/generic", body,
    {"X-Reconciler-Signature": signature, "Content-Type": "application/json"},
)
if status >= 300:
    sys.exit("push: webhook refused (%d): %s" % (status, answer[:200]))
while True:
    try:
        _, metrics = request("GET", "/metrics")
        if marker in metrics:
            break
    except OSError:
        pass
    if time.perf_counter() - start > timeout:
        sys.exit("push: %s not deployed within %.0f s" % (commit[:12], timeout))
    time.sleep(0.01)
print(round((time.perf_counter() - start) * 1000))
