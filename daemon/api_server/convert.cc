#include "daemon/api_server/convert.h"

#include <algorithm>
#include <bitset>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/common/bytes.h"
#include "daemon/config/apply.h"
#include "daemon/config/config.h"
#include "daemon/wire/constants.h"
#include "daemon/wire/gobgp_names.h"
#include "google/protobuf/timestamp.pb.h"

namespace kbgp::api_server {
namespace {

using google::protobuf::Any;

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

// An Any's message name ("apipb.OriginAttribute"), for messages.
absl::string_view TypeName(const Any& any) {
  absl::string_view url = any.type_url();
  size_t slash = url.rfind('/');
  return slash == absl::string_view::npos ? url : url.substr(slash + 1);
}

// Unpacks `any` as M, or says why not. The caller has checked any.Is<M>().
template <typename M>
absl::Status Unpack(const Any& any, M* out, absl::string_view what) {
  if (!any.UnpackTo(out)) {
    return Invalid(absl::StrCat("failed to unmarshal ", what, ": ", TypeName(any)));
  }
  return absl::OkStatus();
}

// API strings are untrusted: a NUL would end the text early for inet_pton.
absl::StatusOr<IpAddress> ParseAddress(absl::string_view text) {
  if (text.size() > 64 || text.find('\0') != absl::string_view::npos) {
    return Invalid("invalid IP address");
  }
  return IpAddress::Parse(text);
}

absl::StatusOr<IpAddress> ParseV4(absl::string_view text) {
  absl::StatusOr<IpAddress> a = ParseAddress(text);
  if (!a.ok() || !a->is_v4()) return Invalid("not an IPv4 address");
  return a;
}

// Quoted and cut short for error messages (input may be huge or binary).
std::string Shown(absl::string_view text) {
  constexpr size_t kMax = 64;
  std::string s(text.substr(0, kMax));
  for (char& c : s) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
  }
  if (text.size() > kMax) s += "...";
  return s;
}

// ---- families ----

const char* KnownFamilyName(uint32_t afi, uint32_t safi) {
  return wire::GoBgpFamilyNameOf(afi, safi);
}

std::string FamilyText(const apipb::Family& f) {
  const uint32_t afi = static_cast<uint32_t>(f.afi());
  const uint32_t safi = static_cast<uint32_t>(f.safi());
  if (const char* name = KnownFamilyName(afi, safi)) return name;
  return absl::StrCat("afi ", afi, " safi ", safi);
}

wire::AfiSafi AfiSafiOf(Family f) {
  return f == Family::kIPv4 ? wire::kIPv4Unicast : wire::kIPv6Unicast;
}

// ---- small encoders ----

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  // gobgpd keeps Unix seconds (time.Unix(ts, 0)): no nanoseconds.
  out->set_seconds(absl::ToUnixSeconds(t));
}

std::string MacString(const uint8_t* b) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

// Go's net.ParseMAC for a 6-octet address: "aa:bb:cc:dd:ee:ff" or with '-', or
// "aabb.ccdd.eeff".
bool ParseMac(absl::string_view s, uint8_t out[6]) {
  auto hex = [](char c, int* v) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
    *v = absl::ascii_isdigit(static_cast<unsigned char>(c))
             ? c - '0'
             : absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    return true;
  };
  if (s.size() == 17 && (s[2] == ':' || s[2] == '-')) {
    for (int i = 0; i < 6; ++i) {
      int hi, lo;
      if (!hex(s[i * 3], &hi) || !hex(s[i * 3 + 1], &lo)) return false;
      if (i < 5 && s[i * 3 + 2] != s[2]) return false;
      out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
  }
  if (s.size() == 14 && s[4] == '.' && s[9] == '.') {
    int k = 0;
    for (int g = 0; g < 3; ++g) {
      for (int i = 0; i < 2; ++i) {
        int hi, lo;
        if (!hex(s[g * 5 + i * 2], &hi) || !hex(s[g * 5 + i * 2 + 1], &lo)) return false;
        out[k++] = static_cast<uint8_t>(hi << 4 | lo);
      }
    }
    return true;
  }
  return false;
}

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// ---- attributes to the API ----

// Sort keys: the type code, with MP_REACH_NLRI and a trailing NEXT_HOP after everything.
constexpr int kLastKey = 512;

struct Listed {
  int key;
  Any any;
};

template <typename M>
void Add(std::vector<Listed>* out, int key, const M& m) {
  Listed l{key, {}};
  l.any.PackFrom(m);
  out->push_back(std::move(l));
}

void AsPathToApi(const wire::AsPath& path,
                 google::protobuf::RepeatedPtrField<apipb::AsSegment>* out) {
  for (const wire::AsSegment& seg : path) {
    apipb::AsSegment* s = out->Add();
    s->set_type(static_cast<apipb::AsSegment::Type>(seg.type));
    for (uint32_t asn : seg.asns) s->add_numbers(asn);
  }
}

// RFC 7311 AIGP TLVs, strictly: any malformed TLV and the attribute is listed as unknown.
bool AigpToApi(const Bytes& value, apipb::AigpAttribute* out) {
  Reader r(value);
  while (!r.empty()) {
    uint8_t type;
    uint16_t len;
    if (!r.ReadU8(&type) || !r.ReadU16(&len) || len < 3 || r.remaining() < len - 3u) return false;
    ByteSpan v = r.rest().subspan(0, len - 3u);
    r = Reader(r.rest().subspan(len - 3u));
    if (type == 1) {  // AIGP TLV: 8 octets of accumulated IGP metric
      if (v.size() != 8) return false;
      uint64_t metric = 0;
      for (uint8_t b : v) metric = metric << 8 | b;
      apipb::AigpTLVIGPMetric m;
      m.set_metric(metric);
      out->add_tlvs()->PackFrom(m);
    } else {
      apipb::AigpTLVUnknown u;
      u.set_type(type);
      u.set_value(std::string(v.begin(), v.end()));
      out->add_tlvs()->PackFrom(u);
    }
  }
  return true;
}

constexpr uint8_t kAttrAigp = 26;  // RFC 7311

void NextHopToApi(const Prefix& prefix, const NextHop& nh, bool next_hop_last,
                  std::vector<Listed>* out) {
  if (prefix.family() == Family::kIPv4 && nh.address.is_v4()) {
    apipb::NextHopAttribute a;
    a.set_next_hop(nh.address.ToString());
    Add(out, next_hop_last ? kLastKey : wire::attr::kNextHop, a);
    return;
  }
  apipb::MpReachNLRIAttribute a;
  FamilyToApi(prefix.family(), a.mutable_family());
  a.add_next_hops(nh.address.ToString());
  // gobgpd lists the second next hop only when it is link-local (IsLinkLocalUnicast).
  if (nh.link_local && nh.link_local->IsIPv6LinkLocal()) a.add_next_hops(nh.link_local->ToString());
  PrefixToApi(prefix, a.add_nlris());
  Add(out, kLastKey, a);
}

}  // namespace

// ---- families ----

absl::StatusOr<Family> FamilyFromApi(const apipb::Family& family) {
  if (family.safi() == apipb::Family::SAFI_UNICAST) {
    if (family.afi() == apipb::Family::AFI_IP) return Family::kIPv4;
    if (family.afi() == apipb::Family::AFI_IP6) return Family::kIPv6;
  }
  return Invalid(absl::StrCat("unsupported family ", FamilyText(family)));
}

void FamilyToApi(Family family, apipb::Family* out) {
  out->set_afi(family == Family::kIPv4 ? apipb::Family::AFI_IP : apipb::Family::AFI_IP6);
  out->set_safi(apipb::Family::SAFI_UNICAST);
}

void AfiSafiToApi(wire::AfiSafi family, apipb::Family* out) {
  out->set_afi(static_cast<apipb::Family::Afi>(family.afi));
  out->set_safi(static_cast<apipb::Family::Safi>(family.safi));
}

// ---- NLRI ----

void PrefixToApi(const Prefix& prefix, Any* out) {
  apipb::IPAddressPrefix p;
  p.set_prefix_len(prefix.length());
  p.set_prefix(prefix.addr().ToString());
  out->PackFrom(p);
}

absl::StatusOr<Prefix> PrefixFromApi(const Any& nlri, Family family) {
  if (!nlri.Is<apipb::IPAddressPrefix>()) {
    if (nlri.type_url().empty()) return Invalid("nlri not found");
    return Invalid(absl::StrCat("invalid nlri ", Shown(TypeName(nlri)), " for family ",
                                family == Family::kIPv4 ? "ipv4-unicast" : "ipv6-unicast",
                                ": expected apipb.IPAddressPrefix"));
  }
  apipb::IPAddressPrefix p;
  if (absl::Status s = Unpack(nlri, &p, "nlri"); !s.ok()) return s;
  absl::StatusOr<IpAddress> addr = ParseAddress(p.prefix());
  if (!addr.ok() || addr->family() != family) {
    return Invalid(absl::StrCat("invalid prefix \"", Shown(p.prefix()), "\" for family ",
                                family == Family::kIPv4 ? "ipv4-unicast" : "ipv6-unicast"));
  }
  if (p.prefix_len() > static_cast<uint32_t>(addr->bit_length())) {
    return Invalid(
        absl::StrCat("invalid prefix length ", p.prefix_len(), " for ", addr->ToString()));
  }
  return Prefix::Make(*addr, static_cast<uint8_t>(p.prefix_len()));
}

// ---- extended communities ----

