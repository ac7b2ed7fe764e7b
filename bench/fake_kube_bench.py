#!/usr/bin/env python3
"""The fake Kubernetes API server alone: how long a plain client takes to list the bench cluster.

    fake_kube_bench.py [--services 10000] [--endpoints-per-service 5] [--page 500 --page 10000
                       --page 0] [--repeat 3] [--json]

Starts integration/fake_kube's FakeKube on 127.0.0.1 (HTTPS, as in the lab) with the cluster of
bench/sidecar_bench.py: 20 Nodes, N LoadBalancer Services, one EndpointSlice of E endpoints per
Service. A separate Python process (so that it does not share the server's GIL) lists the three
kinds with urllib + json, every page, and prints the time; `--page 0` is one request without
`limit`. Each page size is listed --repeat times; min and max are printed. Also measured: a
list of Services through continue tokens while another thread modifies Services (each page
then has to be served from the list's snapshot, not the current state), and the watch replay of
every EndpointSlice (`watch=1&resourceVersion=0`). Needs no root.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
sys.path.insert(0, HERE)
sys.path.insert(0, INTEGRATION)
sys.path.insert(0, os.path.join(INTEGRATION, "fake_kube"))
import sidecar_bench  # noqa: E402
import sidecar_lab_test as slt  # noqa: E402
from fake_kube import FakeKube  # noqa: E402

CLIENT = r"""
import json, ssl, sys, time, urllib.parse, urllib.request
url, ca, tok, lim, mode = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=ca)
def get(q):
    r = urllib.request.urlopen(urllib.request.Request(
        url + q, headers={'Authorization': 'Bearer ' + tok}), context=ctx)
    return r
t = time.monotonic()
n = 0
if mode == 'list':
    for p in ('/api/v1/nodes', '/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices'):
        c = ''
        while True:
            q = p + ('?limit=' + lim if lim != '0' else '')
            if c:
                q += '&continue=' + urllib.parse.quote(c)
            body = json.loads(get(q).read())
            n += len(body['items'])
            c = body['metadata'].get('continue')
            if not c:
                break
else:  # watch replay: read ADDED events until the given count
    want = int(lim)
    r = get('/apis/discovery.k8s.io/v1/endpointslices?watch=1&resourceVersion=0'
            '&timeoutSeconds=60')
    while n < want:
        line = r.readline()
        if not line:
            break
        if json.loads(line)['type'] == 'ADDED':
            n += 1
    r.close()
print(json.dumps({'seconds': time.monotonic() - t, 'items': n}))
"""


def run_client(fk, page, mode="list"):
    out = subprocess.run([sys.executable, "-c", CLIENT, fk.url, fk.ca_file, fk.token, str(page),
                          mode], capture_output=True, text=True, timeout=600, check=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=10000)
    ap.add_argument("--endpoints-per-service", type=int, default=5)
    ap.add_argument("--page", type=int, action="append",
                    help="limit per list request, 0 for none (repeatable; default 500, 10000, 0)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    pages = a.page or [500, 10000, 0]
    res = {"services": a.services, "endpoints": a.services * a.endpoints_per_service}
    with tempfile.TemporaryDirectory(prefix="fake_kube_bench.") as d:
        fk = FakeKube(os.path.join(d, "state"), "127.0.0.1:0")
        try:
            t = time.monotonic()
            fk.apply(slt.node_obj("node-1", "10.0.0.1", "10.244.1.0/24"))
            for k in range(2, sidecar_bench.NODES + 1):
                fk.apply(slt.node_obj("node-%d" % k, "10.0.1.%d" % k, "10.244.%d.0/24" % k))
            for o in sidecar_bench.build_objects(a.services, a.endpoints_per_service):
                fk.apply(o)
            res["load_s"] = round(time.monotonic() - t, 2)
            fk.start()
            want = sidecar_bench.NODES + 2 * a.services
            for page in pages:
                times = []
                for _ in range(a.repeat):
                    r = run_client(fk, page)
                    if r["items"] != want:
                        raise SystemExit("listed %d objects, want %d" % (r["items"], want))
                    times.append(r["seconds"])
                res["list_page_%d_s" % page] = [round(min(times), 3), round(max(times), 3)]

            # Paging while Services change: every page after the first is served from the
            # first page's snapshot.
            stop = threading.Event()
            writes = [0]

            def writer():
                i = 0
                while not stop.is_set():
                    svc = slt.lb_service("churn-%d" % (i % 50), "100.126.0.%d" % (i % 50 + 1))
                    svc["metadata"].setdefault("labels", {})["gen"] = str(i)
                    fk.apply(svc)
                    writes[0] += 1
                    i += 1
                    time.sleep(0.002)
            th = threading.Thread(target=writer, daemon=True)
            th.start()
            try:
                times = []
                for _ in range(a.repeat):
                    r = run_client(fk, 500)
                    times.append(r["seconds"])
            finally:
                stop.set()
                th.join()
            res["list_page_500_while_writing_s"] = [round(min(times), 3), round(max(times), 3)]
            res["writes_during_lists"] = writes[0]

            times = []
            for _ in range(a.repeat):
                r = run_client(fk, a.services, mode="watch")
                if r["items"] != a.services:
                    raise SystemExit("watch replayed %d slices, want %d" % (r["items"],
                                                                            a.services))
                times.append(r["seconds"])
            res["watch_replay_slices_s"] = [round(min(times), 3), round(max(times), 3)]
        finally:
            fk.stop()
    res["loadavg"] = open("/proc/loadavg").read().split()[:3]
    if a.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print("%-34s %s" % (k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
