#!/usr/bin/env python3
"""Checks that the deployment files parse and refer only to things that exist (issue 10):
docker-compose.yml, the Dockerfiles it builds, and the Kubernetes manifests in configs/k8s/.

    deploy_files_test.py --kbgpd PATH --kbgp-sync PATH --kbgp PATH [--build-dir DIR]

Without Docker or a cluster, "exists" means: build contexts, Dockerfiles and every COPY source
are in the tree; every image is built here or is a Debian 12 base; every binary a container
runs is one the image's Dockerfile installs, and the build tree path it copies is where CMake
puts that binary; every flag passed to kbgpd or kbgp-sync is in that binary's --help; probe and
metrics ports match the addresses the flags bind; RBAC grants what kbgp-sync lists and watches;
services, networks and volumes that are referenced are defined; fixed addresses are inside
their network's subnet; the scenario file the fake API server loads parses into the kinds it
serves.
"""

import argparse
import glob
import ipaddress
import os
import re
import shlex
import subprocess
import sys
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = None
HELP = {}  # binary name -> --help text


def help_text(binary):
    if binary not in HELP:
        path = {"kbgpd": ARGS.kbgpd, "kbgp-sync": ARGS.kbgp_sync, "kbgp": ARGS.kbgp}[binary]
        p = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=20)
        HELP[binary] = p.stdout + p.stderr
    return HELP[binary]


def has_flag(binary, flag):
    return re.search(re.escape(flag) + r"(?![\w-])", help_text(binary)) is not None


def flags_of(argv):
    """The --long flags of an argument vector (values after '=' dropped)."""
    return [a.split("=", 1)[0] for a in argv if a.startswith("--")]


def dockerfile_instructions(path):
    """[(INSTRUCTION, argument text)] with continuation lines joined and comments dropped."""
    out, cur = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.lstrip().startswith("#"):
                continue  # a comment inside a continued RUN
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            cur = ""
    return out


