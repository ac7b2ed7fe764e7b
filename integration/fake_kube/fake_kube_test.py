#!/usr/bin/env python3
"""Checks fake_kube against the Kubernetes API documentation and recorded responses
(testdata/k8s/, see its README): list + watch, resourceVersion order, limit/continue chunks,
bookmarks, 410 Gone (watch ERROR event and HTTP 410 for an expired continue token),
drop_watches, stop/restart, 401, selectors; and with curl, that a standard HTTP client sees TLS
with the CA and valid chunked streams. Talks only to 127.0.0.1; needs no root.

Run: python3 integration/fake_kube/fake_kube_test.py [-v]
"""

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TESTDATA = os.path.join(ROOT, "testdata", "k8s")
SCENARIO = os.path.join(HERE, "scenarios", "lab.yaml")
sys.path.insert(0, HERE)

from fake_kube import FakeKube  # noqa: E402

RV_RE = re.compile(r"^[1-9][0-9]*$")


def doc(name):
    with open(os.path.join(TESTDATA, name), encoding="utf-8") as fh:
        return json.load(fh)


def wait_for(what, fn, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - reported on timeout
            last = e
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def read_file(path):
    """The stripped text of a file, None while it does not exist."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    except FileNotFoundError:
        return None


def node(name, ip, labels=None, pod_cidr="10.244.9.0/24"):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


class Client:
    """A plain http.client client with TLS verified against the fake's CA."""

    def __init__(self, fk, token=None):
        self.fk = fk
        self.token = fk.token if token is None else token
        self.ctx = ssl.create_default_context(cafile=fk.ca_file)

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.fk.port, context=self.ctx,
                                           timeout=timeout)

    def request(self, method, path, body=None, token=None, headers=None):
        c = self.conn()
        h = dict(headers or {})
        tok = self.token if token is None else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        ctype = r.getheader("Content-Type", "")
        parsed = json.loads(data) if ctype.startswith("application/json") else data.decode()
        return r.status, r, parsed

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def watch(self, path, token=None):
        return RawWatch(self.fk.port, self.ctx, path, self.token if token is None else token)


