// Golden-byte tests for the path attribute and NLRI codecs, both directions, plus round
// trips and a mutation test of decode -> encode -> decode stability.
#include "daemon/wire/attributes.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "daemon/common/bytes.h"
#include "daemon/common/ip.h"
#include "daemon/common/status.h"
#include "daemon/wire/constants.h"
#include "gmock/gmock.h"
#include "daemon/common/hex.h"
#include "gtest/gtest.h"

namespace kbgp::wire {
namespace {

using ::testing::ElementsAre;

Bytes Hex(absl::string_view s) { return HexToBytes(s); }

std::string ToHex(ByteSpan b) { return BytesToHex(b); }

IpAddress Ip(absl::string_view s) { return *IpAddress::Parse(s); }
Prefix Pfx(absl::string_view s) { return *Prefix::Parse(s); }

CodecOptions TwoOctet() {
  CodecOptions o;
  o.four_octet_as = false;
  return o;
}

struct Decoded {
  absl::Status status;
  PathAttributes attrs;
  ErrorReport report;
};

Decoded Decode(const Bytes& b, const CodecOptions& opts = {}, bool has_nlri = false) {
  Decoded d;
  d.status = DecodePathAttributes(Reader(b), opts, has_nlri, &d.attrs, &d.report);
  return d;
}

Bytes Encode(const PathAttributes& a, const CodecOptions& opts = {}) {
  Bytes out;
  absl::Status s = EncodePathAttributes(a, opts, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// Decodes `hex`, expects `want` and no errors, encodes `want` and expects `hex` back.
void ExpectGolden(absl::string_view hex, const PathAttributes& want,
                  const CodecOptions& opts = {}) {
  Decoded d = Decode(Hex(hex), opts);
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(d.report.action, ErrorAction::kNone);
  EXPECT_TRUE(d.report.errors.empty()) << d.report.errors[0].reason;
  EXPECT_EQ(d.attrs, want);
  EXPECT_EQ(ToHex(Encode(want, opts)), ToHex(Hex(hex)));
}

AsSegment Seq(std::vector<uint32_t> asns) { return {AsSegmentType::kSequence, std::move(asns)}; }
AsSegment Set(std::vector<uint32_t> asns) { return {AsSegmentType::kSet, std::move(asns)}; }
AsSegment CSeq(std::vector<uint32_t> asns) {
  return {AsSegmentType::kConfedSequence, std::move(asns)};
}
AsSegment CSet(std::vector<uint32_t> asns) { return {AsSegmentType::kConfedSet, std::move(asns)}; }

// ---- One attribute at a time, both directions ----

TEST(AttributesGolden, Origin) {
  PathAttributes a;
  a.origin = Origin::kIncomplete;
  ExpectGolden("40 01 01 02", a);
}

TEST(AttributesGolden, AsPathFourOctet) {
  PathAttributes a;
  a.as_path = AsPath{Seq({65001, 4200000000u}), Set({65003, 65004})};
  ExpectGolden("40 02 14  02 02 0000fde9 fa56ea00  01 02 0000fdeb 0000fdec", a);
}

TEST(AttributesGolden, AsPathTwoOctet) {
  PathAttributes a;
  a.as_path = AsPath{Seq({65001, 65002}), Set({3})};
  ExpectGolden("40 02 0a  02 02 fde9 fdea  01 01 0003", a, TwoOctet());
}

TEST(AttributesGolden, AsPathConfedSegments) {
  PathAttributes a;
  a.as_path = AsPath{CSeq({64512, 64513}), CSet({64514}), Seq({65001})};
  ExpectGolden("40 02 16  03 02 0000fc00 0000fc01  04 01 0000fc02  02 01 0000fde9", a);
}

TEST(AttributesGolden, EmptyAsPath) {
  PathAttributes a;
  a.as_path = AsPath{};
  ExpectGolden("40 02 00", a);
}

TEST(AttributesGolden, NextHop) {
  PathAttributes a;
  a.next_hop = Ip("192.0.2.1");
  ExpectGolden("40 03 04 c0000201", a);
}

TEST(AttributesGolden, MedAndLocalPref) {
  PathAttributes a;
  a.med = 100;
  a.local_pref = 200;
  ExpectGolden("80 04 04 00000064  40 05 04 000000c8", a);
}

TEST(AttributesGolden, AtomicAggregateAndAggregator) {
  PathAttributes a;
  a.atomic_aggregate = true;
  a.aggregator = Aggregator{4200000000u, Ip("192.0.2.9")};
  ExpectGolden("40 06 00  c0 07 08 fa56ea00 c0000209", a);
}

TEST(AttributesGolden, AggregatorTwoOctet) {
  PathAttributes a;
  a.aggregator = Aggregator{65001, Ip("192.0.2.9")};
  ExpectGolden("c0 07 06 fde9 c0000209", a, TwoOctet());
}

TEST(AttributesGolden, Communities) {
  PathAttributes a;
  a.communities = std::vector<uint32_t>{0xfde90064, 0xffffff01};
  ExpectGolden("c0 08 08 fde90064 ffffff01", a);
}

TEST(AttributesGolden, OriginatorIdAndClusterList) {
  PathAttributes a;
  a.originator_id = Ip("10.0.0.1");
  a.cluster_list = std::vector<uint32_t>{0x0a000002, 0x0a000003};
  ExpectGolden("80 09 04 0a000001  80 0a 08 0a000002 0a000003", a);
}

TEST(AttributesGolden, ExtendedCommunities) {
  PathAttributes a;
  a.extended_communities = std::vector<uint64_t>{0x0002fde900000064ull};
  ExpectGolden("c0 10 08 0002fde900000064", a);
}

TEST(AttributesGolden, LargeCommunities) {
  PathAttributes a;
  a.large_communities = std::vector<LargeCommunity>{{65001, 1, 2}, {4200000000u, 3, 4}};
  ExpectGolden("c0 20 18 0000fde9 00000001 00000002 fa56ea00 00000003 00000004", a);
}

TEST(AttributesGolden, MpReachIPv6WithLinkLocal) {
  PathAttributes a;
  MpReach mp;
  mp.family = kIPv6Unicast;
  mp.next_hop = Ip("2001:db8::1");
  mp.link_local_next_hop = Ip("fe80::1");
  mp.nlri = {{Pfx("2001:db8::/32"), 0}, {Pfx("2001:db8:1::/48"), 0}};
  a.mp_reach = mp;
  ExpectGolden(
      "80 0e 31  0002 01 20"
      "  20010db8000000000000000000000001 fe800000000000000000000000000001"
      "  00  20 20010db8  30 20010db80001",
      a);
}

TEST(AttributesGolden, MpReachIPv6Multicast) {
  PathAttributes a;
  MpReach mp;
  mp.family = {kAfiIPv6, kSafiMulticast};
  mp.next_hop = Ip("2001:db8::1");
  mp.nlri = {{Pfx("ff00::/8"), 0}};
  a.mp_reach = mp;
  ExpectGolden("80 0e 17  0002 02 10 20010db8000000000000000000000001 00 08 ff", a);
}

TEST(AttributesGolden, MpReachRfc8950IPv4WithIPv6NextHop) {
  PathAttributes a;
  MpReach mp;
  mp.family = kIPv4Unicast;
  mp.next_hop = Ip("2001:db8::1");
  mp.nlri = {{Pfx("10.0.0.0/24"), 0}};
  a.mp_reach = mp;
  ExpectGolden("80 0e 19  0001 01 10 20010db8000000000000000000000001 00 18 0a0000", a);
}

TEST(AttributesGolden, MpReachIPv4AddPath) {
  CodecOptions opts;
  opts.add_path_ipv4 = true;
  PathAttributes a;
  MpReach mp;
  mp.family = kIPv4Unicast;
  mp.next_hop = Ip("192.0.2.1");
  mp.nlri = {{Pfx("10.0.0.0/8"), 1}, {Pfx("10.1.0.0/16"), 7}};
  a.mp_reach = mp;
  ExpectGolden("80 0e 16  0001 01 04 c0000201 00  00000001 08 0a  00000007 10 0a01", a, opts);
}

TEST(AttributesGolden, MpReachOtherFamilyIsOpaque) {
  PathAttributes a;
  MpReach mp;
  mp.family = {kAfiIPv4, 128};  // L3VPN: not decoded
  mp.opaque = Hex("0c 0000000000000000 c0000201 00 70 000101 0000fde900000001 0a00");
  a.mp_reach = mp;
  ExpectGolden("80 0e 1f  0001 80  0c 0000000000000000 c0000201 00 70 000101 0000fde900000001 0a00",
               a);
}

TEST(AttributesGolden, MpUnreach) {
  PathAttributes a;
  MpUnreach mp;
  mp.family = kIPv6Unicast;
  mp.withdrawn = {{Pfx("2001:db8::/32"), 0}};
  a.mp_unreach = mp;
  ExpectGolden("80 0f 08  0002 01  20 20010db8", a);
}

TEST(AttributesGolden, MpUnreachEndOfRib) {
  PathAttributes a;
  a.mp_unreach = MpUnreach{kIPv6Unicast, {}, {}};
  ExpectGolden("80 0f 03 0002 01", a);
}

TEST(AttributesGolden, UnknownTransitiveGetsPartialBit) {
  // Received without Partial: decoded with it, because that is how kbgp passes it on
  // (RFC 4271 §5).
  Decoded d = Decode(Hex("c0 63 02 abcd"));
  ASSERT_TRUE(d.status.ok());
  ASSERT_EQ(d.attrs.unknown.size(), 1u);
  EXPECT_EQ(d.attrs.unknown[0], (RawAttribute{0xe0, 99, Hex("abcd")}));
  EXPECT_EQ(ToHex(Encode(d.attrs)), "e06302abcd");
  // Built by hand without the Partial bit: the encoder sets it.
  PathAttributes a;
  a.unknown.push_back({0xc0, 99, Hex("abcd")});
  EXPECT_EQ(ToHex(Encode(a)), "e06302abcd");
}

TEST(AttributesGolden, UnknownNonTransitiveKept) {
  PathAttributes a;
  a.unknown.push_back({0x80, 200, Hex("01")});
  ExpectGolden("80 c8 01 01", a);
}

TEST(AttributesGolden, ExtendedLength) {
  // 64 communities = 256 octets: needs the Extended Length form.
  PathAttributes a;
  std::vector<uint32_t> c;
  std::string hex = "d0 08 0100";
  for (uint32_t i = 0; i < 64; ++i) {
    c.push_back(0xfde90000 + i);
    absl::StrAppend(&hex, " fde900", absl::Hex(i, absl::kZeroPad2));
  }
  a.communities = c;
  ExpectGolden(hex, a);
}

TEST(AttributesGolden, ExtendedLengthOnShortValueIsAccepted) {
  // The sender may use Extended Length for a short value; we decode it and send the short
  // form.
  Decoded d = Decode(Hex("50 01 0001 00"));
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.origin, Origin::kIgp);
  EXPECT_EQ(ToHex(Encode(d.attrs)), "40010100");
}

TEST(AttributesGolden, LowFlagBitsAndPartialOnWellKnownIgnored) {
  Decoded d = Decode(Hex("6f 01 01 01"));  // Partial + 4 unused bits set on ORIGIN
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.report.action, ErrorAction::kNone);
  EXPECT_EQ(d.attrs.origin, Origin::kEgp);
}

TEST(AttributesGolden, CanonicalOrderMpFirstThenTypeCode) {
  PathAttributes a;
  a.origin = Origin::kIgp;
  a.as_path = AsPath{Seq({65001})};
  a.med = 5;
  a.mp_reach = MpReach{kIPv6Unicast, Ip("2001:db8::1"), std::nullopt, {{Pfx("::/0"), 0}}, {}};
  a.unknown.push_back({0xc0, 20, Hex("aa")});
  a.unknown.push_back({0x80, 3 + 0x60, Hex("bb")});  // type 99
  a.large_communities = std::vector<LargeCommunity>{{1, 2, 3}};
  const std::string want =
      "800e1600020110" "20010db8000000000000000000000001" "0000"  // MP_REACH first
      "40010100"                                                  // ORIGIN
      "4002060201" "0000fde9"                                     // AS_PATH
      "80040400000005"                                            // MED
      "e01401aa"                                                  // ATTR(20), Partial
      "c0200c000000010000000200000003"                            // LARGE_COMMUNITY
      "806301bb";                                                 // ATTR(99)
  EXPECT_EQ(ToHex(Encode(a)), want);
  // Decoding restores the same struct (unknown attributes sorted by type code).
  Decoded d = Decode(Hex(want));
  ASSERT_TRUE(d.status.ok());
  PathAttributes expected = a;
  expected.unknown[0].flags = 0xe0;
  EXPECT_EQ(d.attrs, expected);
}

TEST(AttributesGolden, UnknownAttributesSortedOnDecode) {
  Decoded d = Decode(Hex("c0 64 01 02  c0 63 01 01"));
  ASSERT_TRUE(d.status.ok());
  ASSERT_EQ(d.attrs.unknown.size(), 2u);
  EXPECT_EQ(d.attrs.unknown[0].type, 99);
  EXPECT_EQ(d.attrs.unknown[1].type, 100);
}

// ---- AS paths longer than a segment ----

TEST(AttributesGolden, LongSequenceSplitIntoSegments) {
  std::vector<uint32_t> asns;
  for (uint32_t i = 0; i < 300; ++i) asns.push_back(65000 + i);
  PathAttributes a;
  a.as_path = AsPath{Seq(asns)};
  Bytes b = Encode(a);
  // 2 segment headers + 300 * 4 octets = 1204 = 0x04b4: Extended Length.
  ASSERT_GE(b.size(), 6u);
  EXPECT_EQ(ToHex(Bytes(b.begin(), b.begin() + 6)), "500204b402ff");
  EXPECT_EQ(b[4 + 2 + 255 * 4], 2);
  EXPECT_EQ(b[4 + 2 + 255 * 4 + 1], 45);
  Decoded d = Decode(b);
  ASSERT_TRUE(d.status.ok());
  ASSERT_EQ(d.attrs.as_path->size(), 2u);
  EXPECT_EQ(AsPathLength(*d.attrs.as_path), 300);
  EXPECT_EQ(Encode(d.attrs), b);
}

TEST(AttributesGolden, EmptySegmentsAndListsNotWritten) {
  PathAttributes a;
  a.as_path = AsPath{Seq({}), Seq({1})};
  a.communities = std::vector<uint32_t>{};
  EXPECT_EQ(ToHex(Encode(a)), "400206020100000001");
}

TEST(AttributesEncode, HugeSetRejected) {
  std::vector<uint32_t> asns(256, 1);
  PathAttributes a;
  a.origin = Origin::kIgp;
  a.as_path = AsPath{Set(asns)};
  Bytes out = {0xaa};
  EXPECT_FALSE(EncodePathAttributes(a, {}, &out).ok());
  EXPECT_EQ(out, Bytes{0xaa});  // nothing half-written
}

TEST(AttributesEncode, WrongFamiliesRejected) {
  PathAttributes a;
  a.next_hop = Ip("2001:db8::1");
  Bytes out;
  EXPECT_FALSE(EncodePathAttributes(a, {}, &out).ok());
  EXPECT_TRUE(out.empty());
  PathAttributes b;
  b.mp_reach = MpReach{kIPv6Unicast, Ip("192.0.2.1"), std::nullopt, {}, {}};
  EXPECT_FALSE(EncodePathAttributes(b, {}, &out).ok());
  PathAttributes c;
  c.mp_reach = MpReach{kIPv6Unicast, Ip("2001:db8::1"), std::nullopt, {{Pfx("10.0.0.0/8"), 0}}, {}};
  EXPECT_FALSE(EncodePathAttributes(c, {}, &out).ok());
}

// ---- RFC 6793: 2-octet sessions ----

TEST(As4, MergeTakesLeadingPartFromAsPath) {
  // AS_PATH 65001 23456 65002; AS4_PATH 70000 65002 -> 65001 70000 65002 (RFC 6793 §4.2.3).
  Decoded d = Decode(Hex("40 02 08 02 03 fde9 5ba0 fdea  c0 11 0a 02 02 00011170 0000fdea"),
                     TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_TRUE(d.report.errors.empty());
  EXPECT_EQ(d.attrs.as_path, (AsPath{Seq({65001}), Seq({70000, 65002})}));
  EXPECT_FALSE(d.attrs.as4_path.has_value());
}

TEST(As4, EncodeWritesAsTransAndAs4Path) {
  // RFC 6793 §4.2.2: AS_TRANS in AS_PATH, AS4_PATH from the first segment needing it.
  PathAttributes a;
  a.as_path = AsPath{Seq({65001}), Seq({70000, 65002})};
  const std::string want =
      "40020a" "0201fde9" "02025ba0fdea"  // AS_PATH
      "c0110a" "020200011170" "0000fdea";  // AS4_PATH
  EXPECT_EQ(ToHex(Encode(a, TwoOctet())), want);
  Decoded d = Decode(Hex(want), TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs, a);
}

TEST(As4, OnlyTwoOctetNumbersNoAs4Path) {
  PathAttributes a;
  a.as_path = AsPath{Seq({65001, 65002})};
  EXPECT_EQ(ToHex(Encode(a, TwoOctet())), "4002060202fde9fdea");
}

TEST(As4, Aggregator4OctetOnTwoOctetSession) {
  PathAttributes a;
  a.aggregator = Aggregator{70000, Ip("192.0.2.9")};
  const std::string want = "c00706" "5ba0c0000209" "c01208" "00011170c0000209";
  EXPECT_EQ(ToHex(Encode(a, TwoOctet())), want);
  Decoded d = Decode(Hex(want), TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs, a);
}

TEST(As4, Aggregator2OctetWithAs4PathUsesAsTrans) {
  // An AGGREGATOR that is not AS_TRANS makes the receiver ignore AS4_PATH (§4.2.3), so
  // when AS4_PATH is needed the aggregator AS travels in AS4_AGGREGATOR.
  PathAttributes a;
  a.as_path = AsPath{Seq({70000})};
  a.aggregator = Aggregator{65001, Ip("192.0.2.9")};
  const std::string want =
      "40020402015ba0"                      // AS_PATH 23456
      "c007065ba0c0000209"                  // AGGREGATOR AS_TRANS
      "c011060201" "00011170"               // AS4_PATH 70000
      "c012080000fde9c0000209";             // AS4_AGGREGATOR 65001
  EXPECT_EQ(ToHex(Encode(a, TwoOctet())), want);
  Decoded d = Decode(Hex(want), TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs, a);
}

TEST(As4, As4PathLongerThanAsPathIgnored) {
  Decoded d = Decode(Hex("40 02 04 02 01 5ba0  c0 11 0a 02 02 00011170 00011171"), TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.as_path, (AsPath{Seq({23456})}));
  EXPECT_EQ(d.attrs.as4_path, (AsPath{Seq({70000, 70001})}));
  // Passed on as received, so a re-decode sees the same.
  Bytes b = Encode(d.attrs, TwoOctet());
  EXPECT_EQ(ToHex(b), "40020402015ba0c0110a02020001117000011171");
  EXPECT_EQ(Decode(b, TwoOctet()).attrs, d.attrs);
}

TEST(As4, AggregatorNotAsTransIgnoresAs4Attributes) {
  Decoded d = Decode(Hex("40 02 04 02 01 5ba0  c0 07 06 fde9 c0000209"
                         "  c0 11 06 02 01 00011170  c0 12 08 00011171 c0000209"),
                     TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.as_path, (AsPath{Seq({23456})}));
  EXPECT_EQ(d.attrs.aggregator, (Aggregator{65001, Ip("192.0.2.9")}));
  EXPECT_EQ(d.attrs.as4_path, (AsPath{Seq({70000})}));
  EXPECT_EQ(d.attrs.as4_aggregator, (Aggregator{70001, Ip("192.0.2.9")}));
  EXPECT_EQ(Decode(Encode(d.attrs, TwoOctet()), TwoOctet()).attrs, d.attrs);
}

TEST(As4, AggregatorAsTransTakesAs4Aggregator) {
  Decoded d = Decode(Hex("40 02 04 02 01 5ba0  c0 07 06 5ba0 c0000209"
                         "  c0 11 06 02 01 00011170  c0 12 08 00011171 c000020a"),
                     TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.as_path, (AsPath{Seq({70000})}));
  EXPECT_EQ(d.attrs.aggregator, (Aggregator{70001, Ip("192.0.2.10")}));
  EXPECT_FALSE(d.attrs.as4_aggregator.has_value());
}

TEST(As4, ConfedSegmentsInAs4PathDiscarded) {
  // RFC 6793 §6: confederation segments in AS4_PATH are discarded, the rest used.
  Decoded d = Decode(Hex("40 02 06 02 02 fde9 5ba0"
                         "  c0 11 0c 03 01 0000fc00 02 01 00011170"),
                     TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.as_path, (AsPath{Seq({65001}), Seq({70000})}));
  EXPECT_EQ(d.report.action, ErrorAction::kAttributeDiscard);
  ASSERT_EQ(d.report.errors.size(), 1u);
  EXPECT_EQ(d.report.errors[0].type, attr::kAs4Path);
}

TEST(As4, LeadingConfedSegmentKept) {
  // RFC 6793 §4.2.3: a confederation segment that leads AS_PATH is prepended.
  Decoded d = Decode(Hex("40 02 0a 03 01 fc00 02 02 5ba0 fdea  c0 11 0a 02 02 00011170 0000fdea"),
                     TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.as_path, (AsPath{CSeq({64512}), Seq({70000, 65002})}));
  EXPECT_EQ(Decode(Encode(d.attrs, TwoOctet()), TwoOctet()).attrs, d.attrs);
}

TEST(As4, SetCountsOneInMerge) {
  // AS_PATH {1,2} 23456 (length 2); AS4_PATH 70000 (length 1): take the set, then AS4_PATH.
  Decoded d = Decode(Hex("40 02 0a 01 02 0001 0002 02 01 5ba0  c0 11 06 02 01 00011170"),
                     TwoOctet());
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.as_path, (AsPath{Set({1, 2}), Seq({70000})}));
}

TEST(As4, FourOctetSessionDiscardsAs4Attributes) {
  Decoded d = Decode(Hex("40 02 06 02 01 00011170  c0 11 06 02 01 00011171"
                         "  c0 12 08 00011171 c0000209"));
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs.as_path, (AsPath{Seq({70000})}));
  EXPECT_FALSE(d.attrs.as4_path.has_value());
  EXPECT_FALSE(d.attrs.as4_aggregator.has_value());
  EXPECT_EQ(d.report.action, ErrorAction::kAttributeDiscard);
  // Never sent to a 4-octet peer (RFC 6793 §4.1).
  PathAttributes a;
  a.as4_path = AsPath{Seq({1})};
  a.as4_aggregator = Aggregator{1, Ip("192.0.2.1")};
  EXPECT_TRUE(Encode(a).empty());
}

// ---- MRT (RFC 6396 §4.3.4) ----

TEST(Mrt, AbbreviatedMpReach) {
  CodecOptions opts;
  opts.mrt_abbreviated_mp_reach = true;
  opts.mrt_family = kIPv6Unicast;
  PathAttributes a;
  a.mp_reach = MpReach{kIPv6Unicast, Ip("2001:db8::1"), Ip("fe80::1"), {}, {}};
  ExpectGolden("80 0e 21 20 20010db8000000000000000000000001 fe800000000000000000000000000001",
               a, opts);
}

TEST(Mrt, FullMpReachInRibEntryTolerated) {
  CodecOptions opts;
  opts.mrt_abbreviated_mp_reach = true;
  opts.mrt_family = kIPv6Unicast;
  Decoded d = Decode(Hex("80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8"),
                     opts);
  ASSERT_TRUE(d.status.ok()) << d.status;
  ASSERT_TRUE(d.attrs.mp_reach.has_value());
  EXPECT_EQ(d.attrs.mp_reach->next_hop, Ip("2001:db8::1"));
  EXPECT_THAT(d.attrs.mp_reach->nlri, ElementsAre(Nlri{Pfx("2001:db8::/32"), 0}));
  EXPECT_EQ(Decode(Encode(d.attrs, opts), opts).attrs, d.attrs);
}

TEST(Mrt, AbbreviatedIPv4NextHop) {
  CodecOptions opts;
  opts.mrt_abbreviated_mp_reach = true;
  opts.mrt_family = kIPv4Unicast;
  PathAttributes a;
  a.mp_reach = MpReach{kIPv4Unicast, Ip("192.0.2.1"), std::nullopt, {}, {}};
  ExpectGolden("80 0e 05 04 c0000201", a, opts);
}

// ---- NLRI ----

TEST(Nlri, Golden) {
  const Bytes b = Hex("00  08 0a  18 c00002  20 c0000201");
  std::vector<Nlri> got;
  ASSERT_TRUE(DecodeNlri(Reader(b), Family::kIPv4, false, &got).ok());
  EXPECT_THAT(got, ElementsAre(Nlri{Pfx("0.0.0.0/0"), 0}, Nlri{Pfx("10.0.0.0/8"), 0},
                               Nlri{Pfx("192.0.2.0/24"), 0}, Nlri{Pfx("192.0.2.1/32"), 0}));
  Bytes out;
  Writer w(&out);
  for (const Nlri& n : got) EncodeNlri(n, false, &w);
  EXPECT_EQ(out, b);
  EXPECT_EQ(NlriSize(got[2], false), 4u);
}

TEST(Nlri, AddPathGolden) {
  const Bytes b = Hex("00000001 18 0a0000  00000002 20 0a000001");
  std::vector<Nlri> got;
  ASSERT_TRUE(DecodeNlri(Reader(b), Family::kIPv4, true, &got).ok());
  EXPECT_THAT(got, ElementsAre(Nlri{Pfx("10.0.0.0/24"), 1}, Nlri{Pfx("10.0.0.1/32"), 2}));
  Bytes out;
  Writer w(&out);
  for (const Nlri& n : got) EncodeNlri(n, true, &w);
  EXPECT_EQ(out, b);
  EXPECT_EQ(NlriSize(got[0], true), 8u);
}

TEST(Nlri, IPv6Golden) {
  const Bytes b = Hex("40 20010db800000001  80 20010db8000000000000000000000001");
  std::vector<Nlri> got;
  ASSERT_TRUE(DecodeNlri(Reader(b), Family::kIPv6, false, &got).ok());
  EXPECT_THAT(got, ElementsAre(Nlri{Pfx("2001:db8:0:1::/64"), 0},
                               Nlri{Pfx("2001:db8::1/128"), 0}));
}

TEST(Nlri, TrailingBitsPastMaskCleared) {
  // As in the MRT sample updates.nlri_mask_trailing_bits: accepted, bits cleared.
  std::vector<Nlri> got;
  const Bytes b = Hex("19 0a0001ff  07 ff");
  ASSERT_TRUE(DecodeNlri(Reader(b), Family::kIPv4, false, &got).ok());
  EXPECT_THAT(got, ElementsAre(Nlri{Pfx("10.0.1.128/25"), 0}, Nlri{Pfx("254.0.0.0/7"), 0}));
  Bytes out;
  Writer w(&out);
  EncodeNlri(got[0], false, &w);
  EXPECT_EQ(ToHex(out), "190a000180");
}

TEST(Nlri, AppendsToOutput) {
  std::vector<Nlri> got = {Nlri{Pfx("10.0.0.0/8"), 0}};
  const Bytes b = Hex("08 0b");
  ASSERT_TRUE(DecodeNlri(Reader(b), Family::kIPv4, false, &got).ok());
  EXPECT_EQ(got.size(), 2u);
}

// ---- Helpers ----

TEST(AsPath, LengthAndString) {
  AsPath p = {Seq({65001, 65002}), Set({65003, 65004}), CSeq({1, 2}), CSet({3, 4})};
  EXPECT_EQ(AsPathLength(p), 3);
  EXPECT_EQ(AsPathString(p), "65001 65002 {65003,65004} (1 2) [3,4]");
  EXPECT_EQ(AsPathString({}), "");
}

TEST(AttributeNames, KnownAndUnknown) {
  EXPECT_EQ(AttributeName(attr::kOrigin), "ORIGIN");
  EXPECT_EQ(AttributeName(attr::kMpReachNlri), "MP_REACH_NLRI");
  EXPECT_EQ(AttributeName(attr::kLargeCommunity), "LARGE_COMMUNITY");
  EXPECT_EQ(AttributeName(99), "ATTR(99)");
}

TEST(ErrorReportTest, StrongestActionWins) {
  ErrorReport r;
  r.Add(attr::kAtomicAggregate, ErrorAction::kAttributeDiscard, "a");
  r.Add(attr::kOrigin, ErrorAction::kTreatAsWithdraw, "b");
  r.Add(attr::kAggregator, ErrorAction::kAttributeDiscard, "c");
  EXPECT_EQ(r.action, ErrorAction::kTreatAsWithdraw);
  EXPECT_EQ(r.errors.size(), 3u);
}

// ---- Round trips ----

PathAttributes FullSet() {
  PathAttributes a;
  a.origin = Origin::kEgp;
  a.as_path = AsPath{CSeq({64512}), Seq({65001, 4200000000u, 65002}), Set({1, 70000})};
  a.next_hop = Ip("192.0.2.1");
  a.med = 1;
  a.local_pref = 2;
  a.atomic_aggregate = true;
  a.aggregator = Aggregator{4200000001u, Ip("192.0.2.2")};
  a.communities = std::vector<uint32_t>{1, 2, 3};
  a.originator_id = Ip("10.0.0.1");
  a.cluster_list = std::vector<uint32_t>{4};
  a.mp_reach = MpReach{kIPv6Unicast, Ip("2001:db8::1"), Ip("fe80::2"),
                       {{Pfx("2001:db8::/32"), 0}, {Pfx("::/0"), 0}}, {}};
  a.mp_unreach = MpUnreach{kIPv4Unicast, {{Pfx("10.0.0.0/8"), 0}}, {}};
  a.extended_communities = std::vector<uint64_t>{5};
  a.large_communities = std::vector<LargeCommunity>{{6, 7, 8}};
  a.unknown = {{0xe0, 50, Hex("0102")}, {0x80, 150, Hex("")}};
  return a;
}

TEST(RoundTrip, FourOctetSession) {
  const PathAttributes a = FullSet();
  Decoded d = Decode(Encode(a), {}, true);
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_TRUE(d.report.errors.empty());
  EXPECT_EQ(d.attrs, a);
}

TEST(RoundTrip, TwoOctetSession) {
  // The confederation segment leads and holds 2-octet numbers, which RFC 6793 can carry.
  const PathAttributes a = FullSet();
  Decoded d = Decode(Encode(a, TwoOctet()), TwoOctet(), true);
  ASSERT_TRUE(d.status.ok()) << d.status;
  EXPECT_TRUE(d.report.errors.empty());
  EXPECT_EQ(d.attrs, a);
}

TEST(RoundTrip, AddPathBothFamilies) {
  CodecOptions opts;
  opts.add_path_ipv4 = opts.add_path_ipv6 = true;
  PathAttributes a;
  a.mp_reach = MpReach{kIPv6Unicast, Ip("2001:db8::1"), std::nullopt,
                       {{Pfx("2001:db8::/32"), 9}}, {}};
  a.mp_unreach = MpUnreach{kIPv4Unicast, {{Pfx("10.0.0.0/8"), 3}}, {}};
  Decoded d = Decode(Encode(a, opts), opts);
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.attrs, a);
}