void ExtCommunityToApi(uint64_t community, Any* out) {
  uint8_t b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(community >> (56 - 8 * i));
  const uint8_t type = b[0];
  const uint8_t sub = b[1];
  auto u16 = [&](int i) { return static_cast<uint32_t>(b[i] << 8 | b[i + 1]); };
  auto u32 = [&](int i) {
    return uint32_t{b[i]} << 24 | uint32_t{b[i + 1]} << 16 | uint32_t{b[i + 2]} << 8 | b[i + 3];
  };
  auto v4 = [&](int i) { return IpAddress::V4Bytes(&b[i]).ToString(); };
  auto unknown = [&] {
    apipb::UnknownExtended m;
    m.set_type(type);
    m.set_value(std::string(reinterpret_cast<const char*>(b + 1), 7));
    out->PackFrom(m);
  };
  auto opaque = [&](bool transitive) {
    apipb::OpaqueExtended m;
    m.set_is_transitive(transitive);
    m.set_value(std::string(reinterpret_cast<const char*>(b + 1), 7));
    out->PackFrom(m);
  };
  switch (type) {
    case 0x00:  // RFC 4360 §3.1 two-octet AS specific (transitive / not)
    case 0x40: {
      if (sub == 0x04) {  // link bandwidth (draft-ietf-idr-link-bandwidth), either type
        apipb::LinkBandwidthExtended m;
        m.set_asn(u16(2));
        m.set_bandwidth(BitsFloat(u32(4)));
        out->PackFrom(m);
        return;
      }
      apipb::TwoOctetAsSpecificExtended m;
      m.set_is_transitive(type == 0x00);
      m.set_sub_type(sub);
      m.set_asn(u16(2));
      m.set_local_admin(u32(4));
      out->PackFrom(m);
      return;
    }
    case 0x01:  // RFC 4360 §3.2 IPv4 address specific
    case 0x41: {
      apipb::IPv4AddressSpecificExtended m;
      m.set_is_transitive(type == 0x01);
      m.set_sub_type(sub);
      m.set_address(v4(2));
      m.set_local_admin(u16(6));
      out->PackFrom(m);
      return;
    }
    case 0x02:  // RFC 5668 four-octet AS specific
    case 0x42: {
      apipb::FourOctetAsSpecificExtended m;
      m.set_is_transitive(type == 0x02);
      m.set_sub_type(sub);
      m.set_asn(u32(2));
      m.set_local_admin(u16(6));
      out->PackFrom(m);
      return;
    }
    case 0x03:            // RFC 4360 §3.3 opaque, transitive
      if (sub == 0x0b) {  // RFC 9012 color
        apipb::ColorExtended m;
        m.set_color(u32(4));
        out->PackFrom(m);
      } else if (sub == 0x0c) {  // RFC 9012 encapsulation
        apipb::EncapExtended m;
        m.set_tunnel_type(u16(6));
        out->PackFrom(m);
      } else if (sub == 0x0d) {  // RFC 7432 default gateway
        out->PackFrom(apipb::DefaultGatewayExtended());
      } else {
        opaque(true);
      }
      return;
    case 0x43:
      if (sub == 0x00) {  // RFC 8097 origin validation state
        apipb::ValidationExtended m;
        m.set_state(b[7]);
        out->PackFrom(m);
      } else {
        opaque(false);
      }
      return;
    case 0x06:  // RFC 7432 EVPN
      switch (sub) {
        case 0x00: {
          apipb::MacMobilityExtended m;
          m.set_is_sticky(b[2] > 0);
          m.set_sequence_num(u32(4));
          out->PackFrom(m);
          return;
        }
        case 0x01: {
          apipb::ESILabelExtended m;
          m.set_is_single_active(b[2] > 0);
          m.set_label(uint32_t{b[5]} << 16 | uint32_t{b[6]} << 8 | b[7]);
          out->PackFrom(m);
          return;
        }
        case 0x02: {
          apipb::ESImportRouteTarget m;
          m.set_es_import(MacString(b + 2));
          out->PackFrom(m);
          return;
        }
        case 0x03: {
          apipb::RouterMacExtended m;
          m.set_mac(MacString(b + 2));
          out->PackFrom(m);
          return;
        }
      }
      // gobgp fails to parse the UPDATE; kbgp keeps the community and lists it as unknown.
      unknown();
      return;
    case 0x80:  // RFC 8955 flow spec actions, RFC 7674 redirect
    case 0x81:
    case 0x82:
      switch (sub) {
        case 0x06: {
          apipb::TrafficRateExtended m;
          m.set_asn(u16(2));
          m.set_rate(BitsFloat(u32(4)));
          out->PackFrom(m);
          return;
        }
        case 0x07: {
          apipb::TrafficActionExtended m;
          m.set_terminal((b[7] & 0x1) != 0);
          m.set_sample((b[7] & 0x2) != 0);
          out->PackFrom(m);
          return;
        }
        case 0x08:
          if (type == 0x80) {
            apipb::RedirectTwoOctetAsSpecificExtended m;
            m.set_asn(u16(2));
            m.set_local_admin(u32(4));
            out->PackFrom(m);
          } else if (type == 0x81) {
            apipb::RedirectIPv4AddressSpecificExtended m;
            m.set_address(v4(2));
            m.set_local_admin(u16(6));
            out->PackFrom(m);
          } else {
            apipb::RedirectFourOctetAsSpecificExtended m;
            m.set_asn(u32(2));
            m.set_local_admin(u16(6));
            out->PackFrom(m);
          }
          return;
        case 0x09: {
          apipb::TrafficRemarkExtended m;
          m.set_dscp(b[7]);
          out->PackFrom(m);
          return;
        }
      }
      unknown();
      return;
    case 0x0c:  // MUP (draft-mpmz-bess-mup-safi) direct segment
      if (sub == 0x00) {
        apipb::MUPExtended m;
        m.set_sub_type(sub);
        m.set_segment_id2(u16(2));
        m.set_segment_id4(u32(4));
        out->PackFrom(m);
        return;
      }
      unknown();
      return;
    default:
      unknown();
      return;
  }
}

