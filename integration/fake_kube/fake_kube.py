#!/usr/bin/env python3
"""A fake Kubernetes API server for kbgp-sync tests (Python 3 standard library + PyYAML).

It serves Nodes (v1), Services (v1) and EndpointSlices (discovery.k8s.io/v1) over HTTPS with a
bearer token, with the list and watch semantics of kube-apiserver (see
https://kubernetes.io/docs/reference/using-api/api-concepts/):

- one global resourceVersion counter for all kinds (etcd-like); each object's
  metadata.resourceVersion, uid, creationTimestamp and generation are set by the server;
- list: `kind: NodeList` etc., metadata.resourceVersion, `limit` + `continue` chunks served from a
  consistent snapshot (remainingItemCount), `resourceVersion`/`resourceVersionMatch`,
  `labelSelector`, `fieldSelector` (metadata.name, metadata.namespace);
- watch (`watch=1|true`): a chunked stream of one JSON WatchEvent per line; history replay after
  `resourceVersion`, synthetic ADDED events when it is unset or "0" (or `sendInitialEvents=true`),
  BOOKMARK events with `allowWatchBookmarks=true`, the end of the stream at `timeoutSeconds`, and
  an ERROR event holding a 410 `Expired` Status ("too old resource version: X (Y)") when the
  resourceVersion is older than the retained history;
- an expired continue token gives HTTP 410 `Expired` with an inconsistent continue token in the
  Status' metadata, as etcd3 storage does after compaction.

Control it from Python (class FakeKube) or, in CLI mode, over HTTP (`POST /_fake/...`).
See README.md next to this file.
"""

import argparse
import base64
import bisect
import copy
import datetime
import http.server
import ipaddress
import json
import logging
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import yaml

log = logging.getLogger("fake_kube")


class KindInfo:
    def __init__(self, kind, api_version, plural, namespaced, prefix):
        self.kind = kind
        self.api_version = api_version
        self.plural = plural
        self.namespaced = namespaced
        self.prefix = prefix  # "/api/v1" or "/apis/GROUP/VERSION"

    @property
    def list_kind(self):
        return self.kind + "List"


KINDS = {
    "Node": KindInfo("Node", "v1", "nodes", False, "/api/v1"),
    "Service": KindInfo("Service", "v1", "services", True, "/api/v1"),
    "EndpointSlice": KindInfo("EndpointSlice", "discovery.k8s.io/v1", "endpointslices", True,
                              "/apis/discovery.k8s.io/v1"),
}
PLURALS = {k.prefix + "/" + k.plural: k for k in KINDS.values()}

DEFAULT_BOOKMARK_INTERVAL = 60.0  # kube-apiserver's watch cache: about once a minute
DEFAULT_WATCH_TIMEOUT = 1800.0  # kube-apiserver --min-request-timeout
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list.")


class RawJson:
    """A response body that is JSON already (bytes)."""
    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


class ApiError(Exception):
    """An error answered as a metav1.Status object."""

    def __init__(self, code, reason, message, details=None, list_meta=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.list_meta = list_meta

    def status(self):
        return status_object(self.code, self.reason, self.message, self.details, self.list_meta)


def status_object(code, reason, message, details=None, list_meta=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": dict(list_meta or {}),
         "status": "Failure", "message": message, "reason": reason}
    if details is not None:
        s["details"] = details
    s["code"] = code
    return s


def expired(message, list_meta=None):
    return ApiError(410, "Expired", message, list_meta=list_meta)


def bad_request(message):
    return ApiError(400, "BadRequest", message)


# ---------------------------------------------------------------------------------------------
# Selectors

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"


class LabelSelector:
    """Kubernetes label selector syntax: k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k."""

    def __init__(self, text):
        self.reqs = []
        for part in _split_top_level(text or ""):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"(%s)\s+(in|notin)\s+\(([^()]*)\)" % _KEY, part)
            if m:
                vals = {v.strip() for v in m.group(3).split(",") if v.strip()}
                self.reqs.append((m.group(1), m.group(2), vals))
                continue
            m = re.fullmatch(r"(%s)\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)" % _KEY, part)
            if m:
                op = "!=" if m.group(2) == "!=" else "="
                self.reqs.append((m.group(1), op, m.group(3)))
                continue
            m = re.fullmatch(r"!\s*(%s)" % _KEY, part)
            if m:
                self.reqs.append((m.group(1), "!exists", None))
                continue
            m = re.fullmatch(_KEY, part)
            if m:
                self.reqs.append((part, "exists", None))
                continue
            raise bad_request("unable to parse requirement: %r in labelSelector %r" % (part, text))

    def matches(self, labels):
        labels = labels or {}
        for key, op, val in self.reqs:
            have = key in labels
            cur = labels.get(key)
            if op == "=" and cur != val:
                return False
            if op == "!=" and have and cur == val:
                return False
            if op == "in" and cur not in val:
                return False
            if op == "notin" and have and cur in val:
                return False
            if op == "exists" and not have:
                return False
            if op == "!exists" and have:
                return False
        return True


def _split_top_level(text):
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


class FieldSelector:
    FIELDS = ("metadata.name", "metadata.namespace")

    def __init__(self, text):
        self.reqs = []
        for part in (text or "").split(","):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)", part)
            if not m:
                raise bad_request("invalid selector: %r; can't understand %r" % (text, part))
            if m.group(1) not in self.FIELDS:
                raise bad_request("field label not supported: %s" % m.group(1))
            self.reqs.append((m.group(1), m.group(2) == "!=", m.group(3)))

    def matches(self, obj):
        meta = obj.get("metadata", {})
        for field, negate, val in self.reqs:
            cur = meta.get(field.split(".", 1)[1], "")
            if (cur == val) == negate:
                return False
        return True