// decode -> encode -> decode on mutated inputs, as the fuzzer does: whatever the decoder
// accepts must re-encode to something that decodes to the same attributes.
TEST(RoundTrip, MutatedInputsAreStable) {
  const std::vector<Bytes> seeds = {
      Encode(FullSet()),
      Encode(FullSet(), TwoOctet()),
      Hex("40 02 0a 03 01 fc00 02 02 5ba0 fdea  c0 11 0a 02 02 00011170 0000fdea"
          "  c0 07 06 5ba0 c0000209  c0 12 08 00011171 c000020a"),
      Hex("40 02 04 02 01 5ba0  c0 11 0a 02 02 00011170 00011171  c0 12 08 0000fde9 c0000209"),
      Hex("80 0e 1a 0002 01 10 20010db8000000000000000000000001 00 20 20010db8"
          "  80 0e 05 04 c0000201"),
      // Confederation segment in the middle of the part taken from AS_PATH.
      Hex("40 02 10 02 02 0001 0002 03 01 0003 02 02 0005 5ba0  c0 11 06 02 01 00011170"
          "  40 01 01 00  40 03 04 c0000201"),
  };
  std::mt19937 rng(7606);
  std::vector<CodecOptions> options(6);
  options[1].four_octet_as = false;
  options[2].external_peer = true;
  options[3].add_path_ipv4 = options[3].add_path_ipv6 = true;
  options[3].four_octet_as = false;
  options[4].mrt_abbreviated_mp_reach = true;
  options[4].mrt_family = kIPv6Unicast;
  options[5].mrt_abbreviated_mp_reach = true;
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = seeds[rng() % seeds.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !b.empty(); ++m) {
      switch (rng() % 4) {
        case 0: b[rng() % b.size()] = static_cast<uint8_t>(rng()); break;
        case 1: b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 2: b.erase(b.begin() + static_cast<ptrdiff_t>(rng() % b.size())); break;
        case 3: b.insert(b.begin() + static_cast<ptrdiff_t>(rng() % b.size()),
                         static_cast<uint8_t>(rng())); break;
      }
    }
    const CodecOptions& opts = options[rng() % options.size()];
    Decoded d1 = Decode(b, opts, true);
    if (!d1.status.ok()) {
      EXPECT_TRUE(GetBgpError(d1.status).has_value()) << d1.status;
      continue;
    }
    Bytes e1;
    absl::Status s = EncodePathAttributes(d1.attrs, opts, &e1);
    if (!s.ok()) {
      ADD_FAILURE() << "encode failed: " << s << " input " << ToHex(b);
      continue;
    }
    Decoded d2 = Decode(e1, opts, true);
    ASSERT_TRUE(d2.status.ok()) << d2.status << " input " << ToHex(b);
    ASSERT_EQ(d2.attrs, d1.attrs) << "input " << ToHex(b) << "\nre-encoded " << ToHex(e1);
    Bytes e2;
    ASSERT_TRUE(EncodePathAttributes(d2.attrs, opts, &e2).ok());
    ASSERT_EQ(e2, e1);
    ++accepted;
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace kbgp::wire
