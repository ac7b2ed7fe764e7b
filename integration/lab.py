"""A small network-namespace lab for BGP interop tests (Python 3 standard library only).

A Lab is one LAN: a bridge in a namespace of its own, and one namespace per router with a
veth into that bridge, IPv4 10.0.0.N/24 and IPv6 2001:db8::N/64 (DAD off). Nothing is created
in the host's namespace (the veth pairs are made inside the lab's namespaces), nothing routes
outside: all traffic stays in the namespaces the lab made.

Every name carries the lab's prefix "kb<pid>x<n>", so parallel or leftover runs do not clash.
Daemons run inside the namespaces in process groups of their own, with configs, sockets and
logs under one temp dir. Lab.close() kills the process groups, deletes the namespaces and the
temp dir; it runs from tests' finally blocks, from atexit, and from SIGINT/SIGTERM handlers.

Daemon helpers (Kbgpd, Gobgpd, Bird, Frr, OpenBgpd, ExaBgp) write a config, start the daemon
and read its sessions and routes back through its own CLI. Routes come back normalised as
{prefix: Route(as_path=[...], next_hop='...', local_pref=int|None)} with the best path.
"""

import atexit
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

KEEP = os.environ.get("KBGP_LAB_KEEP") == "1"  # keep temp dirs (logs) for debugging

_counter = itertools.count()
_labs = []  # open labs, for atexit and signal cleanup


def run(argv, check=True, timeout=20, **kw):
    """Runs a command, returns its CompletedProcess (text)."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


def skip_unless_able(name, tools=("gobgpd", "gobgp", "ip")):
    """Exits 77 (ctest's SKIP_RETURN_CODE) with a line naming what is missing, when not root
    (network namespaces need it) or a tool is not installed."""
    if os.geteuid() != 0:
        print("%s: SKIP: needs root (network namespaces)" % name)
        sys.exit(77)
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        print("%s: SKIP: not installed: %s" % (name, ", ".join(missing)))
        sys.exit(77)


def wait_for(what, fn, timeout=30.0, interval=0.2):
    """Polls fn() every interval seconds until it returns a truthy value; returns that value.
    Raises AssertionError naming `what` (and the last value or exception) on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # a CLI not ready yet
            last = "%s: %s" % (type(e).__name__, e)
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" %
                                 (timeout, what, last))
        time.sleep(interval)


def holds_for(what, fn, seconds, interval=0.2):
    """Asserts fn() stays truthy for `seconds` (polling), for "stays up/down" checks."""
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if not v:
            raise AssertionError("%s stopped holding (got %r)" % (what, v))
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)


class Route:
    def __init__(self, as_path, next_hop, local_pref=None):
        self.as_path = [int(a) for a in as_path]
        self.next_hop = next_hop
        self.local_pref = local_pref

    def __repr__(self):
        return "Route(as_path=%r, next_hop=%r, local_pref=%r)" % (
            self.as_path, self.next_hop, self.local_pref)


def _cleanup_all():
    for lab in list(_labs):
        lab.close()


def _on_signal(signum, frame):
    _cleanup_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_cleanup_all)
for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_s, _on_signal)


