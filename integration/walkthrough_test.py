#!/usr/bin/env python3
"""docs/walkthrough.md, run: every `$ command` of its ```console blocks, in order, from the
repository root, must print what the page shows (needs root; ctest `walkthrough`).

    walkthrough_test.py [--kbgpd PATH] [--kbgp-sync PATH] [--kbgp PATH] [--doc FILE] [--write]

The binaries reach integration/seed_demo.py through $KBGP_DEMO_KBGPD, $KBGP_DEMO_KBGP_SYNC and
$KBGP_DEMO_KBGP. A command's output (stdout and stderr) and the page's are compared line by
line after the masks below, with runs of blanks made one; every command must exit 0. Commands
that only look (seed_demo.py exec/curl/get/status, cat) are run again, up to RETRY seconds,
until they match: routers take a moment to apply a change, and a reader types slower than this
test. `up`, `apply`, `annotate`, `delete`, `kill-node`, `revive-node` and `down` run once
(kill-node and revive-node wait for the router themselves).

What the masks hide, and nothing else:
- clock times and ages (HH:MM:SS[.fff], FRR's 1d02h03m, "Last update ..."), seconds measured
  by kill-node/revive-node ("after 3.0 s");
- FRR's message counters, table versions and queue lengths in `show bgp summary`, its memory
  figures, the kernel's nexthop ids (nhid N) and the order of an ECMP route's `nexthop via`
  lines;
- the split of requests between nodes in `seed_demo.py curl` output when several nodes answer
  (which nodes answer, and how many requests failed, are compared).

--write runs the commands the same way (waiting SETTLE seconds after each command that
changes something) and writes their real outputs into the page; review the diff.

Skips (exit 77) without root, FRR's zebra/vtysh, the binaries, or when a demo is already up
(it would be torn down). Always runs `seed_demo.py down` at the end, also after a failure.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEMO = "integration/seed_demo.py"
RETRY = 25.0
SETTLE = 3.0
MUTATING = {"up", "down", "apply", "annotate", "delete", "kill-node", "revive-node"}


class Step:
    def __init__(self, line_no, command):
        self.line_no = line_no  # of the `$ ` line, 0-based
        self.command = command
        self.output = []  # the page's lines
        self.end = line_no + 1  # first line after the output

    def demo_verb(self):
        parts = self.command.split()
        if parts and parts[0] == DEMO and len(parts) > 1:
            return parts[1]
        return None

    def mutating(self):
        return self.demo_verb() in MUTATING


def parse(text):
    """The `$ ` commands of the ```console blocks, each with the lines the page shows."""
    lines = text.split("\n")
    steps, in_block, cur = [], False, None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            if in_block:
                in_block, cur = False, None
            elif line.strip() == "```console":
                in_block = True
            continue
        if not in_block:
            continue
        if line.startswith("$ "):
            cur = Step(i, line[2:])
            steps.append(cur)
        elif cur is not None:
            cur.output.append(line)
            cur.end = i + 1
        else:
            raise SystemExit("walkthrough: line %d: output before any `$ ` command" % (i + 1))
    return lines, steps


_MASKS = [
    (re.compile(r"Last update:? .*"), "Last update <time>"),
    (re.compile(r"\b\d+:\d\d:\d\d(\.\d+)?\b"), "<time>"),
    (re.compile(r"\b\d+[wd]\d+[dh]\d+[hm]\b"), "<time>"),
    (re.compile(r"\bafter \d+\.\d s\b"), "after <t> s"),
    (re.compile(r"\bnhid \d+"), "nhid <id>"),
    (re.compile(r"\bBGP table version( is)? \d+"), "BGP table version <n>"),
    (re.compile(r"\busing \d+ (bytes|KiB|MiB) of memory"), "using <n> of memory"),
    # FRR `show bgp summary` rows: Neighbor V AS MsgRcvd MsgSent TblVer InQ OutQ.
    (re.compile(r"^(\d+\.\d+\.\d+\.\d+\s+4\s+\d+\s+)\d+\s+\d+\s+\d+\s+\d+\s+\d+\b"),
     r"\1<counters>"),
]
_CURL_HEAD = re.compile(r"^\d+ requests to \S+ from \S+: \d+ answered, \d+ failed$")
_CURL_ROW = re.compile(r"^\s*(\S+)\s+\d+\s*$")