class Filter:
    def __init__(self, namespace=None, label_selector="", field_selector="", name=None):
        self.namespace = namespace
        self.labels = LabelSelector(label_selector)
        self.fields = FieldSelector(field_selector)
        self.name = name
        self.has_selectors = bool(self.labels.reqs or self.fields.reqs)

    def matches(self, obj):
        if obj is None:
            return False
        meta = obj.get("metadata", {})
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        if self.name is not None and meta.get("name") != self.name:
            return False
        return self.labels.matches(meta.get("labels")) and self.fields.matches(obj)


# ---------------------------------------------------------------------------------------------
# Store: objects, global resourceVersion, history, watchers


def _key(info, obj):
    meta = obj["metadata"]
    return (meta.get("namespace", "") if info.namespaced else "", meta["name"])


def _key_str(key):
    return key[0] + "/" + key[1] if key[0] else key[1]


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Event:
    __slots__ = ("rv", "kind", "type", "obj", "prev")

    def __init__(self, rv, kind, type_, obj, prev):
        self.rv, self.kind, self.type, self.obj, self.prev = rv, kind, type_, obj, prev


class Watcher:
    def __init__(self, info, flt, sock):
        self.info = info
        self.filter = flt
        self.sock = sock
        self.queue = []
        self.dropped = False


class Store:
    """The objects, the global resourceVersion, the history and the watchers.

    Lists are served without copying or re-encoding the store: each kind keeps its current
    objects by key string (namespace/name, the order of list results) in a sorted index, and
    each current object's JSON as a list item, encoded once when it is written (stored objects
    are never mutated: an update stores a new dict). A list at an older resourceVersion (a
    continue token while objects change, or resourceVersion + limit) overlays the objects that
    changed since then, taken from the history: its cost grows with the page and the number of
    changes since that resourceVersion, not with the size of the store."""

    def __init__(self, first_rv=100, history_limit=100000):
        self.cond = threading.Condition()
        self.rv = first_rv
        self.compacted_rv = first_rv  # watches/lists from an RV below this one get 410
        self.objects = {k: {} for k in KINDS}
        self.history = []  # Events with rv > compacted_rv, oldest first (rv ascending)
        self.history_limit = history_limit
        self.watchers = set()
        self.index = {k: [] for k in KINDS}  # sorted key strings of the current objects
        self.by_key_str = {k: {} for k in KINDS}  # key string -> _Cached of the current object

    # --- mutations (callers must not hold cond)

    def apply(self, obj):
        info, obj = self._validate(obj)
        with self.cond:
            key = _key(info, obj)
            cur = self.objects[info.kind].get(key)
            meta = obj["metadata"]
            for f in ("resourceVersion", "uid", "creationTimestamp", "generation",
                      "managedFields", "selfLink"):
                meta.pop(f, None)
            if cur is not None:
                if _same_content(cur, obj):
                    return copy.deepcopy(cur)  # a no-op update writes nothing, as the apiserver
                cm = cur["metadata"]
                meta["uid"] = cm["uid"]
                meta["creationTimestamp"] = cm["creationTimestamp"]
                gen = cm.get("generation", 1)
                if _spec_part(cur) != _spec_part(obj):
                    gen += 1
                meta["generation"] = gen
                type_ = "MODIFIED"
            else:
                meta["uid"] = str(uuid.uuid4())
                meta["creationTimestamp"] = _now()
                meta["generation"] = 1
                type_ = "ADDED"
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self.objects[info.kind][key] = obj
            ks = _key_str(key)
            if cur is None:
                bisect.insort(self.index[info.kind], ks)
            self.by_key_str[info.kind][ks] = _Cached(obj)
            self._record(Event(self.rv, info.kind, type_, obj, cur))
            return copy.deepcopy(obj)

    def delete(self, kind, namespace, name):
        info = _kind_info(kind)
        with self.cond:
            key = (namespace or "" if info.namespaced else "", name)
            cur = self.objects[info.kind].pop(key, None)
            if cur is None:
                raise ApiError(404, "NotFound", '%s "%s" not found' % (info.plural, name),
                               details={"name": name, "kind": info.plural})
            ks = _key_str(key)
            index = self.index[info.kind]
            del index[bisect.bisect_left(index, ks)]
            del self.by_key_str[info.kind][ks]
            self.rv += 1
            gone = copy.deepcopy(cur)
            gone["metadata"]["resourceVersion"] = str(self.rv)
            self._record(Event(self.rv, info.kind, "DELETED", gone, cur))
            return copy.deepcopy(gone)

    def compact(self):
        with self.cond:
            self.history.clear()
            self.compacted_rv = self.rv
            return self.rv

    def _record(self, ev):
        self.history.append(ev)
        if len(self.history) > self.history_limit:
            dropped = self.history.pop(0)
            self.compacted_rv = dropped.rv
        for w in self.watchers:
            if w.info.kind == ev.kind:
                w.queue.append(ev)
        self.cond.notify_all()

    @staticmethod
    def _validate(obj):
        if not isinstance(obj, dict):
            raise bad_request("object must be a mapping, got %s" % type(obj).__name__)
        kind = obj.get("kind")
        if kind not in KINDS:
            raise bad_request("unsupported kind %r (supported: %s)" % (kind, ", ".join(KINDS)))
        info = KINDS[kind]
        obj = copy.deepcopy(obj)
        if obj.setdefault("apiVersion", info.api_version) != info.api_version:
            raise bad_request("%s must have apiVersion %s, not %r"
                              % (kind, info.api_version, obj["apiVersion"]))
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) \
                or not meta["name"]:
            raise bad_request("%s: metadata.name is required" % kind)
        if info.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        return info, obj

    # --- reads (callers hold cond)

    def events_after(self, rv):
        """The retained history events with a resourceVersion above rv, oldest first."""
        return self.history[bisect.bisect_right(self.history, rv, key=_event_rv):]

    def changes_since(self, kind, rv):
        """{key string: the object of kind as it was at resourceVersion rv, or None when it did
        not exist then} for every object written since rv. Raises 410 when rv is older than the
        retained history."""
        if rv < self.compacted_rv:
            raise expired("too old resource version: %d (%d)" % (rv, self.compacted_rv))
        info = KINDS[kind]
        out = {}
        for ev in self.events_after(rv):
            if ev.kind == kind:
                out.setdefault(_key_str(_key(info, ev.obj)), ev.prev)
        return out

    def list_page(self, kind, rv, start, flt, limit):
        """One page of a list of kind as at resourceVersion rv (the current state when rv is
        the store's): the JSON items (list form) of the objects from key string `start` on that
        match flt, in key order, at most `limit` of them (0: all); whether more match after
        them; how many more match (None unless counted: counted without selectors); and the
        key string of the page's last object. Raises 410 when rv is older than the history."""
        info = KINDS[kind]
        index = self.index[kind]
        current = self.by_key_str[kind]
        then = self.changes_since(kind, rv) if rv < self.rv else {}
        lo, hi = start, None
        if info.namespaced and flt.namespace is not None:  # one namespace: one range of keys
            lo, hi = max(start, flt.namespace + "/"), flt.namespace + "0"
        i = bisect.bisect_left(index, lo)
        j = len(index) if hi is None else bisect.bisect_left(index, hi)
        gone = sorted(ks for ks, o in then.items()  # deleted since rv: not in the index
                      if o is not None and ks not in current and ks >= lo
                      and (hi is None or ks < hi))

        def candidates():  # (key string, object, cached JSON or None) in key order
            g = 0
            for p in range(i, j):
                ks = index[p]
                while g < len(gone) and gone[g] < ks:
                    yield gone[g], then[gone[g]], None
                    g += 1
                if ks in then:
                    if then[ks] is not None:
                        yield ks, then[ks], None
                else:
                    c = current[ks]
                    yield ks, c.obj, c
            for ks in gone[g:]:
                yield ks, then[ks], None

        trivial = not flt.has_selectors and flt.name is None and \
            (flt.namespace is None or not info.namespaced)
        items, last, more, remaining = [], None, False, None
        it = candidates()
        for ks, obj, cached in it:
            if not trivial and not flt.matches(obj):
                continue
            if limit and len(items) == limit:
                more = True
                remaining = 1
                break
            items.append(cached.item_json if cached is not None else _item_json(obj))
            last = ks
        if more and not flt.has_selectors:
            if trivial:  # the candidates from the page's end on, by arithmetic
                added = sum(1 for ks, o in then.items() if o is None and ks in current
                            and ks > last and (hi is None or ks < hi))
                after = j - bisect.bisect_right(index, last) - added
                remaining = after + len(gone) - bisect.bisect_right(gone, last)
            else:
                remaining += sum(1 for _, obj, _ in it if flt.matches(obj))
        return items, more, remaining if not flt.has_selectors else None, last


_SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields")


def _same_content(a, b):
    """Whether two objects are equal but for the fields the server sets."""
    if a.keys() != b.keys():
        return False
    for k, v in a.items():
        if k != "metadata" and v != b[k]:
            return False
    ma, mb = a["metadata"], b["metadata"]
    return {k: v for k, v in ma.items() if k not in _SERVER_FIELDS} == \
        {k: v for k, v in mb.items() if k not in _SERVER_FIELDS}


def _event_rv(ev):
    return ev.rv


def _item_json(obj):
    """An object as an item of a typed list (no kind/apiVersion), as JSON bytes."""
    return json.dumps({k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}).encode()


class _Cached:
    """A current object with its JSON: the list item form (encoded when stored) and the typed
    form of watch events (encoded when first needed)."""
    __slots__ = ("obj", "item_json", "_typed_json")

    def __init__(self, obj):
        self.obj = obj
        self.item_json = _item_json(obj)
        self._typed_json = None

    def typed_json(self, info):
        if self._typed_json is None:
            self._typed_json = json.dumps(_with_type(info, self.obj)).encode()
        return self._typed_json


def _spec_part(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _kind_info(kind):
    for info in KINDS.values():
        if kind in (info.kind, info.plural, info.kind.lower()):
            return info
    raise bad_request("unsupported kind %r (supported: %s)" % (kind, ", ".join(KINDS)))


def parse_documents(data):
    """Objects from YAML or JSON text (multi-document YAML, a List or a *List)."""
    if isinstance(data, (bytes, bytearray)):
        data = data.decode("utf-8")
    if isinstance(data, str):
        try:
            docs = list(yaml.safe_load_all(data))
        except yaml.YAMLError as e:
            raise bad_request("cannot parse YAML/JSON: %s" % e)
    elif isinstance(data, list):
        docs = data
    else:
        docs = [data]
    out = []
    for d in docs:
        if d is None:
            continue
        if isinstance(d, dict) and isinstance(d.get("kind"), str) and d["kind"].endswith("List") \
                and "items" in d:
            item_kind = d["kind"][:-4]
            for item in d.get("items") or []:
                if isinstance(item, dict) and item_kind in KINDS:
                    item.setdefault("kind", item_kind)
                    item.setdefault("apiVersion", KINDS[item_kind].api_version)
                out.append(item)
        else:
            out.append(d)
    return out


# ---------------------------------------------------------------------------------------------
# HTTP server


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, addr, fake, family):
        self.address_family = family
        self.fake = fake
        self.conns = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        socketserver.TCPServer.server_bind(self)  # HTTPServer's does a reverse DNS lookup
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        sock = request
        if self.fake.ssl_context is not None:
            try:
                sock.settimeout(10)
                sock = self.fake.ssl_context.wrap_socket(request, server_side=True)
                sock.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                log.info("TLS handshake with %s failed: %s", client_address, e)
                try:
                    request.close()
                except OSError:
                    pass
                return
        with self.conns_lock:
            if self.fake._stopping:
                sock.close()
                return
            self.conns.add(sock)
        try:
            _Handler(sock, client_address, self)
        except (OSError, ssl.SSLError) as e:
            log.debug("connection %s ended: %s", client_address, e)
        finally:
            with self.conns_lock:
                self.conns.discard(sock)
            try:
                sock.close()
            except OSError:
                pass

    def shutdown_request(self, request):
        pass  # finish_request closes (the TLS-wrapped socket differs from `request`)

    def handle_error(self, request, client_address):
        log.exception("error serving %s", client_address)

    def kill_connections(self):
        with self.conns_lock:
            conns = list(self.conns)
        for s in conns:
            _hard_shutdown(s)