absl::StatusOr<uint64_t> ExtCommunityFromApi(const Any& community) {
  uint8_t b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  auto put16 = [&](int i, uint32_t v) {
    b[i] = static_cast<uint8_t>(v >> 8);
    b[i + 1] = static_cast<uint8_t>(v);
  };
  auto put32 = [&](int i, uint32_t v) {
    put16(i, v >> 16);
    put16(i + 2, v & 0xffff);
  };
  auto range = [&](absl::string_view field, uint64_t v, uint64_t max) -> absl::Status {
    if (v <= max) return absl::OkStatus();
    return Invalid(absl::StrCat("invalid extended community ", TypeName(community), ": ", field,
                                " ", v, " is out of range (max ", max, ")"));
  };
  auto v4 = [&](int i, const std::string& text) -> absl::Status {
    absl::StatusOr<IpAddress> a = ParseV4(text);
    if (!a.ok()) {
      return Invalid(absl::StrCat("invalid extended community ", TypeName(community),
                                  ": invalid IPv4 address \"", Shown(text), "\""));
    }
    std::memcpy(&b[i], a->data(), 4);
    return absl::OkStatus();
  };
  auto mac = [&](int i, const std::string& text) -> absl::Status {
    if (!ParseMac(text, &b[i])) {
      return Invalid(absl::StrCat("invalid extended community ", TypeName(community),
                                  ": invalid MAC address \"", Shown(text), "\""));
    }
    return absl::OkStatus();
  };
  auto seven = [&](const std::string& value) -> absl::Status {
    if (value.size() != 7) {
      return Invalid(absl::StrCat("invalid extended community ", TypeName(community),
                                  ": value must be 7 octets, not ", value.size()));
    }
    std::memcpy(&b[1], value.data(), 7);
    return absl::OkStatus();
  };
  absl::Status s;
#define KBGP_CHECK(expr) \
  if (s = (expr); !s.ok()) return s
  if (community.Is<apipb::TwoOctetAsSpecificExtended>()) {
    apipb::TwoOctetAsSpecificExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("sub_type", m.sub_type(), 0xff));
    KBGP_CHECK(range("asn", m.asn(), 0xffff));
    b[0] = m.is_transitive() ? 0x00 : 0x40;
    b[1] = static_cast<uint8_t>(m.sub_type());
    put16(2, m.asn());
    put32(4, m.local_admin());
  } else if (community.Is<apipb::IPv4AddressSpecificExtended>()) {
    apipb::IPv4AddressSpecificExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("sub_type", m.sub_type(), 0xff));
    KBGP_CHECK(range("local_admin", m.local_admin(), 0xffff));
    b[0] = m.is_transitive() ? 0x01 : 0x41;
    b[1] = static_cast<uint8_t>(m.sub_type());
    KBGP_CHECK(v4(2, m.address()));
    put16(6, m.local_admin());
  } else if (community.Is<apipb::FourOctetAsSpecificExtended>()) {
    apipb::FourOctetAsSpecificExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("sub_type", m.sub_type(), 0xff));
    KBGP_CHECK(range("local_admin", m.local_admin(), 0xffff));
    b[0] = m.is_transitive() ? 0x02 : 0x42;
    b[1] = static_cast<uint8_t>(m.sub_type());
    put32(2, m.asn());
    put16(6, m.local_admin());
  } else if (community.Is<apipb::ValidationExtended>()) {
    apipb::ValidationExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("state", m.state(), 0xff));
    b[0] = 0x43;
    b[7] = static_cast<uint8_t>(m.state());
  } else if (community.Is<apipb::LinkBandwidthExtended>()) {
    apipb::LinkBandwidthExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("asn", m.asn(), 0xffff));
    b[0] = 0x40;
    b[1] = 0x04;
    put16(2, m.asn());
    put32(4, FloatBits(m.bandwidth()));
  } else if (community.Is<apipb::ColorExtended>()) {
    apipb::ColorExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    b[0] = 0x03;
    b[1] = 0x0b;
    put32(4, m.color());
  } else if (community.Is<apipb::EncapExtended>()) {
    apipb::EncapExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("tunnel_type", m.tunnel_type(), 0xffff));
    b[0] = 0x03;
    b[1] = 0x0c;
    put16(6, m.tunnel_type());
  } else if (community.Is<apipb::DefaultGatewayExtended>()) {
    b[0] = 0x03;
    b[1] = 0x0d;
  } else if (community.Is<apipb::OpaqueExtended>()) {
    apipb::OpaqueExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    b[0] = m.is_transitive() ? 0x03 : 0x43;
    KBGP_CHECK(seven(m.value()));
  } else if (community.Is<apipb::ESILabelExtended>()) {
    apipb::ESILabelExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("label", m.label(), 0xffffff));
    b[0] = 0x06;
    b[1] = 0x01;
    b[2] = m.is_single_active() ? 1 : 0;
    b[5] = static_cast<uint8_t>(m.label() >> 16);
    put16(6, m.label() & 0xffff);
  } else if (community.Is<apipb::ESImportRouteTarget>()) {
    apipb::ESImportRouteTarget m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    b[0] = 0x06;
    b[1] = 0x02;
    KBGP_CHECK(mac(2, m.es_import()));
  } else if (community.Is<apipb::MacMobilityExtended>()) {
    apipb::MacMobilityExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    b[0] = 0x06;
    b[1] = 0x00;
    b[2] = m.is_sticky() ? 1 : 0;
    put32(4, m.sequence_num());
  } else if (community.Is<apipb::RouterMacExtended>()) {
    apipb::RouterMacExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    b[0] = 0x06;
    b[1] = 0x03;
    KBGP_CHECK(mac(2, m.mac()));
  } else if (community.Is<apipb::TrafficRateExtended>()) {
    apipb::TrafficRateExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("asn", m.asn(), 0xffff));
    b[0] = 0x80;
    b[1] = 0x06;
    put16(2, m.asn());
    put32(4, FloatBits(m.rate()));
  } else if (community.Is<apipb::TrafficActionExtended>()) {
    apipb::TrafficActionExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    b[0] = 0x80;
    b[1] = 0x07;
    b[7] = static_cast<uint8_t>((m.terminal() ? 0x1 : 0) | (m.sample() ? 0x2 : 0));
  } else if (community.Is<apipb::RedirectTwoOctetAsSpecificExtended>()) {
    apipb::RedirectTwoOctetAsSpecificExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("asn", m.asn(), 0xffff));
    b[0] = 0x80;
    b[1] = 0x08;
    put16(2, m.asn());
    put32(4, m.local_admin());
  } else if (community.Is<apipb::RedirectIPv4AddressSpecificExtended>()) {
    apipb::RedirectIPv4AddressSpecificExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("local_admin", m.local_admin(), 0xffff));
    b[0] = 0x81;
    b[1] = 0x08;
    KBGP_CHECK(v4(2, m.address()));
    put16(6, m.local_admin());
  } else if (community.Is<apipb::RedirectFourOctetAsSpecificExtended>()) {
    apipb::RedirectFourOctetAsSpecificExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("local_admin", m.local_admin(), 0xffff));
    b[0] = 0x82;
    b[1] = 0x08;
    put32(2, m.asn());
    put16(6, m.local_admin());
  } else if (community.Is<apipb::TrafficRemarkExtended>()) {
    apipb::TrafficRemarkExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("dscp", m.dscp(), 0xff));
    b[0] = 0x80;
    b[1] = 0x09;
    b[7] = static_cast<uint8_t>(m.dscp());
  } else if (community.Is<apipb::MUPExtended>()) {
    apipb::MUPExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("segment_id2", m.segment_id2(), 0xffff));
    b[0] = 0x0c;
    b[1] = 0x00;  // gobgp's NewMUPExtended: always the direct segment subtype
    put16(2, m.segment_id2());
    put32(4, m.segment_id4());
  } else if (community.Is<apipb::UnknownExtended>()) {
    apipb::UnknownExtended m;
    KBGP_CHECK(Unpack(community, &m, "extended community"));
    KBGP_CHECK(range("type", m.type(), 0xff));
    b[0] = static_cast<uint8_t>(m.type());
    KBGP_CHECK(seven(m.value()));
  } else {
    // gobgp's unmarshalExComm text.
    return Invalid(absl::StrCat("invalid extended community: ", Shown(TypeName(community))));
  }
#undef KBGP_CHECK
  uint64_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return v;
}

// ---- attributes to the API ----

void AttributesToApi(const wire::PathAttributes& attrs, const Prefix& prefix,
                     const std::optional<NextHop>& next_hop, bool next_hop_last, AnyList* out) {
  std::vector<Listed> list;
  list.reserve(12);
  if (attrs.origin) {
    apipb::OriginAttribute a;
    a.set_origin(static_cast<uint32_t>(*attrs.origin));
    Add(&list, wire::attr::kOrigin, a);
  }
  if (attrs.as_path) {
    apipb::AsPathAttribute a;
    AsPathToApi(*attrs.as_path, a.mutable_segments());
    Add(&list, wire::attr::kAsPath, a);
  }
  if (next_hop) NextHopToApi(prefix, *next_hop, next_hop_last, &list);
  if (attrs.med) {
    apipb::MultiExitDiscAttribute a;
    a.set_med(*attrs.med);
    Add(&list, wire::attr::kMultiExitDisc, a);
  }
  if (attrs.local_pref) {
    apipb::LocalPrefAttribute a;
    a.set_local_pref(*attrs.local_pref);
    Add(&list, wire::attr::kLocalPref, a);
  }
  if (attrs.atomic_aggregate) {
    Add(&list, wire::attr::kAtomicAggregate, apipb::AtomicAggregateAttribute());
  }
  if (attrs.aggregator) {
    apipb::AggregatorAttribute a;
    a.set_asn(attrs.aggregator->asn);
    a.set_address(attrs.aggregator->address.ToString());
    Add(&list, wire::attr::kAggregator, a);
  }
  if (attrs.communities) {
    apipb::CommunitiesAttribute a;
    for (uint32_t c : *attrs.communities) a.add_communities(c);
    Add(&list, wire::attr::kCommunities, a);
  }
  if (attrs.originator_id) {
    apipb::OriginatorIdAttribute a;
    a.set_id(attrs.originator_id->ToString());
    Add(&list, wire::attr::kOriginatorId, a);
  }
  if (attrs.cluster_list) {
    apipb::ClusterListAttribute a;
    for (uint32_t id : *attrs.cluster_list) a.add_ids(IpAddress::V4(id).ToString());
    Add(&list, wire::attr::kClusterList, a);
  }
  if (attrs.extended_communities) {
    apipb::ExtendedCommunitiesAttribute a;
    for (uint64_t c : *attrs.extended_communities) ExtCommunityToApi(c, a.add_communities());
    Add(&list, wire::attr::kExtendedCommunities, a);
  }
  if (attrs.as4_path) {
    apipb::As4PathAttribute a;
    AsPathToApi(*attrs.as4_path, a.mutable_segments());
    Add(&list, wire::attr::kAs4Path, a);
  }
  if (attrs.as4_aggregator) {
    apipb::As4AggregatorAttribute a;
    a.set_asn(attrs.as4_aggregator->asn);
    a.set_address(attrs.as4_aggregator->address.ToString());
    Add(&list, wire::attr::kAs4Aggregator, a);
  }
  if (attrs.large_communities) {
    apipb::LargeCommunitiesAttribute a;
    for (const wire::LargeCommunity& c : *attrs.large_communities) {
      apipb::LargeCommunity* l = a.add_communities();
      l->set_global_admin(c.global_admin);
      l->set_local_data1(c.local1);
      l->set_local_data2(c.local2);
    }
    Add(&list, wire::attr::kLargeCommunity, a);
  }
  for (const wire::RawAttribute& u : attrs.unknown) {
    if (u.type == kAttrAigp) {
      apipb::AigpAttribute a;
      if (AigpToApi(u.value, &a)) {
        Add(&list, u.type, a);
        continue;
      }
    }
    apipb::UnknownAttribute a;
    a.set_flags(u.flags);
    a.set_type(u.type);
    a.set_value(std::string(u.value.begin(), u.value.end()));
    Add(&list, u.type, a);
  }
  std::stable_sort(list.begin(), list.end(),
                   [](const Listed& a, const Listed& b) { return a.key < b.key; });
  out->Reserve(out->size() + static_cast<int>(list.size()));
  for (Listed& l : list) *out->Add() = std::move(l.any);
}

void AttributesToApi(const rib::AttrSet& attrs, const Prefix& prefix, bool next_hop_last,
                     AnyList* out) {
  std::optional<NextHop> nh;
  if (attrs.has_next_hop()) {
    nh = NextHop{attrs.next_hop(), std::nullopt};
    if (const rib::AttrExtras* e = attrs.extras()) nh->link_local = e->link_local_next_hop;
  }
  AttributesToApi(attrs.ToWire(), prefix, nh, next_hop_last, out);
}

// ---- paths from the API ----

