#!/usr/bin/env python3
"""The seed story's lab for people, in network namespaces that outlive the command (needs root;
Python 3 standard library + PyYAML). docs/walkthrough.md walks through it.

    seed_demo.py up [--router frr|bird] [--nodes N] [--as2-nodes M]
    seed_demo.py status | down
    seed_demo.py exec NAME CMD...         run CMD in a lab namespace (rtr1, node-1, client1...)
    seed_demo.py get nodes                the Nodes with their kube-router.io annotations
    seed_demo.py annotate NODE KEY=VALUE|KEY- ...   as kubectl annotate
    seed_demo.py apply FILE               as kubectl apply -f (Nodes, Services, EndpointSlices)
    seed_demo.py delete KIND NAME         as kubectl delete (service, endpointslice; -n NS)
    seed_demo.py curl CLIENT URL [-n N]   N HTTP requests, each on a new connection
    seed_demo.py kill-node NODE [--stop-kbgpd] | revive-node NODE

The lab (integration/seed_net.py builds it; addresses in order of creation):

    client1 --- rtr1 (AS 65000) ---+--- LAN 10.0.0.0/24 ---+ node-1 .. node-N   (AS 64512)
    172.16.1.2  10.0.0.1           |                       |
    client2 --- rtr2 (AS 65001) ---+                       + node-N+1 .. (AS 64513)
    172.16.2.2  10.0.0.2

Namespaces: kbgp-demo-br (the LAN's bridge), kbgp-demo-rtr1, kbgp-demo-rtr2, kbgp-demo-node1..,
kbgp-demo-cl1, kbgp-demo-cl2. The routers are FRR (zebra + bgpd, maximum-paths) or BIRD (merge
paths) and install their BGP routes, ECMP included, into their namespace's kernel (L4 hashing).
Each node runs kbgpd (no config file, API on a unix socket) in its namespace, a web responder
that answers with the node's name on port 80 of every address (the pod IP 10.244.K.10 and the
Service IPs on its lo stand in for pods and kube-proxy), and, in the host namespace, kbgp-sync
for that node (--hostname-override node-K, --api unix://SOCK) watching the fake Kubernetes API
server (integration/fake_kube/, HTTPS on 127.0.0.1, a random port). Nodes carry
kube-router.io/node.asn and peer.ips/peer.asns annotations; kbgp-sync runs with
--nodes-full-mesh=false --enable-ibgp=false, so each node peers with its AS's router only.
Sessions use hold time 3 s (the routers' setting).

Everything else lives in the state dir (--state-dir, $KBGP_DEMO_DIR, default /run/kbgp-demo):
state.json, a pid file and a log per process (fake-kube.pid, node1/kbgpd.pid,
node1/kbgp-sync.log, node1/web.pid, rtr1/frr.log...),
the router configs and the fake API server's kube/kubeconfig, kube/token, kube/ca.crt.
`down` stops what state.json names, any leftover process of a crashed `up` (fake API server and
kbgp-sync by their state-dir arguments, everything inside the namespaces), deletes every
kbgp-demo-* namespace and the state dir; it is idempotent.

Binaries: --kbgpd/--kbgp-sync/--kbgp flags of `up`, else $KBGP_DEMO_KBGPD, $KBGP_DEMO_KBGP_SYNC,
$KBGP_DEMO_KBGP, else daemon/kbgpd, sidecar/kbgp-sync, cli/kbgp under $KBGP_BUILD_DIR (default
build/gcc of this repository).
"""

import argparse
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import lab as labmod  # noqa: E402
import seed_net  # noqa: E402

NS_PREFIX = "kbgp-demo-"
DEFAULT_STATE = "/run/kbgp-demo"
NODE_ASNS = (64512, 64513)
ROUTER_ASNS = (65000, 65001)
HOLD = 3
FAKE_KUBE = os.path.join(HERE, "fake_kube", "fake_kube.py")
WEB = os.path.join(HERE, "seed_web.py")


class DemoError(Exception):
    pass


# --------------------------------------------------------------------------------------------
# state


def state_dir(args):
    return os.path.abspath(args.state_dir or os.environ.get("KBGP_DEMO_DIR") or DEFAULT_STATE)


