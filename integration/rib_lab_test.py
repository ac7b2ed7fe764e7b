#!/usr/bin/env python3
"""Issue 4 acceptance labs: route reflection (RFC 4456), route server (RFC 7947), the best path
among three peers, an export policy applied and removed by SIGHUP, and the ECMP set sent to
an ADD-PATH peer (RFC 7911) with an import prepend moving a peer out of it, all in network
namespaces with real gobgpd, BIRD, FRR and ExaBGP (the framework is lab.py).

Assertions are made on a peer's own CLI (birdc, vtysh, gobgp, or ExaBGP's JSON log) about
routes that pass THROUGH kbgpd; the ECMP lab also reads kbgpd's Adj-RIB-Out through its GoBGP
API with the gobgp CLI. One LAN per test; kbgpd is 10.0.0.1.

  python3 integration/rib_lab_test.py --kbgpd build/daemon/kbgpd [-v] [TestClass.test_name]

Needs root, iproute2 and the peer daemons (scripts/deps.sh); skips what is missing.
KBGP_LAB_KEEP=1 keeps each lab's temp dir (configs and logs); KBGP_LAB_DUMP=1 prints log tails.
"""

import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as L  # noqa: E402
from interop_test import LabTestCase, need  # noqa: E402
import interop_test  # noqa: E402

K_AS = 4200000001


# --------------------------------------------------------------------------------------------
# Full attributes of the best path for one prefix, read from each daemon's CLI, normalised as
# dict(as_path=[int], next_hop=str, med=int|None, local_pref=int|None, origin="igp"|"egp"|
# "incomplete", originator_id=str|None, cluster_list=[str]). None when the prefix is absent.

_ORIGINS = {"i": "igp", "igp": "igp", "e": "egp", "egp": "egp", "?": "incomplete",
            "incomplete": "incomplete", 0: "igp", 1: "egp", 2: "incomplete"}


def frr_attrs(frr, prefix):
    out = frr.cli("show bgp ipv4 unicast %s json" % prefix, check=False).stdout
    data = json.loads(out or "{}")
    paths = data.get("paths") or []
    if not paths:
        return None
    best = [p for p in paths if (p.get("bestpath") or {}).get("overall")] or paths
    p = best[0]
    aspath = p.get("aspath", {})
    path_str = aspath.get("string", "") if isinstance(aspath, dict) else str(aspath)
    nhs = p.get("nexthops") or []
    cl = p.get("clusterList") or {}
    return dict(as_path=[int(x) for x in path_str.split() if x.isdigit()],
                next_hop=nhs[0].get("ip") if nhs else None,
                med=p.get("metric", p.get("med")),
                local_pref=p.get("locPrf", p.get("localpref")),
                origin=_ORIGINS.get(str(p.get("origin", "")).lower()),
                originator_id=p.get("originatorId"),
                cluster_list=list(cl.get("list", [])) if isinstance(cl, dict) else list(cl))


def bird_attrs(bird, prefix):
    out = bird.cli("show", "route", prefix, "all", check=False).stdout
    cur = None
    for line in out.splitlines():
        m = re.match(r"^(\S+/\d+)?\s+\S+\s+\[(\S+)\s.*", line)
        if m and "[" in line and not line.startswith("\t"):
            if cur is not None:
                break  # only the first (best) route
            if " * " not in line:
                continue
            cur = dict(as_path=[], next_hop=None, med=None, local_pref=None, origin=None,
                       originator_id=None, cluster_list=[])
            continue
        if cur is None:
            continue
        s = line.strip()
        key, _, val = s.partition(":")
        val = val.strip()
        if key == "BGP.as_path":
            cur["as_path"] = [int(x) for x in val.split() if x.isdigit()]
        elif key == "BGP.next_hop":
            cur["next_hop"] = val.split()[0]
        elif key == "BGP.med":
            cur["med"] = int(val)
        elif key == "BGP.local_pref":
            cur["local_pref"] = int(val)
        elif key == "BGP.origin":
            cur["origin"] = _ORIGINS.get(val.lower())
        elif key == "BGP.originator_id":
            cur["originator_id"] = val
        elif key == "BGP.cluster_list":
            cur["cluster_list"] = val.split()
    return cur