namespace {

// Attribute type codes the wire codec decodes itself: the API must send their typed message.
bool IsDecodedType(uint32_t type) {
  switch (type) {
    case wire::attr::kOrigin:
    case wire::attr::kAsPath:
    case wire::attr::kNextHop:
    case wire::attr::kMultiExitDisc:
    case wire::attr::kLocalPref:
    case wire::attr::kAtomicAggregate:
    case wire::attr::kAggregator:
    case wire::attr::kCommunities:
    case wire::attr::kOriginatorId:
    case wire::attr::kClusterList:
    case wire::attr::kMpReachNlri:
    case wire::attr::kMpUnreachNlri:
    case wire::attr::kExtendedCommunities:
    case wire::attr::kAs4Path:
    case wire::attr::kAs4Aggregator:
    case wire::attr::kLargeCommunity:
      return true;
    default:
      return false;
  }
}

// gobgp attribute messages kbgpd cannot originate.
constexpr absl::string_view kUnsupportedAttributes[] = {
    "apipb.MpUnreachNLRIAttribute",
    "apipb.As4PathAttribute",
    "apipb.As4AggregatorAttribute",
    "apipb.PmsiTunnelAttribute",
    "apipb.TunnelEncapAttribute",
    "apipb.IP6ExtendedCommunitiesAttribute",
    "apipb.PrefixSID",
    "apipb.LsAttribute",
};

// What one pass over Path.pattrs collects.
struct ParsedAttrs {
  wire::PathAttributes attrs;
  std::optional<IpAddress> next_hop;
  std::optional<IpAddress> link_local;
  std::bitset<256> seen;
};

absl::Status CheckAsPath(const wire::AsPath& path) {
  for (const wire::AsSegment& seg : path) {
    const auto t = static_cast<uint32_t>(seg.type);
    if (t < 1 || t > 4) return Invalid(absl::StrCat("invalid AS path segment type ", t));
    // RFC 7606 §7.2: a zero-length segment is malformed.
    if (seg.asns.empty()) return Invalid("empty AS path segment");
    // RFC 4271 §4.3: a segment's length is one octet; a sequence can be split, a set not.
    if ((seg.type == wire::AsSegmentType::kSet || seg.type == wire::AsSegmentType::kConfedSet) &&
        seg.asns.size() > 255) {
      return Invalid(absl::StrCat("AS_SET of ", seg.asns.size(), " numbers (max 255)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseAsPath(const google::protobuf::RepeatedPtrField<apipb::AsSegment>& in,
                         wire::AsPath* out) {
  for (const apipb::AsSegment& seg : in) {
    const auto t = static_cast<uint32_t>(seg.type());
    if (t < 1 || t > 4) return Invalid(absl::StrCat("invalid AS path segment type ", t));
    out->push_back(wire::AsSegment{static_cast<wire::AsSegmentType>(t),
                                   {seg.numbers().begin(), seg.numbers().end()}});
  }
  return CheckAsPath(*out);
}

absl::Status ParseOneAttribute(const Any& any, Family family, ParsedAttrs* p) {
  wire::PathAttributes& a = p->attrs;
  absl::Status s;
  auto mark = [&](int c) -> absl::Status {
    if (p->seen.test(static_cast<size_t>(c))) {
      return Invalid(absl::StrCat("duplicated path attribute type: ", c));
    }
    p->seen.set(static_cast<size_t>(c));
    return absl::OkStatus();
  };
#define KBGP_CHECK(expr) \
  if (s = (expr); !s.ok()) return s
  if (any.Is<apipb::OriginAttribute>()) {
    apipb::OriginAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kOrigin));
    // RFC 4271 §4.3: 0 IGP, 1 EGP, 2 INCOMPLETE.
    if (m.origin() > 2) return Invalid(absl::StrCat("invalid origin ", m.origin()));
    a.origin = static_cast<wire::Origin>(m.origin());
  } else if (any.Is<apipb::AsPathAttribute>()) {
    apipb::AsPathAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kAsPath));
    wire::AsPath path;
    KBGP_CHECK(ParseAsPath(m.segments(), &path));
    a.as_path = std::move(path);
  } else if (any.Is<apipb::NextHopAttribute>()) {
    apipb::NextHopAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kNextHop));
    absl::StatusOr<IpAddress> nh = ParseAddress(m.next_hop());
    if (!nh.ok()) return Invalid(absl::StrCat("invalid nexthop address: ", Shown(m.next_hop())));
    // gobgpd's api2Path: the last next hop given (NEXT_HOP or MP_REACH) is the one used.
    p->next_hop = *nh;
    p->link_local.reset();
  } else if (any.Is<apipb::MultiExitDiscAttribute>()) {
    apipb::MultiExitDiscAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kMultiExitDisc));
    a.med = m.med();
  } else if (any.Is<apipb::LocalPrefAttribute>()) {
    apipb::LocalPrefAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kLocalPref));
    a.local_pref = m.local_pref();
  } else if (any.Is<apipb::AtomicAggregateAttribute>()) {
    apipb::AtomicAggregateAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kAtomicAggregate));
    a.atomic_aggregate = true;
  } else if (any.Is<apipb::AggregatorAttribute>()) {
    apipb::AggregatorAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kAggregator));
    absl::StatusOr<IpAddress> addr = ParseV4(m.address());
    if (!addr.ok()) {
      return Invalid(absl::StrCat("invalid aggregator address: ", Shown(m.address())));
    }
    a.aggregator = wire::Aggregator{m.asn(), *addr};
  } else if (any.Is<apipb::CommunitiesAttribute>()) {
    apipb::CommunitiesAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kCommunities));
    a.communities.emplace(m.communities().begin(), m.communities().end());
  } else if (any.Is<apipb::OriginatorIdAttribute>()) {
    apipb::OriginatorIdAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kOriginatorId));
    absl::StatusOr<IpAddress> id = ParseV4(m.id());
    if (!id.ok()) return Invalid(absl::StrCat("invalid originator id: ", Shown(m.id())));
    a.originator_id = *id;
  } else if (any.Is<apipb::ClusterListAttribute>()) {
    apipb::ClusterListAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kClusterList));
    std::vector<uint32_t> ids;
    ids.reserve(static_cast<size_t>(m.ids_size()));
    for (const std::string& text : m.ids()) {
      absl::StatusOr<IpAddress> id = ParseV4(text);
      if (!id.ok()) return Invalid(absl::StrCat("invalid cluster list: ", Shown(text)));
      ids.push_back(id->v4());
    }
    a.cluster_list = std::move(ids);
  } else if (any.Is<apipb::MpReachNLRIAttribute>()) {
    apipb::MpReachNLRIAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kMpReachNlri));
    if (!m.has_family()) return Invalid("empty family");
    absl::StatusOr<Family> f = FamilyFromApi(m.family());
    if (!f.ok()) return f.status();
    if (*f != family) {
      return Invalid(absl::StrCat("MP_REACH_NLRI of family ", FamilyText(m.family()),
                                  " in a path of another family"));
    }
    for (const Any& n : m.nlris()) {
      absl::StatusOr<Prefix> prefix = PrefixFromApi(n, family);
      if (!prefix.ok()) return prefix.status();
    }
    if (m.nlris().empty()) return Invalid("invalid mp reach attribute");
    if (m.next_hops_size() > 2) {
      return Invalid(absl::StrCat("invalid mp reach attribute: ", m.next_hops_size(),
                                  " next hops (a global and a link-local one at most)"));
    }
    // gobgpd: no next hop given means the unspecified address of the family.
    IpAddress nh = family == Family::kIPv4 ? IpAddress() : *IpAddress::Parse("::");
    if (m.next_hops_size() > 0) {
      absl::StatusOr<IpAddress> parsed = ParseAddress(m.next_hops(0));
      if (!parsed.ok()) return Invalid(absl::StrCat("invalid nexthop: ", Shown(m.next_hops(0))));
      nh = *parsed;
    }
    std::optional<IpAddress> ll;
    if (m.next_hops_size() > 1 && family == Family::kIPv6) {
      absl::StatusOr<IpAddress> parsed = ParseAddress(m.next_hops(1));
      if (!parsed.ok()) return Invalid(absl::StrCat("invalid nexthop: ", Shown(m.next_hops(1))));
      // RFC 2545 §3: the second next hop is the link-local one.
      if (!parsed->IsIPv6LinkLocal()) {
        return Invalid(absl::StrCat("invalid nexthop: ", parsed->ToString(),
                                    " is not an IPv6 link-local address (fe80::/10)"));
      }
      ll = *parsed;
    }
    p->next_hop = nh;
    p->link_local = ll;
  } else if (any.Is<apipb::ExtendedCommunitiesAttribute>()) {
    apipb::ExtendedCommunitiesAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kExtendedCommunities));
    std::vector<uint64_t> list;
    list.reserve(static_cast<size_t>(m.communities_size()));
    for (const Any& c : m.communities()) {
      absl::StatusOr<uint64_t> v = ExtCommunityFromApi(c);
      if (!v.ok()) return v.status();
      list.push_back(*v);
    }
    a.extended_communities = std::move(list);
  } else if (any.Is<apipb::LargeCommunitiesAttribute>()) {
    apipb::LargeCommunitiesAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(wire::attr::kLargeCommunity));
    std::vector<wire::LargeCommunity> list;
    list.reserve(static_cast<size_t>(m.communities_size()));
    for (const apipb::LargeCommunity& c : m.communities()) {
      list.push_back(wire::LargeCommunity{c.global_admin(), c.local_data1(), c.local_data2()});
    }
    a.large_communities = std::move(list);
  } else if (any.Is<apipb::AigpAttribute>()) {
    apipb::AigpAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    KBGP_CHECK(mark(kAttrAigp));
    Bytes value;
    Writer w(&value);
    for (const Any& tlv : m.tlvs()) {
      if (tlv.Is<apipb::AigpTLVIGPMetric>()) {
        apipb::AigpTLVIGPMetric t;
        KBGP_CHECK(Unpack(tlv, &t, "aigp attribute tlv"));
        w.PutU8(1);
        w.PutU16(11);
        w.PutU64(t.metric());
      } else if (tlv.Is<apipb::AigpTLVUnknown>()) {
        apipb::AigpTLVUnknown t;
        KBGP_CHECK(Unpack(tlv, &t, "aigp attribute tlv"));
        if (t.type() > 0xff || t.value().size() > 0xffff - 3) {
          return Invalid("invalid aigp attribute tlv: type or length out of range");
        }
        w.PutU8(static_cast<uint8_t>(t.type()));
        w.PutU16(static_cast<uint16_t>(t.value().size() + 3));
        w.PutBytes(ByteSpan(reinterpret_cast<const uint8_t*>(t.value().data()), t.value().size()));
      } else {
        return Invalid(absl::StrCat("invalid aigp attribute tlv: ", Shown(TypeName(tlv))));
      }
    }
    // RFC 7311 §3: optional, non-transitive.
    a.unknown.push_back(wire::RawAttribute{wire::attr::kFlagOptional, kAttrAigp, std::move(value)});
  } else if (any.Is<apipb::UnknownAttribute>()) {
    apipb::UnknownAttribute m;
    KBGP_CHECK(Unpack(any, &m, "path attribute"));
    if (m.type() > 0xff || m.flags() > 0xff) {
      return Invalid(absl::StrCat("invalid unknown attribute: type ", m.type(), " flags ",
                                  m.flags(), " (one octet each)"));
    }
    KBGP_CHECK(mark(static_cast<int>(m.type())));
    if (IsDecodedType(m.type()) || m.type() == kAttrAigp || m.type() == 0) {
      return Invalid(absl::StrCat("unknown attribute of type ", m.type(),
                                  ": use the attribute's own message"));
    }
    // RFC 4271 §5: an attribute a speaker may not recognize must be optional; a well-known
    // one it does not know makes its peers reset the session (§6.3).
    if ((m.flags() & wire::attr::kFlagOptional) == 0) {
      return Invalid(absl::StrCat("unknown attribute of type ", m.type(),
                                  " must have the optional flag (0x80)"));
    }
    if (m.value().size() > 0xffff) {
      return Invalid(absl::StrCat("unknown attribute of type ", m.type(), ": ", m.value().size(),
                                  " octets (max 65535)"));
    }
    a.unknown.push_back(wire::RawAttribute{
        static_cast<uint8_t>(m.flags() & ~wire::attr::kFlagExtendedLength),
        static_cast<uint8_t>(m.type()), Bytes(m.value().begin(), m.value().end())});
  } else {
    absl::string_view name = TypeName(any);
    for (absl::string_view u : kUnsupportedAttributes) {
      if (name == u)
        return absl::UnimplementedError(absl::StrCat("unsupported path attribute: ", name));
    }
    return Invalid(absl::StrCat("unknown path attribute: ", Shown(name)));
  }