def _hard_shutdown(sock):
    try:
        # The socket-level shutdown (not SSLSocket.shutdown, which also drops the TLS object
        # under a thread that may be reading): the peer sees the TCP stream end, no TLS close.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver"
    timeout = 600  # an idle keep-alive connection is closed after this

    def log_message(self, fmt, *args):
        log.debug("%s %s", self.client_address[0], fmt % args)

    @property
    def fake(self):
        return self.server.fake

    # --- responses

    def send_json(self, code, obj, headers=None):
        if isinstance(obj, RawJson):
            body = obj.data + b"\n"
        else:
            body = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_text(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_status(self, err):
        self.send_json(err.code, err.status())

    # --- dispatch

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        try:
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        except ValueError:
            query = {}
        body = b""
        length = self.headers.get("Content-Length")
        if length:
            try:
                body = self.rfile.read(int(length))
            except ValueError:
                self.close_connection = True
                return self.send_status(bad_request("bad Content-Length"))
        try:
            self._authenticate(path)
            if path.startswith("/_fake/"):
                return self._control(path, body)
            if self.command not in ("GET", "HEAD"):
                raise ApiError(405, "MethodNotAllowed",
                               "the server does not allow this method on the requested resource")
            if path in ("/healthz", "/readyz", "/livez"):
                return self.send_text(200, "ok")
            if path == "/version":
                return self.send_json(200, self.fake.version_info())
            disc = self.fake.discovery(path)
            if disc is not None:
                return self.send_json(200, disc)
            info, namespace, name = _route(path)
            if _truthy(query.get("watch")):
                return self._watch(info, namespace, name, query)
            if name is not None:
                return self.send_json(200, self.fake._get(info, namespace, name))
            return self.send_json(200, self.fake._list(info, namespace, query))
        except ApiError as e:
            self.send_status(e)

    def _authenticate(self, path):
        auth = self.headers.get("Authorization", "")
        if not auth and path in ("/healthz", "/readyz", "/livez", "/version"):
            return  # system:public-info-viewer, as for anonymous requests to kube-apiserver
        if auth.startswith("Bearer ") and self.fake._token_ok(auth[7:].strip()):
            return
        raise ApiError(401, "Unauthorized", "Unauthorized")

    def _control(self, path, body):
        if self.command != "POST":
            raise ApiError(405, "MethodNotAllowed", "use POST for %s" % path)
        f = self.fake
        if path == "/_fake/apply":
            objs = f.apply(body)
            objs = objs if isinstance(objs, list) else [objs]
            return self.send_json(200, {"resourceVersion": str(f.resource_version),
                                        "items": objs})
        if path == "/_fake/delete":
            try:
                req = json.loads(body or b"{}")
            except ValueError as e:
                raise bad_request("delete body must be JSON: %s" % e)
            if not isinstance(req, dict) or not req.get("kind") or not req.get("name"):
                raise bad_request('delete body must be {"kind", "namespace", "name"}')
            obj = f.delete(req["kind"], req.get("namespace"), req["name"])
            return self.send_json(200, {"resourceVersion": str(f.resource_version),
                                        "object": obj})
        if path == "/_fake/compact":
            return self.send_json(200, {"resourceVersion": str(f.compact())})
        if path == "/_fake/drop-watches":
            return self.send_json(200, {"dropped": f.drop_watches()})
        if path == "/_fake/rotate-token":
            try:
                req = json.loads(body or b"{}")
                grace = float(req.get("grace", 60.0))
            except (ValueError, AttributeError, TypeError) as e:
                raise bad_request("rotate-token body must be JSON {\"grace\": seconds}: %s" % e)
            f.rotate_token(grace)
            return self.send_json(200, {"rotated": True})
        if path == "/_fake/bookmark-interval":
            try:
                f.set_bookmark_interval(float(json.loads(body)["seconds"]))
            except (ValueError, KeyError, TypeError) as e:
                raise bad_request('bookmark-interval body must be {"seconds": N}: %s' % e)
            return self.send_json(200, {"seconds": f.bookmark_interval})
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    # --- watch

    def _write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _write_chunks(self, lines):
        """One chunk per line (one watch event each), written in batches of up to 64 KiB."""
        buf, size = [], 0
        for data in lines:
            buf.append(b"%x\r\n%s\r\n" % (len(data), data))
            size += len(data)
            if size >= 65536:
                self.wfile.write(b"".join(buf))
                buf, size = [], 0
        if buf:
            self.wfile.write(b"".join(buf))
        self.wfile.flush()

    def _event(self, type_, obj):
        self._write_chunk(_event_line(type_, obj))

    def _watch(self, info, namespace, name, query):
        f = self.fake
        flt = Filter(namespace, query.get("labelSelector", ""), query.get("fieldSelector", ""),
                     name)
        bookmarks = _truthy(query.get("allowWatchBookmarks"))
        send_initial = query.get("sendInitialEvents")
        try:
            timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") \
                else DEFAULT_WATCH_TIMEOUT
        except ValueError:
            raise bad_request("invalid timeoutSeconds %r" % query["timeoutSeconds"])
        rv_param = query.get("resourceVersion", "")
        if rv_param not in ("", "0"):
            rv_start = _parse_rv(rv_param)
        w = Watcher(info, flt, self.connection)
        initial, error, initial_end = [], None, False
        store = f.store
        with store.cond:
            if rv_param in ("", "0") or _truthy(send_initial):
                cached = store.by_key_str[info.kind]
                initial = [b'{"type": "ADDED", "object": %s}\n'
                           % cached[_key_str(k)].typed_json(info)
                           for k, o in sorted(store.objects[info.kind].items())
                           if flt.matches(o)]
                initial_end = _truthy(send_initial) and bookmarks
                start = store.rv
            elif rv_start < store.compacted_rv:
                error = expired("too old resource version: %d (%d)"
                                % (rv_start, store.compacted_rv))
            else:
                for ev in store.events_after(rv_start):
                    if ev.kind == info.kind:
                        initial.extend(_event_line(t, _with_type(info, o))
                                       for t, o in _convert(ev, flt))
                start = store.rv
            if error is None:
                store.watchers.add(w)
                f._watch_count += 1
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache, private")
            self.end_headers()
            if error is not None:
                self._event("ERROR", error.status())
                self._write_chunk(b"")
                return
            self._write_chunks(initial)
            if initial_end:
                self._event("BOOKMARK", _bookmark(info, start, initial_end=True))
            self._watch_loop(w, info, bookmarks, time.monotonic() + timeout)
        except (OSError, ssl.SSLError, ValueError):
            self.close_connection = True
        finally:
            with store.cond:
                store.watchers.discard(w)

    def _watch_loop(self, w, info, bookmarks, deadline):
        f, store = self.fake, self.fake.store
        last_bookmark = time.monotonic()
        while True:
            with store.cond:
                while True:
                    now = time.monotonic()
                    if w.dropped or f._stopping:
                        self.close_connection = True
                        return  # abruptly: no final chunk
                    next_bookmark = last_bookmark + f.bookmark_interval
                    if w.queue or now >= deadline or (bookmarks and now >= next_bookmark):
                        break
                    wake = deadline if not bookmarks else min(deadline, next_bookmark)
                    store.cond.wait(max(0.0, min(wake - now, 1.0)))
                events, w.queue = w.queue, []
                rv_now = store.rv
            for ev in events:
                for type_, obj in _convert(ev, w.filter):
                    self._event(type_, _with_type(info, obj))
            now = time.monotonic()
            if now >= deadline:
                if bookmarks:
                    self._event("BOOKMARK", _bookmark(info, rv_now))
                self._write_chunk(b"")
                return
            if bookmarks and now >= last_bookmark + f.bookmark_interval:
                self._event("BOOKMARK", _bookmark(info, rv_now))
                last_bookmark = now


def _convert(ev, flt):
    """The watch events one stored event gives to a watcher with a filter (an object leaving the
    selection is DELETED, one entering it ADDED, as the apiserver's cacher does)."""
    new_ok = ev.type != "DELETED" and flt.matches(ev.obj)
    old_ok = flt.matches(ev.prev)
    if ev.type == "DELETED":
        return [("DELETED", ev.obj)] if old_ok else []
    if new_ok and old_ok:
        return [("MODIFIED", ev.obj)]
    if new_ok:
        return [("ADDED", ev.obj)]
    if old_ok:
        gone = copy.deepcopy(ev.prev)
        gone["metadata"]["resourceVersion"] = str(ev.rv)
        return [("DELETED", gone)]
    return []


def _event_line(type_, obj):
    return (json.dumps({"type": type_, "object": obj}) + "\n").encode()


def _with_type(info, obj):
    if obj.get("kind") == info.kind and obj.get("apiVersion") == info.api_version:
        return obj
    o = {"kind": info.kind, "apiVersion": info.api_version}
    o.update({k: v for k, v in obj.items() if k not in ("kind", "apiVersion")})
    return o


def _bookmark(info, rv, initial_end=False):
    meta = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta}


