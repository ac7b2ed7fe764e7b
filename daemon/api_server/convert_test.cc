// Golden expectations are gobgpd 3.10's own output for the same objects (ListPath and
// ListPeer of a real gobgpd, printed as text protos with the Anys expanded).
#include "daemon/api_server/convert.h"

#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/common/log.h"
#include "daemon/config/apply.h"
#include "daemon/config/config.h"
#include "daemon/peer/listener.h"
#include "daemon/peer/session.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace kbgp::api_server {
namespace {

using google::protobuf::Any;
using ::testing::HasSubstr;
using ::testing::Not;

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
Prefix Pfx(const char* s) { return *Prefix::Parse(s); }

std::string Text(const google::protobuf::Message& m) {
  google::protobuf::TextFormat::Printer p;
  p.SetExpandAny(true);
  p.SetSingleLineMode(true);
  std::string out;
  p.PrintToString(m, &out);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

template <typename M>
M Parse(const std::string& text) {
  M m;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &m)) << text;
  return m;
}

std::string Text(const AnyList& list) {
  apipb::Path p;
  *p.mutable_pattrs() = list;
  return Text(p);
}

template <typename M>
Any Pack(const M& m) {
  Any a;
  a.PackFrom(m);
  return a;
}

// ---- families and NLRI ----

TEST(FamilyTest, UnicastRoundTrips) {
  for (Family f : {Family::kIPv4, Family::kIPv6}) {
    apipb::Family a;
    FamilyToApi(f, &a);
    EXPECT_EQ(*FamilyFromApi(a), f);
  }
  apipb::Family a;
  FamilyToApi(Family::kIPv6, &a);
  EXPECT_EQ(Text(a), "afi: AFI_IP6 safi: SAFI_UNICAST");
}

TEST(FamilyTest, OthersAreInvalid) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"afi: AFI_L2VPN safi: SAFI_EVPN", "unsupported family l2vpn-evpn"},
      {"afi: AFI_IP safi: SAFI_MULTICAST", "unsupported family ipv4-multicast"},
      {"afi: AFI_IP6 safi: SAFI_FLOW_SPEC_UNICAST", "unsupported family ipv6-flowspec"},
      {"", "unsupported family afi 0 safi 0"},
      {"afi: 99 safi: 1", "unsupported family afi 99 safi 1"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Family> f = FamilyFromApi(Parse<apipb::Family>(c.text));
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(f.status().message(), c.message);
  }
}

TEST(PrefixTest, RoundTripAndGolden) {
  Any a;
  PrefixToApi(Pfx("10.1.0.0/24"), &a);
  apipb::Path p;
  *p.mutable_nlri() = a;
  EXPECT_EQ(Text(p),
            "nlri { [type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 24 prefix: "
            "\"10.1.0.0\" } }");
  EXPECT_EQ(*PrefixFromApi(a, Family::kIPv4), Pfx("10.1.0.0/24"));
  PrefixToApi(Pfx("2001:db8::/32"), &a);
  EXPECT_EQ(*PrefixFromApi(a, Family::kIPv6), Pfx("2001:db8::/32"));
  PrefixToApi(Pfx("0.0.0.0/0"), &a);
  EXPECT_EQ(*PrefixFromApi(a, Family::kIPv4), Pfx("0.0.0.0/0"));
}

TEST(PrefixTest, HostBitsAreClearedAsGobgpdDoes) {
  apipb::IPAddressPrefix p;
  p.set_prefix("10.1.2.3");
  p.set_prefix_len(24);
  EXPECT_EQ(*PrefixFromApi(Pack(p), Family::kIPv4), Pfx("10.1.2.0/24"));
  p.set_prefix("2001:db8::1");
  p.set_prefix_len(64);
  EXPECT_EQ(*PrefixFromApi(Pack(p), Family::kIPv6), Pfx("2001:db8::/64"));
}

TEST(PrefixTest, MalformedIsInvalid) {
  auto prefix = [](const char* addr, uint32_t len) {
    apipb::IPAddressPrefix p;
    p.set_prefix(addr);
    p.set_prefix_len(len);
    return Pack(p);
  };
  Any garbage;
  garbage.set_type_url("type.googleapis.com/apipb.IPAddressPrefix");
  garbage.set_value("\xff\xff\xff");
  Any wrong_type = Pack(apipb::OriginAttribute());
  Any unknown_type;
  unknown_type.set_type_url("type.googleapis.com/nosuch.Message");
  std::string nul("10.0.0.0\0junk", 13);
  struct Case {
    Any nlri;
    Family family;
    const char* message;
  } cases[] = {
      {prefix("10.0.0.0", 33), Family::kIPv4, "invalid prefix length 33"},
      {prefix("2001:db8::", 129), Family::kIPv6, "invalid prefix length 129"},
      {prefix("10.0.0.0", 0xffffffff), Family::kIPv4, "invalid prefix length"},
      {prefix("2001:db8::", 32), Family::kIPv4, "invalid prefix \"2001:db8::\""},
      {prefix("10.0.0.0", 8), Family::kIPv6, "invalid prefix \"10.0.0.0\""},
      {prefix("", 8), Family::kIPv4, "invalid prefix"},
      {prefix("10.0.0", 8), Family::kIPv4, "invalid prefix"},
      {prefix(nul.c_str(), 8), Family::kIPv4, "invalid prefix"},
      {garbage, Family::kIPv4, "failed to unmarshal nlri"},
      {wrong_type, Family::kIPv4, "expected apipb.IPAddressPrefix"},
      {unknown_type, Family::kIPv4, "expected apipb.IPAddressPrefix"},
      {Any(), Family::kIPv4, "nlri not found"},
  };
  // The NUL case needs the real bytes.
  {
    apipb::IPAddressPrefix p;
    p.set_prefix(nul);
    p.set_prefix_len(8);
    cases[7].nlri = Pack(p);
  }
  for (const Case& c : cases) {
    absl::StatusOr<Prefix> r = PrefixFromApi(c.nlri, c.family);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
}

// ---- extended communities ----

TEST(ExtCommunityTest, TypedAsGobgpParsesThem) {
  struct Case {
    uint64_t value;
    const char* text;
  } cases[] = {
      {0x0002fde800000064,
       "[type.googleapis.com/apipb.TwoOctetAsSpecificExtended] { is_transitive: true sub_type: 2 "
       "asn: 65000 local_admin: 100 }"},
      {0x4003fde800000064,
       "[type.googleapis.com/apipb.TwoOctetAsSpecificExtended] { sub_type: 3 asn: 65000 "
       "local_admin: 100 }"},
      {0x0102c00002010064,
       "[type.googleapis.com/apipb.IPv4AddressSpecificExtended] { is_transitive: true sub_type: "
       "2 address: \"192.0.2.1\" local_admin: 100 }"},
      {0x0202000100000007,
       "[type.googleapis.com/apipb.FourOctetAsSpecificExtended] { is_transitive: true sub_type: "
       "2 asn: 65536 local_admin: 7 }"},
      {0x4004fde849742400,
       "[type.googleapis.com/apipb.LinkBandwidthExtended] { asn: 65000 bandwidth: 1e+06 }"},
      {0x030b00000000000a, "[type.googleapis.com/apipb.ColorExtended] { color: 10 }"},
      {0x030c000000000008, "[type.googleapis.com/apipb.EncapExtended] { tunnel_type: 8 }"},
      {0x030d000000000000, "[type.googleapis.com/apipb.DefaultGatewayExtended] { }"},
      {0x4300000000000002, "[type.googleapis.com/apipb.ValidationExtended] { state: 2 }"},
      {0x0301414243444546,
       "[type.googleapis.com/apipb.OpaqueExtended] { is_transitive: true value: \"\\001ABCDEF\" "
       "}"},
      {0x0600010000000005,
       "[type.googleapis.com/apipb.MacMobilityExtended] { is_sticky: true sequence_num: 5 }"},
      {0x0601010000000064,
       "[type.googleapis.com/apipb.ESILabelExtended] { is_single_active: true label: 100 }"},
      {0x0602aabbccddeeff,
       "[type.googleapis.com/apipb.ESImportRouteTarget] { es_import: \"aa:bb:cc:dd:ee:ff\" }"},
      {0x0603001122334455,
       "[type.googleapis.com/apipb.RouterMacExtended] { mac: \"00:11:22:33:44:55\" }"},
      {0x8006fde849742400,
       "[type.googleapis.com/apipb.TrafficRateExtended] { asn: 65000 rate: 1e+06 }"},
      {0x8007000000000003,
       "[type.googleapis.com/apipb.TrafficActionExtended] { terminal: true sample: true }"},
      {0x8008fde800000064,
       "[type.googleapis.com/apipb.RedirectTwoOctetAsSpecificExtended] { asn: 65000 "
       "local_admin: 100 }"},
      {0x8108c00002010064,
       "[type.googleapis.com/apipb.RedirectIPv4AddressSpecificExtended] { address: "
       "\"192.0.2.1\" local_admin: 100 }"},
      {0x8208000100000064,
       "[type.googleapis.com/apipb.RedirectFourOctetAsSpecificExtended] { asn: 65536 "
       "local_admin: 100 }"},
      {0x800900000000002e, "[type.googleapis.com/apipb.TrafficRemarkExtended] { dscp: 46 }"},
      {0x0c00000100000002,
       "[type.googleapis.com/apipb.MUPExtended] { segment_id2: 1 segment_id4: 2 }"},
      {0x0604000000000001,
       "[type.googleapis.com/apipb.UnknownExtended] { type: 6 value: "
       "\"\\004\\000\\000\\000\\000\\000\\001\" }"},
      {0x8a01020304050607,
       "[type.googleapis.com/apipb.UnknownExtended] { type: 138 value: "
       "\"\\001\\002\\003\\004\\005\\006\\007\" }"},
  };
  for (const Case& c : cases) {
    apipb::ExtendedCommunitiesAttribute attr;
    ExtCommunityToApi(c.value, attr.add_communities());
    EXPECT_EQ(Text(attr), absl::StrCat("communities { ", c.text, " }")) << std::hex << c.value;
    absl::StatusOr<uint64_t> back = ExtCommunityFromApi(attr.communities(0));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, c.value) << std::hex << c.value;
  }
}