#undef KBGP_CHECK
  return absl::OkStatus();
}

// Path.pattrs_binary: each entry one attribute in wire form (gobgp's bgp.GetPathAttribute).
absl::Status ParseBinaryAttributes(const google::protobuf::RepeatedPtrField<std::string>& in,
                                   Family family, bool has_nlri, ParsedAttrs* p) {
  Bytes all;
  for (const std::string& e : in) {
    // flags, type, and a one- or two-octet length covering the rest of the entry exactly.
    if (e.size() < 3) return Invalid("invalid binary path attribute: too short");
    const auto flags = static_cast<uint8_t>(e[0]);
    const auto type = static_cast<uint8_t>(e[1]);
    const bool ext = (flags & wire::attr::kFlagExtendedLength) != 0;
    size_t header = ext ? 4 : 3;
    if (e.size() < header) return Invalid("invalid binary path attribute: too short");
    size_t len = ext ? (static_cast<uint8_t>(e[2]) << 8 | static_cast<uint8_t>(e[3]))
                     : static_cast<uint8_t>(e[2]);
    if (e.size() != header + len) {
      return Invalid(absl::StrCat("invalid binary path attribute of type ", type, ": length ", len,
                                  " does not match ", e.size() - header, " octets"));
    }
    if (p->seen.test(type)) return Invalid(absl::StrCat("duplicated path attribute type: ", type));
    p->seen.set(type);
    all.insert(all.end(), e.begin(), e.end());
  }
  wire::CodecOptions opts;
  opts.four_octet_as = true;
  opts.extended_message = true;
  wire::ErrorReport report;
  absl::Status s = wire::DecodePathAttributes(Reader(all), opts, has_nlri, &p->attrs, &report);
  if (!s.ok()) return Invalid(absl::StrCat("invalid binary path attributes: ", s.message()));
  if (report.action != wire::ErrorAction::kNone) {
    return Invalid(absl::StrCat("invalid binary path attributes: ",
                                report.errors.empty() ? "malformed" : report.errors[0].reason));
  }
  wire::PathAttributes& a = p->attrs;
  if (a.as_path) {
    if (absl::Status st = CheckAsPath(*a.as_path); !st.ok()) return st;
  }
  if (a.mp_unreach) return absl::UnimplementedError("unsupported path attribute: MP_UNREACH_NLRI");
  if (a.next_hop) p->next_hop = *a.next_hop;
  if (a.mp_reach) {
    if (a.mp_reach->family != AfiSafiOf(family)) {
      return Invalid("MP_REACH_NLRI of another family than the path's");
    }
    if (a.mp_reach->nlri.empty()) return Invalid("invalid mp reach attribute");
    p->next_hop = a.mp_reach->next_hop;
    p->link_local = a.mp_reach->link_local_next_hop;
  }
  a.next_hop.reset();
  a.mp_reach.reset();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ApiRoute> RouteFromApi(const apipb::Path& path, bool withdraw) {
  if (!path.has_family()) return Invalid("family cannot be nil");  // gobgp's GetNativeNlri
  absl::StatusOr<Family> family = FamilyFromApi(path.family());
  if (!family.ok()) return family.status();
  ApiRoute route;
  route.family = AfiSafiOf(*family);
  route.path_id = path.identifier();
  route.is_withdraw = withdraw || path.is_withdraw();

  if (!path.nlri_binary().empty()) {
    std::vector<wire::Nlri> nlri;
    const std::string& bin = path.nlri_binary();
    absl::Status s = wire::DecodeNlri(
        Reader(reinterpret_cast<const uint8_t*>(bin.data()), bin.size()), *family, false, &nlri);
    if (!s.ok()) return Invalid(absl::StrCat("invalid binary nlri: ", s.message()));
    if (nlri.size() != 1) {
      return Invalid(absl::StrCat("invalid binary nlri: ", nlri.size(), " prefixes, not one"));
    }
    route.prefix = nlri[0].prefix;
  } else {
    if (!path.has_nlri()) return Invalid("nlri not found");
    absl::StatusOr<Prefix> prefix = PrefixFromApi(path.nlri(), *family);
    if (!prefix.ok()) return prefix.status();
    route.prefix = *prefix;
  }

  ParsedAttrs p;
  if (!path.pattrs_binary().empty()) {
    absl::Status s = ParseBinaryAttributes(path.pattrs_binary(), *family, !route.is_withdraw, &p);
    if (!s.ok()) return s;
  } else {
    for (const Any& any : path.pattrs()) {
      absl::Status s = ParseOneAttribute(any, *family, &p);
      if (!s.ok()) return s;
    }
  }
  if (route.is_withdraw) return route;  // gobgpd checks the attributes, then ignores them

  // gobgpd's api2Path and fixupApiPath, in that order.
  if (!p.next_hop) return Invalid("nexthop not found");
  if (!p.attrs.origin) return Invalid("no origin path attr");
  const IpAddress& nh = *p.next_hop;
  if (*family == Family::kIPv6 && !nh.is_v6()) {
    return Invalid(absl::StrCat("invalid nexthop address: ", nh.ToString(),
                                ": an IPv6 route needs an IPv6 next hop"));
  }
  if (nh.IsMulticast()) {
    return Invalid(absl::StrCat("invalid nexthop address: ", nh.ToString(), " is multicast"));
  }
  wire::PathAttributes& a = p.attrs;
  if (*family == Family::kIPv4 && nh.is_v4()) {
    a.next_hop = nh;
  } else {
    // IPv6, or IPv4 over an IPv6 next hop (RFC 8950): the next hop travels in MP_REACH.
    wire::MpReach mp;
    mp.family = route.family;
    mp.next_hop = nh;
    mp.link_local_next_hop = p.link_local;
    mp.nlri.push_back(wire::Nlri{route.prefix, route.path_id});
    a.mp_reach = std::move(mp);
  }
  // The attributes must fit one BGP message (RFC 8654: 65535 octets, less the UPDATE's
  // header, two length fields and this NLRI); the encoder also refuses fields over their
  // own limits (an attribute over 65535 octets, an AS_SET over 255 numbers).
  Bytes encoded;
  wire::CodecOptions opts;
  opts.four_octet_as = true;
  opts.extended_message = true;
  if (absl::Status s = wire::EncodePathAttributes(a, opts, &encoded); !s.ok()) {
    return Invalid(absl::StrCat("path attributes cannot be encoded: ", s.message()));
  }
  const size_t room = wire::kMaxExtendedMessageLength - wire::kHeaderLength - 4 -
                      wire::NlriSize(wire::Nlri{route.prefix, 0}, false);
  if (encoded.size() > room) {
    return Invalid(absl::StrCat("path attributes too long: ", encoded.size(),
                                " octets do not fit a BGP message (max ", room, ")"));
  }
  route.attrs = std::move(a);
  return route;
}

rib::AttrRef InternRoute(rib::AttrPool& pool, const ApiRoute& route) {
  return pool.Intern(route.attrs, route.family);
}

// ---- paths to the API ----

PathInfo PathInfoOf(const rib::Path& path, const rib::PeerInfo& source, bool pre_policy) {
  PathInfo info;
  info.attrs = pre_policy ? path.attrs->pre_policy() : path.attrs;
  info.source = &source;
  info.identifier = path.path_id;
  info.stale = (path.flags & rib::Path::kStale) != 0;
  info.filtered = (path.flags & rib::Path::kRejected) != 0;
  return info;
}

void PathToApi(const Prefix& prefix, const PathInfo& info, apipb::Path* out) {
  const bool local = info.source == nullptr || info.source->local;
  PrefixToApi(prefix, out->mutable_nlri());
  if (info.attrs != nullptr) {
    AttributesToApi(*info.attrs, prefix, /*next_hop_last=*/local, out->mutable_pattrs());
  }
  SetTimestamp(info.arrival, out->mutable_age());
  out->set_best(info.best);
  out->set_is_withdraw(info.is_withdraw);
  out->mutable_validation();  // RPKI off: gobgpd's empty Validation, not a state
  FamilyToApi(prefix.family(), out->mutable_family());
  if (local) {
    // gobgpd's local source has no AS, ID or address; a nil net.IP prints "<nil>".
    out->set_source_id("<nil>");
    out->set_neighbor_ip("<nil>");
  } else {
    out->set_source_asn(info.source->peer_as);
    out->set_source_id(IpAddress::V4(info.source->router_id).ToString());
    out->set_neighbor_ip(info.source->address.ToString());
  }
  out->set_filtered(info.filtered);
  out->set_stale(info.stale);
  out->set_is_from_external(info.is_from_external);
  out->set_identifier(info.identifier);
  out->set_local_identifier(info.local_identifier);
}

// ---- paths as bytes ----

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

namespace {

constexpr uint32_t kVarintType = 0, kLengthType = 2;

void AppendTag(uint32_t field, uint32_t wire_type, std::string* out) {
  AppendVarint((uint64_t{field} << 3) | wire_type, out);
}
// proto3: a scalar at its default is not serialized.
void AppendVarintField(uint32_t field, uint64_t v, std::string* out) {
  if (v == 0) return;
  AppendTag(field, kVarintType, out);
  AppendVarint(v, out);
}
void AppendStringField(uint32_t field, std::string_view s, std::string* out) {
  if (s.empty()) return;
  AppendLengthDelimited(field, s, out);
}

constexpr std::string_view kIpAddressPrefixUrl = "type.googleapis.com/apipb.IPAddressPrefix";

}  // namespace

void AppendLengthDelimited(uint32_t field, std::string_view bytes, std::string* out) {
  AppendTag(field, kLengthType, out);
  AppendVarint(bytes.size(), out);
  out->append(bytes);
}

std::string EncodePathAttributes(const rib::AttrSet& attrs, const Prefix& prefix,
                                 bool next_hop_last) {
  apipb::Path p;
  AttributesToApi(attrs, prefix, next_hop_last, p.mutable_pattrs());
  return p.SerializeAsString();  // only field 2 is set
}

void AppendEncodedPath(const Prefix& prefix, const PathInfo& info, std::string_view pattrs,
                       std::string* out) {
  const bool local = info.source == nullptr || info.source->local;
  std::string scratch;
  // 1: nlri, an Any of IPAddressPrefix{prefix_len = 1, prefix = 2}.
  std::string value;
  AppendVarintField(1, prefix.length(), &value);
  AppendStringField(2, prefix.addr().ToString(), &value);
  AppendStringField(1, kIpAddressPrefixUrl, &scratch);
  AppendStringField(2, value, &scratch);
  AppendLengthDelimited(1, scratch, out);
  // 2: pattrs, encoded once per set by the caller.
  if (info.attrs != nullptr) out->append(pattrs);
  // 3: age, a Timestamp{seconds = 1}; set (mutable_age) even when zero.
  scratch.clear();
  AppendVarintField(1, static_cast<uint64_t>(absl::ToUnixSeconds(info.arrival)), &scratch);
  AppendLengthDelimited(3, scratch, out);
  AppendVarintField(4, info.best, out);
  AppendVarintField(5, info.is_withdraw, out);
  AppendLengthDelimited(7, {}, out);  // validation: an empty message, set
  // 9: family {afi = 1, safi = 2}.
  scratch.clear();
  AppendVarintField(1, prefix.family() == Family::kIPv4 ? apipb::Family::AFI_IP
                                                        : apipb::Family::AFI_IP6,
                    &scratch);
  AppendVarintField(2, apipb::Family::SAFI_UNICAST, &scratch);
  AppendLengthDelimited(9, scratch, out);
  if (local) {
    AppendStringField(11, "<nil>", out);
  } else {
    AppendVarintField(10, info.source->peer_as, out);
    AppendStringField(11, IpAddress::V4(info.source->router_id).ToString(), out);
  }
  AppendVarintField(12, info.filtered, out);
  AppendVarintField(13, info.stale, out);
  AppendVarintField(14, info.is_from_external, out);
  AppendStringField(15, local ? std::string("<nil>") : info.source->address.ToString(), out);
  AppendVarintField(18, info.identifier, out);
  AppendVarintField(19, info.local_identifier, out);
}

// ---- capabilities ----

void CapabilityToApi(const wire::Capability& capability, Any* out) {
  std::visit(
      [out](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, wire::MultiprotocolCap>) {
          apipb::MultiProtocolCapability m;
          AfiSafiToApi(c.family, m.mutable_family());
          out->PackFrom(m);
        } else if constexpr (std::is_same_v<T, wire::RouteRefreshCap>) {
          out->PackFrom(apipb::RouteRefreshCapability());
        } else if constexpr (std::is_same_v<T, wire::EnhancedRouteRefreshCap>) {
          out->PackFrom(apipb::EnhancedRouteRefreshCapability());
        } else if constexpr (std::is_same_v<T, wire::ExtendedMessageCap>) {
          apipb::UnknownCapability m;
          m.set_code(wire::cap::kExtendedMessage);
          out->PackFrom(m);
        } else if constexpr (std::is_same_v<T, wire::FourOctetAsCap>) {
          apipb::FourOctetASNCapability m;
          m.set_asn(c.asn);
          out->PackFrom(m);
        } else if constexpr (std::is_same_v<T, wire::ExtendedNextHopCap>) {
          apipb::ExtendedNexthopCapability m;
          for (const auto& e : c.entries) {
            apipb::ExtendedNexthopCapabilityTuple* t = m.add_tuples();
            AfiSafiToApi(e.nlri_family, t->mutable_nlri_family());
            AfiSafiToApi(wire::AfiSafi{e.next_hop_afi, wire::kSafiUnicast},
                         t->mutable_nexthop_family());
          }
          out->PackFrom(m);
        } else if constexpr (std::is_same_v<T, wire::GracefulRestartCap>) {
          apipb::GracefulRestartCapability m;
          m.set_flags(c.flags);
          m.set_time(c.restart_time);
          for (const auto& e : c.entries) {
            apipb::GracefulRestartCapabilityTuple* t = m.add_tuples();
            AfiSafiToApi(e.family, t->mutable_family());
            t->set_flags(e.flags);
          }
          out->PackFrom(m);
        } else if constexpr (std::is_same_v<T, wire::AddPathCap>) {
          apipb::AddPathCapability m;
          for (const auto& e : c.entries) {
            apipb::AddPathCapabilityTuple* t = m.add_tuples();
            AfiSafiToApi(e.family, t->mutable_family());
            t->set_mode(static_cast<apipb::AddPathCapabilityTuple::Mode>(e.send_receive & 3));
          }
          out->PackFrom(m);
        } else if constexpr (std::is_same_v<T, wire::LongLivedGracefulRestartCap>) {
          apipb::LongLivedGracefulRestartCapability m;
          for (const auto& e : c.entries) {
            apipb::LongLivedGracefulRestartCapabilityTuple* t = m.add_tuples();
            AfiSafiToApi(e.family, t->mutable_family());
            t->set_flags(e.flags);
            t->set_time(e.stale_time);
          }
          out->PackFrom(m);
        } else if constexpr (std::is_same_v<T, wire::FqdnCap>) {
          apipb::FqdnCapability m;
          m.set_host_name(c.hostname);
          m.set_domain_name(c.domain);
          out->PackFrom(m);
        } else {
          static_assert(std::is_same_v<T, wire::UnknownCap>);
          if (c.code == 4) {  // RFC 3107 carrying label information, decoded by gobgp
            out->PackFrom(apipb::CarryingLabelInfoCapability());
          } else if (c.code == 128) {  // the pre-standard (Cisco) route refresh
            out->PackFrom(apipb::RouteRefreshCiscoCapability());
          } else {
            apipb::UnknownCapability m;
            m.set_code(c.code);
            m.set_value(std::string(c.value.begin(), c.value.end()));
            out->PackFrom(m);
          }
        }
      },
      capability);
}

