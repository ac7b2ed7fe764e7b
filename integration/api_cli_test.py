#!/usr/bin/env python3
"""API acceptance: the real `gobgp` 3.10 CLI against kbgpd must print what it prints against a
real gobgpd (Python 3 standard library only).

The same scenario (a list of steps: one `gobgp` command each, with an optional condition to wait
for) runs twice, each time in a fresh lab set up identically: once against gobgpd, the oracle,
and once against the device under test (DUT). Both daemons start with NO config file, only the
API (`--api-hosts 127.0.0.1:50051` inside their own namespace), and the scenario configures
everything through the CLI: `global as ...` (StartBgp), `neighbor add`, routes, defined sets,
statements, policies and their assignments. Every show command runs twice, as text and with
`-j`. The outputs are masked (see "Masks" below: times, ages, timing-dependent counters, the
orders gobgpd itself randomises) and compared step by step; every differing step is reported
with a unified diff, then the test fails if any differed.

Lab (one LAN, see lab.py): the DUT is 10.0.0.1 / 2001:db8::1, AS 65000, router-id 10.0.0.1.
  p1 10.0.0.2 / 2001:db8::2: gobgpd, AS 65001 (eBGP), one IPv4 and one IPv6 session
  p2 10.0.0.3 / 2001:db8::3: gobgpd, AS 65000 (iBGP), one IPv4 and one IPv6 session
The peers are configured from YAML and are passive, so only the DUT connects (no connection
collisions, deterministic OPEN/NOTIFICATION counts). Their routes are added with their own CLI
before the DUT adds them as neighbors: about 30 per peer over both families, with distinct AS paths,
communities, MEDs, origins, large communities and (iBGP) local preferences and next hops, some
prefixes from both peers with the best path decided at different steps of the decision process.

  python3 integration/api_cli_test.py [--dut kbgpd|gobgpd] [--kbgpd PATH] [--record DIR]
                                      [--only oracle|dut]

--dut selects the device under test (default: $KBGP_API_DUT, else kbgpd); --kbgpd (or
$KBGPD) is the kbgpd binary. `--dut gobgpd` runs gobgpd against itself: the test's own check
that the masks leave nothing non-deterministic. --record DIR writes each step's masked output
to DIR/oracle/ and DIR/dut/ (one file per step, `diff -r` them). --only runs one side and
prints it, without comparing. Needs root, iproute2, gobgpd and gobgp; exits 77 (skip) without.
KBGP_LAB_KEEP=1 keeps the labs' temp dirs (daemon logs); KBGP_LAB_DUMP=1 prints the DUT's log.
"""

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as L  # noqa: E402

API_PORT = 50051  # inside the DUT's namespace, on 127.0.0.1
DUT_AS, P1_AS, P2_AS = 65000, 65001, 65000
WAIT = 60.0  # seconds for any condition; gobgpd connects every 5-10 s, after 5 s of idle hold

# --------------------------------------------------------------------------------------------
# The peers' routes: (prefix, gobgp CLI attributes). Adding them through the peers' own CLI
# makes the attributes exact; the peers pass them on (p1 prepends 65001 and sets itself as the
# next hop; p2 is iBGP and keeps next hop, local-pref and AS path).

P1_ROUTES = [
    ("10.1.0.0/16", "aspath 65010 community 65001:100 med 10"),
    ("10.1.1.0/24", "community 65001:101,no-export origin egp"),
    ("10.1.2.0/24", "med 20 large-community 65001:2:3"),
    ("10.1.128.0/17", "aspath 65011,65012 origin igp"),
    ("10.3.0.0/24", "community 65001:3"),       # p2 wins: local-pref 200
    ("10.4.0.0/24", ""),                        # p1 wins: shorter AS path
    ("10.5.0.0/24", "med 500"),                 # p1 wins: eBGP over iBGP
] + [("10.11.%d.0/24" % n, "aspath %s community 65001:%d med %d" %
      (",".join(["65100"] * (1 + n % 3)), n, n * 10)) for n in range(12)] + [
    ("2001:db8:1::/48", "aspath 65010,65011 med 5 large-community 65001:1:1"),
    ("2001:db8:1:1::/64", "community 65001:6 origin egp"),
    ("2001:db8:3::/48", ""),                    # p2 wins: local-pref 200
    ("2001:db8:4::/48", "aspath 65040"),        # p2 wins: shorter AS path
] + [("2001:db8:11:%x::/64" % n, "community 65001:%d" % (200 + n)) for n in range(8)]

P2_ROUTES = [
    ("10.2.0.0/16", "local-pref 200 nexthop 10.0.0.33 community 65000:7"),
    ("10.2.1.0/24", "local-pref 50 med 3"),
    ("10.3.0.0/24", "local-pref 200"),
    ("10.4.0.0/24", "aspath 65020,65021"),
    ("10.5.0.0/24", "aspath 65030 med 5"),
] + [("10.12.%d.0/24" % n, "local-pref %d community 65000:%d" % (100 + n, n))
     for n in range(12)] + [
    ("2001:db8:2::/48", "local-pref 50 med 3 community 65000:2"),
    ("2001:db8:3::/48", "local-pref 200"),
    ("2001:db8:4::/48", ""),
] + [("2001:db8:12:%x::/64" % n, "nexthop 2001:db8::3%x" % n) for n in range(8)]


