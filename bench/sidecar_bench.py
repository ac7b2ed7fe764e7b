#!/usr/bin/env python3
"""kbgp-sync at scale: 10,000 LoadBalancer Services and 50,000 endpoints (issue 9).

    sidecar_bench.py --kbgp-sync PATH [--kbgpd PATH] [--daemon kbgpd|gobgpd]
                     [--fake-kube-dir DIR] [--services 10000] [--endpoints-per-service 5]
                     [--changes 10] [--json]

Lab (integration/lab.py, needs root): the fake API server (integration/fake_kube) in one
namespace, node-1 running the daemon and kbgp-sync, FRR as the router. The cluster has 20 Nodes,
N Services (type LoadBalancer, one ingress VIP each, every second one externalTrafficPolicy
Local) and one EndpointSlice per Service with E ready endpoints spread over the 20 nodes.

Measured:
  first full sync   kbgp-sync's start to the end of its first successful reconcile (its own log
                    timestamps): list of the three kinds, desired state, every path, set and
                    policy applied to the daemon; split into the lists (the fake API server's
                    work and the sidecar's parsing; fake_api_lists_python_client_s is the same
                    lists by a plain Python client) and what follows the lists (the sidecar's
                    own work: desired state + reconcile); also the time until FRR has every VIP;
  one change        a Service added (then deleted) through the fake API server -> the UPDATE
                    (withdraw) received by FRR, from FRR's own log (`debug bgp updates in`,
                    millisecond timestamps); --changes times each, median and max reported.
Exit 0 when the first sync < 2 s and every change < 200 ms, 1 otherwise, 77 when unable to run.
"""

import argparse
import datetime
import json
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
sys.path.insert(0, INTEGRATION)
import lab  # noqa: E402
import sidecar_lab_test as slt  # noqa: E402

NODES = 20