class Dockerfile:
    def __init__(self, path, context):
        self.path, self.context = path, context
        self.instructions = dockerfile_instructions(path)
        self.stages = []
        self.installed = set()  # names of binaries the final image gets in /usr/local/bin
        for ins, arg in self.instructions:
            if ins == "FROM":
                m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", arg, re.I)
                self.stages.append((m.group(1), m.group(2)))


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(ROOT, "docker-compose.yml")) as f:
            cls.compose = yaml.safe_load(f)
        cls.services = cls.compose["services"]

    def built_images(self):
        """image tag -> (context, Dockerfile) for services that build and tag an image."""
        out = {}
        for s in self.services.values():
            if "build" in s and "image" in s:
                out[s["image"]] = (s["build"]["context"], s["build"].get("dockerfile",
                                                                         "Dockerfile"))
        return out

    def test_build_contexts_dockerfiles_and_copy_sources_exist(self):
        seen = 0
        for name, s in self.services.items():
            if "build" not in s:
                continue
            ctx = os.path.join(ROOT, s["build"]["context"])
            df = os.path.join(ctx, s["build"].get("dockerfile", "Dockerfile"))
            self.assertTrue(os.path.isdir(ctx), "%s: no context %s" % (name, ctx))
            self.assertTrue(os.path.isfile(df), "%s: no Dockerfile %s" % (name, df))
            d = Dockerfile(df, ctx)
            stage_names = {alias for _, alias in d.stages if alias}
            for base, _ in d.stages:
                self.assertTrue(base in ("debian:12", "debian:12-slim") or base in stage_names,
                                "%s: base image %s is not Debian 12" % (df, base))
            for ins, arg in d.instructions:
                if ins != "COPY":
                    continue
                parts = shlex.split(arg)
                if parts[0].startswith("--from="):
                    self.assertIn(parts[0].split("=", 1)[1], stage_names, df)
                    continue
                for src in parts[:-1]:
                    hits = glob.glob(os.path.join(ctx, src))
                    self.assertTrue(hits, "%s: COPY source %s is not in %s" % (df, src, ctx))
                    seen += 1
        self.assertGreater(seen, 5)

    def test_images_are_built_here(self):
        built = self.built_images()
        for name, s in self.services.items():
            if "image" in s:
                self.assertIn(s["image"], built, "%s uses image %s, which nothing builds" %
                              (name, s["image"]))

    def test_references_are_defined(self):
        networks = set(self.compose.get("networks", {}))
        volumes = set(self.compose.get("volumes", {}))
        for name, s in self.services.items():
            for dep in s.get("depends_on", []):
                self.assertIn(dep, self.services, "%s depends on %s" % (name, dep))
            mode = s.get("network_mode", "")
            if mode.startswith("service:"):
                self.assertIn(mode.split(":", 1)[1], self.services, name)
            for net, conf in (s.get("networks") or {}).items():
                self.assertIn(net, networks, "%s: network %s" % (name, net))
                addr = (conf or {}).get("ipv4_address")
                if addr:
                    subnets = [ipaddress.ip_network(c["subnet"]) for c in
                               self.compose["networks"][net]["ipam"]["config"]]
                    self.assertTrue(any(ipaddress.ip_address(addr) in n for n in subnets),
                                    "%s: %s outside network %s" % (name, addr, net))
                    for c in self.compose["networks"][net]["ipam"]["config"]:
                        self.assertNotEqual(c.get("gateway"), addr,
                                            "%s: %s is the network's gateway" % (name, addr))
            for v in s.get("volumes", []):
                src = v.split(":", 1)[0]
                if not src.startswith((".", "/")):
                    self.assertIn(src, volumes, "%s: volume %s" % (name, src))

    def test_kbgp_containers_run_installed_binaries_with_known_flags(self):
        checked = 0
        for name, s in self.services.items():
            if s.get("image") != "kbgp:0.1.0":
                continue
            argv = list(s.get("entrypoint") or []) + list(s.get("command") or [])
            binary = argv[0]
            self.assertIn(binary, ("kbgpd", "kbgp-sync"), name)
            for flag in flags_of(argv[1:]):
                self.assertTrue(has_flag(binary, flag), "%s: %s has no flag %s" %
                                (name, binary, flag))
                checked += 1
        self.assertGreater(checked, 10)

    def test_fake_kube_scenario_parses(self):
        s = self.services["fake-kube"]
        cmd = s["command"]
        scenario = cmd[cmd.index("--scenario") + 1]
        df = Dockerfile(os.path.join(ROOT, s["build"]["context"], s["build"]["dockerfile"]),
                        os.path.join(ROOT, s["build"]["context"]))
        src = None
        for ins, arg in df.instructions:
            parts = shlex.split(arg)
            if ins == "COPY" and parts[-1] == scenario:
                src = os.path.join(df.context, parts[0])
        self.assertIsNotNone(src, "the fake API server's image does not contain " + scenario)
        with open(src) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        kinds = {d["kind"] for d in docs}
        self.assertEqual(kinds, {"Node", "Service", "EndpointSlice"})
        # The nodes' InternalIPs are the addresses the node containers have.
        node_ips = {self.services["node%d" % i]["networks"]["cluster"]["ipv4_address"]
                    for i in (1, 2, 3)}
        internal = {a["address"] for d in docs if d["kind"] == "Node"
                    for a in d["status"]["addresses"] if a["type"] == "InternalIP"}
        self.assertEqual(internal, node_ips)

    def test_image_dockerfile_copies_the_binaries_from_their_build_paths(self):
        df = Dockerfile(os.path.join(ROOT, "Dockerfile"), ROOT)
        text = " ".join(arg for _, arg in df.instructions)
        build = os.path.abspath(ARGS.build_dir)
        for binary, path in (("kbgpd", ARGS.kbgpd), ("kbgp", ARGS.kbgp),
                             ("kbgp-sync", ARGS.kbgp_sync)):
            rel = os.path.relpath(os.path.abspath(path), build)
            self.assertIn("/build/" + rel, text, "the Dockerfile does not copy %s from %s" %
                          (binary, rel))
            self.assertIn(binary, text)


class ManifestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.docs = []
        for path in sorted(glob.glob(os.path.join(ROOT, "configs", "k8s", "*.yaml"))):
            with open(path) as f:
                cls.docs += [d for d in yaml.safe_load_all(f) if d]

    def of_kind(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def test_daemonset(self):
        (ds,) = self.of_kind("DaemonSet")
        spec = ds["spec"]["template"]["spec"]
        self.assertEqual(ds["spec"]["selector"]["matchLabels"],
                         {k: v for k, v in ds["spec"]["template"]["metadata"]["labels"].items()
                          if k in ds["spec"]["selector"]["matchLabels"]})
        self.assertTrue(spec["hostNetwork"])
        accounts = {(d["metadata"]["namespace"], d["metadata"]["name"])
                    for d in self.of_kind("ServiceAccount")}
        self.assertIn((ds["metadata"]["namespace"], spec["serviceAccountName"]), accounts)
        names = set()
        for c in spec["containers"]:
            names.add(c["name"])
            self.assertEqual(c["image"], "kbgp:0.1.0")
            binary = c["command"][0]
            self.assertIn(binary, ("kbgpd", "kbgp-sync"))
            env = {e["name"] for e in c.get("env", [])}
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
                if ref:
                    self.assertIn(ref, ("spec.nodeName", "status.hostIP", "status.podIP"))
            bound_ports = set()
            for a in c["args"]:
                flag, _, value = a.partition("=")
                self.assertTrue(has_flag(binary, flag), "%s has no flag %s" % (binary, flag))
                for var in re.findall(r"\$\((\w+)\)", value):
                    self.assertIn(var, env, "%s uses $(%s) without defining it" % (a, var))
                if flag in ("--metrics-address", "--api-hosts"):
                    bound_ports.add(int(value.rsplit(":", 1)[1]))
            for probe in ("livenessProbe", "readinessProbe"):
                if probe in c:
                    port = c[probe]["httpGet"]["port"]
                    self.assertIn(port, bound_ports, "%s %s probes port %s, which no flag "
                                  "binds" % (c["name"], probe, port))
            for p in c.get("ports", []):
                if p["containerPort"] != 179:
                    self.assertIn(p["containerPort"], bound_ports, c["name"])
        self.assertEqual(names, {"kbgpd", "kbgp-sync"})

    def test_rbac_grants_list_and_watch(self):
        (role,) = self.of_kind("ClusterRole")
        (binding,) = self.of_kind("ClusterRoleBinding")
        self.assertEqual(binding["roleRef"]["name"], role["metadata"]["name"])
        granted = set()
        for rule in role["rules"]:
            for group in rule["apiGroups"]:
                for res in rule["resources"]:
                    for verb in rule["verbs"]:
                        granted.add((group, res, verb))
        for group, res in (("", "nodes"), ("", "services"),
                           ("discovery.k8s.io", "endpointslices")):
            for verb in ("list", "watch"):
                self.assertIn((group, res, verb), granted)
        # Read-only: the sidecar never writes to the cluster.
        self.assertFalse({v for _, _, v in granted} - {"get", "list", "watch"})
        accounts = {(d["metadata"]["namespace"], d["metadata"]["name"])
                    for d in self.of_kind("ServiceAccount")}
        for s in binding["subjects"]:
            self.assertIn((s["namespace"], s["name"]), accounts)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--kbgpd", required=True)
    p.add_argument("--kbgp-sync", required=True)
    p.add_argument("--kbgp", required=True)
    p.add_argument("--build-dir", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