def _fam(prefix):
    return "ipv6" if ":" in prefix else "ipv4"


def _count(routes, fam):
    return len([p for p, _ in routes if _fam(p) == fam])


N = {("p1", "ipv4"): _count(P1_ROUTES, "ipv4"), ("p1", "ipv6"): _count(P1_ROUTES, "ipv6"),
     ("p2", "ipv4"): _count(P2_ROUTES, "ipv4"), ("p2", "ipv6"): _count(P2_ROUTES, "ipv6")}
P1_V4, P1_V6, P2_V4, P2_V6 = "10.0.0.2", "2001:db8::2", "10.0.0.3", "2001:db8::3"
RECEIVED = {P1_V4: N["p1", "ipv4"], P1_V6: N["p1", "ipv6"],
            P2_V4: N["p2", "ipv4"], P2_V6: N["p2", "ipv6"]}


def _rib_size(fam):
    prefixes = [p for p, _ in P1_ROUTES + P2_ROUTES if _fam(p) == fam]
    return len(set(prefixes)), len(prefixes)


# --------------------------------------------------------------------------------------------
# Masks: what differs between two runs by nature, not by behaviour.

TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
# Ages and up/down times ("00:00:12", "1d 02:03:04"); not inside addresses or communities.
DURATION = re.compile(r"(?<![\w:])(\d+d )?\d{2}:\d{2}:\d{2}(?![\w:])")
# Message counters that depend on timing (keepalives per elapsed second) or on how each side
# packs prefixes into UPDATEs (the peers' batching is timing-dependent; the DUT's packing is its
# own choice). Opens, notifications and route refreshes are deterministic here (passive peers).
COUNTER_LINE = re.compile(r"^\s+(Updates|Keepalives|Total):\s+\d+\s+\d+\s*$")
JSON_COUNTERS = ("update", "keepalive", "total")
# OPENs sent: after a reset the DUT reconnects to a peer that may still be in its idle hold
# and closes the connection; how many attempts that takes depends on when each side retries
# (gobgpd waits for its connect loop's tick, kbgpd connects at once and again 5 s later).
# OPENs received stay compared.
OPENS_LINE = re.compile(r"^(\s+Opens:\s+)\d+(\s+\d+\s*)$")
JSON_TIMES = ("age", "uptime", "downtime")  # timestamps (seconds since the epoch)
# The DUT's ephemeral TCP port (it connects to the passive peers). gobgpd 3.10 leaves it unset,
# a DUT that reports it would show a different number in every run.
JSON_DROP = JSON_TIMES + ("local_port",)


def mask_text(out, sort=None):
    lines = []
    for line in out.splitlines():
        line = TIMESTAMP.sub("<TIMESTAMP>", line)
        line = DURATION.sub("<TIME>", line)
        m = COUNTER_LINE.match(line)
        if m:  # the padding depends on the number of digits: mask the whole line
            line = "    %s: <N> <N>" % m.group(1)
        m = OPENS_LINE.match(line)
        if m:
            line = "    Opens: <N> %s" % m.group(2).strip()
        if sort == "down-peer" and line.strip().startswith("Advertised:"):
            line = "    Advertised: <N>"
        lines.append(line.rstrip())
    if sort == "statements":
        # ListStatement streams gobgpd's statement map in Go's random map order; the CLI
        # prints it as it comes. Sort the "StatementName X:" blocks by name.
        blocks, head = [], []
        for line in lines:
            if line.startswith("StatementName "):
                blocks.append([line])
            elif blocks:
                blocks[-1].append(line)
            else:
                head.append(line)
        lines = head + [x for b in sorted(blocks, key=lambda b: b[0]) for x in b]
    return lines


def _mask_json(v, parent=None):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in JSON_DROP:
                continue
            if parent in ("sent", "received") and k in JSON_COUNTERS:
                continue
            if parent == "sent" and k == "open":
                continue  # see OPENS_LINE
            out[k] = _mask_json(x, k)
        return out
    if isinstance(v, list):
        items = [_mask_json(x, parent) for x in v]
        if parent in ("local_cap", "remote_cap"):
            # gobgpd lists the capabilities in a different order on every session (it builds
            # them from a map); the order carries no meaning.
            items.sort(key=lambda x: json.dumps(x, sort_keys=True))
        elif parent == "attrs" and all(isinstance(x, dict) and "type" in x for x in items):
            # A received path's attributes: gobgpd lists them in the order the peer sent them
            # (gobgpd peers send NEXT_HOP last), kbgp by type code, as it stores them decoded.
            # The set is what a client reads; the text table shows the same either way.
            items.sort(key=lambda x: x["type"])
        return items
    return v