def gobgp_attrs(g, prefix):
    data = json.loads(g.cli("global", "rib", "-a", "ipv4", "-j").stdout or "{}")
    paths = data.get(prefix)
    if not paths:
        return None
    p = ([p for p in paths if p.get("best")] or paths)[0]
    cur = dict(as_path=[], next_hop=None, med=None, local_pref=None, origin=None,
               originator_id=None, cluster_list=[])
    for a in p.get("attrs", []):
        t = a.get("type")
        if t == 1:
            cur["origin"] = _ORIGINS.get(a.get("value"))
        elif t == 2:
            for seg in a.get("as_paths", []):
                cur["as_path"] += seg.get("asns", [])
        elif t == 3:
            cur["next_hop"] = a.get("nexthop")
        elif t == 4:
            cur["med"] = a.get("metric")
        elif t == 5:
            cur["local_pref"] = a.get("value")
        elif t == 9:
            cur["originator_id"] = a.get("value")
        elif t == 10:
            cur["cluster_list"] = list(a.get("value") or [])
    return cur


def exabgp_attrs(x, prefix):
    """The last announcement of prefix in ExaBGP's received-UPDATE log (None if withdrawn)."""
    cur = None
    for m in x._messages():
        if m.get("type") != "update":
            continue
        upd = m.get("neighbor", {}).get("message", {}).get("update", {})
        attr = upd.get("attribute", {})
        for nh, nlris in upd.get("announce", {}).get("ipv4 unicast", {}).items():
            for n in nlris:
                if n.get("nlri") == prefix:
                    cur = dict(as_path=[int(a) for a in attr.get("as-path", [])],
                               next_hop=nh, med=attr.get("med"),
                               local_pref=attr.get("local-preference"),
                               origin=_ORIGINS.get(attr.get("origin")),
                               originator_id=attr.get("originator-id"),
                               cluster_list=list(attr.get("cluster-list", [])))
        for n in upd.get("withdraw", {}).get("ipv4 unicast", []):
            if n.get("nlri") == prefix:
                cur = None
    return cur


def attrs(d, prefix):
    if isinstance(d, L.Frr):
        return frr_attrs(d, prefix)
    if isinstance(d, L.Bird):
        return bird_attrs(d, prefix)
    if isinstance(d, L.Gobgpd):
        return gobgp_attrs(d, prefix)
    if isinstance(d, L.ExaBgp):
        return exabgp_attrs(d, prefix)
    raise TypeError(d)


class RibLabTestCase(LabTestCase):
    def kbgpd(self, router, asn=K_AS):
        k = L.Kbgpd(router, asn)
        k.binary = interop_test.KBGPD
        return k

    def expect(self, d, prefix, timeout=20, **want):
        """Waits until d's best path for prefix has every attribute in `want`."""
        def check():
            a = attrs(d, prefix)
            return a is not None and all(a.get(k) == v for k, v in want.items())
        try:
            L.wait_for("%s (%s) shows %s with %r" % (d.name, d.router.name, prefix, want),
                       check, timeout)
        except AssertionError as e:
            raise AssertionError("%s; %s has %r" % (e, d.name, attrs(d, prefix))) from None

    def expect_absent(self, d, prefix, timeout=15):
        L.wait_for("%s (%s) has no %s" % (d.name, d.router.name, prefix),
                   lambda: attrs(d, prefix) is None, timeout)

    def wait_up(self, k, routers, timeout=30):
        for r in routers:
            L.wait_for("kbgpd logs peer up for %s" % r.v4, lambda r=r: k.is_up(r.v4), timeout)


# --------------------------------------------------------------------------------------------
# 1. Route reflector


