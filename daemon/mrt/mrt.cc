#include "daemon/mrt/mrt.h"

#include <zlib.h>

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kbgp::mrt {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("MRT: ", what));
}

// Parses the 12-byte common header (RFC 6396 §2); `len` gets the length field as written.
void ParseHeader(const uint8_t* h, RawRecord* out, uint32_t* len) {
  Reader r(h, kHeaderLength);
  r.ReadU32(&out->timestamp);
  r.ReadU16(&out->type);
  r.ReadU16(&out->subtype);
  r.ReadU32(len);
}

// Checks a header's length field before anything is read or allocated for the body.
absl::Status CheckLength(const RawRecord& rec, uint32_t len, uint64_t offset,
                         absl::string_view where) {
  if (len > kMaxRecordLength) {
    return Malformed(absl::StrFormat(
        "%srecord at offset %d (type %d subtype %d) claims %d bytes, over the %d-byte limit",
        where, offset, rec.type, rec.subtype, len, kMaxRecordLength));
  }
  // RFC 6396 §3: the BGP4MP_ET microsecond field is counted in the length.
  if (rec.type == kBgp4mpEt && len < 4) {
    return Malformed(absl::StrFormat(
        "%sBGP4MP_ET record at offset %d has length %d, too short for its microseconds",
        where, offset, len));
  }
  return absl::OkStatus();
}

bool ReadAddress(Reader* r, bool v6, IpAddress* out) {
  uint8_t b[16];
  if (!r->ReadInto(v6 ? 16 : 4, b)) return false;
  *out = v6 ? IpAddress::V6Bytes(b) : IpAddress::V4Bytes(b);
  return true;
}

bool ReadAs(Reader* r, bool as4, uint32_t* out) {
  if (as4) return r->ReadU32(out);
  uint16_t v;
  if (!r->ReadU16(&v)) return false;
  *out = v;
  return true;
}

// A prefix as in an NLRI (length in bits, then the significant octets), for `family`.
bool ReadPrefix(Reader* r, Family family, Prefix* out) {
  uint8_t len;
  if (!r->ReadU8(&len)) return false;
  int max = family == Family::kIPv4 ? 32 : 128;
  if (len > max) return false;
  uint8_t b[16] = {};
  if (!r->ReadInto((len + 7) / 8, b)) return false;
  IpAddress a = family == Family::kIPv4 ? IpAddress::V4Bytes(b) : IpAddress::V6Bytes(b);
  *out = Prefix::Make(a, len);
  return true;
}

void WritePrefix(const Prefix& p, Writer* w) {
  w->PutU8(p.length());
  w->PutBytes(p.addr().span().first((p.length() + 7) / 8));
}

Header HeaderOf(const RawRecord& raw) {
  return Header{raw.timestamp, raw.microseconds, raw.type, raw.subtype};
}

// The first octet of the MP_REACH_NLRI value in an attribute list, if there is one. RFC 6396
// §4.3.4 says RIB entries hold the abbreviated form (next-hop length first, never 0); some
// collectors write the full RFC 4760 form (AFI first, whose high octet is 0). A walk over
// the list that stops at the first malformed attribute: the real decoder reports those.
std::optional<uint8_t> MpReachFirstOctet(ByteSpan attrs) {
  Reader r(attrs);
  while (!r.empty()) {
    uint8_t flags, type;
    uint16_t len;
    if (!r.ReadU8(&flags) || !r.ReadU8(&type)) return std::nullopt;
    if (flags & wire::attr::kFlagExtendedLength) {
      if (!r.ReadU16(&len)) return std::nullopt;
    } else {
      uint8_t l8;
      if (!r.ReadU8(&l8)) return std::nullopt;
      len = l8;
    }
    Reader value;
    if (!r.ReadSub(len, &value)) return std::nullopt;
    if (type == wire::attr::kMpReachNlri) {
      uint8_t first;
      if (!value.PeekU8(&first)) return std::nullopt;
      return first;
    }
  }
  return std::nullopt;
}