// ---- peers ----

namespace {

absl::Status OutOfRange(absl::string_view field, uint64_t value, uint64_t max) {
  return Invalid(absl::StrCat(field, " ", value, " is out of range (max ", max, ")"));
}

// gobgpd's check of route-reflector-cluster-id (SetDefaultNeighborConfigValues).
bool ValidClusterId(const std::string& id) {
  if (id.empty()) return true;
  if (ParseV4(id).ok()) return true;
  uint32_t n;
  return std::all_of(id.begin(), id.end(), absl::ascii_isdigit) && absl::SimpleAtoi(id, &n);
}

}  // namespace

absl::StatusOr<server::NeighborSpec> PeerFromApi(const apipb::Peer& peer,
                                                 const server::GlobalSpec& global) {
  const apipb::PeerConf& conf = peer.conf();
  if (conf.neighbor_address().empty()) {
    if (!conf.neighbor_interface().empty()) {
      return absl::UnimplementedError(absl::StrCat("neighbor-interface ",
                                                   Shown(conf.neighbor_interface()),
                                                   ": unnumbered BGP is not supported yet"));
    }
    return Invalid("NeighborAddress is not configured");  // gobgpd's ExtractNeighborAddress
  }
  absl::StatusOr<IpAddress> address = ParseAddress(conf.neighbor_address());
  if (!address.ok()) {
    return Invalid(absl::StrCat("invalid neighbor address: ", Shown(conf.neighbor_address())));
  }
  if (conf.peer_asn() == 0) {
    return Invalid(absl::StrCat("neighbor ", address->ToString(),
                                ": peer AS 0 (any AS) is not supported; give the peer's AS"));
  }
  if (!conf.peer_group().empty()) {
    return Invalid(absl::StrCat("no such peer-group: ", Shown(conf.peer_group())));
  }
  if (!conf.vrf().empty()) return Invalid(absl::StrCat("VRF not found: ", Shown(conf.vrf())));

  config::Neighbor n;
  config::NeighborConfig& c = n.config;
  c.neighbor_address = *address;
  c.peer_as = conf.peer_asn();
  c.local_as = conf.local_asn();
  c.auth_password = conf.auth_password();
  c.route_flap_damping = conf.route_flap_damping();
  c.description = conf.description();
  c.admin_down = conf.admin_down();
  if (conf.allow_own_asn() > 0xff) return OutOfRange("allow_own_asn", conf.allow_own_asn(), 0xff);
  n.as_path_options.allow_own_as = static_cast<uint8_t>(conf.allow_own_asn());
  n.as_path_options.replace_peer_as = conf.replace_peer_asn();
  switch (conf.remove_private()) {
    case apipb::REMOVE_NONE:
      c.remove_private_as = config::RemovePrivateAs::kNone;
      break;
    case apipb::REMOVE_ALL:
      c.remove_private_as = config::RemovePrivateAs::kAll;
      break;
    case apipb::REPLACE:
      c.remove_private_as = config::RemovePrivateAs::kReplace;
      break;
    default:
      return Invalid(
          absl::StrCat("invalid remove_private ", static_cast<int>(conf.remove_private())));
  }
  const uint32_t local_as = c.local_as != 0 ? c.local_as : global.as;
  if (c.peer_as == local_as) {
    if (c.remove_private_as != config::RemovePrivateAs::kNone) {
      return Invalid("can't set remove-private-as for iBGP peer");
    }
    if (n.as_path_options.replace_peer_as)
      return Invalid("can't set replace-peer-as for iBGP peer");
  }

  if (peer.has_timers()) {
    const apipb::TimersConfig& t = peer.timers().config();
    if (t.connect_retry() > std::numeric_limits<uint32_t>::max()) {
      return OutOfRange("connect_retry", t.connect_retry(), std::numeric_limits<uint32_t>::max());
    }
    if (t.hold_time() > 0xffff) return OutOfRange("hold_time", t.hold_time(), 0xffff);
    // RFC 4271 §4.2: "the Hold Time MUST be either zero or at least three seconds" (0 here
    // means "the default", as in gobgpd).
    if (t.hold_time() == 1 || t.hold_time() == 2) {
      return Invalid(absl::StrCat("hold_time ", t.hold_time(), ": must be at least 3 seconds"));
    }
    if (t.keepalive_interval() > 0xffff) {
      return OutOfRange("keepalive_interval", t.keepalive_interval(), 0xffff);
    }
    n.timers.connect_retry = static_cast<double>(t.connect_retry());
    n.timers.hold_time = static_cast<double>(t.hold_time());
    n.timers.keepalive_interval = static_cast<double>(t.keepalive_interval());
    n.timers.minimum_advertisement_interval =
        static_cast<double>(std::min<uint64_t>(t.minimum_advertisement_interval(), 0xffffffff));
  }

  n.route_reflector.route_reflector_client = peer.route_reflector().route_reflector_client();
  n.route_reflector.route_reflector_cluster_id =
      peer.route_reflector().route_reflector_cluster_id();
  if (n.route_reflector.route_reflector_client &&
      !ValidClusterId(n.route_reflector.route_reflector_cluster_id)) {
    return Invalid(
        "route-reflector-cluster-id should be specified as IPv4 address or 32-bit unsigned "
        "integer");
  }
  n.route_server.route_server_client = peer.route_server().route_server_client();
  n.route_server.secondary_route = peer.route_server().secondary_route();
  if (n.route_server.route_server_client && n.route_reflector.route_reflector_client) {
    return Invalid("can't be both route-server-client and route-reflector-client");
  }

  const apipb::GracefulRestart& gr = peer.graceful_restart();
  // RFC 4724 §3: the Restart Time field is 12 bits.
  if (gr.restart_time() > 4095)
    return OutOfRange("graceful_restart.restart_time", gr.restart_time(), 4095);
  if (gr.deferral_time() > 0xffff) {
    return OutOfRange("graceful_restart.deferral_time", gr.deferral_time(), 0xffff);
  }
  n.graceful_restart.enabled = gr.enabled();
  n.graceful_restart.restart_time = static_cast<uint16_t>(gr.restart_time());
  n.graceful_restart.helper_only = gr.helper_only();
  n.graceful_restart.deferral_time = static_cast<uint16_t>(gr.deferral_time());
  n.graceful_restart.notification_enabled = gr.notification_enabled();
  n.graceful_restart.long_lived_enabled = gr.longlived_enabled();

  const apipb::Transport& tr = peer.transport();
  if (!tr.local_address().empty()) {
    absl::StatusOr<IpAddress> la = ParseAddress(tr.local_address());
    if (!la.ok())
      return Invalid(absl::StrCat("invalid local address: ", Shown(tr.local_address())));
    if (la->family() != address->family()) {
      return Invalid(absl::StrCat("local address ", la->ToString(),
                                  " is not of the neighbor's address family"));
    }
    n.transport.local_address = *la;
  }
  if (tr.remote_port() > 0xffff) return OutOfRange("remote_port", tr.remote_port(), 0xffff);
  if (tr.local_port() > 0xffff) return OutOfRange("local_port", tr.local_port(), 0xffff);
  n.transport.passive_mode = tr.passive_mode();
  n.transport.remote_port = static_cast<uint16_t>(tr.remote_port());
  n.transport.local_port = static_cast<uint16_t>(tr.local_port());
  n.transport.bind_interface = tr.bind_interface();

  if (peer.ebgp_multihop().multihop_ttl() > 0xff) {
    return OutOfRange("ebgp_multihop.multihop_ttl", peer.ebgp_multihop().multihop_ttl(), 0xff);
  }
  n.ebgp_multihop.enabled = peer.ebgp_multihop().enabled();
  n.ebgp_multihop.multihop_ttl = static_cast<uint8_t>(peer.ebgp_multihop().multihop_ttl());
  if (peer.ttl_security().ttl_min() > 0xff) {
    return OutOfRange("ttl_security.ttl_min", peer.ttl_security().ttl_min(), 0xff);
  }
  n.ttl_security.enabled = peer.ttl_security().enabled();
  n.ttl_security.ttl_min = static_cast<uint8_t>(peer.ttl_security().ttl_min());
  if (n.ebgp_multihop.enabled && n.ttl_security.enabled) {
    return Invalid("ebgp-multihop and ttl-security are mututally exclusive");  // gobgpd's text
  }

  for (int i = 0; i < peer.afi_safis_size(); ++i) {
    const apipb::AfiSafi& in = peer.afi_safis(i);
    if (!in.config().has_family()) {
      return Invalid(absl::StrCat("afi_safis[", i, "]: config.family is required"));
    }
    const apipb::Family& f = in.config().family();
    const char* name =
        KnownFamilyName(static_cast<uint32_t>(f.afi()), static_cast<uint32_t>(f.safi()));
    if (name == nullptr) {
      return Invalid(absl::StrCat("afi_safis[", i, "]: unknown family ", FamilyText(f)));
    }
    for (const config::AfiSafi& prev : n.afi_safis) {
      if (prev.afi_safi_name == name) {
        return Invalid(absl::StrCat("afi_safis[", i, "]: family ", name, " is listed twice"));
      }
    }
    if (in.add_paths().config().send_max() > 0xff) {
      return OutOfRange(absl::StrCat("afi_safis[", i, "].add_paths.send_max"),
                        in.add_paths().config().send_max(), 0xff);
    }
    config::AfiSafi af;
    af.afi_safi_name = name;
    af.enabled = in.config().enabled();  // SetNeighborDefaults enables it, as gobgpd does
    af.mp_graceful_restart = in.mp_graceful_restart().config().enabled();
    af.add_paths.receive = in.add_paths().config().receive();
    af.add_paths.send_max = static_cast<uint8_t>(in.add_paths().config().send_max());
    n.afi_safis.push_back(std::move(af));
  }

  config::Config cfg;
  cfg.global.as = global.as;
  cfg.global.router_id = IpAddress::V4(global.router_id);
  if (absl::Status s = config::SetNeighborDefaults(cfg.global, &n); !s.ok()) return s;
  return config::ToNeighborSpec(cfg, n);
}

