#!/usr/bin/env python3
"""Issue 8 acceptance: a real Prometheus scrapes kbgpd with configs/prometheus.yml and finds,
through its HTTP API, the peer states, route counts and message counters a known sequence
must give (Python 3 standard library only).

Lab (one LAN, see lab.py):
  r1 10.0.0.1  kbgpd, AS 65000, metrics on its default 127.0.0.1:9179, API 127.0.0.1:50051;
               Prometheus runs in this namespace too, on a copy of configs/prometheus.yml
               (only the scrape interval shortened to 1 s; the targets are the file's own:
               kbgpd 127.0.0.1:9179, kbgp-sync 127.0.0.1:9180, which is down here) with its
               own temp storage, listening on 127.0.0.1:<random port>
  r2 10.0.0.2  gobgpd, AS 65001, passive
  r3 10.0.0.3  BIRD, AS 65002, passive, originates 198.51.100.0/24 and 203.0.113.0/24
The peers are passive, so only kbgpd connects: no connection collisions, so exactly one OPEN
each way per session.

Sequence and what Prometheus must show (every check waits for its condition, with a timeout):
 1. sessions up: bgp_peer_state{session_state="ESTABLISHED",admin_state="UP"} for both peers;
    one OPEN each way; bgp_peer_asn / bgp_peer_local_asn / bgp_peer_type.
 2. gobgpd adds 3 routes: bgp_routes_received and _accepted from r2 = 3, advertised to r3 = 3;
    BIRD's 2 routes received from r3 and advertised to r2; kbgp_rib_destinations = 5; kbgpd's
    bgp_received_update_total from r2 equals gobgpd's own count of UPDATEs sent.
 3. gobgpd withdraws one: received from r2 = 2, advertised to r3 = 2,
    bgp_received_withdraw_prefix_total = 1 and bgp_received_withdraw_update_total = 1.
 4. `gobgp neighbor 10.0.0.2 reset` on kbgpd's API: kbgpd sends one NOTIFICATION (Cease), the
    session comes back (2 OPENs each way), the 2 routes come back; the flop count stays 0
    (kbgpd dropped it itself); grpc_server_handled_total counts the ResetPeer call.
 5. SIGHUP with the same config: kbgp_config_reloads_total{result="ok"} = 1.
 6. KEEPALIVEs keep arriving: increase() over a window is positive.
 7. Every kbgpd query of configs/grafana-kbgp.json evaluates and returns series (the
    kbgp-sync panels: metrics_sync_prometheus_test.py, which runs the sidecar too).
Also: `promtool check metrics` on kbgpd's endpoint finds nothing (exit 0, no output). GoBGP
types six per-peer families as counters without "_total" (two end in "_count"), which promtool
rejects; kbgp serves them with GoBGP's names, help texts and labels as gauge or untyped
(daemon/metrics/bgp_metrics.cc), so queries written for gobgpd work unchanged.

  python3 integration/metrics_prometheus_test.py --kbgpd PATH

Needs root, iproute2, gobgpd, gobgp, bird, prometheus, promtool and curl; exits 77 (skip)
without. KBGP_LAB_KEEP=1 keeps the lab's temp dir (logs, Prometheus config).
"""

import argparse
import json
import os
import random
import re
import signal
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab as L  # noqa: E402

NAME = "metrics_prometheus"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAIT = 60.0
KBGPD_AS, GOBGP_AS, BIRD_AS = 65000, 65001, 65002
GOBGP_ROUTES = ["10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24"]
BIRD_ROUTES = ["198.51.100.0/24", "203.0.113.0/24"]


class Prometheus(L.Daemon):
    """A Prometheus server in a router's namespace, on a copy of configs/prometheus.yml."""

    name = "prometheus"

    def __init__(self, router, config_text):
        super().__init__(router, 0)
        self.config_text = config_text
        self.port = random.randint(20000, 40000)

    def start(self):
        conf = self.write("prometheus.yml", self.config_text)
        data = os.path.join(self.dir, "data")
        os.makedirs(data, exist_ok=True)
        self._spawn(["prometheus", "--config.file=" + conf, "--storage.tsdb.path=" + data,
                     "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"])
        L.wait_for("prometheus ready", lambda: self.get("/-/ready").startswith("Prometheus"),
                   WAIT)
        return self

    def get(self, path):
        if not self.running():
            raise RuntimeError("prometheus exited:\n" + self.read_log()[-2000:])
        return self.exec("curl", "-sf", "--max-time", "5",
                         "http://127.0.0.1:%d%s" % (self.port, path), check=False).stdout

    def query(self, expr):
        """The instant vector of expr as {frozenset(labels.items()): float}."""
        out = self.get("/api/v1/query?query=" + urllib.parse.quote(expr))
        data = json.loads(out)
        if data.get("status") != "success":
            raise RuntimeError("query %r: %s" % (expr, out))
        return {frozenset(r["metric"].items()): float(r["value"][1])
                for r in data["data"]["result"]}

    def value(self, expr):
        """The single value of expr, or None when it has no sample (or several)."""
        v = self.query(expr)
        return next(iter(v.values())) if len(v) == 1 else None