class RawWatch:
    """A watch read at the chunk level over a raw TLS socket, so the tests see exactly how the
    stream ends: a final zero-length chunk ("end") or the connection cut ("eof")."""

    def __init__(self, port, ctx, path, token):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n" \
              "Accept: application/json\r\n\r\n" % (path, port, token)
        self.sock.sendall(req.encode())
        self.f = self.sock.makefile("rb")
        status_line = self.f.readline().decode()
        self.status = int(status_line.split()[1])
        self.headers = {}
        while True:
            line = self.f.readline().decode().strip()
            if not line:
                break
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunks = []

    def next(self, timeout=5.0):
        """("event", dict) for one chunk, ("end", None) for the final chunk, ("eof", None) when
        the connection ends without it."""
        self.sock.settimeout(timeout)
        try:
            line = self.f.readline()
        except (ssl.SSLError, ConnectionError):
            return "eof", None
        if not line:
            return "eof", None
        size = int(line.strip(), 16)
        data = self.f.read(size)
        crlf = self.f.read(2)
        if size == 0:
            assert crlf == b"\r\n", crlf
            return "end", None
        assert crlf == b"\r\n", "chunk not terminated by CRLF: %r" % crlf
        assert data.endswith(b"\n") and data.count(b"\n") == 1, \
            "a chunk must hold exactly one JSON line: %r" % data
        self.chunks.append(data)
        return "event", json.loads(data)

    def events_until(self, pred, timeout=10.0):
        """Reads events until pred(event) is true; returns the events read."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no matching event; got %r" % out)
            kind, ev = self.next(left)
            if kind != "event":
                raise AssertionError("stream ended (%s) after %r" % (kind, out))
            out.append(ev)
            if pred(ev):
                return out

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def key_set(d):
    return set(d.keys())


CERT_FILES = ("ca.crt", "ca.key", "server.crt", "server.key", "server.sans")


class FakeKubeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Certificates are made once (openssl RSA keys take a while) and copied into each test's
        # state dir, which fake_kube reuses; every test still gets its own token.
        cls.certs = tempfile.mkdtemp(prefix="fake_kube_certs.")
        fk = FakeKube(cls.certs, "127.0.0.1:0")
        fk.start()
        fk.stop()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fake_kube_test.")
        for f in CERT_FILES:
            shutil.copy(os.path.join(self.certs, f), self.dir)
        self.fk = FakeKube(self.dir, "127.0.0.1:0", scenarios=[SCENARIO])
        self.fk.start()
        self.c = Client(self.fk)
        self.watches = []

    def tearDown(self):
        for w in self.watches:
            w.close()
        self.fk.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def watch(self, path, **kw):
        w = self.c.watch(path, **kw)
        self.watches.append(w)
        return w

    # --- list

    def test_list_matches_documented_collection(self):
        ref = doc("list_then_watch.json")["list_response"]
        st, resp, body = self.c.get("/api/v1/nodes")
        self.assertEqual(st, ref["status"])
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        self.assertEqual(key_set(body), key_set(ref["body"]))
        self.assertEqual(body["kind"], "NodeList")
        self.assertEqual(body["apiVersion"], ref["body"]["apiVersion"])
        self.assertEqual(key_set(body["metadata"]), key_set(ref["body"]["metadata"]))
        self.assertRegex(body["metadata"]["resourceVersion"], RV_RE)
        self.assertEqual([i["metadata"]["name"] for i in body["items"]],
                         ["node-1", "node-2", "node-3"])
        sref = doc("service_list.json")
        st, _, svcs = self.c.get("/api/v1/services")
        self.assertEqual((st, svcs["kind"], svcs["apiVersion"]),
                         (sref["status"], sref["body"]["kind"], sref["body"]["apiVersion"]))
        for item in svcs["items"]:
            # a typed list's items carry no kind/apiVersion, only metadata, spec, status
            self.assertNotIn("kind", item)
            self.assertTrue(key_set(sref["body"]["items"][0]) <= key_set(item))
            for f in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp",
                      "generation"):
                self.assertIn(f, item["metadata"])
        st, _, es = self.c.get("/apis/discovery.k8s.io/v1/endpointslices")
        self.assertEqual((st, es["kind"], es["apiVersion"]),
                         (200, "EndpointSliceList", "discovery.k8s.io/v1"))
        self.assertEqual(len(es["items"]), 3)

    def test_one_global_resource_version(self):
        rvs = []
        rvs.append(int(self.fk.apply(node("node-9", "10.0.0.19"))["metadata"]["resourceVersion"]))
        svc = self.fk.objects("Service")[0]
        svc["metadata"].setdefault("labels", {})["touched"] = "yes"
        rvs.append(int(self.fk.apply(svc)["metadata"]["resourceVersion"]))
        rvs.append(int(self.fk.delete("EndpointSlice", "default", "api-fghij")["metadata"]
                       ["resourceVersion"]))
        self.assertEqual(rvs, sorted(rvs))
        self.assertEqual(len(set(rvs)), 3)
        lists = [self.c.get(p)[2]["metadata"]["resourceVersion"] for p in
                 ("/api/v1/nodes", "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices")]
        self.assertEqual(lists, [str(rvs[-1])] * 3)  # every kind's list is at the global RV
        all_rvs = [int(o["metadata"]["resourceVersion"]) for k in ("Node", "Service",
                   "EndpointSlice") for o in self.fk.objects(k)]
        self.assertEqual(len(all_rvs), len(set(all_rvs)), "each write has its own RV")

    def test_server_sets_metadata(self):
        n = self.fk.objects("Node")[0]
        uid, created, gen = (n["metadata"]["uid"], n["metadata"]["creationTimestamp"],
                             n["metadata"]["generation"])
        rv0 = self.fk.resource_version
        same = self.fk.apply(n)  # no change: nothing written, as the apiserver does
        self.assertEqual(same["metadata"]["resourceVersion"], n["metadata"]["resourceVersion"])
        self.assertEqual(self.fk.resource_version, rv0)
        n["status"]["addresses"][0]["address"] = "10.0.0.99"
        n2 = self.fk.apply(n)
        self.assertEqual((n2["metadata"]["uid"], n2["metadata"]["creationTimestamp"],
                          n2["metadata"]["generation"]), (uid, created, gen))  # status only
        n2["spec"]["podCIDR"] = "10.244.99.0/24"
        n3 = self.fk.apply(n2)
        self.assertEqual(n3["metadata"]["generation"], gen + 1)
        self.assertEqual(int(n3["metadata"]["resourceVersion"]), rv0 + 2)
        self.assertRegex(created, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_get_and_not_found(self):
        st, _, n = self.c.get("/api/v1/nodes/node-2")
        self.assertEqual((st, n["kind"], n["apiVersion"], n["metadata"]["name"]),
                         (200, "Node", "v1", "node-2"))
        st, _, s = self.c.get("/api/v1/namespaces/kube-system/services/dns-ext")
        self.assertEqual((st, s["kind"], s["spec"]["externalIPs"]), (200, "Service",
                                                                      ["198.51.100.53"]))
        st, _, e = self.c.get(
            "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-abcde")
        self.assertEqual((st, e["kind"], e["endpoints"][0]["nodeName"]),
                         (200, "EndpointSlice", "node-1"))
        ref = doc("status_404_not_found.json")
        st, resp, body = self.c.get("/api/v1/namespaces/default/services/grafana")
        self.assertEqual(st, ref["status"])
        self.assertEqual(resp.getheader("Content-Type"), ref["headers"]["Content-Type"])
        self.assertEqual(key_set(body), key_set(ref["body"]))
        for f in ("kind", "apiVersion", "metadata", "status", "reason", "code"):
            self.assertEqual(body[f], ref["body"][f], f)
        self.assertEqual(body["message"], 'services "grafana" not found')
        self.assertEqual(body["details"], {"name": "grafana", "kind": "services"})
        st, _, body = self.c.get("/api/v1/namespaces/default/pods")
        self.assertEqual((st, body["reason"]), (404, "NotFound"))

    def test_namespaced_paths_and_discovery(self):
        st, _, body = self.c.get("/api/v1/namespaces/default/services")
        self.assertEqual(sorted(i["metadata"]["name"] for i in body["items"]),
                         ["api", "db", "web"])
        st, _, body = self.c.get("/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices")
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["dns-ext-klmno"])
        st, _, v = self.c.get("/version")
        self.assertEqual((st, v["major"]), (200, "1"))
        self.assertEqual(self.c.get("/api")[2]["versions"], ["v1"])
        groups = self.c.get("/apis")[2]
        self.assertEqual(groups["kind"], "APIGroupList")
        self.assertEqual(groups["groups"][0]["preferredVersion"]["groupVersion"],
                         "discovery.k8s.io/v1")
        res = self.c.get("/api/v1")[2]
        self.assertEqual(sorted(r["name"] for r in res["resources"]), ["nodes", "services"])
        res = self.c.get("/apis/discovery.k8s.io/v1")[2]
        self.assertEqual([r["kind"] for r in res["resources"]], ["EndpointSlice"])
        for p in ("/healthz", "/readyz"):
            st, _, text = self.c.get(p)
            self.assertEqual((st, text), (200, "ok"))

    # --- chunks

    def test_limit_continue_consistent_snapshot(self):
        for i in range(4, 8):
            self.fk.apply(node("node-%d" % i, "10.0.0.%d" % (10 + i)))
        ref = doc("list_chunks.json")["responses"]
        st, _, c1 = self.c.get("/api/v1/nodes?limit=3")
        self.assertEqual(st, ref[0]["status"])
        self.assertEqual(key_set(c1["metadata"]), key_set(ref[0]["body"]["metadata"]))
        self.assertEqual(c1["metadata"]["remainingItemCount"], 4)
        rv = c1["metadata"]["resourceVersion"]
        # changes after the first chunk are not seen by the continuation
        self.fk.delete("Node", None, "node-5")
        self.fk.apply(node("node-50", "10.0.0.50"))
        changed = self.fk.objects("Node")[-1]
        changed["metadata"]["labels"] = {"late": "yes"}
        self.fk.apply(changed)
        q = urllib.parse.quote(c1["metadata"]["continue"])
        st, _, c2 = self.c.get("/api/v1/nodes?limit=3&continue=" + q)
        self.assertEqual(st, ref[1]["status"])
        self.assertEqual(key_set(c2["metadata"]), key_set(ref[1]["body"]["metadata"]))
        self.assertEqual((c2["metadata"]["resourceVersion"],
                          c2["metadata"]["remainingItemCount"]), (rv, 1))
        q = urllib.parse.quote(c2["metadata"]["continue"])
        st, _, c3 = self.c.get("/api/v1/nodes?limit=3&continue=" + q)
        self.assertEqual(st, ref[2]["status"])
        self.assertEqual(key_set(c3["metadata"]), key_set(ref[2]["body"]["metadata"]))
        self.assertEqual(c3["metadata"]["resourceVersion"], rv)
        names = [i["metadata"]["name"] for c in (c1, c2, c3) for i in c["items"]]
        self.assertEqual(names, ["node-%d" % i for i in range(1, 8)])
        # the snapshot holds node-5 (deleted later) and not node-50 (created later)
        self.assertIn("node-5", names)
        self.assertNotIn("node-50", names)
        # a fresh list sees the changes
        st, _, now = self.c.get("/api/v1/nodes")
        self.assertIn("node-50", [i["metadata"]["name"] for i in now["items"]])
        # an explicit resourceVersion with limit is an exact read of that snapshot
        st, _, exact = self.c.get("/api/v1/nodes?limit=10&resourceVersion=" + rv)
        self.assertEqual([i["metadata"]["name"] for i in exact["items"]],
                         ["node-%d" % i for i in range(1, 8)])
        # continue with a resourceVersion is a 400, as documented
        st, _, bad = self.c.get("/api/v1/nodes?limit=3&resourceVersion=5&continue=" + q)
        self.assertEqual((st, bad["reason"]), (400, "BadRequest"))
        st, _, bad = self.c.get("/api/v1/nodes?limit=3&continue=garbage")
        self.assertEqual((st, bad["reason"]), (400, "BadRequest"))

    def test_many_pages_while_objects_change(self):
        """Lists of hundreds of Services in small pages while Services are added, modified and
        deleted between the pages: every page comes from the first page's snapshot (objects as
        they were then, in key order, with the right remainingItemCount), for the whole
        collection, one namespace and a label selector; a watch from the snapshot's
        resourceVersion replays every change in order; a watch from 0 gives every object."""
        rng = random.Random(7)
        namespaces = ("alpha", "default", "kube-system", "zeta")

        def svc(ns, name, gen):
            return {"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": name, "namespace": ns,
                                 "labels": {"tier": "web" if gen % 3 else "db",
                                            "gen": str(gen)}},
                    "spec": {"type": "ClusterIP", "ports": [{"port": 80 + gen % 7}]}}

        names = []
        for i in range(300):
            ns = namespaces[i % len(namespaces)]
            names.append((ns, "svc-%03d" % rng.randrange(1000)))
            self.fk.apply(svc(ns, names[-1][1], i))

        def item(o):
            return {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}

        def key(o):
            return o["metadata"]["namespace"] + "/" + o["metadata"]["name"]

        def churn(step):
            for _ in range(rng.randrange(1, 6)):
                ns, name = rng.choice(names)
                r = rng.random()
                if r < 0.3:
                    try:
                        self.fk.delete("Service", ns, name)
                    except Exception:  # noqa: BLE001 - deleted already
                        pass
                elif r < 0.6:  # a new object, anywhere in the key order
                    n = (rng.choice(namespaces), "svc-%03d-new%d" % (rng.randrange(1000), step))
                    names.append(n)
                    self.fk.apply(svc(n[0], n[1], 1000 + step))
                else:
                    self.fk.apply(svc(ns, name, 2000 + step))

        cases = (("/api/v1/services", lambda o: True, True, (13, 50)),
                 ("/api/v1/namespaces/kube-system/services",
                  lambda o: o["metadata"]["namespace"] == "kube-system", True, (1, 9)),
                 ("/api/v1/services?labelSelector=tier%3Dweb",
                  lambda o: o["metadata"].get("labels", {}).get("tier") == "web", False, (11,)))
        for path, want_fn, counted, limits in cases:
            for limit in limits:
                sep = "&" if "?" in path else "?"
                first_rv = str(self.fk.resource_version)
                snapshot = sorted((item(o) for o in self.fk.objects("Service") if want_fn(o)),
                                  key=key)
                got, cont, step = [], "", 0
                while True:
                    q = "%s%slimit=%d" % (path, sep, limit)
                    if cont:
                        q += "&continue=" + urllib.parse.quote(cont)
                    st, _, body = self.c.get(q)
                    self.assertEqual(st, 200, body)
                    self.assertEqual(body["metadata"]["resourceVersion"], first_rv)
                    got.extend(body["items"])
                    cont = body["metadata"].get("continue", "")
                    if counted and cont:
                        self.assertEqual(body["metadata"]["remainingItemCount"],
                                         len(snapshot) - len(got), (path, limit, len(got)))
                    else:
                        self.assertNotIn("remainingItemCount", body["metadata"])
                    self.assertEqual(bool(cont), len(got) < len(snapshot), (path, limit))
                    if not cont:
                        break
                    step += 1
                    churn(step)
                self.assertEqual(got, snapshot, (path, limit))
                self.assertGreater(self.fk.resource_version, int(first_rv))
                # the same snapshot as an exact read, in one page
                st, _, exact = self.c.get("%s%slimit=100000&resourceVersion=%s"
                                          % (path, sep, first_rv))
                self.assertEqual(exact["items"], snapshot)

        # a watch from an old resourceVersion replays the history after it, in order
        rv0 = int(first_rv)
        churn(10000)
        want = [e for e in self.fk.store.events_after(rv0) if e.kind == "Service"]
        w = self.watch("/api/v1/services?watch=1&resourceVersion=%d" % rv0)
        evs = [w.next()[1] for _ in want]
        self.assertEqual([(e["type"], e["object"]["metadata"]["resourceVersion"]) for e in evs],
                         [(e.type, str(e.rv)) for e in want])
        # a watch from 0 gives every current object as ADDED, as stored
        current = self.fk.objects("Service")
        w = self.watch("/api/v1/services?watch=1&resourceVersion=0")
        evs = [w.next()[1] for _ in current]
        self.assertEqual({e["type"] for e in evs}, {"ADDED"})
        self.assertEqual(sorted((e["object"] for e in evs), key=key), sorted(current, key=key))

    def test_expired_continue_is_410_with_inconsistent_token(self):
        ref = doc("list_continue_410_expired.json")
        st, _, c1 = self.c.get("/api/v1/nodes?limit=1")
        self.fk.apply(node("node-4", "10.0.0.14"))
        self.fk.compact()
        q = urllib.parse.quote(c1["metadata"]["continue"])
        st, resp, body = self.c.get("/api/v1/nodes?limit=1&continue=" + q)
        self.assertEqual(st, ref["status"])
        self.assertEqual(key_set(body), key_set(ref["body"]))
        for f in ("kind", "apiVersion", "status", "message", "reason", "code"):
            self.assertEqual(body[f], ref["body"][f], f)
        self.assertEqual(key_set(body["metadata"]), {"continue"})
        token = body["metadata"]["continue"]
        self.assertTrue(token)
        # the inconsistent token continues the list at the latest state
        st, _, rest = self.c.get("/api/v1/nodes?limit=10&continue=" + urllib.parse.quote(token))
        self.assertEqual(st, 200)
        self.assertEqual([i["metadata"]["name"] for i in rest["items"]],
                         ["node-2", "node-3", "node-4"])
        # an exact list at a compacted resourceVersion is 410 too
        st, _, body = self.c.get("/api/v1/nodes?limit=10&resourceVersion="
                                 + c1["metadata"]["resourceVersion"])
        self.assertEqual((st, body["reason"]), (410, "Expired"))

    # --- watch

    def test_list_then_watch_as_documented(self):
        ref = doc("list_then_watch.json")["watch_response"]
        rv = self.c.get("/api/v1/services")[2]["metadata"]["resourceVersion"]
        self.fk.apply({"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": "new", "namespace": "default"},
                       "spec": {"type": "ClusterIP", "clusterIP": "10.96.1.1"}})
        web = [s for s in self.fk.objects("Service") if s["metadata"]["name"] == "web"][0]
        web["status"]["loadBalancer"]["ingress"] = [{"ip": "192.0.2.11"}]
        self.fk.apply(web)
        w = self.watch("/api/v1/services?watch=1&resourceVersion=" + rv)
        self.assertEqual(w.status, ref["status"])
        for h, v in ref["headers"].items():
            self.assertEqual(w.headers.get(h.lower()), v, h)
        evs = w.events_until(lambda e: e["type"] == "MODIFIED")
        self.assertEqual([e["type"] for e in evs], [e["type"] for e in ref["events"]])
        for got, want in zip(evs, ref["events"]):
            self.assertEqual(key_set(got), key_set(want))
            self.assertTrue(key_set(want["object"]) <= key_set(got["object"]))
            self.assertEqual((got["object"]["kind"], got["object"]["apiVersion"]),
                             ("Service", "v1"))
        self.assertEqual(evs[0]["object"]["metadata"]["name"], "new")
        self.assertEqual(evs[1]["object"]["status"]["loadBalancer"]["ingress"][0]["ip"],
                         "192.0.2.11")
        # live events follow, resourceVersions increase
        self.fk.delete("Service", "default", "new")
        ev = w.events_until(lambda e: True)[0]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("DELETED", "new"))
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs + [ev]]
        self.assertEqual(rvs, sorted(rvs))
        self.assertGreater(rvs[0], int(rv))
        self.assertEqual(rvs[-1], self.fk.resource_version)
        # other kinds' events are not in this stream
        self.fk.apply(node("node-4", "10.0.0.14"))
        self.fk.apply({"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": "marker", "namespace": "default"}, "spec": {}})
        ev = w.events_until(lambda e: True)[0]
        self.assertEqual(ev["object"]["metadata"]["name"], "marker")

    def test_watch_without_rv_starts_with_synthetic_added(self):
        w = self.watch("/api/v1/nodes?watch=true")
        evs = [w.next()[1] for _ in range(3)]
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                         [("ADDED", "node-1"), ("ADDED", "node-2"), ("ADDED", "node-3")])
        self.fk.delete("Node", None, "node-2")
        kind, ev = w.next()
        self.assertEqual((kind, ev["type"], ev["object"]["metadata"]["name"]),
                         ("event", "DELETED", "node-2"))

    def test_bookmarks(self):
        ref = doc("watch_bookmark.json")["watch_response"]["events"][1]
        self.fk.set_bookmark_interval(0.3)
        rv = str(self.fk.resource_version)
        w = self.watch("/api/v1/nodes?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv)
        # a write of another kind moves the global RV; the bookmark reports it
        self.fk.apply({"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": "other", "namespace": "default"}, "spec": {}})
        want = str(self.fk.resource_version)
        evs = w.events_until(lambda e: e["type"] == "BOOKMARK")
        bm = evs[-1]
        self.assertEqual(len(evs), 1, "no Node events, only the bookmark")
        self.assertEqual(key_set(bm), key_set(ref))
        self.assertEqual(key_set(bm["object"]), key_set(ref["object"]))
        self.assertEqual(key_set(bm["object"]["metadata"]), key_set(ref["object"]["metadata"]))
        self.assertEqual((bm["object"]["kind"], bm["object"]["apiVersion"]), ("Node", "v1"))
        self.assertEqual(bm["object"]["metadata"]["resourceVersion"], want)
        # resuming from the bookmark's RV replays nothing and works
        w2 = self.watch("/api/v1/nodes?watch=1&timeoutSeconds=1&resourceVersion=" + want)
        self.assertEqual(w2.next(3)[0], "end")
        # without allowWatchBookmarks there are none
        w3 = self.watch("/api/v1/nodes?watch=1&timeoutSeconds=1&resourceVersion=" + want)
        self.assertEqual(w3.next(3)[0], "end")

    def test_timeout_seconds_ends_stream_with_final_chunk(self):
        rv = str(self.fk.resource_version)
        t0 = time.monotonic()
        w = self.watch("/apis/discovery.k8s.io/v1/endpointslices?watch=1&timeoutSeconds=1"
                       "&resourceVersion=" + rv)
        self.assertEqual(w.next(5), ("end", None))
        took = time.monotonic() - t0
        self.assertTrue(0.9 <= took < 5.0, took)

    def test_watch_expired_rv_is_error_event_410(self):
        ref = doc("watch_error_410_expired.json")
        old = self.fk.resource_version
        self.fk.apply(node("node-4", "10.0.0.14"))
        now = self.fk.compact()
        w = self.watch("/api/v1/nodes?watch=1&resourceVersion=%d" % old)
        self.assertEqual(w.status, ref["status"])
        kind, ev = w.next()
        self.assertEqual(kind, "event")
        self.assertEqual(key_set(ev), key_set(ref["event"]))
        self.assertEqual(ev["type"], "ERROR")
        self.assertEqual(key_set(ev["object"]), key_set(ref["event"]["object"]))
        for f in ("kind", "apiVersion", "metadata", "status", "reason", "code"):
            self.assertEqual(ev["object"][f], ref["event"]["object"][f], f)
        pat = "^" + re.escape(ref["message_format"]).replace("%d", r"(\d+)") + "$"
        self.assertRegex(ref["event"]["object"]["message"], pat)  # the pattern fits the record
        m = re.match(pat, ev["object"]["message"])
        self.assertIsNotNone(m, ev["object"]["message"])
        self.assertEqual((int(m.group(1)), int(m.group(2))), (old, now))
        self.assertEqual(w.next(), ("end", None))  # then the stream ends
        # a relist gives an RV that can be watched from
        rv = self.c.get("/api/v1/nodes")[2]["metadata"]["resourceVersion"]
        w2 = self.watch("/api/v1/nodes?watch=1&resourceVersion=" + rv)
        self.fk.delete("Node", None, "node-4")
        self.assertEqual(w2.next()[1]["type"], "DELETED")

    def test_history_limit_expires_old_rvs(self):
        fk = FakeKube(os.path.join(self.dir, "small"), "127.0.0.1:0", history_limit=3)
        old = fk.resource_version
        for i in range(5):
            fk.apply(node("n%d" % i, "10.1.0.%d" % i))
        with fk:
            c = Client(fk)
            w = c.watch("/api/v1/nodes?watch=1&resourceVersion=%d" % old)
            self.watches.append(w)
            ev = w.next()[1]
            self.assertEqual((ev["type"], ev["object"]["code"]), ("ERROR", 410))
            w2 = c.watch("/api/v1/nodes?watch=1&resourceVersion=%d" % (old + 2))
            self.watches.append(w2)
            names = [w2.next()[1]["object"]["metadata"]["name"] for _ in range(3)]
            self.assertEqual(names, ["n2", "n3", "n4"])

    def test_drop_watches_cuts_streams_without_final_chunk(self):
        rv = str(self.fk.resource_version)
        w1 = self.watch("/api/v1/nodes?watch=1&resourceVersion=" + rv)
        w2 = self.watch("/api/v1/services?watch=1&resourceVersion=" + rv)
        wait_for("2 watches", lambda: self.fk.active_watches() == 2)
        self.assertEqual(self.fk.drop_watches(), 2)
        self.assertEqual(w1.next()[0], "eof")
        self.assertEqual(w2.next()[0], "eof")
        self.fk.apply(node("node-4", "10.0.0.14"))
        # the client resumes from its last RV and gets what it missed
        w3 = self.watch("/api/v1/nodes?watch=1&resourceVersion=" + rv)
        ev = w3.next()[1]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "node-4"))

    def test_stop_and_restart_same_port_ca_token(self):
        port, token = self.fk.port, self.fk.token
        with open(self.fk.ca_file) as fh:
            ca = fh.read()
        rv = str(self.fk.resource_version)
        w = self.watch("/api/v1/nodes?watch=1&resourceVersion=" + rv)
        wait_for("watch", lambda: self.fk.active_watches() == 1)
        keepalive = self.c.conn()
        keepalive.request("GET", "/healthz")
        keepalive.getresponse().read()
        self.fk.stop()
        self.assertEqual(w.next()[0], "eof")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        with self.assertRaises((OSError, http.client.HTTPException)):
            keepalive.request("GET", "/healthz")  # the idle connection was closed too
            keepalive.getresponse().read()
        keepalive.close()
        self.fk.apply(node("node-4", "10.0.0.14"))  # changes while the API is down
        self.fk.restart()
        self.assertEqual((self.fk.port, self.fk.token), (port, token))
        with open(self.fk.ca_file) as fh:
            self.assertEqual(fh.read(), ca)
        w2 = self.watch("/api/v1/nodes?watch=1&resourceVersion=" + rv)
        ev = w2.next()[1]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "node-4"))
        self.fk.stop()
        self.fk.resume()
        self.assertEqual(self.c.get("/api/v1/nodes/node-4")[0], 200)

    # --- auth

    def test_auth(self):
        ref = doc("status_401_unauthorized.json")
        for tok in ("", "wrong"):  # no Authorization header, a wrong token
            st, _, body = self.c.get("/api/v1/nodes", token=tok)
            self.assertEqual(st, ref["status"])
            self.assertEqual(body, ref["body"])
        st, _, body = self.c.get("/api/v1/nodes?watch=1", token="wrong")
        self.assertEqual(st, 401)
        st, _, body = self.c.request("POST", "/_fake/compact", token="wrong")
        self.assertEqual(st, 401)
        c = self.c.conn()
        c.request("GET", "/healthz")  # anonymous health checks are allowed
        self.assertEqual(c.getresponse().status, 200)
        c.close()
        self.assertEqual(self.c.get("/healthz", token="wrong")[0], 401)

    def test_rotate_token(self):
        old = self.fk.token
        new = self.fk.rotate_token(grace=0.5)
        with open(self.fk.token_file) as fh:
            self.assertEqual(fh.read().strip(), new)
        with open(self.fk.kubeconfig) as fh:
            self.assertEqual(yaml.safe_load(fh)["users"][0]["user"]["token"], new)
        self.assertEqual(self.c.get("/api/v1/nodes", token=old)[0], 200)
        self.assertEqual(self.c.get("/api/v1/nodes", token=new)[0], 200)
        wait_for("old token refused", lambda: self.c.get("/api/v1/nodes", token=old)[0] == 401)
        self.assertEqual(self.c.get("/api/v1/nodes", token=new)[0], 200)

    # --- selectors

    def test_selectors(self):
        st, _, body = self.c.get("/apis/discovery.k8s.io/v1/endpointslices?labelSelector="
                                 + urllib.parse.quote("kubernetes.io/service-name=web"))
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["web-abcde"])
        sel = urllib.parse.quote("kubernetes.io/service-name in (api,dns-ext)")
        st, _, body = self.c.get("/apis/discovery.k8s.io/v1/endpointslices?labelSelector=" + sel)
        self.assertEqual(sorted(i["metadata"]["name"] for i in body["items"]),
                         ["api-fghij", "dns-ext-klmno"])
        st, _, body = self.c.get("/api/v1/services?labelSelector="
                                 + urllib.parse.quote("app,app!=web"))
        self.assertEqual(sorted(i["metadata"]["name"] for i in body["items"]), ["api", "dns-ext"])
        st, _, body = self.c.get("/api/v1/nodes?fieldSelector=metadata.name%3Dnode-2")
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["node-2"])
        st, _, body = self.c.get("/api/v1/services?fieldSelector=metadata.namespace%3Dkube-system")
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], ["dns-ext"])
        st, _, body = self.c.get("/api/v1/nodes?fieldSelector=spec.bogus%3Dx")
        self.assertEqual((st, body["reason"], body["message"]),
                         (400, "BadRequest", "field label not supported: spec.bogus"))
        st, _, body = self.c.get("/api/v1/nodes?labelSelector=%3D%3Dbad")
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))
        # with selectors, chunks carry no remainingItemCount
        st, _, body = self.c.get("/api/v1/services?limit=1&labelSelector=app")
        self.assertIn("continue", body["metadata"])
        self.assertNotIn("remainingItemCount", body["metadata"])

    def test_watch_with_label_selector_sees_enter_and_leave(self):
        sel = urllib.parse.quote("kubernetes.io/service-name=web")
        rv = str(self.fk.resource_version)
        w = self.watch("/apis/discovery.k8s.io/v1/endpointslices?watch=1&resourceVersion=%s"
                       "&labelSelector=%s" % (rv, sel))
        api = [e for e in self.fk.objects("EndpointSlice")
               if e["metadata"]["name"] == "api-fghij"][0]
        api["metadata"]["labels"]["kubernetes.io/service-name"] = "web"
        self.fk.apply(api)
        ev = w.next()[1]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "api-fghij"))
        web = [e for e in self.fk.objects("EndpointSlice")
               if e["metadata"]["name"] == "web-abcde"][0]
        web["endpoints"][1]["conditions"]["ready"] = True
        self.fk.apply(web)
        ev = w.next()[1]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("MODIFIED", "web-abcde"))
        api["metadata"]["labels"]["kubernetes.io/service-name"] = "api"
        self.fk.apply(api)
        ev = w.next()[1]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("DELETED", "api-fghij"))
        self.assertEqual(ev["object"]["metadata"]["resourceVersion"],
                         str(self.fk.resource_version))
        # a watch on one object's path
        w2 = self.watch("/api/v1/namespaces/default/services/web?watch=1&resourceVersion=%d"
                        % self.fk.resource_version)
        self.fk.delete("Service", "default", "api")
        self.fk.delete("Service", "default", "web")
        ev = w2.next()[1]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("DELETED", "web"))

    # --- control over HTTP, input errors, scenario

    def test_http_control(self):
        text = ("apiVersion: v1\nkind: Node\nmetadata: {name: node-8}\n---\n"
                "apiVersion: v1\nkind: NodeList\nitems:\n- metadata: {name: node-9}\n")
        st, _, body = self.c.request("POST", "/_fake/apply", body=text)
        self.assertEqual((st, [o["metadata"]["name"] for o in body["items"]]),
                         (200, ["node-8", "node-9"]))
        self.assertEqual(body["resourceVersion"], str(self.fk.resource_version))
        st, _, body = self.c.request("POST", "/_fake/delete",
                                     body={"kind": "Node", "name": "node-8"})
        self.assertEqual((st, body["object"]["metadata"]["name"]), (200, "node-8"))
        st, _, body = self.c.request("POST", "/_fake/delete",
                                     body={"kind": "Node", "name": "node-8"})
        self.assertEqual((st, body["reason"]), (404, "NotFound"))
        st, _, body = self.c.request("POST", "/_fake/apply", body="kind: Pod\nmetadata: {name: x}")
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))
        st, _, body = self.c.request("POST", "/_fake/apply", body="{not yaml: [")
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))
        w = self.watch("/api/v1/nodes?watch=1&resourceVersion=%d" % self.fk.resource_version)
        wait_for("watch", lambda: self.fk.active_watches() == 1)
        st, _, body = self.c.request("POST", "/_fake/drop-watches")
        self.assertEqual((st, body["dropped"]), (200, 1))
        self.assertEqual(w.next()[0], "eof")
        st, _, body = self.c.request("POST", "/_fake/compact")
        self.assertEqual((st, body["resourceVersion"]), (200, str(self.fk.resource_version)))

    def test_bad_requests(self):
        for path, code in (("/api/v1/nodes?resourceVersion=abc&limit=1", 400),
                           ("/api/v1/nodes?watch=1&resourceVersion=-1", 400),
                           ("/api/v1/nodes?limit=x", 400),
                           ("/api/v1/nodes?watch=1&timeoutSeconds=x", 400),
                           ("/api/v1/namespaces/default/services/a/b", 404),
                           ("/apis/apps/v1/deployments", 404)):
            st, _, body = self.c.get(path)
            self.assertEqual((st, body["kind"], body["code"]), (code, "Status", code), path)
        st, _, body = self.c.request("DELETE", "/api/v1/nodes/node-1")
        self.assertEqual((st, body["reason"]), (405, "MethodNotAllowed"))
        with self.assertRaises(Exception):
            self.fk.apply({"kind": "Node", "metadata": {}})
        with self.assertRaises(Exception):
            self.fk.apply({"kind": "Node", "apiVersion": "v2", "metadata": {"name": "x"}})

    def test_scenario_content(self):
        nodes = self.fk.objects("Node")
        self.assertEqual([n["metadata"]["name"] for n in nodes], ["node-1", "node-2", "node-3"])
        for n in nodes:
            ips = [a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP"]
            self.assertTrue(ips)
            self.assertEqual(n["spec"]["podCIDRs"][0], n["spec"]["podCIDR"])
        svcs = {s["metadata"]["name"]: s for s in self.fk.objects("Service")}
        self.assertEqual(svcs["web"]["spec"]["type"], "LoadBalancer")
        self.assertTrue(svcs["web"]["status"]["loadBalancer"]["ingress"])
        self.assertEqual(svcs["api"]["spec"]["type"], "ClusterIP")
        self.assertTrue(svcs["dns-ext"]["spec"]["externalIPs"])
        for es in self.fk.objects("EndpointSlice"):
            for ep in es["endpoints"]:
                self.assertIn("ready", ep["conditions"])
                self.assertIn("nodeName", ep)
        with open(self.fk.kubeconfig) as fh:
            kc = yaml.safe_load(fh)
        cluster = kc["clusters"][0]["cluster"]
        self.assertEqual(cluster["server"], self.fk.url)
        self.assertTrue(os.path.isabs(cluster["certificate-authority"]))
        self.assertEqual(kc["users"][0]["user"]["token"], self.fk.token)
        self.assertEqual(kc["current-context"], kc["contexts"][0]["name"])


@unittest.skipUnless(shutil.which("curl"), "curl not installed")
class CliCurlTest(unittest.TestCase):
    """The CLI as docker-compose runs it, read with curl."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fake_kube_cli.")
        self.port_file = os.path.join(self.dir, "port")
        self.state = os.path.join(self.dir, "state")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "fake_kube.py"), "--listen", "127.0.0.1:0",
             "--state-dir", self.state, "--scenario", SCENARIO, "--port-file", self.port_file,
             "--bookmark-interval", "0.3"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.port = int(wait_for("port file", lambda: read_file(self.port_file), timeout=30))
        with open(os.path.join(self.state, "token")) as fh:
            self.token = fh.read().strip()
        self.base = "https://127.0.0.1:%d" % self.port

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def curl(self, *args, timeout=20):
        argv = ["curl", "-sS", "--cacert", os.path.join(self.state, "ca.crt"),
                "-H", "Authorization: Bearer " + self.token] + list(args)
        return subprocess.run(argv, capture_output=True, timeout=timeout)

    def test_curl_tls_and_chunked_watch(self):
        p = self.curl(self.base + "/api/v1/nodes")
        self.assertEqual(p.returncode, 0, p.stderr)
        lst = json.loads(p.stdout)
        self.assertEqual(lst["kind"], "NodeList")
        rv = lst["metadata"]["resourceVersion"]
        # TLS: verified with the CA for 127.0.0.1, ::1 is in the SANs too; refused without it
        p = subprocess.run(["curl", "-sS", self.base + "/healthz"], capture_output=True)
        self.assertEqual(p.returncode, 60, p.stderr)  # peer certificate cannot be authenticated
        p = self.curl("--resolve", "localhost:%d:127.0.0.1" % self.port,
                      "https://localhost:%d/healthz" % self.port)
        self.assertEqual((p.returncode, p.stdout), (0, b"ok"), p.stderr)
        # an apply over HTTP, then a watch that times out: curl exits 0 only when the chunked
        # body ends properly (a final chunk); --raw shows the chunk framing itself
        p = self.curl("-X", "POST", "--data-binary",
                      "apiVersion: v1\nkind: Node\nmetadata: {name: node-4}\n",
                      self.base + "/_fake/apply")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.curl("-N", "-D", "-", self.base + "/api/v1/nodes?watch=1&timeoutSeconds=1"
                      "&allowWatchBookmarks=true&resourceVersion=" + rv)
        self.assertEqual(p.returncode, 0, p.stderr)
        head, _, body = p.stdout.partition(b"\r\n\r\n")
        self.assertIn(b"HTTP/1.1 200", head)
        self.assertIn(b"transfer-encoding: chunked", head.lower())
        lines = [json.loads(x) for x in body.decode().splitlines()]
        self.assertEqual([e["type"] for e in lines[:1]], ["ADDED"])
        self.assertEqual(lines[0]["object"]["metadata"]["name"], "node-4")
        self.assertEqual(lines[-1]["type"], "BOOKMARK")
        p = self.curl("-N", "--raw", self.base + "/api/v1/nodes?watch=1&timeoutSeconds=1"
                      "&resourceVersion=" + rv)
        self.assertEqual(p.returncode, 0, p.stderr)
        raw = p.stdout
        size_line, _, rest = raw.partition(b"\r\n")
        size = int(size_line, 16)
        self.assertEqual(rest[size:size + 2], b"\r\n")
        self.assertEqual(json.loads(rest[:size])["type"], "ADDED")
        self.assertTrue(raw.endswith(b"0\r\n\r\n"), raw[-20:])

    def test_curl_sees_dropped_watch_as_incomplete(self):
        argv = ["curl", "-sS", "-N", "--cacert", os.path.join(self.state, "ca.crt"),
                "-H", "Authorization: Bearer " + self.token,
                self.base + "/api/v1/services?watch=1"]
        watcher = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for _ in range(4):  # the synthetic ADDED events arrive
                self.assertTrue(watcher.stdout.readline())
            p = self.curl("-X", "POST", self.base + "/_fake/drop-watches")
            self.assertEqual(json.loads(p.stdout)["dropped"], 1)
            watcher.wait(10)
            # 18: partial file / 56: receive failure -- either way not a clean end of stream
            self.assertIn(watcher.returncode, (18, 56), watcher.stderr.read())
        finally:
            if watcher.poll() is None:
                watcher.kill()
            watcher.wait()
            watcher.stdout.close()
            watcher.stderr.close()

    def test_cli_sigterm_and_bad_args(self):
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(10), 0)
        p = subprocess.run([sys.executable, os.path.join(HERE, "fake_kube.py"),
                            "--listen", "nonsense", "--state-dir", self.state],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--listen", p.stderr)
        bad = os.path.join(self.dir, "bad.yaml")
        with open(bad, "w") as fh:
            fh.write("kind: Pod\nmetadata: {name: x}\n")
        p = subprocess.run([sys.executable, os.path.join(HERE, "fake_kube.py"),
                            "--state-dir", self.state, "--scenario", bad],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("unsupported kind", p.stderr)


if __name__ == "__main__":
    unittest.main()