class Lab:
    """One LAN of routers. Use as a context manager, or call close()."""

    def __init__(self, name="lab", prefix=None, tmp=None, cleanup_at_exit=True):
        """prefix/tmp: fixed namespace prefix and directory instead of unique ones;
        cleanup_at_exit=False: the lab outlives this process (atexit and the signal handlers
        leave it alone; integration/seed_demo.py tears it down from its pid files)."""
        self.prefix = prefix or "kb%dx%d" % (os.getpid(), next(_counter))
        if tmp is None:
            tmp = tempfile.mkdtemp(prefix="%s-%s-" % (self.prefix, name))
        else:
            os.makedirs(tmp, exist_ok=True)
        self.tmp = tmp
        self.namespaces = []
        self.daemons = []
        self.closed = False
        if cleanup_at_exit:
            _labs.append(self)
        self.bridge = self._add_ns("br")
        self._ip(self.bridge, "link", "add", "br0", "type", "bridge")
        self._ip(self.bridge, "link", "set", "br0", "up")
        self.hosts = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _ip(self, ns, *args):
        return run(["ip", "-n", ns] + list(args))

    def _add_ns(self, suffix):
        ns = self.prefix + suffix
        run(["ip", "netns", "add", ns])
        self.namespaces.append(ns)
        self._ip(ns, "link", "set", "lo", "up")
        for key in ("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"):
            run(["ip", "netns", "exec", ns, "sysctl", "-qw", key])
        return ns

    def add_router(self, name):
        """A namespace on the LAN; returns a Router with .ns, .v4, .v6."""
        self.hosts += 1
        n = self.hosts
        ns = self._add_ns(name)
        self._ip(self.bridge, "link", "add", "v%d" % n, "type", "veth",
                 "peer", "name", "eth0", "netns", ns)
        self._ip(self.bridge, "link", "set", "v%d" % n, "master", "br0", "up")
        r = Router(self, ns, name, "10.0.0.%d" % n, "2001:db8::%d" % n)
        r.bridge_port = "v%d" % n
        self._ip(ns, "addr", "add", r.v4 + "/24", "dev", "eth0")
        self._ip(ns, "addr", "add", r.v6 + "/64", "dev", "eth0", "nodad")
        self._ip(ns, "link", "set", "eth0", "up")
        return r

    def path(self, *parts):
        p = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def spawn(self, ns, argv, log_path, env=None):
        """Starts argv inside ns in a new process group; output goes to log_path."""
        log = open(log_path, "ab")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        p = subprocess.Popen(["ip", "netns", "exec", ns] + list(argv), stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, env=full_env, cwd=self.tmp)
        log.close()
        return p

    def leftovers(self):
        """Our namespaces still present and processes still running in them ([] when clean)."""
        out = run(["ip", "netns", "list"]).stdout
        mine = [l.split()[0] for l in out.splitlines() if l.startswith(self.prefix)]
        procs = []
        for d in self.daemons:
            if d.proc is not None and d.proc.poll() is None:
                procs.append(d.name)
        return mine + procs

    def close(self):
        if self.closed:
            return
        self.closed = True
        for d in reversed(self.daemons):
            try:
                d.kill()
            except Exception as e:  # keep cleaning
                print("lab: killing %s: %s" % (d.name, e), file=sys.stderr)
        for ns in reversed(self.namespaces):
            # Anything still inside (a daemon's forked child) dies with the namespace.
            pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns], check=False)
        if not KEEP:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _labs:
            _labs.remove(self)


class Router:
    def __init__(self, lab, ns, name, v4, v6):
        self.lab, self.ns, self.name, self.v4, self.v6 = lab, ns, name, v4, v6

    def exec(self, *argv, check=True, timeout=20):
        return run(["ip", "netns", "exec", self.ns] + list(argv), check=check, timeout=timeout)

    def link(self, up):
        run(["ip", "-n", self.ns, "link", "set", "eth0", "up" if up else "down"])

    def cable(self, up):
        """Connects (up) or disconnects this router's cable at the bridge; eth0 stays up, so
        connects wait in neighbour resolution instead of failing."""
        run(["ip", "-n", self.lab.bridge, "link", "set", self.bridge_port,
             "up" if up else "down"])

    def tcp_count(self, state, port=179):
        out = self.exec("ss", "-Htn", "state", state,
                        "( sport = :%d or dport = :%d )" % (port, port)).stdout
        return len([l for l in out.splitlines() if l.strip()])

    def tcp_established(self, port=179):
        """The number of established TCP connections to or from `port` in this namespace."""
        out = self.exec("ss", "-Htn", "state", "established",
                        "( sport = :%d or dport = :%d )" % (port, port)).stdout
        return len([l for l in out.splitlines() if l.strip()])


