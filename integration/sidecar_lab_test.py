#!/usr/bin/env python3
"""kbgp-sync end to end (issue 9 acceptance): the fake Kubernetes API server, two cluster nodes
each running a BGP daemon (kbgpd, or a stock gobgpd with --daemon gobgpd) and kbgp-sync, a third
node in non-full-mesh mode, and an FRR router, in network namespaces (integration/lab.py).
Everything is asserted on the router's own CLI (vtysh), plus kbgp-sync's /metrics.

    sidecar_lab_test.py --kbgp-sync PATH [--kbgpd PATH] [--daemon kbgpd|gobgpd]
                        [--fake-kube-dir DIR] [--outage SECONDS | --long]

LAN 10.0.0.0/24: kube (fake API server) .1, router (FRR, AS 65000) .2, n1 .3, n2 .4, n3 .5.
n1 and n2 (cluster AS 64512, full mesh) peer with the router through --peer-router-ips; n3 runs
with --nodes-full-mesh=false and gets its AS (kube-router.io/node.asn) and its router peer
(kube-router.io/peer.ips/peer.asns) from annotations.

Scenarios, in order:
 1. pod CIDRs of n1 and n2 at the router, next hop the node;
 2. a LoadBalancer Service appears (its VIP at the router) and disappears (withdrawn);
 3. externalTrafficPolicy: Local: the VIP follows the node with the READY endpoint (n1 -> n2)
    and is withdrawn when that endpoint turns unready;
 4. a path-prepend annotation added at run time lengthens the AS path, no restart;
 5. node.asn and peer.* annotations: n3's session with the router is AS 64600, n3's pod CIDR
    arrives with AS path [64600];
 6. the daemon on n1 killed and started again: kbgp-sync restores its BGP instance, peers and
    paths within 2 s of the daemon's API being up (checked on the daemon), then the router
    has the routes again;
 7. the API server stopped for --outage seconds (default 20 here, 60 with --long; the issue
    says a minute): nothing is withdrawn at the router;
 8. 410 Gone (compact + drop every watch): kbgp-sync relists (metrics: the kinds whose watch was
    behind the compaction), makes no change to the daemon, and the router's routes are not
    touched (same paths, lastUpdate unchanged within FRR's one-second wobble).
 9. the API token rotated (old one refused at once) and every watch cut: kbgp-sync picks up
    the new token from the rewritten kubeconfig and the next change still arrives.
Exit 77 (skip) without root, FRR, the chosen daemon or the fake API server.
"""

import argparse
import contextlib
import ctypes
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402

ROUTER_AS = 65000
CLUSTER_AS = 64512
N3_AS = 64600

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def in_netns(ns):
    """Runs the block with this thread in network namespace `ns` (sockets made inside stay
    there: the fake API server's listener lives in the lab while its threads run anywhere)."""
    orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/%s" % ns, os.O_RDONLY)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns %s" % ns)
        yield
    finally:
        _libc.setns(orig, _CLONE_NEWNET)
        os.close(orig)
        os.close(target)


def node_obj(name, ip, pod_cidr, annotations=None):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": dict(annotations or {})},
            "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]},
            "status": {"addresses": [{"type": "InternalIP", "address": ip},
                                     {"type": "Hostname", "address": name}]}}


def lb_service(name, vip, local=False):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.96.%d.%d" % (len(name), len(vip)),
                     "clusterIPs": ["10.96.%d.%d" % (len(name), len(vip))],
                     "externalTrafficPolicy": "Local" if local else "Cluster",
                     "ports": [{"port": 80, "protocol": "TCP"}]},
            "status": {"loadBalancer": {"ingress": [{"ip": vip}]}}}


def slice_obj(service, endpoints):
    """endpoints: [(address, node, ready)]"""
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": service + "-x", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": service}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [a], "nodeName": n, "conditions": {"ready": r}}
                          for a, n, r in endpoints],
            "ports": [{"port": 80, "protocol": "TCP"}]}