def load_state(sdir, required=True):
    try:
        with open(os.path.join(sdir, "state.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        if required:
            raise DemoError("the demo is not up (no %s/state.json): run `%s up` first"
                            % (sdir, sys.argv[0]))
        return None
    except ValueError as e:
        raise DemoError("%s/state.json is damaged (%s): run `%s down`" % (sdir, e, sys.argv[0]))


def save_state(st):
    path = os.path.join(st["dir"], "state.json")
    with open(path + ".tmp", "w") as f:
        json.dump(st, f, indent=1)
    os.replace(path + ".tmp", path)


def record(st, name, pid, argv, ns=None, log=None):
    """Remembers a detached process: its pid file, argv (to check before a kill) and log."""
    path = os.path.join(st["dir"], name + ".pid")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("%d\n" % pid)
    st["procs"][name] = {"pid": pid, "argv": list(argv), "ns": ns, "log": log}
    save_state(st)


def spawn(st, name, argv, ns=None, log=None):
    """Starts argv detached (own session, output to a log), inside ns when given."""
    log = log or os.path.join(st["dir"], name + ".log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    full = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
    with open(log, "ab") as out:
        p = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True, cwd=st["dir"])
    record(st, name, p.pid, argv, ns, log)
    return p


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def alive(proc):
    """True when the recorded pid still runs the recorded program (not a reused pid)."""
    cmd = _cmdline(proc["pid"])
    if not cmd:
        return False
    try:
        with open("/proc/%d/stat" % proc["pid"]) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except (FileNotFoundError, IndexError):
        return False
    return os.path.basename(cmd[0]) == os.path.basename(proc["argv"][0])


def stop(procs, timeout=5.0):
    """SIGTERM to each live process group, SIGKILL to what is left after timeout."""
    live = [p for p in procs if alive(p)]
    for p in live:
        try:
            os.killpg(p["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in live):
        time.sleep(0.1)
    for p in live:
        if alive(p):
            try:
                os.killpg(p["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
    return len(live)


# --------------------------------------------------------------------------------------------
# the lab's names


def node_ref(st, name):
    for n in st["nodes"]:
        if name in (n["name"], n["lab"]):
            return n
    raise DemoError("no node %r (nodes: %s)" % (name, ", ".join(n["name"] for n in st["nodes"])))


def resolve(st, name):
    """(kind, entry) for a lab name: rtr1, node-1 (or node1), client1 (or cl1)."""
    for r in st["routers"]:
        if name == r["name"]:
            return "router", r
    for c in st["clients"]:
        if name in (c["name"], c["ns"][len(NS_PREFIX):]):
            return "client", c
    for n in st["nodes"]:
        if name in (n["name"], n["lab"]):
            return "node", n
    names = [r["name"] for r in st["routers"]] + [n["name"] for n in st["nodes"]] + \
        [c["name"] for c in st["clients"]]
    raise DemoError("no %r in the lab (names: %s)" % (name, ", ".join(names)))


def router_cli(st, r, *args):
    if st["router"] == "frr":
        argv = ["vtysh", "--vty_socket", r["vty"], "-c", " ".join(args)]
    else:
        argv = ["birdc", "-s", r["sock"]] + list(args)
    return labmod.run(["ip", "netns", "exec", r["ns"]] + argv, check=False)


def established(st, r):
    """The set of neighbor addresses with an Established session on router r."""
    if st["router"] == "frr":
        out = router_cli(st, r, "show bgp summary json").stdout
        try:
            peers = json.loads(out or "{}").get("ipv4Unicast", {}).get("peers", {})
        except ValueError:
            return set()
        return {a for a, p in peers.items() if p.get("state") == "Established"}
    out = router_cli(st, r, "show", "protocols").stdout
    up = set()
    for addr, _ in r["neighbors"]:
        name = seed_net.BirdKernel.proto_name(addr)
        if any(l.split()[:1] == [name] and "Established" in l for l in out.splitlines()):
            up.add(addr)
    return up


def kernel_nexthops(ns, prefix):
    out = labmod.run(["ip", "-n", ns, "-4", "route", "show", "exact", prefix],
                     check=False).stdout
    return set(re.findall(r"via (\S+)", out))


def wait(what, fn, timeout):
    t0 = time.monotonic()
    try:
        labmod.wait_for(what, fn, timeout, interval=0.1)
    except AssertionError as e:
        raise DemoError(str(e))
    return time.monotonic() - t0


# --------------------------------------------------------------------------------------------
# the fake Kubernetes API server


def kube(st, method, path, body=None):
    """One request to the fake API server; returns the decoded JSON, None for 404."""
    kdir = st["kube"]
    with open(os.path.join(kdir, "token")) as f:
        token = f.read().strip()
    with open(os.path.join(kdir, "port")) as f:
        port = int(f.read())
    ctx = ssl.create_default_context(cafile=os.path.join(kdir, "ca.crt"))
    req = urllib.request.Request("https://127.0.0.1:%d%s" % (port, path), data=body,
                                 method=method, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        if e.code == 404 and method == "GET":
            return None
        try:
            msg = json.load(e).get("message", "")
        except ValueError:
            msg = ""
        raise DemoError("fake API server: %s %s: HTTP %d %s" % (method, path, e.code, msg))
    except (urllib.error.URLError, OSError) as e:
        raise DemoError("fake API server unreachable: %s" % e)


KINDS = {  # kind: (kubectl's resource name, API path of an object)
    "Node": ("node", "/api/v1/nodes/{name}"),
    "Service": ("service", "/api/v1/namespaces/{ns}/services/{name}"),
    "EndpointSlice": ("endpointslice.discovery.k8s.io",
                      "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices/{name}"),
}


def object_path(kind, name, ns="default"):
    return KINDS[kind][1].format(ns=ns or "default", name=name)


def node_object(n, annotations):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": n["name"], "annotations": annotations,
                         "labels": {"kubernetes.io/hostname": n["name"]}},
            "spec": {"podCIDR": n["pod_cidr"], "podCIDRs": [n["pod_cidr"]]},
            "status": {"addresses": [{"type": "InternalIP", "address": n["v4"]},
                                     {"type": "Hostname", "address": n["name"]}],
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def service_ips(obj):
    """The addresses a kube-proxy would answer on for a Service object."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ips = list(spec.get("externalIPs") or [])
    for ing in (status.get("loadBalancer") or {}).get("ingress") or []:
        if ing.get("ip"):
            ips.append(ing["ip"])
    return ips


def bind_on_nodes(st, ips):
    for ip in ips:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            continue
        for n in st["nodes"]:
            labmod.run(["ip", "-n", n["ns"], "addr", "replace",
                        "%s/%d" % (addr, addr.max_prefixlen), "dev", "lo"])


# --------------------------------------------------------------------------------------------
# up


def binaries(args):
    build = os.environ.get("KBGP_BUILD_DIR") or os.path.join(REPO, "build", "gcc")
    out = {}
    for key, flag, env, rel in (("kbgpd", args.kbgpd, "KBGP_DEMO_KBGPD", "daemon/kbgpd"),
                                ("kbgp-sync", args.kbgp_sync, "KBGP_DEMO_KBGP_SYNC",
                                 "sidecar/kbgp-sync"),
                                ("kbgp", args.kbgp, "KBGP_DEMO_KBGP", "cli/kbgp")):
        path = os.path.abspath(flag or os.environ.get(env) or os.path.join(build, rel))
        if not os.access(path, os.X_OK) and key == "kbgp" and not flag:
            path = None  # only `exec NODE kbgp ...` needs it; it says so
        elif not os.access(path, os.X_OK):
            raise DemoError("%s not found at %s (build it, or give --%s PATH or $%s)"
                            % (key, path, key, env))
        out[key] = path
    return out


def leftovers(sdir):
    out = labmod.run(["ip", "netns", "list"], check=False).stdout
    found = [l.split()[0] for l in out.splitlines() if l.startswith(NS_PREFIX)]
    if os.path.exists(sdir):
        found.append(sdir)
    return found


def cmd_up(args):
    sdir = state_dir(args)
    if os.path.exists(os.path.join(sdir, "state.json")):
        raise DemoError("the demo is already up (%s/state.json); `%s down` first"
                        % (sdir, sys.argv[0]))
    left = leftovers(sdir)
    if left:
        raise DemoError("leftovers of an earlier run (%s): run `%s down` first"
                        % (", ".join(left), sys.argv[0]))
    tools = ["ip", "vtysh", "/usr/lib/frr/zebra", "/usr/lib/frr/bgpd"] \
        if args.router == "frr" else ["ip", "bird", "birdc"]
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise DemoError("not installed: %s (see scripts/deps.sh)" % ", ".join(missing))
    if args.nodes < 1 or args.as2_nodes < 0 or args.nodes + args.as2_nodes > 50:
        raise DemoError("--nodes must be >= 1, --as2-nodes >= 0, together at most 50")
    bins = binaries(args)
    os.makedirs(sdir)
    st = {"dir": sdir, "router": args.router, "bins": bins, "procs": {}, "nodes": [],
          "routers": [], "clients": [], "kube": os.path.join(sdir, "kube")}
    save_state(st)
    try:
        _build(st, args)
    except BaseException as e:
        if isinstance(e, DemoError):
            print("seed_demo: up failed: %s" % e, file=sys.stderr)
        else:
            print("seed_demo: up failed: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        for name, p in st["procs"].items():
            if p.get("log") and not alive(p):
                try:
                    with open(p["log"], errors="replace") as f:
                        tail = f.read()[-1500:]
                except FileNotFoundError:
                    tail = ""
                if tail:
                    print("----- %s (exited)\n%s" % (name, tail), file=sys.stderr)
        print("seed_demo: cleaning up", file=sys.stderr)
        teardown(sdir)
        return 1
    print_summary(st)
    return 0


def _build(st, args):
    sdir = st["dir"]
    total = args.nodes + args.as2_nodes
    routers = 2 if args.as2_nodes else 1
    lab = labmod.Lab("demo", prefix=NS_PREFIX, tmp=sdir, cleanup_at_exit=False)
    net = seed_net.SeedNet(args.router, nodes=total, routers=routers, router_asns=ROUTER_ASNS,
                           lab=lab)
    st["bridge"] = lab.bridge
    for i, n in enumerate(net.nodes):
        group = 0 if i < args.nodes else 1
        st["nodes"].append({"name": n.node_name, "lab": n.name, "ns": n.ns, "v4": n.v4,
                            "asn": NODE_ASNS[group], "router": group,
                            "pod_cidr": n.pod_cidr, "pod_ip": n.pod_ip,
                            "port": n.bridge_port,
                            "sock": os.path.join(sdir, n.name, "api.sock")})
        record(st, "%s/web" % n.name, n.responder.pid,
               [sys.executable, seed_net._WEB, "serve", n.node_name], n.ns,
               lab.path(n.name, "responder.log"))
    for c in net.clients:
        st["clients"].append({"name": c.name, "ns": c.ns, "v4": c.v4})
    save_state(st)

    # The fake Kubernetes API server with the Nodes (no Services yet).
    kdir = st["kube"]
    os.makedirs(kdir, exist_ok=True)
    nodes_yaml = os.path.join(sdir, "nodes.json")
    items = []
    for n in st["nodes"]:
        rtr = net.routers[n["router"]]
        items.append(node_object(n, {"kube-router.io/node.asn": str(n["asn"]),
                                     "kube-router.io/peer.ips": rtr.v4,
                                     "kube-router.io/peer.asns": str(rtr.asn)}))
    with open(nodes_yaml, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f, indent=1)
    spawn(st, "fake-kube", [sys.executable, FAKE_KUBE, "--listen", "127.0.0.1:0",
                            "--state-dir", kdir, "--port-file", os.path.join(kdir, "port"),
                            "--scenario", nodes_yaml])
    wait("the fake API server's port file",
         lambda: os.path.exists(os.path.join(kdir, "port")) or
         (not alive(st["procs"]["fake-kube"]) and _raise("fake API server exited")), 30)

    # Routers.
    for i, r in enumerate(net.routers):
        neighbors = [(n["v4"], n["asn"]) for n in st["nodes"] if n["router"] == i]
        d = net.start_router(i, neighbors)
        entry = {"name": r.name, "ns": r.ns, "v4": r.v4, "asn": r.asn,
                 "client": net.clients[i].name, "neighbors": neighbors}
        if args.router == "frr":
            entry["vty"] = d.vty
            record(st, "%s/zebra" % r.name, d.zebra.pid, d.zebra.args[4:], r.ns,
                   os.path.join(d.dir, "zebra.log"))
        else:
            entry["sock"] = d.sock
        record(st, "%s/%s" % (r.name, "bgpd" if args.router == "frr" else "bird"), d.proc.pid,
               d.proc.args[4:], r.ns, d.log)
        st["routers"].append(entry)
    save_state(st)

    # kbgpd in each node's namespace, kbgp-sync beside it in the host namespace.
    for n in st["nodes"]:
        start_kbgpd(st, n)
        spawn(st, "%s/kbgp-sync" % n["lab"], [
            st["bins"]["kbgp-sync"], "--kubeconfig", os.path.join(kdir, "kubeconfig"),
            "--hostname-override", n["name"], "--nodes-full-mesh=false", "--enable-ibgp=false",
            "--advertise-pod-cidr=true", "--advertise-loadbalancer-ip=true",
            "--api", "unix://" + n["sock"], "--metrics-address", "none",
            "--log-level", "info"])

    def converged():
        for name, p in st["procs"].items():
            if not alive(p):
                raise DemoError("%s exited (log: %s)" % (name, p["log"]))
        for n in st["nodes"]:
            r = st["routers"][n["router"]]
            if n["v4"] not in established(st, r) or \
                    kernel_nexthops(r["ns"], n["pod_cidr"]) != {n["v4"]}:
                return False
        return True
    wait("every node's session and pod CIDR route on its router", converged, 60)


def _raise(msg):
    raise DemoError(msg)


def start_kbgpd(st, n):
    if os.path.exists(n["sock"]):
        os.unlink(n["sock"])
    spawn(st, "%s/kbgpd" % n["lab"],
          [st["bins"]["kbgpd"], "--api-hosts", "unix://" + n["sock"], "-l", "info"],
          n["ns"], os.path.join(st["dir"], n["lab"], "kbgpd.log"))
    wait("kbgpd's API socket on %s" % n["name"], lambda: os.path.exists(n["sock"]), 15)


def print_summary(st):
    kind = "FRR" if st["router"] == "frr" else "BIRD"
    print("kbgp demo up: %d %s router%s, %d nodes (state in %s)"
          % (len(st["routers"]), kind, "s" if len(st["routers"]) > 1 else "", len(st["nodes"]),
             st["dir"]))
    for i, r in enumerate(st["routers"]):
        peers = [n["name"] for n in st["nodes"] if n["router"] == i]
        c = st["clients"][i]
        print("  %-7s AS %d  %-9s  peers %s; %s (%s) behind it"
              % (r["name"], r["asn"], r["v4"], " ".join(peers), c["name"], c["v4"]))
    for n in st["nodes"]:
        print("  %-7s AS %d  %-9s  pod CIDR %s, kbgpd API unix://%s"
              % (n["name"], n["asn"], n["v4"], n["pod_cidr"], n["sock"]))
    print("  every node's BGP session is up and its pod CIDR routed by its router")


# --------------------------------------------------------------------------------------------
# down


def teardown(sdir):
    """Stops everything of the demo at sdir and deletes its namespaces and sdir; returns
    (processes stopped, namespaces deleted)."""
    st = load_state(sdir, required=False) if os.path.isdir(sdir) else None
    stopped = 0
    if st:
        procs = list(st.get("procs", {}).values())
        # kbgp-sync first (it would restart nothing, but it logs errors), then the rest.
        stopped += stop([p for p in procs if not p.get("ns")])
        stopped += stop([p for p in procs if p.get("ns")])
    # A crashed `up` may have left host processes unrecorded: find them by their arguments.
    kdir = os.path.join(sdir, "kube")
    marks = {os.path.join(kdir, "kubeconfig"), kdir}
    strays = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        cmd = _cmdline(int(pid))
        if not cmd or len(cmd) < 2:
            continue
        for flag, val in zip(cmd, cmd[1:]):
            if flag in ("--kubeconfig", "--state-dir") and os.path.abspath(val) in marks:
                strays.append({"pid": int(pid), "argv": cmd})
                break
    stopped += stop(strays)
    deleted = 0
    out = labmod.run(["ip", "netns", "list"], check=False).stdout
    for ns in [l.split()[0] for l in out.splitlines() if l.startswith(NS_PREFIX)]:
        pids = labmod.run(["ip", "netns", "pids", ns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
                stopped += 1
            except (ProcessLookupError, ValueError):
                pass
        if labmod.run(["ip", "netns", "del", ns], check=False).returncode == 0:
            deleted += 1
    shutil.rmtree(sdir, ignore_errors=True)
    return stopped, deleted


def cmd_down(args):
    stopped, deleted = teardown(state_dir(args))
    if stopped or deleted:
        print("kbgp demo down: %d processes stopped, %d namespaces deleted" % (stopped, deleted))
    else:
        print("kbgp demo down: nothing was running")
    return 0


# --------------------------------------------------------------------------------------------
# status, exec, get


def cmd_status(args):
    st = load_state(state_dir(args))
    print("kbgp demo: %d %s router(s), %d nodes, state in %s"
          % (len(st["routers"]), st["router"].upper(), len(st["nodes"]), st["dir"]))
    def order(name):  # the API server, the routers, then node by node
        m = re.match(r"(rtr|node)(\d+)/(.*)", name)
        if not m:
            return (0, 0, 0, name)
        rank = ["zebra", "bgpd", "bird", "kbgpd", "kbgp-sync", "web"]
        return (1 if m.group(1) == "rtr" else 2, int(m.group(2)),
                rank.index(m.group(3)) if m.group(3) in rank else 99, name)
    for name in sorted(st["procs"], key=order):
        p = st["procs"][name]
        up = alive(p)
        print("  %-24s %-20s %s" % (name, p["ns"] or "(host)", "running" if up else "STOPPED"))
    for i, r in enumerate(st["routers"]):
        est = established(st, r)
        peers = [n for n in st["nodes"] if n["router"] == i]
        down = [n["name"] for n in peers if n["v4"] not in est]
        print("  %s: %d of %d BGP sessions established%s"
              % (r["name"], len(peers) - len(down), len(peers),
                 (" (not: %s)" % ", ".join(down)) if down else ""))
    return 0


def exec_argv(st, name, argv):
    kind, e = resolve(st, name)
    argv = list(argv)
    if not argv:
        raise DemoError("exec: no command")
    if kind == "router" and argv[0] == "vtysh":
        if st["router"] != "frr":
            raise DemoError("%s runs BIRD: use birdc" % name)
        argv[1:1] = ["--vty_socket", e["vty"]]
    elif kind == "router" and argv[0] == "birdc":
        if st["router"] != "bird":
            raise DemoError("%s runs FRR: use vtysh" % name)
        argv[1:1] = ["-s", e["sock"]]
    elif kind == "node" and argv[0] in ("kbgp", "gobgp"):
        if argv[0] == "kbgp":
            if not st["bins"].get("kbgp"):
                raise DemoError("kbgp (the CLI) was not found when the demo came up: build it "
                                "(ninja -C build/gcc kbgp), or use gobgp")
            argv[0] = st["bins"]["kbgp"]
        argv[1:1] = ["--target", "unix://" + e["sock"]]
    return ["ip", "netns", "exec", e["ns"]] + argv


def cmd_exec(args):
    st = load_state(state_dir(args))
    argv = exec_argv(st, args.name, args.command)
    sys.stdout.flush()
    os.execvp(argv[0], argv)


def cmd_get(args):
    st = load_state(state_dir(args))
    if args.what not in ("nodes", "node"):
        raise DemoError("get: only `nodes`")
    data = kube(st, "GET", "/api/v1/nodes")
    rows = [("NAME", "INTERNAL-IP", "POD-CIDR", "ANNOTATIONS")]
    for item in data.get("items", []):
        md = item.get("metadata", {})
        ip = next((a["address"] for a in item.get("status", {}).get("addresses", [])
                   if a.get("type") == "InternalIP"), "")
        ann = sorted("%s=%s" % (k[len("kube-router.io/"):], v)
                     for k, v in (md.get("annotations") or {}).items()
                     if k.startswith("kube-router.io/"))
        rows.append((md.get("name", ""), ip, item.get("spec", {}).get("podCIDR", ""),
                     " ".join(ann)))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
    return 0


# --------------------------------------------------------------------------------------------
# annotate, apply, delete


def cmd_annotate(args):
    st = load_state(state_dir(args))
    n = node_ref(st, args.node)
    obj = kube(st, "GET", object_path("Node", n["name"]))
    if obj is None:
        raise DemoError("node %s not found in the API server" % n["name"])
    ann = dict(obj.get("metadata", {}).get("annotations") or {})
    for change in args.changes:
        if change.endswith("-") and "=" not in change:
            ann.pop(change[:-1], None)
        elif "=" in change and change.split("=", 1)[0]:
            k, v = change.split("=", 1)
            ann[k] = v
        else:
            raise DemoError("annotate: %r is neither KEY=VALUE nor KEY-" % change)
    obj["metadata"]["annotations"] = ann
    kube(st, "POST", "/_fake/apply", json.dumps(obj).encode())
    print("node/%s annotated" % n["name"])
    return 0


def cmd_apply(args):
    import yaml
    st = load_state(state_dir(args))
    try:
        with open(args.file, "rb") as f:
            body = f.read()
        docs = [d for d in yaml.safe_load_all(body) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        raise DemoError("apply: %s: %s" % (args.file, e))
    objs = []
    for d in docs:
        objs += d.get("items", []) if str(d.get("kind", "")).endswith("List") else [d]
    before = []
    for o in objs:
        kind = o.get("kind") if isinstance(o, dict) else None
        if kind not in KINDS or not o.get("metadata", {}).get("name"):
            raise DemoError("apply: only Nodes, Services and EndpointSlices with a name "
                            "(got %s)" % (kind or o))
        md = o["metadata"]
        old = kube(st, "GET", object_path(kind, md["name"], md.get("namespace")))
        before.append(old and old["metadata"].get("resourceVersion"))
    res = kube(st, "POST", "/_fake/apply", body)
    for o, old_rv, new in zip(objs, before, res.get("items", [])):
        if o["kind"] == "Service":
            bind_on_nodes(st, service_ips(o))
        verb = "created" if old_rv is None else (
            "unchanged" if new["metadata"].get("resourceVersion") == old_rv else "configured")
        print("%s/%s %s" % (KINDS[o["kind"]][0], o["metadata"]["name"], verb))
    return 0


def cmd_delete(args):
    st = load_state(state_dir(args))
    kinds = {"service": "Service", "svc": "Service", "endpointslice": "EndpointSlice",
             "node": "Node"}
    kind = kinds.get(args.kind.lower())
    if kind is None:
        raise DemoError("delete: KIND is service, endpointslice or node")
    ns = None if kind == "Node" else args.namespace
    if kube(st, "GET", object_path(kind, args.name, ns)) is None:
        raise DemoError('%s "%s" not found' % (KINDS[kind][0], args.name))
    kube(st, "POST", "/_fake/delete",
         json.dumps({"kind": kind, "namespace": ns, "name": args.name}).encode())
    print('%s "%s" deleted' % (KINDS[kind][0], args.name))
    return 0


# --------------------------------------------------------------------------------------------
# traffic and failures


def cmd_curl(args):
    st = load_state(state_dir(args))
    kind, c = resolve(st, args.client)
    if kind != "client":
        raise DemoError("curl: %s is not a client (client1, client2)" % args.client)
    url = args.url if "//" in args.url else "http://" + args.url
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or not u.hostname or (u.port or 80) != 80:
        raise DemoError("curl: the responders answer http://ADDRESS/ (port 80) only")
    if not 1 <= args.n <= 10000:
        raise DemoError("curl: -n is 1..10000")
    p = labmod.run(["ip", "netns", "exec", c["ns"], sys.executable, WEB, "get", u.hostname,
                    str(args.n), "1.0"], check=False, timeout=args.n * 1.0 + 30)
    try:
        data = json.loads(p.stdout)
    except ValueError:
        raise DemoError("curl: %s%s" % (p.stdout, p.stderr))
    answers, failed = data["answers"], data["failed"]
    print("%d requests to %s from %s: %d answered, %d failed"
          % (args.n, u.hostname, c["name"], args.n - failed, failed))
    for name in sorted(answers, key=lambda s: [int(x) if x.isdigit() else x
                                               for x in re.split(r"(\d+)", s)]):
        print("  %-8s %d" % (name, answers[name]))
    return 0 if failed < args.n else 1


def _node_gone(st, n):
    r = st["routers"][n["router"]]
    return lambda: n["v4"] not in kernel_nexthops(r["ns"], n["pod_cidr"])


def _node_back(st, n):
    r = st["routers"][n["router"]]
    return lambda: n["v4"] in kernel_nexthops(r["ns"], n["pod_cidr"])


def cmd_kill_node(args):
    st = load_state(state_dir(args))
    n = node_ref(st, args.node)
    r = st["routers"][n["router"]]
    if _node_gone(st, n)():
        raise DemoError("%s has no route on %s: is it dead already?" % (n["name"], r["name"]))
    t0 = time.monotonic()
    if args.stop_kbgpd:
        stop([st["procs"]["%s/kbgpd" % n["lab"]]])
        how = "kbgpd stopped (it closes its sessions)"
    else:
        labmod.run(["ip", "-n", st["bridge"], "link", "set", n["port"], "down"])
        how = "cable cut (its port on the LAN bridge is down)"
    wait("%s's routes to leave %s" % (n["name"], r["name"]), _node_gone(st, n), HOLD + 15)
    print("%s: %s; %s dropped its routes via %s after %.1f s"
          % (n["name"], how, r["name"], n["v4"], time.monotonic() - t0))
    return 0


def cmd_revive_node(args):
    st = load_state(state_dir(args))
    n = node_ref(st, args.node)
    r = st["routers"][n["router"]]
    t0 = time.monotonic()
    done = []
    link = labmod.run(["ip", "-n", st["bridge"], "link", "show", n["port"]]).stdout
    if "state DOWN" in link or ",UP" not in link.split(">")[0]:
        labmod.run(["ip", "-n", st["bridge"], "link", "set", n["port"], "up"])
        done.append("cable plugged in")
    if not alive(st["procs"]["%s/kbgpd" % n["lab"]]):
        start_kbgpd(st, n)
        done.append("kbgpd started (kbgp-sync configures it again)")
    if not done:
        raise DemoError("%s is not dead (cable in, kbgpd running)" % n["name"])
    wait("%s's routes back on %s" % (n["name"], r["name"]), _node_back(st, n), 60)
    print("%s: %s; %s routes via %s again after %.1f s"
          % (n["name"], ", ".join(done), r["name"], n["v4"], time.monotonic() - t0))
    return 0


# --------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="seed_demo.py", description="The seed story's lab (kbgpd + kbgp-sync, FRR or "
        "BIRD routers, a fake Kubernetes API server) in network namespaces; needs root.")
    ap.add_argument("--state-dir", help="default $KBGP_DEMO_DIR or %s" % DEFAULT_STATE)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up", help="build the lab and wait until it has converged")
    p.add_argument("--router", choices=("frr", "bird"), default="frr")
    p.add_argument("--nodes", type=int, default=3, help="nodes in AS 64512 behind rtr1")
    p.add_argument("--as2-nodes", type=int, default=2,
                   help="nodes in AS 64513 behind rtr2 (0: no rtr2, no client2)")
    p.add_argument("--kbgpd")
    p.add_argument("--kbgp-sync")
    p.add_argument("--kbgp")
    sub.add_parser("down", help="stop everything, delete the namespaces and the state dir")
    sub.add_parser("status", help="processes and BGP sessions")
    p = sub.add_parser("exec", help="run a command in a lab namespace")
    p.add_argument("name", help="rtr1, rtr2, node-K, client1, client2")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p = sub.add_parser("get", help="get nodes")
    p.add_argument("what")
    p = sub.add_parser("annotate", help="change a Node's annotations")
    p.add_argument("node")
    p.add_argument("changes", nargs="+", metavar="KEY=VALUE|KEY-")
    p = sub.add_parser("apply", help="create or update objects from a YAML file")
    p.add_argument("file")
    p = sub.add_parser("delete", help="delete a Service, EndpointSlice or Node")
    p.add_argument("kind")
    p.add_argument("name")
    p.add_argument("-n", "--namespace", default="default")
    p = sub.add_parser("curl", help="N requests, each on a new TCP connection")
    p.add_argument("client")
    p.add_argument("url")
    p.add_argument("-n", type=int, default=10)
    p = sub.add_parser("kill-node", help="cut a node's cable (or stop its kbgpd)")
    p.add_argument("node")
    p.add_argument("--stop-kbgpd", action="store_true")
    p = sub.add_parser("revive-node", help="undo kill-node")
    p.add_argument("node")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("seed_demo: needs root (network namespaces)", file=sys.stderr)
        return 1
    fn = {"up": cmd_up, "down": cmd_down, "status": cmd_status, "exec": cmd_exec,
          "get": cmd_get, "annotate": cmd_annotate, "apply": cmd_apply, "delete": cmd_delete,
          "curl": cmd_curl, "kill-node": cmd_kill_node, "revive-node": cmd_revive_node}
    try:
        return fn[args.cmd](args)
    except DemoError as e:
        print("seed_demo: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
