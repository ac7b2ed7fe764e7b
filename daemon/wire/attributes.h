// Path attributes and NLRI: the decoded form of an UPDATE's contents, the codec for the
// path attribute list, and RFC 7606 error handling.
//
// Invariants of a decoded PathAttributes:
//  - AS numbers are always 4-octet values. On a 2-octet session (CodecOptions::four_octet_as
//    false) AS_PATH / AGGREGATOR were merged with AS4_PATH / AS4_AGGREGATOR per RFC 6793
//    §4.2.3, and as4_path / as4_aggregator are empty. The encoder regenerates AS4_* when it
//    writes for a 2-octet session.
//  - Each attribute appears at most once (RFC 7606 §3 g: later duplicates are discarded,
//    except MP_REACH/MP_UNREACH whose duplicates reset the session).
//  - Unknown optional attributes are kept as bytes in `unknown`, in arrival order; transitive
//    ones are re-sent with the Partial bit set, non-transitive ones are not re-sent
//    (the RIB decides; EncodePathAttributes writes whatever `unknown` holds).
#ifndef KBGP_DAEMON_WIRE_ATTRIBUTES_H_
#define KBGP_DAEMON_WIRE_ATTRIBUTES_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/common/bytes.h"
#include "daemon/common/ip.h"
#include "daemon/wire/constants.h"

namespace kbgp::wire {

// One route in an NLRI field: a prefix and, with ADD-PATH (RFC 7911), its path identifier.
struct Nlri {
  Prefix prefix;
  uint32_t path_id = 0;
  friend auto operator<=>(const Nlri&, const Nlri&) = default;
  friend bool operator==(const Nlri&, const Nlri&) = default;
};

struct AfiSafi {
  uint16_t afi = 0;
  uint8_t safi = 0;
  friend auto operator<=>(const AfiSafi&, const AfiSafi&) = default;
  friend bool operator==(const AfiSafi&, const AfiSafi&) = default;
};
inline constexpr AfiSafi kIPv4Unicast{kAfiIPv4, kSafiUnicast};
inline constexpr AfiSafi kIPv6Unicast{kAfiIPv6, kSafiUnicast};

// How to read and write a message on one session (or in one MRT record).
struct CodecOptions {
  bool four_octet_as = true;     // RFC 6793 negotiated (MRT: per record subtype)
  bool extended_message = false;  // RFC 8654: messages up to 65535 bytes
  // RFC 7911: NLRI of these families carry a 4-byte path identifier.
  bool add_path_ipv4 = false;
  bool add_path_ipv6 = false;
  // RFC 7606 needs to know the peer's kind: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from
  // an external peer are discarded (§7.5, §7.9, §7.10).
  bool external_peer = false;
  // RFC 6396 §4.3.4: in TABLE_DUMP_V2 RIB entries MP_REACH_NLRI holds only the next-hop
  // length and next hop (no AFI/SAFI, no NLRI). `mrt_family` says which family it is.
  bool mrt_abbreviated_mp_reach = false;
  AfiSafi mrt_family = kIPv4Unicast;

  bool AddPath(AfiSafi f) const {
    return f.safi == kSafiUnicast && ((f.afi == kAfiIPv4 && add_path_ipv4) ||
                                      (f.afi == kAfiIPv6 && add_path_ipv6));
  }
  size_t max_message_length() const {
    return extended_message ? kMaxExtendedMessageLength : kMaxMessageLength;
  }
};

enum class AsSegmentType : uint8_t {
  kSet = 1,
  kSequence = 2,
  kConfedSequence = 3,  // RFC 5065
  kConfedSet = 4,
};

struct AsSegment {
  AsSegmentType type = AsSegmentType::kSequence;
  std::vector<uint32_t> asns;
  friend bool operator==(const AsSegment&, const AsSegment&) = default;
};
using AsPath = std::vector<AsSegment>;

// RFC 4271 §9.1.2.2 a: the path length used by the decision process (a set counts 1,
// confederation segments count 0).
int AsPathLength(const AsPath& path);

struct Aggregator {
  uint32_t asn = 0;
  IpAddress address;
  friend bool operator==(const Aggregator&, const Aggregator&) = default;
};

struct LargeCommunity {
  uint32_t global_admin = 0;
  uint32_t local1 = 0;
  uint32_t local2 = 0;
  friend auto operator<=>(const LargeCommunity&, const LargeCommunity&) = default;
  friend bool operator==(const LargeCommunity&, const LargeCommunity&) = default;
};

// MP_REACH_NLRI (RFC 4760). For IPv4/IPv6 unicast and multicast the next hop and NLRI are
// decoded; for any other AFI/SAFI the bytes after AFI/SAFI are kept in `opaque`.
struct MpReach {
  AfiSafi family;
  // One global next hop; for IPv6 a second, link-local one may follow (RFC 2545 §3).
  // An IPv4 NLRI may have an IPv6 next hop (RFC 8950 extended next hop).
  IpAddress next_hop;
  std::optional<IpAddress> link_local_next_hop;
  std::vector<Nlri> nlri;
  Bytes opaque;  // undecoded families only
  friend bool operator==(const MpReach&, const MpReach&) = default;
};

struct MpUnreach {
  AfiSafi family;
  std::vector<Nlri> withdrawn;
  Bytes opaque;  // undecoded families only
  friend bool operator==(const MpUnreach&, const MpUnreach&) = default;
};

// An attribute kbgp does not interpret, kept as received.
struct RawAttribute {
  uint8_t flags = 0;  // without kFlagExtendedLength; the encoder picks the length form
  uint8_t type = 0;
  Bytes value;
  friend bool operator==(const RawAttribute&, const RawAttribute&) = default;
};

struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;
  std::optional<IpAddress> next_hop;  // NEXT_HOP (IPv4)
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::optional<std::vector<uint32_t>> communities;
  std::optional<IpAddress> originator_id;
  std::optional<std::vector<uint32_t>> cluster_list;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::optional<std::vector<uint64_t>> extended_communities;
  std::optional<std::vector<LargeCommunity>> large_communities;
  // Only on a decoded 2-octet session before merging, or when the merge had to ignore them.
  std::optional<AsPath> as4_path;
  std::optional<Aggregator> as4_aggregator;
  std::vector<RawAttribute> unknown;
  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};