class BgpDaemon(lab.Daemon):
    """kbgpd or gobgpd with no config: it waits for kbgp-sync's StartBgp on 127.0.0.1:50051."""

    def __init__(self, router, kind, kbgpd_path):
        self.name = kind
        super().__init__(router, 0)
        self.kind = kind
        self.kbgpd_path = kbgpd_path

    def start(self):
        if self.kind == "kbgpd":
            argv = [self.kbgpd_path, "--api-hosts", "127.0.0.1:50051", "-l", "info"]
        else:
            argv = ["gobgpd", "--api-hosts", "127.0.0.1:50051", "-l", "info", "--pprof-disable"]
        self._spawn(argv)
        return self

    def api_listening(self):
        out = self.exec("ss", "-Hltn", "sport = :50051", check=False).stdout
        return "LISTEN" in out

    def gobgp(self, *args):
        return self.exec("gobgp", "-p", "50051", *args, check=False)

    def local_prefixes(self):
        p = self.gobgp("global", "rib", "-a", "ipv4", "-j")
        if p.returncode != 0:
            return None
        return set(json.loads(p.stdout or "{}").keys())

    def neighbors(self):
        p = self.gobgp("neighbor", "-j")
        if p.returncode != 0:
            return None
        return {n["conf"]["neighbor_address"] for n in json.loads(p.stdout or "[]")}


class Sync(lab.Daemon):
    name = "kbgp-sync"

    def __init__(self, router, binary, node_name, kubeconfig, args):
        super().__init__(router, 0)
        self.binary, self.node_name, self.kubeconfig, self.args = \
            binary, node_name, kubeconfig, list(args)

    def start(self):
        self._spawn([self.binary, "--kubeconfig", self.kubeconfig, "--api", "127.0.0.1:50051",
                     "--metrics-address", "127.0.0.1:9180", "--resync-period", "30s",
                     "--log-level", "info"] + self.args, env={"NODE_NAME": self.node_name})
        return self

    def metrics(self):
        out = self.exec("curl", "-sf", "http://127.0.0.1:9180/metrics", check=False).stdout
        m = {}
        for line in out.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            key, _, val = line.rpartition(" ")
            try:
                m[key] = float(val)
            except ValueError:
                pass
        return m

    def metric_sum(self, name):
        return sum(v for k, v in self.metrics().items() if k == name or k.startswith(name + "{"))