TEST(ExtCommunityTest, MalformedIsInvalid) {
  auto two = [](uint32_t sub, uint32_t asn) {
    apipb::TwoOctetAsSpecificExtended m;
    m.set_sub_type(sub);
    m.set_asn(asn);
    return Pack(m);
  };
  auto v4 = [](const char* addr, uint32_t local) {
    apipb::IPv4AddressSpecificExtended m;
    m.set_address(addr);
    m.set_local_admin(local);
    return Pack(m);
  };
  auto opaque = [](const std::string& v) {
    apipb::OpaqueExtended m;
    m.set_value(v);
    return Pack(m);
  };
  auto unknown = [](uint32_t type, const std::string& v) {
    apipb::UnknownExtended m;
    m.set_type(type);
    m.set_value(v);
    return Pack(m);
  };
  apipb::ESImportRouteTarget es;
  es.set_es_import("aa:bb:cc:dd:ee");
  apipb::ESILabelExtended label;
  label.set_label(0x1000000);
  apipb::FourOctetAsSpecificExtended four;
  four.set_local_admin(70000);
  Any garbage;
  garbage.set_type_url("type.googleapis.com/apipb.ColorExtended");
  garbage.set_value("\xff");
  struct Case {
    Any any;
    const char* message;
  } cases[] = {
      {two(2, 65536), "asn 65536 is out of range (max 65535)"},
      {two(256, 1), "sub_type 256 is out of range"},
      {v4("2001:db8::1", 1), "invalid IPv4 address \"2001:db8::1\""},
      {v4("192.0.2.1", 65536), "local_admin 65536 is out of range"},
      {Pack(four), "local_admin 70000 is out of range"},
      {opaque("123456"), "value must be 7 octets, not 6"},
      {unknown(256, "1234567"), "type 256 is out of range"},
      {unknown(1, ""), "value must be 7 octets, not 0"},
      {Pack(es), "invalid MAC address"},
      {Pack(label), "label 16777216 is out of range"},
      {Pack(apipb::OriginAttribute()), "invalid extended community: apipb.OriginAttribute"},
      {garbage, "failed to unmarshal extended community"},
      {Any(), "invalid extended community"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<uint64_t> r = ExtCommunityFromApi(c.any);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(c.message));
  }
}

// ---- attributes to the API ----

wire::PathAttributes AllAttributes() {
  wire::PathAttributes a;
  a.origin = wire::Origin::kIncomplete;
  a.as_path = wire::AsPath{{wire::AsSegmentType::kSequence, {65010, 65011}},
                           {wire::AsSegmentType::kSet, {65020, 65021}}};
  a.med = 10;
  a.local_pref = 200;
  a.atomic_aggregate = true;
  a.aggregator = wire::Aggregator{65020, Ip("1.2.3.4")};
  a.communities = std::vector<uint32_t>{4259840001u, 4294967041u};
  a.originator_id = Ip("10.0.0.9");
  a.cluster_list = std::vector<uint32_t>{0x01020304, 0x0a000001};
  a.extended_communities = std::vector<uint64_t>{0x0002fde800000064};
  a.large_communities = std::vector<wire::LargeCommunity>{{1, 2, 3}};
  // An unknown optional transitive attribute and AIGP (26), both kept as bytes.
  a.unknown.push_back(wire::RawAttribute{0xc0, 99, {1, 2}});
  a.unknown.push_back(wire::RawAttribute{0x80, 26, {1, 0, 11, 0, 0, 0, 0, 0, 0, 0, 5}});
  return a;
}

constexpr char kAllAttributesText[] =
    "pattrs { [type.googleapis.com/apipb.OriginAttribute] { origin: 2 } } "
    "pattrs { [type.googleapis.com/apipb.AsPathAttribute] { segments { type: AS_SEQUENCE "
    "numbers: 65010 numbers: 65011 } segments { type: AS_SET numbers: 65020 numbers: 65021 } } "
    "} "
    "%NH%"
    "pattrs { [type.googleapis.com/apipb.MultiExitDiscAttribute] { med: 10 } } "
    "pattrs { [type.googleapis.com/apipb.LocalPrefAttribute] { local_pref: 200 } } "
    "pattrs { [type.googleapis.com/apipb.AtomicAggregateAttribute] { } } "
    "pattrs { [type.googleapis.com/apipb.AggregatorAttribute] { asn: 65020 address: "
    "\"1.2.3.4\" } } "
    "pattrs { [type.googleapis.com/apipb.CommunitiesAttribute] { communities: 4259840001 "
    "communities: 4294967041 } } "
    "pattrs { [type.googleapis.com/apipb.OriginatorIdAttribute] { id: \"10.0.0.9\" } } "
    "pattrs { [type.googleapis.com/apipb.ClusterListAttribute] { ids: \"1.2.3.4\" ids: "
    "\"10.0.0.1\" } } "
    "pattrs { [type.googleapis.com/apipb.ExtendedCommunitiesAttribute] { communities { "
    "[type.googleapis.com/apipb.TwoOctetAsSpecificExtended] { is_transitive: true sub_type: 2 "
    "asn: 65000 local_admin: 100 } } } } "
    "pattrs { [type.googleapis.com/apipb.AigpAttribute] { tlvs { "
    "[type.googleapis.com/apipb.AigpTLVIGPMetric] { metric: 5 } } } } "
    "pattrs { [type.googleapis.com/apipb.LargeCommunitiesAttribute] { communities { "
    "global_admin: 1 local_data1: 2 local_data2: 3 } } } "
    "pattrs { [type.googleapis.com/apipb.UnknownAttribute] { flags: 192 type: 99 value: "
    "\"\\001\\002\" } }"
    "%LAST%";

std::string AllText(const std::string& nh, const std::string& last) {
  std::string s = kAllAttributesText;
  s.replace(s.find("%NH%"), 4, nh);
  s.replace(s.find("%LAST%"), 6, last);
  return s;
}

TEST(AttributesToApiTest, EveryTypeInGobgpdOrder) {
  AnyList out;
  AttributesToApi(AllAttributes(), Pfx("10.1.0.0/24"), NextHop{Ip("192.0.2.1"), std::nullopt},
                  /*next_hop_last=*/false, &out);
  EXPECT_EQ(Text(out), AllText("pattrs { [type.googleapis.com/apipb.NextHopAttribute] { next_hop: "
                               "\"192.0.2.1\" } } ",
                               ""));
}

TEST(AttributesToApiTest, LocalPathListsNextHopLast) {
  AnyList out;
  AttributesToApi(AllAttributes(), Pfx("10.1.0.0/24"), NextHop{Ip("0.0.0.0"), std::nullopt},
                  /*next_hop_last=*/true, &out);
  EXPECT_EQ(Text(out), AllText("",
                               " pattrs { [type.googleapis.com/apipb.NextHopAttribute] { "
                               "next_hop: \"0.0.0.0\" } }"));
}

TEST(AttributesToApiTest, Ipv6NextHopInMpReachAlwaysLast) {
  AnyList out;
  AttributesToApi(AllAttributes(), Pfx("2001:db8::/32"), NextHop{Ip("2001:db8::1"), Ip("fe80::1")},
                  /*next_hop_last=*/false, &out);
  EXPECT_EQ(Text(out),
            AllText("",
                    " pattrs { [type.googleapis.com/apipb.MpReachNLRIAttribute] { family { "
                    "afi: AFI_IP6 safi: SAFI_UNICAST } next_hops: \"2001:db8::1\" "
                    "next_hops: \"fe80::1\" nlris { "
                    "[type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 32 prefix: "
                    "\"2001:db8::\" } } } }"));
  // A second next hop that is not link-local is not listed (gobgpd's IsLinkLocalUnicast).
  out.Clear();
  wire::PathAttributes a;
  a.origin = wire::Origin::kIgp;
  AttributesToApi(a, Pfx("2001:db8::/32"), NextHop{Ip("2001:db8::1"), Ip("2001:db8::2")}, false,
                  &out);
  EXPECT_THAT(Text(out), Not(HasSubstr("2001:db8::2")));
}

TEST(AttributesToApiTest, Ipv4OverIpv6NextHopIsMpReach) {
  AnyList out;
  wire::PathAttributes a;
  a.origin = wire::Origin::kIgp;
  AttributesToApi(a, Pfx("10.6.0.0/24"), NextHop{Ip("2001:db8::5"), std::nullopt}, true, &out);
  // gobgpd's listing of a local 10.6.0.0/24 with nexthop 2001:db8::5.
  EXPECT_EQ(Text(out),
            "pattrs { [type.googleapis.com/apipb.OriginAttribute] { } } "
            "pattrs { [type.googleapis.com/apipb.MpReachNLRIAttribute] { family { afi: AFI_IP "
            "safi: SAFI_UNICAST } next_hops: \"2001:db8::5\" nlris { "
            "[type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 24 prefix: \"10.6.0.0\" "
            "} } } }");
}

TEST(AttributesToApiTest, MalformedAigpIsListedAsUnknown) {
  AnyList out;
  wire::PathAttributes a;
  a.unknown.push_back(wire::RawAttribute{0x80, 26, {1, 0, 4, 0}});
  AttributesToApi(a, Pfx("10.0.0.0/8"), std::nullopt, false, &out);
  EXPECT_EQ(Text(out),
            "pattrs { [type.googleapis.com/apipb.UnknownAttribute] { flags: 128 type: 26 value: "
            "\"\\001\\000\\004\\000\" } }");
}