// Decodes the attributes of one RIB entry and normalises MP_REACH (see the header).
absl::Status DecodeRibAttributes(ByteSpan attrs, wire::AfiSafi family, bool four_octet_as,
                                 wire::PathAttributes* out) {
  wire::CodecOptions opts = RibCodecOptions(family, four_octet_as);
  std::optional<uint8_t> first = MpReachFirstOctet(attrs);
  if (first && *first == 0) opts.mrt_abbreviated_mp_reach = false;
  wire::ErrorReport report;
  absl::Status s = wire::DecodePathAttributes(Reader(attrs), opts, /*has_nlri=*/false, out,
                                              &report);
  if (!s.ok()) return Malformed(absl::StrCat("RIB entry attributes: ", s.message()));
  if (out->mp_reach && !out->mp_reach->opaque.empty()) {
    // A full-form MP_REACH_NLRI of a family the wire codec does not decode: it cannot give
    // this entry a next hop (nor could the RFC 6396 §4.3.4 short form hold it), so it is
    // dropped rather than kept half-understood.
    out->mp_reach.reset();
  }
  if (out->mp_reach) {
    out->mp_reach->family = family;
    out->mp_reach->nlri.clear();
  }
  return absl::OkStatus();
}

absl::StatusOr<Record> DecodeTableDump(const RawRecord& raw) {
  // RFC 6396 §4.2: the subtype is the AFI.
  if (raw.subtype != wire::kAfiIPv4 && raw.subtype != wire::kAfiIPv6) {
    return Unsupported{HeaderOf(raw), raw.body};
  }
  bool v6 = raw.subtype == wire::kAfiIPv6;
  Reader r(raw.body);
  Rib rib;
  rib.header = HeaderOf(raw);
  rib.family = v6 ? wire::kIPv6Unicast : wire::kIPv4Unicast;
  RibEntry e;
  uint16_t seq;
  IpAddress prefix;
  uint8_t len;
  uint16_t attr_len;
  Reader attrs;
  if (!r.ReadU16(&rib.view) || !r.ReadU16(&seq) || !ReadAddress(&r, v6, &prefix) ||
      !r.ReadU8(&len) || !r.ReadU8(&rib.status) || !r.ReadU32(&e.originated_time) ||
      !ReadAddress(&r, v6, &e.peer.address) || !ReadAs(&r, false, &e.peer.asn) ||
      !r.ReadU16(&attr_len) || !r.ReadSub(attr_len, &attrs)) {
    return Malformed("TABLE_DUMP record truncated");
  }
  if (len > prefix.bit_length()) return Malformed("TABLE_DUMP prefix length too long");
  if (!r.empty()) return Malformed("TABLE_DUMP record has trailing bytes");
  rib.sequence = seq;
  rib.prefix = Prefix::Make(prefix, len);
  e.peer.as4 = false;
  // RFC 6396 §4.2: TABLE_DUMP attributes carry 2-octet AS numbers.
  absl::Status s = DecodeRibAttributes(attrs.all(), rib.family, false, &e.attrs);
  if (!s.ok()) return s;
  rib.entries.push_back(std::move(e));
  return rib;
}

absl::StatusOr<Record> DecodePeerIndexTable(const RawRecord& raw) {
  Reader r(raw.body);
  PeerIndexTable t;
  t.header = HeaderOf(raw);
  uint16_t name_len, count;
  ByteSpan name;
  if (!r.ReadU32(&t.collector_bgp_id) || !r.ReadU16(&name_len) ||
      !r.ReadSpan(name_len, &name) || !r.ReadU16(&count)) {
    return Malformed("PEER_INDEX_TABLE truncated");
  }
  t.view_name.assign(name.begin(), name.end());
  // Each peer takes at least 11 bytes; bound the reservation by what the body can hold.
  t.peers.reserve(std::min<size_t>(count, r.remaining() / 11));
  for (uint16_t i = 0; i < count; ++i) {
    uint8_t type;
    Peer p;
    if (!r.ReadU8(&type) || !r.ReadU32(&p.bgp_id) ||
        !ReadAddress(&r, type & td2::kPeerTypeIpv6, &p.address) ||
        !ReadAs(&r, type & td2::kPeerTypeAs4, &p.asn)) {
      return Malformed(absl::StrFormat("PEER_INDEX_TABLE truncated at peer %d of %d", i, count));
    }
    p.as4 = type & td2::kPeerTypeAs4;
    t.peers.push_back(p);
  }
  if (!r.empty()) return Malformed("PEER_INDEX_TABLE has trailing bytes");
  return t;
}