def normalise(command, lines):
    out = []
    for line in lines:
        for rx, rep in _MASKS:
            line = rx.sub(rep, line)
        out.append(" ".join(line.split()))
    while out and out[-1] == "":
        out.pop()
    # An ECMP route's next hops, in any order.
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j].startswith("nexthop via "):
            j += 1
        if j > i:
            out[i:j] = sorted(out[i:j])
            i = j
        else:
            i += 1
    parts = command.split()
    if parts[:2] == [DEMO, "curl"] and out and _CURL_HEAD.match(out[0]):
        rows = [l for l in out[1:] if _CURL_ROW.match(l)]
        if len(rows) > 1:
            out = out[:1] + [_CURL_ROW.sub(r"\1 <n>", l) if _CURL_ROW.match(l) else l
                             for l in out[1:]]
    return out


def run(command, env):
    p = subprocess.run(["bash", "-c", command], cwd=REPO, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=180)
    lines = p.stdout.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return p.returncode, lines


def skip(msg):
    print("walkthrough: SKIP: %s" % msg)
    sys.exit(77)


def _on_signal(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kbgpd")
    ap.add_argument("--kbgp-sync")
    ap.add_argument("--kbgp")
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "walkthrough.md"))
    ap.add_argument("--write", action="store_true",
                    help="write the commands' real outputs into the page")
    args = ap.parse_args()

    if os.geteuid() != 0:
        skip("needs root (network namespaces)")
    for tool in ("ip", "vtysh", "/usr/lib/frr/zebra", "/usr/lib/frr/bgpd"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0 and \
                not os.access(tool, os.X_OK):
            skip("not installed: %s" % tool)
    env = dict(os.environ)
    for flag, var in ((args.kbgpd, "KBGP_DEMO_KBGPD"), (args.kbgp_sync, "KBGP_DEMO_KBGP_SYNC"),
                      (args.kbgp, "KBGP_DEMO_KBGP")):
        if flag:
            env[var] = os.path.abspath(flag)
        path = env.get(var)
        if path and not os.access(path, os.X_OK):
            skip("not built: %s" % path)
    env.pop("KBGP_DEMO_DIR", None)  # the page shows the default state dir
    if os.path.exists("/run/kbgp-demo") or "kbgp-demo-" in subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True).stdout:
        skip("a demo is up (/run/kbgp-demo or kbgp-demo-* namespaces): "
             "`integration/seed_demo.py down` first")

    with open(args.doc) as f:
        text = f.read()
    lines, steps = parse(text)
    if not steps:
        print("walkthrough: FAIL: no `$ ` commands in ```console blocks of %s" % args.doc)
        return 1
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    failures, outputs = [], {}
    t_start = time.monotonic()
    try:
        for n, step in enumerate(steps, start=1):
            t0 = time.monotonic()
            want = normalise(step.command, step.output)
            tries = 0
            while True:
                tries += 1
                rc, got_raw = run(step.command, env)
                got = normalise(step.command, got_raw)
                ok = rc == 0 and (args.write or got == want)
                if ok or step.mutating() or time.monotonic() - t0 > RETRY:
                    break
                time.sleep(0.5)
            outputs[step.line_no] = got_raw
            status = "ok" if ok else "FAIL"
            print("walkthrough: [%d/%d] %s  $ %s  (%.1f s, %d run%s)"
                  % (n, len(steps), status, step.command, time.monotonic() - t0, tries,
                     "" if tries == 1 else "s"), flush=True)
            if not ok:
                failures.append(step)
                print("  exit %d; the page (line %d) shows, masked:\n    %s\n  got, masked:\n    %s"
                      % (rc, step.line_no + 1, "\n    ".join(want), "\n    ".join(got)),
                      flush=True)
                if step.mutating():
                    break  # the rest depends on this step
            if args.write and step.mutating():
                time.sleep(SETTLE)
    finally:
        rc, out = run("%s down" % DEMO, env)
        if rc != 0:
            print("walkthrough: `seed_demo.py down` failed:\n" + "\n".join(out))
            failures.append(None)

    if args.write and not failures:
        new, pos = [], 0
        for step in steps:
            new += lines[pos:step.line_no + 1]
            new += outputs[step.line_no]
            pos = step.end
        new += lines[pos:]
        with open(args.doc, "w") as f:
            f.write("\n".join(new))
        print("walkthrough: wrote the outputs of %d commands into %s" % (len(steps), args.doc))
    print("walkthrough: %s: %d commands, %d failed, %.0f s"
          % ("PASS" if not failures else "FAIL", len(steps), len(failures),
             time.monotonic() - t_start))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
