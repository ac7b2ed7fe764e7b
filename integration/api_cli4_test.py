#!/usr/bin/env python3
"""CLI acceptance (issue 7): the api_cli scenario (integration/api_cli_test.py, 274 records,
plus a few steps of its own: shorter-prefixes, log-level, large-community sets, `global rib
del all`) run four ways, {gobgp, kbgp} x {gobgpd, kbgpd}; every masked output must be identical to the
oracle's, `gobgp` against gobgpd (Python 3 standard library only).

  python3 integration/api_cli4_test.py --kbgpd PATH --kbgp PATH [--record DIR]
                                       [--only gobgp/gobgpd,kbgp/kbgpd,...]

Each combination runs in a fresh lab set up identically (see api_cli_test.py): the daemon
starts with no config, the scenario's steps (show commands as text and with -j, changes,
monitors) run through the CLI under test, and the wait conditions between steps always use
`gobgp` so that only the steps' outputs depend on the CLI. The same masks apply (times, ages,
timing-dependent counters, orders gobgpd randomises). --record DIR writes each run's masked
records to DIR/<cli>-<daemon>/ (diff -r them). Needs root, iproute2, gobgpd and gobgp; exits
77 (skip) without.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_cli_test as A  # noqa: E402
import lab as L  # noqa: E402

COMBOS = ("gobgp/gobgpd", "kbgp/gobgpd", "gobgp/kbgpd", "kbgp/kbgpd")


def extra_steps():
    """Commands of the CLI issue that api_cli's scenario does not run, appended to it."""
    S, C = A.S, A.C
    return [
        S("global rib 10.1.1.0/24 shorter-prefixes"),
        S("global rib -a ipv6 2001:db8:1:1::/64 shorter-prefixes"),
        C("log-level info"),
        C("policy large-community add ls-1 65001:2:3 ^65001:1:"),
        S("policy large-community"),
        S("policy large-community ls-1"),
        C("global rib del all"),
        C("global rib -a ipv6 del all",
          wait=A.also(A.absent("10.60.0.0/24"), A.absent("2001:db8:60::/48"))),
        S("global rib summary"),
        S("global rib -a ipv6 summary"),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kbgpd", default=os.environ.get("KBGPD"))
    ap.add_argument("--kbgp", default=os.environ.get("KBGP"))
    ap.add_argument("--record", metavar="DIR")
    ap.add_argument("--only", help="comma-separated subset of %s (the first is the oracle)"
                    % ",".join(COMBOS))
    a = ap.parse_args()
    L.skip_unless_able("api_cli4_test")
    for name, path in (("--kbgpd", a.kbgpd), ("--kbgp", a.kbgp)):
        if not path or not os.access(path, os.X_OK):
            sys.exit("usage: api_cli4_test.py --kbgpd PATH --kbgp PATH (%s missing)" % name)
    combos = a.only.split(",") if a.only else list(COMBOS)
    for c in combos:
        if c not in COMBOS:
            sys.exit("unknown combination %s; one of %s" % (c, ", ".join(COMBOS)))
    t0 = time.monotonic()
    # The extra steps go before the scenario's last two (`global policy import del`, which
    # leaves kbgpd rejecting every received route at once and gobgpd only after a soft reset,
    # and `global policy`), so that both daemons still hold the same table for them.
    base = A.scenario()
    steps = base[:-2] + extra_steps() + base[-2:]
    runs = []
    for c in combos:
        cli, daemon = c.split("/")
        cli_path = "gobgp" if cli == "gobgp" else os.path.abspath(a.kbgp)
        binary = os.path.abspath(a.kbgpd) if daemon == "kbgpd" else None
        runs.append((c, A.run_side(daemon, binary, steps, c, cli=cli_path)))
    if a.record:
        for c, recs in runs:
            A.write_records(os.path.join(a.record, c.replace("/", "-")), recs)
        print("api_cli4_test: masked outputs in %s" % a.record)
    oracle_name, oracle = runs[0]
    failed = False
    for c, recs in runs[1:]:
        diffs = A.compare(oracle, recs)
        for i, title, diff in diffs:
            print("\n=== %s vs %s: step %d differs: %s" % (c, oracle_name, i, title))
            print("\n".join(diff))
        print("api_cli4_test: %s vs %s: %d of %d records differ"
              % (c, oracle_name, len(diffs), len(oracle)), flush=True)
        failed |= bool(diffs)
    leftover = [x for x in L.run(["ip", "netns", "list"]).stdout.splitlines()
                if x.startswith("kb%dx" % os.getpid())]
    print("api_cli4_test: %d runs, %.1f s; leftover namespaces: %s"
          % (len(runs), time.monotonic() - t0, leftover or "none"))
    sys.exit(1 if failed or leftover else 0)


if __name__ == "__main__":
    main()