// ---- paths from the API ----

apipb::Path CliPath(const char* prefix, const std::vector<Any>& attrs) {
  apipb::Path p;
  Prefix pf = Pfx(prefix);
  FamilyToApi(pf.family(), p.mutable_family());
  PrefixToApi(pf, p.mutable_nlri());
  for (const Any& a : attrs) *p.add_pattrs() = a;
  return p;
}
Any Origin(uint32_t o) {
  apipb::OriginAttribute m;
  m.set_origin(o);
  return Pack(m);
}
Any NextHopAttr(const char* nh) {
  apipb::NextHopAttribute m;
  m.set_next_hop(nh);
  return Pack(m);
}
Any MpReach(const char* family_text, std::vector<std::string> next_hops,
            std::vector<const char*> nlris) {
  apipb::MpReachNLRIAttribute m;
  if (family_text != nullptr) *m.mutable_family() = Parse<apipb::Family>(family_text);
  for (const std::string& nh : next_hops) m.add_next_hops(nh);
  for (const char* n : nlris) PrefixToApi(Pfx(n), m.add_nlris());
  return Pack(m);
}
constexpr char kV6[] = "afi: AFI_IP6 safi: SAFI_UNICAST";
constexpr char kV4[] = "afi: AFI_IP safi: SAFI_UNICAST";

TEST(RouteFromApiTest, Ipv4AsTheCliSendsIt) {
  apipb::Path p = CliPath("10.1.0.0/24", {Origin(0), NextHopAttr("0.0.0.0")});
  p.set_identifier(5);
  absl::StatusOr<ApiRoute> r = RouteFromApi(p, false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->prefix, Pfx("10.1.0.0/24"));
  EXPECT_EQ(r->family, wire::kIPv4Unicast);
  EXPECT_EQ(r->path_id, 5u);
  EXPECT_FALSE(r->is_withdraw);
  EXPECT_EQ(r->attrs.origin, wire::Origin::kIgp);
  EXPECT_EQ(r->attrs.next_hop, Ip("0.0.0.0"));  // "this router": the Rib's export rules
  EXPECT_FALSE(r->attrs.mp_reach.has_value());

  rib::AttrPool pool;
  rib::AttrRef set = InternRoute(pool, *r);
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->has_next_hop());
  EXPECT_TRUE(set->next_hop().IsUnspecified());
  EXPECT_EQ(set->origin(), wire::Origin::kIgp);
}

TEST(RouteFromApiTest, Ipv6InMpReachWithLinkLocal) {
  apipb::Path p = CliPath("2001:db8::/32",
                          {Origin(1), MpReach(kV6, {"2001:db8::1", "fe80::1"}, {"2001:db8::/32"})});
  absl::StatusOr<ApiRoute> r = RouteFromApi(p, false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->family, wire::kIPv6Unicast);
  ASSERT_TRUE(r->attrs.mp_reach.has_value());
  EXPECT_EQ(r->attrs.mp_reach->next_hop, Ip("2001:db8::1"));
  EXPECT_EQ(r->attrs.mp_reach->link_local_next_hop, Ip("fe80::1"));
  rib::AttrPool pool;
  rib::AttrRef set = InternRoute(pool, *r);
  EXPECT_EQ(set->next_hop(), Ip("2001:db8::1"));
  ASSERT_NE(set->extras(), nullptr);
  EXPECT_EQ(set->extras()->link_local_next_hop, Ip("fe80::1"));

  // No next hop in MP_REACH: gobgpd's "::".
  p = CliPath("2001:db8::/32", {Origin(0), MpReach(kV6, {}, {"2001:db8::/32"})});
  r = RouteFromApi(p, false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attrs.mp_reach->next_hop, Ip("::"));
}

TEST(RouteFromApiTest, Ipv4WithIpv6NextHop) {
  absl::StatusOr<ApiRoute> r =
      RouteFromApi(CliPath("10.6.0.0/24", {Origin(0), NextHopAttr("2001:db8::5")}), false);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->attrs.mp_reach.has_value());
  EXPECT_EQ(r->attrs.mp_reach->family, wire::kIPv4Unicast);
  rib::AttrPool pool;
  EXPECT_EQ(InternRoute(pool, *r)->next_hop(), Ip("2001:db8::5"));
  // An MP_REACH of IPv4 with an IPv4 next hop is a plain NEXT_HOP (gobgpd's api2Path).
  r = RouteFromApi(
      CliPath("10.6.0.0/24", {Origin(0), MpReach(kV4, {"192.0.2.1"}, {"10.6.0.0/24"})}), false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attrs.next_hop, Ip("192.0.2.1"));
  EXPECT_FALSE(r->attrs.mp_reach.has_value());
}

TEST(RouteFromApiTest, WithdrawNeedsNoAttributes) {
  apipb::Path p = CliPath("10.1.0.0/24", {});
  absl::StatusOr<ApiRoute> r = RouteFromApi(p, /*withdraw=*/true);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->is_withdraw);
  p.set_is_withdraw(true);  // AddPathStream's way
  r = RouteFromApi(p, false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->is_withdraw);
  // Attributes given with a withdrawal are still checked, as gobgpd parses them.
  p = CliPath("10.1.0.0/24", {Origin(7)});
  EXPECT_FALSE(RouteFromApi(p, true).ok());
}

// The attributes gobgpd listed for `gobgp global rib add 10.1.0.0/24 origin incomplete aspath
// 65010,65011 med 10 local-pref 200 community 65000:1,no-export large-community 1:2:3
// aggregator 65020:1.2.3.4`, in the order it lists them; the CLI sends the same.
constexpr char kGobgpdLocalPath[] =
    "nlri { [type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 24 prefix: \"10.1.0.0\" } "
    "} "
    "pattrs { [type.googleapis.com/apipb.OriginAttribute] { origin: 2 } } "
    "pattrs { [type.googleapis.com/apipb.AsPathAttribute] { segments { type: AS_SEQUENCE "
    "numbers: 65010 numbers: 65011 } } } "
    "pattrs { [type.googleapis.com/apipb.MultiExitDiscAttribute] { med: 10 } } "
    "pattrs { [type.googleapis.com/apipb.LocalPrefAttribute] { local_pref: 200 } } "
    "pattrs { [type.googleapis.com/apipb.AggregatorAttribute] { asn: 65020 address: "
    "\"1.2.3.4\" } } "
    "pattrs { [type.googleapis.com/apipb.CommunitiesAttribute] { communities: 4259840001 "
    "communities: 4294967041 } } "
    "pattrs { [type.googleapis.com/apipb.LargeCommunitiesAttribute] { communities { "
    "global_admin: 1 local_data1: 2 local_data2: 3 } } } "
    "pattrs { [type.googleapis.com/apipb.NextHopAttribute] { next_hop: \"0.0.0.0\" } } "
    "age { seconds: 1795726392 } best: true validation { } "
    "family { afi: AFI_IP safi: SAFI_UNICAST } source_id: \"<nil>\" neighbor_ip: \"<nil>\" "
    "local_identifier: 1";

TEST(RouteFromApiTest, RoundTripMatchesGobgpdListing) {
  apipb::Path in = Parse<apipb::Path>(
      "family { afi: AFI_IP safi: SAFI_UNICAST } "
      "nlri { [type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 24 prefix: \"10.1.0.0\" "
      "} } "
      "pattrs { [type.googleapis.com/apipb.OriginAttribute] { origin: 2 } } "
      "pattrs { [type.googleapis.com/apipb.NextHopAttribute] { next_hop: \"0.0.0.0\" } } "
      "pattrs { [type.googleapis.com/apipb.AsPathAttribute] { segments { type: AS_SEQUENCE "
      "numbers: 65010 numbers: 65011 } } } "
      "pattrs { [type.googleapis.com/apipb.MultiExitDiscAttribute] { med: 10 } } "
      "pattrs { [type.googleapis.com/apipb.LocalPrefAttribute] { local_pref: 200 } } "
      "pattrs { [type.googleapis.com/apipb.CommunitiesAttribute] { communities: 4259840001 "
      "communities: 4294967041 } } "
      "pattrs { [type.googleapis.com/apipb.LargeCommunitiesAttribute] { communities { "
      "global_admin: 1 local_data1: 2 local_data2: 3 } } } "
      "pattrs { [type.googleapis.com/apipb.AggregatorAttribute] { asn: 65020 address: "
      "\"1.2.3.4\" } }");
  absl::StatusOr<ApiRoute> r = RouteFromApi(in, false);
  ASSERT_TRUE(r.ok()) << r.status();
  rib::AttrPool pool;
  rib::AttrRef set = InternRoute(pool, *r);
  PathInfo info;
  info.attrs = set.get();
  info.best = true;
  info.arrival = absl::FromUnixSeconds(1795726392) + absl::Milliseconds(700);
  apipb::Path out;
  PathToApi(r->prefix, info, &out);
  EXPECT_EQ(Text(out), kGobgpdLocalPath);
}

TEST(RouteFromApiTest, EveryAttributeRoundTrips) {
  // AllAttributes() listed, read back, interned and listed again gives the same list.
  for (const char* prefix : {"10.1.0.0/24", "2001:db8::/32"}) {
    Prefix pf = Pfx(prefix);
    const NextHop nh = pf.family() == Family::kIPv4 ? NextHop{Ip("192.0.2.1"), std::nullopt}
                                                    : NextHop{Ip("2001:db8::1"), Ip("fe80::1")};
    apipb::Path p;
    FamilyToApi(pf.family(), p.mutable_family());
    PrefixToApi(pf, p.mutable_nlri());
    AttributesToApi(AllAttributes(), pf, nh, false, p.mutable_pattrs());
    absl::StatusOr<ApiRoute> r = RouteFromApi(p, false);
    ASSERT_TRUE(r.ok()) << r.status();
    rib::AttrPool pool;
    rib::AttrRef set = InternRoute(pool, *r);
    AnyList again;
    AttributesToApi(*set, pf, false, &again);
    EXPECT_EQ(Text(again), Text(p.pattrs())) << prefix;
  }
}