class RouteReflector(RibLabTestCase):
    """kbgpd (10.0.0.1) reflects for two clients, FRR c1 (.2) and BIRD c2 (.3); gobgpd nc1 (.4)
    and ExaBGP nc2 (.5) are non-clients. All in AS 65000; cluster id 10.255.255.1."""

    AS = 65000
    CID = "10.255.255.1"
    C1_P = "10.201.0.0/24"    # from client 1 (FRR; LOCAL_PREF 250, MED 33 by route-map)
    C2_P = "10.202.0.0/24"    # from client 2 (BIRD)
    NC1_P = "10.204.0.0/24"   # from non-client 1 (gobgpd; LOCAL_PREF 300)
    LATE_P = "10.209.0.0/24"  # added at client 1 late, to order the negative checks
    CTRL_P = "10.205.0.0/24"  # from non-client 2 (ExaBGP) with CLUSTER_LIST [10.77.0.1]
    LOOP_P = "10.206.0.0/24"  # from non-client 2 with kbgpd's cluster id in its CLUSTER_LIST

    @need(L.Frr, L.Bird, L.Gobgpd, L.ExaBgp)
    def test_reflection(self):
        lab = self.lab
        kr, r1, r2, r3, r4 = (lab.add_router(n) for n in ("k", "c1", "c2", "nc1", "nc2"))
        k = self.kbgpd(kr, self.AS)
        k.neighbor(r1.v4, self.AS, route_reflector_client=True, cluster_id=self.CID)
        k.neighbor(r2.v4, self.AS, route_reflector_client=True, cluster_id=self.CID)
        k.neighbor(r3.v4, self.AS, cluster_id=self.CID)
        k.neighbor(r4.v4, self.AS, cluster_id=self.CID)
        c1 = L.Frr(r1, self.AS).neighbor(kr.v4, self.AS, af_extra=["route-map RR-OUT out"])
        c1.originate(self.C1_P)
        c1.tail = "route-map RR-OUT permit 10\n set local-preference 250\n set metric 33\n"
        c2 = L.Bird(r2, self.AS).neighbor(kr.v4, self.AS).originate(self.C2_P)
        nc1 = L.Gobgpd(r3, self.AS).neighbor(kr.v4, self.AS)
        nc2 = L.ExaBgp(r4, self.AS).neighbor(kr.v4, self.AS)
        nc2.originate(self.CTRL_P, "origin igp local-preference 100 originator-id 10.9.9.9 "
                      "cluster-list [ 10.77.0.1 ]")
        nc2.originate(self.LOOP_P, "origin igp local-preference 100 originator-id 10.9.9.9 "
                      "cluster-list [ %s ]" % self.CID)
        k.start()
        c1.start()
        c2.start()
        nc1.start()
        nc2.start()
        self.wait_up(k, (r1, r2, r3, r4))
        nc1.announce(self.NC1_P, "local-pref", "300")

        # Client 1 -> client 2 and -> both non-clients: ORIGINATOR_ID = client 1's router id,
        # CLUSTER_LIST = [our cluster id], NEXT_HOP and LOCAL_PREF (and MED) unchanged.
        refl = dict(as_path=[], next_hop=r1.v4, local_pref=250, med=33,
                    originator_id=r1.v4, cluster_list=[self.CID])
        for d in (c2, nc1, nc2):
            self.expect(d, self.C1_P, **refl)
        # Client 2 -> client 1 and the non-clients.
        for d in (c1, nc1, nc2):
            self.expect(d, self.C2_P, as_path=[], next_hop=r2.v4, local_pref=100,
                        originator_id=r2.v4, cluster_list=[self.CID])
        # Non-client 1 -> the clients only.
        for d in (c1, c2):
            self.expect(d, self.NC1_P, as_path=[], next_hop=r3.v4, local_pref=300,
                        originator_id=r3.v4, cluster_list=[self.CID])
        # Non-client 2's control route is reflected to the clients with our cluster id
        # prepended and its ORIGINATOR_ID kept.
        for d in (c1, c2):
            self.expect(d, self.CTRL_P, next_hop=r4.v4, originator_id="10.9.9.9",
                        cluster_list=[self.CID, "10.77.0.1"])

        # A later route from client 1 reaches non-client 2: by then kbgpd has long processed
        # non-client 1's route, which must not have gone to non-client 2 (RFC 4456 §6), and
        # non-client 2's own looped route, which must not have been used (§8).
        c1.exec("vtysh", "--vty_socket", c1.vty, "-c", "configure terminal",
                "-c", "router bgp %d" % self.AS, "-c", "address-family ipv4 unicast",
                "-c", "network %s" % self.LATE_P)
        self.expect(nc2, self.LATE_P, next_hop=r1.v4, originator_id=r1.v4)
        self.expect(c2, self.LATE_P, next_hop=r1.v4, originator_id=r1.v4)
        self.assertIsNone(attrs(nc2, self.NC1_P), "a non-client's route went to a non-client")
        for d in (c1, c2, nc1):
            self.assertIsNone(attrs(d, self.LOOP_P),
                              "a route with our cluster id in its CLUSTER_LIST was used")
        self.assertIsNone(attrs(nc1, self.CTRL_P), "a non-client's route went to a non-client")
        L.holds_for("no non-client to non-client reflection, no looped route",
                    lambda: attrs(nc2, self.NC1_P) is None and attrs(nc1, self.CTRL_P) is None
                    and all(attrs(d, self.LOOP_P) is None for d in (c1, c2, nc1)), 1.5)