absl::StatusOr<Record> DecodeTableDumpV2Rib(const RawRecord& raw, const PeerIndexTable* peers) {
  Rib rib;
  rib.header = HeaderOf(raw);
  bool generic = false;
  switch (raw.subtype) {
    case td2::kRibIpv4Unicast: rib.family = wire::kIPv4Unicast; break;
    case td2::kRibIpv4Multicast: rib.family = {wire::kAfiIPv4, wire::kSafiMulticast}; break;
    case td2::kRibIpv6Unicast: rib.family = wire::kIPv6Unicast; break;
    case td2::kRibIpv6Multicast: rib.family = {wire::kAfiIPv6, wire::kSafiMulticast}; break;
    case td2::kRibIpv4UnicastAddPath:
      rib.family = wire::kIPv4Unicast;
      rib.add_path = true;
      break;
    case td2::kRibIpv4MulticastAddPath:
      rib.family = {wire::kAfiIPv4, wire::kSafiMulticast};
      rib.add_path = true;
      break;
    case td2::kRibIpv6UnicastAddPath:
      rib.family = wire::kIPv6Unicast;
      rib.add_path = true;
      break;
    case td2::kRibIpv6MulticastAddPath:
      rib.family = {wire::kAfiIPv6, wire::kSafiMulticast};
      rib.add_path = true;
      break;
    case td2::kRibGeneric: generic = true; break;
    case td2::kRibGenericAddPath:
      generic = true;
      rib.add_path = true;
      break;
    default: return Unsupported{HeaderOf(raw), raw.body};
  }
  Reader r(raw.body);
  if (!r.ReadU32(&rib.sequence)) return Malformed("RIB record truncated");
  if (generic) {
    // RFC 6396 §4.3.3: AFI, SAFI, then one NLRI. Only the IP families kbgp knows are decoded.
    uint8_t safi;
    if (!r.ReadU16(&rib.family.afi) || !r.ReadU8(&safi)) return Malformed("RIB_GENERIC truncated");
    rib.family.safi = safi;
    bool ip = (rib.family.afi == wire::kAfiIPv4 || rib.family.afi == wire::kAfiIPv6) &&
              (safi == wire::kSafiUnicast || safi == wire::kSafiMulticast);
    if (!ip) return Unsupported{HeaderOf(raw), raw.body};
  }
  if (!peers) return Malformed("RIB record before any PEER_INDEX_TABLE");
  Family fam = rib.family.afi == wire::kAfiIPv4 ? Family::kIPv4 : Family::kIPv6;
  uint16_t count;
  if (!ReadPrefix(&r, fam, &rib.prefix)) return Malformed("RIB record has a bad prefix");
  if (!r.ReadU16(&count)) return Malformed("RIB record truncated");
  // An entry takes at least 8 bytes.
  rib.entries.reserve(std::min<size_t>(count, r.remaining() / 8));
  for (uint16_t i = 0; i < count; ++i) {
    RibEntry e;
    uint16_t attr_len;
    Reader attrs;
    if (!r.ReadU16(&e.peer_index) || !r.ReadU32(&e.originated_time) ||
        (rib.add_path && !r.ReadU32(&e.path_id)) || !r.ReadU16(&attr_len) ||
        !r.ReadSub(attr_len, &attrs)) {
      return Malformed(absl::StrFormat("RIB record truncated at entry %d of %d", i, count));
    }
    if (e.peer_index >= peers->peers.size()) {
      return Malformed(absl::StrFormat("RIB entry peer index %d, the table has %d peers",
                                       e.peer_index, peers->peers.size()));
    }
    e.peer = peers->peers[e.peer_index];
    // RFC 6396 §4.3.4: 4-octet AS numbers always.
    absl::Status s = DecodeRibAttributes(attrs.all(), rib.family, true, &e.attrs);
    if (!s.ok()) return s;
    rib.entries.push_back(std::move(e));
  }
  if (!r.empty()) return Malformed("RIB record has trailing bytes");
  return rib;
}

// The peer header shared by BGP4MP messages and state changes (RFC 6396 §4.4).
struct PeerHeader {
  uint32_t peer_as = 0, local_as = 0;
  uint16_t ifindex = 0;
  IpAddress peer, local;
};