def mask_json(out, sort=None):
    """Each line of `out` is one JSON document (monitor prints one per event). Returns the
    documents masked and pretty-printed with sorted keys, so a diff shows the differing field."""
    lines = []
    for raw in out.splitlines():
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
        except ValueError:
            lines.append("(not JSON) " + raw)
            continue
        doc = _mask_json(doc)
        if sort == "down-peer":  # see the step that uses it
            for afi_safi in doc.get("afi_safis", []) if isinstance(doc, dict) else []:
                afi_safi.get("state", {}).pop("advertised", None)
        if sort == "peers" and isinstance(doc, list):
            # ListPeer streams gobgpd's neighbor map in Go's random map order, so `neighbor -j`
            # may come in a different order on every call (the text table is sorted by the CLI).
            doc.sort(key=lambda p: p.get("conf", {}).get("neighbor_address", ""))
        elif sort == "statements" and isinstance(doc, list):
            # ListStatement: random map order too (see mask_text).
            doc.sort(key=lambda x: x.get("name", ""))
        lines += json.dumps(doc, sort_keys=True, indent=1).splitlines()
    return lines


# --------------------------------------------------------------------------------------------
# The scenario


class Step:
    """One gobgp command. show: run it as text and with -j (two records). wait: (description,
    fn(runner) -> truthy) polled after the command. sort: "peers" or "statements", for lists
    that gobgpd itself gives in random order (see mask_json)."""

    def __init__(self, args, show=True, wait=None, sort=None):
        self.args = args.split() if isinstance(args, str) else list(args)
        self.show = show
        self.wait = wait
        self.sort = sort


def S(args, wait=None, **kw):  # a show command: text and JSON
    return Step(args, True, wait, **kw)


def C(args, wait=None):  # a change: run once
    return Step(args, False, wait)


class Monitor:
    """`monitor global rib` and `monitor global rib -j` in the background while `actions` (gobgp
    commands) run; both are synchronised with a sentinel route first and closed by its delete."""

    SENTINEL = "10.77.77.0/24"

    def __init__(self, actions):
        self.actions = [a.split() for a in actions]


# Wait conditions (all through the same CLI, so they work on either daemon).

def _state(p):
    st = p.get("state", {})
    if st.get("admin_state") in (1, "DOWN"):
        return "Idle(Admin)"
    return {0: "Unknown", 1: "Idle", 2: "Connect", 3: "Active", 4: "Sent", 5: "Confirm",
            6: "Establ"}.get(st.get("session_state", 0), str(st.get("session_state")))


def _received(p):
    return sum(a.get("state", {}).get("received", 0) for a in p.get("afi_safis", []) or [])


def _opens_sent(p):
    return p.get("state", {}).get("messages", {}).get("sent", {}).get("open", 0)


def peers_are(expect):
    """expect: {address: (state, received or None, min OPENs sent or None)}. (gobgpd's Flops
    stays 0 across a session reset; the OPEN counter tells a new session from the old one.)"""
    def check(r):
        got = {}
        for p in r.json("neighbor"):
            addr = p.get("state", {}).get("neighbor_address") or p["conf"]["neighbor_address"]
            got[addr] = (_state(p), _received(p), _opens_sent(p))
        for addr, (state, rcvd, opens) in expect.items():
            g = got.get(addr)
            if g is None or g[0] != state or (rcvd is not None and g[1] != rcvd) or \
                    (opens is not None and g[2] < opens):
                return False
        return True
    return ("neighbors %s" % expect, check)


def up(*addrs):
    return {a: ("Establ", RECEIVED[a], None) for a in addrs}


ALL_UP = up(*RECEIVED)


def rib_summary(fam, dests, paths):
    def check(r):
        s = r.json("global", "rib", "summary", "-a", fam)
        return s.get("num_destination", 0) == dests and s.get("num_path", 0) == paths
    return ("%s rib with %d destinations, %d paths" % (fam, dests, paths), check)


def _paths(r, prefix, table=("global", "rib")):
    data = r.json(*table, prefix, "-a", _fam(prefix))
    return data.get(prefix, [])


def _communities(path):
    out = []
    for a in path.get("attrs", []):
        if a.get("type") == 8:
            out += a.get("communities", [])
    return out


def _as_path(path):
    out = []
    for a in path.get("attrs", []):
        if a.get("type") == 2:
            for seg in a.get("as_paths", []):
                out += seg.get("asns", [])
    return out


def comm(s):
    hi, lo = s.split(":")
    return int(hi) << 16 | int(lo)


def route_is(prefix, what, fn, table=("global", "rib")):
    """fn(list of paths of prefix, best first) -> bool."""
    return ("%s %s" % (prefix, what), lambda r: fn(_paths(r, prefix, table)))


def present(prefix):
    return route_is(prefix, "present", lambda ps: len(ps) > 0)


def absent(prefix):
    return route_is(prefix, "absent", lambda ps: len(ps) == 0)


def also(*waits):
    return (" and ".join(w[0] for w in waits), lambda r: all(w[1](r) for w in waits))