def prometheus_config():
    """configs/prometheus.yml with a 1 s scrape interval; everything else as in the file."""
    with open(os.path.join(ROOT, "configs", "prometheus.yml")) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^(\s*)(scrape|evaluation)_interval:\s*\S+", r"\1\2_interval: 1s",
                      text)
    assert n == 2, "configs/prometheus.yml: expected scrape_interval and evaluation_interval"
    for target in ("127.0.0.1:9179", "127.0.0.1:9180"):
        assert target in text, "configs/prometheus.yml no longer scrapes %s" % target
    return text


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok: %s" % what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kbgpd", default=os.environ.get("KBGPD", "kbgpd"))
    a = ap.parse_args()
    L.skip_unless_able(NAME, tools=("ip", "gobgpd", "gobgp", "bird", "birdc", "prometheus",
                                    "promtool", "curl"))
    with L.Lab("metrics") as lab:
        r1, r2, r3 = lab.add_router("k"), lab.add_router("g"), lab.add_router("b")
        k = L.Kbgpd(r1, KBGPD_AS)
        k.binary = os.path.abspath(a.kbgpd) if os.sep in a.kbgpd else a.kbgpd
        k.neighbor(r2.v4, GOBGP_AS).neighbor(r3.v4, BIRD_AS)
        g = L.Gobgpd(r2, GOBGP_AS).neighbor(r1.v4, KBGPD_AS, passive=True)
        b = L.Bird(r3, BIRD_AS).neighbor(r1.v4, KBGPD_AS, passive=True)
        for p in BIRD_ROUTES:
            b.originate(p)
        try:
            g.start()
            b.start()
            k.start()
            prom = Prometheus(r1, prometheus_config()).start()
            run(lab, k, g, b, r1, prom)
        except BaseException:
            for d in lab.daemons:
                sys.stderr.write("---- %s log (tail) ----\n%s\n" % (d.name, d.read_log()[-4000:]))
            raise
    return 0