TEST(RouteFromApiTest, BinaryNlriAndAttributes) {
  wire::PathAttributes a;
  a.origin = wire::Origin::kEgp;
  a.as_path = wire::AsPath{{wire::AsSegmentType::kSequence, {65001}}};
  a.next_hop = Ip("192.0.2.7");
  a.communities = std::vector<uint32_t>{1};
  Bytes bytes;
  wire::CodecOptions opts;
  ASSERT_TRUE(wire::EncodePathAttributes(a, opts, &bytes).ok());
  apipb::Path p;
  FamilyToApi(Family::kIPv4, p.mutable_family());
  // Split the encoded list into one entry per attribute, as gobgp's PattrsBinary holds them.
  for (size_t i = 0; i < bytes.size();) {
    const bool ext = (bytes[i] & wire::attr::kFlagExtendedLength) != 0;
    const size_t len = ext ? (bytes[i + 2] << 8 | bytes[i + 3]) : bytes[i + 2];
    const size_t n = (ext ? 4 : 3) + len;
    p.add_pattrs_binary(std::string(bytes.begin() + i, bytes.begin() + i + n));
    i += n;
  }
  p.set_nlri_binary(std::string("\x18\x0a\x01\x00", 4));  // 10.1.0.0/24
  absl::StatusOr<ApiRoute> r = RouteFromApi(p, false);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->prefix, Pfx("10.1.0.0/24"));
  EXPECT_EQ(r->attrs.origin, wire::Origin::kEgp);
  EXPECT_EQ(r->attrs.next_hop, Ip("192.0.2.7"));
  EXPECT_EQ(r->attrs.communities, std::vector<uint32_t>{1});
}

TEST(RouteFromApiTest, AigpAndUnknownAttributes) {
  apipb::AigpAttribute aigp;
  apipb::AigpTLVIGPMetric metric;
  metric.set_metric(0x0102030405060708);
  aigp.add_tlvs()->PackFrom(metric);
  apipb::UnknownAttribute unknown;
  unknown.set_flags(0xd0);  // optional, transitive, extended length: the length form is ours
  unknown.set_type(200);
  unknown.set_value("xyz");
  absl::StatusOr<ApiRoute> r = RouteFromApi(
      CliPath("10.0.0.0/8", {Origin(0), NextHopAttr("192.0.2.1"), Pack(aigp), Pack(unknown)}),
      false);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->attrs.unknown.size(), 2u);
  EXPECT_EQ(r->attrs.unknown[0],
            (wire::RawAttribute{0x80, 26, {1, 0, 11, 1, 2, 3, 4, 5, 6, 7, 8}}));
  EXPECT_EQ(r->attrs.unknown[1], (wire::RawAttribute{0xc0, 200, {'x', 'y', 'z'}}));
}

struct BadPath {
  const char* name;
  apipb::Path path;
  const char* message;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
};

std::vector<BadPath> BadPaths() {
  std::vector<BadPath> v;
  auto add = [&](const char* name, apipb::Path p, const char* message,
                 absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    v.push_back(BadPath{name, std::move(p), message, code});
  };
  auto v4 = [](std::vector<Any> extra) {
    std::vector<Any> attrs = {Origin(0), NextHopAttr("192.0.2.1")};
    attrs.insert(attrs.end(), extra.begin(), extra.end());
    return CliPath("10.1.0.0/24", attrs);
  };
  auto as_path = [](std::vector<std::pair<int, std::vector<uint32_t>>> segs) {
    apipb::AsPathAttribute m;
    for (auto& [type, asns] : segs) {
      apipb::AsSegment* s = m.add_segments();
      s->set_type(static_cast<apipb::AsSegment::Type>(type));
      for (uint32_t a : asns) s->add_numbers(a);
    }
    return Pack(m);
  };
  auto unknown_attr = [](uint32_t flags, uint32_t type, std::string value) {
    apipb::UnknownAttribute m;
    m.set_flags(flags);
    m.set_type(type);
    m.set_value(std::move(value));
    return Pack(m);
  };

  apipb::Path p = v4({});
  p.clear_family();
  add("no family", p, "family cannot be nil");
  p = v4({});
  *p.mutable_family() = Parse<apipb::Family>("afi: AFI_L2VPN safi: SAFI_EVPN");
  add("evpn", p, "unsupported family l2vpn-evpn");
  p = v4({});
  p.clear_nlri();
  add("no nlri", p, "nlri not found");
  p = v4({});
  p.mutable_nlri()->set_value("\xff\xff");
  add("garbage nlri", p, "failed to unmarshal nlri");
  p = v4({});
  p.mutable_nlri()->PackFrom(apipb::LabeledIPAddressPrefix());
  add("labelled nlri", p, "expected apipb.IPAddressPrefix");
  p = v4({});
  {
    apipb::IPAddressPrefix pf;
    pf.set_prefix("10.0.0.0");
    pf.set_prefix_len(40);
    p.mutable_nlri()->PackFrom(pf);
  }
  add("prefix length", p, "invalid prefix length 40");
  add("no next hop", CliPath("10.1.0.0/24", {Origin(0)}), "nexthop not found");
  add("no origin", CliPath("10.1.0.0/24", {NextHopAttr("192.0.2.1")}), "no origin path attr");
  add("bad next hop", CliPath("10.1.0.0/24", {Origin(0), NextHopAttr("1.2.3")}),
      "invalid nexthop address: 1.2.3");
  add("multicast next hop", CliPath("10.1.0.0/24", {Origin(0), NextHopAttr("224.0.0.1")}),
      "224.0.0.1 is multicast");
  add("v4 next hop for v6",
      CliPath("2001:db8::/32", {Origin(0), MpReach(kV6, {"192.0.2.1"}, {"2001:db8::/32"})}),
      "an IPv6 route needs an IPv6 next hop");
  add("duplicate", v4({Origin(1)}), "duplicated path attribute type: 1");
  {
    Any a;
    a.set_type_url("type.googleapis.com/nosuch.Attribute");
    add("unknown any", v4({a}), "unknown path attribute: nosuch.Attribute");
  }
  add("not an attribute", v4({Pack(apipb::Family())}), "unknown path attribute: apipb.Family");
  {
    Any a = Origin(0);
    a.set_value("\xff\xff\xff");
    add("garbage attribute", CliPath("10.1.0.0/24", {a, NextHopAttr("192.0.2.1")}),
        "failed to unmarshal path attribute: apipb.OriginAttribute");
  }
  add("origin 3", CliPath("10.1.0.0/24", {Origin(3), NextHopAttr("192.0.2.1")}),
      "invalid origin 3");
  add("segment type 0", v4({as_path({{0, {1}}})}), "invalid AS path segment type 0");
  add("segment type 5", v4({as_path({{5, {1}}})}), "invalid AS path segment type 5");
  add("empty segment", v4({as_path({{2, {}}})}), "empty AS path segment");
  add("huge set", v4({as_path({{1, std::vector<uint32_t>(300, 7)}})}),
      "AS_SET of 300 numbers (max 255)");
  {
    apipb::AggregatorAttribute m;
    m.set_address("2001:db8::1");
    add("aggregator", v4({Pack(m)}), "invalid aggregator address: 2001:db8::1");
  }
  {
    apipb::OriginatorIdAttribute m;
    m.set_id("x");
    add("originator", v4({Pack(m)}), "invalid originator id: x");
  }
  {
    apipb::ClusterListAttribute m;
    m.add_ids("1.1.1.1");
    m.add_ids("::1");
    add("cluster list", v4({Pack(m)}), "invalid cluster list: ::1");
  }
  add("mp reach without family",
      CliPath("2001:db8::/32", {Origin(0), MpReach(nullptr, {"2001:db8::1"}, {"2001:db8::/32"})}),
      "empty family");
  add("mp reach without nlri",
      CliPath("2001:db8::/32", {Origin(0), MpReach(kV6, {"2001:db8::1"}, {})}),
      "invalid mp reach attribute");
  add("mp reach of another family",
      CliPath("2001:db8::/32", {Origin(0), MpReach(kV4, {"192.0.2.1"}, {"10.0.0.0/8"})}),
      "MP_REACH_NLRI of family ipv4-unicast in a path of another family");
  add("mp reach of evpn",
      CliPath("2001:db8::/32", {Origin(0), MpReach("afi: AFI_L2VPN safi: SAFI_EVPN",
                                                   {"2001:db8::1"}, {"2001:db8::/32"})}),
      "unsupported family l2vpn-evpn");
  add("three next hops",
      CliPath("2001:db8::/32",
              {Origin(0), MpReach(kV6, {"2001:db8::1", "fe80::1", "fe80::2"}, {"2001:db8::/32"})}),
      "3 next hops");
  add("global second next hop",
      CliPath("2001:db8::/32",
              {Origin(0), MpReach(kV6, {"2001:db8::1", "2001:db8::2"}, {"2001:db8::/32"})}),
      "2001:db8::2 is not an IPv6 link-local address");
  add("bad mp next hop",
      CliPath("2001:db8::/32", {Origin(0), MpReach(kV6, {"zz"}, {"2001:db8::/32"})}),
      "invalid nexthop: zz");
  {
    apipb::MpReachNLRIAttribute m;
    *m.mutable_family() = Parse<apipb::Family>(kV6);
    m.add_next_hops("2001:db8::1");
    m.add_nlris()->set_type_url("type.googleapis.com/apipb.IPAddressPrefix");
    m.mutable_nlris(0)->set_value("\xff");
    add("mp reach garbage nlri", CliPath("2001:db8::/32", {Origin(0), Pack(m)}),
        "failed to unmarshal nlri");
  }
  {
    apipb::ExtendedCommunitiesAttribute m;
    apipb::TwoOctetAsSpecificExtended c;
    c.set_asn(70000);
    m.add_communities()->PackFrom(c);
    add("ext community", v4({Pack(m)}), "asn 70000 is out of range");
  }
  add("unknown with a decoded type", v4({unknown_attr(0xc0, 8, "abcd")}),
      "unknown attribute of type 8: use the attribute's own message");
  add("unknown well-known", v4({unknown_attr(0x40, 99, "a")}),
      "must have the optional flag (0x80)");
  add("unknown type 300", v4({unknown_attr(0xc0, 300, "a")}), "invalid unknown attribute");
  add("unknown too long", v4({unknown_attr(0xc0, 99, std::string(70000, 'x'))}),
      "70000 octets (max 65535)");
  add("as4 path", v4({Pack(apipb::As4PathAttribute())}),
      "unsupported path attribute: apipb.As4PathAttribute", absl::StatusCode::kUnimplemented);
  {
    apipb::CommunitiesAttribute m;
    for (uint32_t i = 0; i < 20000; ++i) m.add_communities(i);
    add("huge community list", v4({Pack(m)}), "path attributes");
  }
  {
    apipb::AigpAttribute m;
    m.add_tlvs()->PackFrom(apipb::OriginAttribute());
    add("aigp tlv", v4({Pack(m)}), "invalid aigp attribute tlv: apipb.OriginAttribute");
  }
  p = v4({});
  p.set_nlri_binary(std::string("\x28\x0a\x01\x00\x00\x00", 6));
  add("binary nlri length", p, "invalid binary nlri");
  p = v4({});
  p.set_nlri_binary(std::string("\x08\x0a\x08\x0b", 4));
  add("binary nlri twice", p, "2 prefixes, not one");
  p = v4({});
  p.add_pattrs_binary(std::string("\x40\x01", 2));
  add("binary attribute short", p, "invalid binary path attribute");
  p = v4({});
  p.add_pattrs_binary(std::string("\x40\x01\x01\x00", 4));
  p.add_pattrs_binary(std::string("\x40\x01\x01\x01", 4));
  add("binary attribute twice", p, "duplicated path attribute type: 1");
  p = v4({});
  p.add_pattrs_binary(std::string("\x40\x01\x02\x00", 4));
  add("binary attribute length", p, "does not match");
  p = v4({});
  p.add_pattrs_binary(std::string("\x40\x01\x01\x07", 4));
  add("binary bad origin", p, "invalid binary path attributes");
  return v;
}