# --------------------------------------------------------------------------------------------
# 2. Route server


class RouteServer(RibLabTestCase):
    """kbgpd (10.0.0.1, AS K_AS) as route server for gobgpd A (.2, AS 65001), BIRD B (.3,
    AS 65002) and FRR C (.4, AS 65003); C's export policy rejects REJ_P."""

    A_P = "10.31.0.0/24"
    REJ_P = "10.39.0.0/24"
    B_P = "10.32.0.0/24"
    A_AS, B_AS, C_AS = 65001, 65002, 65003

    @need(L.Gobgpd, L.Bird, L.Frr)
    def test_route_server_clients(self):
        lab = self.lab
        kr, ra, rb, rc = (lab.add_router(n) for n in ("k", "a", "b", "c"))
        k = self.kbgpd(kr)
        k.neighbor(ra.v4, self.A_AS, route_server_client=True)
        k.neighbor(rb.v4, self.B_AS, route_server_client=True)
        # Per-client policy as gobgpd expresses it (docs/sources/route-server.md,
        # policy.md "Route Server Policy Model"): apply-policy under the client's neighbor.
        k.neighbor(rc.v4, self.C_AS, route_server_client=True, extra="\n".join([
            "    apply-policy:", "      config:",
            "        export-policy-list:", "          - reject-to-c",
            "        default-export-policy: accept-route"]))
        k.tail = "\n".join([
            "defined-sets:", "  prefix-sets:", "    - prefix-set-name: rej",
            "      prefix-list:", "        - ip-prefix: %s" % self.REJ_P,
            "policy-definitions:", "  - name: reject-to-c", "    statements:",
            "      - name: s1", "        conditions:", "          match-prefix-set:",
            "            prefix-set: rej", "        actions:",
            "          route-disposition: reject-route"])
        a = L.Gobgpd(ra, self.A_AS).neighbor(kr.v4, K_AS)
        b = L.Bird(rb, self.B_AS).neighbor(kr.v4, K_AS).originate(self.B_P)
        # The route server's AS is not the first in the paths it passes on (RFC 7947 §2.2.2).
        c = L.Frr(rc, self.C_AS).neighbor(kr.v4, K_AS, extra=["no enforce-first-as"])
        k.start()
        a.start()
        b.start()
        c.start()
        self.wait_up(k, (ra, rb, rc))
        a.announce(self.REJ_P, "med", "5")
        a.announce(self.A_P, "med", "77")

        # A's route at B and C: AS_PATH [A] (no route server AS), NEXT_HOP A, MED kept.
        for d in (b, c):
            self.expect(d, self.A_P, as_path=[self.A_AS], next_hop=ra.v4, med=77)
        # B's route at A and C.
        for d in (a, c):
            self.expect(d, self.B_P, as_path=[self.B_AS], next_hop=rb.v4)
        # Per-client export policy: B gets REJ_P, C (which already has A's other route) not.
        self.expect(b, self.REJ_P, as_path=[self.A_AS], next_hop=ra.v4, med=5)
        self.assertIsNone(attrs(c, self.REJ_P), "C's export policy did not reject REJ_P")
        L.holds_for("C never gets REJ_P", lambda: attrs(c, self.REJ_P) is None, 1.5)


