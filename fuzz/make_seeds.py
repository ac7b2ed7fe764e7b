#!/usr/bin/env python3
"""Writes the seed corpora of the wire fuzz targets (fuzz/corpus/fuzz_{message,update,open}).

Seeds are real UPDATEs cut from a RIPE RIS update stream (one per distinct set of attribute
types and NLRI shape, so the corpus covers what real peers send), plus hand-built OPENs like
those gobgpd, BIRD and FRR send, and one of each small message. Run from the repo root:
    python3 fuzz/make_seeds.py testdata/mrt/updates.20160811.1600.gz
"""
import gzip
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER = b"\xff" * 16


def msg(type_, body):
    return MARKER + struct.pack("!HB", 19 + len(body), type_) + body


def write(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def attr_types(body):
    wlen = struct.unpack("!H", body[0:2])[0]
    alen = struct.unpack("!H", body[2 + wlen:4 + wlen])[0]
    attrs = body[4 + wlen:4 + wlen + alen]
    types, i = [], 0
    while i + 3 <= len(attrs):
        flags, t = attrs[i], attrs[i + 1]
        if flags & 0x10:
            ln = struct.unpack("!H", attrs[i + 2:i + 4])[0]
            i += 4 + ln
        else:
            ln = attrs[i + 2]
            i += 3 + ln
        types.append(t)
    nlri = len(body) - 4 - wlen - alen
    return tuple(sorted(types)), wlen > 0, nlri > 0


def real_updates(path, limit=40):
    seen = set()
    out = []
    with gzip.open(path, "rb") as f:
        data = f.read()
    i = 0
    while i + 12 <= len(data) and len(out) < limit:
        _ts, typ, sub, ln = struct.unpack("!IHHI", data[i:i + 12])
        body = data[i + 12:i + 12 + ln]
        i += 12 + ln
        if typ != 16 or sub not in (1, 4):  # BGP4MP MESSAGE / MESSAGE_AS4
            continue
        asl = 4 if sub == 4 else 2
        afi = struct.unpack("!H", body[2 * asl + 2:2 * asl + 4])[0]
        off = 2 * asl + 4 + (8 if afi == 1 else 32)
        m = body[off:]
        if len(m) < 19 or m[18] != 2:
            continue
        key = (sub,) + attr_types(m[19:])
        if key in seen:
            continue
        seen.add(key)
        out.append((sub == 4, m))
    return out


def cap(code, value=b""):
    return bytes([code, len(value)]) + value


def open_body(my_as, hold, bgp_id, caps):
    params = b"".join(bytes([2, len(c)]) + c for c in caps)
    return struct.pack("!BHHI", 4, my_as, hold, bgp_id) + bytes([len(params)]) + params


def main():
    src = sys.argv[1]
    for as4, m in real_updates(src):
        opt = 0x01 if as4 else 0x00
        write("fuzz_message", bytes([opt | 0x10]) + m)
        write("fuzz_update", bytes([opt | 0x10]) + m[19:])

    mp4 = cap(1, struct.pack("!HBB", 1, 0, 1))
    mp6 = cap(1, struct.pack("!HBB", 2, 0, 1))
    opens = [
        # gobgpd-like: 4-octet AS, MP v4/v6, route refresh, GR, ADD-PATH, FQDN.
        open_body(23456, 90, 0x0a000001, [
            mp4, mp6, cap(2), cap(65, struct.pack("!I", 4200000001)),
            cap(64, struct.pack("!H", 0x8078) + struct.pack("!HBB", 1, 1, 0x80)),
            cap(69, struct.pack("!HBB", 1, 1, 3) + struct.pack("!HBB", 2, 1, 1)),
            cap(73, b"\x05node1\x07cluster"),
        ]),
        # BIRD-like: extended message, enhanced route refresh, LLGR, extended next hop.
        open_body(65001, 240, 0xc0000201, [
            mp4, cap(2), cap(70), cap(6), cap(65, struct.pack("!I", 65001)),
            cap(5, struct.pack("!HHH", 1, 1, 2)),
            cap(71, struct.pack("!HBB", 1, 1, 0) + b"\x00\x0e\x10"),
        ]),
        # FRR-like: several capabilities in one parameter, Cisco route refresh, unknown cap.
        struct.pack("!BHHI", 4, 65002, 180, 0x0a000002) + bytes([14]) +
        bytes([2, 12]) + mp4 + cap(128) + cap(2) + cap(200, b"\x01\x02"),
    ]
    for b in opens:
        write("fuzz_open", b)
        write("fuzz_message", bytes([0x01]) + msg(1, b))
    write("fuzz_message", b"\x00" + msg(4, b""))
    write("fuzz_message", b"\x00" + msg(3, b"\x06\x02\x05shut!"))
    write("fuzz_message", b"\x00" + msg(5, struct.pack("!HBB", 2, 1, 1)))


if __name__ == "__main__":
    main()