class Daemon:
    """Base: one process group in a router's namespace."""

    name = "daemon"

    def __init__(self, router, asn):
        self.router = router
        self.lab = router.lab
        self.asn = asn
        self.proc = None
        self.dir = os.path.dirname(self.lab.path(router.name, "x"))  # makes the dir
        self.log = os.path.join(self.dir, "%s.log" % self.name)
        self.lab.daemons.append(self)

    def _spawn(self, argv, env=None):
        self.proc = self.lab.spawn(self.router.ns, argv, self.log, env=env)
        return self.proc

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        os.killpg(self.proc.pid, sig)

    def kill(self, sig=signal.SIGTERM, timeout=5.0):
        """Stops the process group: sig, then SIGKILL after timeout."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # children left in the group
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def exec(self, *argv, check=True, timeout=20):
        return self.router.exec(*argv, check=check, timeout=timeout)

    def write(self, filename, text):
        p = os.path.join(self.dir, filename)
        with open(p, "w") as f:
            f.write(text)
        return p


def _family(prefix):
    return "ipv6" if ":" in prefix else "ipv4"


# --------------------------------------------------------------------------------------------
# kbgpd


class Kbgpd(Daemon):
    """kbgpd with gobgpd's YAML. neighbors: list of dicts with address, asn and optional
    password, passive, hold, keepalive, graceful_restart, families, route_reflector_client,
    cluster_id, route_server_client and `extra` (raw YAML under the neighbor, 4-space indent,
    e.g. apply-policy). global_extra: raw YAML under `global:` (2-space indent, e.g.
    apply-policy); tail: raw top-level YAML (defined-sets, policy-definitions)."""

    name = "kbgpd"
    binary = "kbgpd"

    def __init__(self, router, asn):
        super().__init__(router, asn)
        self.neighbors = []
        self.global_extra = ""
        self.tail = ""

    def neighbor(self, address, asn, password=None, passive=False, hold=9, keepalive=3,
                 graceful_restart=False, restart_time=30, families=None,
                 route_reflector_client=False, cluster_id=None, route_server_client=False,
                 extra=""):
        self.neighbors.append(dict(address=address, asn=asn, password=password,
                                   passive=passive, hold=hold, keepalive=keepalive,
                                   gr=graceful_restart, restart_time=restart_time,
                                   families=families, rr_client=route_reflector_client,
                                   cluster_id=cluster_id, rs_client=route_server_client,
                                   extra=extra))
        return self

    def config(self):
        lines = ["global:", "  config:", "    as: %d" % self.asn,
                 "    router-id: %s" % self.router.v4]
        if self.global_extra:
            lines += self.global_extra.rstrip("\n").split("\n")
        lines.append("neighbors:")
        for n in self.neighbors:
            fam = "ipv6-unicast" if ":" in n["address"] else "ipv4-unicast"
            lines += ["  - config:",
                      "      neighbor-address: %s" % n["address"],
                      "      peer-as: %d" % n["asn"]]
            if n["password"]:
                lines.append("      auth-password: %s" % n["password"])
            if n.get("admin_down"):
                lines.append("      admin-down: true")
            lines += ["    timers:", "      config:",
                      "        hold-time: %d" % n["hold"],
                      "        keepalive-interval: %d" % n["keepalive"],
                      "        connect-retry: 1",
                      "        idle-hold-time-after-reset: 1"]
            if n["passive"]:
                lines += ["    transport:", "      config:", "        passive-mode: true"]
            if n["gr"]:
                lines += ["    graceful-restart:", "      config:", "        enabled: true",
                          "        restart-time: %d" % n["restart_time"]]
            if n.get("rr_client") or n.get("cluster_id"):
                lines += ["    route-reflector:", "      config:",
                          "        route-reflector-client: %s" %
                          ("true" if n.get("rr_client") else "false")]
                if n.get("cluster_id"):
                    lines.append("        route-reflector-cluster-id: %s" % n["cluster_id"])
            if n.get("rs_client"):
                lines += ["    route-server:", "      config:",
                          "        route-server-client: true"]
            if n.get("extra"):
                lines += n["extra"].rstrip("\n").split("\n")
            lines.append("    afi-safis:")
            for f in n["families"] or [fam]:
                lines += ["      - config:", "          afi-safi-name: %s" % f]
                if n["gr"]:
                    lines += ["        mp-graceful-restart:", "          config:",
                              "            enabled: true"]
        if self.tail:
            lines += self.tail.rstrip("\n").split("\n")
        return "\n".join(lines) + "\n"

    def start(self, level="debug"):
        conf = self.write("kbgpd.yaml", self.config())
        self._spawn([self.binary, "-f", conf, "-l", level])
        return self

    def reload(self):
        """Rewrites the config from self.neighbors and sends SIGHUP (applies the difference)."""
        self.write("kbgpd.yaml", self.config())
        self.send_signal(signal.SIGHUP)
        return self

    def events(self, what, peer=None):
        """Log lines of one event ("peer up", "peer down", "notification received", ...)."""
        out = []
        for line in self.read_log().splitlines():
            if (" " + what + " ") in line or line.startswith(what + " ") or \
                    ("msg=\"%s\"" % what) in line or ("\"%s\"" % what) in line:
                if peer is None or ("peer=%s " % peer) in line + " ":
                    out.append(line)
        return out

    def is_up(self, peer):
        ups = len(self.events("peer up", peer))
        downs = len(self.events("peer down", peer))
        return ups > downs


# --------------------------------------------------------------------------------------------
# gobgpd


class Gobgpd(Daemon):
    name = "gobgpd"
    api_port = 50051

    def __init__(self, router, asn):
        super().__init__(router, asn)
        self.neighbors = []

    def neighbor(self, address, asn, password=None, hold=9, keepalive=3,
                 graceful_restart=False, restart_time=30, passive=False, families=None,
                 admin_down=False):
        self.neighbors.append(dict(address=address, asn=asn, password=password, hold=hold,
                                   keepalive=keepalive, gr=graceful_restart,
                                   restart_time=restart_time, passive=passive,
                                   families=families, admin_down=admin_down))
        return self

    def config(self):
        lines = ["global:", "  config:", "    as: %d" % self.asn,
                 "    router-id: %s" % self.router.v4, "neighbors:"]
        for n in self.neighbors:
            fam = "ipv6-unicast" if ":" in n["address"] else "ipv4-unicast"
            lines += ["  - config:", "      neighbor-address: %s" % n["address"],
                      "      peer-as: %d" % n["asn"]]
            if n["password"]:
                lines.append("      auth-password: %s" % n["password"])
            if n.get("admin_down"):
                lines.append("      admin-down: true")
            lines += ["    timers:", "      config:", "        hold-time: %d" % n["hold"],
                      "        keepalive-interval: %d" % n["keepalive"],
                      "        connect-retry: 1"]
            if n["passive"]:
                lines += ["    transport:", "      config:", "        passive-mode: true"]
            if n["gr"]:
                lines += ["    graceful-restart:", "      config:", "        enabled: true",
                          "        restart-time: %d" % n["restart_time"]]
            lines.append("    afi-safis:")
            for f in n["families"] or [fam]:
                lines += ["      - config:", "          afi-safi-name: %s" % f]
                if n["gr"]:
                    lines += ["        mp-graceful-restart:", "          config:",
                              "            enabled: true"]
        return "\n".join(lines) + "\n"

    def start(self, graceful_restart=False):
        conf = self.write("gobgpd.yaml", self.config())
        argv = ["gobgpd", "-f", conf, "-t", "yaml", "--api-hosts",
                "127.0.0.1:%d" % self.api_port, "-l", "info", "--pprof-disable"]
        if graceful_restart:
            argv.append("-r")
        self._spawn(argv)
        wait_for("gobgpd API", lambda: self.cli("global", check=False).returncode == 0, 15)
        return self

    def cli(self, *args, check=True):
        return self.exec("gobgp", "-p", str(self.api_port), *args, check=check)

    def announce(self, prefix, *attrs):
        """attrs: gobgp CLI path attributes, e.g. "aspath", "65001,65002", "med", "10"."""
        self.cli("global", "rib", "add", prefix, *attrs, "-a", _family(prefix))

    def withdraw(self, prefix):
        self.cli("global", "rib", "del", prefix, "-a", _family(prefix))

    def neighbors_json(self):
        return json.loads(self.cli("neighbor", "-j").stdout or "[]")

    def state(self, address):
        for n in self.neighbors_json():
            if n.get("conf", {}).get("neighbor_address") == address:
                return n.get("state", {}).get("session_state")
        return None

    def established(self, address):
        s = self.state(address)
        return s in (6, "ESTABLISHED", "established")

    def routes(self, family="ipv4"):
        data = json.loads(self.cli("global", "rib", "-a", family, "-j").stdout or "{}")
        out = {}
        for prefix, paths in data.items():
            best = [p for p in paths if p.get("best")] or paths
            p = best[0]
            as_path, nh, lp = [], None, None
            for a in p.get("attrs", []):
                t = a.get("type")
                if t == 2:
                    for seg in a.get("as_paths", []):
                        as_path += seg.get("asns", [])
                elif t == 3:
                    nh = a.get("nexthop")
                elif t == 5:
                    lp = a.get("value")
                elif t == 14 and nh is None:
                    nh = a.get("nexthop")
            out[prefix] = Route(as_path, nh, lp)
        return out


# --------------------------------------------------------------------------------------------
# BIRD 2


class Bird(Daemon):
    name = "bird"

    def __init__(self, router, asn):
        super().__init__(router, asn)
        self.neighbors = []
        self.statics = []
        self.sock = os.path.join(self.dir, "bird.ctl")

    def neighbor(self, address, asn, password=None, hold=9, keepalive=3, passive=False):
        self.neighbors.append(dict(address=address, asn=asn, password=password, hold=hold,
                                   keepalive=keepalive, passive=passive))
        return self

    def originate(self, prefix):
        self.statics.append(prefix)
        return self

    @staticmethod
    def proto_name(address):
        return "p_" + re.sub(r"[^0-9a-f]", "_", address)

    def config(self):
        v4 = [p for p in self.statics if ":" not in p]
        v6 = [p for p in self.statics if ":" in p]
        lines = ["router id %s;" % self.router.v4, "protocol device { scan time 1; }",
                 "protocol direct { ipv4; ipv6; interface \"eth0\"; }"]
        lines.append("protocol static s4 { ipv4; %s }" %
                     " ".join("route %s blackhole;" % p for p in v4))
        lines.append("protocol static s6 { ipv6; %s }" %
                     " ".join("route %s blackhole;" % p for p in v6))
        for n in self.neighbors:
            fam = "ipv6" if ":" in n["address"] else "ipv4"
            local = self.router.v6 if fam == "ipv6" else self.router.v4
            body = ["local %s as %d;" % (local, self.asn),
                    "neighbor %s as %d;" % (n["address"], n["asn"]),
                    "hold time %d; keepalive time %d;" % (n["hold"], n["keepalive"]),
                    "connect retry time 1; connect delay time 0; error wait time 1,2;",
                    "strict bind yes;"]
            if n["password"]:
                body.append("password \"%s\";" % n["password"])
            if n["passive"]:
                body.append("passive on;")
            body.append("%s { import all; export where source ~ [RTS_STATIC, RTS_BGP]; };"
                        % fam)
            lines.append("protocol bgp %s {\n  %s\n}" % (self.proto_name(n["address"]),
                                                         "\n  ".join(body)))
        return "\n".join(lines) + "\n"

    def start(self):
        conf = self.write("bird.conf", self.config())
        self._spawn(["bird", "-f", "-c", conf, "-s", self.sock,
                     "-P", os.path.join(self.dir, "bird.pid")])
        wait_for("bird control socket", lambda: self.cli("show", "status", check=False)
                 .returncode == 0, 15)
        return self

    def cli(self, *args, check=True):
        return self.exec("birdc", "-s", self.sock, *args, check=check)

    def state(self, address):
        out = self.cli("show", "protocols", self.proto_name(address)).stdout
        for line in out.splitlines():
            if line.startswith(self.proto_name(address)):
                return line.split()[-1] if line.split()[3] == "up" else " ".join(line.split()[3:])
        return None

    def established(self, address):
        return self.state(address) == "Established"

    def disable(self, address):
        self.cli("disable", self.proto_name(address))

    def routes(self, family="ipv4"):
        out = self.cli("show", "route", "all").stdout
        routes = {}
        prefix = None
        cur = None
        best = False
        for line in out.splitlines():
            m = re.match(r"^(\S+/\d+)\s+\S+\s+\[(\S+)\s", line)
            m2 = re.match(r"^\s{10,}\S+\s+\[(\S+)\s", line)
            if m or m2:
                if m:
                    prefix = m.group(1)
                proto = (m or m2).group(2 if m else 1)
                best = " * " in line
                cur = None
                if proto.startswith("p_") and best and prefix is not None:
                    cur = Route([], None, None)
                    if (":" in prefix) == (family == "ipv6"):
                        routes[prefix] = cur
                continue
            if cur is None:
                continue
            s = line.strip()
            if s.startswith("BGP.as_path:"):
                cur.as_path = [int(x) for x in s.split(":", 1)[1].split() if x.isdigit()]
            elif s.startswith("BGP.next_hop:"):
                cur.next_hop = s.split(":", 1)[1].split()[0]
            elif s.startswith("BGP.local_pref:"):
                cur.local_pref = int(s.split(":", 1)[1])
        return routes


# --------------------------------------------------------------------------------------------
# FRR bgpd (no zebra)


class Frr(Daemon):
    name = "frr"

    def __init__(self, router, asn):
        super().__init__(router, asn)
        self.neighbors = []
        self.statics = []
        self.tail = ""  # raw config after `router bgp` (route-maps, ...)

    def neighbor(self, address, asn, password=None, hold=9, keepalive=3, passive=False,
                 graceful_restart=False, extra=(), af_extra=()):
        """extra: more "neighbor ADDRESS ..." settings, e.g. ["no enforce-first-as"];
        af_extra: the same inside the neighbor's address family, e.g. ["route-map X out"]."""
        self.neighbors.append(dict(address=address, asn=asn, password=password, hold=hold,
                                   keepalive=keepalive, passive=passive, gr=graceful_restart,
                                   extra=list(extra), af_extra=list(af_extra)))
        return self

    def originate(self, prefix):
        self.statics.append(prefix)
        return self

    def config(self):
        lines = ["hostname %s" % self.router.name, "router bgp %d" % self.asn,
                 " bgp router-id %s" % self.router.v4, " no bgp ebgp-requires-policy",
                 " no bgp network import-check", " no bgp default ipv4-unicast"]
        for n in self.neighbors:
            lines += [" neighbor %s remote-as %d" % (n["address"], n["asn"]),
                      " neighbor %s timers %d %d" % (n["address"], n["keepalive"], n["hold"]),
                      " neighbor %s timers connect 1" % n["address"]]
            if n["password"]:
                lines.append(" neighbor %s password %s" % (n["address"], n["password"]))
            if n["passive"]:
                lines.append(" neighbor %s passive" % n["address"])
            if n["gr"]:
                lines.append(" neighbor %s graceful-restart" % n["address"])
            for x in n.get("extra", ()):
                if x.startswith("no "):
                    lines.append(" no neighbor %s %s" % (n["address"], x[3:]))
                else:
                    lines.append(" neighbor %s %s" % (n["address"], x))
        for fam in ("ipv4", "ipv6"):
            lines.append(" address-family %s unicast" % fam)
            for p in self.statics:
                if (":" in p) == (fam == "ipv6"):
                    lines.append("  network %s" % p)
            for n in self.neighbors:
                if (":" in n["address"]) == (fam == "ipv6"):
                    lines.append("  neighbor %s activate" % n["address"])
                    for x in n.get("af_extra", ()):
                        lines.append("  neighbor %s %s" % (n["address"], x))
            lines.append(" exit-address-family")
        if self.tail:
            lines.append(self.tail.rstrip("\n"))
        return "\n".join(lines) + "\n"

    def start(self):
        conf = self.write("bgpd.conf", self.config())
        self.vty = os.path.join(self.dir, "vty")
        os.makedirs(self.vty, exist_ok=True)
        os.chown(self.vty, *_frr_ids())
        os.chmod(self.vty, 0o777)
        self._spawn(["/usr/lib/frr/bgpd", "-Z", "-n", "-S", "-f", conf,
                     "-i", os.path.join(self.dir, "bgpd.pid"), "--vty_socket", self.vty,
                     "-P", "0"])
        wait_for("frr vty", lambda: self.cli("show bgp summary json", check=False)
                 .returncode == 0, 20)
        return self

    def cli(self, command, check=True):
        return self.exec("vtysh", "--vty_socket", self.vty, "-c", command, check=check)

    def state(self, address):
        data = json.loads(self.cli("show bgp neighbors %s json" % address).stdout or "{}")
        return data.get(address, {}).get("bgpState")

    def established(self, address):
        return self.state(address) == "Established"

    def routes(self, family="ipv4"):
        data = json.loads(self.cli("show bgp %s unicast json" % family).stdout or "{}")
        out = {}
        for prefix, paths in data.get("routes", {}).items():
            best = [p for p in paths if p.get("bestpath")] or paths
            p = best[0]
            nhs = p.get("nexthops", [])
            nh = nhs[0].get("ip") if nhs else None
            out[prefix] = Route([int(x) for x in p.get("path", "").split() if x.isdigit()], nh,
                                p.get("locPrf"))
        return out


