"""The seed story's network (issue 10): routers that install multipath BGP routes into their
namespace's kernel, cluster nodes that answer HTTP on Service and pod IPs, and clients behind
the routers that send real requests.

    client1 --- rtr1 ---+--- LAN 10.0.0.0/24 (lab.py's bridge) ---+ node1 .. nodeN
    (172.16.1.2)  (10.0.0.1)                                      | (10.0.0.2 ..)
    client2 --- rtr2 ---+                                         |
    (172.16.2.2)  (10.0.0.R)

A router is FRR (zebra + bgpd, `maximum-paths`, `bgp bestpath as-path multipath-relax`) or
BIRD (`merge paths` in the kernel protocol). Its kernel hashes flows on L4 ports
(`fib_multipath_hash_policy=1`), so different TCP connections from one client take different
nodes. Each node runs a small HTTP responder (seed_web.py) on port 80 of every address that answers with the
node's name: the Service VIPs sit on the node's `lo`, an address of the pod CIDR on `lo` too
(a stand-in for a pod; the lab kernel has no dummy interfaces). Everything lives in
namespaces the lab made (lab.py).
"""

import json
import os
import re
import sys

import lab as labmod
from lab import wait_for, _frr_ids

_WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_web.py")


def _sysctl(router, *keys):
    for k in keys:
        router.exec("sysctl", "-qw", k)


class FrrZebra(labmod.Frr):
    """lab.py's FRR with zebra beside bgpd: BGP multipath routes reach the namespace's kernel.
    Only the config (maximum-paths, multipath-relax, IPv4) and the start differ."""

    def __init__(self, router, asn, maximum_paths=8):
        super().__init__(router, asn)
        self.maximum_paths = maximum_paths

    def neighbor(self, address, asn):
        return super().neighbor(address, asn, hold=3, keepalive=1)

    def config(self):
        lines = ["hostname %s" % self.router.name, "router bgp %d" % self.asn,
                 " bgp router-id %s" % self.router.v4, " no bgp ebgp-requires-policy",
                 " no bgp network import-check", " no bgp default ipv4-unicast",
                 # Nodes of different ASes (kube-router.io/node.asn) are equal-cost too.
                 " bgp bestpath as-path multipath-relax"]
        for n in self.neighbors:
            lines += [" neighbor %s remote-as %d" % (n["address"], n["asn"]),
                      " neighbor %s timers %d %d" % (n["address"], n["keepalive"], n["hold"]),
                      " neighbor %s timers connect 1" % n["address"]]
        lines += [" address-family ipv4 unicast", "  maximum-paths %d" % self.maximum_paths]
        lines += ["  neighbor %s activate" % n["address"] for n in self.neighbors]
        lines.append(" exit-address-family")
        return "\n".join(lines) + "\n"

    def start(self):
        conf = self.write("bgpd.conf", self.config())
        zconf = self.write("zebra.conf", "hostname %s\n" % self.router.name)
        self.vty = os.path.join(self.dir, "vty")
        os.makedirs(self.vty, exist_ok=True)
        os.chown(self.vty, *_frr_ids())
        os.chmod(self.vty, 0o777)
        # zebra drops to the frr user before it writes its pid file into self.dir.
        os.chmod(self.lab.tmp, 0o711)
        os.chmod(self.dir, 0o777)
        zsock = os.path.join(self.vty, "zserv.api")
        # zebra first, in its own process group (a second Daemon-like handle).
        self.zebra = self.lab.spawn(self.router.ns, [
            "/usr/lib/frr/zebra", "-f", zconf, "-i", os.path.join(self.dir, "zebra.pid"),
            "--vty_socket", self.vty, "-z", zsock, "-P", "0"],
            os.path.join(self.dir, "zebra.log"))
        wait_for("zebra socket", lambda: os.path.exists(zsock), 20)
        self._spawn(["/usr/lib/frr/bgpd", "-S", "-f", conf, "-z", zsock,
                     "-i", os.path.join(self.dir, "bgpd.pid"), "--vty_socket", self.vty,
                     "-P", "0"])
        wait_for("frr vty", lambda: self.cli("show bgp summary json", check=False)
                 .returncode == 0, 20)
        return self

    def kill(self, *a, **kw):
        super().kill(*a, **kw)
        z = getattr(self, "zebra", None)
        if z is not None and z.poll() is None:
            try:
                os.killpg(z.pid, 9)
            except ProcessLookupError:
                pass
            z.wait(timeout=5)

    def as_paths(self, prefix):
        """{next hop: [AS numbers]} of every path the router holds for prefix."""
        data = json.loads(self.cli("show bgp ipv4 unicast %s json" % prefix,
                                   check=False).stdout or "{}")
        out = {}
        for p in data.get("paths", []):
            nhs = p.get("nexthops", [])
            nh = nhs[0].get("ip") if nhs else None
            out[nh] = [int(x) for x in p.get("aspath", {}).get("string", "").split()
                       if x.isdigit()]
        return out