// RFC 7606 §2: what to do with an UPDATE whose attributes are malformed, weakest first.
// Session reset is not in this list: it is a non-OK absl::Status carrying the NOTIFICATION.
enum class ErrorAction : uint8_t {
  kNone = 0,
  kAttributeDiscard = 1,  // the attribute was dropped; the rest of the UPDATE is used
  kTreatAsWithdraw = 2,   // every NLRI in the UPDATE is to be withdrawn
  kAfiSafiDisable = 3,    // RFC 4760 §7 / RFC 7606 §5.3: reserved; kbgp resets instead
};

struct AttributeError {
  uint8_t type = 0;
  ErrorAction action = ErrorAction::kNone;
  std::string reason;  // for the log: "LOCAL_PREF from external peer", ...
  friend bool operator==(const AttributeError&, const AttributeError&) = default;
};

// The soft errors found while decoding: the strongest action, and each error for the log.
struct ErrorReport {
  ErrorAction action = ErrorAction::kNone;
  std::vector<AttributeError> errors;
  void Add(uint8_t type, ErrorAction a, std::string reason);
  friend bool operator==(const ErrorReport&, const ErrorReport&) = default;
};

// Decodes the path attribute list in `r` (all of it). Session-reset errors come back as a
// non-OK status with the NOTIFICATION attached (daemon/common/status.h); soft errors go to
// `report`. `has_nlri` says whether the UPDATE carries any NLRI (in the NLRI field or
// MP_REACH), which decides whether missing well-known attributes are an error (RFC 7606 §3 d).
absl::Status DecodePathAttributes(Reader r, const CodecOptions& opts, bool has_nlri,
                                  PathAttributes* out, ErrorReport* report);

// Appends the attributes in canonical order (by type code, unknown ones in their place).
// On a 2-octet session (four_octet_as false) writes AS_PATH/AGGREGATOR with AS_TRANS and
// adds AS4_PATH/AS4_AGGREGATOR where a 4-octet number needs them (RFC 6793 §4.2.2).
// Fails only when an attribute cannot be represented (a field over its length limit).
absl::Status EncodePathAttributes(const PathAttributes& attrs, const CodecOptions& opts,
                                  Bytes* out);

// NLRI encoding (RFC 4271 §4.3, RFC 7911 §3). DecodeNlri reads `r` to its end.
// Errors are session resets (RFC 7606 §5.3: a bad prefix length cannot be skipped).
absl::Status DecodeNlri(Reader r, Family family, bool add_path, std::vector<Nlri>* out);
void EncodeNlri(const Nlri& nlri, bool add_path, Writer* w);
// Bytes EncodeNlri would write.
inline size_t NlriSize(const Nlri& nlri, bool add_path) {
  return (add_path ? 4 : 0) + 1 + (nlri.prefix.length() + 7) / 8;
}

// Names for logs: "ORIGIN", "AS_PATH", ..., "ATTR(99)".
std::string AttributeName(uint8_t type);
// "65001 65002 {65003,65004}" as GoBGP prints AS paths; confed segments in ( ) and [ ].
std::string AsPathString(const AsPath& path);

}  // namespace kbgp::wire

#endif  // KBGP_DAEMON_WIRE_ATTRIBUTES_H_