TEST(RouteFromApiTest, MalformedInputIsAnError) {
  for (const BadPath& c : BadPaths()) {
    absl::StatusOr<ApiRoute> r = RouteFromApi(c.path, false);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.name;
  }
}

// ---- paths to the API ----

TEST(PathToApiTest, ReceivedPathsAsGobgpdListsThem) {
  rib::RibOptions ro;
  ro.local_as = 65001;
  ro.router_id = 0x0a000001;
  rib::Rib rib(ro);
  rib::PeerInfo pi;
  pi.local_as = 65001;
  pi.peer_as = 65002;
  pi.router_id = 0x0a000002;
  pi.address = Ip("127.0.0.2");
  pi.local_address = Ip("127.0.0.1");
  rib::PeerId peer = rib.AddPeer(pi);

  wire::Update u4;
  u4.attrs.origin = wire::Origin::kIncomplete;
  u4.attrs.as_path = wire::AsPath{{wire::AsSegmentType::kSequence, {65002}}};
  u4.attrs.next_hop = Ip("192.0.2.1");
  u4.nlri.push_back({Pfx("10.3.0.0/24"), 0});
  rib.ApplyUpdate(peer, u4);
  wire::Update u6;
  u6.attrs.origin = wire::Origin::kEgp;
  u6.attrs.as_path = wire::AsPath{{wire::AsSegmentType::kSequence, {65002}}};
  u6.attrs.communities = std::vector<uint32_t>{65537};
  u6.attrs.mp_reach = wire::MpReach{
      wire::kIPv6Unicast, Ip("2001:db8::1"), std::nullopt, {{Pfx("2001:db8::/32"), 0}}, {}};
  rib.ApplyUpdate(peer, u6);

  const absl::Time arrival = absl::FromUnixSeconds(1795726392);
  auto list = [&](const char* prefix) {
    const rib::Destination* d = rib.Find(Pfx(prefix));
    EXPECT_NE(d, nullptr);
    const rib::Path& path = d->paths()[0];
    PathInfo info = PathInfoOf(path, rib.peer_info(path.peer), /*pre_policy=*/true);
    info.arrival = arrival;
    apipb::Path out;
    PathToApi(Pfx(prefix), info, &out);
    return Text(out);
  };
  // gobgpd: `ListPath` of the Adj-RIB-In of 127.0.0.2 (adj-in paths are not best).
  EXPECT_EQ(list("10.3.0.0/24"),
            "nlri { [type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 24 prefix: "
            "\"10.3.0.0\" } } "
            "pattrs { [type.googleapis.com/apipb.OriginAttribute] { origin: 2 } } "
            "pattrs { [type.googleapis.com/apipb.AsPathAttribute] { segments { type: "
            "AS_SEQUENCE numbers: 65002 } } } "
            "pattrs { [type.googleapis.com/apipb.NextHopAttribute] { next_hop: \"192.0.2.1\" } } "
            "age { seconds: 1795726392 } validation { } family { afi: AFI_IP safi: SAFI_UNICAST "
            "} source_asn: 65002 source_id: \"10.0.0.2\" neighbor_ip: \"127.0.0.2\" "
            "local_identifier: 1");
  EXPECT_EQ(list("2001:db8::/32"),
            "nlri { [type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 32 prefix: "
            "\"2001:db8::\" } } "
            "pattrs { [type.googleapis.com/apipb.OriginAttribute] { origin: 1 } } "
            "pattrs { [type.googleapis.com/apipb.AsPathAttribute] { segments { type: "
            "AS_SEQUENCE numbers: 65002 } } } "
            "pattrs { [type.googleapis.com/apipb.CommunitiesAttribute] { communities: 65537 } } "
            "pattrs { [type.googleapis.com/apipb.MpReachNLRIAttribute] { family { afi: AFI_IP6 "
            "safi: SAFI_UNICAST } next_hops: \"2001:db8::1\" nlris { "
            "[type.googleapis.com/apipb.IPAddressPrefix] { prefix_len: 32 prefix: "
            "\"2001:db8::\" } } } } "
            "age { seconds: 1795726392 } validation { } family { afi: AFI_IP6 safi: "
            "SAFI_UNICAST } source_asn: 65002 source_id: \"10.0.0.2\" neighbor_ip: "
            "\"127.0.0.2\" local_identifier: 1");
}

TEST(PathToApiTest, FlagsAndIdentifiers) {
  rib::AttrPool pool;
  wire::PathAttributes a;
  a.origin = wire::Origin::kIgp;
  a.next_hop = Ip("192.0.2.1");
  rib::AttrRef set = pool.Intern(a, wire::kIPv4Unicast);
  rib::PeerInfo source;
  source.peer_as = 65002;
  source.address = Ip("2001:db8::2");
  rib::Path path;
  path.attrs = set.get();
  path.path_id = 7;
  path.flags = rib::Path::kStale | rib::Path::kRejected | rib::Path::kIneligible;
  PathInfo info = PathInfoOf(path, source, false);
  EXPECT_TRUE(info.stale);
  EXPECT_TRUE(info.filtered);
  EXPECT_EQ(info.identifier, 7u);
  info.local_identifier = 3;
  info.is_withdraw = true;
  info.is_from_external = true;
  apipb::Path out;
  PathToApi(Pfx("10.0.0.0/8"), info, &out);
  EXPECT_TRUE(out.stale());
  EXPECT_TRUE(out.filtered());
  EXPECT_TRUE(out.is_withdraw());
  EXPECT_TRUE(out.is_from_external());
  EXPECT_FALSE(out.best());
  EXPECT_EQ(out.identifier(), 7u);
  EXPECT_EQ(out.local_identifier(), 3u);
  EXPECT_EQ(out.neighbor_ip(), "2001:db8::2");
  EXPECT_EQ(out.source_id(), "0.0.0.0");
  EXPECT_TRUE(out.has_validation());
  EXPECT_EQ(out.validation().state(), apipb::Validation::STATE_NONE);  // no "N" in the CLI
}

