// Golden-byte tests for the message codec: every message type and capability decoded from
// exact bytes and encoded back to exactly those bytes, round trips, and a table of malformed
// headers, OPENs, NOTIFICATIONs and ROUTE-REFRESHes with the NOTIFICATION each must produce.
#include "daemon/wire/message.h"

#include <cctype>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/common/status.h"
#include "daemon/common/hex.h"
#include "gtest/gtest.h"

namespace kbgp::wire {
namespace {

// "ff 00 1d" -> bytes; spaces and newlines ignored.
Bytes Hex(absl::string_view s) { return HexToBytes(s); }

std::string ToHex(ByteSpan b) { return BytesToHex(b); }

constexpr absl::string_view kMarker = "ffffffff ffffffff ffffffff ffffffff";

Bytes Msg(absl::string_view length_and_type, absl::string_view body) {
  return Hex(absl::StrCat(kMarker, length_and_type, body));
}

Bytes Encode(const Message& m, const CodecOptions& opts = {}) {
  Bytes out;
  absl::Status s = EncodeMessage(m, opts, &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

Message Decode(const Bytes& b, const CodecOptions& opts = {}) {
  absl::StatusOr<Message> m = DecodeMessage(b, opts);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : Message(Keepalive{});
}

// Golden both ways: bytes -> struct, struct -> the same bytes.
void ExpectGolden(const Bytes& bytes, const Message& m, const CodecOptions& opts = {}) {
  absl::StatusOr<Message> d = DecodeMessage(bytes, opts);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(*d == m) << "decoded message differs";
  EXPECT_EQ(ToHex(Encode(m, opts)), ToHex(bytes));
}

IpAddress V4(absl::string_view s) { return *IpAddress::Parse(s); }
Nlri N(absl::string_view p, uint32_t path_id = 0) { return Nlri{*Prefix::Parse(p), path_id}; }

// ---------------------------------------------------------------------------------------------
// KEEPALIVE, NOTIFICATION, ROUTE-REFRESH

TEST(MessageGolden, Keepalive) {
  ExpectGolden(Msg("0013 04", ""), Keepalive{});
  // RFC 8654 §4: a KEEPALIVE is 19 bytes with or without extended messages.
  CodecOptions ext;
  ext.extended_message = true;
  ExpectGolden(Msg("0013 04", ""), Keepalive{}, ext);
}

TEST(MessageGolden, NotificationAdminShutdownWithCommunication) {
  // Cease / Administrative Shutdown, RFC 9003 communication "shut!".
  Notification n{err::kCease, err::kCeaseAdminShutdown, Hex("05 7368757421")};
  ExpectGolden(Msg("001b 03", "06 02 05 7368757421"), n);
  EXPECT_EQ(ShutdownCommunication(n), "shut!");
}

TEST(MessageGolden, NotificationWithoutData) {
  ExpectGolden(Msg("0015 03", "04 00"), Notification{err::kHoldTimerExpired, 0, {}});
}

TEST(MessageGolden, NotificationBadPeerAsWithData) {
  ExpectGolden(Msg("0017 03", "02 02 fde9"),
               Notification{err::kOpenMessage, err::kBadPeerAs, Hex("fde9")});
}

TEST(MessageGolden, RouteRefreshNormalIPv4) {
  ExpectGolden(Msg("0017 05", "0001 00 01"), RouteRefresh{kIPv4Unicast, RouteRefresh::kNormal});
}

TEST(MessageGolden, RouteRefreshBeginAndEndIPv6) {  // RFC 7313 §3
  ExpectGolden(Msg("0017 05", "0002 01 01"),
               RouteRefresh{kIPv6Unicast, RouteRefresh::kBeginOfRouteRefresh});
  ExpectGolden(Msg("0017 05", "0002 02 01"),
               RouteRefresh{kIPv6Unicast, RouteRefresh::kEndOfRouteRefresh});
}

TEST(MessageDecode, RouteRefreshUnknownSubtypeIsReturnedForTheSessionToIgnore) {
  // RFC 7313 §5: subtypes other than 0, 1, 2 MUST be ignored, whatever their length.
  Message m = Decode(Msg("0017 05", "0001 07 01"));
  EXPECT_TRUE(m == Message(RouteRefresh{kIPv4Unicast, 7}));
  m = Decode(Msg("0019 05", "0001 09 01 aabb"));
  EXPECT_TRUE(m == Message(RouteRefresh{kIPv4Unicast, 9}));
}

// ---------------------------------------------------------------------------------------------
// OPEN and capabilities

// Capabilities as gobgpd sends them (AS 4200000001 needs AS_TRANS in My AS), all in one
// Capabilities parameter.
constexpr absl::string_view kCapMp4 = "01 04 0001 00 01";
constexpr absl::string_view kCapMp6 = "01 04 0002 00 01";
constexpr absl::string_view kCapRouteRefresh = "02 00";
constexpr absl::string_view kCapAs4200000001 = "41 04 fa56ea01";
// R bit, restart time 120; IPv4 and IPv6 unicast with F bit.
constexpr absl::string_view kCapGr = "40 0a 8078 0001 01 80 0002 01 80";
// IPv4 unicast send+receive, IPv6 unicast receive.
constexpr absl::string_view kCapAddPath = "45 08 0001 01 03 0002 01 01";
// hostname "node1", domain "example".
constexpr absl::string_view kCapFqdn = "49 0e 05 6e6f646531 07 6578616d706c65";
// IPv4 unicast, F bit, stale time 3600.
constexpr absl::string_view kCapLlgr = "47 07 0001 01 80 000e10";

Open GobgpOpen() {
  Open o;
  o.my_as = kAsTrans;
  o.hold_time = 90;
  o.bgp_id = 0x0a000001;
  GracefulRestartCap gr;
  gr.flags = GracefulRestartCap::kRestartState;
  gr.restart_time = 120;
  gr.entries = {{kIPv4Unicast, GracefulRestartCap::kForwardingState},
                {kIPv6Unicast, GracefulRestartCap::kForwardingState}};
  AddPathCap ap;
  ap.entries = {{kIPv4Unicast, AddPathCap::kReceive | AddPathCap::kSend},
                {kIPv6Unicast, AddPathCap::kReceive}};
  LongLivedGracefulRestartCap llgr;
  llgr.entries = {{kIPv4Unicast, 0x80, 3600}};
  o.capabilities = {MultiprotocolCap{kIPv4Unicast},
                    MultiprotocolCap{kIPv6Unicast},
                    RouteRefreshCap{},
                    FourOctetAsCap{4200000001},
                    gr,
                    ap,
                    FqdnCap{"node1", "example"},
                    llgr};
  return o;
}

TEST(OpenGolden, GobgpLikeOneParameter) {
  // 67 bytes of capabilities + 2 = 69 (0x45) bytes of parameters; 29 + 69 = 98 (0x62).
  Bytes b = Msg("0062 01", absl::StrCat("04 5ba0 005a 0a000001 45 02 43", kCapMp4, kCapMp6,
                                        kCapRouteRefresh, kCapAs4200000001, kCapGr,
                                        kCapAddPath, kCapFqdn, kCapLlgr));
  ExpectGolden(b, GobgpOpen());
}

TEST(OpenDecode, OneCapabilityPerParameterFlattensToTheSameOpen) {
  // gobgpd and FRR put each capability in its own Capabilities parameter (RFC 5492 §4 allows
  // both); the decoded OPEN is the same.
  std::string params;
  for (absl::string_view c : {kCapMp4, kCapMp6, kCapRouteRefresh, kCapAs4200000001, kCapGr,
                              kCapAddPath, kCapFqdn, kCapLlgr}) {
    Bytes cb = Hex(c);
    absl::StrAppend(&params, "02", absl::Hex(cb.size(), absl::kZeroPad2), c);
  }
  // 67 bytes of capabilities + 8 parameter headers = 83 (0x53); 29 + 83 = 112 (0x70).
  Bytes b = Msg("0070 01", absl::StrCat("04 5ba0 005a 0a000001 53", params));
  EXPECT_TRUE(Decode(b) == Message(GobgpOpen()));
}

TEST(OpenGolden, BirdLike) {
  // BIRD: extended next hop for IPv4, extended message, GR without R/F, 4-octet AS 65001,
  // enhanced route refresh, LLGR.
  Open o;
  o.my_as = 65001;
  o.hold_time = 240;
  o.bgp_id = 0xc0000201;
  GracefulRestartCap gr;
  gr.restart_time = 120;
  gr.entries = {{kIPv4Unicast, 0}};
  LongLivedGracefulRestartCap llgr;
  llgr.entries = {{kIPv4Unicast, 0, 3600}};
  ExtendedNextHopCap enh;
  enh.entries = {{kIPv4Unicast, kAfiIPv6}};
  o.capabilities = {MultiprotocolCap{kIPv4Unicast},
                    RouteRefreshCap{},
                    enh,
                    ExtendedMessageCap{},
                    gr,
                    FourOctetAsCap{65001},
                    EnhancedRouteRefreshCap{},
                    llgr};
  // Capabilities: 6+2+8+2+8+6+2+9 = 43 (0x2b); parameters 45 (0x2d); length 74 (0x4a).
  Bytes b = Msg("004a 01", absl::StrCat("04 fde9 00f0 c0000201 2d 02 2b", kCapMp4,
                                        kCapRouteRefresh, "05 06 0001 0001 0002", "06 00",
                                        "40 06 0078 0001 01 00", "41 04 0000fde9", "46 00",
                                        "47 07 0001 01 00 000e10"));
  ExpectGolden(b, o);
}

TEST(OpenGolden, FrrLikeWithCiscoRouteRefreshAndUnknownCapability) {
  // FRR sends both route refresh codes; code 128 (pre-RFC 2918) and unknown code 200 are
  // kept as bytes. Decoded from one-capability-per-parameter form...
  Open o;
  o.my_as = 65002;
  o.hold_time = 180;
  o.bgp_id = 0x0a000002;
  o.capabilities = {MultiprotocolCap{kIPv4Unicast}, UnknownCap{128, {}}, RouteRefreshCap{},
                    UnknownCap{200, Hex("0102")}};
  Bytes frr = Msg("0033 01", absl::StrCat("04 fdea 00b4 0a000002 16", "02 06", kCapMp4,
                                          "02 02 8000", "02 02", kCapRouteRefresh,
                                          "02 04 c8 02 0102"));
  EXPECT_TRUE(Decode(frr) == Message(o));
  // ... and encoded into one parameter: 14 bytes of capabilities, 16 of parameters.
  ExpectGolden(Msg("002d 01", absl::StrCat("04 fdea 00b4 0a000002 10 02 0e", kCapMp4, "8000",
                                           kCapRouteRefresh, "c8 02 0102")),
               o);
  EXPECT_EQ(CapabilityName(128), "cisco-route-refresh");
  EXPECT_EQ(CapabilityName(200), "cap(200)");
}

TEST(OpenGolden, NoOptionalParameters) {
  Open o;
  o.my_as = 65001;
  o.hold_time = 0;  // RFC 4271 §4.2: zero means no keepalives, and is acceptable.
  o.bgp_id = 0x01020304;
  ExpectGolden(Msg("001d 01", "04 fde9 0000 01020304 00"), o);
}

TEST(OpenGolden, UnknownOptionalParameterIsKept) {
  // Type 1 (deprecated Authentication) is not a Capabilities parameter: kept for the session
  // to answer with Unsupported Optional Parameter (RFC 4271 §6.2).
  Open o;
  o.my_as = 65001;
  o.hold_time = 3;  // the smallest acceptable nonzero hold time
  o.bgp_id = 0xffffffff;  // RFC 6286: any nonzero value
  o.capabilities = {FourOctetAsCap{65001}};
  o.other_parameters = {OptionalParameter{1, Hex("aabbcc")}};
  ExpectGolden(Msg("002a 01", "04 fde9 0003 ffffffff 0d 02 06 41 04 0000fde9 01 03 aabbcc"), o);
}

TEST(OpenGolden, Rfc9072ExtendedParametersWhenOver255Bytes) {
  Open o;
  o.my_as = 65001;
  o.hold_time = 90;
  o.bgp_id = 0x01010101;
  o.capabilities = {FourOctetAsCap{65001}, UnknownCap{250, Bytes(250, 0xaa)}};
  // Capabilities 6 + 252 = 258 (0x102) bytes: the one-octet lengths cannot hold them.
  // Non-Ext OP Len 255, Non-Ext OP Type 255, Extended Opt. Parm. Length 261 (0x105),
  // then the Capabilities parameter with a 2-octet length (RFC 9072 §2).
  std::string value(500, 'a');
  std::string body = absl::StrCat("04 fde9 005a 01010101 ff ff 0105 02 0102 41 04 0000fde9",
                                  "fa fa", value);
  // 29 + 3 + 261 = 293 (0x125).
  ExpectGolden(Msg("0125 01", body), o);
}

TEST(OpenDecode, Rfc9072ExtendedFormForAShortParameterList) {
  // RFC 9072 §2: any nonzero Non-Ext OP Len with Non-Ext OP Type 255 is the extended form,
  // even when the parameters would fit in the classic form.
  Bytes b = Msg("0029 01", "04 5ba0 00b4 c0000201 01 ff 0009 02 0006 41 04 fa56ea01");
  absl::StatusOr<Message> m = DecodeMessage(b, {});
  ASSERT_TRUE(m.ok()) << m.status();
  const Open& o = std::get<Open>(*m);
  ASSERT_EQ(o.capabilities.size(), 1u);
  EXPECT_TRUE(o.capabilities[0] == Capability(FourOctetAsCap{4200000001}));
  // Re-encoded in the classic form, which it fits.
  EXPECT_EQ(ToHex(Encode(o)), ToHex(Msg("0025 01", "04 5ba0 00b4 c0000201 08 02 06 41 04 fa56ea01")));
}

TEST(OpenEncode, ParameterOfType255FirstForcesTheExtendedForm) {
  // In the classic form a first parameter of type 255 would read as the RFC 9072 marker.
  Open o;
  o.my_as = 65001;
  o.hold_time = 90;
  o.bgp_id = 1;
  o.other_parameters = {OptionalParameter{255, Hex("01")}};
  ExpectGolden(Msg("0024 01", "04 fde9 005a 00000001 ff ff 0004 ff 0001 01"), o);
}

TEST(OpenEncode, OverFourKilobytesFailsEvenWithExtendedMessages) {
  Open o = GobgpOpen();
  for (int i = 0; i < 20; ++i) o.capabilities.push_back(UnknownCap{250, Bytes(250, 1)});
  CodecOptions ext;
  ext.extended_message = true;  // RFC 8654 §4: does not apply to OPEN
  Bytes out = Hex("aa");
  EXPECT_FALSE(EncodeMessage(o, ext, &out).ok());
  EXPECT_EQ(ToHex(out), "aa");  // unchanged
}

// Each capability, value bytes both ways (through EncodeCapability/DecodeCapabilities).
struct CapCase {
  const char* name;
  const char* hex;  // code, length, value
  Capability cap;
};

class CapabilityGolden : public testing::TestWithParam<CapCase> {};

TEST_P(CapabilityGolden, BothWays) {
  const CapCase& c = GetParam();
  std::vector<Capability> decoded;
  absl::Status s = DecodeCapabilities(Hex(c.hex), &decoded);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(decoded.size(), 1u);
  EXPECT_TRUE(decoded[0] == c.cap);
  Bytes out;
  Writer w(&out);
  ASSERT_TRUE(EncodeCapability(c.cap, &w).ok());
  EXPECT_EQ(ToHex(out), ToHex(Hex(c.hex)));
  EXPECT_EQ(CapabilityCode(c.cap), Hex(c.hex)[0]);
}

GracefulRestartCap GrRestartingWithNotification() {
  GracefulRestartCap gr;
  gr.flags = GracefulRestartCap::kRestartState | GracefulRestartCap::kNotification;
  gr.restart_time = 4095;
  gr.entries = {{{kAfiIPv6, kSafiUnicast}, 0x80}};
  return gr;
}

INSTANTIATE_TEST_SUITE_P(
    All, CapabilityGolden,
    testing::Values(
        CapCase{"mp_ipv4", "01 04 0001 00 01", MultiprotocolCap{kIPv4Unicast}},
        CapCase{"mp_ipv6_multicast", "01 04 0002 00 02",
                MultiprotocolCap{{kAfiIPv6, kSafiMulticast}}},
        CapCase{"route_refresh", "02 00", RouteRefreshCap{}},
        CapCase{"extended_nexthop", "05 0c 0001 0001 0002 0001 0002 0002",
                ExtendedNextHopCap{{{kIPv4Unicast, kAfiIPv6},
                                    {{kAfiIPv4, kSafiMulticast}, kAfiIPv6}}}},
        CapCase{"extended_message", "06 00", ExtendedMessageCap{}},
        CapCase{"graceful_restart_helper_only", "40 02 0000", GracefulRestartCap{}},
        CapCase{"graceful_restart_r_n_f", "40 06 cfff 0002 01 80",
                GrRestartingWithNotification()},
        CapCase{"four_octet_as", "41 04 fa56ea01", FourOctetAsCap{4200000001}},
        CapCase{"add_path", "45 04 0002 01 02",
                AddPathCap{{{kIPv6Unicast, AddPathCap::kSend}}}},
        CapCase{"enhanced_route_refresh", "46 00", EnhancedRouteRefreshCap{}},
        CapCase{"llgr_max_stale", "47 0e 0001 01 80 ffffff 0002 01 00 000001",
                LongLivedGracefulRestartCap{
                    {{kIPv4Unicast, 0x80, 0xffffff}, {kIPv6Unicast, 0, 1}}}},
        CapCase{"fqdn_empty_domain", "49 07 05 726f757465 00", FqdnCap{"route", ""}},
        CapCase{"cisco_route_refresh", "80 00", UnknownCap{128, {}}},
        CapCase{"unknown", "09 01 02", UnknownCap{9, Hex("02")}}),
    [](const testing::TestParamInfo<CapCase>& i) { return std::string(i.param.name); });

TEST(CapabilityEncode, RefusesWhatCannotBeRepresented) {
  Bytes out = Hex("aa");
  Writer w(&out);
  GracefulRestartCap gr;
  gr.restart_time = 4096;  // 12 bits (RFC 4724 §3)
  EXPECT_FALSE(EncodeCapability(gr, &w).ok());
  gr.restart_time = 1;
  gr.flags = 0x10;  // 4 bits
  EXPECT_FALSE(EncodeCapability(gr, &w).ok());
  LongLivedGracefulRestartCap llgr;
  llgr.entries = {{kIPv4Unicast, 0, 0x1000000}};  // 24 bits (RFC 9494 §3)
  EXPECT_FALSE(EncodeCapability(llgr, &w).ok());
  EXPECT_FALSE(EncodeCapability(FqdnCap{std::string(256, 'h'), ""}, &w).ok());
  AddPathCap ap;
  ap.entries.resize(64);  // 256 bytes: over the one-octet Capability Length
  EXPECT_FALSE(EncodeCapability(ap, &w).ok());
  // A decoded code as raw bytes would not re-parse to the same value.
  EXPECT_FALSE(EncodeCapability(UnknownCap{cap::kFourOctetAs, Hex("01")}, &w).ok());
  EXPECT_EQ(ToHex(out), "aa");
}

TEST(CapabilityNames, KnownCodes) {
  EXPECT_EQ(CapabilityName(cap::kMultiprotocol), "multiprotocol");
  EXPECT_EQ(CapabilityName(cap::kFourOctetAs), "4-octet-as");
  EXPECT_EQ(CapabilityName(cap::kGracefulRestart), "graceful-restart");
  EXPECT_EQ(CapabilityName(cap::kLongLivedGracefulRestart), "long-lived-graceful-restart");
  EXPECT_EQ(CapabilityName(99), "cap(99)");
}

// ---------------------------------------------------------------------------------------------
// UPDATE and End-of-RIB

TEST(UpdateGolden, WithdrawnAttributesAndNlri) {
  Update u;
  u.withdrawn = {N("10.1.0.0/16")};
  u.attrs.origin = Origin::kIgp;
  u.attrs.as_path = AsPath{{AsSegmentType::kSequence, {65001, 4200000001}}};
  u.attrs.next_hop = V4("192.0.2.1");
  u.attrs.med = 100;
  u.nlri = {N("203.0.113.0/24"), N("198.51.100.128/25")};
  // Withdrawn 3 bytes; attributes 4+13+7+7 = 31 (0x1f); NLRI 9; 19+2+3+2+31+9 = 66 (0x42).
  ExpectGolden(Msg("0042 02", "0003 10 0a01"
                              "001f 40 01 01 00"
                              "     40 02 0a 02 02 0000fde9 fa56ea01"
                              "     40 03 04 c0000201"
                              "     80 04 04 00000064"
                              "18 cb0071 19 c6336480"),
               u);
}

TEST(UpdateGolden, AddPathIPv4Withdraw) {
  // RFC 7911 §3: with ADD-PATH for IPv4 unicast each prefix has a 4-byte Path Identifier.
  CodecOptions opts;
  opts.add_path_ipv4 = true;
  Update u;
  u.withdrawn = {N("203.0.113.0/24", 7), N("0.0.0.0/0", 0xffffffff)};
  ExpectGolden(Msg("0024 02", "000d 00000007 18 cb0071 ffffffff 00 0000"), u, opts);
  // Without ADD-PATH the same bytes are other prefixes (or garbage): options matter.
  absl::StatusOr<Message> plain =
      DecodeMessage(Msg("0024 02", "000d 00000007 18 cb0071 ffffffff 00 0000"), {});
  EXPECT_TRUE(!plain.ok() || !(*plain == Message(u)));
}

TEST(EndOfRib, IPv4) {
  // RFC 4724 §2: an UPDATE with no withdrawn routes, no attributes, no NLRI.
  Bytes b = Msg("0017 02", "0000 0000");
  ExpectGolden(b, MakeEndOfRib(kIPv4Unicast));
  EXPECT_EQ(EndOfRibFamily(std::get<Update>(Decode(b))), kIPv4Unicast);
}

TEST(EndOfRib, IPv6) {
  // RFC 4724 §2: only an MP_UNREACH_NLRI (optional, non-transitive) with AFI 2 / SAFI 1 and
  // no withdrawn routes.
  Bytes b = Msg("001d 02", "0000 0006 80 0f 03 0002 01");
  ExpectGolden(b, MakeEndOfRib(kIPv6Unicast));
  EXPECT_EQ(EndOfRibFamily(std::get<Update>(Decode(b))), kIPv6Unicast);
}

TEST(EndOfRib, OtherUpdatesAreNot) {
  Update u;
  u.nlri = {N("10.0.0.0/8")};
  EXPECT_EQ(EndOfRibFamily(u), std::nullopt);
  u = MakeEndOfRib(kIPv6Unicast);
  u.attrs.mp_unreach->withdrawn = {N("2001:db8::/32")};
  EXPECT_EQ(EndOfRibFamily(u), std::nullopt);
  u = MakeEndOfRib(kIPv6Unicast);
  u.attrs.origin = Origin::kIgp;
  EXPECT_EQ(EndOfRibFamily(u), std::nullopt);
  u = Update{};
  u.withdrawn = {N("10.0.0.0/8")};
  EXPECT_EQ(EndOfRibFamily(u), std::nullopt);
  EXPECT_EQ(EndOfRibFamily(MakeEndOfRib({kAfiIPv4, kSafiMulticast})),
            (AfiSafi{kAfiIPv4, kSafiMulticast}));
}

TEST(UpdateDecode, LengthsThatOverrunAreMalformedAttributeList) {
  // RFC 4271 §6.3: Withdrawn Routes Length / Total Path Attribute Length too large.
  for (absl::string_view body : {"0005 10 0a01 0000", "0000 0005 40 01 01 00"}) {
    Bytes b = Msg(absl::StrCat(absl::Hex(19 + Hex(body).size(), absl::kZeroPad4), "02"), body);
    absl::StatusOr<Message> m = DecodeMessage(b, {});
    ASSERT_FALSE(m.ok()) << body;
    std::optional<BgpErrorInfo> e = GetBgpError(m.status());
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code, err::kUpdateMessage);
    EXPECT_EQ(e->subcode, err::kMalformedAttributeList);
    EXPECT_TRUE(e->data.empty());
  }
}

TEST(UpdateEncode, NonIPv4PrefixOutsideMpAttributesFails) {
  Update u;
  u.nlri = {N("2001:db8::/32")};
  Bytes out;
  EXPECT_FALSE(EncodeMessage(u, {}, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(UpdateEncode, OverMaximumLengthFailsUnlessExtended) {
  Update u;
  for (uint32_t i = 0; i < 1100; ++i) u.withdrawn.push_back(N("10.0.0.0/24", i));
  CodecOptions opts;
  opts.add_path_ipv4 = true;  // 8 bytes each: 8800 bytes
  Bytes out;
  EXPECT_FALSE(EncodeMessage(u, opts, &out).ok());
  EXPECT_TRUE(out.empty());
  opts.extended_message = true;  // RFC 8654
  ASSERT_TRUE(EncodeMessage(u, opts, &out).ok());
  EXPECT_EQ(out.size(), 19u + 2 + 8800 + 2);
  EXPECT_TRUE(Decode(out, opts) == Message(u));
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(RoundTrip, EveryMessageTypeUnderSeveralOptions) {
  std::vector<Message> messages = {
      GobgpOpen(), Keepalive{}, Notification{err::kCease, err::kCeaseHardReset, Hex("0603")},
      RouteRefresh{kIPv6Unicast, RouteRefresh::kEndOfRouteRefresh}, MakeEndOfRib(kIPv4Unicast),
      MakeEndOfRib(kIPv6Unicast)};
  for (int bits = 0; bits < 8; ++bits) {
    CodecOptions opts;
    opts.four_octet_as = bits & 1;
    opts.extended_message = bits & 2;
    opts.add_path_ipv4 = bits & 4;
    for (const Message& m : messages) {
      Bytes b = Encode(m, opts);
      absl::StatusOr<Header> h = DecodeHeader(b, opts);
      ASSERT_TRUE(h.ok()) << h.status();
      EXPECT_EQ(h->length, b.size());
      EXPECT_EQ(h->type, TypeOf(m));
      EXPECT_TRUE(Decode(b, opts) == m) << "type " << static_cast<int>(TypeOf(m));
    }
  }
}

TEST(RoundTrip, EncodeAppendsAfterExistingBytes) {
  Bytes out = Hex("0102");
  ASSERT_TRUE(EncodeMessage(Keepalive{}, {}, &out).ok());
  ASSERT_TRUE(EncodeMessage(Keepalive{}, {}, &out).ok());
  EXPECT_EQ(ToHex(out), ToHex(Hex(absl::StrCat("0102", kMarker, "0013 04", kMarker, "0013 04"))));
}

TEST(RoundTrip, ExtendedNotification) {
  // RFC 8654 §4: NOTIFICATION may be extended once negotiated.
  Notification n{err::kCease, err::kCeaseOtherConfigChange, Bytes(5000, 0x55)};
  Bytes out;
  EXPECT_FALSE(EncodeMessage(n, {}, &out).ok());
  CodecOptions ext;
  ext.extended_message = true;
  ASSERT_TRUE(EncodeMessage(n, ext, &out).ok());
  EXPECT_TRUE(Decode(out, ext) == Message(n));
}

TEST(TypeOfTest, EachAlternative) {
  EXPECT_EQ(TypeOf(Open{}), MessageType::kOpen);
  EXPECT_EQ(TypeOf(Update{}), MessageType::kUpdate);
  EXPECT_EQ(TypeOf(Notification{}), MessageType::kNotification);
  EXPECT_EQ(TypeOf(Keepalive{}), MessageType::kKeepalive);
  EXPECT_EQ(TypeOf(RouteRefresh{}), MessageType::kRouteRefresh);
}

// ---------------------------------------------------------------------------------------------
// Malformed input -> NOTIFICATION

struct Malformed {
  const char* name;
  std::string hex;  // the whole message
  bool extended;    // CodecOptions::extended_message
  uint8_t code;
  uint8_t subcode;
  std::string data;  // hex
  const char* rule;
};

std::string Rr24(absl::string_view body) { return absl::StrCat(kMarker, "0018 05", body); }

// OPEN with the given optional parameters (hex, after the Opt Parm Len byte is computed).
std::string OpenWith(absl::string_view fixed, absl::string_view opt_len_and_params) {
  std::string body = absl::StrCat(fixed, opt_len_and_params);
  return absl::StrCat(kMarker, absl::Hex(19 + Hex(body).size(), absl::kZeroPad4), "01", body);
}
constexpr absl::string_view kFixed = "04 fde9 00b4 0a000001";

std::vector<Malformed> MalformedCases() {
  const std::string ka = absl::StrCat(kMarker, "0013 04");
  std::string bad_marker = ka;
  bad_marker[31] = 'e';  // marker byte 14 becomes 0xef
  return {
      {"marker_not_ones", bad_marker, false, 1, 1, "",
       "RFC 4271 §6.1: Marker not all ones -> Connection Not Synchronized"},
      {"length_under_19", absl::StrCat(kMarker, "0012 04"), false, 1, 2, "0012",
       "RFC 4271 §6.1: Length < 19 -> Bad Message Length, data = Length"},
      {"length_over_4096", absl::StrCat(kMarker, "1001 02"), false, 1, 2, "1001",
       "RFC 4271 §6.1: Length > 4096 -> Bad Message Length"},
      {"type_0", absl::StrCat(kMarker, "0013 00"), false, 1, 3, "00",
       "RFC 4271 §6.1: unknown Type -> Bad Message Type, data = Type"},
      {"type_6", absl::StrCat(kMarker, "0013 06"), false, 1, 3, "06",
       "RFC 4271 §6.1: unknown Type -> Bad Message Type, data = Type"},
      {"open_under_29", absl::StrCat(kMarker, "001c 01 04 fde9 00b4 0a000001"), false, 1, 2,
       "001c", "RFC 4271 §6.1: OPEN shorter than its minimum"},
      {"open_over_4096_extended", absl::StrCat(kMarker, "1001 01"), true, 1, 2, "1001",
       "RFC 8654 §4: OPEN is never over 4096, even with extended messages"},
      {"update_under_23", absl::StrCat(kMarker, "0016 02 000000"), false, 1, 2, "0016",
       "RFC 4271 §6.1: UPDATE shorter than its minimum"},
      {"keepalive_20", absl::StrCat(kMarker, "0014 04 00"), false, 1, 2, "0014",
       "RFC 4271 §6.1: KEEPALIVE Length not 19"},
      {"keepalive_over_4096_extended", absl::StrCat(kMarker, "1001 04"), true, 1, 2, "1001",
       "RFC 4271 §6.1 / RFC 8654 §4: KEEPALIVE Length not 19"},
      {"notification_under_21", absl::StrCat(kMarker, "0014 03 06"), false, 1, 2, "0014",
       "RFC 4271 §6.1: NOTIFICATION shorter than its minimum"},
      {"route_refresh_under_23", absl::StrCat(kMarker, "0016 05 000100"), false, 1, 2, "0016",
       "RFC 4271 §6.1: ROUTE-REFRESH cannot hold AFI/SAFI"},
      {"length_disagrees_with_bytes", absl::StrCat(kMarker, "001e 01", kFixed, "00"), false, 1,
       2, "001e", "RFC 4271 §6.1: Length field does not match the message"},
      {"route_refresh_begin_too_long", Rr24("0001 01 01 00"), false, 7, 1,
       absl::StrCat(kMarker, "0018 05 0001 01 01 00"),
       "RFC 7313 §5: BoRR body not 4 bytes -> Invalid Message Length, data = message"},
      {"route_refresh_end_too_long", Rr24("0002 02 01 ff"), false, 7, 1,
       absl::StrCat(kMarker, "0018 05 0002 02 01 ff"),
       "RFC 7313 §5: EoRR body not 4 bytes -> Invalid Message Length, data = message"},
      {"route_refresh_normal_too_long", Rr24("0001 00 01 00"), false, 7, 1,
       absl::StrCat(kMarker, "0018 05 0001 00 01 00"),
       "RFC 7313 §5 applied to subtype 0 (as BIRD)"},
      {"open_version_3", OpenWith("03 fde9 00b4 0a000001", "00"), false, 2, 1, "0004",
       "RFC 4271 §6.2: Unsupported Version Number, data = 2-octet version 4"},
      {"open_version_5", OpenWith("05 fde9 00b4 0a000001", "00"), false, 2, 1, "0004",
       "RFC 4271 §6.2: Unsupported Version Number, data = largest supported below 5"},
      {"open_my_as_0", OpenWith("04 0000 00b4 0a000001", "00"), false, 2, 2, "",
       "RFC 7607 §2: AS 0 in OPEN -> Bad Peer AS"},
      {"open_hold_time_1", OpenWith("04 fde9 0001 0a000001", "00"), false, 2, 6, "",
       "RFC 4271 §6.2: Hold Time 1 -> Unacceptable Hold Time"},
      {"open_hold_time_2", OpenWith("04 fde9 0002 0a000001", "00"), false, 2, 6, "",
       "RFC 4271 §6.2: Hold Time 2 -> Unacceptable Hold Time"},
      {"open_bgp_id_0", OpenWith("04 fde9 00b4 00000000", "00"), false, 2, 3, "",
       "RFC 6286 §2.2: BGP Identifier 0 -> Bad BGP Identifier"},
      {"open_opt_len_overruns", OpenWith(kFixed, "05 02 02 0200"), false, 2, 0, "",
       "RFC 4271 §6.2: malformed Optional Parameters -> Unspecific"},
      {"open_opt_len_short", OpenWith(kFixed, "03 02 02 0200"), false, 2, 0, "",
       "RFC 4271 §6.2: bytes after the Optional Parameters -> Unspecific"},
      {"open_param_length_overruns", OpenWith(kFixed, "04 02 05 0200"), false, 2, 0, "",
       "RFC 4271 §6.2: parameter length past the list -> Unspecific"},
      {"open_param_header_truncated", OpenWith(kFixed, "01 02"), false, 2, 0, "",
       "RFC 4271 §6.2: truncated parameter -> Unspecific"},
      {"cap_length_overruns_param", OpenWith(kFixed, "04 02 02 4104"), false, 2, 0, "",
       "RFC 5492 §4 + RFC 4271 §6.2: capability past its parameter -> Unspecific"},
      {"cap_header_truncated", OpenWith(kFixed, "03 02 01 41"), false, 2, 0, "",
       "RFC 5492 §4 + RFC 4271 §6.2: truncated capability -> Unspecific"},
      {"cap_mp_length_3", OpenWith(kFixed, "07 02 05 01 03 000100"), false, 2, 0, "",
       "RFC 4760 §8: MP capability is 4 bytes"},
      {"cap_route_refresh_length_1", OpenWith(kFixed, "05 02 03 02 01 00"), false, 2, 0, "",
       "RFC 2918 §2: route refresh capability is empty"},
      {"cap_extended_nexthop_length_4", OpenWith(kFixed, "08 02 06 05 04 00010001"), false, 2,
       0, "", "RFC 8950 §3: extended next hop capability is 6n bytes"},
      {"cap_extended_nexthop_safi_over_255", OpenWith(kFixed, "0a 02 08 05 06 0001 0100 0002"),
       false, 2, 0, "", "RFC 8950 §3: SAFI 256 names no family"},
      {"cap_extended_message_length_1", OpenWith(kFixed, "05 02 03 06 01 00"), false, 2, 0, "",
       "RFC 8654 §3: extended message capability is empty"},
      {"cap_gr_length_3", OpenWith(kFixed, "07 02 05 40 03 007800"), false, 2, 0, "",
       "RFC 4724 §3: graceful restart capability is 2 + 4n bytes"},
      {"cap_as4_length_2", OpenWith(kFixed, "06 02 04 41 02 fde9"), false, 2, 0, "",
       "RFC 6793 §3: 4-octet AS capability is 4 bytes"},
      {"cap_as4_zero", OpenWith(kFixed, "08 02 06 41 04 00000000"), false, 2, 2, "",
       "RFC 7607 §2: AS 0 -> Bad Peer AS"},
      {"cap_add_path_length_5", OpenWith(kFixed, "09 02 07 45 05 0001010300"), false, 2, 0, "",
       "RFC 7911 §4: ADD-PATH capability is 4n bytes"},
      {"cap_enhanced_rr_length_1", OpenWith(kFixed, "05 02 03 46 01 00"), false, 2, 0, "",
       "RFC 7313 §3: enhanced route refresh capability is empty"},
      {"cap_llgr_length_6", OpenWith(kFixed, "0a 02 08 47 06 000101000e10"), false, 2, 0, "",
       "RFC 9494 §3: LLGR capability is 7n bytes"},
      {"cap_fqdn_hostname_overruns", OpenWith(kFixed, "06 02 04 49 02 05 61"), false, 2, 0, "",
       "draft-walton-bgp-hostname-capability §3: hostname past the capability"},
      {"cap_fqdn_missing_domain", OpenWith(kFixed, "06 02 04 49 02 01 61"), false, 2, 0, "",
       "draft-walton-bgp-hostname-capability §3: domain length missing"},
      {"cap_fqdn_trailing_bytes", OpenWith(kFixed, "08 02 06 49 04 01 61 00 ff"), false, 2, 0,
       "", "draft-walton-bgp-hostname-capability §3: bytes after the domain"},
      {"rfc9072_length_mismatch", OpenWith(kFixed, "ff ff 0009 02 0006 41 04 fa56ea"), false, 2,
       0, "", "RFC 9072 §2: Extended Opt. Parm. Length past the message"},
      {"rfc9072_truncated_length", OpenWith(kFixed, "ff ff 00"), false, 2, 0, "",
       "RFC 9072 §2: Extended Opt. Parm. Length field truncated"},
  };
}

class MalformedTable : public testing::TestWithParam<Malformed> {};

TEST_P(MalformedTable, GivesTheRfcNotification) {
  const Malformed& c = GetParam();
  CodecOptions opts;
  opts.extended_message = c.extended;
  absl::StatusOr<Message> m = DecodeMessage(Hex(c.hex), opts);
  ASSERT_FALSE(m.ok()) << c.rule;
  std::optional<BgpErrorInfo> e = GetBgpError(m.status());
  ASSERT_TRUE(e.has_value()) << m.status();
  EXPECT_EQ(e->code, c.code) << c.rule << ": " << m.status();
  EXPECT_EQ(e->subcode, c.subcode) << c.rule << ": " << m.status();
  EXPECT_EQ(ToHex(e->data), ToHex(Hex(c.data))) << c.rule;
}

INSTANTIATE_TEST_SUITE_P(Rfc, MalformedTable, testing::ValuesIn(MalformedCases()),
                         [](const testing::TestParamInfo<Malformed>& i) {
                           return std::string(i.param.name);
                         });

TEST(MalformedExtra, ExtendedLengthsAcceptedOnlyWhenNegotiated) {
  // RFC 8654: an UPDATE of 4097 bytes is fine once extended messages are negotiated.
  CodecOptions ext;
  ext.extended_message = true;
  Bytes h = Msg("1001 02", "");
  EXPECT_TRUE(DecodeHeader(h, ext).ok());
  EXPECT_FALSE(DecodeHeader(h, {}).ok());
}

TEST(MalformedExtra, BodyDecodersCopeWithShortBodies) {
  // Called directly (not through DecodeMessage), short bodies are still NOTIFICATIONs.
  for (absl::StatusOr<Open> o : {DecodeOpen(Hex("04fde9")), DecodeOpen({})}) {
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(GetBgpError(o.status())->subcode, err::kBadMessageLength);
  }
  EXPECT_EQ(GetBgpError(DecodeUpdate(Hex("00"), {}).status())->subcode,
            err::kBadMessageLength);
  EXPECT_EQ(GetBgpError(DecodeNotification(Hex("06")).status())->subcode,
            err::kBadMessageLength);
  EXPECT_EQ(GetBgpError(DecodeRouteRefresh(Hex("0001")).status())->subcode,
            err::kBadMessageLength);
  EXPECT_EQ(GetBgpError(DecodeHeader(Hex("ffff"), {}).status())->code, err::kMessageHeader);
}

TEST(MalformedExtra, HugeRouteRefreshDataIsCutToFitANotification) {
  CodecOptions ext;
  ext.extended_message = true;
  Bytes b = Msg("2013 05", absl::StrCat("0001 01 01", std::string(2 * 8188, '0')));
  ASSERT_EQ(b.size(), 0x2013u);
  absl::StatusOr<Message> m = DecodeMessage(b, ext);
  ASSERT_FALSE(m.ok());
  std::optional<BgpErrorInfo> e = GetBgpError(m.status());
  EXPECT_EQ(e->code, err::kRouteRefreshMessage);
  EXPECT_EQ(e->data.size(), kMaxMessageLength - 21);
  // The cut data still starts with the offending message.
  EXPECT_EQ(ToHex(ByteSpan(e->data).first(23)), ToHex(ByteSpan(b).first(23)));
}

// ---------------------------------------------------------------------------------------------
// Names and the shutdown communication

TEST(Names, EveryCodeAndSubcodeInConstantsHasAName) {
  const std::vector<std::pair<uint8_t, std::vector<uint8_t>>> all = {
      {err::kMessageHeader,
       {err::kConnectionNotSynchronized, err::kBadMessageLength, err::kBadMessageType}},
      {err::kOpenMessage,
       {err::kUnsupportedVersionNumber, err::kBadPeerAs, err::kBadBgpIdentifier,
        err::kUnsupportedOptionalParameter, err::kUnacceptableHoldTime,
        err::kUnsupportedCapability, err::kRoleMismatch}},
      {err::kUpdateMessage,
       {err::kMalformedAttributeList, err::kUnrecognizedWellKnownAttribute,
        err::kMissingWellKnownAttribute, err::kAttributeFlagsError, err::kAttributeLengthError,
        err::kInvalidOriginAttribute, err::kInvalidNextHopAttribute,
        err::kOptionalAttributeError, err::kInvalidNetworkField, err::kMalformedAsPath}},
      {err::kHoldTimerExpired, {0}},
      {err::kFsm,
       {err::kFsmUnexpectedInOpenSent, err::kFsmUnexpectedInOpenConfirm,
        err::kFsmUnexpectedInEstablished}},
      {err::kCease,
       {err::kCeaseMaxPrefixes, err::kCeaseAdminShutdown, err::kCeasePeerDeconfigured,
        err::kCeaseAdminReset, err::kCeaseConnectionRejected, err::kCeaseOtherConfigChange,
        err::kCeaseCollisionResolution, err::kCeaseOutOfResources, err::kCeaseHardReset}},
      {err::kRouteRefreshMessage, {err::kInvalidMessageLength}},
      {err::kSendHoldTimerExpired, {0}},
  };
  for (const auto& [code, subcodes] : all) {
    EXPECT_NE(ErrorCodeName(code).rfind("Error Code", 0), 0u) << int{code};
    for (uint8_t sub : subcodes) {
      EXPECT_NE(ErrorSubcodeName(code, sub).rfind("Subcode", 0), 0u) << int{code} << "/"
                                                                     << int{sub};
    }
  }
}

TEST(Names, IanaSpelling) {
  EXPECT_EQ(ErrorCodeName(err::kOpenMessage), "OPEN Message Error");
  EXPECT_EQ(ErrorCodeName(err::kFsm), "Finite State Machine Error");
  EXPECT_EQ(ErrorCodeName(err::kRouteRefreshMessage), "ROUTE-REFRESH Message Error");
  EXPECT_EQ(ErrorCodeName(42), "Error Code 42");
  EXPECT_EQ(ErrorSubcodeName(err::kOpenMessage, err::kBadPeerAs), "Bad Peer AS");
  EXPECT_EQ(ErrorSubcodeName(err::kOpenMessage, 0), "Unspecific");
  EXPECT_EQ(ErrorSubcodeName(err::kUpdateMessage, err::kMalformedAsPath), "Malformed AS_PATH");
  EXPECT_EQ(ErrorSubcodeName(err::kCease, err::kCeasePeerDeconfigured), "Peer De-configured");
  EXPECT_EQ(ErrorSubcodeName(err::kCease, err::kCeaseHardReset), "Hard Reset");
  EXPECT_EQ(ErrorSubcodeName(err::kRouteRefreshMessage, 1), "Invalid Message Length");
  EXPECT_EQ(ErrorSubcodeName(err::kMessageHeader, 9), "Subcode 9");
}

TEST(Shutdown, Rfc9003) {
  auto n = [](uint8_t subcode, absl::string_view data_hex) {
    return Notification{err::kCease, subcode, Hex(data_hex)};
  };
  EXPECT_EQ(ShutdownCommunication(n(2, "05 7368757421")), "shut!");
  EXPECT_EQ(ShutdownCommunication(n(4, "03 616263")), "abc");  // Administrative Reset
  // UTF-8 multibyte: "für" and U+1F6A7.
  EXPECT_EQ(ShutdownCommunication(n(2, "08 66c3bc72 f09f9aa7")), "f\xc3\xbcr\xf0\x9f\x9a\xa7");
  // Up to 255 bytes (RFC 9003 raised RFC 8203's 128).
  EXPECT_EQ(ShutdownCommunication(n(2, absl::StrCat("ff", std::string(510, '6')))).size(), 255u);
  EXPECT_EQ(ShutdownCommunication(n(2, "00")), "");
  EXPECT_EQ(ShutdownCommunication(n(2, "")), "");
  EXPECT_EQ(ShutdownCommunication(n(2, "06 7368757421")), "");  // Length past the data
  EXPECT_EQ(ShutdownCommunication(n(2, "02 c0af")), "");        // overlong '/'
  EXPECT_EQ(ShutdownCommunication(n(2, "03 eda080")), "");      // surrogate
  EXPECT_EQ(ShutdownCommunication(n(2, "04 f4908080")), "");    // over U+10FFFF
  EXPECT_EQ(ShutdownCommunication(n(2, "02 e282")), "");        // truncated sequence
  EXPECT_EQ(ShutdownCommunication(n(3, "03 616263")), "");      // Peer De-configured: none
  EXPECT_EQ(ShutdownCommunication(Notification{err::kOpenMessage, 2, Hex("03 616263")}), "");
}

}  // namespace
}  // namespace kbgp::wire

namespace kbgp::wire {
namespace {

// RFC 4760 §3 / RFC 7606 §3 d: routes in the NLRI field need NEXT_HOP even when an
// MP_REACH_NLRI with routes of its own is present.
TEST(UpdateMandatoryTest, NlriFieldWithMpReachButNoNextHopIsTreatAsWithdraw) {
  Update u;
  u.attrs.origin = Origin::kIgp;
  u.attrs.as_path = AsPath{};
  MpReach mp;
  mp.family = kIPv6Unicast;
  mp.next_hop = *IpAddress::Parse("2001:db8::1");
  mp.nlri.push_back(Nlri{*Prefix::Parse("2001:db8:1::/48"), 0});
  u.attrs.mp_reach = mp;
  u.nlri.push_back(Nlri{*Prefix::Parse("192.0.2.0/24"), 0});
  CodecOptions opts;
  Bytes bytes;
  ASSERT_TRUE(EncodeMessage(u, opts, &bytes).ok());
  auto decoded = DecodeMessage(bytes, opts);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const Update& d = std::get<Update>(*decoded);
  EXPECT_EQ(d.report.action, ErrorAction::kTreatAsWithdraw);
  ASSERT_EQ(d.report.errors.size(), 1u);
  EXPECT_EQ(d.report.errors[0].type, attr::kNextHop);

  // With NEXT_HOP present the same UPDATE is clean.
  u.attrs.next_hop = *IpAddress::Parse("192.0.2.1");
  bytes.clear();
  ASSERT_TRUE(EncodeMessage(u, opts, &bytes).ok());
  decoded = DecodeMessage(bytes, opts);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<Update>(*decoded).report.action, ErrorAction::kNone);
}

}  // namespace
}  // namespace kbgp::wire
