#!/usr/bin/env python3
"""CLI benchmark: `kbgp` and GoBGP's `gobgp` listing a 1,000,000-route table of the same daemon,
in one run (Python 3 standard library only).

Starts the daemon API-only on a loopback port (kbgpd: the build's binary; with --daemon gobgpd,
Debian's gobgpd), loads --routes distinct /32s with api_bench --load (AddPathStream), then for
each CLI, --repeat times in turn:
  - `CLI -p PORT global rib`: wall time until the process exits, stdout read through a pipe;
    the lines are counted and must be routes + 1 (the header), or the run fails;
  - `CLI -p PORT global rib summary`: wall time; the output must name the route count.
Prints a Markdown table of the best and median times. Needs no root: everything is on 127.0.0.1
and the daemon listens for no BGP connections (StartBgp with listen port -1). The daemon is
always killed (finally, and on SIGINT/SIGTERM/SIGHUP).

  bench/cli_bench.py --build BUILD_DIR [--routes 1000000] [--repeat 3] [--daemon kbgpd|gobgpd]
                     [--clis kbgp,gobgp]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The daemon list, its cleanup (also on SIGINT/SIGTERM/SIGHUP) and free_port are
# api_bench's, which this script sits next to.
from api_bench import _procs, cleanup, free_port


def wait_api(cli, port, deadline):
    while time.monotonic() < deadline:
        p = subprocess.run([cli, "-p", str(port), "global"], capture_output=True, text=True)
        if p.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("the daemon's API on port %d did not answer" % port)


def timed(argv):
    """Runs argv, reads all of stdout through a pipe; returns (seconds, line count, head)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = 0
    head = b""
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        if len(head) < 4096:
            head += chunk[:4096]
        lines += chunk.count(b"\n")
    err = p.stderr.read()
    p.wait()
    secs = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), p.returncode,
                                                 (head + err).decode()[:500]))
    return secs, lines, head.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="build dir with daemon/kbgpd, cli/kbgp, "
                    "bench/api_bench")
    ap.add_argument("--routes", type=int, default=1000000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--daemon", choices=("kbgpd", "gobgpd"), default="kbgpd")
    ap.add_argument("--clis", default="kbgp,gobgp")
    a = ap.parse_args()
    kbgpd = os.path.join(a.build, "daemon", "kbgpd")
    kbgp = os.path.abspath(os.path.join(a.build, "cli", "kbgp"))
    api_bench = os.path.join(a.build, "bench", "api_bench")
    clis = {"kbgp": kbgp, "gobgp": "gobgp"}
    port = free_port()
    api = "127.0.0.1:%d" % port
    logdir = tempfile.mkdtemp(prefix="cli_bench.")
    log = open(os.path.join(logdir, "daemon.log"), "wb")
    if a.daemon == "kbgpd":
        argv = [kbgpd, "--api-hosts", api, "-l", "warn", "--no-metrics"]  # as gobgpd's pprof
    else:
        argv = ["gobgpd", "--api-hosts", api, "-l", "warn", "--pprof-disable"]
    d = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    _procs.append(d)
    results = {}
    try:
        wait_api("gobgp", port, time.monotonic() + 20)
        t0 = time.monotonic()
        subprocess.run([api_bench, "--target", api, "--start", "--load", str(a.routes)],
                       check=True, stdout=subprocess.DEVNULL)
        print("cli_bench: %s loaded %d routes in %.1f s" % (a.daemon, a.routes,
                                                             time.monotonic() - t0),
              file=sys.stderr, flush=True)
        for r in range(a.repeat):
            for name in a.clis.split(","):
                cli = clis[name]
                secs, lines, _ = timed([cli, "-p", str(port), "global", "rib"])
                if lines != a.routes + 1:
                    raise RuntimeError("%s global rib printed %d lines, expected %d"
                                       % (name, lines, a.routes + 1))
                results.setdefault((name, "rib"), []).append(secs)
                ssecs, _, head = timed([cli, "-p", str(port), "global", "rib", "summary"])
                if ("Destination: %d, Path: %d" % (a.routes, a.routes)) not in head:
                    raise RuntimeError("%s global rib summary said: %s" % (name, head))
                results.setdefault((name, "summary"), []).append(ssecs)
                print("cli_bench: round %d: %s: global rib %.2f s (%d lines), summary %.1f ms"
                      % (r + 1, name, secs, lines, ssecs * 1000), file=sys.stderr, flush=True)
    finally:
        cleanup()
    print("\n%d routes in %s; %d rounds (best / median):\n" % (a.routes, a.daemon, a.repeat))
    print("| CLI | `global rib` (all routes printed) | `global rib summary` |")
    print("|---|---|---|")
    for name in a.clis.split(","):
        rib = results[(name, "rib")]
        summ = results[(name, "summary")]
        print("| %s | %.2f s / %.2f s | %.0f ms / %.0f ms |"
              % (name, min(rib), statistics.median(rib), min(summ) * 1000,
                 statistics.median(summ) * 1000))


if __name__ == "__main__":
    main()