// ListPath's fast path encodes paths itself: every combination must give exactly the bytes
// protobuf gives for PathToApi's message (and so parse back to the same message).
TEST(PathToApiTest, EncodedPathIsTheSerializedMessage) {
  rib::AttrPool pool;
  wire::PathAttributes a4;
  a4.origin = wire::Origin::kIgp;
  a4.as_path = wire::AsPath{{wire::AsSegmentType::kSequence, {65002, 4200000000u}}};
  a4.next_hop = Ip("192.0.2.1");
  a4.med = 0;
  a4.local_pref = 200;
  a4.communities = std::vector<uint32_t>{65537, 0xffffff01};
  rib::AttrRef set4 = pool.Intern(a4, wire::kIPv4Unicast);
  wire::PathAttributes empty4;
  empty4.next_hop = Ip("0.0.0.0");
  rib::AttrRef bare4 = pool.Intern(empty4, wire::kIPv4Unicast);
  wire::PathAttributes a6;
  a6.origin = wire::Origin::kEgp;
  a6.mp_reach = wire::MpReach{
      wire::kIPv6Unicast, Ip("2001:db8::1"), Ip("fe80::1"), {{Pfx("2001:db8::/32"), 0}}, {}};
  rib::AttrRef set6 = pool.Intern(a6, wire::kIPv6Unicast);

  rib::PeerInfo peer;
  peer.peer_as = 65002;
  peer.local_as = 65001;
  peer.router_id = 0x0a000002;
  peer.address = Ip("127.0.0.2");
  rib::PeerInfo local;
  local.local = true;
  struct Case {
    const char* prefix;
    const rib::AttrSet* attrs;
    const rib::PeerInfo* source;
    int64_t arrival;
    bool flags;
    uint32_t identifier, local_identifier;
  };
  const Case cases[] = {
      {"10.3.0.0/24", set4.get(), &peer, 1795726392, false, 0, 1},
      {"10.3.0.0/24", set4.get(), &peer, 1795726392, true, 7, 3},
      {"0.0.0.0/0", set4.get(), &local, 0, false, 0, 0},
      {"255.255.255.255/32", bare4.get(), &local, -5, true, 0xffffffffu, 1},
      {"10.0.0.0/8", nullptr, nullptr, 1, false, 0, 1},
      {"2001:db8::/32", set6.get(), &peer, 1795726392, false, 0, 1},
      {"::/0", set6.get(), &local, 1795726392, true, 1 << 20, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.prefix);
    PathInfo info;
    info.attrs = c.attrs;
    info.source = c.source;
    info.arrival = absl::FromUnixSeconds(c.arrival);
    info.best = info.stale = info.filtered = info.is_withdraw = info.is_from_external = c.flags;
    info.identifier = c.identifier;
    info.local_identifier = c.local_identifier;
    apipb::Path want;
    PathToApi(Pfx(c.prefix), info, &want);
    for (bool next_hop_last : {false, true}) {
      const bool nh_last = c.source == nullptr || c.source->local;
      if (next_hop_last != nh_last) continue;
      const std::string pattrs =
          c.attrs != nullptr ? EncodePathAttributes(*c.attrs, Pfx(c.prefix), nh_last) : "";
      std::string got;
      AppendEncodedPath(Pfx(c.prefix), info, pattrs, &got);
      EXPECT_EQ(got, want.SerializeAsString());
      apipb::Path parsed;
      ASSERT_TRUE(parsed.ParseFromString(got));
      EXPECT_EQ(Text(parsed), Text(want));
    }
  }
  // The message around it: ListPathResponse{destination = 1 {prefix = 1, paths = 2}}.
  apipb::ListPathResponse r;
  r.mutable_destination()->set_prefix("10.3.0.0/24");
  PathInfo info;
  info.attrs = set4.get();
  info.source = &peer;
  PathToApi(Pfx("10.3.0.0/24"), info, r.mutable_destination()->add_paths());
  PathToApi(Pfx("10.3.0.0/24"), info, r.mutable_destination()->add_paths());
  std::string path;
  AppendEncodedPath(Pfx("10.3.0.0/24"), info,
                    EncodePathAttributes(*set4, Pfx("10.3.0.0/24"), false), &path);
  std::string dest;
  AppendLengthDelimited(1, "10.3.0.0/24", &dest);
  AppendLengthDelimited(2, path, &dest);
  AppendLengthDelimited(2, path, &dest);
  std::string resp;
  AppendLengthDelimited(1, dest, &resp);
  EXPECT_EQ(resp, r.SerializeAsString());
}

// ---- capabilities ----

TEST(CapabilityTest, AsGobgpMarshalsThem) {
  struct Case {
    wire::Capability cap;
    const char* text;
  } cases[] = {
      {wire::MultiprotocolCap{wire::kIPv6Unicast},
       "[type.googleapis.com/apipb.MultiProtocolCapability] { family { afi: AFI_IP6 safi: "
       "SAFI_UNICAST } }"},
      {wire::RouteRefreshCap{}, "[type.googleapis.com/apipb.RouteRefreshCapability] { }"},
      {wire::EnhancedRouteRefreshCap{},
       "[type.googleapis.com/apipb.EnhancedRouteRefreshCapability] { }"},
      {wire::ExtendedMessageCap{}, "[type.googleapis.com/apipb.UnknownCapability] { code: 6 }"},
      {wire::FourOctetAsCap{65001},
       "[type.googleapis.com/apipb.FourOctetASNCapability] { asn: 65001 }"},
      {wire::ExtendedNextHopCap{{{wire::kIPv4Unicast, wire::kAfiIPv6}}},
       "[type.googleapis.com/apipb.ExtendedNexthopCapability] { tuples { nlri_family { afi: "
       "AFI_IP safi: SAFI_UNICAST } nexthop_family { afi: AFI_IP6 safi: SAFI_UNICAST } } }"},
      {wire::GracefulRestartCap{0, 90, {}},
       "[type.googleapis.com/apipb.GracefulRestartCapability] { time: 90 }"},
      {wire::GracefulRestartCap{0xc, 120, {{wire::kIPv4Unicast, 0x80}}},
       "[type.googleapis.com/apipb.GracefulRestartCapability] { flags: 12 time: 120 tuples { "
       "family { afi: AFI_IP safi: SAFI_UNICAST } flags: 128 } }"},
      {wire::AddPathCap{{{wire::kIPv4Unicast, 3}, {wire::kIPv6Unicast, 1}}},
       "[type.googleapis.com/apipb.AddPathCapability] { tuples { family { afi: AFI_IP safi: "
       "SAFI_UNICAST } mode: BOTH } tuples { family { afi: AFI_IP6 safi: SAFI_UNICAST } mode: "
       "RECEIVE } }"},
      {wire::LongLivedGracefulRestartCap{{{wire::kIPv4Unicast, 0x80, 3600}}},
       "[type.googleapis.com/apipb.LongLivedGracefulRestartCapability] { tuples { family { afi: "
       "AFI_IP safi: SAFI_UNICAST } flags: 128 time: 3600 } }"},
      {wire::FqdnCap{"vm", ""}, "[type.googleapis.com/apipb.FqdnCapability] { host_name: \"vm\" }"},
      {wire::UnknownCap{128, {}}, "[type.googleapis.com/apipb.RouteRefreshCiscoCapability] { }"},
      {wire::UnknownCap{4, {}}, "[type.googleapis.com/apipb.CarryingLabelInfoCapability] { }"},
      {wire::UnknownCap{99, {1}},
       "[type.googleapis.com/apipb.UnknownCapability] { code: 99 value: \"\\001\" }"},
  };
  for (const Case& c : cases) {
    apipb::PeerState st;
    CapabilityToApi(c.cap, st.add_remote_cap());
    EXPECT_EQ(Text(st), absl::StrCat("remote_cap { ", c.text, " }"));
  }
}

// ---- peers ----

server::GlobalSpec Global() {
  server::GlobalSpec g;
  g.as = 65001;
  g.router_id = 0x0a000001;
  return g;
}

// The settings a NeighborSpec carries, for comparisons.
std::string SpecText(const server::NeighborSpec& spec) {
  const peer::SessionOptions& s = spec.session;
  std::string families;
  for (const peer::FamilyOptions& f : s.families) {
    absl::StrAppend(&families, f.family.afi, "/", f.family.safi, f.add_path_receive ? "+r" : "",
                    f.add_path_send ? "+s" : "", f.gr_forwarding_state ? "+f" : "", " ");
  }
  return absl::StrCat(
      "peer=", s.peer_address.ToString(), ":", s.peer_port, " as=", s.peer_as,
      " local_as=", s.local_as, " id=", s.router_id,
      " local=", s.local_address ? s.local_address->ToString() : "-", ":", s.local_port,
      " passive=", s.passive, " families=", families, " gr=", s.graceful_restart, "/",
      s.gr_restart_time, "/", s.gr_notification, " hold=", s.fsm.hold_time,
      " keepalive=", s.fsm.keepalive_time, " connect=", s.fsm.connect_retry_time,
      " idle=", s.fsm.idle_hold_time, " md5=", s.password, " multihop=", int{s.multihop_ttl},
      " gtsm=", int{s.ttl_security_hops}, " rr=", spec.rib.route_reflector_client, "/",
      spec.rib.cluster_id, " rs=", spec.rib.route_server_client, " own_as=", spec.rib.allow_own_as,
      " private=", static_cast<int>(spec.rib.remove_private_as), " admin_down=", spec.admin_down,
      " desc=", spec.description);
}

TEST(PeerFromApiTest, GobgpdDefaults) {
  // `gobgp neighbor add 127.0.0.9 as 65009`.
  absl::StatusOr<server::NeighborSpec> spec = PeerFromApi(
      Parse<apipb::Peer>("conf { neighbor_address: \"127.0.0.9\" peer_asn: 65009 }"), Global());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(SpecText(*spec),
            "peer=127.0.0.9:179 as=65009 local_as=65001 id=167772161 local=-:0 passive=0 "
            "families=1/1  gr=0/120/0 hold=90 keepalive=30 connect=120 idle=30 md5= "
            "multihop=0 gtsm=0 rr=0/0 rs=0 own_as=0 private=0 admin_down=0 desc=");
  // An IPv6 neighbor gets IPv6 unicast.
  spec = PeerFromApi(Parse<apipb::Peer>("conf { neighbor_address: \"2001:db8::2\" peer_asn: 1 }"),
                     Global());
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->session.families.size(), 1u);
  EXPECT_EQ(spec->session.families[0].family, wire::kIPv6Unicast);
  // Listed families are all enabled, even when the client says otherwise (gobgpd).
  spec = PeerFromApi(
      Parse<apipb::Peer>("conf { neighbor_address: \"127.0.0.9\" peer_asn: 65009 } "
                         "afi_safis { config { family { afi: AFI_IP safi: SAFI_UNICAST } } } "
                         "afi_safis { config { family { afi: AFI_IP6 safi: SAFI_UNICAST } "
                         "enabled: true } }"),
      Global());
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->session.families.size(), 2u);
  EXPECT_EQ(spec->session.families[1].family, wire::kIPv6Unicast);
}