def scenario():
    v4d, v4p = _rib_size("ipv4")
    v6d, v6p = _rib_size("ipv6")
    steps = [
        # --- before StartBgp, then StartBgp
        S("global"),
        S("global rib -a ipv4"),
        C("global as %d router-id 10.0.0.1 listen-port 179" % DUT_AS),
        S("global"),
        S("neighbor"),
        S("global rib -a ipv4"),
        S("global rib summary"),

        # --- neighbors: both peers, both families; wait for every route. p1 first, then p2:
        # the order in which paths arrive decides their local identifiers (the ID column of
        # adj-out), so it is fixed by design.
        C("neighbor add %s as %d" % (P1_V4, P1_AS)),
        C("neighbor add %s as %d" % (P1_V6, P1_AS), wait=peers_are(up(P1_V4, P1_V6))),
        C("neighbor add %s as %d" % (P2_V4, P2_AS)),
        C("neighbor add %s as %d" % (P2_V6, P2_AS),
          wait=also(peers_are(ALL_UP), rib_summary("ipv4", v4d, v4p),
                    rib_summary("ipv6", v6d, v6p))),
        S("neighbor", sort="peers"),
        S("neighbor %s" % P1_V4),
        S("neighbor %s" % P1_V6),
        S("neighbor %s" % P2_V4),
        S("neighbor %s" % P2_V6),
        C("neighbor add %s as %d" % (P1_V4, P1_AS)),  # error: exists (controllers rely on it)
        S("neighbor 10.0.0.99"),  # error: no such neighbor

        # --- the global RIB
        S("global rib -a ipv4"),
        S("global rib -a ipv6"),
        S("global rib 10.1.1.0/24"),
        S("global rib 10.3.0.0/24"),
        S("global rib 10.4.0.0/24"),
        S("global rib 10.5.0.0/24"),
        S("global rib 10.1.1.77"),  # an address: the longest match
        S("global rib 10.1.0.0/16 longer-prefixes"),
        S("global rib 10.11.0.0/16 longer-prefixes"),
        S("global rib 10.99.0.0/16"),  # not in the table
        S("global rib -a ipv6 2001:db8:3::/48"),
        S("global rib -a ipv6 2001:db8:1::/48 longer-prefixes"),
        S("global rib -a ipv6 2001:db8:12::/48 longer-prefixes"),
        S("global rib summary"),
        S("global rib summary -a ipv4"),
        S("global rib summary -a ipv6"),

        # --- per-neighbor tables
        S("neighbor %s adj-in" % P1_V4),
        S("neighbor %s adj-in" % P2_V4),
        S("neighbor %s adj-in" % P1_V6),
        S("neighbor %s adj-in 10.1.0.0/16 longer-prefixes" % P1_V4),
        S("neighbor %s adj-out" % P1_V4),
        S("neighbor %s adj-out" % P2_V4),
        S("neighbor %s adj-out" % P1_V6),
        S("neighbor %s adj-out" % P2_V6),
        S("neighbor %s adj-in summary" % P1_V4),
        S("neighbor %s adj-out summary" % P2_V6),
        S("neighbor %s local" % P1_V4),  # error: not a route-server client

        # --- local routes, both families, every attribute the CLI takes
        C("global rib add 10.60.0.0/24 aspath 65100,65101 community 65000:60,no-export "
          "med 60 local-pref 160 origin egp nexthop 10.0.0.60"),
        C("global rib add 10.61.0.0/24 origin incomplete"),
        C("global rib -a ipv6 add 2001:db8:60::/48 aspath 65100 community 65000:61 med 61 "
          "local-pref 161 origin igp nexthop 2001:db8::60"),
        C("global rib -a ipv6 add 2001:db8:61::/48",
          wait=also(present("10.60.0.0/24"), present("10.61.0.0/24"),
                    present("2001:db8:60::/48"), present("2001:db8:61::/48"))),
        S("global rib 10.60.0.0/24"),
        S("global rib -a ipv6 2001:db8:60::/48"),
        S("global rib summary -a ipv4"),
        S("neighbor %s adj-out" % P1_V4),  # eBGP: next hop self, 65000 prepended, no LOCAL_PREF
        S("neighbor %s adj-out" % P2_V4),  # iBGP: attributes as they are
        S("neighbor %s adj-out" % P1_V6),
        C("global rib del 10.61.0.0/24"),
        C("global rib -a ipv6 del 2001:db8:61::/48",
          wait=also(absent("10.61.0.0/24"), absent("2001:db8:61::/48"))),
        S("global rib -a ipv4"),
        S("global rib -a ipv6"),

        # --- monitor: best-path events for local routes, and a local route that wins over
        # p1's path to 10.1.1.0/24, then gives the best back to it when deleted
        Monitor([
            "global rib add 10.70.0.0/24 aspath 65170 community 65000:70 med 70",
            "global rib -a ipv6 add 2001:db8:70::/48 community 65000:71 nexthop 2001:db8::70",
            "global rib add 10.1.1.0/24 med 1",
            "global rib del 10.70.0.0/24",
            "global rib del 10.1.1.0/24",
            "global rib -a ipv6 del 2001:db8:70::/48",
        ]),
        S("global rib 10.1.1.0/24"),

        # --- defined sets
        S("policy"),
        S("policy prefix"),
        C("policy prefix add ps-v4 10.1.0.0/16 16..24"),
        C("policy prefix add ps-v4 10.11.0.0/16 24..24"),
        C("policy prefix add ps-v6 2001:db8:1::/48 48..64"),
        C("policy prefix add ps-tmp 10.99.0.0/16"),
        S("policy prefix"),
        S("policy prefix ps-v4"),
        C("policy neighbor add ns-p1 %s %s" % (P1_V4, P1_V6)),
        C("policy neighbor add ns-p2 %s" % P2_V4),
        C("policy neighbor add ns-tmp 10.0.0.99"),
        S("policy neighbor"),
        C("policy community add cs-p1 65001:100 65001:101"),
        C("policy community add cs-ibgp ^65000:1[01]$"),
        C("policy community add cs-tmp 65009:9"),
        S("policy community"),
        C("policy as-path add ap-drop _65012$ ^65020_"),
        C("policy as-path add ap-tmp ^65009$"),
        S("policy as-path"),

        # --- statements and policies
        S("policy statement", sort="statements"),
        C("policy statement st-tag add condition prefix ps-v4"),
        C("policy statement st-tag add condition neighbor ns-p1"),
        C("policy statement st-tag add action community add 65000:999"),
        C("policy statement st-tag add action med set 123"),
        C("policy statement st-lp add condition community cs-p1 any"),
        C("policy statement st-lp add action local-pref 300"),
        C("policy statement st-lp add action accept"),
        C("policy statement st-drop add condition as-path ap-drop"),
        C("policy statement st-drop add action reject"),
        C("policy statement st-ibgp add condition community cs-ibgp"),
        C("policy statement st-ibgp add action local-pref 40"),
        C("policy statement st-v6 add condition prefix ps-v6"),
        C("policy statement st-v6 add action community replace 65000:66"),
        C("policy statement st-out add condition neighbor ns-p1"),
        C("policy statement st-out add action as-prepend 65000 2"),
        C("policy statement st-out add action med add 5"),
        C("policy statement add st-tmp"),
        S("policy statement", sort="statements"),
        S("policy statement st-tag"),
        C("policy add pol-in st-drop st-tag st-lp st-ibgp st-v6"),
        C("policy add pol-out st-out"),
        C("policy add pol-tmp st-tmp"),
        S("policy"),
        S("policy pol-in"),

        # --- assignments, then soft resets apply them to what was received / sent
        S("global policy"),
        C("global policy import add pol-in default accept"),
        C("global policy export add pol-tmp"),
        C("global policy export set pol-out default accept"),
        S("global policy"),
        S("global policy import"),
        S("global policy export"),
        C("neighbor %s softresetin" % P1_V4),
        C("neighbor %s softresetin" % P1_V6),
        C("neighbor %s softresetin" % P2_V4,
          wait=also(absent("10.1.128.0/17"),
                    route_is("10.1.0.0/16", "tagged 65000:999",
                             lambda ps: ps and comm("65000:999") in _communities(ps[0])),
                    route_is("10.12.10.0/24", "local-pref 40",
                             lambda ps: ps and any(a.get("type") == 5 and a.get("value") == 40
                                                   for a in ps[0]["attrs"])),
                    route_is("2001:db8:1::/48", "replaced communities",
                             lambda ps: ps and _communities(ps[0]) == [comm("65000:66")]))),
        S("global rib -a ipv4"),
        S("global rib -a ipv6"),
        S("neighbor %s adj-in" % P1_V4),  # before the import policy
        S("neighbor %s" % P1_V4),
        C("neighbor %s softresetout" % P1_V4,
          wait=route_is("10.2.0.0/16", "prepended towards p1",
                        lambda ps: ps and _as_path(ps[0]) == [65000, 65000, 65000],
                        table=("neighbor", P1_V4, "adj-out"))),
        S("neighbor %s adj-out" % P1_V4),
        S("neighbor %s adj-out" % P2_V4),
        C("global policy import del pol-in"),
        C("global policy export del pol-out"),
        S("global policy"),
        # gobgpd applies an import policy change to routes it already holds only on a soft
        # reset in; kbgpd applies it at once (soft reconfiguration from the kept Adj-RIB-In).
        # Resetting here makes both hold the same table from now on.
        C("neighbor %s softresetin" % P1_V4),
        C("neighbor %s softresetin" % P1_V6),
        C("neighbor %s softresetin" % P2_V4),
        C("neighbor %s softresetin" % P2_V6,
          wait=also(present("10.1.128.0/17"), rib_summary("ipv4", v4d + 1, v4p + 1))),

        # --- deleting: in-use things are refused, then removed piece by piece
        C("policy prefix del ps-v4"),  # error: in use by st-tag
        C("policy del pol-out"),
        C("policy del pol-tmp"),
        C("policy statement del st-tmp"),
        C("policy statement st-tag del action med set 123"),
        C("policy statement st-lp del condition community cs-p1"),
        S("policy statement st-tag"),
        S("policy statement st-lp"),
        C("policy prefix del ps-v4 10.11.0.0/16 24..24"),
        C("policy prefix del ps-tmp"),
        C("policy neighbor del ns-p1 %s" % P1_V6),
        C("policy neighbor del ns-tmp"),
        C("policy community del cs-p1 65001:101"),
        C("policy community del cs-tmp"),
        C("policy as-path del ap-drop ^65020_"),
        C("policy as-path del ap-tmp"),
        S("policy prefix"),
        S("policy neighbor"),
        S("policy community"),
        S("policy as-path"),
        S("policy"),

        # --- a neighbor that never comes up: add, show, delete
        C("neighbor add 10.0.0.9 as 65009",
          wait=peers_are({"10.0.0.9": ("Active", None, None)})),
        S("neighbor", sort="peers"),
        S("neighbor 10.0.0.9"),
        C("neighbor del 10.0.0.9"),
        S("neighbor", sort="peers"),

        # --- disable / enable and shutdown; the soft resets again with no policy
        S("neighbor %s adj-out" % P2_V4),  # with no policy, before it goes down
        C("neighbor %s disable" % P2_V4,
          wait=also(peers_are({P2_V4: ("Idle(Admin)", 0, None)}),
                    absent("10.2.0.0/16"))),
        S("neighbor", sort="peers"),
        # A disabled peer's "Advertised": gobgpd counts it from the current table as if the
        # peer were up (10.3.0.0/24 now comes from p1 and would be sent: 20); kbgpd lists what
        # it had sent before the peer went down (19). Masked for this listing only.
        S("neighbor %s" % P2_V4, sort="down-peer"),
        S("global rib 10.3.0.0/24"),
        S("global rib summary -a ipv4"),
        # 10.60.0.0/24 is still there, 10.1.128.0/17 is back (no import policy)
        C("neighbor %s enable" % P2_V4,
          wait=also(peers_are(ALL_UP), rib_summary("ipv4", v4d + 1, v4p + 1))),
        S("neighbor", sort="peers"),
        S("neighbor %s" % P2_V4),
        C("neighbor %s shutdown" % P1_V6,
          wait=peers_are({P1_V6: ("Establ", RECEIVED[P1_V6], 2)})),
        S("neighbor", sort="peers"),
        S("neighbor %s" % P1_V6),
        C("neighbor %s softresetin" % P1_V4),
        C("neighbor %s softresetout" % P2_V6,
          wait=also(present("10.1.128.0/17"), rib_summary("ipv4", v4d + 1, v4p + 1),
                    rib_summary("ipv6", v6d + 1, v6p + 1))),
        S("global rib -a ipv4"),
        S("global rib -a ipv6"),
        S("neighbor %s adj-out" % P2_V6),
        C("neighbor del %s" % P2_V6,
          wait=absent("2001:db8:12::/64")),
        S("neighbor", sort="peers"),
        S("global rib -a ipv6"),
        # deleting every assignment leaves the default action NONE (gobgpd then rejects)
        C("global policy import del"),
        S("global policy"),
    ]
    return steps