bool ReadPeerHeader(Reader* r, bool as4, PeerHeader* h) {
  uint16_t afi;
  if (!ReadAs(r, as4, &h->peer_as) || !ReadAs(r, as4, &h->local_as) || !r->ReadU16(&h->ifindex) ||
      !r->ReadU16(&afi)) {
    return false;
  }
  if (afi != wire::kAfiIPv4 && afi != wire::kAfiIPv6) return false;
  bool v6 = afi == wire::kAfiIPv6;
  return ReadAddress(r, v6, &h->peer) && ReadAddress(r, v6, &h->local);
}

absl::StatusOr<Record> DecodeBgp4mp(const RawRecord& raw) {
  uint16_t st = raw.subtype;
  Reader r(raw.body);
  PeerHeader h;
  if (st == bgp4mp::kStateChange || st == bgp4mp::kStateChangeAs4) {
    StateChange sc;
    sc.header = HeaderOf(raw);
    sc.as4 = st == bgp4mp::kStateChangeAs4;
    if (!ReadPeerHeader(&r, sc.as4, &h) || !r.ReadU16(&sc.old_state) ||
        !r.ReadU16(&sc.new_state)) {
      return Malformed("BGP4MP_STATE_CHANGE truncated or unknown address family");
    }
    if (!r.empty()) return Malformed("BGP4MP_STATE_CHANGE has trailing bytes");
    sc.peer_as = h.peer_as;
    sc.local_as = h.local_as;
    sc.interface_index = h.ifindex;
    sc.peer_address = h.peer;
    sc.local_address = h.local;
    return sc;
  }
  bool as4, local, add_path;
  switch (st) {
    case bgp4mp::kMessage: as4 = false, local = false, add_path = false; break;
    case bgp4mp::kMessageAs4: as4 = true, local = false, add_path = false; break;
    case bgp4mp::kMessageLocal: as4 = false, local = true, add_path = false; break;
    case bgp4mp::kMessageAs4Local: as4 = true, local = true, add_path = false; break;
    case bgp4mp::kMessageAddPath: as4 = false, local = false, add_path = true; break;
    case bgp4mp::kMessageAs4AddPath: as4 = true, local = false, add_path = true; break;
    case bgp4mp::kMessageLocalAddPath: as4 = false, local = true, add_path = true; break;
    case bgp4mp::kMessageAs4LocalAddPath: as4 = true, local = true, add_path = true; break;
    default: return Unsupported{HeaderOf(raw), raw.body};
  }
  if (!ReadPeerHeader(&r, as4, &h)) {
    return Malformed("BGP4MP_MESSAGE truncated or unknown address family");
  }
  absl::StatusOr<wire::Message> m = wire::DecodeMessage(r.rest(), Bgp4mpCodecOptions(st));
  if (!m.ok()) return Malformed(absl::StrCat("BGP4MP_MESSAGE: ", m.status().message()));
  Bgp4mpMessage msg;
  msg.header = HeaderOf(raw);
  msg.peer_as = h.peer_as;
  msg.local_as = h.local_as;
  msg.interface_index = h.ifindex;
  msg.peer_address = h.peer;
  msg.local_address = h.local;
  msg.as4 = as4;
  msg.local = local;
  msg.add_path = add_path;
  msg.message = *std::move(m);
  return msg;
}

void PutHeader(uint32_t ts, uint16_t type, uint16_t subtype, Writer* w) {
  w->PutU32(ts);
  w->PutU16(type);
  w->PutU16(subtype);
}

}  // namespace

// ---- Raw records ----

absl::Status EncodeRawRecord(const RawRecord& r, Bytes* out) {
  size_t len = r.body.size() + (r.type == kBgp4mpEt ? 4 : 0);
  if (len > kMaxRecordLength) return Malformed("record too long to write");
  Writer w(out);
  PutHeader(r.timestamp, r.type, r.subtype, &w);
  w.PutU32(static_cast<uint32_t>(len));
  if (r.type == kBgp4mpEt) w.PutU32(r.microseconds);
  w.PutBytes(r.body);
  return absl::OkStatus();
}

