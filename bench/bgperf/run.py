#!/usr/bin/env python3
"""bgperf-style benchmark: kbgpd, gobgpd, BIRD, FRR and OpenBGPD as route servers.

    bench/bgperf/run.py --build build/gcc --targets kbgpd,bird,frr,openbgpd,gobgpd,null \
        --scenarios a,b,c,d,e [--routes synthetic|realistic|mrt] [--out DIR]

Builds nothing: it takes `bgperf` (the tester and monitor) and `kbgpd` from --build. For every
target and scenario it makes a lab (integration/lab.py: one namespace per box on one bridge)
with the target (10.0.0.1, also 10.1.255.254/16), the monitor (10.0.0.2) and the tester
(10.0.0.3 and one address per tester peer from 10.1.0.1 on), starts the target as a route
server with no filtering (every peer a route-server client, import and export all), connects
the monitor, then the tester. Convergence time is from the tester's sessions all Established
(scenario e: from the tester's first connect) to the monitor holding every prefix with the
AS path the route set says must win; churn (d) is timed from the first withdrawal to the
monitor's table complete again. Target CPU seconds are utime + stime of every process in the
target's namespace, peak RSS the sum of their VmHWM (sampled VmRSS every 50 ms is also
kept); both are read once the target has gone idle after convergence, so exports to the
tester peers count too. A target that does not converge within --limit seconds is listed as
"timeout". The "null" target is no daemon: the monitor takes the tester's sessions itself,
which shows what the harness can sustain.

Writes DIR/results.md, DIR/results.json and DIR/chart.png (gnuplot), and prints the table.
Needs root (network namespaces). Exit status 0 when every run finished (timeouts included,
they are results), 1 when a run failed (a daemon did not start, a session broke, ...),
77 without root or without the bgperf binary.
"""

import argparse
import json
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "integration"))
import lab  # noqa: E402

TARGET_AS = 65000
MONITOR_AS = 65001
TESTER_AS_BASE = 100001
HOLD = 240
TARGET_IP = "10.0.0.1"
MONITOR_IP = "10.0.0.2"
TESTER_BASE = (10 << 24) | (1 << 16) | 1  # 10.1.0.1

SCENARIOS = {
    "a": dict(peers=1, prefixes=1000000, title="1 peer x 1,000,000 prefixes"),
    "b": dict(peers=10, prefixes=100000, shared=True,
              title="10 peers x 100,000 prefixes, the same from every peer"),
    "c": dict(peers=100, prefixes=1000, title="100 peers x 1,000 prefixes"),
    "d": dict(peers=1, prefixes=1000000, churn=True,
              title="churn: 10% of 1,000,000 withdrawn and re-announced"),
    "e": dict(peers=1000, prefixes=10, start="each",
              title="1,000 peers establishing at once, 10 prefixes each"),
}
ALL_TARGETS = ["kbgpd", "gobgpd", "bird", "frr", "openbgpd", "null"]


def ip4(n):
    return "%d.%d.%d.%d" % (n >> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255)


def tester_ips(peers):
    return [ip4(TESTER_BASE + i) for i in range(peers)]


# --------------------------------------------------------------------------------------------
# Target configurations: a route server, every peer a client, no filtering, passive (the
# monitor and the tester connect).