# --------------------------------------------------------------------------------------------
# Running the scenario against one daemon


class Record:
    def __init__(self, title, lines):
        self.title = title
        self.lines = lines


class ApiOnly(L.Daemon):
    """The DUT or the oracle: no config file, only the API on 127.0.0.1:API_PORT in its
    namespace; it waits for StartBgp (`gobgp global as ...`)."""

    def __init__(self, router, kind, binary):
        self.name = kind
        super().__init__(router, DUT_AS)
        self.binary = binary

    def start(self):
        api = "127.0.0.1:%d" % API_PORT
        if self.name == "gobgpd":
            self._spawn(["gobgpd", "--api-hosts", api, "-l", "info", "--pprof-disable"])
        else:
            self._spawn([self.binary, "--api-hosts", api, "-l", "info"])
        return self


class Runner:
    def __init__(self, kind, binary, cli="gobgp"):
        self.kind = kind  # "gobgpd" or "kbgpd"
        self.binary = binary
        # The CLI the steps run through: "gobgp" or the path of kbgp. Wait conditions and the
        # lab's setup always use gobgp, so a step's output is the only thing the CLI decides.
        self.step_cli = cli
        self.lab = None
        self.proc = None
        self.router = None
        self.daemon = None

    def cli(self, *args, timeout=20, tool="gobgp"):
        return L.run(["ip", "netns", "exec", self.router.ns, tool, "-p", str(API_PORT)] +
                     list(args), check=False, timeout=timeout)

    def json(self, *args):
        p = self.cli(*args, "-j")
        if p.returncode != 0:
            raise RuntimeError("gobgp %s -j: exit %d: %s" % (" ".join(args), p.returncode,
                                                            p.stdout + p.stderr))
        return json.loads(p.stdout)

    def dead(self):
        return self.proc.poll() is not None

    # ---- the lab

    def setup(self):
        self.lab = L.Lab("api-" + self.kind)
        self.router = self.lab.add_router("dut")
        r1, r2 = self.lab.add_router("p1"), self.lab.add_router("p2")
        self.daemon = ApiOnly(self.router, self.kind, self.binary).start()
        self.proc = self.daemon.proc
        peers = []
        for r, asn, routes in ((r1, P1_AS, P1_ROUTES), (r2, P2_AS, P2_ROUTES)):
            p = L.Gobgpd(r, asn)
            p.neighbor(self.router.v4, DUT_AS, passive=True)
            p.neighbor(self.router.v6, DUT_AS, passive=True)
            p.start()
            for prefix, attrs in routes:
                p.cli("global", "rib", "-a", _fam(prefix), "add", prefix, *attrs.split())
            peers.append(p)
        for p, routes in zip(peers, (P1_ROUTES, P2_ROUTES)):
            for fam in ("ipv4", "ipv6"):
                n = _count(routes, fam)
                L.wait_for("%s holds its %d %s routes" % (p.router.name, n, fam),
                           lambda p=p, fam=fam, n=n: len(p.routes(fam)) == n, 20)
        L.wait_for("the %s API on 127.0.0.1:%d" % (self.kind, API_PORT),
                   lambda: self.dead() or self.cli("global").returncode == 0, 20)
        if self.dead():
            raise RuntimeError("%s exited at start: %s" % (self.kind, self.read_log()[-2000:]))

    def read_log(self):
        return self.daemon.read_log() if self.daemon is not None else ""

    def close(self):
        if self.lab is not None:
            self.lab.close()  # kills every daemon it started, deletes the namespaces

    # ---- the steps

    def run_cmd(self, args, as_json, sort):
        argv = list(args) + (["-j"] if as_json else [])
        title = "gobgp " + " ".join(argv)
        try:
            p = self.cli(*argv, tool=self.step_cli)
        except subprocess.TimeoutExpired:
            return Record(title, ["(timed out)"])
        out = mask_json(p.stdout, sort) if as_json else mask_text(p.stdout, sort)
        lines = ["exit %d" % p.returncode] + out
        if p.stderr.strip():
            lines += ["--- stderr"] + mask_text(p.stderr)
        return Record(title, lines)

    def do_wait(self, wait):
        what, fn = wait
        try:
            L.wait_for(what, lambda: self.dead() or fn(self), WAIT)
        except AssertionError as e:
            return str(e)
        return None

    def run(self, steps, log=print):
        records = []
        failed_waits = 0
        for i, st in enumerate(steps):
            if self.dead():
                log("  %s exited (rc %s); steps from %d on not run" % (self.kind,
                                                                    self.proc.returncode, i))
                records.append(Record("(daemon exited)", ["%s exited with %s" % (
                    self.kind, self.proc.returncode)]))
                break
            if failed_waits >= 3:
                records.append(Record("(aborted)", ["three wait conditions failed"]))
                break
            if isinstance(st, Monitor):
                records += self.run_monitor(st)
                continue
            variants = [False, True] if st.show else [False]
            recs = [self.run_cmd(st.args, j, st.sort) for j in variants]
            if st.wait is not None:
                err = self.do_wait(st.wait)
                if err:
                    failed_waits += 1
                    log("  wait failed after `gobgp %s`: %s" % (" ".join(st.args), err))
                    recs[-1].lines.append("(wait failed: %s)" % st.wait[0])
            records += recs
        return records

    def run_monitor(self, mon):
        procs = []
        for as_json in (False, True):
            argv = ["ip", "netns", "exec", self.router.ns, self.step_cli, "-p", str(API_PORT),
                    "monitor", "global", "rib"] + (["-j"] if as_json else [])
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, text=True, start_new_session=True)
            lines = []
            t = threading.Thread(target=lambda p=p, lines=lines: [lines.append(x.rstrip("\n"))
                                                                  for x in p.stdout],
                                 daemon=True)
            t.start()
            procs.append((as_json, p, lines, t))
        s = Monitor.SENTINEL
        notes = []

        def is_del(x):
            return "DELROUTE" in x or '"withdrawal":true' in x

        def seen(lines, withdraw):
            # The withdrawal that counts follows the sentinel's last announcement: an earlier
            # attempt's add and del (a monitor slow to start) must not end the wait early.
            lines = list(lines)
            adds = [i for i, x in enumerate(lines) if s in x and not is_del(x)]
            if not withdraw:
                return bool(adds)
            return bool(adds) and any(s in x and is_del(x) for x in lines[adds[-1]:])

        try:
            # The watch is registered some time after the process starts and the CLI says
            # nothing until the first event: announce the sentinel until both monitors saw it.
            for attempt in range(5):
                self.cli("global", "rib", "add", s)
                try:
                    L.wait_for("both monitors see %s" % s,
                               lambda: all(seen(ls, False) for _, _, ls, _ in procs), 3)
                    break
                except AssertionError:
                    self.cli("global", "rib", "del", s)
            else:
                notes.append("(monitor never saw the sentinel route)")
            for a in mon.actions:
                self.cli(*a, tool=self.step_cli)
            self.cli("global", "rib", "del", s)
            try:
                L.wait_for("both monitors see %s withdrawn" % s,
                           lambda: all(seen(ls, True) for _, _, ls, _ in procs), 30)
            except AssertionError as e:
                notes.append("(%s)" % e)
        finally:
            for _, p, _, t in procs:
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass
                p.wait(timeout=5)
                t.join(timeout=5)
        records = []
        for as_json, _, lines, _ in procs:
            # Start at the sentinel's last announcement: the one of the attempt that both
            # monitors saw (a slow start may have caught an earlier attempt's add and del).
            start = 0
            for i, x in enumerate(lines):
                if s in x and "DELROUTE" not in x and '"withdrawal":true' not in x:
                    start = i
            body = "\n".join(lines[start:])
            out = mask_json(body) if as_json else mask_text(body)
            title = "gobgp monitor global rib%s  (during: %s)" % (
                " -j" if as_json else "", "; ".join(" ".join(a) for a in mon.actions))
            records.append(Record(title, out + notes))
        return records


