// Path attribute list codec and RFC 7606 classification.
//
// Decoding walks the list once. Each attribute is read through a sub-reader of exactly its
// length; its RFC 7606 §7 rule decides between keeping it, attribute-discard,
// treat-as-withdraw (both recorded in the ErrorReport; the attribute is then not stored) and
// session reset (a non-OK status carrying the NOTIFICATION).
//
// The encoder is the decoder's inverse on everything the decoder produces:
// decode -> encode -> decode yields an equal PathAttributes. To make that hold, the decoder
// normalises what the encoder could not reproduce: unknown transitive attributes get the
// Partial bit (we would send them that way), unknown attributes are sorted by type code
// (duplicates are already gone, §3 g), and flag bits the encoder chooses (Extended Length,
// the four unused low bits) are not stored.
#include <algorithm>
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/common/bytes.h"
#include "daemon/common/ip.h"
#include "daemon/common/status.h"
#include "daemon/wire/attributes.h"
#include "daemon/wire/constants.h"

namespace kbgp::wire {
namespace {

using attr::kFlagExtendedLength;
using attr::kFlagOptional;
using attr::kFlagPartial;
using attr::kFlagTransitive;

constexpr uint8_t kWellKnown = kFlagTransitive;                        // O=0 T=1
constexpr uint8_t kOptionalTransitive = kFlagOptional | kFlagTransitive;  // O=1 T=1
constexpr uint8_t kOptionalNonTransitive = kFlagOptional;              // O=1 T=0
constexpr uint8_t kOptionalTransitiveMask = kFlagOptional | kFlagTransitive;
constexpr size_t kMaxSegmentAsns = 255;  // RFC 4271 §4.3: 1-octet segment length

// RFC 4271 §5 / RFC 4760 / RFC 6793 / RFC 8092: the Optional and Transitive bits each
// recognised attribute must carry. -1: not an attribute kbgp recognises.
int ExpectedFlags(uint8_t type) {
  switch (type) {
    case attr::kOrigin:
    case attr::kAsPath:
    case attr::kNextHop:
    case attr::kLocalPref:
    case attr::kAtomicAggregate:
      return kWellKnown;
    case attr::kMultiExitDisc:
    case attr::kOriginatorId:
    case attr::kClusterList:
    case attr::kMpReachNlri:
    case attr::kMpUnreachNlri:
      return kOptionalNonTransitive;
    case attr::kAggregator:
    case attr::kCommunities:
    case attr::kExtendedCommunities:
    case attr::kAs4Path:
    case attr::kAs4Aggregator:
    case attr::kLargeCommunity:
      return kOptionalTransitive;
    default:
      return -1;
  }
}

bool IsConfed(AsSegmentType t) {
  return t == AsSegmentType::kConfedSequence || t == AsSegmentType::kConfedSet;
}

bool IsSequence(AsSegmentType t) {
  return t == AsSegmentType::kSequence || t == AsSegmentType::kConfedSequence;
}

std::optional<Family> FamilyOf(AfiSafi f) {
  if (f.safi != kSafiUnicast && f.safi != kSafiMulticast) return std::nullopt;
  if (f.afi == kAfiIPv4) return Family::kIPv4;
  if (f.afi == kAfiIPv6) return Family::kIPv6;
  return std::nullopt;
}

// RFC 4271 §4.3 path segments. Returns nullptr on success, else why the path is malformed
// (the RFC 7606 §7.2 conditions: unknown segment type, overrun, a lone trailing octet, a
// zero-length segment).
const char* ParseAsPath(Reader r, size_t asn_size, AsPath* out) {
  out->clear();
  while (!r.empty()) {
    uint8_t type = 0, count = 0;
    if (!r.ReadU8(&type) || !r.ReadU8(&count)) return "truncated segment header";
    if (type < 1 || type > 4) return "unknown segment type";
    if (count == 0) return "zero-length segment";
    if (r.remaining() < count * asn_size) return "segment overruns attribute";
    AsSegment seg;
    seg.type = static_cast<AsSegmentType>(type);
    seg.asns.resize(count);
    for (uint32_t& asn : seg.asns) {
      if (asn_size == 4) {
        r.ReadU32(&asn);
      } else {
        uint16_t v = 0;
        r.ReadU16(&v);
        asn = v;
      }
    }
    out->push_back(std::move(seg));
  }
  return nullptr;
}

// RFC 6793 §4.2.3: rebuilds the path from AS_PATH and AS4_PATH (the caller checked that
// AS4_PATH is not longer). Takes as many AS numbers from the leading part of AS_PATH as
// AS_PATH has more than AS4_PATH, counted as RFC 4271 §9.1.2.2 a (a set counts 1,
// confederation segments 0); a confederation segment is taken when it leads or is adjacent
// to a taken segment. Segment boundaries are kept as they are, so the encoder can rebuild
// the same AS_PATH/AS4_PATH pair (see EncodeAsPathPair).
AsPath MergeAs4Path(const AsPath& as_path, const AsPath& as4_path) {
  const int want = AsPathLength(as_path) - AsPathLength(as4_path);
  AsPath merged;
  int taken = 0;
  for (const AsSegment& seg : as_path) {
    if (IsConfed(seg.type)) {
      merged.push_back(seg);
      continue;
    }
    if (taken >= want) break;
    if (seg.type == AsSegmentType::kSet) {
      merged.push_back(seg);
      ++taken;
      continue;
    }
    const size_t left = static_cast<size_t>(want - taken);
    if (seg.asns.size() <= left) {
      merged.push_back(seg);
      taken += static_cast<int>(seg.asns.size());
      continue;
    }
    // A partial sequence ends the prefix; nothing after it is adjacent to what was taken.
    AsSegment part;
    part.type = seg.type;
    part.asns.assign(seg.asns.begin(), seg.asns.begin() + static_cast<ptrdiff_t>(left));
    merged.push_back(std::move(part));
    taken = want;
    break;
  }
  merged.insert(merged.end(), as4_path.begin(), as4_path.end());
  return merged;
}

class AttributeDecoder {
 public:
  AttributeDecoder(const CodecOptions& opts, PathAttributes* out, ErrorReport* report)
      : opts_(opts), out_(out), report_(report) {}

