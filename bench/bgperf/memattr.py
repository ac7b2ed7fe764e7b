#!/usr/bin/env python3
"""Where a target's memory goes, from the files `run.py --heaptrack DIR --smaps DIR` writes.

    bench/bgperf/memattr.py heap DIR/heaptrack-kbgpd-c.zst [--top N]
    bench/bgperf/memattr.py smaps DIR/smaps-kbgpd-c-kbgpd-PID.smaps

heap: runs `heaptrack_print --flamegraph-cost-type peak` (bytes live at the moment of peak
heap) and adds the bytes up per nearest kbgp (or gRPC, protobuf) frame of each allocation's
backtrace, so containers' internals are charged to the code that grows them.
smaps: adds up RSS per mapping kind: [heap] (brk, the main malloc arena), unnamed anonymous
mappings (thread stacks and other malloc arenas, large allocations), file-backed (the binary
and its shared libraries).
"""
import argparse
import collections
import re
import subprocess
import sys


def heap(path, top):
    stacks = subprocess.run(["heaptrack_print", "-f", path, "--flamegraph-cost-type", "peak",
                             "-F", "/dev/stdout"], check=True, capture_output=True,
                            text=True).stdout
    agg = collections.Counter()
    for line in stacks.splitlines():
        stack, _, n = line.rstrip().rpartition(" ")
        if not n.isdigit():
            continue
        key = "other"
        for f in reversed(stack.split(";")):
            f = re.sub(r"\(.*", "", re.sub(r" \(.*\)$", "", f.strip()))  # the name alone
            if re.search(r"kbgp::|^grpc|google::protobuf", f):
                key = f
                break
        agg[key] += int(n)
    print("heap at peak: %.1f MiB" % (sum(agg.values()) / 2**20))
    for k, v in agg.most_common(top):
        print("%8.2f MiB  %s" % (v / 2**20, k))


def smaps(path):
    agg = collections.Counter()
    cur = None
    for line in open(path):
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$", line)
        if m:
            name = m.group(3).strip()
            if name.startswith("/"):
                cur = "file-backed: " + ("shared libraries" if ".so" in name else
                                         name.rsplit("/", 1)[-1])
            elif name.startswith("["):
                cur = name
            else:
                cur = "anonymous mappings (thread stacks, other arenas, large blocks)"
        elif line.startswith("Rss:") and cur:
            agg[cur] += int(line.split()[1])
    print("RSS: %.1f MiB" % (sum(agg.values()) / 1024))
    for k, v in agg.most_common():
        if v:
            print("%8.1f MiB  %s" % (v / 1024, k))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("heap")
    h.add_argument("file")
    h.add_argument("--top", type=int, default=12)
    s = sub.add_parser("smaps")
    s.add_argument("file")
    a = ap.parse_args()
    if a.cmd == "heap":
        heap(a.file, a.top)
    else:
        smaps(a.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
