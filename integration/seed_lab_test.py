#!/usr/bin/env python3
"""Issue 10: the seed story end to end, with real packets (needs root; see seed_net.py).

Five nodes, each running kbgpd and kbgp-sync against the fake Kubernetes API server
(fake_kube/), and two routers that install BGP multipath routes into their kernels:

    client1 - rtr1 (AS 65000) - node-1, node-2, node-3   (kube-router.io/node.asn 64512)
    client2 - rtr2 (AS 65001) - node-4, node-5           (kube-router.io/node.asn 64513)

As in the seed's multi-AS diagram, the peers come from the nodes' `kube-router.io/peer.*`
annotations (kube-router uses them when no --peer-router-ips are given) and the nodes' ASNs
from `kube-router.io/node.asn` (--nodes-full-mesh=false). kbgpd runs in the node's namespace;
kbgp-sync runs beside the test in the host namespace (the fake API server listens on its
127.0.0.1) and reaches kbgpd's API over a unix socket, as the two containers of the DaemonSet
share a host.

    seed_lab_test.py --kbgpd PATH --kbgp-sync PATH [--router frr|bird] [unittest args]

Scenarios (one test each, in order): 1 ECMP to a LoadBalancer VIP with requests reaching every
node; 2 an AS-path prepend annotation moves a node out of the ECMP set and back; 3 a dead node
(cable cut: gone within the hold time; kbgpd stopped: gone at once; requests keep succeeding);
4 externalTrafficPolicy: Local follows the ready endpoint; 5 two ASes with their own peers;
6 every node's pod CIDR is reachable from the clients.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "fake_kube"))

import lab  # noqa: E402
from lab import Daemon, wait_for, holds_for  # noqa: E402
import seed_net  # noqa: E402

ARGS = None
VIP = "198.51.100.10"
LOCAL_VIP = "198.51.100.20"
HOLD = 3  # the routers' hold time (FRR `timers 1 3`, BIRD `hold time 3`)
AS_OF = {1: 64512, 2: 64512, 3: 64512, 4: 64513, 5: 64513}
ROUTER_OF = {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}  # node -> index of its router


class HostDaemon(Daemon):
    """A process in the test's own namespace, cleaned up with the lab."""

    def _spawn(self, argv, env=None):
        log = open(self.log, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=full_env, cwd=self.dir)
        log.close()
        return self.proc


class NodeKbgpd(Daemon):
    """kbgpd on a node, without a config file: kbgp-sync starts it with StartBgp."""

    name = "kbgpd"

    def start(self):
        self.sock = os.path.join(self.dir, "api.sock")
        if os.path.exists(self.sock):
            os.unlink(self.sock)  # left by the previous run; wait for the new one
        self._spawn([ARGS.kbgpd, "--api-hosts", "unix://" + self.sock, "-l", "debug"])
        wait_for("kbgpd API socket on " + self.router.name,
                 lambda: os.path.exists(self.sock), 15)
        return self


class Sync(HostDaemon):
    name = "kbgp-sync"

    def start(self, node, kube, api_sock):
        self._spawn([ARGS.kbgp_sync, "--kubeconfig", kube.kubeconfig,
                     "--hostname-override", node.node_name,
                     "--nodes-full-mesh=false", "--enable-ibgp=false",
                     "--advertise-pod-cidr=true", "--advertise-loadbalancer-ip=true",
                     "--api", "unix://" + api_sock, "--metrics-address", "none",
                     "--log-level", "debug"])
        return self


def node_object(i, net, annotations=None):
    n = net.nodes[i - 1]
    rtr = net.routers[ROUTER_OF[i]]
    ann = {"kube-router.io/node.asn": str(AS_OF[i]),
           "kube-router.io/peer.ips": rtr.v4,
           "kube-router.io/peer.asns": str(rtr.asn)}
    ann.update(annotations or {})
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": n.node_name, "annotations": ann,
                         "labels": {"kubernetes.io/hostname": n.node_name}},
            "spec": {"podCIDR": n.pod_cidr, "podCIDRs": [n.pod_cidr]},
            "status": {"addresses": [{"type": "InternalIP", "address": n.v4},
                                     {"type": "Hostname", "address": n.node_name}],
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def service(name, vip, local=False):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.%d" % (len(name) + 10),
                     "externalTrafficPolicy": "Local" if local else "Cluster",
                     "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                     "selector": {"app": name}},
            "status": {"loadBalancer": {"ingress": [{"ip": vip}]}}}


def endpoint_slice(svc, nodes, ready=True, net=None):
    """One endpoint per node number in `nodes` (the pod's address on that node)."""
    eps = []
    for i in nodes:
        eps.append({"addresses": ["10.244.%d.10" % i],
                    "conditions": {"ready": ready, "serving": ready, "terminating": False},
                    "nodeName": "node-%d" % i})
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": svc + "-x1", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4", "endpoints": eps,
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}