def _frr_ids():
    import pwd
    try:
        pw = pwd.getpwnam("frr")
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        return 0, 0


# --------------------------------------------------------------------------------------------
# OpenBGPD


class OpenBgpd(Daemon):
    name = "openbgpd"

    def __init__(self, router, asn):
        super().__init__(router, asn)
        self.neighbors = []
        self.statics = []
        self.sock = os.path.join(self.dir, "bgpd.sock")

    def neighbor(self, address, asn, password=None, hold=9, passive=False):
        self.neighbors.append(dict(address=address, asn=asn, password=password, hold=hold,
                                   passive=passive))
        return self

    def originate(self, prefix):
        self.statics.append(prefix)
        return self

    def config(self):
        lines = ["AS %d" % self.asn, "router-id %s" % self.router.v4, "fib-update no",
                 "socket \"%s\"" % self.sock,
                 "listen on %s" % self.router.v4, "listen on %s" % self.router.v6]
        for p in self.statics:
            lines.append("network %s" % p)
        for n in self.neighbors:
            body = ["remote-as %d" % n["asn"], "holdtime %d" % n["hold"]]
            if ":" in n["address"]:
                body.append("local-address %s" % self.router.v6)
            else:
                body.append("local-address %s" % self.router.v4)
            if n["password"]:
                body.append("tcp md5sig password %s" % n["password"])
            if n["passive"]:
                body.append("passive")
            lines.append("neighbor %s {\n  %s\n}" % (n["address"], "\n  ".join(body)))
        lines += ["allow from any", "allow to any"]
        return "\n".join(lines) + "\n"

    def start(self):
        os.makedirs("/run/openbgpd", exist_ok=True)
        conf = self.write("bgpd.conf", self.config())
        os.chmod(conf, 0o600)
        self._spawn(["bgpd", "-d", "-f", conf])
        wait_for("openbgpd control socket",
                 lambda: self.cli("show", check=False).returncode == 0, 20)
        return self

    def cli(self, *args, check=True):
        return self.exec("bgpctl", "-s", self.sock, *args, check=check)

    def state(self, address):
        data = json.loads(self.cli("-j", "show", "neighbor", address).stdout or "{}")
        for n in data.get("neighbors", []):
            if n.get("remote_addr") == address:
                return n.get("state")
        return None

    def established(self, address):
        return (self.state(address) or "").lower() == "established"

    def routes(self, family="ipv4"):
        data = json.loads(self.cli("-j", "show", "rib", "inet6" if family == "ipv6"
                                   else "inet").stdout or "{}")
        out = {}
        for r in data.get("rib", []):
            if not r.get("best", False) and r.get("prefix") in out:
                continue
            nh = r.get("exit_nexthop")
            as_path = [int(x) for x in str(r.get("aspath", "")).split() if x.isdigit()]
            out[r["prefix"]] = Route(as_path, nh, r.get("localpref"))
        return out