absl::Time ClockPair::WallTimeOf(Clock::TimePoint t) const {
  return wall - absl::FromChrono(steady - t);
}

apipb::PeerState::SessionState SessionStateToApi(peer::State state) {
  switch (state) {
    case peer::State::kIdle:
      return apipb::PeerState::IDLE;
    case peer::State::kConnect:
      return apipb::PeerState::CONNECT;
    case peer::State::kActive:
      return apipb::PeerState::ACTIVE;
    case peer::State::kOpenSent:
      return apipb::PeerState::OPENSENT;
    case peer::State::kOpenConfirm:
      return apipb::PeerState::OPENCONFIRM;
    case peer::State::kEstablished:
      return apipb::PeerState::ESTABLISHED;
  }
  return apipb::PeerState::UNKNOWN;
}

namespace {

void PolicyDirectionsToApi(apipb::ApplyPolicy* out) {
  out->mutable_export_policy()->set_direction(apipb::EXPORT);
  out->mutable_import_policy()->set_direction(apipb::IMPORT);
}

void CountersToApi(const peer::MessageCounters& c, bool received, apipb::Message* out) {
  out->set_notification(c.notification);
  out->set_update(c.update);
  out->set_open(c.open);
  out->set_keepalive(c.keepalive);
  out->set_refresh(c.refresh);
  out->set_discarded(c.discarded);
  out->set_total(c.total);
  if (received) {  // gobgpd counts withdrawals on the receiving side only
    out->set_withdraw_update(c.withdraw_update);
    out->set_withdraw_prefix(c.withdraw_prefix);
  }
}

}  // namespace