def kbgpd_yaml(peers):
    """gobgpd's YAML, read by kbgpd and gobgpd alike."""
    lines = ["global:", "  config:", "    as: %d" % TARGET_AS, "    router-id: %s" % TARGET_IP,
             "neighbors:"]
    for addr, asn in peers:
        lines += ["  - config:", "      neighbor-address: %s" % addr, "      peer-as: %d" % asn,
                  "    timers:", "      config:", "        hold-time: %d" % HOLD,
                  "        keepalive-interval: %d" % (HOLD // 3),
                  "    transport:", "      config:", "        passive-mode: true",
                  "    route-server:", "      config:", "        route-server-client: true",
                  "    afi-safis:", "      - config:", "          afi-safi-name: ipv4-unicast"]
    return "\n".join(lines) + "\n"


def bird_conf(peers):
    lines = ["router id %s;" % TARGET_IP,
             "log stderr { warning, error, fatal, bug };",
             "protocol device { scan time 60; }",
             "template bgp rsc {",
             "  local as %d;" % TARGET_AS,
             "  rs client;",
             "  passive on;",
             "  hold time %d; keepalive time %d;" % (HOLD, HOLD // 3),
             "  connect delay time 1; connect retry time 1; error wait time 1,2;",
             "  ipv4 { import all; export all; };",
             "}"]
    for i, (addr, asn) in enumerate(peers):
        lines.append("protocol bgp p%d from rsc { neighbor %s as %d; }" % (i, addr, asn))
    return "\n".join(lines) + "\n"


def frr_conf(peers):
    lines = ["hostname target", "log stdout warnings", "router bgp %d" % TARGET_AS,
             " bgp router-id %s" % TARGET_IP, " no bgp ebgp-requires-policy",
             " no bgp default ipv4-unicast", " no bgp network import-check",
             " neighbor RS peer-group", " neighbor RS passive",
             " neighbor RS timers %d %d" % (HOLD // 3, HOLD),
             " neighbor RS advertisement-interval 0"]
    for addr, asn in peers:
        lines += [" neighbor %s remote-as %d" % (addr, asn), " neighbor %s peer-group RS" % addr]
    lines += [" address-family ipv4 unicast", "  neighbor RS activate",
              "  neighbor RS route-server-client", " exit-address-family"]
    return "\n".join(lines) + "\n"


def openbgpd_conf(peers, sock):
    lines = ["AS %d" % TARGET_AS, "router-id %s" % TARGET_IP, "fib-update no",
             "socket \"%s\"" % sock, "transparent-as yes", "group \"rs\" {",
             "  holdtime %d" % HOLD, "  passive"]
    for addr, asn in peers:
        lines.append("  neighbor %s { remote-as %d }" % (addr, asn))
    lines += ["}", "allow from any", "allow to any"]
    return "\n".join(lines) + "\n"


class Proc(lab.Daemon):
    """A process in a lab namespace that lab.close() kills (its process group)."""

    def __init__(self, router, name, argv, stdin=None, stdout=None):
        self.name = name
        super().__init__(router, 0)
        self.log = os.path.join(self.dir, "%s.log" % name)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", router.ns] + list(argv),
                                     stdin=stdin, stdout=stdout if stdout else logf,
                                     stderr=logf, start_new_session=True, cwd=self.dir)
        logf.close()


def start_target(name, router, peers, build, heaptrack=None):
    """Starts the target daemon in `router`'s namespace; returns the Procs. `heaptrack`: a
    file prefix; kbgpd then runs under `heaptrack -o PREFIX` (for attribution only: it slows
    the target and its helper processes count in the namespace's CPU and RSS)."""
    d = os.path.join(router.lab.tmp, "target")
    os.makedirs(d, exist_ok=True)
    if name == "kbgpd":
        conf = os.path.join(d, "kbgpd.yaml")
        open(conf, "w").write(kbgpd_yaml(peers))
        argv = [os.path.join(build, "daemon", "kbgpd"), "-f", conf, "-l", "warn",
                "--api-hosts", "127.0.0.1:50051"]
        if heaptrack:
            argv = ["heaptrack", "-o", heaptrack] + argv
        return [Proc(router, "kbgpd", argv)]
    if name == "gobgpd":
        conf = os.path.join(d, "gobgpd.yaml")
        open(conf, "w").write(kbgpd_yaml(peers))
        return [Proc(router, "gobgpd", ["gobgpd", "-f", conf, "-t", "yaml", "-l", "warn", "-p",
                                         "--pprof-disable", "--api-hosts", "127.0.0.1:50051"])]
    if name == "bird":
        conf = os.path.join(d, "bird.conf")
        open(conf, "w").write(bird_conf(peers))
        return [Proc(router, "bird", ["bird", "-f", "-c", conf, "-s",
                                       os.path.join(d, "bird.ctl"), "-P",
                                       os.path.join(d, "bird.pid")])]
    if name == "frr":
        # zebra (next-hop tracking) and bgpd; bgpd -n: nothing goes to the kernel FIB, as no
        # other target installs routes either.
        vty = os.path.join(d, "vty")
        os.makedirs(vty, exist_ok=True)
        ids = lab._frr_ids()
        for p in (d, vty):
            os.chown(p, *ids)
            os.chmod(p, 0o777)
        os.chmod(router.lab.tmp, 0o755)
        zsock = os.path.join(vty, "zserv.api")
        zconf = os.path.join(d, "zebra.conf")
        open(zconf, "w").write("hostname target\nlog stdout warnings\n")
        conf = os.path.join(d, "bgpd.conf")
        open(conf, "w").write(frr_conf(peers))
        for p in (zconf, conf):
            os.chmod(p, 0o644)
        zebra = Proc(router, "zebra", ["/usr/lib/frr/zebra", "-f", zconf, "-i",
                                        os.path.join(d, "zebra.pid"), "--vty_socket", vty,
                                        "-z", zsock, "-P", "0"])
        lab.wait_for("zebra socket", lambda: os.path.exists(zsock), 20)
        bgpd = Proc(router, "bgpd", ["/usr/lib/frr/bgpd", "-n", "-f", conf, "-i",
                                      os.path.join(d, "bgpd.pid"), "--vty_socket", vty,
                                      "-z", zsock, "-P", "0"])
        return [zebra, bgpd]
    if name == "openbgpd":
        os.makedirs("/run/openbgpd", exist_ok=True)
        conf = os.path.join(d, "bgpd.conf")
        open(conf, "w").write(openbgpd_conf(peers, os.path.join(d, "bgpd.sock")))
        os.chmod(conf, 0o600)
        return [Proc(router, "openbgpd", ["bgpd", "-d", "-f", conf])]
    raise ValueError("unknown target %s" % name)


# --------------------------------------------------------------------------------------------
# Measuring the target's processes.


def ns_pids(ns):
    out = lab.run(["ip", "netns", "pids", ns], check=False).stdout.split()
    return [int(p) for p in out if p.isdigit()]


def proc_status(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])  # kB
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def proc_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0.0


class Sampler(threading.Thread):
    """Samples the summed VmRSS of every process in a namespace every 50 ms; remembers the
    last VmHWM and CPU time of every pid seen (processes that exit keep their last figure)."""

    def __init__(self, ns):
        super().__init__(daemon=True)
        self.ns = ns
        self.stop = threading.Event()
        self.peak_rss_kb = 0
        self.peak_anon_kb = 0  # RssAnon: the heap and stacks, without mapped files
        self.hwm = {}
        self.cpu = {}
        self.pids = []
        self.pids_at = 0

    def run(self):
        while not self.stop.is_set():
            now = time.monotonic()
            if now - self.pids_at > 1.0:
                self.pids = ns_pids(self.ns)
                self.pids_at = now
            self.peak_rss_kb = max(self.peak_rss_kb, sum(proc_status(p, "VmRSS")
                                                         for p in self.pids))
            self.peak_anon_kb = max(self.peak_anon_kb, sum(proc_status(p, "RssAnon")
                                                           for p in self.pids))
            self.stop.wait(0.05)

    def snapshot(self):
        for p in ns_pids(self.ns):
            h = proc_status(p, "VmHWM")
            if h:
                self.hwm[p] = h
            c = proc_cpu(p)
            if c:
                self.cpu[p] = c
        return sum(self.cpu.values()), sum(self.hwm.values())


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def save_smaps(ns, prefix):
    """Copies /proc/PID/smaps and smaps_rollup of every process in the namespace to
    PREFIX-COMM-PID.smaps / .rollup: where the non-heap RSS (libraries, stacks) is."""
    for pid in ns_pids(ns):
        comm = proc_comm(pid)
        for src, ext in (("smaps", "smaps"), ("smaps_rollup", "rollup")):
            try:
                with open("/proc/%d/%s" % (pid, src)) as f:
                    text = f.read()
            except (FileNotFoundError, ProcessLookupError):
                continue
            with open("%s-%s-%d.%s" % (prefix, comm, pid, ext), "w") as f:
                f.write(text)


def stop_heaptrack(ns, procs):
    """Stops kbgpd alone (SIGTERM) so that heaptrack, its parent, writes its data file, and
    waits for heaptrack to finish (lab.close() would signal the whole process group)."""
    for pid in ns_pids(ns):
        if proc_comm(pid) == "kbgpd":
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for p in procs:
        try:
            p.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            print("heaptrack did not finish in 300 s", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# One run.


class Events:
    """Lines "<event> <ns> k=v..." from the tester's and monitor's stdout, in one queue."""

    def __init__(self):
        self.q = queue.Queue()

    def attach(self, who, proc):
        def pump():
            for line in proc.stdout:
                parts = line.decode(errors="replace").split()
                if len(parts) >= 2:
                    self.q.put((who, parts[0], parts[1:]))
            self.q.put((who, "eof", []))
        threading.Thread(target=pump, daemon=True).start()

    def wait(self, who, event, timeout, check=None, on_other=None):
        """The next (args) of `event` from `who`; None on timeout. `check`(args) filters."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                w, e, args = self.q.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if e == "eof":
                raise RuntimeError("%s exited" % w)
            if on_other:
                on_other(w, e, args)
            if w == who and e == event and (check is None or check(args)):
                return args


def kv(args):
    out = {}
    for a in args:
        if "=" in a:
            k, v = a.split("=", 1)
            out[k] = v
    return out


def route_flags(sc, routes, mrt):
    f = ["--routes", routes, "--peers", str(sc["peers"]), "--prefixes", str(sc["prefixes"]),
         "--as-base", str(TESTER_AS_BASE)]
    if sc.get("shared"):
        f.append("--shared")
    if routes == "mrt":
        f += ["--mrt", mrt]
    return f


def wait_listening(router, procs, timeout):
    """Waits until something listens on port 179 in the target's namespace; fails at once
    (with the log's tail) when a target process exits."""
    deadline = time.monotonic() + timeout
    while True:
        for p in procs:
            if p.proc.poll() is not None:
                raise RuntimeError("%s exited (%s): %s" % (p.name, p.proc.returncode,
                                                          p.read_log()[-300:]))
        if router.exec("ss", "-Hltn", "sport = :179", check=False).stdout.strip():
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the target did not listen on port 179 in %d s; log: %s" % (
                timeout, " ".join(p.read_log()[-300:] for p in procs)))
        time.sleep(0.1)


def one_run(target, key, sc, args):
    """Returns a result dict (status ok / timeout / error / n/a)."""
    res = dict(target=target, scenario=key, routes=args.routes, peers=sc["peers"],
               prefixes=sc["prefixes"], load_start=round(os.getloadavg()[0], 2))
    if target == "null" and sc.get("shared"):
        res.update(status="n/a", note="no best-path choice without a target")
        return res
    bgperf = os.path.join(args.build, "bench", "bgperf", "bgperf")
    with lab.Lab("bgperf") as L:
        t = L.add_router("t")
        m = L.add_router("m") if target != "null" else None
        g = L.add_router("g")
        # A second on-link subnet for the tester peers.
        for r in (t, g) + ((m,) if m else ()):
            for k in ("net.core.somaxconn=4096", "net.ipv4.tcp_max_syn_backlog=4096"):
                r.exec("sysctl", "-qw", k)
        t.exec("ip", "addr", "add", "10.1.255.254/16", "dev", "eth0")
        batch = L.path("addrs.batch")
        with open(batch, "w") as f:
            for a in tester_ips(sc["peers"]):
                f.write("addr add %s/16 dev eth0\n" % a)
        lab.run(["ip", "-n", g.ns, "-batch", batch])
        # Permanent neighbour entries for the tester addresses in the target's namespace: the
        # kernel's neighbour table is shared by all namespaces and gc_thresh3 (1,024 by
        # default) caps its resolved entries, so 1,000 peers resolved by ARP can starve each
        # other (connections then wait in SYN retries); permanent entries do not count.
        mac = json.loads(lab.run(["ip", "-n", g.ns, "-j", "link", "show", "eth0"]).stdout)[0][
            "address"]
        with open(batch, "w") as f:
            for a in tester_ips(sc["peers"]):
                f.write("neigh replace %s lladdr %s dev eth0 nud permanent\n" % (a, mac))
        lab.run(["ip", "-n", t.ns, "-batch", batch])
        peers = [(MONITOR_IP, MONITOR_AS)] + [
            (a, TESTER_AS_BASE + i) for i, a in enumerate(tester_ips(sc["peers"]))]
        rflags = route_flags(sc, args.routes, args.mrt)
        ev = Events()
        if target == "null":
            mon = Proc(t, "monitor", [bgperf, "monitor", "--listen", TARGET_IP] + rflags,
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            ev.attach("monitor", mon.proc)
            if ev.wait("monitor", "listening", 120) is None:
                raise RuntimeError("the null monitor did not start listening")
        else:
            heap = None
            if args.heaptrack and target == "kbgpd":
                heap = os.path.join(args.heaptrack, "heaptrack-%s-%s" % (target, key))
            procs = start_target(target, t, peers, args.build, heap)
            wait_listening(t, procs, 120)
            mon = Proc(m, "monitor", [bgperf, "monitor", "--connect", TARGET_IP,
                                       "--as", str(MONITOR_AS), "--router-id", MONITOR_IP,
                                       "--strip-as", str(TARGET_AS)] + rflags,
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            ev.attach("monitor", mon.proc)
            if ev.wait("monitor", "established", 120) is None:
                raise RuntimeError("the monitor's session to %s did not come up" % target)
        sampler = Sampler(t.ns)
        sampler.start()
        perf = None
        if args.perf and target != "null":
            # perf record -g of every target process, from before the tester connects until
            # the target is idle again.
            pids = ",".join(str(p) for p in ns_pids(t.ns))
            data = os.path.join(args.perf, "perf-%s-%s.data" % (target, key))
            perf = subprocess.Popen(["perf", "record", "-g", "-e", args.perf_event, "-o", data,
                                     "-p", pids],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tflags = ["--target", TARGET_IP, "--local-base", ip4(TESTER_BASE),
                  "--start", sc.get("start", "all")] + rflags
        if sc.get("churn"):
            tflags.append("--churn")
        tester = Proc(g, "tester", [bgperf, "tester"] + tflags, stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE)
        ev.attach("tester", tester.proc)
        marks = {}

        def note(w, e, a):
            if w == "tester" and e in ("connecting", "established_all", "sent_all",
                                       "churn_start", "churn_sent") and e not in marks:
                marks[e] = int(a[0])
            if w == "monitor" and e == "progress":
                marks["progress"] = kv(a)
            # The monitor can complete while run.py still waits for a tester event (the null
            # target in particular is that fast): keep it, or the wait below would miss it.
            if w == "monitor" and e == "complete":
                marks.setdefault("complete", {}).setdefault(kv(a).get("phase"), a)

        def wait_complete(phase):
            seen = marks.get("complete", {}).get(phase)
            if seen is not None:
                return seen
            return ev.wait("monitor", "complete", args.limit, on_other=note,
                           check=lambda a: kv(a).get("phase") == phase)

        try:
            if ev.wait("tester", "connecting", 300, on_other=note) is None:
                raise RuntimeError("the tester did not start (route set too large?)")
            if sc.get("start") == "each":
                t0 = marks["connecting"]
            else:
                if ev.wait("tester", "established_all", args.limit, on_other=note) is None:
                    res.update(status="timeout", note="tester sessions not all Established")
                    return res
                t0 = marks["established_all"]
            done = wait_complete("0")
            if done is None:
                p = marks.get("progress", {})
                res.update(status="timeout", note="monitor held %s of %s" % (
                    p.get("matched", "?"), p.get("total", "?")))
                return res
            t1 = int(done[0])
            res["cpu_at_converged"] = round(sampler.snapshot()[0], 2)
            res["converge_s"] = round((t1 - t0) / 1e9, 3)
            if "established_all" in marks and "connecting" in marks:
                res["established_s"] = round((marks["established_all"] -
                                              marks["connecting"]) / 1e9, 3)
            if "sent_all" in marks:
                res["tester_sent_s"] = round((marks["sent_all"] - t0) / 1e9, 3)
            if sc.get("churn"):
                mon.proc.stdin.write(b"phase 1\n")
                mon.proc.stdin.flush()
                if ev.wait("monitor", "phase", 60, on_other=note) is None:
                    raise RuntimeError("the monitor did not switch phase")
                tester.proc.stdin.write(b"churn\n")
                tester.proc.stdin.flush()
                if ev.wait("tester", "churn_start", 60, on_other=note) is None:
                    raise RuntimeError("the tester did not start the churn")
                c0 = marks["churn_start"]
                done = wait_complete("1")
                if done is None:
                    p = marks.get("progress", {})
                    res.update(status="timeout", note="after churn the monitor held %s of %s"
                               % (p.get("matched", "?"), p.get("total", "?")))
                    return res
                res["load_s"] = res["converge_s"]
                res["converge_s"] = round((int(done[0]) - c0) / 1e9, 3)
            settle(sampler)
            cpu, hwm = sampler.snapshot()
            rss_end = sum(proc_status(p, "VmRSS") for p in ns_pids(t.ns))
            if args.smaps and target != "null":
                save_smaps(t.ns, os.path.join(args.smaps, "smaps-%s-%s" % (target, key)))
            res.update(status="ok", cpu_s=round(cpu, 2), peak_rss_mib=round(hwm / 1024, 1),
                       rss_end_mib=round(rss_end / 1024, 1),
                       sampled_rss_mib=round(sampler.peak_rss_kb / 1024, 1),
                       sampled_anon_mib=round(sampler.peak_anon_kb / 1024, 1))
            return res
        finally:
            sampler.stop.set()
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait(timeout=60)
            if target == "kbgpd" and args.heaptrack:
                stop_heaptrack(t.ns, procs)
            res["load_end"] = round(os.getloadavg()[0], 2)
            for p in (tester, mon):
                try:
                    p.proc.stdin.close()
                except (BrokenPipeError, OSError):
                    pass


def median_of(runs):
    """One row for repeated runs: the median of each figure over the runs that finished (all
    runs kept under "runs"); a timeout or error in any run makes the row that status."""
    if len(runs) == 1:
        return runs[0]
    bad = [r for r in runs if r["status"] not in ("ok",)]
    row = dict(bad[0] if bad else runs[0])
    row["runs"] = runs
    if bad:
        return row
    for k in ("converge_s", "cpu_s", "cpu_at_converged", "peak_rss_mib", "sampled_rss_mib",
              "sampled_anon_mib", "rss_end_mib", "established_s", "tester_sent_s", "load_s"):
        vals = sorted(r[k] for r in runs if k in r)
        if vals:
            row[k] = vals[len(vals) // 2]
    row["note"] = "median of %d runs; converge %s-%s s" % (
        len(runs), min(r["converge_s"] for r in runs), max(r["converge_s"] for r in runs))
    return row


def settle(sampler, quiet=0.5, limit=120.0):
    """Waits until the target's CPU time grows by less than 2% of `quiet` seconds over `quiet`
    seconds (its exports to the tester peers done), at most `limit` seconds."""
    deadline = time.monotonic() + limit
    last = sampler.snapshot()[0]
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = sampler.snapshot()[0]
        if now - last < 0.02 * quiet:
            return
        last = now


# --------------------------------------------------------------------------------------------
# Reports.


def fmt_time(r):
    if r["status"] == "ok":
        return "%.2f s" % r["converge_s"]
    if r["status"] == "timeout":
        return "timeout"
    return r["status"]


def scaled(key, args):
    sc = dict(SCENARIOS[key])
    sc["prefixes"] = max(10, int(sc["prefixes"] * args.scale))
    if args.max_peers:
        sc["peers"] = min(sc["peers"], args.max_peers)
    return sc


def title(key, args):
    """The scenario's title with the sizes of this run (--scale and --max-peers)."""
    sc = scaled(key, args)
    if args.scale == 1.0 and not args.max_peers:
        return sc["title"]
    return "%s [here %d x %d]" % (sc["title"], sc["peers"], sc["prefixes"])


def markdown(results, args, meta):
    targets = [t for t in args.targets]
    lines = ["Measured %s on %s; %s routes; limit %d s per run; load average (1 min) %s." % (
        meta["date"], meta["machine"], args.routes, args.limit, meta["load"]), "",
        "| scenario | " + " | ".join(targets) + " |",
        "|---|" + "---|" * len(targets)]
    by = {(r["target"], r["scenario"]): r for r in results}
    for key in args.scenarios:
        cells = []
        for t in targets:
            r = by.get((t, key))
            if r is None:
                cells.append("-")
            elif r["status"] == "ok":
                cells.append("%s, %.0f MiB, %.1f CPU-s" % (fmt_time(r), r["peak_rss_mib"],
                                                           r["cpu_s"]))
            else:
                cells.append(fmt_time(r))
        lines.append("| %s: %s | %s |" % (key, title(key, args), " | ".join(cells)))
    lines += ["", "Each cell: convergence time, peak RSS (sum of VmHWM of the target's "
              "processes), CPU seconds (utime + stime, until the target went idle).", "",
              "| target | scenario | status | converge | est. | tester sent | CPU at conv. | "
              "CPU | peak RSS | sampled RSS | sampled anon | RSS at end | load start/end | note |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(("| %s " * 12 + "| %s/%s | %s |") % (
            r["target"], r["scenario"], r["status"], r.get("converge_s", ""),
            r.get("established_s", ""), r.get("tester_sent_s", ""),
            r.get("cpu_at_converged", ""), r.get("cpu_s", ""), r.get("peak_rss_mib", ""),
            r.get("sampled_rss_mib", ""), r.get("sampled_anon_mib", ""), r.get("rss_end_mib", ""),
            r.get("load_start", ""), r.get("load_end", ""),
            r.get("note", "")))
    return "\n".join(lines) + "\n"


def chart(results, args, path):
    if shutil.which("gnuplot") is None:
        print("gnuplot not installed: no chart", file=sys.stderr)
        return False
    targets = [t for t in args.targets if t != "null"] or list(args.targets)
    by = {(r["target"], r["scenario"]): r for r in results}
    dat = path + ".dat"
    with open(dat, "w") as f:
        for key in args.scenarios:
            row = [key]
            for t in targets:
                r = by.get((t, key))
                row.append(str(r["converge_s"]) if r and r["status"] == "ok" else
                           str(args.limit) if r and r["status"] == "timeout" else "NaN")
            for t in targets:
                r = by.get((t, key))
                row.append(str(r["peak_rss_mib"]) if r and r["status"] == "ok" else "NaN")
            f.write(" ".join(row) + "\n")
    n = len(targets)
    plot1 = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, i + 2, t)
                      for i, t in enumerate(targets))
    plot2 = ", ".join("'%s' using %d:xtic(1) title '%s'" % (dat, n + i + 2, t)
                      for i, t in enumerate(targets))
    script = "\n".join([
        "set terminal pngcairo size 1200,900 font 'sans,10'" if _has_cairo() else
        "set terminal png size 1200,900",
        "set output '%s'" % path,
        "set multiplot layout 2,1 title 'bgperf: %s routes (timeouts drawn at the %d s limit)'"
        % (args.routes, args.limit),
        "set style data histograms", "set style histogram clustered gap 1",
        "set style fill solid 0.8 border -1", "set logscale y", "set grid ytics",
        "set key top left", "set ylabel 'convergence (s, log)'",
        "set yrange [0.01:*]",
        "plot " + plot1,
        "set ylabel 'peak RSS (MiB, log)'", "set yrange [1:*]",
        "plot " + plot2, "unset multiplot"])
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if p.returncode != 0:
        print("gnuplot failed: %s" % p.stderr, file=sys.stderr)
        return False
    os.remove(dat)
    return True


def _has_cairo():
    p = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (p.stdout + p.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "gcc"),
                    help="build dir with bench/bgperf/bgperf and daemon/kbgpd")
    ap.add_argument("--targets", default=",".join(ALL_TARGETS))
    ap.add_argument("--scenarios", default="a,b,c,d,e")
    ap.add_argument("--routes", default="synthetic", choices=["synthetic", "realistic", "mrt"])
    ap.add_argument("--mrt", default=os.path.join(ROOT, "testdata", "mrt",
                                                  "bview.20020722.2337.gz"))
    ap.add_argument("--limit", type=int, default=600, help="seconds per run before timeout")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per target and scenario; the table shows the medians")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply prefix counts (smoke runs: 0.001)")
    ap.add_argument("--max-peers", type=int, default=0, help="cap peer counts (smoke runs)")
    ap.add_argument("--out", default=None, help="results dir (default: a new one in /tmp)")
    ap.add_argument("--perf", default=None, metavar="DIR",
                    help="perf record -g each target run into DIR/perf-TARGET-SCENARIO.data")
    ap.add_argument("--perf-event", default="cpu-clock",
                    help="the event for --perf (page-faults: where resident memory grows)")
    ap.add_argument("--heaptrack", default=None, metavar="DIR",
                    help="run kbgpd under heaptrack -o DIR/heaptrack-kbgpd-SCENARIO (for "
                    "attribution only: heaptrack slows kbgpd and its helpers count in the "
                    "figures); read with heaptrack_print")
    ap.add_argument("--smaps", default=None, metavar="DIR",
                    help="save /proc/PID/smaps and smaps_rollup of the target's processes "
                    "once idle to DIR/smaps-TARGET-SCENARIO-COMM-PID.*")
    ap.add_argument("--skip-missing", action="store_true",
                    help="leave out targets whose daemon is not installed")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every run is ok (for the smoke test)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)  # the daemons run in their own directories
    args.mrt = os.path.abspath(args.mrt)
    args.targets = [t for t in args.targets.split(",") if t]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for t in args.targets:
        if t not in ALL_TARGETS:
            ap.error("unknown target %s (known: %s)" % (t, ",".join(ALL_TARGETS)))
    for s in args.scenarios:
        if s not in SCENARIOS:
            ap.error("unknown scenario %s (known: %s)" % (s, ",".join(SCENARIOS)))
    if os.geteuid() != 0:
        print("bgperf: SKIP: needs root (network namespaces)")
        return 77
    if not os.path.exists(os.path.join(args.build, "bench", "bgperf", "bgperf")):
        print("bgperf: SKIP: %s/bench/bgperf/bgperf not built" % args.build)
        return 77
    needs = {"kbgpd": os.path.join(args.build, "daemon", "kbgpd"), "gobgpd": "gobgpd",
             "bird": "bird", "frr": "/usr/lib/frr/bgpd", "openbgpd": "bgpd"}
    missing = [t for t in args.targets if t in needs and shutil.which(needs[t]) is None
               and not os.path.exists(needs[t])]
    if missing and not args.skip_missing:
        ap.error("not installed: %s (or use --skip-missing)" % ", ".join(
            "%s (%s)" % (t, needs[t]) for t in missing))
    if missing:
        print("bgperf: skipping targets not installed: %s" % ", ".join(missing))
        args.targets = [t for t in args.targets if t not in missing]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    out = args.out or os.path.join("/tmp", "bgperf-%s" % time.strftime("%Y%m%d-%H%M%S"))
    for d in (args.perf, args.heaptrack, args.smaps):
        if d:
            os.makedirs(d, exist_ok=True)
    if args.heaptrack and shutil.which("heaptrack") is None:
        ap.error("--heaptrack: heaptrack is not installed (Debian package heaptrack)")
    if args.heaptrack:
        args.heaptrack = os.path.abspath(args.heaptrack)
    os.makedirs(out, exist_ok=True)
    meta = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                machine="%d cores, %.0f GiB" % (os.cpu_count(), os.sysconf("SC_PAGE_SIZE") *
                                                os.sysconf("SC_PHYS_PAGES") / 2**30),
                load="%.2f" % os.getloadavg()[0])
    results = []
    failed = False
    for key in args.scenarios:
        sc = scaled(key, args)
        for target in args.targets:
            runs = []
            for _ in range(args.repeat):
                t0 = time.monotonic()
                try:
                    r = one_run(target, key, sc, args)
                except Exception as e:  # a failed run is reported, the others go on
                    r = dict(target=target, scenario=key, routes=args.routes, status="error",
                             note=str(e)[:300].replace("|", "/").replace("\n", " "))
                    failed = True
                r["wall_s"] = round(time.monotonic() - t0, 1)
                runs.append(r)
                print("%-8s %s: %s" % (target, key, json.dumps(r)), flush=True)
            results.append(median_of(runs))
            with open(os.path.join(out, "results.json"), "w") as f:
                json.dump(dict(meta=meta, results=results), f, indent=1)
    meta["load_end"] = "%.2f" % os.getloadavg()[0]
    md = markdown(results, args, meta)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(md)
    chart(results, args, os.path.join(out, "chart.png"))
    print(md)
    print("results in %s" % out)
    if failed or (args.check and any(r["status"] not in ("ok", "n/a") for r in results)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