  absl::Status Run(Reader r, bool has_nlri);

 private:
  // One attribute: raw_ is the whole attribute as received (flags, type, length, value),
  // which RFC 4271 §6.3 wants as NOTIFICATION data for most UPDATE errors.
  absl::Status DecodeOne(uint8_t flags, uint8_t type, Reader value);
  absl::Status DecodeMpReach(Reader value);
  absl::Status DecodeMpUnreach(Reader value);
  absl::Status DecodeMpNextHop(AfiSafi family, Reader nh, MpReach* mp);
  void DecodeAs4Path(Reader value);
  void MergeAs4();
  void CheckMandatory(bool has_nlri);

  void Soft(uint8_t type, ErrorAction action, absl::string_view why) {
    report_->Add(type, action, absl::StrCat(AttributeName(type), ": ", why));
  }
  absl::Status Reset(uint8_t subcode, absl::string_view why) {
    return BgpError(err::kUpdateMessage, subcode, raw_,
                    absl::StrCat(AttributeName(type_), ": ", why));
  }

  const CodecOptions& opts_;
  PathAttributes* out_;
  ErrorReport* report_;
  std::bitset<256> seen_;
  ByteSpan raw_;
  uint8_t type_ = 0;
  std::optional<AsPath> as4_path_;
  std::optional<Aggregator> as4_aggregator_;
};

absl::Status AttributeDecoder::Run(Reader r, bool has_nlri) {
  while (!r.empty()) {
    const ByteSpan start = r.rest();
    uint8_t flags = 0, type = 0;
    r.PeekU8(&flags);
    const size_t header = (flags & kFlagExtendedLength) ? 4 : 3;
    if (r.remaining() < header) {
      // RFC 7606 §4, second case: data left over but too short for an attribute header.
      // Treat-as-withdraw; the Total Path Attribute Length still locates the NLRI.
      Soft(start.size() >= 2 ? start[1] : 0, ErrorAction::kTreatAsWithdraw,
           "attribute list ends inside an attribute header");
      break;
    }
    uint16_t len = 0;
    r.ReadU8(&flags);
    r.ReadU8(&type);
    if (flags & kFlagExtendedLength) {
      r.ReadU16(&len);
    } else {
      uint8_t l8 = 0;
      r.ReadU8(&l8);
      len = l8;
    }
    Reader value;
    type_ = type;
    if (!r.ReadSub(len, &value)) {
      raw_ = start;
      // RFC 7606 §4, first case: the last attribute overruns the list -> treat-as-withdraw.
      // Withdrawing needs the MP NLRI, which an overrunning MP_REACH/MP_UNREACH does not
      // give us: RFC 7606 §5.3 / §7.11, session reset (RFC 4271 §6.3 data: the attribute).
      if (type == attr::kMpReachNlri || type == attr::kMpUnreachNlri) {
        return Reset(err::kAttributeLengthError, "attribute length overruns the attribute list");
      }
      Soft(type, ErrorAction::kTreatAsWithdraw, "attribute length overruns the attribute list");
      break;
    }
    raw_ = start.first(header + len);
    absl::Status s = DecodeOne(flags, type, value);
    if (!s.ok()) return s;
  }
  MergeAs4();
  CheckMandatory(has_nlri);
  // Canonical order for unknown attributes (see the file comment); types are unique here.
  std::sort(out_->unknown.begin(), out_->unknown.end(),
            [](const RawAttribute& a, const RawAttribute& b) { return a.type < b.type; });
  return absl::OkStatus();
}

absl::Status AttributeDecoder::DecodeOne(uint8_t flags, uint8_t type, Reader value) {
  // RFC 7606 §3 g: a repeated MP_REACH_NLRI / MP_UNREACH_NLRI resets the session; any other
  // repeated attribute is discarded after the first.
  if (seen_[type]) {
    if (type == attr::kMpReachNlri || type == attr::kMpUnreachNlri) {
      return BgpError(err::kUpdateMessage, err::kMalformedAttributeList,
                      absl::StrCat("duplicate ", AttributeName(type)));
    }
    Soft(type, ErrorAction::kAttributeDiscard, "duplicate attribute discarded");
    return absl::OkStatus();
  }
  seen_.set(type);

  // RFC 7606 §7.5, §7.9, §7.10: from an external peer these are discarded whatever their
  // contents, so this check comes before the flags and length checks.
  if (opts_.external_peer && (type == attr::kLocalPref || type == attr::kOriginatorId ||
                              type == attr::kClusterList)) {
    Soft(type, ErrorAction::kAttributeDiscard, "received from an external peer");
    return absl::OkStatus();
  }

  const int expected = ExpectedFlags(type);
  if (expected < 0) {
    // RFC 4271 §6.3: an unrecognised well-known attribute resets the session, data = the
    // attribute. RFC 4271 §5: unrecognised optional attributes are kept (transitive ones to
    // be passed on with Partial set; we set it now, see the file comment).
    if (!(flags & kFlagOptional)) {
      return Reset(err::kUnrecognizedWellKnownAttribute, "unrecognized well-known attribute");
    }
    RawAttribute raw;
    raw.flags = flags & (kFlagOptional | kFlagTransitive | kFlagPartial);
    if (raw.flags & kFlagTransitive) raw.flags |= kFlagPartial;
    raw.type = type;
    raw.value.assign(value.rest().begin(), value.rest().end());
    out_->unknown.push_back(std::move(raw));
    return absl::OkStatus();
  }

  // RFC 7606 §3 c: Optional/Transitive bits in conflict with the attribute's definition ->
  // treat-as-withdraw, unless the attribute's own rules say otherwise (the Partial bit is
  // not checked). MP_REACH/MP_UNREACH: we cannot trust their NLRI, RFC 7606 §5.3 / §7.11
  // -> session reset with Attribute Flags Error (RFC 4271 §6.3, data = the attribute).
  // AS4_PATH/AS4_AGGREGATOR: RFC 6793 §6, a malformed one is discarded.
  if ((flags & kOptionalTransitiveMask) != expected) {
    if (type == attr::kMpReachNlri || type == attr::kMpUnreachNlri) {
      return Reset(err::kAttributeFlagsError, "attribute flags conflict with the attribute type");
    }
    if (type == attr::kAs4Path || type == attr::kAs4Aggregator) {
      Soft(type, ErrorAction::kAttributeDiscard, "attribute flags conflict with the type");
      return absl::OkStatus();
    }
    Soft(type, ErrorAction::kTreatAsWithdraw, "attribute flags conflict with the type");
    return absl::OkStatus();
  }

  const size_t len = value.remaining();
  switch (type) {
    case attr::kOrigin: {
      // RFC 7606 §7.1: length other than 1 or an undefined value -> treat-as-withdraw.
      uint8_t v = 0;
      if (len != 1 || !value.ReadU8(&v) || v > 2) {
        Soft(type, ErrorAction::kTreatAsWithdraw, len != 1 ? "length is not 1" : "undefined value");
        return absl::OkStatus();
      }
      out_->origin = static_cast<Origin>(v);
      return absl::OkStatus();
    }
    case attr::kAsPath: {
      // RFC 7606 §7.2: malformed AS_PATH -> treat-as-withdraw.
      AsPath path;
      if (const char* why = ParseAsPath(value, opts_.four_octet_as ? 4 : 2, &path)) {
        Soft(type, ErrorAction::kTreatAsWithdraw, why);
        return absl::OkStatus();
      }
      out_->as_path = std::move(path);
      return absl::OkStatus();
    }
    case attr::kNextHop: {
      // RFC 7606 §7.3: length other than 4 -> treat-as-withdraw.
      uint32_t v = 0;
      if (len != 4 || !value.ReadU32(&v)) {
        Soft(type, ErrorAction::kTreatAsWithdraw, "length is not 4");
        return absl::OkStatus();
      }
      // RFC 4271 §6.3 (a NEXT_HOP that is not a valid IP host address is syntactically
      // incorrect), handled by treat-as-withdraw per RFC 7606 §7.3: 0.0.0.0/8 ("this
      // network"), 127/8 loopback, 224/4 multicast, 240/4 reserved incl. broadcast.
      const uint8_t first = static_cast<uint8_t>(v >> 24);
      if (first == 0 || first == 127 || first >= 224) {
        Soft(type, ErrorAction::kTreatAsWithdraw,
             absl::StrCat("invalid host address ", IpAddress::V4(v).ToString()));
        return absl::OkStatus();
      }
      out_->next_hop = IpAddress::V4(v);
      return absl::OkStatus();
    }
    case attr::kMultiExitDisc:
    case attr::kLocalPref: {
      // RFC 7606 §7.4 (MED) and §7.5 (LOCAL_PREF from an internal peer): length other
      // than 4 -> treat-as-withdraw.
      uint32_t v = 0;
      if (len != 4 || !value.ReadU32(&v)) {
        Soft(type, ErrorAction::kTreatAsWithdraw, "length is not 4");
        return absl::OkStatus();
      }
      (type == attr::kMultiExitDisc ? out_->med : out_->local_pref) = v;
      return absl::OkStatus();
    }
    case attr::kAtomicAggregate:
      // RFC 7606 §7.6: length other than 0 -> attribute-discard.
      if (len != 0) {
        Soft(type, ErrorAction::kAttributeDiscard, "length is not 0");
        return absl::OkStatus();
      }
      out_->atomic_aggregate = true;
      return absl::OkStatus();
    case attr::kAggregator: {
      // RFC 7606 §7.7: length other than 6 (2-octet session) or 8 (4-octet session) ->
      // attribute-discard.
      const size_t want = opts_.four_octet_as ? 8 : 6;
      if (len != want) {
        Soft(type, ErrorAction::kAttributeDiscard, absl::StrCat("length is not ", want));
        return absl::OkStatus();
      }
      Aggregator agg;
      if (opts_.four_octet_as) {
        value.ReadU32(&agg.asn);
      } else {
        uint16_t a16 = 0;
        value.ReadU16(&a16);
        agg.asn = a16;
      }
      uint32_t addr = 0;
      value.ReadU32(&addr);
      agg.address = IpAddress::V4(addr);
      out_->aggregator = agg;
      return absl::OkStatus();
    }
    case attr::kCommunities:
    case attr::kClusterList: {
      // RFC 7606 §7.8 (COMMUNITIES) and §7.10 (CLUSTER_LIST from an internal peer): length
      // not a non-zero multiple of 4 -> treat-as-withdraw.
      if (len == 0 || len % 4 != 0) {
        Soft(type, ErrorAction::kTreatAsWithdraw, "length is not a non-zero multiple of 4");
        return absl::OkStatus();
      }
      std::vector<uint32_t> v(len / 4);
      for (uint32_t& c : v) value.ReadU32(&c);
      (type == attr::kCommunities ? out_->communities : out_->cluster_list) = std::move(v);
      return absl::OkStatus();
    }
    case attr::kOriginatorId: {
      // RFC 7606 §7.9: from an internal peer, length other than 4 -> treat-as-withdraw.
      uint32_t v = 0;
      if (len != 4 || !value.ReadU32(&v)) {
        Soft(type, ErrorAction::kTreatAsWithdraw, "length is not 4");
        return absl::OkStatus();
      }
      out_->originator_id = IpAddress::V4(v);
      return absl::OkStatus();
    }
    case attr::kMpReachNlri:
      return DecodeMpReach(value);
    case attr::kMpUnreachNlri:
      return DecodeMpUnreach(value);
    case attr::kExtendedCommunities: {
      // RFC 7606 §7.14: length not a non-zero multiple of 8 -> treat-as-withdraw.
      if (len == 0 || len % 8 != 0) {
        Soft(type, ErrorAction::kTreatAsWithdraw, "length is not a non-zero multiple of 8");
        return absl::OkStatus();
      }
      std::vector<uint64_t> v(len / 8);
      for (uint64_t& c : v) {
        uint32_t hi = 0, lo = 0;
        value.ReadU32(&hi);
        value.ReadU32(&lo);
        c = (uint64_t{hi} << 32) | lo;
      }
      out_->extended_communities = std::move(v);
      return absl::OkStatus();
    }
    case attr::kLargeCommunity: {
      // RFC 8092 §6: length not a non-zero multiple of 12 -> treat-as-withdraw.
      if (len == 0 || len % 12 != 0) {
        Soft(type, ErrorAction::kTreatAsWithdraw, "length is not a non-zero multiple of 12");
        return absl::OkStatus();
      }
      std::vector<LargeCommunity> v(len / 12);
      for (LargeCommunity& c : v) {
        value.ReadU32(&c.global_admin);
        value.ReadU32(&c.local1);
        value.ReadU32(&c.local2);
      }
      out_->large_communities = std::move(v);
      return absl::OkStatus();
    }
    case attr::kAs4Path:
    case attr::kAs4Aggregator:
      // RFC 6793 §4.1: a NEW speaker never sends these to a NEW speaker; received on a
      // 4-octet session they carry nothing AS_PATH/AGGREGATOR do not, and are discarded.
      if (opts_.four_octet_as) {
        Soft(type, ErrorAction::kAttributeDiscard, "received on a 4-octet AS session");
        return absl::OkStatus();
      }
      if (type == attr::kAs4Path) {
        DecodeAs4Path(value);
        return absl::OkStatus();
      }
      // RFC 6793 §6: a malformed AS4_AGGREGATOR (length other than 8) is discarded.
      if (len != 8) {
        Soft(type, ErrorAction::kAttributeDiscard, "length is not 8");
        return absl::OkStatus();
      }
      {
        Aggregator agg;
        uint32_t addr = 0;
        value.ReadU32(&agg.asn);
        value.ReadU32(&addr);
        agg.address = IpAddress::V4(addr);
        as4_aggregator_ = agg;
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();  // unreachable: ExpectedFlags covers exactly the cases above
  }
}

void AttributeDecoder::DecodeAs4Path(Reader value) {
  AsPath path;
  // RFC 6793 §6: a malformed AS4_PATH is discarded (attribute-discard).
  if (const char* why = ParseAsPath(value, 4, &path)) {
    Soft(attr::kAs4Path, ErrorAction::kAttributeDiscard, why);
    return;
  }
  // RFC 6793 §6: AS_CONFED_SEQUENCE / AS_CONFED_SET must not appear in AS4_PATH; the
  // segments are discarded and the rest of the attribute is used (and logged).
  const size_t before = path.size();
  path.erase(std::remove_if(path.begin(), path.end(),
                            [](const AsSegment& s) { return IsConfed(s.type); }),
             path.end());
  if (path.size() != before) {
    Soft(attr::kAs4Path, ErrorAction::kAttributeDiscard,
         "confederation segments in AS4_PATH discarded");
  }
  as4_path_ = std::move(path);
}

// RFC 6793 §4.2.3, on a 2-octet session. AS4_* that the rules say to ignore are kept in
// as4_path / as4_aggregator so they can be passed on unchanged (the encoder writes them
// back when it has nothing of its own to send), which keeps decode->encode->decode stable.
void AttributeDecoder::MergeAs4() {
  if (opts_.four_octet_as) return;
  bool use_as4_path = true;
  if (out_->aggregator.has_value()) {
    if (out_->aggregator->asn != kAsTrans) {
      // "If the AS number in the AGGREGATOR attribute is not AS_TRANS, then the
      // AS4_AGGREGATOR attribute and the AS4_PATH attribute SHALL be ignored."
      use_as4_path = false;
      out_->as4_aggregator = std::move(as4_aggregator_);
    } else if (as4_aggregator_.has_value()) {
      // Otherwise the AGGREGATOR is ignored and AS4_AGGREGATOR is taken.
      out_->aggregator = as4_aggregator_;
    }
  } else {
    // AS4_AGGREGATOR without AGGREGATOR: nothing to merge it into.
    out_->as4_aggregator = std::move(as4_aggregator_);
  }
  if (!as4_path_.has_value()) return;
  if (!use_as4_path || !out_->as_path.has_value() ||
      AsPathLength(*out_->as_path) < AsPathLength(*as4_path_)) {
    // "If the number of AS numbers in the AS_PATH attribute is less than the number of AS
    // numbers in the AS4_PATH attribute, then the AS4_PATH attribute SHALL be ignored."
    out_->as4_path = std::move(as4_path_);
    return;
  }
  out_->as_path = MergeAs4Path(*out_->as_path, *as4_path_);
}

void AttributeDecoder::CheckMandatory(bool has_nlri) {
  if (!has_nlri) return;
  // RFC 7606 §3 d: a missing well-known mandatory attribute -> treat-as-withdraw. Only a
  // missing one: a malformed one already has its own entry. NEXT_HOP is mandatory only
  // for NLRI in the NLRI field (RFC 4760 §3). We know the NLRI field holds some when there
  // is no MP_REACH_NLRI, or when a decoded MP_REACH_NLRI carries none; an MP_REACH_NLRI
  // with NLRI *and* a non-empty NLRI field is for DecodeUpdate to check.
  if (!seen_[attr::kOrigin]) {
    Soft(attr::kOrigin, ErrorAction::kTreatAsWithdraw, "missing well-known attribute");
  }
  if (!seen_[attr::kAsPath]) {
    Soft(attr::kAsPath, ErrorAction::kTreatAsWithdraw, "missing well-known attribute");
  }
  const bool nlri_in_nlri_field =
      !seen_[attr::kMpReachNlri] ||
      (!opts_.mrt_abbreviated_mp_reach && out_->mp_reach.has_value() &&
       FamilyOf(out_->mp_reach->family).has_value() && out_->mp_reach->nlri.empty());
  if (!seen_[attr::kNextHop] && nlri_in_nlri_field) {
    Soft(attr::kNextHop, ErrorAction::kTreatAsWithdraw, "missing well-known attribute");
  }
}

// Next hop of a decoded family (RFC 4760 §3, RFC 2545 §3, RFC 8950 §3).
absl::Status AttributeDecoder::DecodeMpNextHop(AfiSafi family, Reader nh, MpReach* mp) {
  uint8_t b[16];
  const size_t n = nh.remaining();
  if (family.afi == kAfiIPv4 && n == 4) {
    nh.ReadInto(4, b);
    mp->next_hop = IpAddress::V4Bytes(b);
    return absl::OkStatus();
  }
  // IPv6: a global address, optionally followed by a link-local one (RFC 2545 §3). RFC 8950
  // allows the same two forms for IPv4 NLRI.
  if (n == 16 || n == 32) {
    nh.ReadInto(16, b);
    mp->next_hop = IpAddress::V6Bytes(b);
    if (n == 32) {
      nh.ReadInto(16, b);
      mp->link_local_next_hop = IpAddress::V6Bytes(b);
    }
    return absl::OkStatus();
  }
  // RFC 7606 §7.11: next hop length inconsistent with the AFI/SAFI -> AFI/SAFI disable or
  // session reset; kbgp resets (RFC 4760 §7: Optional Attribute Error).
  return Reset(err::kOptionalAttributeError,
               absl::StrCat("next hop length ", n, " invalid for AFI ", family.afi));
}

absl::Status AttributeDecoder::DecodeMpReach(Reader value) {
  MpReach mp;
  if (opts_.mrt_abbreviated_mp_reach) {
    // RFC 6396 §4.3.4: in a TABLE_DUMP_V2 RIB entry MP_REACH_NLRI is only next hop length
    // + next hop. Some dumps carry the full RFC 4760 form instead (bgpdump accepts both):
    // the abbreviated form is recognised by its first octet being a plausible next hop
    // length equal to the rest of the attribute; the full form starts with the AFI.
    const ByteSpan all = value.rest();
    const uint8_t first = all.empty() ? 0 : all[0];
    const bool plausible =
        first == 4 || first == 12 || first == 16 || first == 24 || first == 32;
    if (plausible && all.size() == size_t{first} + 1) {
      mp.family = opts_.mrt_family;
      if (!FamilyOf(mp.family)) {
        mp.opaque.assign(all.begin(), all.end());
      } else {
        Reader nh;
        value.Skip(1);
        value.ReadSub(first, &nh);
        absl::Status s = DecodeMpNextHop(mp.family, nh, &mp);
        if (!s.ok()) return s;
      }
      out_->mp_reach = std::move(mp);
      return absl::OkStatus();
    }
  }
  uint8_t nh_len = 0;
  if (!value.ReadU16(&mp.family.afi) || !value.ReadU8(&mp.family.safi)) {
    // RFC 7606 §7.11 / §5.3: MP_REACH we cannot parse -> session reset; RFC 4271 §6.3
    // Attribute Length Error, data = the attribute.
    return Reset(err::kAttributeLengthError, "too short for AFI/SAFI");
  }
  const std::optional<Family> family = FamilyOf(mp.family);
  if (!family) {
    // Not a family kbgp decodes: kept as bytes.
    mp.opaque.assign(value.rest().begin(), value.rest().end());
    out_->mp_reach = std::move(mp);
    return absl::OkStatus();
  }
  Reader nh;
  uint8_t reserved = 0;
  if (!value.ReadU8(&nh_len) || !value.ReadSub(nh_len, &nh) || !value.ReadU8(&reserved)) {
    return Reset(err::kAttributeLengthError, "next hop overruns the attribute");
  }
  // RFC 4760 §3: the Reserved octet (formerly SNPA count) is ignored on receipt.
  absl::Status s = DecodeMpNextHop(mp.family, nh, &mp);
  if (!s.ok()) return s;
  s = DecodeNlri(value, *family, opts_.AddPath(mp.family), &mp.nlri);
  if (!s.ok()) {
    // RFC 7606 §5.3: NLRI that cannot be parsed -> session reset (RFC 4760 §7: Optional
    // Attribute Error, data = the attribute).
    return Reset(err::kOptionalAttributeError, s.message());
  }
  out_->mp_reach = std::move(mp);
  return absl::OkStatus();
}

absl::Status AttributeDecoder::DecodeMpUnreach(Reader value) {
  MpUnreach mp;
  if (!value.ReadU16(&mp.family.afi) || !value.ReadU8(&mp.family.safi)) {
    return Reset(err::kAttributeLengthError, "too short for AFI/SAFI");
  }
  const std::optional<Family> family = FamilyOf(mp.family);
  if (!family) {
    mp.opaque.assign(value.rest().begin(), value.rest().end());
  } else {
    absl::Status s = DecodeNlri(value, *family, opts_.AddPath(mp.family), &mp.withdrawn);
    if (!s.ok()) return Reset(err::kOptionalAttributeError, s.message());  // RFC 7606 §5.3
  }
  out_->mp_unreach = std::move(mp);
  return absl::OkStatus();
}

// ---- Encoding ----

// Writes one attribute header, lets the caller append the value, then fixes the length,
// using the 1-octet form when the value fits (RFC 4271 §4.3: Extended Length only when
// needed). Values over 255 octets are written once; short ones move by one octet.
class AttrScope {
 public:
  AttrScope(Writer* w, uint8_t flags, uint8_t type) : w_(w), at_(w->size()) {
    w->PutU8(static_cast<uint8_t>((flags & ~kFlagExtendedLength & 0xf0) | kFlagExtendedLength));
    w->PutU8(type);
    w->PutU16(0);
  }
  bool Finish() {
    Bytes& b = *w_->bytes();
    const size_t len = b.size() - at_ - 4;
    if (len > 0xffff) return false;
    if (len <= 0xff) {
      b[at_] &= static_cast<uint8_t>(~kFlagExtendedLength);
      b[at_ + 2] = static_cast<uint8_t>(len);
      b.erase(b.begin() + static_cast<ptrdiff_t>(at_ + 3));
    } else {
      w_->SetU16At(at_ + 2, static_cast<uint16_t>(len));
    }
    return true;
  }

 private:
  Writer* w_;
  size_t at_;
};

absl::Status TooLong(uint8_t type) {
  return absl::InvalidArgumentError(
      absl::StrCat(AttributeName(type), " value exceeds 65535 octets"));
}

absl::Status PutSimple(Writer* w, uint8_t flags, uint8_t type, ByteSpan value) {
  AttrScope a(w, flags, type);
  w->PutBytes(value);
  return a.Finish() ? absl::OkStatus() : TooLong(type);
}

absl::Status PutU32Attr(Writer* w, uint8_t flags, uint8_t type, uint32_t v) {
  AttrScope a(w, flags, type);
  w->PutU32(v);
  a.Finish();
  return absl::OkStatus();
}

// Writes the segments (skipping empty ones, which have no wire form: RFC 7606 §7.2 makes a
// zero-length segment malformed) with 2- or 4-octet numbers; a 2-octet path maps numbers
// that do not fit to AS_TRANS (RFC 6793 §4.2.2). A sequence longer than 255 is split into
// consecutive sequences, which mean the same path; a set cannot be split.
absl::Status PutAsPathValue(Writer* w, const AsPath& path, bool four_octet, size_t from_segment,
                            bool skip_confed) {
  for (size_t i = from_segment; i < path.size(); ++i) {
    const AsSegment& seg = path[i];
    if (skip_confed && IsConfed(seg.type)) continue;
    if (!IsSequence(seg.type) && seg.asns.size() > kMaxSegmentAsns) {
      return absl::InvalidArgumentError(
          absl::StrCat("AS_SET with ", seg.asns.size(), " members cannot be encoded"));
    }
    for (size_t off = 0; off < seg.asns.size(); off += kMaxSegmentAsns) {
      const size_t n = std::min(kMaxSegmentAsns, seg.asns.size() - off);
      w->PutU8(static_cast<uint8_t>(seg.type));
      w->PutU8(static_cast<uint8_t>(n));
      for (size_t k = off; k < off + n; ++k) {
        const uint32_t asn = seg.asns[k];
        if (four_octet) {
          w->PutU32(asn);
        } else {
          w->PutU16(asn > 0xffff ? kAsTrans : static_cast<uint16_t>(asn));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status PutAsPath(Writer* w, uint8_t type, const AsPath& path, bool four_octet,
                       size_t from_segment, bool skip_confed) {
  AttrScope a(w, type == attr::kAsPath ? kWellKnown : kOptionalTransitive, type);
  absl::Status s = PutAsPathValue(w, path, four_octet, from_segment, skip_confed);
  if (!s.ok()) return s;
  return a.Finish() ? absl::OkStatus() : TooLong(type);
}

absl::Status PutAggregator(Writer* w, uint8_t type, uint32_t asn, const IpAddress& addr,
                           bool four_octet) {
  if (!addr.is_v4()) {
    return absl::InvalidArgumentError(absl::StrCat(AttributeName(type), " address is not IPv4"));
  }
  AttrScope a(w, kOptionalTransitive, type);
  if (four_octet) {
    w->PutU32(asn);
  } else {
    w->PutU16(asn > 0xffff ? kAsTrans : static_cast<uint16_t>(asn));
  }
  w->PutU32(addr.v4());
  a.Finish();
  return absl::OkStatus();
}

// The first segment of `path` that RFC 6793 §4.2.2 needs AS4_PATH for: the first
// non-confederation segment holding a number that does not fit 2 octets. AS4_PATH is
// written from there on; the receiver takes the leading part from AS_PATH (RFC 6793
// §4.2.3), which is exactly the part before this segment, so the decoded path is `path`.
std::optional<size_t> FirstAs4Segment(const AsPath& path) {
  for (size_t i = 0; i < path.size(); ++i) {
    if (IsConfed(path[i].type)) continue;
    for (uint32_t asn : path[i].asns) {
      if (asn > 0xffff) return i;
    }
  }
  return std::nullopt;
}

bool CheckNlriFamily(const std::vector<Nlri>& nlri, Family f) {
  for (const Nlri& n : nlri) {
    if (n.prefix.family() != f) return false;
  }
  return true;
}

absl::Status PutMpNextHop(Writer* w, const MpReach& mp, Family family) {
  const IpAddress& nh = mp.next_hop;
  if (nh.is_v4() && family == Family::kIPv6) {
    return absl::InvalidArgumentError("IPv6 MP_REACH_NLRI with an IPv4 next hop");
  }
  if (mp.link_local_next_hop.has_value() && (nh.is_v4() || !mp.link_local_next_hop->is_v6())) {
    return absl::InvalidArgumentError("link-local next hop needs an IPv6 global next hop");
  }
  const size_t len = nh.is_v4() ? 4 : (mp.link_local_next_hop ? 32 : 16);
  w->PutU8(static_cast<uint8_t>(len));
  w->PutBytes(nh.span());
  if (mp.link_local_next_hop) w->PutBytes(mp.link_local_next_hop->span());
  return absl::OkStatus();
}

absl::Status PutMpReach(Writer* w, const MpReach& mp, const CodecOptions& opts) {
  const std::optional<Family> family = FamilyOf(mp.family);
  AttrScope a(w, kOptionalNonTransitive, attr::kMpReachNlri);
  const size_t value_at = w->size();
  if (opts.mrt_abbreviated_mp_reach && family && mp.family == opts.mrt_family &&
      mp.nlri.empty()) {
    // RFC 6396 §4.3.4 abbreviated form.
    absl::Status s = PutMpNextHop(w, mp, *family);
    if (!s.ok()) return s;
  } else {
    w->PutU16(mp.family.afi);
    w->PutU8(mp.family.safi);
    if (!family) {
      w->PutBytes(mp.opaque);
    } else {
      absl::Status s = PutMpNextHop(w, mp, *family);
      if (!s.ok()) return s;
      w->PutU8(0);  // Reserved (RFC 4760 §3)
      if (!CheckNlriFamily(mp.nlri, *family)) {
        return absl::InvalidArgumentError("MP_REACH_NLRI prefix of the wrong family");
      }
      const bool add_path = opts.AddPath(mp.family);
      for (const Nlri& n : mp.nlri) EncodeNlri(n, add_path, w);
    }
    if (opts.mrt_abbreviated_mp_reach) {
      // Our MRT decoder would read this full form as the abbreviated one.
      const Bytes& b = *w->bytes();
      const size_t len = b.size() - value_at;
      const uint8_t first = b[value_at];
      if ((first == 4 || first == 12 || first == 16 || first == 24 || first == 32) &&
          len == size_t{first} + 1) {
        return absl::InvalidArgumentError(
            "MP_REACH_NLRI full form would be ambiguous in an MRT RIB entry");
      }
    }
  }
  return a.Finish() ? absl::OkStatus() : TooLong(attr::kMpReachNlri);
}

absl::Status PutMpUnreach(Writer* w, const MpUnreach& mp, const CodecOptions& opts) {
  const std::optional<Family> family = FamilyOf(mp.family);
  AttrScope a(w, kOptionalNonTransitive, attr::kMpUnreachNlri);
  w->PutU16(mp.family.afi);
  w->PutU8(mp.family.safi);
  if (!family) {
    w->PutBytes(mp.opaque);
  } else {
    if (!CheckNlriFamily(mp.withdrawn, *family)) {
      return absl::InvalidArgumentError("MP_UNREACH_NLRI prefix of the wrong family");
    }
    const bool add_path = opts.AddPath(mp.family);
    for (const Nlri& n : mp.withdrawn) EncodeNlri(n, add_path, w);
  }
  return a.Finish() ? absl::OkStatus() : TooLong(attr::kMpUnreachNlri);
}

absl::Status EncodeAll(const PathAttributes& attrs, const CodecOptions& opts, Writer* w) {
  // Unknown attributes go in type-code order among the known ones.
  std::vector<const RawAttribute*> unknown;
  unknown.reserve(attrs.unknown.size());
  for (const RawAttribute& u : attrs.unknown) unknown.push_back(&u);
  std::stable_sort(unknown.begin(), unknown.end(),
                   [](const RawAttribute* a, const RawAttribute* b) { return a->type < b->type; });
  size_t next_unknown = 0;
  auto put_unknown_below = [&](int type) -> absl::Status {
    for (; next_unknown < unknown.size() && unknown[next_unknown]->type < type; ++next_unknown) {
      const RawAttribute& u = *unknown[next_unknown];
      // RFC 4271 §5: an unrecognised optional transitive attribute is passed on with the
      // Partial bit set. The four low flag bits are unused and sent as zero.
      uint8_t flags = u.flags & (kFlagOptional | kFlagTransitive | kFlagPartial);
      if (flags & kFlagTransitive) flags |= kFlagPartial;
      absl::Status s = PutSimple(w, flags, u.type, u.value);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  };
  absl::Status s;
  auto check = [&s]() { return s.ok(); };

  // RFC 7606 §5.1: MP_REACH_NLRI / MP_UNREACH_NLRI (if present) SHALL be encoded as the
  // very first path attribute, so a receiver can find the NLRI whatever else is malformed.
  if (attrs.mp_reach && !(s = PutMpReach(w, *attrs.mp_reach, opts)).ok()) return s;
  if (attrs.mp_unreach && !(s = PutMpUnreach(w, *attrs.mp_unreach, opts)).ok()) return s;

  if (!(s = put_unknown_below(attr::kOrigin)).ok()) return s;
  if (attrs.origin) {
    AttrScope a(w, kWellKnown, attr::kOrigin);
    w->PutU8(static_cast<uint8_t>(*attrs.origin));
    a.Finish();
  }
  if (!(s = put_unknown_below(attr::kAsPath)).ok()) return s;
  std::optional<size_t> as4_from;
  if (!opts.four_octet_as && attrs.as_path) as4_from = FirstAs4Segment(*attrs.as_path);
  if (attrs.as_path &&
      !(s = PutAsPath(w, attr::kAsPath, *attrs.as_path, opts.four_octet_as, 0, false)).ok()) {
    return s;
  }
  if (!(s = put_unknown_below(attr::kNextHop)).ok()) return s;
  if (attrs.next_hop) {
    if (!attrs.next_hop->is_v4()) return absl::InvalidArgumentError("NEXT_HOP is not IPv4");
    s = PutU32Attr(w, kWellKnown, attr::kNextHop, attrs.next_hop->v4());
  }
  if (!(s = put_unknown_below(attr::kMultiExitDisc)).ok()) return s;
  if (attrs.med) s = PutU32Attr(w, kOptionalNonTransitive, attr::kMultiExitDisc, *attrs.med);
  if (!(s = put_unknown_below(attr::kLocalPref)).ok()) return s;
  if (attrs.local_pref) s = PutU32Attr(w, kWellKnown, attr::kLocalPref, *attrs.local_pref);
  if (!(s = put_unknown_below(attr::kAtomicAggregate)).ok()) return s;
  if (attrs.atomic_aggregate) s = PutSimple(w, kWellKnown, attr::kAtomicAggregate, {});
  if (!(s = put_unknown_below(attr::kAggregator)).ok()) return s;

  // RFC 6793 §4.2.2 on a 2-octet session. When AS4_PATH is sent, AGGREGATOR (if any) must
  // carry AS_TRANS or the receiver ignores AS4_PATH (§4.2.3), so the real aggregator AS then
  // goes into AS4_AGGREGATOR even when it would fit 2 octets.
  bool write_as4_aggregator = false;
  if (attrs.aggregator) {
    const uint32_t asn = attrs.aggregator->asn;
    write_as4_aggregator =
        !opts.four_octet_as && (asn > 0xffff || (as4_from.has_value() && asn != kAsTrans));
    s = PutAggregator(w, attr::kAggregator, write_as4_aggregator ? kAsTrans : asn,
                      attrs.aggregator->address, opts.four_octet_as);
    if (!s.ok()) return s;
  }
  if (!(s = put_unknown_below(attr::kCommunities)).ok()) return s;
  // Empty lists have no valid wire form (RFC 7606 §7.8, §7.10, §7.14, RFC 8092 §6) and are
  // not written.
  if (attrs.communities && !attrs.communities->empty()) {
    AttrScope a(w, kOptionalTransitive, attr::kCommunities);
    for (uint32_t c : *attrs.communities) w->PutU32(c);
    if (!a.Finish()) return TooLong(attr::kCommunities);
  }
  if (!(s = put_unknown_below(attr::kOriginatorId)).ok()) return s;
  if (attrs.originator_id) {
    if (!attrs.originator_id->is_v4()) {
      return absl::InvalidArgumentError("ORIGINATOR_ID is not IPv4");
    }
    s = PutU32Attr(w, kOptionalNonTransitive, attr::kOriginatorId, attrs.originator_id->v4());
  }
  if (!(s = put_unknown_below(attr::kClusterList)).ok()) return s;
  if (attrs.cluster_list && !attrs.cluster_list->empty()) {
    AttrScope a(w, kOptionalNonTransitive, attr::kClusterList);
    for (uint32_t c : *attrs.cluster_list) w->PutU32(c);
    if (!a.Finish()) return TooLong(attr::kClusterList);
  }
  if (!(s = put_unknown_below(attr::kExtendedCommunities)).ok()) return s;
  if (attrs.extended_communities && !attrs.extended_communities->empty()) {
    AttrScope a(w, kOptionalTransitive, attr::kExtendedCommunities);
    for (uint64_t c : *attrs.extended_communities) w->PutU64(c);
    if (!a.Finish()) return TooLong(attr::kExtendedCommunities);
  }
  if (!(s = put_unknown_below(attr::kAs4Path)).ok()) return s;
  // RFC 6793 §4.1: never to a 4-octet peer. On a 2-octet session AS4_PATH is generated
  // from AS_PATH when needed (confederation segments excluded, §4.2.2); otherwise an
  // AS4_PATH the decoder had to ignore is passed on as received.
  if (!opts.four_octet_as) {
    if (as4_from) {
      s = PutAsPath(w, attr::kAs4Path, *attrs.as_path, true, *as4_from, true);
    } else if (attrs.as4_path) {
      s = PutAsPath(w, attr::kAs4Path, *attrs.as4_path, true, 0, true);
    }
    if (!check()) return s;
  }
  if (!(s = put_unknown_below(attr::kAs4Aggregator)).ok()) return s;
  if (!opts.four_octet_as) {
    if (write_as4_aggregator) {
      s = PutAggregator(w, attr::kAs4Aggregator, attrs.aggregator->asn,
                        attrs.aggregator->address, true);
    } else if (attrs.as4_aggregator && !(attrs.aggregator && attrs.aggregator->asn == kAsTrans)) {
      // Passed on unchanged. Not next to an AS_TRANS AGGREGATOR: the receiver would then
      // take it as the aggregator, which is not what we decoded.
      s = PutAggregator(w, attr::kAs4Aggregator, attrs.as4_aggregator->asn,
                        attrs.as4_aggregator->address, true);
    }
    if (!check()) return s;
  }
  if (!(s = put_unknown_below(attr::kLargeCommunity)).ok()) return s;
  if (attrs.large_communities && !attrs.large_communities->empty()) {
    AttrScope a(w, kOptionalTransitive, attr::kLargeCommunity);
    for (const LargeCommunity& c : *attrs.large_communities) {
      w->PutU32(c.global_admin);
      w->PutU32(c.local1);
      w->PutU32(c.local2);
    }
    if (!a.Finish()) return TooLong(attr::kLargeCommunity);
  }
  return put_unknown_below(256);
}

}  // namespace

void ErrorReport::Add(uint8_t type, ErrorAction a, std::string reason) {
  if (a > action) action = a;
  errors.push_back(AttributeError{type, a, std::move(reason)});
}

int AsPathLength(const AsPath& path) {
  int n = 0;
  for (const AsSegment& seg : path) {
    switch (seg.type) {
      case AsSegmentType::kSequence:
        n += static_cast<int>(seg.asns.size());
        break;
      case AsSegmentType::kSet:
        n += seg.asns.empty() ? 0 : 1;
        break;
      case AsSegmentType::kConfedSequence:
      case AsSegmentType::kConfedSet:
        break;  // RFC 5065 §5.3: confederation segments do not count
    }
  }
  return n;
}

absl::Status DecodePathAttributes(Reader r, const CodecOptions& opts, bool has_nlri,
                                  PathAttributes* out, ErrorReport* report) {
  *out = PathAttributes();
  AttributeDecoder d(opts, out, report);
  return d.Run(r, has_nlri);
}

absl::Status EncodePathAttributes(const PathAttributes& attrs, const CodecOptions& opts,
                                  Bytes* out) {
  const size_t original = out->size();
  Writer w(out);
  absl::Status s = EncodeAll(attrs, opts, &w);
  if (!s.ok()) out->resize(original);  // leave nothing half-written behind
  return s;
}

std::string AttributeName(uint8_t type) {
  switch (type) {
    case attr::kOrigin: return "ORIGIN";
    case attr::kAsPath: return "AS_PATH";
    case attr::kNextHop: return "NEXT_HOP";
    case attr::kMultiExitDisc: return "MULTI_EXIT_DISC";
    case attr::kLocalPref: return "LOCAL_PREF";
    case attr::kAtomicAggregate: return "ATOMIC_AGGREGATE";
    case attr::kAggregator: return "AGGREGATOR";
    case attr::kCommunities: return "COMMUNITIES";
    case attr::kOriginatorId: return "ORIGINATOR_ID";
    case attr::kClusterList: return "CLUSTER_LIST";
    case attr::kMpReachNlri: return "MP_REACH_NLRI";
    case attr::kMpUnreachNlri: return "MP_UNREACH_NLRI";
    case attr::kExtendedCommunities: return "EXTENDED_COMMUNITIES";
    case attr::kAs4Path: return "AS4_PATH";
    case attr::kAs4Aggregator: return "AS4_AGGREGATOR";
    case attr::kLargeCommunity: return "LARGE_COMMUNITY";
    default: return absl::StrCat("ATTR(", type, ")");
  }
}

std::string AsPathString(const AsPath& path) {
  std::string s;
  for (const AsSegment& seg : path) {
    if (!s.empty()) s += ' ';
    switch (seg.type) {
      case AsSegmentType::kSequence:
        absl::StrAppend(&s, absl::StrJoin(seg.asns, " "));
        break;
      case AsSegmentType::kSet:
        absl::StrAppend(&s, "{", absl::StrJoin(seg.asns, ","), "}");
        break;
      case AsSegmentType::kConfedSequence:
        absl::StrAppend(&s, "(", absl::StrJoin(seg.asns, " "), ")");
        break;
      case AsSegmentType::kConfedSet:
        absl::StrAppend(&s, "[", absl::StrJoin(seg.asns, ","), "]");
        break;
    }
  }
  return s;
}

}  // namespace kbgp::wire