def run_side(kind, binary, steps, label, cli="gobgp"):
    r = Runner(kind, binary, cli)
    t0 = time.monotonic()
    print("api_cli_test: %s run (%s, CLI %s)..." % (label, kind, os.path.basename(cli)),
          flush=True)
    try:
        r.setup()
        records = r.run(steps, log=lambda m: print(m, flush=True))
    except Exception as e:
        sys.stderr.write("----- %s log tail -----\n%s\n" % (kind, r.read_log()[-4000:]))
        if isinstance(e, (AssertionError, RuntimeError)):  # the lab or the daemon: no trace
            print("api_cli_test: FAIL: %s run (%s): %s" % (label, kind, e), flush=True)
            sys.exit(1)
        raise
    finally:
        if os.environ.get("KBGP_LAB_DUMP") == "1":
            sys.stderr.write("----- %s log tail -----\n%s\n" % (kind, r.read_log()[-4000:]))
        r.close()
    print("api_cli_test: %s run: %d records in %.1f s" % (label, len(records),
                                                        time.monotonic() - t0), flush=True)
    return records


def write_records(d, records):
    os.makedirs(d, exist_ok=True)
    for i, rec in enumerate(records):
        slug = re.sub(r"[^A-Za-z0-9.:-]+", "_", rec.title[len("gobgp "):100]).strip("_")
        with open(os.path.join(d, "%03d-%s.txt" % (i, slug)), "w") as f:
            f.write("$ %s\n%s\n" % (rec.title, "\n".join(rec.lines)))