def vip(i):
    return "100.64.%d.%d" % (i // 250, i % 250 + 1)


def build_objects(n_services, per_service):
    objs = []
    for i in range(n_services):
        name = "svc-%05d" % i
        svc = slt.lb_service(name, vip(i), local=(i % 2 == 1))
        svc["spec"]["clusterIP"] = "10.96.%d.%d" % (i // 250, i % 250 + 1)
        svc["spec"]["clusterIPs"] = [svc["spec"]["clusterIP"]]
        objs.append(svc)
        eps = [("10.244.%d.%d" % ((i * per_service + k) % NODES + 1, (i + k) % 250 + 1),
                "node-%d" % ((i * per_service + k) % NODES + 1), True)
               for k in range(per_service)]
        objs.append(slt.slice_obj(name, eps))
    return objs


def log_time(line):
    """The timestamp at the start of a kbgp-sync log line, as epoch seconds."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z", line)
    if not m:
        return None
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def frr_log_times(path, needle):
    """Epoch times of FRR log lines containing needle (FRR logs local time, ms precision)."""
    out = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if needle not in line:
                    continue
                m = re.match(r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+)", line)
                if m:
                    out.append(datetime.datetime.strptime(
                        m.group(1), "%Y/%m/%d %H:%M:%S.%f").timestamp())
    except FileNotFoundError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kbgp-sync", required=True)
    ap.add_argument("--kbgpd", default="kbgpd")
    ap.add_argument("--daemon", choices=("kbgpd", "gobgpd"), default="kbgpd")
    ap.add_argument("--fake-kube-dir", default=os.path.join(INTEGRATION, "fake_kube"))
    ap.add_argument("--services", type=int, default=10000)
    ap.add_argument("--endpoints-per-service", type=int, default=5)
    ap.add_argument("--changes", type=int, default=10)
    ap.add_argument("--list-page-size", type=int, default=500,
                    help="kbgp-sync --list-page-size (500, as kbgp-sync's default)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    a.kbgp_sync = os.path.abspath(a.kbgp_sync)
    if os.sep in a.kbgpd:
        a.kbgpd = os.path.abspath(a.kbgpd)
    name = "sidecar_bench"
    lab.skip_unless_able(name, ["ip", "vtysh", "/usr/lib/frr/bgpd", "gobgp",
                                "gobgpd" if a.daemon == "gobgpd" else a.kbgpd])
    if not os.path.exists(os.path.join(a.fake_kube_dir, "fake_kube.py")):
        print("%s: SKIP: no fake API server at %s" % (name, a.fake_kube_dir))
        return 77
    sys.path.insert(0, a.fake_kube_dir)
    from fake_kube import FakeKube

    results = {"services": a.services,
               "endpoints": a.services * a.endpoints_per_service, "daemon": a.daemon}
    fk = None
    with lab.Lab("sidecarbench") as L:
        try:
            kube = L.add_router("kube")
            rtr = L.add_router("rtr")
            n1 = L.add_router("n1")
            with slt.in_netns(kube.ns):
                fk = FakeKube(L.path("kube", "state"), "%s:0" % kube.v4)
                fk.start()
            fk.apply(slt.node_obj("node-1", n1.v4, "10.244.1.0/24"))
            for k in range(2, NODES + 1):
                fk.apply(slt.node_obj("node-%d" % k, "10.0.1.%d" % k, "10.244.%d.0/24" % k))
            t = time.monotonic()
            objs = build_objects(a.services, a.endpoints_per_service)
            for o in objs:
                fk.apply(o)
            results["load_fake_api_s"] = round(time.monotonic() - t, 2)
            # node-1 advertises the ETP Cluster VIPs and the ETP Local VIPs it has an endpoint
            # of (endpoint k of Service i sits on node (i*E+k) % 20 + 1).
            expected = set()
            for i in range(a.services):
                nodes_i = {(i * a.endpoints_per_service + k) % NODES + 1
                           for k in range(a.endpoints_per_service)}
                if i % 2 == 0 or 1 in nodes_i:
                    expected.add(vip(i) + "/32")
            results["vips_expected"] = len(expected)

            # The same lists (all pages, the same page size) by a plain Python client in the
            # node's namespace: what the fake API server alone costs.
            probe = (
                "import json,ssl,sys,time,urllib.request\n"
                "url,ca,tok,lim=sys.argv[1:5]\n"
                "ctx=ssl.create_default_context(cafile=ca)\n"
                "t=time.monotonic()\n"
                "for p in ('/api/v1/nodes','/api/v1/services',"
                "'/apis/discovery.k8s.io/v1/endpointslices'):\n"
                "  c=''\n"
                "  while True:\n"
                "    q=url+p+'?limit='+lim+('&continue='+c if c else '')\n"
                "    r=urllib.request.urlopen(urllib.request.Request(q,headers={"
                "'Authorization':'Bearer '+tok}),context=ctx)\n"
                "    c=json.loads(r.read())['metadata'].get('continue')\n"
                "    if not c: break\n"
                "print(time.monotonic()-t)\n")
            out = n1.exec("python3", "-c", probe, fk.url, fk.ca_file, fk.token,
                          str(a.list_page_size), timeout=300).stdout
            results["fake_api_lists_python_client_s"] = round(float(out.strip()), 3)

            frr = lab.Frr(rtr, 65000)
            frr.neighbor(n1.v4, 64512, hold=90, keepalive=30)
            frr_log = os.path.join(frr.dir, "bgpd.log")
            frr.tail = ("log file %s debugging\nlog timestamp precision 3\n"
                        "debug bgp updates in\n" % frr_log)
            frr.start()
            d = slt.BgpDaemon(n1, a.daemon, a.kbgpd).start()
            lab.wait_for("daemon API", d.api_listening, timeout=15, interval=0.02)
            sync = slt.Sync(n1, a.kbgp_sync, "node-1", fk.kubeconfig,
                            ["--peer-router-ips", rtr.v4, "--peer-router-asns", "65000",
                             "--advertise-loadbalancer-ip", "--log-level", "debug",
                             "--list-page-size", str(a.list_page_size)])
            sync.start()

            def first_reconcile():
                lines = sync.read_log().splitlines()
                start = [log_time(x) for x in lines if "kbgp-sync started" in x]
                done = [(log_time(x), x) for x in lines if " reconciled " in x]
                if start and done:
                    lists = [log_time(x) for x in lines if "kube list " in x
                             and log_time(x) <= done[0][0]]
                    stages = [x for x in lines if "reconcile stages" in x]
                    return start[0], done[0], max(lists), stages[0] if stages else ""
                return None
            start, (done_t, done_line), lists_t, stages = lab.wait_for(
                "first reconcile", first_reconcile, timeout=120, interval=0.1)
            results["first_sync_s"] = round(done_t - start, 3)
            results["first_sync_lists_s"] = round(lists_t - start, 3)
            results["first_sync_after_lists_s"] = round(done_t - lists_t, 3)
            results["first_sync_stages"] = stages.split("reconcile stages ", 1)[-1]
            m = re.search(r"seconds=([0-9.e-]+)", done_line)
            results["first_reconcile_pass_s"] = round(float(m.group(1)), 3) if m else None
            m = re.search(r"paths=(\d+)", done_line)
            results["first_sync_paths"] = int(m.group(1)) if m else None

            def frr_count():
                data = json.loads(frr.cli("show bgp ipv4 unicast summary json").stdout or "{}")
                peer = data.get("peers", {}).get(n1.v4, {})
                return peer.get("pfxRcd", 0)
            want_at_router = len(expected) + 1  # + the pod CIDR
            lab.wait_for("FRR has every VIP", lambda: frr_count() >= want_at_router,
                         timeout=120, interval=0.2)
            results["router_has_all_s"] = round(time.time() - start, 2)
            results["router_prefixes"] = frr_count()

            # One change at a time.
            adds, dels = [], []
            for c in range(a.changes):
                ip = "100.127.0.%d" % (c + 1)
                svc = slt.lb_service("change-%d" % c, ip)
                t0 = time.time()
                fk.apply(svc)
                lab.wait_for("FRR received %s" % ip,
                             lambda p=ip: [x for x in frr_log_times(frr_log, p + "/32")
                                           if x >= t0 - 0.001], timeout=10, interval=0.01)
                got = [x for x in frr_log_times(frr_log, ip + "/32") if x >= t0 - 0.001]
                adds.append(min(got) - t0)
                n_before = len(frr_log_times(frr_log, ip + "/32"))
                t1 = time.time()
                fk.delete("Service", "default", "change-%d" % c)
                lab.wait_for("FRR received the withdraw of %s" % ip,
                             lambda p=ip: len(frr_log_times(frr_log, p + "/32")) > n_before,
                             timeout=10, interval=0.01)
                dels.append(frr_log_times(frr_log, ip + "/32")[n_before] - t1)
                time.sleep(0.3)
            results["change_add_ms"] = {"median": round(statistics.median(adds) * 1000, 1),
                                        "max": round(max(adds) * 1000, 1)}
            results["change_delete_ms"] = {"median": round(statistics.median(dels) * 1000, 1),
                                           "max": round(max(dels) * 1000, 1)}
            reconciles = [float(x) for x in re.findall(r" reconciled .*seconds=([0-9.e-]+)",
                                                       sync.read_log())][1:]
            stage_lines = [x.split("reconcile stages ", 1)[-1]
                           for x in sync.read_log().splitlines() if "reconcile stages" in x]
            if len(stage_lines) > 1:
                results["change_stages_last"] = stage_lines[-1]
            if reconciles:
                results["change_reconcile_pass_ms_median"] = round(
                    statistics.median(reconciles) * 1000, 1)
        finally:
            if fk is not None:
                fk.stop()
    ok = (results["first_sync_s"] < 2.0 and results["change_add_ms"]["max"] < 200 and
          results["change_delete_ms"]["max"] < 200)
    results["pass"] = ok
    if a.json:
        print(json.dumps(results))
    else:
        for k, v in results.items():
            print("%-32s %s" % (k, v))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