# --------------------------------------------------------------------------------------------
# 3. Best path among three peers


class BestPath(RibLabTestCase):
    """Three gobgpd peers p1 (.2, AS 65001), p2 (.3, AS 65002), p3 (.4, AS 65002) offer the
    same prefixes; BIRD (.5, AS 65010) observes kbgpd's choice, told apart by the AS path
    (p1 adds 65101, p2 65102, p3 65103). external-compare-router-id is on, so the router id
    (not the oldest eBGP path, GoBGP's default) breaks full ties."""

    LEN_P = "10.51.0.0/24"  # AS path length, then ORIGIN
    MED_P = "10.52.0.0/24"  # MED between p2 and p3 (same neighbor AS)
    RID_P = "10.53.0.0/24"  # all equal: lowest router id

    @need(L.Gobgpd, L.Bird)
    def test_best_path_and_next_best_after_withdraw(self):
        lab = self.lab
        kr, r1, r2, r3, ro = (lab.add_router(n) for n in ("k", "p1", "p2", "p3", "obs"))
        k = self.kbgpd(kr)
        k.global_extra = "\n".join(["  route-selection-options:", "    config:",
                                    "      external-compare-router-id: true"])
        asns = {r1: 65001, r2: 65002, r3: 65002}
        for r, asn in asns.items():
            k.neighbor(r.v4, asn)
        k.neighbor(ro.v4, 65010)
        p1, p2, p3 = (L.Gobgpd(r, asns[r]).neighbor(kr.v4, K_AS) for r in (r1, r2, r3))
        obs = L.Bird(ro, 65010).neighbor(kr.v4, K_AS)
        k.start()
        for p in (p1, p2, p3):
            p.start()
        obs.start()
        self.wait_up(k, (r1, r2, r3, ro))
        for p in (p1, p2, p3):
            L.wait_for("%s established" % p.name, lambda p=p: p.established(kr.v4), 20)

        # Arrival order p3, p2, p1: the oldest path is p3's, the lowest router id p1's.
        p3.announce(self.RID_P, "aspath", "65103", "origin", "igp")
        p2.announce(self.RID_P, "aspath", "65102", "origin", "igp")
        p1.announce(self.RID_P, "aspath", "65101", "origin", "igp")
        # p1: length 3, origin IGP; p2: length 2, INCOMPLETE; p3: length 2, IGP.
        p1.announce(self.LEN_P, "aspath", "65101,65201", "origin", "igp")
        p2.announce(self.LEN_P, "aspath", "65102", "origin", "incomplete")
        p3.announce(self.LEN_P, "aspath", "65103", "origin", "igp")
        # p2 and p3 both AS 65002, MED 50 and 10; p1 (longer path) MED 0.
        p1.announce(self.MED_P, "aspath", "65101,65201", "med", "0")
        p2.announce(self.MED_P, "aspath", "65102", "med", "50")
        p3.announce(self.MED_P, "aspath", "65103", "med", "10")

        via = {p1: [K_AS, 65001, 65101], p2: [K_AS, 65002, 65102], p3: [K_AS, 65002, 65103]}
        long1 = [K_AS, 65001, 65101, 65201]
        # Lower ORIGIN among the shortest AS paths.
        self.expect(obs, self.LEN_P, as_path=via[p3], origin="igp")
        # Lower MED from the same neighbor AS (p2's router id is lower).
        self.expect(obs, self.MED_P, as_path=via[p3])
        # Everything equal: the lowest router id (not the oldest path, p3's).
        self.expect(obs, self.RID_P, as_path=via[p1])

        # Withdraw the best at its source: the next best.
        p3.withdraw(self.LEN_P)
        # The shorter AS path wins over a better ORIGIN.
        self.expect(obs, self.LEN_P, as_path=via[p2], origin="incomplete")
        p2.withdraw(self.LEN_P)
        self.expect(obs, self.LEN_P, as_path=long1, origin="igp")
        p3.withdraw(self.MED_P)
        self.expect(obs, self.MED_P, as_path=via[p2])
        p1.withdraw(self.RID_P)
        self.expect(obs, self.RID_P, as_path=via[p2])
        p2.withdraw(self.RID_P)
        self.expect(obs, self.RID_P, as_path=via[p3])
        p3.withdraw(self.RID_P)
        self.expect_absent(obs, self.RID_P)


