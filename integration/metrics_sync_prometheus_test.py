#!/usr/bin/env python3
"""Issue 8 acceptance, kbgp-sync's half: a real Prometheus on configs/prometheus.yml scrapes
BOTH targets of a Kubernetes node, kbgpd (127.0.0.1:9179) and kbgp-sync (127.0.0.1:9180),
and finds through its HTTP API the sidecar's values after a known sequence (Python 3
standard library only; metrics_prometheus_test.py does kbgpd's BGP families).

Lab (one LAN, see lab.py; the pieces are sidecar_lab_test.py's):
  kube 10.0.0.1  the fake Kubernetes API server (integration/fake_kube), one Node "node-1"
  rtr  10.0.0.2  gobgpd, AS 65001, passive, neighbor node-1 (AS 64512)
  n1   10.0.0.3  kbgpd with no config (API 127.0.0.1:50051, metrics on its default
                 127.0.0.1:9179), kbgp-sync (--metrics-address 127.0.0.1:9180, peer router
                 rtr, --advertise-loadbalancer-ip) and Prometheus on a copy of
                 configs/prometheus.yml (only the intervals shortened to 1 s)

Sequence and what Prometheus must show (every check waits for its condition, with a timeout):
 1. both jobs up; kbgp_sync_ready 1; kbgp_sync_peers_configured 1; kube_router_bgp_peer_info
    {address=rtr, asn=65001, type=external, state=established} 1 (and kbgpd's own
    bgp_peer_state for rtr ESTABLISHED: kbgp-sync configured it); kbgp_sync_bgp_starts_total
    1; one relist per kind; kbgp_sync_paths_advertised 1 (the pod CIDR), VIPs 0; the last
    success less than 30 s old; process_* of the sidecar.
 2. a LoadBalancer Service appears: kbgp_sync_vips_advertised 1, more ok passes, AddPath
    counted in kbgp_sync_api_calls_total, kbgpd advertises 2 routes to rtr; a second one:
    VIPs 2, 3 routes.
 3. 410 Gone (compact + drop every watch): the relists counter grows by at least 1 (the kinds
    whose watch was behind the compaction), watches restart, no change is made to the daemon.
 4. the sidecar panels of configs/grafana-kbgp.json evaluate and return series.
Also `promtool check metrics` on kbgp-sync's endpoint: no finding at all (exit 0, no output).

  python3 integration/metrics_sync_prometheus_test.py --kbgpd PATH --kbgp-sync PATH

Needs root, iproute2, gobgpd, gobgp, prometheus, promtool and curl; exits 77 (skip) without.
KBGP_LAB_KEEP=1 keeps the lab's temp dir.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab as L  # noqa: E402
import metrics_prometheus_test as MP  # noqa: E402
import sidecar_lab_test as SL  # noqa: E402

NAME = "metrics_sync_prometheus"
ROUTER_AS, CLUSTER_AS = 65001, 64512
WAIT = MP.WAIT
KINDS = ("Node", "Service", "EndpointSlice")
SIDECAR_METRICS = ("kbgp_sync_", "kube_router_")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kbgpd", default=os.environ.get("KBGPD", "kbgpd"))
    ap.add_argument("--kbgp-sync", required=True)
    ap.add_argument("--fake-kube-dir", default=os.path.join(HERE, "fake_kube"))
    a = ap.parse_args()
    a.kbgp_sync = os.path.abspath(a.kbgp_sync)
    if os.sep in a.kbgpd:
        a.kbgpd = os.path.abspath(a.kbgpd)
    L.skip_unless_able(NAME, tools=("ip", "gobgpd", "gobgp", "prometheus", "promtool", "curl",
                                    a.kbgpd, a.kbgp_sync))
    sys.path.insert(0, a.fake_kube_dir)
    try:
        from fake_kube import FakeKube
    except ImportError as e:
        print("%s: SKIP: fake_kube: %s" % (NAME, e))
        return 77

    fk = None
    with L.Lab("msync") as lab:
        try:
            kube, rtr, n1 = lab.add_router("kube"), lab.add_router("rtr"), lab.add_router("n1")
            with SL.in_netns(kube.ns):
                fk = FakeKube(lab.path("kube", "state"), "%s:0" % kube.v4)
                fk.start()
            fk.apply(SL.node_obj("node-1", n1.v4, "10.244.1.0/24"))
            g = L.Gobgpd(rtr, ROUTER_AS).neighbor(n1.v4, CLUSTER_AS, passive=True).start()
            SL.BgpDaemon(n1, "kbgpd", a.kbgpd).start()
            sync = SL.Sync(n1, a.kbgp_sync, "node-1", fk.kubeconfig,
                           ["--peer-router-ips", rtr.v4, "--peer-router-asns", str(ROUTER_AS),
                            "--peer-router-multihop-ttl", "0", "--advertise-loadbalancer-ip",
                            "--bgp-holdtime", "9s"]).start()
            prom = MP.Prometheus(n1, MP.prometheus_config()).start()
            run(fk, g, rtr, n1, sync, prom)
        except BaseException:
            for d in lab.daemons:
                sys.stderr.write("---- %s log (tail) ----\n%s\n" % (d.name, d.read_log()[-4000:]))
            raise
        finally:
            if fk is not None:
                fk.stop()
    return 0


def run(fk, g, rtr, n1, sync, prom):
    v = prom.value
    check = MP.check

    def sync_value(expr, **labels):
        if not sync.running():
            raise RuntimeError("kbgp-sync exited")
        sel = ",".join(['job="kbgp-sync"'] + ['%s="%s"' % kv for kv in sorted(labels.items())])
        return v("%s{%s}" % (expr, sel))

    def sync_sum(metric):
        return v('sum(%s{job="kbgp-sync"})' % metric)

    def wait(what, fn):
        L.wait_for(what, fn, WAIT)
        print("ok: %s" % what)

    # 1. Both targets, the node's state after the first passes.
    wait("kbgpd target up", lambda: v('up{job="kbgpd"}') == 1)
    wait("kbgp-sync target up", lambda: v('up{job="kbgp-sync"}') == 1)
    p = n1.exec("sh", "-c", "curl -sf http://127.0.0.1:9180/metrics | promtool check metrics",
                check=False)
    out = (p.stdout + p.stderr).strip()
    check(p.returncode == 0 and out == "",
          "promtool check metrics on kbgp-sync: no finding (rc %d: %r)" % (p.returncode, out))
    wait("kbgp-sync ready", lambda: sync_value("kbgp_sync_ready") == 1)
    wait("kbgp_sync_peers_configured 1", lambda: sync_value("kbgp_sync_peers_configured") == 1)
    wait("kube_router_bgp_peer_info: the router, established",
         lambda: sync_value("kube_router_bgp_peer_info", address=rtr.v4, asn=str(ROUTER_AS),
                            type="external", state="established") == 1)
    wait("kbgpd's own bgp_peer_state agrees", lambda: v(
        'bgp_peer_state{job="kbgpd",peer="%s",session_state="ESTABLISHED",admin_state="UP"}'
        % rtr.v4) == 1)
    check(sync_value("kbgp_sync_bgp_starts_total") == 1, "kbgp_sync_bgp_starts_total 1")
    for kind in KINDS:
        check(sync_value("kbgp_sync_relists_total", kind=kind) == 1, "one relist of %s" % kind)
    check(sync_value("kbgp_sync_paths_advertised") == 1, "paths advertised 1 (the pod CIDR)")
    check(sync_value("kbgp_sync_vips_advertised") == 0, "no VIP yet")
    age = v('time() - kbgp_sync_last_success_timestamp_seconds{job="kbgp-sync"}')
    # Passes run on events and every --resync-period (30 s here).
    check(age is not None and -5 < age < 40, "last success %.1f s ago" % (age or -1))
    check((sync_value("process_resident_memory_bytes") or 0) > 1e6,
          "kbgp-sync's process_resident_memory_bytes")
    check(sync_value("process_open_fds") is not None, "kbgp-sync's process_open_fds")

    # 2. LoadBalancer Services: VIPs 1, then 2.
    runs0 = sync_value("kbgp_sync_reconcile_runs_total", result="ok")
    addpath0 = sync_value("kbgp_sync_api_calls_total", api="bgp", call="AddPath",
                          result="ok") or 0
    check(runs0 is not None and runs0 >= 1, "%d ok passes so far" % (runs0 or 0))
    for i, (svc, vip) in enumerate((("shop", "192.0.2.20"), ("web", "192.0.2.21")), 1):
        fk.apply(SL.lb_service(svc, vip))
        wait("VIP %s at the router" % vip, lambda vip=vip: "%s/32" % vip in g.routes())
        wait("kbgp_sync_vips_advertised %d" % i,
             lambda i=i: sync_value("kbgp_sync_vips_advertised") == i)
        wait("kbgp_sync_paths_advertised %d" % (i + 1),
             lambda i=i: sync_value("kbgp_sync_paths_advertised") == i + 1)
        wait("kbgpd advertises %d routes to the router" % (i + 1), lambda i=i: v(
            'bgp_routes_advertised{job="kbgpd",peer="%s",route_family="ipv4-unicast"}'
            % rtr.v4) == i + 1)
    wait("more ok passes", lambda: (sync_value("kbgp_sync_reconcile_runs_total", result="ok")
                                    or 0) >= runs0 + 2)
    wait("2 more AddPath calls counted", lambda: (sync_value(
        "kbgp_sync_api_calls_total", api="bgp", call="AddPath", result="ok") or 0) >= addpath0 + 2)
    check(sync_value("kbgp_sync_reconcile_runs_total", result="error") == 0, "no failed pass")
    check((sync_value("kbgp_sync_reconcile_duration_seconds_count") or 0) >= runs0 + 2,
          "reconcile duration histogram counts the passes")
    wait("a recent success", lambda: (v(
        'time() - kbgp_sync_last_success_timestamp_seconds{job="kbgp-sync"}') or 99) < 10)

    # 3. 410 Gone: relists, restarted watches, no change at the daemon.
    relists0 = sync_sum("kbgp_sync_relists_total")
    restarts0 = sync_sum("kbgp_sync_watch_restarts_total")
    changes0 = sync_value("kbgp_sync_daemon_changes_total")
    fk.compact()
    fk.drop_watches()
    wait("relists counter +1 after 410 Gone",
         lambda: (sync_sum("kbgp_sync_relists_total") or 0) >= relists0 + 1)
    wait("watch restarts counted", lambda: (sync_sum("kbgp_sync_watch_restarts_total") or 0)
         > restarts0)
    wait("still ready", lambda: sync_value("kbgp_sync_ready") == 1)
    check(sync_value("kbgp_sync_daemon_changes_total") == changes0,
          "no change at the daemon after the relist (%s)" % changes0)
    check(sync_value("kbgp_sync_vips_advertised") == 2, "both VIPs still advertised")

    # 4. The dashboard's sidecar panels.
    with open(os.path.join(MP.ROOT, "configs", "grafana-kbgp.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])
             if any(m in t["expr"] for m in SIDECAR_METRICS)]
    check(len(exprs) >= 8, "the dashboard has %d sidecar queries" % len(exprs))
    for e in exprs:
        q = e.replace("$instance", ".*").replace("$__rate_interval", "15s")
        L.wait_for("dashboard query %s" % q, lambda q=q: len(prom.query(q)) > 0, WAIT)
    print("ok: all %d sidecar dashboard queries return series" % len(exprs))
    check(sync.running(), "kbgp-sync still running")
    print("%s: PASS" % NAME)


if __name__ == "__main__":
    sys.exit(main())