void PeerToApi(const server::NeighborStatus& status, const ClockPair& now, bool with_advertised,
               apipb::Peer* out) {
  const server::NeighborSpec& spec = status.spec;
  const peer::SessionOptions& so = spec.session;
  const peer::Session* session = status.session;
  const bool ebgp = so.peer_as != so.local_as;
  const bool established = session != nullptr && session->established();
  const apipb::PeerType type = ebgp ? apipb::EXTERNAL : apipb::INTERNAL;
  // gobgpd clears a peer's state (counters, timers, router id) when it is shut down.
  const bool cleared = spec.admin_down;

  PolicyDirectionsToApi(out->mutable_apply_policy());

  apipb::PeerConf* conf = out->mutable_conf();
  conf->set_auth_password(so.password);
  conf->set_description(spec.description);
  conf->set_local_asn(so.local_as);
  conf->set_neighbor_address(so.peer_address.ToString());
  conf->set_peer_asn(so.peer_as);
  conf->set_type(type);
  switch (spec.rib.remove_private_as) {
    case rib::RemovePrivateAs::kAll:
      conf->set_remove_private(apipb::REMOVE_ALL);
      break;
    case rib::RemovePrivateAs::kReplace:
      conf->set_remove_private(apipb::REPLACE);
      break;
    case rib::RemovePrivateAs::kNone:
      break;
  }
  conf->set_allow_own_asn(static_cast<uint32_t>(std::max(spec.rib.allow_own_as, 0)));
  // What was configured: gobgpd's `neighbor disable` changes the state, not the config.
  conf->set_admin_down(spec.config_admin_down);

  apipb::EbgpMultihop* mh = out->mutable_ebgp_multihop();
  if (ebgp && so.multihop_ttl != 0 && so.ttl_security_hops == 0) {
    mh->set_enabled(true);
    mh->set_multihop_ttl(so.multihop_ttl);
  }

  apipb::RouteReflector* rr = out->mutable_route_reflector();
  rr->set_route_reflector_client(spec.rib.route_reflector_client);
  if (spec.rib.route_reflector_client) {
    // gobgpd lists the cluster id in use: the configured one, or our router id.
    rr->set_route_reflector_cluster_id(
        IpAddress::V4(spec.rib.cluster_id != 0 ? spec.rib.cluster_id : so.router_id).ToString());
  }

  apipb::PeerState* st = out->mutable_state();
  apipb::Messages* msgs = st->mutable_messages();
  apipb::Message* rcvd = msgs->mutable_received();
  apipb::Message* sent = msgs->mutable_sent();
  if (session != nullptr && !cleared) {
    CountersToApi(session->received(), true, rcvd);
    CountersToApi(session->sent(), false, sent);
  }
  st->set_neighbor_address(so.peer_address.ToString());
  st->set_peer_asn(so.peer_as);
  // gobgpd lists an admin-down peer's state type as -1 (its "unknown"), which gobgp -j prints.
  st->set_type(cleared ? static_cast<apipb::PeerType>(-1) : type);
  st->mutable_queues();
  // gobgpd's FSM has no Connect state and waits in Active between connection attempts; kbgp
  // waits in Idle (RFC 4271 §8.2.2) while an automatic restart is due. Both are listed as
  // gobgpd lists them, ACTIVE, so tools that wait for "Active" see it; admin-down stays IDLE.
  apipb::PeerState::SessionState state =
      session != nullptr ? SessionStateToApi(session->state()) : apipb::PeerState::IDLE;
  if (!spec.admin_down &&
      (state == apipb::PeerState::CONNECT || state == apipb::PeerState::IDLE)) {
    state = apipb::PeerState::ACTIVE;
  }
  st->set_session_state(state);
  st->set_admin_state(spec.admin_down ? apipb::PeerState::DOWN : apipb::PeerState::UP);
  if (session != nullptr) {
    if (!cleared) st->set_flops(static_cast<uint32_t>(session->flops()));
    for (const wire::Capability& cap : session->negotiated().peer_capabilities) {
      CapabilityToApi(cap, st->add_remote_cap());
    }
    for (const wire::Capability& cap : session->BuildOpen().capabilities) {
      CapabilityToApi(cap, st->add_local_cap());
    }
    if (established) st->set_router_id(IpAddress::V4(session->negotiated().peer_bgp_id).ToString());
  }

  apipb::Timers* timers = out->mutable_timers();
  apipb::TimersConfig* tc = timers->mutable_config();
  tc->set_connect_retry(so.fsm.connect_retry_time);
  tc->set_hold_time(so.fsm.hold_time);
  tc->set_keepalive_interval(so.fsm.keepalive_time != 0 ? so.fsm.keepalive_time
                                                        : so.fsm.hold_time / 3);
  tc->set_idle_hold_time_after_reset(so.fsm.idle_hold_time);
  apipb::TimersState* ts = timers->mutable_state();
  if (session != nullptr && !cleared) {
    ts->set_keepalive_interval(session->negotiated().keepalive_time);
    ts->set_negotiated_hold_time(session->negotiated().hold_time);
    if (std::optional<Clock::TimePoint> up = session->last_up_at()) {
      SetTimestamp(now.WallTimeOf(*up), ts->mutable_uptime());
    }
    SetTimestamp(now.WallTimeOf(session->last_down_at()), ts->mutable_downtime());
  }

  apipb::Transport* transport = out->mutable_transport();
  std::string local_address;
  if (session != nullptr) {
    // gobgpd keeps listing the address of the last session after it went down.
    if (std::optional<asio::ip::tcp::endpoint> ep =
            established ? session->local_endpoint() : session->last_local_endpoint()) {
      asio::ip::address a = ep->address();
      if (a.is_v6() && a.to_v6().is_v4_mapped())
        a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
      local_address = a.to_string();
    }
  }
  if (local_address.empty()) {
    local_address = so.local_address ? so.local_address->ToString()
                                     : (so.peer_address.is_v4() ? "0.0.0.0" : "::");
  }
  transport->set_local_address(local_address);
  transport->set_local_port(so.local_port);
  transport->set_passive_mode(so.passive);
  // gobgpd lists the configured remote port; 0 (not configured) means 179.
  transport->set_remote_port(so.peer_port == 179 ? 0 : so.peer_port);

  apipb::RouteServer* rs = out->mutable_route_server();
  rs->set_route_server_client(spec.rib.route_server_client);

  apipb::GracefulRestart* gr = out->mutable_graceful_restart();
  if (so.graceful_restart) {
    gr->set_enabled(true);
    gr->set_restart_time(so.gr_restart_time);
    gr->set_deferral_time(360);  // gobgpd's default; kbgpd does not defer (no restarting role)
    gr->set_notification_enabled(so.gr_notification);
    gr->set_local_restarting(so.gr_restarting);
  }

  for (const peer::FamilyOptions& fo : so.families) {
    apipb::AfiSafi* af = out->add_afi_safis();
    apipb::MpGracefulRestart* mgr = af->mutable_mp_graceful_restart();
    mgr->mutable_config()->set_enabled(fo.gr_forwarding_state);
    apipb::MpGracefulRestartState* mgs = mgr->mutable_state();
    mgs->set_enabled(fo.gr_forwarding_state);
    mgs->set_advertised(so.graceful_restart && fo.gr_forwarding_state);
    if (session != nullptr && session->negotiated().peer_graceful_restart) {
      for (const auto& e : session->negotiated().peer_gr_families) {
        if (e.family == fo.family) mgs->set_received(true);
      }
    }
    AfiSafiToApi(fo.family, af->mutable_config()->mutable_family());
    af->mutable_config()->set_enabled(true);
    apipb::AfiSafiState* fs = af->mutable_state();
    AfiSafiToApi(fo.family, fs->mutable_family());
    fs->set_enabled(true);
    const int k = fo.family == wire::kIPv4Unicast ? 0 : fo.family == wire::kIPv6Unicast ? 1 : -1;
    if (k >= 0) {
      fs->set_received(status.family_received[k]);
      fs->set_accepted(status.family_accepted[k]);
      if (with_advertised) fs->set_advertised(status.family_advertised[k]);
    }
    PolicyDirectionsToApi(af->mutable_apply_policy());
    af->mutable_route_selection_options()->mutable_config();
    apipb::UseMultiplePaths* mp = af->mutable_use_multiple_paths();
    mp->mutable_config();
    mp->mutable_ebgp()->mutable_config();
    mp->mutable_ibgp()->mutable_config();
    af->mutable_route_target_membership()->mutable_config();
    af->mutable_long_lived_graceful_restart()->mutable_config();
    apipb::AddPathsConfig* ap = af->mutable_add_paths()->mutable_config();
    ap->set_receive(fo.add_path_receive);
    // NeighborSpec keeps whether we send several paths, not gobgpd's send-max count.
    ap->set_send_max(fo.add_path_send ? 1 : 0);
  }

  apipb::TtlSecurity* gtsm = out->mutable_ttl_security();
  if (so.ttl_security_hops != 0) {
    gtsm->set_enabled(true);
    gtsm->set_ttl_min(256u - so.ttl_security_hops);
  }
}

}  // namespace kbgp::api_server