# --------------------------------------------------------------------------------------------
# 4. Export policy, and its removal by SIGHUP


class ExportPolicy(RibLabTestCase):
    """gobgpd p1 (.2, AS 65001) announces; BIRD obs (.3, AS 65010) is in the neighbor-set of a
    global export policy that prepends kbgpd's AS (last-as) 3 times; FRR other (.4, AS 65020)
    is not."""

    P = "10.61.0.0/24"

    POLICY = "\n".join([
        "defined-sets:", "  neighbor-sets:", "    - neighbor-set-name: observer",
        "      neighbor-info-list:", "        - %s",
        "policy-definitions:", "  - name: prepend-observer", "    statements:",
        "      - name: s1", "        conditions:", "          match-neighbor-set:",
        "            neighbor-set: observer", "        actions:", "          bgp-actions:",
        "            set-as-path-prepend:", "              as: last-as",
        "              repeat-n: 3", "          route-disposition: accept-route"])
    APPLY = "\n".join(["  apply-policy:", "    config:", "      export-policy-list:",
                       "        - prepend-observer",
                       "      default-export-policy: accept-route"])

    @need(L.Gobgpd, L.Bird, L.Frr)
    def test_prepend_then_sighup_removes_it(self):
        lab = self.lab
        kr, r1, ro, rx = (lab.add_router(n) for n in ("k", "p1", "obs", "other"))
        k = self.kbgpd(kr)
        k.neighbor(r1.v4, 65001).neighbor(ro.v4, 65010).neighbor(rx.v4, 65020)
        k.global_extra = self.APPLY
        k.tail = self.POLICY % ro.v4
        p1 = L.Gobgpd(r1, 65001).neighbor(kr.v4, K_AS)
        obs = L.Bird(ro, 65010).neighbor(kr.v4, K_AS)
        other = L.Frr(rx, 65020).neighbor(kr.v4, K_AS)
        k.start()
        p1.start()
        obs.start()
        other.start()
        self.wait_up(k, (r1, ro, rx))
        p1.announce(self.P)

        plain = [K_AS, 65001]
        self.expect(obs, self.P, as_path=[K_AS] * 4 + [65001], next_hop=kr.v4)
        self.expect(other, self.P, as_path=plain, next_hop=kr.v4)
        ups = {r.v4: len(k.events("peer up", r.v4)) for r in (r1, ro, rx)}
        self.assertEqual(k.events("peer down"), [])

        # SIGHUP with the policy removed: the path shrinks back, no session is reset.
        k.global_extra = ""
        k.tail = ""
        k.reload()
        L.wait_for("kbgpd logs the reload", lambda: k.events("config reloaded"), 10)
        self.expect(obs, self.P, as_path=plain, next_hop=kr.v4)
        self.expect(other, self.P, as_path=plain, next_hop=kr.v4)
        self.assertEqual(k.events("peer down"), [], "the policy change reset a session")
        self.assertEqual({r.v4: len(k.events("peer up", r.v4)) for r in (r1, ro, rx)}, ups)
        self.assertTrue(obs.established(kr.v4) and other.established(kr.v4))


# --------------------------------------------------------------------------------------------
# 5. The ECMP set towards an ADD-PATH peer, and a prepend moving a peer out of it