def run(lab, k, g, b, r1, prom):
    gp, bp = g.router.v4, b.router.v4
    v = prom.value

    def peer_value(metric, peer, **labels):
        if not k.running():
            raise RuntimeError("kbgpd exited")
        sel = ",".join(['peer="%s"' % peer] + ['%s="%s"' % kv for kv in labels.items()])
        return v("%s{job=\"kbgpd\",%s}" % (metric, sel))

    def wait_value(metric, peer, want, what, **labels):
        L.wait_for(what, lambda: peer_value(metric, peer, **labels) == want, WAIT)
        print("ok: %s" % what)

    # kbgpd's endpoint is up for Prometheus; kbgp-sync's (not running here) is down.
    L.wait_for("kbgpd target up", lambda: v('up{job="kbgpd"}') == 1, WAIT)
    L.wait_for("kbgp-sync target scraped (down)", lambda: v('up{job="kbgp-sync"}') == 0, WAIT)

    # promtool on the endpoint itself.
    p = r1.exec("sh", "-c", "curl -sf http://127.0.0.1:9179/metrics | promtool check metrics",
                check=False)
    findings = {l.strip() for l in (p.stdout + p.stderr).splitlines() if l.strip()}
    check(p.returncode == 0 and not findings,
          "promtool check metrics on kbgpd: no finding (rc %d: %s)" %
          (p.returncode, sorted(findings)))

    # 1. Sessions.
    for peer in (gp, bp):
        wait_value("bgp_peer_state", peer, 1, "%s Established and admin UP" % peer,
                   session_state="ESTABLISHED", admin_state="UP")
    for peer, asn in ((gp, GOBGP_AS), (bp, BIRD_AS)):
        check(peer_value("bgp_received_open_total", peer) == 1, "%s: one OPEN received" % peer)
        check(peer_value("bgp_sent_open_total", peer) == 1, "%s: one OPEN sent" % peer)
        check(peer_value("bgp_peer_asn", peer, router_id=peer) == asn,
              "%s: bgp_peer_asn %d with the peer's router id" % (peer, asn))
        check(peer_value("bgp_peer_local_asn", peer, router_id=r1.v4) == KBGPD_AS,
              "%s: bgp_peer_local_asn %d with our router id" % (peer, KBGPD_AS))
        check(peer_value("bgp_peer_type", peer) == 1, "%s: external peer" % peer)

    # 2. Routes.
    for prefix in GOBGP_ROUTES:
        g.announce(prefix)
    v4 = dict(route_family="ipv4-unicast")
    wait_value("bgp_routes_received", gp, 3, "3 routes received from gobgpd", **v4)
    wait_value("bgp_routes_accepted", gp, 3, "3 routes accepted from gobgpd", **v4)
    wait_value("bgp_routes_advertised", bp, 3, "3 routes advertised to BIRD", **v4)
    wait_value("bgp_routes_received", bp, 2, "BIRD's 2 routes received", **v4)
    wait_value("bgp_routes_advertised", gp, 2, "BIRD's 2 routes advertised to gobgpd", **v4)
    L.wait_for("Loc-RIB of 5", lambda: v('kbgp_rib_destinations{route_family="ipv4-unicast"}')
               == 5, WAIT)
    print("ok: kbgp_rib_destinations 5")

    def gobgp_sent_updates():
        for n in g.neighbors_json():
            if n["conf"]["neighbor_address"] == r1.v4:
                return n["state"]["messages"]["sent"].get("update", 0)
        return None

    sent = int(gobgp_sent_updates())
    check(sent >= 1, "gobgpd sent %d UPDATEs" % sent)
    wait_value("bgp_received_update_total", gp, sent,
               "kbgpd counted the %d UPDATEs gobgpd sent" % sent)

    # 3. A withdrawal.
    g.withdraw(GOBGP_ROUTES[-1])
    wait_value("bgp_routes_received", gp, 2, "2 routes left from gobgpd", **v4)
    wait_value("bgp_routes_advertised", bp, 2, "2 routes left at BIRD", **v4)
    wait_value("bgp_received_withdraw_prefix_total", gp, 1, "one prefix withdrawn")
    wait_value("bgp_received_withdraw_update_total", gp, 1, "one withdrawing UPDATE")

    # 4. A reset through kbgpd's API (the real gobgp CLI).
    r1.exec("gobgp", "-p", "50051", "neighbor", gp, "reset")
    wait_value("bgp_sent_notification_total", gp, 1, "one NOTIFICATION sent to gobgpd")
    wait_value("bgp_received_open_total", gp, 2, "second OPEN from gobgpd")
    wait_value("bgp_peer_state", gp, 1, "gobgpd Established again",
               session_state="ESTABLISHED", admin_state="UP")
    wait_value("bgp_routes_received", gp, 2, "its 2 routes back", **v4)
    check(peer_value("bgp_peer_flop_count", gp) == 0, "no flop counted for our own reset")
    check(peer_value("bgp_received_notification_total", gp) == 0, "no NOTIFICATION received")
    check(peer_value("bgp_sent_notification_total", bp) == 0, "BIRD's session untouched")
    L.wait_for("ResetPeer counted", lambda: v(
        'grpc_server_handled_total{job="kbgpd",grpc_service="apipb.GobgpApi",'
        'grpc_method="ResetPeer",grpc_type="unary",grpc_code="OK"}') == 1, WAIT)
    print("ok: grpc_server_handled_total{grpc_method=\"ResetPeer\",grpc_code=\"OK\"} 1")

    # 5. A config reload.
    k.reload()
    L.wait_for("reload counted", lambda: v('kbgp_config_reloads_total{result="ok"}') == 1, WAIT)
    check(v('kbgp_config_reloads_total{result="failed"}') == 0, "no failed reload")
    check(v('kbgp_config_last_reload_successful') == 1, "last reload successful")

    # 6. Rates and kbgpd's own families.
    L.wait_for("KEEPALIVEs arriving", lambda: (v(
        'increase(bgp_received_keepalive_total{job="kbgpd",peer="%s"}[15s])' % bp) or 0) > 0,
        WAIT)
    print("ok: KEEPALIVE rate from BIRD > 0")
    check((v('kbgp_update_processing_seconds_count{job="kbgpd"}') or 0) >= 3,
          "UPDATE processing histogram counts the UPDATEs")
    check(v('kbgp_core_loop_lag_seconds_count{job="kbgpd"}') is not None,
          "core loop lag histogram present")
    check((v('process_resident_memory_bytes{job="kbgpd"}') or 0) > 1e6,
          "process_resident_memory_bytes")

    # 7. Every query of the Grafana dashboard evaluates, and finds series, on this Prometheus.
    with open(os.path.join(ROOT, "configs", "grafana-kbgp.json")) as f:
        dash = json.load(f)
    # kbgp-sync's panels need the sidecar: metrics_sync_prometheus_test.py checks them.
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])
             if "kbgp_sync_" not in t["expr"] and "kube_router_" not in t["expr"]]
    check(len(exprs) >= 20, "the dashboard has %d kbgpd queries" % len(exprs))
    for e in exprs:
        q = e.replace("$instance", ".*").replace("$__rate_interval", "15s")
        L.wait_for("dashboard query %s" % q, lambda: len(prom.query(q)) > 0, WAIT)
    print("ok: all %d kbgpd dashboard queries return series" % len(exprs))
    print("%s: PASS" % NAME)


if __name__ == "__main__":
    sys.exit(main())