class BirdKernel(labmod.Bird):
    """lab.py's BIRD with `merge paths` in the kernel protocol: ECMP routes reach the kernel.
    Only the config differs."""

    def neighbor(self, address, asn):
        return super().neighbor(address, asn, hold=3, keepalive=1)

    def config(self):
        lines = ["router id %s;" % self.router.v4, "protocol device { scan time 1; }",
                 "protocol kernel { ipv4 { import none; export where source = RTS_BGP; };"
                 " merge paths on limit 16; }"]
        for n in self.neighbors:
            lines.append("protocol bgp %s {\n  local %s as %d;\n  neighbor %s as %d;\n"
                         "  hold time %d; keepalive time %d;\n"
                         "  connect retry time 1; connect delay time 0; error wait time 1,2;\n"
                         "  ipv4 { import all; export none; };\n}"
                         % (self.proto_name(n["address"]), self.router.v4, self.asn,
                            n["address"], n["asn"], n["hold"], n["keepalive"]))
        return "\n".join(lines) + "\n"

    def as_paths(self, prefix):
        out = self.cli("show", "route", prefix, "all").stdout
        paths, nh = {}, None
        for line in out.splitlines():
            s = line.strip()
            m = re.search(r"via (\S+) on", s)
            if m:
                nh = m.group(1)
            elif s.startswith("BGP.as_path:") and nh is not None:
                paths[nh] = [int(x) for x in s.split(":", 1)[1].split() if x.isdigit()]
        return paths


class SeedNet:
    """The network without the BGP speakers of the nodes: lab, routers, nodes, clients."""

    def __init__(self, router_kind="frr", nodes=3, routers=1, router_asns=(65000, 65001),
                 lab=None):
        """lab: a lab.Lab to build in (default: a new one that cleans up at exit)."""
        self.lab = lab if lab is not None else labmod.Lab("seed")
        self.router_kind = router_kind
        self.routers, self.router_daemons, self.clients = [], [], []
        for i in range(routers):
            r = self.lab.add_router("rtr%d" % (i + 1))
            r.asn = router_asns[i]
            self.routers.append(r)
        self.nodes = []
        for i in range(nodes):
            n = self.lab.add_router("node%d" % (i + 1))
            n.node_name = "node-%d" % (i + 1)
            n.pod_cidr = "10.244.%d.0/24" % (i + 1)
            n.pod_ip = "10.244.%d.10" % (i + 1)
            self.nodes.append(n)
        for i, r in enumerate(self.routers):
            self._add_client(r, i + 1)
            _sysctl(r, "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1",
                    "net.ipv4.conf.all.rp_filter=0")
        for n in self.nodes:
            # Replies to clients go back through the first router (nodes have no BGP routes
            # installed; kube-router's nodes would not need them for the client either).
            n.exec("ip", "route", "add", "default", "via", self.routers[0].v4)
            for i, r in enumerate(self.routers[1:], start=2):
                n.exec("ip", "route", "add", "172.16.%d.0/24" % i, "via", r.v4)
            n.exec("ip", "addr", "add", n.pod_ip + "/32", "dev", "lo")
            n.responder = self.lab.spawn(n.ns, [sys.executable, _WEB, "serve", n.node_name],
                                         self.lab.path(n.name, "responder.log"))

    def _add_client(self, router, i):
        ns = self.lab._add_ns("cl%d" % i)
        run = labmod.run
        run(["ip", "-n", router.ns, "link", "add", "eth1", "type", "veth", "peer", "name",
             "eth0", "netns", ns])
        run(["ip", "-n", router.ns, "addr", "add", "172.16.%d.1/24" % i, "dev", "eth1"])
        run(["ip", "-n", router.ns, "link", "set", "eth1", "up"])
        run(["ip", "-n", ns, "addr", "add", "172.16.%d.2/24" % i, "dev", "eth0"])
        run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        run(["ip", "-n", ns, "route", "add", "default", "via", "172.16.%d.1" % i])
        client = labmod.Router(self.lab, ns, "client%d" % i, "172.16.%d.2" % i, None)
        self.clients.append(client)

    def start_router(self, index, neighbors):
        """neighbors: [(address, asn)]. Starts FRR+zebra or BIRD on router `index`."""
        r = self.routers[index]
        d = (FrrZebra if self.router_kind == "frr" else BirdKernel)(r, r.asn)
        for addr, asn in neighbors:
            d.neighbor(addr, asn)
        d.start()
        while len(self.router_daemons) <= index:
            self.router_daemons.append(None)
        self.router_daemons[index] = d
        return d

    def bind_vip(self, node, vip):
        node.exec("ip", "addr", "replace", vip + "/32", "dev", "lo")

    def kernel_nexthops(self, prefix, router=0):
        """The set of next hops of the router's kernel route to prefix (empty if none)."""
        out = self.routers[router].exec("ip", "-4", "route", "show", "exact", prefix).stdout
        return set(re.findall(r"via (\S+)", out))

    def requests(self, host, count=60, client=0, timeout=1.0):
        """Sends count requests from a client; returns ({node name: answers}, failed)."""
        c = self.clients[client]
        out = c.exec(sys.executable, _WEB, "get", host, str(count), str(timeout),
                     timeout=count * timeout + 30).stdout
        data = json.loads(out)
        return data["answers"], data["failed"]

    def close(self):
        self.lab.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