def _truthy(v):
    return v is not None and v.lower() in ("1", "true", "t", "yes")


def _parse_rv(s):
    if not re.fullmatch(r"[0-9]+", s or ""):
        raise bad_request("invalid resource version %r" % s)
    return int(s)


def _route(path):
    """(KindInfo, namespace, name) for a resource path, or raises 404."""
    for kinfo in KINDS.values():
        p = kinfo.prefix
        if path == p + "/" + kinfo.plural:
            return kinfo, None, None
        if path.startswith(p + "/" + kinfo.plural + "/"):
            name = path[len(p) + len(kinfo.plural) + 2:]
            if not kinfo.namespaced and "/" not in name:
                return kinfo, None, name
        if kinfo.namespaced and path.startswith(p + "/namespaces/"):
            rest = path[len(p) + len("/namespaces/"):].split("/")
            if len(rest) in (2, 3) and rest[1] == kinfo.plural and rest[0]:
                return kinfo, rest[0], rest[2] if len(rest) == 3 else None
    raise ApiError(404, "NotFound", "the server could not find the requested resource",
                   details={})


def _encode_continue(rv, start):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        c = json.loads(raw)
        if c.get("v") != "meta.k8s.io/v1" or not isinstance(c.get("rv"), int) \
                or not isinstance(c.get("start"), str):
            raise ValueError("bad fields")
        return c["rv"], c["start"]
    except (ValueError, TypeError, AttributeError) as e:
        raise bad_request("continue key is not valid: %s" % e)