def frr_paths(frr, prefix):
    """The router's paths for prefix: [{'nh':..., 'path': [...], 'best': bool,
    'lastUpdate': epoch}] (vtysh JSON)."""
    out = frr.cli("show bgp ipv4 unicast %s json" % prefix, check=False).stdout
    try:
        data = json.loads(out or "{}")
    except ValueError:
        return []
    res = []
    for p in data.get("paths", []):
        nhs = p.get("nexthops", [])
        res.append({"nh": nhs[0].get("ip") if nhs else None,
                    "path": [int(x) for x in str(p.get("aspath", {}).get("string", "")).split()
                             if x.isdigit()],
                    "best": bool(p.get("bestpath", {}).get("overall")),
                    "lastUpdate": p.get("lastUpdate", {}).get("epoch")})
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kbgp-sync", required=True)
    ap.add_argument("--kbgpd", default="kbgpd")
    ap.add_argument("--daemon", choices=("kbgpd", "gobgpd"), default="kbgpd")
    ap.add_argument("--fake-kube-dir", default=os.path.join(HERE, "fake_kube"))
    ap.add_argument("--outage", type=float, default=None,
                    help="seconds the API server stays down (default 20; 60 with --long)")
    ap.add_argument("--long", action="store_true", help="the issue's full minute of outage")
    a = ap.parse_args()
    a.kbgp_sync = os.path.abspath(a.kbgp_sync)
    if os.sep in a.kbgpd:
        a.kbgpd = os.path.abspath(a.kbgpd)
    outage = a.outage if a.outage is not None else (60.0 if a.long else 20.0)
    name = "sidecar_lab[%s]" % a.daemon
    tools = ["ip", "vtysh", "/usr/lib/frr/bgpd", "curl", "gobgp"]
    tools.append("gobgpd" if a.daemon == "gobgpd" else a.kbgpd)
    lab.skip_unless_able(name, tools)
    if not os.path.exists(os.path.join(a.fake_kube_dir, "fake_kube.py")):
        print("%s: SKIP: no fake API server at %s" % (name, a.fake_kube_dir))
        sys.exit(77)
    sys.path.insert(0, a.fake_kube_dir)
    try:
        from fake_kube import FakeKube
    except ImportError as e:
        print("%s: SKIP: fake_kube: %s" % (name, e))
        sys.exit(77)

    fk = None
    with lab.Lab("sidecar") as L:
        try:
            kube = L.add_router("kube")
            rtr = L.add_router("rtr")
            n1, n2, n3 = L.add_router("n1"), L.add_router("n2"), L.add_router("n3")
            nodes = [node_obj("node-1", n1.v4, "10.244.1.0/24"),
                     node_obj("node-2", n2.v4, "10.244.2.0/24"),
                     node_obj("node-3", n3.v4, "10.244.3.0/24",
                              {"kube-router.io/node.asn": str(N3_AS),
                               "kube-router.io/peer.ips": rtr.v4,
                               "kube-router.io/peer.asns": str(ROUTER_AS)})]
            with in_netns(kube.ns):
                fk = FakeKube(L.path("kube", "state"), "%s:0" % kube.v4)
                fk.start()
            for obj in nodes:
                fk.apply(obj)

            frr = lab.Frr(rtr, ROUTER_AS)
            for n, asn in ((n1, CLUSTER_AS), (n2, CLUSTER_AS), (n3, N3_AS)):
                frr.neighbor(n.v4, asn, hold=9, keepalive=3)
            frr.start()

            common = ["--peer-router-multihop-ttl", "0", "--advertise-loadbalancer-ip",
                      "--bgp-holdtime", "9s"]
            daemons, syncs = {}, {}
            for n, nn, extra in ((n1, "node-1", ["--peer-router-ips", rtr.v4,
                                                  "--peer-router-asns", str(ROUTER_AS)]),
                                 (n2, "node-2", ["--peer-router-ips", rtr.v4,
                                                  "--peer-router-asns", str(ROUTER_AS)]),
                                 (n3, "node-3", ["--nodes-full-mesh=false"])):
                daemons[nn] = BgpDaemon(n, a.daemon, a.kbgpd).start()
                syncs[nn] = Sync(n, a.kbgp_sync, nn, fk.kubeconfig, common + extra).start()

            # 1. Pod CIDRs.
            for n, cidr in ((n1, "10.244.1.0/24"), (n2, "10.244.2.0/24")):
                lab.wait_for("%s at the router via %s" % (cidr, n.v4),
                             lambda c=cidr, h=n.v4: [p for p in frr_paths(frr, c)
                                                     if p["nh"] == h and p["path"] == [CLUSTER_AS]],
                             timeout=40)
            s1 = syncs["node-1"]
            ready = s1.exec("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:9180/readyz", check=False).stdout
            assert ready == "200", "n1 /readyz: %r" % ready
            key = ('kube_router_bgp_peer_info{address="%s",asn="%d",state="established",'
                   'type="external"}' % (rtr.v4, ROUTER_AS))
            lab.wait_for("n1's metrics show the router session established",
                         lambda: s1.metrics().get(key) == 1.0, timeout=15)
            print("ok 1 pod CIDRs advertised (readyz 200, peer metric established)")

            # 2. A LoadBalancer Service appears and disappears.
            fk.apply(lb_service("shop", "192.0.2.20"))
            lab.wait_for("192.0.2.20/32 from every node",
                         lambda: {p["nh"] for p in frr_paths(frr, "192.0.2.20/32")} ==
                         {n1.v4, n2.v4, n3.v4}, timeout=10)
            fk.delete("Service", "default", "shop")
            lab.wait_for("192.0.2.20/32 withdrawn", lambda: not frr_paths(frr, "192.0.2.20/32"),
                         timeout=10)
            print("ok 2 LoadBalancer VIP appears and disappears")

            # 3. externalTrafficPolicy Local follows the ready endpoint.
            fk.apply(lb_service("web", "192.0.2.10", local=True))
            fk.apply(slice_obj("web", [("10.244.1.5", "node-1", True),
                                       ("10.244.2.5", "node-2", False)]))
            lab.wait_for("192.0.2.10/32 only via n1",
                         lambda: [p["nh"] for p in frr_paths(frr, "192.0.2.10/32")] == [n1.v4],
                         timeout=10)
            lab.holds_for("192.0.2.10/32 stays only via n1 (n2's endpoint is not ready)",
                          lambda: [p["nh"] for p in frr_paths(frr, "192.0.2.10/32")] == [n1.v4],
                          2)
            fk.apply(slice_obj("web", [("10.244.2.5", "node-2", True)]))
            lab.wait_for("192.0.2.10/32 moves to n2",
                         lambda: [p["nh"] for p in frr_paths(frr, "192.0.2.10/32")] == [n2.v4],
                         timeout=10)
            fk.apply(slice_obj("web", [("10.244.2.5", "node-2", False)]))
            lab.wait_for("192.0.2.10/32 withdrawn when the endpoint turns unready",
                         lambda: not frr_paths(frr, "192.0.2.10/32"), timeout=10)
            fk.apply(slice_obj("web", [("10.244.1.5", "node-1", True)]))
            lab.wait_for("192.0.2.10/32 back via n1",
                         lambda: [p["nh"] for p in frr_paths(frr, "192.0.2.10/32")] == [n1.v4],
                         timeout=10)
            print("ok 3 externalTrafficPolicy Local follows the ready endpoint")

            # 4. Prepend annotation at run time.
            pid_before = syncs["node-1"].proc.pid
            nodes[0]["metadata"]["annotations"].update({
                "kube-router.io/path-prepend.as": str(CLUSTER_AS),
                "kube-router.io/path-prepend.repeat-n": "2"})
            fk.apply(nodes[0])
            lab.wait_for("n1's pod CIDR with AS path 64512 x3",
                         lambda: [p for p in frr_paths(frr, "10.244.1.0/24")
                                  if p["path"] == [CLUSTER_AS] * 3], timeout=10)
            lab.wait_for("n1's VIP with AS path 64512 x3",
                         lambda: [p for p in frr_paths(frr, "192.0.2.10/32")
                                  if p["path"] == [CLUSTER_AS] * 3], timeout=10)
            assert [p["path"] for p in frr_paths(frr, "10.244.2.0/24")] == [[CLUSTER_AS]], \
                "n2's AS path changed too"
            assert syncs["node-1"].running() and syncs["node-1"].proc.pid == pid_before
            print("ok 4 prepend annotation applied live")

            # 5. node.asn and peer.* annotations.
            lab.wait_for("router session with n3 (AS %d) established" % N3_AS,
                         lambda: frr.established(n3.v4), timeout=30)
            lab.wait_for("n3's pod CIDR with AS path [64600]",
                         lambda: [p for p in frr_paths(frr, "10.244.3.0/24")
                                  if p["path"] == [N3_AS] and p["nh"] == n3.v4], timeout=10)
            nb = json.loads(frr.cli("show bgp neighbors %s json" % n3.v4).stdout)[n3.v4]
            assert nb.get("remoteAs") == N3_AS, nb.get("remoteAs")
            assert daemons["node-3"].neighbors() == {rtr.v4}, daemons["node-3"].neighbors()
            print("ok 5 node.asn and peer.* annotations give the right sessions")

            # 6. The daemon on n1 killed and restarted.
            want = {"10.244.1.0/24", "192.0.2.10/32"}
            d1 = daemons["node-1"]
            d1.kill(lab.signal.SIGKILL)
            lab.wait_for("n1's routes gone at the router",
                         lambda: not [p for p in frr_paths(frr, "10.244.1.0/24")
                                      if p["nh"] == n1.v4], timeout=15)
            d1.start()
            lab.wait_for("n1 daemon API listening", d1.api_listening, timeout=15,
                         interval=0.02)
            t_up = time.monotonic()

            def restored():
                pre = d1.local_prefixes()
                return pre is not None and want <= pre and d1.neighbors() == {rtr.v4, n2.v4, n3.v4}
            lab.wait_for("n1's daemon restored by kbgp-sync", restored, timeout=10,
                         interval=0.05)
            took = time.monotonic() - t_up
            assert took < 2.0, "restore took %.2f s after the daemon was up" % took
            lab.wait_for("n1's routes back at the router",
                         lambda: [p for p in frr_paths(frr, "192.0.2.10/32")
                                  if p["nh"] == n1.v4], timeout=30)
            print("ok 6 daemon restart restored in %.2f s after its API was up" % took)

            # 7. API server unreachable: nothing withdrawn.
            def all_there():
                return (frr_paths(frr, "10.244.1.0/24") and frr_paths(frr, "10.244.2.0/24")
                        and frr_paths(frr, "192.0.2.10/32") and frr_paths(frr, "10.244.3.0/24"))
            lab.wait_for("all routes at the router", all_there, timeout=15)
            fk.stop()
            lab.holds_for("routes while the API server is down (%.0f s)" % outage, all_there,
                          outage, interval=0.5)
            with in_netns(kube.ns):
                fk.start()
            # Still reconciling afterwards: a change goes through.
            fk.apply(lb_service("after", "192.0.2.30"))
            lab.wait_for("a change after the outage, from every node",
                         lambda: {p["nh"] for p in frr_paths(frr, "192.0.2.30/32")} ==
                         {n1.v4, n2.v4, n3.v4}, timeout=30)
            print("ok 7 API server down %.0f s: nothing withdrawn" % outage)

            # 8. 410 Gone: relist without flap.
            s1 = syncs["node-1"]
            lab.wait_for("n1 idle", lambda: frr_paths(frr, "192.0.2.30/32"), timeout=5)
            # Routes at least 3 s old, so a re-advertisement would move lastUpdate by > 1 s
            # (FRR derives the epoch from the age: it can wobble by one second).
            time.sleep(3.0)
            before = {p: frr_paths(frr, p) for p in ("10.244.1.0/24", "192.0.2.10/32",
                                                     "192.0.2.30/32")}
            relists0 = s1.metric_sum("kbgp_sync_relists_total")
            changes0 = s1.metric_sum("kbgp_sync_daemon_changes_total")
            time.sleep(1.1)  # lastUpdate has 1 s resolution
            fk.compact()
            fk.drop_watches()
            # Kinds whose last event is older than the compaction get 410 and relist; a kind
            # whose watch is already at the newest resourceVersion just watches on.
            lab.wait_for("kbgp-sync relisted after 410",
                         lambda: s1.metric_sum("kbgp_sync_relists_total") >= relists0 + 1,
                         timeout=20)
            time.sleep(1.0)
            changes1 = s1.metric_sum("kbgp_sync_daemon_changes_total")
            assert changes1 == changes0, "daemon changed after the relist: %s -> %s" % (
                changes0, changes1)
            after = {p: frr_paths(frr, p) for p in before}

            def shape(paths):
                return sorted((x["nh"], tuple(x["path"])) for x in paths)
            for p in before:
                assert shape(after[p]) == shape(before[p]), "paths of %s changed: %r -> %r" % (
                    p, before[p], after[p])
                for x, y in zip(sorted(before[p], key=lambda q: q["nh"]),
                                sorted(after[p], key=lambda q: q["nh"])):
                    assert abs(y["lastUpdate"] - x["lastUpdate"]) <= 1, \
                        "%s via %s updated again (flap): %r -> %r" % (p, x["nh"], x, y)
            print("ok 8 410 Gone: %d relists, no change at the daemon or router" %
                  (s1.metric_sum("kbgp_sync_relists_total") - relists0))

            # 9. Token rotation: the old token is refused at once, every watch is cut; kbgp-sync
            # takes the new token from the rewritten kubeconfig and keeps working.
            fk.rotate_token(grace=0)
            fk.drop_watches()
            fk.apply(lb_service("rotated", "192.0.2.40"))
            lab.wait_for("a change after the token rotation, from every node",
                         lambda: {p["nh"] for p in frr_paths(frr, "192.0.2.40/32")} ==
                         {n1.v4, n2.v4, n3.v4}, timeout=30)
            print("ok 9 token rotation")

            for nn, s in syncs.items():
                assert s.running(), "kbgp-sync on %s died" % nn
            print("%s: PASS" % name)
            return 0
        except Exception:
            for d in L.daemons:
                log = d.read_log()
                print("---- %s on %s (last 40 lines)\n%s" % (d.name, d.router.name,
                                                               "\n".join(log.splitlines()[-40:])))
            raise
        finally:
            if fk is not None:
                fk.stop()


if __name__ == "__main__":
    sys.exit(main())