TEST(PeerFromApiTest, SameSpecAsTheYamlNeighbor) {
  const char* yaml = R"(
global:
  config: {as: 65001, router-id: 10.0.0.1}
neighbors:
  - config:
      neighbor-address: 192.0.2.2
      peer-as: 65002
      local-as: 65100
      description: "upstream"
      auth-password: secret
      remove-private-as: replace
    timers:
      config: {hold-time: 30, keepalive-interval: 10, connect-retry: 5}
    transport:
      config: {local-address: 192.0.2.1, remote-port: 1179, local-port: 1180, passive-mode: true}
    ebgp-multihop:
      config: {enabled: true, multihop-ttl: 5}
    route-server:
      config: {route-server-client: true}
    as-path-options:
      config: {allow-own-as: 2}
    graceful-restart:
      config: {enabled: true, restart-time: 60, notification-enabled: true}
    afi-safis:
      - config: {afi-safi-name: ipv4-unicast}
        mp-graceful-restart: {config: {enabled: true}}
        add-paths: {config: {receive: true, send-max: 2}}
      - config: {afi-safi-name: ipv6-unicast}
      - config: {afi-safi-name: l2vpn-evpn}
)";
  absl::StatusOr<config::Config> cfg = config::LoadString(yaml, "test.yml");
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  absl::StatusOr<server::NeighborSpec> from_yaml = config::ToNeighborSpec(*cfg, cfg->neighbors[0]);
  ASSERT_TRUE(from_yaml.ok()) << from_yaml.status();

  absl::StatusOr<server::NeighborSpec> from_api = PeerFromApi(Parse<apipb::Peer>(R"(
        conf { neighbor_address: "192.0.2.2" peer_asn: 65002 local_asn: 65100
               description: "upstream" auth_password: "secret" remove_private: REPLACE
               allow_own_asn: 2 }
        timers { config { hold_time: 30 keepalive_interval: 10 connect_retry: 5 } }
        transport { local_address: "192.0.2.1" remote_port: 1179 local_port: 1180
                    passive_mode: true }
        ebgp_multihop { enabled: true multihop_ttl: 5 }
        route_server { route_server_client: true }
        graceful_restart { enabled: true restart_time: 60 notification_enabled: true }
        afi_safis { config { family { afi: AFI_IP safi: SAFI_UNICAST } enabled: true }
                    mp_graceful_restart { config { enabled: true } }
                    add_paths { config { receive: true send_max: 2 } } }
        afi_safis { config { family { afi: AFI_IP6 safi: SAFI_UNICAST } enabled: true } }
        afi_safis { config { family { afi: AFI_L2VPN safi: SAFI_EVPN } enabled: true } }
      )"),
                                                              Global());
  ASSERT_TRUE(from_api.ok()) << from_api.status();
  EXPECT_EQ(SpecText(*from_api), SpecText(*from_yaml));
  EXPECT_THAT(SpecText(*from_api),
              HasSubstr("families=1/1+r+s+f 2/1  gr=1/60/1 hold=30 keepalive=10 connect=5"));
}

TEST(PeerFromApiTest, MalformedIsAnError) {
  struct Case {
    const char* peer;
    const char* message;
    absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  } cases[] = {
      {"", "NeighborAddress is not configured"},
      {"conf { peer_asn: 1 }", "NeighborAddress is not configured"},
      {"conf { neighbor_interface: \"eth0\" peer_asn: 1 }", "unnumbered BGP is not supported",
       absl::StatusCode::kUnimplemented},
      {"conf { neighbor_address: \"10.0.0.300\" peer_asn: 1 }",
       "invalid neighbor address: 10.0.0.300"},
      {"conf { neighbor_address: \"peer.example\" peer_asn: 1 }", "invalid neighbor address"},
      {"conf { neighbor_address: \"10.0.0.2\" }", "peer AS 0"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 65001 remove_private: REMOVE_ALL }",
       "can't set remove-private-as for iBGP peer"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 65001 replace_peer_asn: true }",
       "can't set replace-peer-as for iBGP peer"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 remove_private: 7 }",
       "invalid remove_private 7"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 peer_group: \"g\" }",
       "no such peer-group: g"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 vrf: \"red\" }", "VRF not found: red"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 allow_own_asn: 256 }",
       "allow_own_asn 256 is out of range"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } "
       "route_server { route_server_client: true } "
       "route_reflector { route_reflector_client: true }",
       "can't be both route-server-client and route-reflector-client"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 65001 } "
       "route_reflector { route_reflector_client: true route_reflector_cluster_id: \"x\" }",
       "route-reflector-cluster-id should be specified as IPv4 address or 32-bit unsigned "
       "integer"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } timers { config { hold_time: 70000 "
       "} }",
       "hold_time 70000 is out of range"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } timers { config { hold_time: 2 } }",
       "hold_time 2: must be at least 3 seconds"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } timers { config { hold_time: 9 "
       "keepalive_interval: 30 } }",
       "keepalive-interval: is longer than the hold time"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } timers { config { connect_retry: "
       "99999999999 } }",
       "connect_retry 99999999999 is out of range"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } graceful_restart { enabled: true "
       "restart_time: 5000 }",
       "graceful_restart.restart_time 5000 is out of range (max 4095)"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } ebgp_multihop { enabled: true "
       "multihop_ttl: 300 }",
       "ebgp_multihop.multihop_ttl 300 is out of range"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } ebgp_multihop { enabled: true } "
       "ttl_security { enabled: true }",
       "ebgp-multihop and ttl-security are mututally exclusive"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } transport { local_address: \"x\" }",
       "invalid local address: x"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } transport { local_address: "
       "\"2001:db8::1\" }",
       "is not of the neighbor's address family"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } transport { remote_port: 65536 }",
       "remote_port 65536 is out of range"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } afi_safis { config { enabled: true "
       "} }",
       "afi_safis[0]: config.family is required"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } afi_safis { config { family { afi: "
       "99 safi: 1 } } }",
       "afi_safis[0]: unknown family afi 99 safi 1"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } "
       "afi_safis { config { family { afi: AFI_IP safi: SAFI_UNICAST } } } "
       "afi_safis { config { family { afi: AFI_IP safi: SAFI_UNICAST } } }",
       "afi_safis[1]: family ipv4-unicast is listed twice"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } "
       "afi_safis { config { family { afi: AFI_L2VPN safi: SAFI_EVPN } } }",
       "no supported address family enabled"},
      {"conf { neighbor_address: \"10.0.0.2\" peer_asn: 2 } "
       "afi_safis { config { family { afi: AFI_IP safi: SAFI_UNICAST } } "
       "add_paths { config { send_max: 256 } } }",
       "afi_safis[0].add_paths.send_max 256 is out of range"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<server::NeighborSpec> spec = PeerFromApi(Parse<apipb::Peer>(c.peer), Global());
    ASSERT_FALSE(spec.ok()) << c.peer;
    EXPECT_EQ(spec.status().code(), c.code) << c.peer << ": " << spec.status();
    EXPECT_THAT(spec.status().message(), HasSubstr(c.message)) << c.peer;
  }
}

struct NullHandler : peer::SessionHandler {
  void OnEstablished(peer::Session&, const peer::Negotiated&) override {}
  void OnUpdate(peer::Session&, wire::Update&&) override {}
  void OnRouteRefresh(peer::Session&, const wire::RouteRefresh&) override {}
  void OnDown(peer::Session&, peer::DownReason, std::string) override {}
  void OnWritable(peer::Session&) override {}
};

// A Session that never started, on a fake clock.
class PeerToApiTest : public ::testing::Test {
 protected:
  server::NeighborStatus Status(const char* peer_text) {
    absl::StatusOr<server::NeighborSpec> spec =
        PeerFromApi(Parse<apipb::Peer>(peer_text), Global());
    EXPECT_TRUE(spec.ok()) << spec.status();
    server::NeighborStatus st;
    st.spec = *spec;
    st.spec.session.hostname = "vm";  // gobgpd sends the host name (FQDN capability)
    return st;
  }

  ClockPair Now() { return ClockPair{clock_.Now(), absl::FromUnixSeconds(1795726544)}; }

  FakeClock clock_;
  EventLoop loop_{EventLoop::Options{1.0, &clock_}};
  NullHandler handler_;
};

std::string HostName() {
  char buf[256] = {};
  return gethostname(buf, sizeof(buf) - 1) == 0 ? std::string(buf) : std::string();
}

// gobgpd's ListPeer for `gobgp neighbor add 127.0.0.9 as 65009` (not connected yet: gobgpd
// says Active), with the OPEN capabilities gobgpd sends by default (FQDN has the host name).
constexpr char kGobgpdIdlePeer[] =
    "apply_policy { export_policy { direction: EXPORT } import_policy { direction: IMPORT } } "
    "conf { local_asn: 65001 neighbor_address: \"127.0.0.9\" peer_asn: 65009 type: EXTERNAL } "
    "ebgp_multihop { } route_reflector { } "
    "state { messages { received { } sent { } } neighbor_address: \"127.0.0.9\" peer_asn: 65009 "
    "type: EXTERNAL queues { } session_state: ACTIVE "
    "local_cap { [type.googleapis.com/apipb.MultiProtocolCapability] { family { afi: AFI_IP "
    "safi: SAFI_UNICAST } } } "
    "local_cap { [type.googleapis.com/apipb.RouteRefreshCapability] { } } "
    "local_cap { [type.googleapis.com/apipb.ExtendedNexthopCapability] { tuples { nlri_family { "
    "afi: AFI_IP safi: SAFI_UNICAST } nexthop_family { afi: AFI_IP6 safi: SAFI_UNICAST } } } } "
    "local_cap { [type.googleapis.com/apipb.FourOctetASNCapability] { asn: 65001 } } "
    "local_cap { [type.googleapis.com/apipb.FqdnCapability] { host_name: \"HOSTNAME\" } } } "
    "timers { config { connect_retry: 120 hold_time: 90 keepalive_interval: 30 "
    "idle_hold_time_after_reset: 30 } state { downtime { seconds: 1795726534 } } } "
    "transport { local_address: \"0.0.0.0\" } route_server { } graceful_restart { } "
    "afi_safis { mp_graceful_restart { config { } state { } } config { family { afi: AFI_IP "
    "safi: SAFI_UNICAST } enabled: true } state { family { afi: AFI_IP safi: SAFI_UNICAST } "
    "enabled: true } apply_policy { export_policy { direction: EXPORT } import_policy { "
    "direction: IMPORT } } route_selection_options { config { } } use_multiple_paths { config { "
    "} ebgp { config { } } ibgp { config { } } } route_target_membership { config { } } "
    "long_lived_graceful_restart { config { } } add_paths { config { } } } "
    "ttl_security { }";