# ---------------------------------------------------------------------------------------------
# FakeKube: the control API


class FakeKube:
    """A fake kube-apiserver. See the module docstring and README.md."""

    def __init__(self, state_dir, listen="127.0.0.1:0", scenarios=(), plain_http=False,
                 bookmark_interval=DEFAULT_BOOKMARK_INTERVAL, advertise_host=None,
                 extra_sans=(), history_limit=100000, first_resource_version=100):
        self.state_dir = os.path.abspath(state_dir)
        host, port = _split_hostport(listen)
        self.host = host
        self._port = port
        self.plain_http = plain_http
        self.bookmark_interval = float(bookmark_interval)
        self.advertise_host = advertise_host or (
            "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host)
        self.extra_sans = list(extra_sans)
        self.store = Store(first_resource_version, history_limit)
        self.ssl_context = None
        self._server = None
        self._thread = None
        self._stopping = False
        self._token = None
        self._old_tokens = {}  # token -> monotonic expiry
        self._token_lock = threading.Lock()
        self._watch_count = 0
        self._started_at = time.time()
        os.makedirs(self.state_dir, exist_ok=True)
        for s in scenarios:
            self.load_scenario(s)

    # --- lifecycle

    def start(self):
        """Generates the CA, server certificate, token and kubeconfig (first time), binds and
        serves in a background thread. Also used to resume after stop() (same port)."""
        if self._server is not None:
            return self
        if self._token is None:
            self._init_credentials()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._stopping = False
        self._server = _Server((self.host, self._port), self, family)
        self._port = self._server.server_address[1]
        self._write_kubeconfig()
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True,
                                        name="fake-kube-%d" % self._port)
        self._thread.start()
        log.info("serving %s", self.url)
        return self

    def stop(self):
        """Closes the listener and every open connection (watches end without a final chunk):
        the API is unreachable until start()/resume()/restart()."""
        srv = self._server
        if srv is None:
            return
        self._stopping = True
        srv.shutdown()
        srv.server_close()
        with self.store.cond:
            for w in self.store.watchers:
                w.dropped = True
            self.store.cond.notify_all()
        srv.kill_connections()
        self._thread.join(5)
        self._server = None
        self._thread = None

    def resume(self):
        return self.start()

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        self.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- properties

    @property
    def port(self):
        return self._port

    @property
    def url(self):
        host = self.advertise_host
        if ":" in host:
            host = "[%s]" % host
        return "%s://%s:%d" % ("http" if self.plain_http else "https", host, self._port)

    @property
    def kubeconfig(self):
        return os.path.join(self.state_dir, "kubeconfig")

    @property
    def ca_file(self):
        return os.path.join(self.state_dir, "ca.crt")

    @property
    def token_file(self):
        return os.path.join(self.state_dir, "token")

    @property
    def token(self):
        return self._token

    @property
    def resource_version(self):
        with self.store.cond:
            return self.store.rv

    @property
    def watch_count(self):
        """Watch requests accepted so far (for tests: a client re-watched)."""
        return self._watch_count

    def active_watches(self, kind=None):
        with self.store.cond:
            return sum(1 for w in self.store.watchers if kind is None or w.info.kind == kind)

    # --- state control

    def apply(self, obj_or_yaml):
        """Creates or updates objects (a dict, a list, or YAML/JSON text with one or more
        documents or a List); returns the stored object (or a list of them)."""
        objs = parse_documents(obj_or_yaml)
        out = [self.store.apply(o) for o in objs]
        single = isinstance(obj_or_yaml, dict) and not str(obj_or_yaml.get("kind")).endswith(
            "List")
        return out[0] if single and len(out) == 1 else out

    def delete(self, kind, namespace, name):
        return self.store.delete(kind, namespace, name)

    def compact(self):
        """Drops all history: a watch or continue from any resourceVersion older than the
        current one now gets 410 Expired. Returns the current resourceVersion."""
        return self.store.compact()

    def drop_watches(self):
        """Closes every watch connection abruptly (no final chunk). Returns how many."""
        with self.store.cond:
            ws = list(self.store.watchers)
            for w in ws:
                w.dropped = True
            self.store.cond.notify_all()
        for w in ws:
            _hard_shutdown(w.sock)
        return len(ws)

    def set_bookmark_interval(self, seconds):
        self.bookmark_interval = float(seconds)
        with self.store.cond:
            self.store.cond.notify_all()

    def objects(self, kind):
        info = _kind_info(kind)
        with self.store.cond:
            return [copy.deepcopy(o) for _, o in sorted(self.store.objects[info.kind].items())]

    def load_scenario(self, path):
        with open(path, encoding="utf-8") as fh:
            return self.apply(fh.read())

    def rotate_token(self, grace=60.0):
        """Writes a new token (token file and kubeconfig); the old one is accepted for `grace`
        more seconds."""
        new = secrets.token_urlsafe(32)
        with self._token_lock:
            if self._token is not None:
                self._old_tokens[self._token] = time.monotonic() + grace
            self._token = new
        _atomic_write(self.token_file, new)
        if self._server is not None:
            self._write_kubeconfig()
        return new

    def _token_ok(self, tok):
        with self._token_lock:
            if tok and secrets.compare_digest(tok, self._token or ""):
                return True
            exp = self._old_tokens.get(tok)
            if exp is not None and time.monotonic() < exp:
                return True
        return False

    # --- request helpers

    def version_info(self):
        return {"major": "1", "minor": "30", "gitVersion": "v1.30.0-fake-kube",
                "gitCommit": "0000000000000000000000000000000000000000",
                "gitTreeState": "clean", "buildDate": "2024-01-01T00:00:00Z",
                "goVersion": "go1.22", "compiler": "gc", "platform": "linux/amd64"}

    def discovery(self, path):
        hostport = "%s:%d" % (self.advertise_host if ":" not in self.advertise_host
                              else "[%s]" % self.advertise_host, self._port)
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": hostport}]}
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
                "name": "discovery.k8s.io",
                "versions": [{"groupVersion": "discovery.k8s.io/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": "discovery.k8s.io/v1", "version": "v1"}}]}
        for prefix, gv in (("/api/v1", "v1"), ("/apis/discovery.k8s.io/v1",
                                                "discovery.k8s.io/v1")):
            if path == prefix:
                res = [{"name": k.plural, "singularName": k.kind.lower(),
                        "namespaced": k.namespaced, "kind": k.kind,
                        "verbs": ["get", "list", "watch"]}
                       for k in KINDS.values() if k.prefix == prefix]
                return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                        "resources": res}
        return None

    def _get(self, info, namespace, name):
        with self.store.cond:
            obj = self.store.objects[info.kind].get((namespace or "", name))
            if obj is None:
                raise ApiError(404, "NotFound", '%s "%s" not found' % (info.plural, name),
                               details={"name": name, "kind": info.plural})
            return _with_type(info, copy.deepcopy(obj))

    def _list(self, info, namespace, query):
        flt = Filter(namespace, query.get("labelSelector", ""), query.get("fieldSelector", ""))
        limit = 0
        if query.get("limit"):
            try:
                limit = int(query["limit"])
            except ValueError:
                raise bad_request("invalid limit %r" % query["limit"])
            if limit < 0:
                raise bad_request("limit must not be negative")
        cont = query.get("continue", "")
        rv_param = query.get("resourceVersion", "")
        match = query.get("resourceVersionMatch", "")
        if match not in ("", "Exact", "NotOlderThan"):
            raise bad_request("invalid resourceVersionMatch %r" % match)
        if match and rv_param == "":
            raise bad_request("resourceVersionMatch is forbidden unless resourceVersion is "
                              "provided")
        if match and cont:
            raise bad_request("resourceVersionMatch is forbidden when continue is provided")
        if match == "Exact" and rv_param == "0":
            raise bad_request("resourceVersionMatch \"exact\" is forbidden for resourceVersion "
                              "\"0\"")
        store = self.store
        with store.cond:
            start = ""
            if cont:
                if rv_param not in ("", "0"):
                    raise bad_request("specifying resource version is not allowed when using "
                                      "continue")
                rv, start = _decode_continue(cont)
                if rv == -1:
                    rv = store.rv  # an inconsistent continuation at the latest state
                elif rv < store.compacted_rv:
                    tok = _encode_continue(-1, start)
                    raise expired(CONTINUE_EXPIRED, list_meta={"continue": tok})
            elif rv_param in ("", "0") or match == "NotOlderThan" or \
                    (match == "" and limit == 0):
                want = _parse_rv(rv_param) if rv_param not in ("", "0") else 0
                deadline = time.monotonic() + 3.0
                while want > store.rv and time.monotonic() < deadline:
                    store.cond.wait(deadline - time.monotonic())
                if want > store.rv:
                    raise ApiError(504, "Timeout", "Too large resource version: %d, current: %d"
                                   % (want, store.rv),
                                   details={"causes": [{"reason": "ResourceVersionTooLarge",
                                                        "message": "Too large resource version"}],
                                            "retryAfterSeconds": 1})
                rv = store.rv
            else:  # Exact, or a resourceVersion with limit: exactly that snapshot
                rv = _parse_rv(rv_param)
                if rv > store.rv:
                    raise ApiError(504, "Timeout", "Too large resource version: %d, current: %d"
                                   % (rv, store.rv))
            # items of a typed list carry no kind/apiVersion (the cached JSON has none)
            items, more, remaining, last = store.list_page(info.kind, rv, start, flt, limit)
        meta = {"resourceVersion": str(rv)}
        if more:
            meta["continue"] = _encode_continue(rv, last + "\x00")
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        # The list as json.dumps would write it, with the items' JSON joined in, not re-encoded.
        head = json.dumps({"kind": info.list_kind, "apiVersion": info.api_version,
                           "metadata": meta})
        return RawJson(b"".join((head[:-1].encode(), b', "items": [', b", ".join(items),
                                 b"]}")))

    # --- credentials

    def _init_credentials(self):
        d = self.state_dir
        ca_key, ca_crt = os.path.join(d, "ca.key"), self.ca_file
        if not (os.path.exists(ca_key) and os.path.exists(ca_crt)):
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
                     "-out", ca_crt, "-days", "3650", "-subj", "/CN=fake-kube-ca",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        sans = ["IP:127.0.0.1", "IP:::1", "DNS:localhost"]
        for h in [self.host, self.advertise_host] + self.extra_sans:
            if not h or h in ("0.0.0.0", "::"):
                continue
            try:
                s = "IP:" + str(ipaddress.ip_address(h))
            except ValueError:
                s = "DNS:" + h
            if s not in sans:
                sans.append(s)
        san_line = ",".join(sans)
        srv_key, srv_crt = os.path.join(d, "server.key"), os.path.join(d, "server.crt")
        san_file = os.path.join(d, "server.sans")
        if not (os.path.exists(srv_crt) and os.path.exists(srv_key) and
                _read(san_file) == san_line):
            csr, ext = os.path.join(d, "server.csr"), os.path.join(d, "server.ext")
            _atomic_write(ext, "subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                               "keyUsage=critical,digitalSignature,keyEncipherment\n"
                               "extendedKeyUsage=serverAuth\n" % san_line)
            _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", srv_key,
                     "-out", csr, "-subj", "/CN=fake-kube-apiserver")
            _openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                     "-CAcreateserial", "-out", srv_crt, "-days", "825", "-sha256",
                     "-extfile", ext)
            _atomic_write(san_file, san_line)
        tok = _read(self.token_file)
        self._token = tok.strip() if tok and tok.strip() else secrets.token_urlsafe(32)
        _atomic_write(self.token_file, self._token)
        if not self.plain_http:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(srv_crt, srv_key)
            ctx.set_alpn_protocols(["http/1.1"])
            self.ssl_context = ctx

    def _write_kubeconfig(self):
        cluster = {"server": self.url}
        if not self.plain_http:
            cluster["certificate-authority"] = self.ca_file
        cfg = {"apiVersion": "v1", "kind": "Config", "preferences": {},
               "clusters": [{"name": "fake-kube", "cluster": cluster}],
               "users": [{"name": "fake-kube-user", "user": {"token": self._token}}],
               "contexts": [{"name": "fake-kube", "context": {
                   "cluster": "fake-kube", "user": "fake-kube-user", "namespace": "default"}}],
               "current-context": "fake-kube"}
        _atomic_write(self.kubeconfig, yaml.safe_dump(cfg, sort_keys=False))


