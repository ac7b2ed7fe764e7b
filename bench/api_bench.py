#!/usr/bin/env python3
"""The GoBGP API benchmark, kbgpd against gobgpd 3.10, in one run (Python 3 standard library).

Starts each daemon API-only on a loopback port (kbgpd: the build's binary; gobgpd: Debian's),
one after the other so they never compete for the CPU, runs the same client (api_bench) against
it, then reads the daemon's peak resident memory (VmHWM in /proc/PID/status) and CPU time
(utime + stime in /proc/PID/stat) before killing it, and prints a Markdown table.

  bench/api_bench.py --build BUILD_DIR [--unary 100000] [--stream 1000000] [--batch 1000]
                     [--limit 600] [--only kbgpd|gobgpd] [--keep-logs DIR]

--limit is the wall-clock budget of one daemon's whole client run (seconds). A measurement that
has not finished when it runs out is reported as "did not finish" with the time it had, and the
measurements after it as "not run". The daemons are always killed (finally, and on SIGINT,
SIGTERM and SIGHUP). Needs no root: everything is on 127.0.0.1 and the daemons listen for no
BGP connections (StartBgp with listen port -1).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
_procs = []  # daemons alive, for cleanup


def cleanup():
    for p in list(_procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        _procs.remove(p)


def _on_signal(signum, frame):
    cleanup()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_usage(pid):
    """(VmHWM in KiB, VmRSS in KiB, CPU seconds user+sys) of a live process."""
    hwm = rss = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After "pid (comm)": state is field 3, utime 14, stime 15 (1-based in proc(5)).
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return hwm, rss, cpu


def run_one(name, argv, client, args, logdir):
    """Starts the daemon, runs the client, returns a result dict."""
    port = free_port()
    api = "127.0.0.1:%d" % port
    log = open(os.path.join(logdir, "%s.log" % name), "wb")
    d = subprocess.Popen(argv + ["--api-hosts", api], stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    _procs.append(d)
    log.close()
    res = {"name": name, "measurements": {}, "order": [], "cut": None, "error": None}
    cmd = [client, "--target", api, "--json", "--unary", str(args.unary),
           "--stream", str(args.stream), "--batch", str(args.batch),
           "--timeout", str(args.limit)]
    print("api_bench: %s on %s: %s" % (name, api, " ".join(cmd)), file=sys.stderr, flush=True)
    t0 = time.monotonic()
    last = [t0]
    c = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    _procs.append(c)
    err_lines = []
    threading.Thread(target=lambda: err_lines.extend(c.stderr), daemon=True).start()

    def read():
        for line in c.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            print("api_bench: %s: %s" % (name, line), file=sys.stderr, flush=True)
            if "measurement" in doc:
                res["measurements"][doc["measurement"]] = doc
                res["order"].append(doc["measurement"])
            elif "client_cpu_seconds" in doc:
                res["client_cpu"] = doc["client_cpu_seconds"]
            last[0] = time.monotonic()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        c.wait(timeout=args.limit)
    except subprocess.TimeoutExpired:
        res["cut"] = time.monotonic() - last[0]  # how long the unfinished step had run
        os.killpg(c.pid, signal.SIGKILL)
        c.wait()
    reader.join(5)
    _procs.remove(c)
    res["wall"] = time.monotonic() - t0
    res["client_rc"] = c.returncode
    if c.returncode != 0 and res["cut"] is None:
        res["error"] = "".join(err_lines).strip() or "client exit %d" % c.returncode
    if d.poll() is None:
        res["hwm"], res["rss"], res["cpu"] = proc_usage(d.pid)
        os.killpg(d.pid, signal.SIGKILL)
        d.wait()
    else:
        res["error"] = (res["error"] or "") + " (daemon exited with %d)" % d.returncode
    _procs.remove(d)
    return res


STEPS = [  # (measurement name in api_bench's output, row title)
    ("AddPath (unary)", "AddPath, one call at a time: {unary:,} routes"),
    ("DeletePath (family)", "DeletePath with only the family: {unary:,} routes"),
    ("AddPathStream", "AddPathStream: {stream:,} routes in batches of {batch:,}"),
    ("ListPath", "ListPath, whole table: {stream:,} destinations received"),
    ("GetTable", "GetTable: {stream:,} destinations"),
]


def secs(x):
    return "%.3f s" % x if x < 10 else "%.1f s" % x


def cell(res, key, limit):
    m = res["measurements"].get(key)
    if m is not None:
        if key == "GetTable":
            return secs(m["seconds"])
        out = "%s (%s routes/s)" % (secs(m["seconds"]), "{:,}".format(int(m["routes_per_s"])))
        if key == "ListPath" and "first_seconds" in m:
            out += "; first after %s" % secs(m["first_seconds"])
        return out
    # The first step with no measurement is the one that was cut or failed.
    names = [k for k, _ in STEPS]
    first_missing = next(k for k in names if k not in res["measurements"])
    if key == first_missing:
        if res["cut"] is not None:
            return "did not finish in %.0f s (the %d s limit of the run)" % (res["cut"], limit)
        if res["error"]:
            return "failed: %s" % res["error"].splitlines()[-1][:120]
    return "not run"


def table(results, args):
    head = "| | " + " | ".join(r["name"] for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]
    for key, title in STEPS:
        lines.append("| %s | %s |" % (title.format(unary=args.unary, stream=args.stream,
                                                   batch=args.batch),
                                      " | ".join(cell(r, key, args.limit) for r in results)))

    def row(title, fn):
        lines.append("| %s | %s |" % (title, " | ".join(fn(r) for r in results)))

    row("daemon peak RSS (VmHWM) at the end",
        lambda r: "%.0f MiB" % (r["hwm"] / 1024) if r.get("hwm") else "n/a")
    row("daemon RSS at the end",
        lambda r: "%.0f MiB" % (r["rss"] / 1024) if r.get("rss") else "n/a")
    row("daemon CPU time, user + system",
        lambda r: "%.1f s" % r["cpu"] if r.get("cpu") is not None else "n/a")
    row("client (api_bench) CPU time",
        lambda r: "%.1f s" % r["client_cpu"] if r.get("client_cpu") is not None else
        "n/a (cut)")
    row("wall time of the client run", lambda r: "%.1f s" % r["wall"])
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the CMake build dir (kbgpd, api_bench)")
    ap.add_argument("--kbgpd", help="default: BUILD/daemon/kbgpd")
    ap.add_argument("--api-bench", help="default: BUILD/bench/api_bench")
    ap.add_argument("--gobgpd", default=shutil.which("gobgpd") or "gobgpd")
    ap.add_argument("--unary", type=int, default=100000)
    ap.add_argument("--stream", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--limit", type=int, default=600, help="seconds per daemon")
    ap.add_argument("--only", choices=("kbgpd", "gobgpd"))
    ap.add_argument("--keep-logs", metavar="DIR")
    a = ap.parse_args()
    kbgpd = a.kbgpd or os.path.join(a.build, "daemon", "kbgpd")
    client = a.api_bench or os.path.join(a.build, "bench", "api_bench")
    for p in (kbgpd, client):
        if not os.access(p, os.X_OK):
            sys.exit("api_bench: not executable: %s" % p)
    logdir = a.keep_logs or tempfile.mkdtemp(prefix="api-bench-")
    os.makedirs(logdir, exist_ok=True)
    # Neither serves metrics (gobgpd: --pprof-disable; kbgpd: --no-metrics), so two runs side by
    # side do not compete for the metrics port.
    daemons = [("kbgpd", [kbgpd, "-l", "warn", "--no-metrics"]),
               ("gobgpd 3.10", [a.gobgpd, "-l", "warn", "-p", "--pprof-disable"])]
    if a.only:
        daemons = [d for d in daemons if d[0].startswith(a.only)]
    results = []
    try:
        for name, argv in daemons:
            results.append(run_one(name, argv, client, a, logdir))
    finally:
        cleanup()
        if not a.keep_logs:
            shutil.rmtree(logdir, ignore_errors=True)
    print()
    print(table(results, a))
    bad = [r["name"] for r in results if r["error"]]
    if bad:
        print("\nerrors: " + "; ".join("%s: %s" % (r["name"], r["error"]) for r in results
                                       if r["error"]))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