absl::StatusOr<bool> SpanReader::Next(RawRecord* out) {
  if (offset_ == data_.size()) return false;
  size_t left = data_.size() - offset_;
  if (left < kHeaderLength) {
    return Malformed(absl::StrFormat("truncated header at offset %d (%d bytes left)", offset_,
                                     left));
  }
  RawRecord rec;
  uint32_t len;
  ParseHeader(data_.data() + offset_, &rec, &len);
  if (absl::Status s = CheckLength(rec, len, offset_, ""); !s.ok()) return s;
  if (len > left - kHeaderLength) {
    return Malformed(absl::StrFormat(
        "record at offset %d (type %d subtype %d) claims %d bytes, only %d left", offset_,
        rec.type, rec.subtype, len, left - kHeaderLength));
  }
  Reader body(data_.subspan(offset_ + kHeaderLength, len));
  if (rec.type == kBgp4mpEt) body.ReadU32(&rec.microseconds);
  rec.body.assign(body.rest().begin(), body.rest().end());
  rec.offset = offset_;
  offset_ += kHeaderLength + len;
  *out = std::move(rec);
  return true;
}

absl::StatusOr<std::unique_ptr<FileReader>> FileReader::Open(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) {
    return absl::NotFoundError(absl::StrCat("MRT: cannot open ", path));
  }
  gzbuffer(gz, 128 * 1024);
  return std::unique_ptr<FileReader>(new FileReader(path, gz));
}

FileReader::~FileReader() { gzclose(static_cast<gzFile>(gz_)); }

absl::StatusOr<size_t> FileReader::Read(uint8_t* buf, size_t n) {
  gzFile gz = static_cast<gzFile>(gz_);
  size_t got = 0;
  while (got < n) {
    int k = gzread(gz, buf + got, static_cast<unsigned>(std::min<size_t>(n - got, 1 << 20)));
    if (k < 0) {
      int errnum;
      const char* msg = gzerror(gz, &errnum);
      return absl::DataLossError(absl::StrFormat("MRT: %s: read error near offset %d: %s",
                                                 path_, offset_ + got, msg));
    }
    if (k == 0) break;
    got += static_cast<size_t>(k);
  }
  if (got < n) {
    // A gzip stream that ends before its trailer reads as a short file; say so.
    int errnum = Z_OK;
    const char* msg = gzerror(gz, &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END) {
      return absl::DataLossError(absl::StrFormat("MRT: %s: near offset %d: %s", path_,
                                                 offset_ + got, msg));
    }
  }
  return got;
}

absl::StatusOr<bool> FileReader::Next(RawRecord* out) {
  if (!sticky_.ok()) return sticky_;
  auto fail = [this](absl::Status s) {
    sticky_ = s;
    return s;
  };
  uint8_t h[kHeaderLength];
  absl::StatusOr<size_t> n = Read(h, kHeaderLength);
  if (!n.ok()) return fail(n.status());
  if (*n == 0) return false;
  if (*n < kHeaderLength) {
    return fail(Malformed(absl::StrFormat("%s: truncated header at offset %d (%d bytes left)",
                                          path_, offset_, *n)));
  }
  RawRecord rec;
  uint32_t len;
  ParseHeader(h, &rec, &len);
  if (absl::Status s = CheckLength(rec, len, offset_, absl::StrCat(path_, ": ")); !s.ok()) {
    return fail(s);
  }
  // Grow the body as bytes arrive, so a lying length costs no more memory than the file has.
  Bytes body;
  size_t have = 0;
  while (have < len) {
    size_t chunk = std::min<size_t>(len - have, 256 * 1024);
    body.resize(have + chunk);
    absl::StatusOr<size_t> k = Read(body.data() + have, chunk);
    if (!k.ok()) return fail(k.status());
    have += *k;
    if (*k < chunk) {
      return fail(Malformed(absl::StrFormat(
          "%s: record at offset %d (type %d subtype %d) claims %d bytes, the file ends after "
          "%d",
          path_, offset_, rec.type, rec.subtype, len, have)));
    }
  }
  size_t skip = 0;
  if (rec.type == kBgp4mpEt) {
    Reader r(body);
    r.ReadU32(&rec.microseconds);
    skip = 4;
  }
  rec.body.assign(body.begin() + skip, body.end());
  rec.offset = offset_;
  offset_ += kHeaderLength + len;
  *out = std::move(rec);
  return true;
}

// ---- Decoding ----

Peer MakePeer(uint32_t bgp_id, const IpAddress& address, uint32_t asn) {
  return Peer{bgp_id, address, asn, asn > 0xffff};
}