def _openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed (exit %d): %s" % (args[0], p.returncode, p.stderr))


def _read(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def _atomic_write(path, text):
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _split_hostport(listen):
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)|([^:]*):(\d+)", listen)
    if not m:
        raise ValueError("--listen must be HOST:PORT or [IPV6]:PORT, not %r" % listen)
    if m.group(1) is not None:
        return m.group(1), int(m.group(2))
    return m.group(3), int(m.group(4))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Kubernetes API server (Nodes, Services, "
                                 "EndpointSlices; list and watch).")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT or [IPV6]:PORT")
    ap.add_argument("--state-dir", required=True,
                    help="where ca.crt, server.crt/key, token and kubeconfig are written")
    ap.add_argument("--scenario", action="append", default=[],
                    help="multi-document YAML of Nodes/Services/EndpointSlices (repeatable)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--plain-http", action="store_true", help="serve HTTP instead of HTTPS")
    ap.add_argument("--advertise-host", help="host in the kubeconfig's server URL (default: "
                    "the listen address, 127.0.0.1 for a wildcard)")
    ap.add_argument("--san", action="append", default=[],
                    help="extra subjectAltName (IP or DNS name) for the server certificate")
    ap.add_argument("--bookmark-interval", type=float, default=DEFAULT_BOOKMARK_INTERVAL,
                    help="seconds between BOOKMARK events (default %(default)s)")
    ap.add_argument("--history-limit", type=int, default=100000,
                    help="watch history length in events; older ones are compacted")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="fake_kube: %(message)s")
    try:
        fk = FakeKube(args.state_dir, args.listen, args.scenario, args.plain_http,
                      args.bookmark_interval, args.advertise_host, args.san, args.history_limit)
        fk.start()
    except (ValueError, OSError, RuntimeError, ApiError, yaml.YAMLError) as e:
        print("fake_kube: error: %s" % e, file=sys.stderr)
        return 2
    if args.port_file:
        _atomic_write(args.port_file, "%d\n" % fk.port)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print("fake_kube: listening on %s (kubeconfig %s)" % (fk.url, fk.kubeconfig), flush=True)
    done.wait()
    fk.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