class SeedLab(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from fake_kube import FakeKube
        cls.net = seed_net.SeedNet(ARGS.router, nodes=5, routers=2)
        try:
            cls._build(FakeKube)
        except BaseException:
            cls._dump()
            cls.net.close()
            raise

    @classmethod
    def _build(cls, FakeKube):
        net = cls.net
        cls.kube = FakeKube(os.path.join(net.lab.tmp, "kube")).start()
        cls.kube.apply([node_object(i, net) for i in range(1, 6)])
        cls.kube.apply(service("web", VIP))
        cls.kube.apply(endpoint_slice("web", [1, 2, 3, 4, 5]))
        for n in net.nodes:
            net.bind_vip(n, VIP)
            net.bind_vip(n, LOCAL_VIP)
        for r_index in (0, 1):
            net.start_router(r_index, [(net.nodes[i - 1].v4, AS_OF[i])
                                       for i in AS_OF if ROUTER_OF[i] == r_index])
        cls.kbgpd, cls.sync = {}, {}
        for i, n in enumerate(net.nodes, start=1):
            cls.kbgpd[i] = NodeKbgpd(n, AS_OF[i]).start()
            s = Sync(n, AS_OF[i])
            s.log = os.path.join(s.dir, "kbgp-sync.log")
            cls.sync[i] = s.start(n, cls.kube, cls.kbgpd[i].sock)
        for i in AS_OF:
            wait_for("node-%d's session with its router" % i,
                     lambda: cls.router_of(i).established(net.nodes[i - 1].v4), 30)

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("KBGP_LAB_DUMP") == "1":
            cls._dump()
        cls.kube.stop()
        cls.net.close()

    @classmethod
    def _dump(cls):
        for d in cls.net.lab.daemons:
            print("----- %s %s\n%s" % (d.router.name, d.name, d.read_log()[-3000:]),
                  file=sys.stderr)

    def run(self, result=None):
        failures = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > failures:
            self._dump()
        return out

    @classmethod
    def router_of(cls, i):
        return cls.net.router_daemons[ROUTER_OF[i]]

    def ips(self, *nodes):
        return {self.net.nodes[i - 1].v4 for i in nodes}

    def wait_nexthops(self, prefix, nodes, router=0, timeout=10):
        want = self.ips(*nodes)
        wait_for("%s via %s on rtr%d" % (prefix, sorted(want), router + 1),
                 lambda: self.net.kernel_nexthops(prefix, router) == want, timeout)

    # 1. Anycast ECMP to a LoadBalancer VIP.
    def test_1_ecmp_loadbalancer(self):
        self.wait_nexthops(VIP + "/32", [1, 2, 3], router=0)
        self.wait_nexthops(VIP + "/32", [4, 5], router=1)
        answers, failed = self.net.requests(VIP, 60, client=0)
        self.assertEqual(failed, 0)
        self.assertEqual(set(answers), {"node-1", "node-2", "node-3"}, answers)
        answers, failed = self.net.requests(VIP, 40, client=1)
        self.assertEqual(failed, 0)
        self.assertEqual(set(answers), {"node-4", "node-5"}, answers)

    # 2. AS-path prepend on one node, added and removed at run time.
    def test_2_prepend_moves_node_out_of_ecmp(self):
        self.wait_nexthops(VIP + "/32", [1, 2, 3])
        self.kube.apply(node_object(2, self.net, {
            "kube-router.io/path-prepend.as": "64512",
            "kube-router.io/path-prepend.repeat-n": "2"}))
        rtr = self.router_of(2)
        n2 = self.net.nodes[1].v4
        wait_for("node-2's path prepended on rtr1",
                 lambda: rtr.as_paths(VIP + "/32").get(n2) == [64512, 64512, 64512], 10)
        self.wait_nexthops(VIP + "/32", [1, 3])
        answers, failed = self.net.requests(VIP, 60)
        self.assertEqual(failed, 0)
        self.assertEqual(set(answers), {"node-1", "node-3"}, answers)
        self.kube.apply(node_object(2, self.net))
        wait_for("node-2's path back to one AS",
                 lambda: rtr.as_paths(VIP + "/32").get(n2) == [64512], 10)
        self.wait_nexthops(VIP + "/32", [1, 2, 3])
        answers, failed = self.net.requests(VIP, 60)
        self.assertEqual(failed, 0)
        self.assertEqual(set(answers), {"node-1", "node-2", "node-3"}, answers)

    # 3. A node dies: by its cable (hold timer), and by kbgpd stopping (Cease at once).
    def test_3_failover(self):
        self.wait_nexthops(VIP + "/32", [1, 2, 3])
        node3 = self.net.nodes[2]
        node3.cable(False)
        t0 = time.monotonic()
        self.wait_nexthops(VIP + "/32", [1, 2], timeout=HOLD + 3)
        lost = time.monotonic() - t0
        self.assertLessEqual(lost, HOLD + 1.5, "next hop gone after %.1fs" % lost)
        answers, failed = self.net.requests(VIP, 40)
        self.assertEqual(failed, 0)
        self.assertEqual(set(answers), {"node-1", "node-2"}, answers)
        node3.cable(True)
        self.wait_nexthops(VIP + "/32", [1, 2, 3], timeout=30)

        kb = self.kbgpd[3]
        kb.kill(signal.SIGTERM)
        t0 = time.monotonic()
        self.wait_nexthops(VIP + "/32", [1, 2], timeout=HOLD + 3)
        gone = time.monotonic() - t0
        self.assertLess(gone, 1.0, "kbgpd closed its sessions, yet the next hop stayed %.1fs"
                        % gone)
        answers, failed = self.net.requests(VIP, 40)
        self.assertEqual(failed, 0)
        kb.start()
        self.wait_nexthops(VIP + "/32", [1, 2, 3], timeout=15)

    # 4. externalTrafficPolicy: Local.
    def test_4_local_traffic_policy(self):
        self.kube.apply(service("local-web", LOCAL_VIP, local=True))
        self.kube.apply(endpoint_slice("local-web", [2]))
        self.wait_nexthops(LOCAL_VIP + "/32", [2])
        answers, failed = self.net.requests(LOCAL_VIP, 20)
        self.assertEqual((answers, failed), ({"node-2": 20}, 0))
        self.kube.apply(endpoint_slice("local-web", [3]))
        self.wait_nexthops(LOCAL_VIP + "/32", [3])
        answers, failed = self.net.requests(LOCAL_VIP, 20)
        self.assertEqual((answers, failed), ({"node-3": 20}, 0))
        self.kube.apply(endpoint_slice("local-web", [3], ready=False))
        self.wait_nexthops(LOCAL_VIP + "/32", [])
        self.kube.apply(endpoint_slice("local-web", [1, 3]))
        self.wait_nexthops(LOCAL_VIP + "/32", [1, 3])
        self.kube.delete("Service", "default", "local-web")
        self.wait_nexthops(LOCAL_VIP + "/32", [])

    # 5. Several ASes, each group of nodes with its own peers.
    def test_5_multiple_ases(self):
        rtr1, rtr2 = self.net.router_daemons
        for i in (4, 5):
            self.assertTrue(rtr2.established(self.net.nodes[i - 1].v4))
            wait_for("node-%d's VIP path from AS 64513 on rtr2" % i,
                     lambda: rtr2.as_paths(VIP + "/32").get(self.net.nodes[i - 1].v4)
                     == [64513], 10)
        for i in (1, 2, 3):
            self.assertEqual(rtr1.as_paths(VIP + "/32").get(self.net.nodes[i - 1].v4),
                             [64512])
        # Nodes of one AS never open sessions to the other AS's router.
        for i in (4, 5):
            self.assertNotIn(self.net.nodes[i - 1].v4, rtr1.as_paths(VIP + "/32"))
            out = self.net.routers[0].exec("ss", "-Htn", "state", "established", "( sport = :179 )").stdout
            self.assertNotIn(self.net.nodes[i - 1].v4 + ":", out)
        self.wait_nexthops(VIP + "/32", [4, 5], router=1)

    # 6. Pod CIDRs are routable from the clients.
    def test_6_pod_cidrs(self):
        for i, n in enumerate(self.net.nodes, start=1):
            r = ROUTER_OF[i]
            self.wait_nexthops(n.pod_cidr, [i], router=r)
            answers, failed = self.net.requests(n.pod_ip, 3, client=r)
            self.assertEqual((answers, failed), ({n.node_name: 3}, 0))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--kbgpd", required=True)
    p.add_argument("--kbgp-sync", required=True)
    p.add_argument("--router", choices=("frr", "bird"), default="frr")
    ARGS, rest = p.parse_known_args()
    # The daemons run with their lab directory as the working directory.
    ARGS.kbgpd, ARGS.kbgp_sync = os.path.abspath(ARGS.kbgpd), os.path.abspath(ARGS.kbgp_sync)
    tools = ("ip", "bird", "birdc") if ARGS.router == "bird" else ("ip", "vtysh")
    lab.skip_unless_able("seed_lab", tools)
    if ARGS.router == "frr" and not os.path.exists("/usr/lib/frr/zebra"):
        print("seed_lab: SKIP: FRR's zebra is not installed")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