wire::CodecOptions Bgp4mpCodecOptions(uint16_t subtype) {
  wire::CodecOptions o;
  o.four_octet_as = subtype == bgp4mp::kMessageAs4 || subtype == bgp4mp::kMessageAs4Local ||
                    subtype == bgp4mp::kMessageAs4AddPath ||
                    subtype == bgp4mp::kMessageAs4LocalAddPath;
  bool add_path = subtype >= bgp4mp::kMessageAddPath && subtype <= bgp4mp::kMessageAs4LocalAddPath;
  o.add_path_ipv4 = add_path;
  o.add_path_ipv6 = add_path;
  o.extended_message = true;
  // Keep everything the peer sent: no eBGP-only discards (RFC 7606 §7.5) in a dump.
  o.external_peer = false;
  return o;
}

wire::CodecOptions RibCodecOptions(wire::AfiSafi family, bool four_octet_as) {
  wire::CodecOptions o;
  o.four_octet_as = four_octet_as;
  o.extended_message = true;
  o.external_peer = false;
  o.mrt_abbreviated_mp_reach = true;
  o.mrt_family = family;
  return o;
}

absl::StatusOr<Record> Decoder::Decode(const RawRecord& raw) {
  switch (raw.type) {
    case kTableDump: return DecodeTableDump(raw);
    case kTableDumpV2:
      if (raw.subtype == td2::kPeerIndexTable) {
        absl::StatusOr<Record> t = DecodePeerIndexTable(raw);
        if (t.ok()) peers_ = std::get<PeerIndexTable>(*t);
        return t;
      }
      return DecodeTableDumpV2Rib(raw, peer_index_table());
    case kBgp4mp:
    case kBgp4mpEt: return DecodeBgp4mp(raw);
    default: return Unsupported{HeaderOf(raw), raw.body};
  }
}

// ---- Writing ----

absl::Status EncodePeerIndexTable(const PeerIndexTable& t, Bytes* out) {
  if (t.view_name.size() > 0xffff) return Malformed("view name too long");
  if (t.peers.size() > 0xffff) return Malformed("more than 65535 peers");
  Bytes body;
  Writer w(&body);
  w.PutU32(t.collector_bgp_id);
  w.PutU16(static_cast<uint16_t>(t.view_name.size()));
  w.PutBytes(ByteSpan(reinterpret_cast<const uint8_t*>(t.view_name.data()), t.view_name.size()));
  w.PutU16(static_cast<uint16_t>(t.peers.size()));
  for (const Peer& p : t.peers) {
    if (!p.as4 && p.asn > 0xffff) return Malformed("2-octet peer with a 4-octet AS number");
    w.PutU8((p.address.is_v6() ? td2::kPeerTypeIpv6 : 0) | (p.as4 ? td2::kPeerTypeAs4 : 0));
    w.PutU32(p.bgp_id);
    w.PutBytes(p.address.span());
    if (p.as4) {
      w.PutU32(p.asn);
    } else {
      w.PutU16(static_cast<uint16_t>(p.asn));
    }
  }
  RawRecord r;
  r.timestamp = t.header.timestamp;
  r.type = kTableDumpV2;
  r.subtype = td2::kPeerIndexTable;
  r.body = std::move(body);
  return EncodeRawRecord(r, out);
}

absl::Status EncodeRib(const Rib& rib, Bytes* out) {
  uint16_t subtype;
  wire::AfiSafi f = rib.family;
  if (f == wire::kIPv4Unicast) {
    subtype = rib.add_path ? td2::kRibIpv4UnicastAddPath : td2::kRibIpv4Unicast;
  } else if (f == wire::kIPv6Unicast) {
    subtype = rib.add_path ? td2::kRibIpv6UnicastAddPath : td2::kRibIpv6Unicast;
  } else if (f == wire::AfiSafi{wire::kAfiIPv4, wire::kSafiMulticast}) {
    subtype = rib.add_path ? td2::kRibIpv4MulticastAddPath : td2::kRibIpv4Multicast;
  } else if (f == wire::AfiSafi{wire::kAfiIPv6, wire::kSafiMulticast}) {
    subtype = rib.add_path ? td2::kRibIpv6MulticastAddPath : td2::kRibIpv6Multicast;
  } else {
    return Malformed("EncodeRib: only IPv4/IPv6 unicast and multicast");
  }
  bool v6 = f.afi == wire::kAfiIPv6;
  if (rib.prefix.addr().is_v6() != v6) return Malformed("EncodeRib: prefix family mismatch");
  if (rib.entries.size() > 0xffff) return Malformed("EncodeRib: more than 65535 entries");
  Bytes body;
  Writer w(&body);
  w.PutU32(rib.sequence);
  WritePrefix(rib.prefix, &w);
  w.PutU16(static_cast<uint16_t>(rib.entries.size()));
  wire::CodecOptions opts = RibCodecOptions(f, true);
  for (const RibEntry& e : rib.entries) {
    w.PutU16(e.peer_index);
    w.PutU32(e.originated_time);
    if (rib.add_path) w.PutU32(e.path_id);
    size_t at = w.ReserveU16();
    // RFC 6396 §4.3.4: MP_REACH_NLRI holds only the next hop; the prefix is the record's.
    wire::PathAttributes attrs = e.attrs;
    if (attrs.mp_reach) {
      attrs.mp_reach->family = f;
      attrs.mp_reach->nlri.clear();
    }
    absl::Status s = wire::EncodePathAttributes(attrs, opts, &body);
    if (!s.ok()) return s;
    if (!w.PatchU16Length(at)) return Malformed("EncodeRib: attributes over 65535 bytes");
  }
  RawRecord r;
  r.timestamp = rib.header.timestamp;
  r.type = kTableDumpV2;
  r.subtype = subtype;
  r.body = std::move(body);
  return EncodeRawRecord(r, out);
}