# --------------------------------------------------------------------------------------------
# ExaBGP


_EXABGP_RECEIVER = r"""
import sys
out = open(sys.argv[1], "a", buffering=1)
for line in sys.stdin:
    out.write(line)
"""


class ExaBgp(Daemon):
    """ExaBGP announcing static routes; a process logs what it receives (JSON) to rx.log."""

    name = "exabgp"

    def __init__(self, router, asn):
        super().__init__(router, asn)
        self.neighbors = []
        self.statics = []
        self.route_attrs = {}  # prefix -> extra ExaBGP route attributes ("med 10 origin egp")
        self.rx_log = os.path.join(self.dir, "rx.log")

    def neighbor(self, address, asn, hold=9):
        self.neighbors.append(dict(address=address, asn=asn, hold=hold))
        return self

    def originate(self, prefix, attrs=""):
        """attrs: ExaBGP static route attributes, e.g. "cluster-list [ 1.2.3.4 ]"."""
        self.statics.append(prefix)
        if attrs:
            self.route_attrs[prefix] = attrs
        return self

    def config(self):
        rx = self.write("receiver.py", _EXABGP_RECEIVER)
        lines = ["process receiver {", "  run %s %s %s;" % (sys.executable, rx, self.rx_log),
                 "  encoder json;", "}"]
        for n in self.neighbors:
            v6 = ":" in n["address"]
            local = self.router.v6 if v6 else self.router.v4
            routes = ["    route %s next-hop %s%s;" % (
                          p, local, (" " + self.route_attrs[p]) if p in self.route_attrs
                          else "") for p in self.statics if (":" in p) == v6]
            lines += ["neighbor %s {" % n["address"],
                      "  router-id %s;" % self.router.v4,
                      "  local-address %s;" % local,
                      "  local-as %d;" % self.asn, "  peer-as %d;" % n["asn"],
                      "  hold-time %d;" % n["hold"],
                      "  family { %s unicast; }" % ("ipv6" if v6 else "ipv4"),
                      "  api { processes [ receiver ]; neighbor-changes; "
                      "receive { parsed; update; } }",
                      "  static {"] + routes + ["  }", "}"]
        return "\n".join(lines) + "\n"

    def start(self):
        conf = self.write("exabgp.conf", self.config())
        env = {"exabgp.daemon.user": "root", "exabgp.daemon.drop": "false",
               "exabgp.tcp.port": "179", "exabgp.log.destination": "stdout",
               "exabgp.api.cli": "false", "exabgp.daemon.daemonize": "false",
               "exabgp.tcp.bind": "%s %s" % (self.router.v4, self.router.v6),
               "exabgp.tcp.delay": "0"}
        self._spawn(["exabgp", conf], env=env)
        return self

    def _messages(self):
        try:
            with open(self.rx_log) as f:
                lines = f.readlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def established(self, address):
        up = False
        for m in self._messages():
            if m.get("type") == "state":
                peer = m.get("neighbor", {}).get("address", {}).get("peer")
                if peer == address:
                    up = m.get("neighbor", {}).get("state") == "up"
        return up

    def routes(self, family="ipv4"):
        rib = {}
        key = "%s unicast" % family
        for m in self._messages():
            if m.get("type") == "state" and m.get("neighbor", {}).get("state") == "down":
                peer = m["neighbor"].get("address", {}).get("peer")
                rib = {p: r for p, r in rib.items() if r[1] != peer}
                continue
            if m.get("type") != "update":
                continue
            nb = m.get("neighbor", {})
            peer = nb.get("address", {}).get("peer")
            upd = nb.get("message", {}).get("update", {})
            attr = upd.get("attribute", {})
            for nh, nlris in upd.get("announce", {}).get(key, {}).items():
                for n in nlris:
                    rib[n["nlri"]] = (Route(attr.get("as-path", []), nh,
                                            attr.get("local-preference")), peer)
            for n in upd.get("withdraw", {}).get(key, []):
                rib.pop(n["nlri"], None)
        return {p: r for p, (r, _) in rib.items()}