def frr_paths(frr, prefix):
    """Every path FRR holds for prefix (ADD-PATH paths apart): sorted [(next_hop, as_path)]."""
    out = frr.cli("show bgp ipv4 unicast %s json" % prefix, check=False).stdout
    paths = json.loads(out or "{}").get("paths") or []
    got = []
    for p in paths:
        aspath = p.get("aspath", {})
        path_str = aspath.get("string", "") if isinstance(aspath, dict) else str(aspath)
        nhs = p.get("nexthops") or []
        got.append((nhs[0].get("ip") if nhs else None,
                    tuple(int(x) for x in path_str.split() if x.isdigit())))
    return sorted(got)


class EcmpAddPath(RibLabTestCase):
    """Three gobgpd peers p1 (.2), p2 (.3), p3 (.4), all in AS 65001, offer P with equal
    attributes. kbgpd has use-multiple-paths on: the three paths are equal up to the IGP cost
    step and come from one neighbor AS, so they form the ECMP set (paths from different
    neighbor ASes would need use-multiple-paths.ebgp.config.allow-multiple-as, not used
    here). external-compare-router-id makes p1's path (lowest router id) the best whatever
    the arrival order. Both observers are route-server clients, so next hops tell the paths
    apart: FRR rx (.5) has ADD-PATH send (send-max 8) and must hold the whole set, BIRD obs
    (.6) has no ADD-PATH and holds the best only. An import policy prepending p1's paths,
    applied and removed by SIGHUP, moves p1 out of the set (and the best to p2) and back."""

    P = "10.71.0.0/24"
    AS = 65001

    POLICY = "\n".join([
        "defined-sets:", "  neighbor-sets:", "    - neighbor-set-name: p1",
        "      neighbor-info-list:", "        - %s",
        "policy-definitions:", "  - name: prepend-p1", "    statements:",
        "      - name: s1", "        conditions:", "          match-neighbor-set:",
        "            neighbor-set: p1", "        actions:", "          bgp-actions:",
        "            set-as-path-prepend:", "              as: last-as",
        "              repeat-n: 2", "          route-disposition: accept-route"])
    MULTIPATH = ["  use-multiple-paths:", "    config:", "      enabled: true",
                 "  route-selection-options:", "    config:",
                 "      external-compare-router-id: true"]
    APPLY = ["  apply-policy:", "    config:", "      import-policy-list:",
             "        - prepend-p1", "      default-import-policy: accept-route"]

    @need(L.Gobgpd, L.Frr, L.Bird)
    def test_ecmp_set_to_add_path_peer_and_prepend(self):
        lab = self.lab
        kr, r1, r2, r3, rx, ro = (lab.add_router(n) for n in ("k", "p1", "p2", "p3", "rx", "obs"))
        k = self.kbgpd(kr)
        for r in (r1, r2, r3):
            k.neighbor(r.v4, self.AS)
        k.neighbor(rx.v4, 65010, route_server_client=True, extra="\n".join([
            "    add-paths:", "      config:", "        send-max: 8"]))
        k.neighbor(ro.v4, 65020, route_server_client=True)
        k.global_extra = "\n".join(self.MULTIPATH)
        ps = [L.Gobgpd(r, self.AS).neighbor(kr.v4, K_AS) for r in (r1, r2, r3)]
        # The route server's AS is not the first in the paths it passes on (RFC 7947 §2.2.2).
        rxd = L.Frr(rx, 65010).neighbor(kr.v4, K_AS, extra=["no enforce-first-as"])
        obs = L.Bird(ro, 65020).neighbor(kr.v4, K_AS)
        k.start()
        for p in ps:
            p.start()
        rxd.start()
        obs.start()
        self.wait_up(k, (r1, r2, r3, rx, ro))
        for p in ps:
            L.wait_for("%s established" % p.name, lambda p=p: p.established(kr.v4), 20)
        # FRR offers to receive several paths (RFC 7911) by default; kbgpd's send-max offers
        # to send them.
        nb = json.loads(rxd.cli("show bgp neighbors %s json" % kr.v4).stdout)[kr.v4]
        addpath = nb.get("neighborCapabilities", {}).get("addPath", {}).get("ipv4Unicast", {})
        self.assertTrue(addpath.get("txReceived") and addpath.get("rxAdvertised"),
                        "ADD-PATH not negotiated: %r" % addpath)
        for p in ps:
            p.announce(self.P)

        hop = {r1: r1.v4, r2: r2.v4, r3: r3.v4}
        plain = (self.AS,)
        prepended = (self.AS,) * 3

        def rx_holds(want):
            L.wait_for("%s holds %r for %s" % (rxd.name, want, self.P),
                       lambda: frr_paths(rxd, self.P) == sorted(want), 20)

        # The whole ECMP set at the ADD-PATH peer: three paths, three next hops; the best
        # alone at the other.
        rx_holds([(hop[r], plain) for r in (r1, r2, r3)])
        self.expect(obs, self.P, as_path=list(plain), next_hop=r1.v4)
        # kbgpd's own account through its GoBGP API (the gobgp CLI): the Adj-RIB-Out towards
        # rx holds the three paths, towards obs the best one.
        def adj_out(peer):
            out = k.exec("gobgp", "-p", "50051", "neighbor", peer, "adj-out", "-a", "ipv4",
                         "-j").stdout
            return sorted(a.get("nexthop") for p in json.loads(out or "{}").get(self.P, [])
                          for a in p.get("attrs", []) if a.get("type") == 3)
        self.assertEqual(adj_out(rx.v4), sorted(hop.values()))
        self.assertEqual(adj_out(ro.v4), [r1.v4])
        ups = {r.v4: len(k.events("peer up", r.v4)) for r in (r1, r2, r3, rx, ro)}

        # Prepend p1's paths on import: p1 leaves the set (its path id is withdrawn), the
        # best moves to p2 (the lower router id of the two left).
        k.global_extra = "\n".join(self.MULTIPATH + self.APPLY)
        k.tail = self.POLICY % r1.v4
        k.reload()
        L.wait_for("kbgpd logs the reload", lambda: len(k.events("config reloaded")) >= 1, 10)
        rx_holds([(hop[r2], plain), (hop[r3], plain)])
        self.expect(obs, self.P, as_path=list(plain), next_hop=r2.v4)

        # The policy removed: p1 is back in the set and the best again.
        k.global_extra = "\n".join(self.MULTIPATH)
        k.tail = ""
        k.reload()
        L.wait_for("kbgpd logs the second reload",
                   lambda: len(k.events("config reloaded")) >= 2, 10)
        rx_holds([(hop[r], plain) for r in (r1, r2, r3)])
        self.expect(obs, self.P, as_path=list(plain), next_hop=r1.v4)
        self.assertNotIn((hop[r1], prepended), frr_paths(rxd, self.P))

        # A peer leaving withdraws its path only; no session was reset on the way.
        ps[2].withdraw(self.P)
        rx_holds([(hop[r1], plain), (hop[r2], plain)])
        self.assertEqual(k.events("peer down"), [], "a policy change reset a session")
        self.assertEqual({r.v4: len(k.events("peer up", r.v4)) for r in (r1, r2, r3, rx, ro)},
                         ups)


def main():
    argv = [sys.argv[0]]
    it = iter(sys.argv[1:])
    for a in it:
        if a == "--kbgpd":
            interop_test.KBGPD = os.path.abspath(next(it))
        elif a.startswith("--kbgpd="):
            interop_test.KBGPD = os.path.abspath(a.split("=", 1)[1])
        else:
            argv.append(a)
    if not interop_test.KBGPD or not os.access(interop_test.KBGPD, os.X_OK):
        sys.exit("usage: rib_lab_test.py --kbgpd PATH/TO/kbgpd [unittest args]")
    t0 = time.monotonic()
    prog = unittest.main(argv=argv, exit=False, verbosity=2)
    leftover = [l for l in L.run(["ip", "netns", "list"]).stdout.splitlines()
                if l.startswith("kb%dx" % os.getpid())]
    print("rib_lab_test: %.1f s; leftover namespaces: %s" % (time.monotonic() - t0,
                                                            leftover or "none"))
    ok = prog.result.wasSuccessful() and not leftover
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