absl::StatusOr<std::unique_ptr<FileWriter>> FileWriter::Open(const std::string& path,
                                                             bool gzip) {
  if (gzip) {
    gzFile gz = gzopen(path.c_str(), "wb");
    if (gz == nullptr) return absl::UnavailableError(absl::StrCat("MRT: cannot create ", path));
    return std::unique_ptr<FileWriter>(new FileWriter(path, gz, nullptr));
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return absl::UnavailableError(absl::StrCat("MRT: cannot create ", path));
  return std::unique_ptr<FileWriter>(new FileWriter(path, nullptr, f));
}

FileWriter::~FileWriter() { (void)Close(); }

absl::Status FileWriter::WriteBytes(const Bytes& b) {
  if (gz_ != nullptr) {
    if (b.empty()) return absl::OkStatus();
    if (gzwrite(static_cast<gzFile>(gz_), b.data(), static_cast<unsigned>(b.size())) !=
        static_cast<int>(b.size())) {
      return absl::DataLossError(absl::StrCat("MRT: write to ", path_, " failed"));
    }
    return absl::OkStatus();
  }
  if (file_ == nullptr) return absl::FailedPreconditionError("MRT: writer is closed");
  if (std::fwrite(b.data(), 1, b.size(), static_cast<FILE*>(file_)) != b.size()) {
    return absl::DataLossError(absl::StrCat("MRT: write to ", path_, " failed"));
  }
  return absl::OkStatus();
}

absl::Status FileWriter::WritePeerIndexTable(const PeerIndexTable& t) {
  Bytes b;
  if (absl::Status s = EncodePeerIndexTable(t, &b); !s.ok()) return s;
  if (absl::Status s = WriteBytes(b); !s.ok()) return s;
  peer_count_ = t.peers.size();
  have_peers_ = true;
  return absl::OkStatus();
}

absl::Status FileWriter::WriteRib(const Rib& rib) {
  if (!have_peers_) return absl::FailedPreconditionError("MRT: RIB before PEER_INDEX_TABLE");
  for (const RibEntry& e : rib.entries) {
    if (e.peer_index >= peer_count_) {
      return absl::InvalidArgumentError(
          absl::StrFormat("MRT: peer index %d, the table has %d peers", e.peer_index,
                          peer_count_));
    }
  }
  Bytes b;
  if (absl::Status s = EncodeRib(rib, &b); !s.ok()) return s;
  return WriteBytes(b);
}

absl::Status FileWriter::Close() {
  absl::Status s;
  if (gz_ != nullptr) {
    if (gzclose(static_cast<gzFile>(gz_)) != Z_OK) {
      s = absl::DataLossError(absl::StrCat("MRT: closing ", path_, " failed"));
    }
    gz_ = nullptr;
  }
  if (file_ != nullptr) {
    if (std::fclose(static_cast<FILE*>(file_)) != 0) {
      s = absl::DataLossError(absl::StrCat("MRT: closing ", path_, " failed"));
    }
    file_ = nullptr;
  }
  return s;
}

}  // namespace kbgp::mrt
