// Malformed path attributes and NLRI: one table row per input, each with the RFC rule it
// checks. Expected outcome is either a session reset (the NOTIFICATION code/subcode/data)
// or an RFC 7606 soft action on one attribute type.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/common/bytes.h"
#include "daemon/common/status.h"
#include "daemon/wire/attributes.h"
#include "daemon/wire/constants.h"
#include "daemon/common/hex.h"
#include "gtest/gtest.h"

namespace kbgp::wire {
namespace {

Bytes Hex(absl::string_view s) { return HexToBytes(s); }

std::string ToHex(ByteSpan b) { return BytesToHex(b); }

// Row options.
enum : uint32_t {
  kTwoOctet = 1 << 0,     // four_octet_as = false
  kExternal = 1 << 1,     // external_peer
  kHasNlri = 1 << 2,      // the UPDATE carries NLRI
  kMrtV6 = 1 << 3,        // mrt_abbreviated_mp_reach, mrt_family IPv6 unicast
  kAddPath = 1 << 4,      // ADD-PATH for both families
  // What is decoded: the attribute list (default) or a bare NLRI field.
  kNlriV4 = 1 << 8,
  kNlriV6 = 1 << 9,
};

constexpr const char* kWholeInput = "=";  // NOTIFICATION data is the whole input

struct Row {
  const char* name;
  const char* hex;
  uint32_t opts;
  // Session reset when subcode != 0 (code is always UPDATE Message Error here).
  uint8_t subcode;
  const char* data;  // expected NOTIFICATION data as hex, or kWholeInput; nullptr: unchecked
  // Otherwise the soft action and the attribute it is reported on.
  ErrorAction action;
  uint8_t type;
};

constexpr ErrorAction kTaw = ErrorAction::kTreatAsWithdraw;
constexpr ErrorAction kDiscard = ErrorAction::kAttributeDiscard;
constexpr ErrorAction kNone = ErrorAction::kNone;

const Row kRows[] = {
    // ---- RFC 7606 §7.1 ORIGIN: length other than 1 or undefined value -> treat-as-withdraw
    {"origin_length_2", "40 01 02 00 00", 0, 0, nullptr, kTaw, attr::kOrigin},
    {"origin_length_0", "40 01 00", 0, 0, nullptr, kTaw, attr::kOrigin},
    {"origin_value_3", "40 01 01 03", 0, 0, nullptr, kTaw, attr::kOrigin},
    // RFC 7606 §3 c: Optional bit set on a well-known attribute -> treat-as-withdraw.
    {"origin_flags_optional", "c0 01 01 00", 0, 0, nullptr, kTaw, attr::kOrigin},
    // RFC 7606 §3 c: Transitive bit clear on a well-known attribute -> treat-as-withdraw.
    {"origin_flags_not_transitive", "00 01 01 00", 0, 0, nullptr, kTaw, attr::kOrigin},

    // ---- RFC 7606 §7.2 AS_PATH malformed -> treat-as-withdraw
    {"as_path_unknown_segment_type", "40 02 06 05 01 0000fde9", 0, 0, nullptr, kTaw,
     attr::kAsPath},
    {"as_path_segment_type_0", "40 02 06 00 01 0000fde9", 0, 0, nullptr, kTaw, attr::kAsPath},
    {"as_path_zero_length_segment", "40 02 02 02 00", 0, 0, nullptr, kTaw, attr::kAsPath},
    {"as_path_segment_overrun", "40 02 06 02 02 0000fde9", 0, 0, nullptr, kTaw, attr::kAsPath},
    {"as_path_single_trailing_octet", "40 02 07 02 01 0000fde9 02", 0, 0, nullptr, kTaw,
     attr::kAsPath},
    {"as_path_2octet_odd_length", "40 02 05 02 02 fde9 fd", kTwoOctet, 0, nullptr, kTaw,
     attr::kAsPath},
    // A 2-octet path read on a 4-octet session does not add up.
    {"as_path_2octet_on_4octet_session", "40 02 06 02 02 fde9 fdea", 0, 0, nullptr, kTaw,
     attr::kAsPath},
    // RFC 7606 §3 c.
    {"as_path_flags_optional", "c0 02 00", 0, 0, nullptr, kTaw, attr::kAsPath},

    // ---- RFC 7606 §7.3 NEXT_HOP: length other than 4 -> treat-as-withdraw
    {"next_hop_length_5", "40 03 05 0a000001 00", 0, 0, nullptr, kTaw, attr::kNextHop},
    {"next_hop_length_16", "40 03 10 20010db8000000000000000000000001", 0, 0, nullptr, kTaw,
     attr::kNextHop},
    // RFC 4271 §6.3 (not a valid host address) + RFC 7606 §7.3 -> treat-as-withdraw.
    {"next_hop_zero", "40 03 04 00000000", 0, 0, nullptr, kTaw, attr::kNextHop},
    {"next_hop_multicast", "40 03 04 e0000001", 0, 0, nullptr, kTaw, attr::kNextHop},
    {"next_hop_broadcast", "40 03 04 ffffffff", 0, 0, nullptr, kTaw, attr::kNextHop},
    {"next_hop_loopback", "40 03 04 7f000001", 0, 0, nullptr, kTaw, attr::kNextHop},
    // RFC 7606 §3 c.
    {"next_hop_flags_optional", "c0 03 04 0a000001", 0, 0, nullptr, kTaw, attr::kNextHop},

    // ---- RFC 7606 §7.4 MULTI_EXIT_DISC: length other than 4 -> treat-as-withdraw
    {"med_length_3", "80 04 03 000001", 0, 0, nullptr, kTaw, attr::kMultiExitDisc},
    // RFC 7606 §3 c: MED is optional non-transitive.
    {"med_flags_well_known", "40 04 04 00000001", 0, 0, nullptr, kTaw, attr::kMultiExitDisc},

    // ---- RFC 7606 §7.5 LOCAL_PREF
    // From an internal peer, length other than 4 -> treat-as-withdraw.
    {"local_pref_length_2_ibgp", "40 05 02 0001", 0, 0, nullptr, kTaw, attr::kLocalPref},
    // From an external peer -> attribute-discard, even when malformed.
    {"local_pref_from_ebgp", "40 05 04 00000064", kExternal, 0, nullptr, kDiscard,
     attr::kLocalPref},
    {"local_pref_malformed_from_ebgp", "40 05 01 00", kExternal, 0, nullptr, kDiscard,
     attr::kLocalPref},

    // ---- RFC 7606 §7.6 ATOMIC_AGGREGATE: length other than 0 -> attribute-discard
    {"atomic_aggregate_length_1", "40 06 01 00", 0, 0, nullptr, kDiscard,
     attr::kAtomicAggregate},

    // ---- RFC 7606 §7.7 AGGREGATOR: length other than 6 / 8 -> attribute-discard
    {"aggregator_length_7", "c0 07 07 0000fde9 c00002", 0, 0, nullptr, kDiscard,
     attr::kAggregator},
    {"aggregator_length_6_on_4octet", "c0 07 06 fde9 c0000201", 0, 0, nullptr, kDiscard,
     attr::kAggregator},
    {"aggregator_length_8_on_2octet", "c0 07 08 0000fde9 c0000201", kTwoOctet, 0, nullptr,
     kDiscard, attr::kAggregator},
    // RFC 7606 §3 c: AGGREGATOR is optional transitive.
    {"aggregator_flags_non_transitive", "80 07 08 0000fde9 c0000201", 0, 0, nullptr, kTaw,
     attr::kAggregator},

    // ---- RFC 7606 §7.8 COMMUNITIES: not a non-zero multiple of 4 -> treat-as-withdraw
    {"communities_length_0", "c0 08 00", 0, 0, nullptr, kTaw, attr::kCommunities},
    {"communities_length_6", "c0 08 06 fde90064 0001", 0, 0, nullptr, kTaw, attr::kCommunities},

    // ---- RFC 7606 §7.9 ORIGINATOR_ID
    {"originator_id_length_3_ibgp", "80 09 03 0a0000", 0, 0, nullptr, kTaw,
     attr::kOriginatorId},
    {"originator_id_from_ebgp", "80 09 04 0a000001", kExternal, 0, nullptr, kDiscard,
     attr::kOriginatorId},

    // ---- RFC 7606 §7.10 CLUSTER_LIST
    {"cluster_list_length_5_ibgp", "80 0a 05 0a000001 02", 0, 0, nullptr, kTaw,
     attr::kClusterList},
    {"cluster_list_length_0_ibgp", "80 0a 00", 0, 0, nullptr, kTaw, attr::kClusterList},
    {"cluster_list_from_ebgp", "80 0a 04 0a000001", kExternal, 0, nullptr, kDiscard,
     attr::kClusterList},

    // ---- RFC 7606 §7.14 EXTENDED_COMMUNITIES: not a non-zero multiple of 8 -> TaW
    {"ext_communities_length_7", "c0 10 07 0002fde9000000", 0, 0, nullptr, kTaw,
     attr::kExtendedCommunities},
    {"ext_communities_length_0", "c0 10 00", 0, 0, nullptr, kTaw, attr::kExtendedCommunities},

    // ---- RFC 8092 §6 LARGE_COMMUNITY: not a non-zero multiple of 12 -> TaW
    {"large_community_length_13", "c0 20 0d 0000fde9 00000001 00000002 00", 0, 0, nullptr,
     kTaw, attr::kLargeCommunity},
    {"large_community_length_0", "c0 20 00", 0, 0, nullptr, kTaw, attr::kLargeCommunity},

    // ---- RFC 6793
    // §4.1: AS4_PATH / AS4_AGGREGATOR on a 4-octet session -> discarded.
    {"as4_path_on_4octet_session", "c0 11 06 02 01 00011170", 0, 0, nullptr, kDiscard,
     attr::kAs4Path},
    {"as4_aggregator_on_4octet_session", "c0 12 08 00011170 c0000201", 0, 0, nullptr,
     kDiscard, attr::kAs4Aggregator},
    // §6: malformed AS4_PATH / AS4_AGGREGATOR -> attribute-discard.
    {"as4_path_zero_length_segment", "c0 11 02 02 00", kTwoOctet, 0, nullptr, kDiscard,
     attr::kAs4Path},
    {"as4_path_not_multiple_of_4", "c0 11 04 02 01 fde9", kTwoOctet, 0, nullptr, kDiscard,
     attr::kAs4Path},
    {"as4_aggregator_length_6", "c0 12 06 fde9 c0000201", kTwoOctet, 0, nullptr, kDiscard,
     attr::kAs4Aggregator},
    {"as4_path_flags_non_transitive", "80 11 06 02 01 00011170", kTwoOctet, 0, nullptr,
     kDiscard, attr::kAs4Path},
    // §6: confederation segments in AS4_PATH are discarded (the rest is used).
    {"as4_path_confed_segment", "c0 11 06 03 01 0000fc00", kTwoOctet, 0, nullptr, kDiscard,
     attr::kAs4Path},

    // ---- RFC 4271 §6.3: unrecognised well-known attribute -> session reset, subcode 2,
    // data = the attribute.
    {"unrecognized_well_known", "40 63 01 00", 0, err::kUnrecognizedWellKnownAttribute,
     kWholeInput, kNone, 0},
    {"unrecognized_well_known_type_0", "40 00 00", 0, err::kUnrecognizedWellKnownAttribute,
     kWholeInput, kNone, 0},

    // ---- RFC 7606 §3 g: duplicates
    {"duplicate_origin_discarded", "40 01 01 00  40 01 01 01", 0, 0, nullptr, kDiscard,
     attr::kOrigin},
    {"duplicate_unknown_discarded", "c0 63 01 00  c0 63 01 01", 0, 0, nullptr, kDiscard, 99},
    {"duplicate_mp_reach", "80 0f 03 0002 01  80 0e 09 0001 01 04 c0000201 00  80 0e 09 0001 01 04 c0000201 00", 0,
     err::kMalformedAttributeList, "", kNone, 0},
    {"duplicate_mp_unreach", "80 0f 03 0002 01  80 0f 03 0001 01", 0,
     err::kMalformedAttributeList, "", kNone, 0},

    // ---- RFC 7606 §4: attribute lengths in conflict with the list length
    // First case: the last attribute overruns the list -> treat-as-withdraw.
    {"attribute_overruns_list", "40 01 01 00  40 02 09 02 01 0000fde9", 0, 0, nullptr, kTaw,
     attr::kAsPath},
    // Second case: fewer than 3 octets left -> treat-as-withdraw.
    {"two_octets_left", "40 01 01 00  40 02", 0, 0, nullptr, kTaw, attr::kAsPath},
    {"one_octet_left", "40 01 01 00  40", 0, 0, nullptr, kTaw, 0},
    // ... or fewer than 4 with Extended Length.
    {"three_octets_left_extended", "40 01 01 00  50 02 00", 0, 0, nullptr, kTaw, attr::kAsPath},
    // An overrunning MP_REACH/MP_UNREACH hides NLRI we would have to withdraw: RFC 7606 §5.3
    // -> session reset; RFC 4271 §6.3 Attribute Length Error with the attribute as data.
    {"mp_reach_overruns_list", "80 0e 20 0002 01 10", 0, err::kAttributeLengthError,
     kWholeInput, kNone, 0},
    {"mp_unreach_overruns_list_extended", "90 0f 0100 0002 01", 0, err::kAttributeLengthError,
     kWholeInput, kNone, 0},

    // ---- RFC 7606 §3 d: well-known mandatory attribute missing with NLRI -> TaW
    {"missing_origin", "40 02 00  40 03 04 c0000201", kHasNlri, 0, nullptr, kTaw, attr::kOrigin},
    {"missing_as_path", "40 01 01 00  40 03 04 c0000201", kHasNlri, 0, nullptr, kTaw,
     attr::kAsPath},
    {"missing_next_hop", "40 01 01 00  40 02 00", kHasNlri, 0, nullptr, kTaw, attr::kNextHop},
    // RFC 4760 §3: with MP_REACH_NLRI, NEXT_HOP is not required.
    {"mp_reach_without_next_hop_ok",
     "80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8  40 01 01 00  40 02 00",
     kHasNlri, 0, nullptr, kNone, 0},
    // An MP_REACH_NLRI without NLRI: the NLRI are in the NLRI field, which needs NEXT_HOP.
    {"mp_reach_without_nlri_needs_next_hop",
     "80 0e 15 0002 01 10 20010db8000000000000000000000001 00  40 01 01 00  40 02 00", kHasNlri,
     0, nullptr, kTaw, attr::kNextHop},
    // No NLRI: nothing is mandatory (a withdraw-only UPDATE).
    {"no_nlri_nothing_mandatory", "", 0, 0, nullptr, kNone, 0},

    // ---- MP_REACH_NLRI / MP_UNREACH_NLRI: RFC 7606 §7.11 / §5.3, kbgp resets the session
    // RFC 7606 §3 c would say treat-as-withdraw, but the NLRI cannot be trusted: reset with
    // Attribute Flags Error, data = the attribute (RFC 4271 §6.3).
    {"mp_reach_flags_transitive", "c0 0e 05 0001 01 00 00", 0, err::kAttributeFlagsError,
     kWholeInput, kNone, 0},
    {"mp_unreach_flags_well_known", "40 0f 03 0001 01", 0, err::kAttributeFlagsError,
     kWholeInput, kNone, 0},
    // Too short for AFI/SAFI: Attribute Length Error.
    {"mp_reach_too_short", "80 0e 02 0002", 0, err::kAttributeLengthError, kWholeInput, kNone,
     0},
    {"mp_unreach_too_short", "80 0f 02 0002", 0, err::kAttributeLengthError, kWholeInput, kNone,
     0},
    // Next hop overruns the attribute / no Reserved octet.
    {"mp_reach_next_hop_overrun", "80 0e 08 0002 01 10 20010db8", 0, err::kAttributeLengthError,
     kWholeInput, kNone, 0},
    {"mp_reach_missing_reserved", "80 0e 08 0001 01 04 c0000201", 0, err::kAttributeLengthError,
     kWholeInput, kNone, 0},
    // Next hop length inconsistent with the AFI (RFC 7606 §7.11): Optional Attribute Error
    // (RFC 4760 §7).
    {"mp_reach_ipv6_next_hop_length_4", "80 0e 09 0002 01 04 c0000201 00", 0,
     err::kOptionalAttributeError, kWholeInput, kNone, 0},
    {"mp_reach_ipv4_next_hop_length_8", "80 0e 0d 0001 01 08 c0000201c0000202 00", 0,
     err::kOptionalAttributeError, kWholeInput, kNone, 0},
    {"mp_reach_next_hop_length_0", "80 0e 05 0002 01 00 00", 0, err::kOptionalAttributeError,
     kWholeInput, kNone, 0},
    // NLRI inside MP_REACH/MP_UNREACH that cannot be parsed (RFC 7606 §5.3).
    {"mp_reach_prefix_length_129",
     "80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81", 0,
     err::kOptionalAttributeError, kWholeInput, kNone, 0},
    {"mp_reach_nlri_truncated", "80 0e 0c 0001 01 04 c0000201 00 18 0a00", 0,
     err::kOptionalAttributeError, kWholeInput, kNone, 0},
    {"mp_unreach_ipv4_prefix_length_33", "80 0f 08 0001 01 21 0a000001", 0,
     err::kOptionalAttributeError, kWholeInput, kNone, 0},
    {"mp_unreach_add_path_truncated_id", "80 0f 06 0001 01 000000", kAddPath,
     err::kOptionalAttributeError, kWholeInput, kNone, 0},
    // MRT (RFC 6396 §4.3.4): abbreviated next hop of the wrong size for the family.
    {"mrt_abbreviated_ipv4_next_hop_for_ipv6", "80 0e 05 04 c0000201", kMrtV6,
     err::kOptionalAttributeError, kWholeInput, kNone, 0},

    // ---- NLRI field (RFC 4271 §6.3 Invalid Network Field, RFC 7606 §5.3: session reset)
    {"nlri_prefix_length_33", "21 0a000001 00", kNlriV4, err::kInvalidNetworkField, "", kNone,
     0},
    {"nlri_prefix_truncated", "18 0a00", kNlriV4, err::kInvalidNetworkField, "", kNone, 0},
    {"nlri_ipv6_prefix_length_129", "81 20010db8000000000000000000000001 00", kNlriV6,
     err::kInvalidNetworkField, "", kNone, 0},
    {"nlri_add_path_truncated_id", "00000001 08 0a  0000", kNlriV4 | kAddPath,
     err::kInvalidNetworkField, "", kNone, 0},
    {"nlri_add_path_missing_prefix", "00000001", kNlriV4 | kAddPath, err::kInvalidNetworkField,
     "", kNone, 0},
    // Bits past the mask are accepted and cleared (MRT sample nlri_mask_trailing_bits).
    {"nlri_trailing_bits_ok", "19 0a0001ff", kNlriV4, 0, nullptr, kNone, 0},
};

class MalformedTest : public ::testing::TestWithParam<Row> {};

TEST_P(MalformedTest, Outcome) {
  const Row& row = GetParam();
  const Bytes in = Hex(row.hex);
  CodecOptions opts;
  opts.four_octet_as = !(row.opts & kTwoOctet);
  opts.external_peer = row.opts & kExternal;
  opts.add_path_ipv4 = opts.add_path_ipv6 = row.opts & kAddPath;
  if (row.opts & kMrtV6) {
    opts.mrt_abbreviated_mp_reach = true;
    opts.mrt_family = kIPv6Unicast;
  }
  absl::Status status;
  ErrorReport report;
  PathAttributes attrs;
  if (row.opts & (kNlriV4 | kNlriV6)) {
    std::vector<Nlri> nlri;
    status = DecodeNlri(Reader(in), (row.opts & kNlriV4) ? Family::kIPv4 : Family::kIPv6,
                        row.opts & kAddPath, &nlri);
  } else {
    status = DecodePathAttributes(Reader(in), opts, row.opts & kHasNlri, &attrs, &report);
  }

  if (row.subcode != 0) {
    ASSERT_FALSE(status.ok()) << "expected a session reset";
    std::optional<BgpErrorInfo> info = GetBgpError(status);
    ASSERT_TRUE(info.has_value()) << status;
    EXPECT_EQ(info->code, err::kUpdateMessage);
    EXPECT_EQ(info->subcode, row.subcode) << status;
    if (row.data != nullptr) {
      const std::string want =
          absl::string_view(row.data) == kWholeInput ? ToHex(in) : ToHex(Hex(row.data));
      EXPECT_EQ(ToHex(info->data), want);
    }
    return;
  }
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(report.action, row.action);
  if (row.action == ErrorAction::kNone) {
    EXPECT_TRUE(report.errors.empty()) << report.errors[0].reason;
    return;
  }
  bool found = false;
  for (const AttributeError& e : report.errors) {
    if (e.type == row.type && e.action == row.action) found = true;
  }
  EXPECT_TRUE(found) << "no " << static_cast<int>(row.action) << " error on "
                     << AttributeName(row.type);

  // A soft error never leaves the offending attribute half-stored: the attributes decoded
  // re-encode to something that decodes to the same (RFC 7606 actions are data; the rest of
  // the UPDATE is usable).
  Bytes re;
  ASSERT_TRUE(EncodePathAttributes(attrs, opts, &re).ok());
  PathAttributes again;
  ErrorReport report2;
  ASSERT_TRUE(DecodePathAttributes(Reader(re), opts, false, &again, &report2).ok());
  EXPECT_EQ(again, attrs);
}

INSTANTIATE_TEST_SUITE_P(Rfc7606, MalformedTest, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& p) {
                           return std::string(p.param.name);
                         });

TEST(MalformedTable, HasAtLeastFortyRows) { EXPECT_GE(std::size(kRows), 40u); }

TEST(Malformed, DiscardedAttributeIsNotStored) {
  // RFC 7606 §2 attribute-discard: the rest of the UPDATE is used as if the attribute
  // had not been there.
  const Bytes in = Hex("40 01 01 00  40 06 01 00  c0 07 07 00000000000000");
  PathAttributes attrs;
  ErrorReport report;
  ASSERT_TRUE(DecodePathAttributes(Reader(in), {}, false, &attrs, &report).ok());
  EXPECT_EQ(report.action, ErrorAction::kAttributeDiscard);
  EXPECT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(attrs.origin, Origin::kIgp);
  EXPECT_FALSE(attrs.atomic_aggregate);
  EXPECT_FALSE(attrs.aggregator.has_value());
}

TEST(Malformed, TreatAsWithdrawStillDecodesMpNlri) {
  // RFC 7606 §5.1: treat-as-withdraw needs the NLRI; MP_REACH after a malformed attribute is
  // still decoded so its prefixes can be withdrawn.
  const Bytes in = Hex("40 01 01 07  80 0e 0d 0001 01 04 c0000201 00 18 0a0000");
  PathAttributes attrs;
  ErrorReport report;
  ASSERT_TRUE(DecodePathAttributes(Reader(in), {}, true, &attrs, &report).ok());
  EXPECT_EQ(report.action, ErrorAction::kTreatAsWithdraw);
  ASSERT_TRUE(attrs.mp_reach.has_value());
  EXPECT_EQ(attrs.mp_reach->nlri.size(), 1u);
  EXPECT_FALSE(attrs.origin.has_value());
  // A malformed ORIGIN is not also reported as missing.
  EXPECT_EQ(report.errors.size(), 2u);  // ORIGIN value, AS_PATH missing
}

TEST(Malformed, DuplicateKeepsFirst) {
  const Bytes in = Hex("40 01 01 01  40 01 01 07");
  PathAttributes attrs;
  ErrorReport report;
  ASSERT_TRUE(DecodePathAttributes(Reader(in), {}, false, &attrs, &report).ok());
  EXPECT_EQ(attrs.origin, Origin::kEgp);
  EXPECT_EQ(report.action, ErrorAction::kAttributeDiscard);  // the later one is not parsed
}

}  // namespace
}  // namespace kbgp::wire