TEST_F(PeerToApiTest, NotConnectedAsGobgpdListsIt) {
  server::NeighborStatus st = Status("conf { neighbor_address: \"127.0.0.9\" peer_asn: 65009 }");
  peer::Session session(loop_, handler_, st.spec.session);
  st.session = &session;
  clock_.Advance(std::chrono::seconds(10));
  apipb::Peer out;
  PeerToApi(st, Now(), true, &out);
  EXPECT_EQ(Text(out), absl::StrReplaceAll(kGobgpdIdlePeer, {{"HOSTNAME", HostName()}}));
}

TEST_F(PeerToApiTest, AdminDownAndOptions) {
  server::NeighborStatus st = Status(R"(
      conf { neighbor_address: "2001:db8::2" peer_asn: 65001 admin_down: true description: "d" }
      route_reflector { route_reflector_client: true }
      transport { remote_port: 1179 local_port: 1180 passive_mode: true }
      ttl_security { enabled: true }
      graceful_restart { enabled: true notification_enabled: true }
      afi_safis { config { family { afi: AFI_IP6 safi: SAFI_UNICAST } }
                  add_paths { config { receive: true send_max: 4 } } })");
  st.family_received[1] = 5;
  st.family_accepted[1] = 4;
  st.family_advertised[1] = 3;
  apipb::Peer out;
  PeerToApi(st, Now(), /*with_advertised=*/false, &out);  // no session
  EXPECT_EQ(out.conf().type(), apipb::INTERNAL);
  EXPECT_TRUE(out.conf().admin_down());
  EXPECT_EQ(out.conf().description(), "d");
  EXPECT_EQ(out.state().admin_state(), apipb::PeerState::DOWN);
  EXPECT_EQ(out.state().session_state(), apipb::PeerState::IDLE);
  EXPECT_FALSE(out.timers().state().has_uptime());
  EXPECT_EQ(out.route_reflector().route_reflector_cluster_id(), "10.0.0.1");
  EXPECT_EQ(out.transport().remote_port(), 1179u);
  EXPECT_EQ(out.transport().local_port(), 1180u);
  EXPECT_TRUE(out.transport().passive_mode());
  EXPECT_EQ(out.transport().local_address(), "::");
  EXPECT_TRUE(out.ttl_security().enabled());
  EXPECT_EQ(out.ttl_security().ttl_min(), 255u);
  EXPECT_EQ(Text(out.graceful_restart()),
            "enabled: true restart_time: 90 deferral_time: 360 notification_enabled: true");
  ASSERT_EQ(out.afi_safis_size(), 1);
  EXPECT_EQ(Text(out.afi_safis(0).state()),
            "family { afi: AFI_IP6 safi: SAFI_UNICAST } enabled: true received: 5 accepted: 4");
  EXPECT_EQ(Text(out.afi_safis(0).add_paths()), "config { receive: true send_max: 1 }");
}

// Two kbgp sessions over loopback: the established one lists the peer's OPEN.
TEST(PeerToApiEstablishedTest, ListsTheSession) {
  EventLoop loop;
  NullHandler ha, hb;
  peer::Listener la(loop, peer::Listener::Options{{Ip("127.0.0.1")}, 0});
  peer::Listener lb(loop, peer::Listener::Options{{Ip("127.0.0.2")}, 0});
  ASSERT_TRUE(la.Start().ok());
  ASSERT_TRUE(lb.Start().ok());
  absl::StatusOr<server::NeighborSpec> a =
      PeerFromApi(Parse<apipb::Peer>("conf { neighbor_address: \"127.0.0.2\" peer_asn: 65002 } "
                                     "transport { local_address: \"127.0.0.1\" }"),
                  Global());
  ASSERT_TRUE(a.ok()) << a.status();
  server::GlobalSpec gb = Global();
  gb.as = 65002;
  gb.router_id = 0x0a000002;
  absl::StatusOr<server::NeighborSpec> b = PeerFromApi(
      Parse<apipb::Peer>("conf { neighbor_address: \"127.0.0.1\" peer_asn: 65001 } "
                         "transport { local_address: \"127.0.0.2\" passive_mode: true } "
                         "afi_safis { config { family { afi: AFI_IP safi: SAFI_UNICAST } } "
                         "add_paths { config { receive: true } } }"),
      gb);
  ASSERT_TRUE(b.ok()) << b.status();
  a->session.peer_port = lb.port();
  b->session.peer_port = la.port();
  auto sa = std::make_unique<peer::Session>(loop, ha, a->session, [] { return 0.5; });
  auto sb = std::make_unique<peer::Session>(loop, hb, b->session, [] { return 0.5; });
  ASSERT_TRUE(la.AddSession(sa.get()).ok());
  ASSERT_TRUE(lb.AddSession(sb.get()).ok());
  sb->Start();
  sa->Start();
  ASSERT_TRUE(loop.RunUntil([&] { return sa->established() && sb->established(); },
                            std::chrono::seconds(10)));

  server::NeighborStatus st;
  st.spec = *a;
  st.session = sa.get();
  st.family_received[0] = 2;
  st.family_accepted[0] = 1;
  st.family_advertised[0] = 7;
  const ClockPair now{loop.clock().Now(), absl::Now()};
  apipb::Peer out;
  PeerToApi(st, now, true, &out);
  EXPECT_EQ(out.state().session_state(), apipb::PeerState::ESTABLISHED);
  EXPECT_EQ(out.state().router_id(), "10.0.0.2");
  EXPECT_EQ(out.state().messages().received().open(), 1u);
  EXPECT_EQ(out.state().messages().sent().open(), 1u);
  EXPECT_GE(out.state().messages().sent().total(), 2u);
  EXPECT_EQ(out.timers().state().negotiated_hold_time(), 90u);
  EXPECT_EQ(out.timers().state().keepalive_interval(), 30u);
  EXPECT_TRUE(out.timers().state().has_uptime());
  EXPECT_NEAR(out.timers().state().uptime().seconds(), absl::ToUnixSeconds(absl::Now()), 5);
  EXPECT_EQ(out.transport().local_address(), "127.0.0.1");
  EXPECT_EQ(Text(out.afi_safis(0).state()),
            "family { afi: AFI_IP safi: SAFI_UNICAST } enabled: true received: 2 accepted: 1 "
            "advertised: 7");
  // B's OPEN: IPv4 unicast, route refresh, extended next hop, 4-octet AS, ADD-PATH, FQDN.
  apipb::PeerState caps;
  *caps.mutable_remote_cap() = out.state().remote_cap();
  EXPECT_EQ(Text(caps),
            absl::StrCat(
                "remote_cap { [type.googleapis.com/apipb.MultiProtocolCapability] { family { afi: "
                "AFI_IP safi: SAFI_UNICAST } } } "
                "remote_cap { [type.googleapis.com/apipb.RouteRefreshCapability] { } } "
                "remote_cap { [type.googleapis.com/apipb.ExtendedNexthopCapability] { tuples { "
                "nlri_family { afi: AFI_IP safi: SAFI_UNICAST } nexthop_family { afi: AFI_IP6 "
                "safi: SAFI_UNICAST } } } } "
                "remote_cap { [type.googleapis.com/apipb.FourOctetASNCapability] { asn: 65002 } } "
                "remote_cap { [type.googleapis.com/apipb.AddPathCapability] { tuples { family { "
                "afi: AFI_IP safi: SAFI_UNICAST } mode: RECEIVE } } } "
                "remote_cap { [type.googleapis.com/apipb.FqdnCapability] { host_name: \"",
                HostName(), "\" } }"));
  EXPECT_EQ(out.state().local_cap_size(), 5);

  sa->Stop();
  sb->Stop();
  ASSERT_TRUE(
      loop.RunUntil([&] { return sa->open_connections() == 0 && sb->open_connections() == 0; },
                    std::chrono::seconds(5)));
  // After the drop: the downtime moved, the uptime stays (gobgpd's CLI shows time since down).
  out.Clear();
  PeerToApi(st, ClockPair{loop.clock().Now(), absl::Now()}, true, &out);
  // Not admin down, so listed as gobgpd lists a peer it will connect to again.
  EXPECT_EQ(out.state().session_state(), apipb::PeerState::ACTIVE);
  EXPECT_TRUE(out.timers().state().has_uptime());
  EXPECT_TRUE(out.timers().state().has_downtime());
  EXPECT_EQ(out.state().flops(), 0u);  // stopped by us: not a flop (gobgpd's count)
  EXPECT_EQ(out.state().router_id(), "");
  la.RemoveSession(sa.get());
  lb.RemoveSession(sb.get());
}

}  // namespace
}  // namespace kbgp::api_server