def compare(oracle, dut):
    diffs = []
    for i in range(max(len(oracle), len(dut))):
        o = oracle[i] if i < len(oracle) else Record("(missing)", [])
        d = dut[i] if i < len(dut) else Record("(missing)", [])
        if o.title != d.title or o.lines != d.lines:
            diff = list(difflib.unified_diff(o.lines, d.lines, "oracle (gobgpd)", "dut",
                                             lineterm=""))
            if o.title != d.title:
                diff.insert(0, "step differs: oracle `%s`, dut `%s`" % (o.title, d.title))
            diffs.append((i, o.title, diff))
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dut", choices=("kbgpd", "gobgpd"),
                    default=os.environ.get("KBGP_API_DUT", "kbgpd"))
    ap.add_argument("--kbgpd", default=os.environ.get("KBGPD"))
    ap.add_argument("--record", metavar="DIR")
    ap.add_argument("--only", choices=("oracle", "dut"))
    a = ap.parse_args()

    L.skip_unless_able("api_cli_test")
    binary = None
    if a.dut == "kbgpd":
        if not a.kbgpd or not os.access(a.kbgpd, os.X_OK):
            sys.exit("usage: api_cli_test.py [--dut kbgpd] --kbgpd PATH/TO/kbgpd "
                     "(or --dut gobgpd)")
        binary = os.path.abspath(a.kbgpd)

    t0 = time.monotonic()
    steps = scenario()
    sides = []
    if a.only != "dut":
        sides.append(("oracle", run_side("gobgpd", None, steps, "oracle")))
    if a.only != "oracle":
        sides.append(("dut", run_side(a.dut, binary, steps, "dut")))
    if a.record:
        for name, recs in sides:
            write_records(os.path.join(a.record, name), recs)
        print("api_cli_test: masked outputs in %s" % a.record)
    leftover = [x for x in L.run(["ip", "netns", "list"]).stdout.splitlines()
                if x.startswith("kb%dx" % os.getpid())]
    if a.only:
        for rec in sides[0][1]:
            print("$ %s\n%s" % (rec.title, "\n".join(rec.lines)))
        sys.exit(1 if leftover else 0)

    diffs = compare(sides[0][1], sides[1][1])
    for i, title, diff in diffs:
        print("\n=== step %d differs: %s" % (i, title))
        print("\n".join(diff))
    n = len(sides[0][1])
    print("\napi_cli_test: %s vs gobgpd: %d of %d records differ; %.1f s; leftover namespaces: %s"
          % (a.dut, len(diffs), n, time.monotonic() - t0, leftover or "none"))
    sys.exit(0 if not diffs and not leftover else 1)


if __name__ == "__main__":
    main()
