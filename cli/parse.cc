#include "cli/parse.h"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/attribute.pb.h"
#include "daemon/wire/gobgp_names.h"

namespace kbgp::cli {

namespace {

absl::Status Invalid(absl::string_view msg) { return absl::InvalidArgumentError(msg); }

bool ParseU32(absl::string_view s, uint32_t* out) {
  uint64_t v;
  if (s.empty() || !absl::SimpleAtoi(s, &v) || v > UINT32_MAX || s[0] == '+' || s[0] == '-') {
    return false;
  }
  *out = static_cast<uint32_t>(v);
  return true;
}

template <typename T>
void Pack(const T& m, google::protobuf::Any* any) {
  any->PackFrom(m, "type.googleapis.com");
}

// Removes "key VALUE" (the first occurrence) from args; returns the value, or nullopt.
std::optional<std::string> Extract(std::vector<std::string>* args, absl::string_view key) {
  for (size_t i = 0; i + 1 < args->size(); ++i) {
    if ((*args)[i] == key) {
      std::string v = (*args)[i + 1];
      args->erase(args->begin() + static_cast<long>(i), args->begin() + static_cast<long>(i) + 2);
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<apipb::Family> ParseFamily(absl::string_view name, const apipb::Family& def) {
  apipb::Family f;
  if (name.empty()) return def;
  if (name == "ipv4" || name == "v4" || name == "4") {
    f.set_afi(apipb::Family::AFI_IP);
  } else if (name == "ipv6" || name == "v6" || name == "6") {
    f.set_afi(apipb::Family::AFI_IP6);
  } else {
    return Invalid(absl::StrCat("unsupported address family: ", name));
  }
  f.set_safi(apipb::Family::SAFI_UNICAST);
  return f;
}

absl::StatusOr<ParsedPrefix> ParsePrefix(absl::string_view s) {
  size_t slash = s.find('/');
  if (slash == absl::string_view::npos) {
    return Invalid(absl::StrCat("invalid CIDR address: ", s));
  }
  std::string addr(s.substr(0, slash));
  uint32_t len;
  if (!ParseU32(s.substr(slash + 1), &len)) {
    return Invalid(absl::StrCat("invalid CIDR address: ", s));
  }
  unsigned char buf[16] = {};
  ParsedPrefix p;
  int bytes = 4;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    if (len > 32) return Invalid(absl::StrCat("invalid CIDR address: ", s));
  } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    if (len > 128) return Invalid(absl::StrCat("invalid CIDR address: ", s));
    p.v6 = true;
    bytes = 16;
  } else {
    return Invalid(absl::StrCat("invalid CIDR address: ", s));
  }
  for (int i = 0; i < bytes; ++i) {
    int keep = static_cast<int>(len) - i * 8;
    if (keep <= 0)
      buf[i] = 0;
    else if (keep < 8)
      buf[i] &= static_cast<unsigned char>(0xff << (8 - keep));
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(p.v6 ? AF_INET6 : AF_INET, buf, text, sizeof(text));
  p.address = text;
  p.length = len;
  return p;
}

bool IsPrefixOrAddress(absl::string_view s) {
  if (ParsePrefix(s).ok()) return true;
  std::string a(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, a.c_str(), buf) == 1 || inet_pton(AF_INET6, a.c_str(), buf) == 1;
}

absl::StatusOr<uint32_t> ParseCommunity(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, ':');
  uint32_t hi, lo, v;
  if (parts.size() == 2 && ParseU32(parts[0], &hi) && ParseU32(parts[1], &lo) && hi <= 0xffff &&
      lo <= 0xffff) {
    return hi << 16 | lo;
  }
  if (ParseU32(s, &v)) return v;
  if (auto w = wire::WellKnownCommunityValue(absl::AsciiStrToLower(s))) return *w;
  return Invalid(absl::StrCat("failed to parse ", s, " as community"));
}

namespace {

absl::StatusOr<uint32_t> As4Value(absl::string_view s) {
  uint32_t v;
  if (size_t dot = s.find('.'); dot != absl::string_view::npos) {
    uint32_t hi, lo;
    if (!ParseU32(s.substr(0, dot), &hi) || !ParseU32(s.substr(dot + 1), &lo) || hi > 0xffff ||
        lo > 0xffff) {
      return 0u;  // GoBGP returns 0 without an error here
    }
    return hi << 16 | lo;
  }
  if (!ParseU32(s, &v)) {
    return Invalid(absl::StrCat("strconv.ParseUint: parsing \"", s, "\": invalid syntax"));
  }
  return v;
}

absl::StatusOr<apipb::AsPathAttribute> NewAsPath(absl::string_view aspath) {
  apipb::AsPathAttribute attr;
  std::vector<absl::string_view> segments = absl::StrSplit(aspath, absl::ByAnyChar("{}"));
  for (size_t idx = 0; idx < segments.size(); ++idx) {
    if (segments[idx].empty()) continue;
    apipb::AsSegment seg;
    seg.set_type(idx % 2 == 0 ? apipb::AsSegment::AS_SEQUENCE : apipb::AsSegment::AS_SET);
    for (absl::string_view n : absl::StrSplit(segments[idx], absl::ByAnyChar(", \t\n"))) {
      if (n.empty()) continue;
      absl::StatusOr<uint32_t> v = As4Value(n);
      if (!v.ok()) return v.status();
      seg.add_numbers(*v);
    }
    *attr.add_segments() = seg;
  }
  return attr;
}

// "rt X:Y ..." (route targets), the extended communities GoBGP takes for unicast routes.
absl::Status ParseExtCommunities(const std::vector<std::string>& args,
                                 apipb::ExtendedCommunitiesAttribute* out) {
  size_t i = 0;
  while (i < args.size()) {
    if (args[i] != "rt") {
      return Invalid(absl::StrCat("failed to parse [", args[i],
                                  "]: kbgp takes `rt <RT>...` "
                                  "extended communities here"));
    }
    ++i;
    if (i >= args.size()) return Invalid("invalid rt");
    for (; i < args.size() && args[i] != "rt"; ++i) {
      const std::string& rt = args[i];
      size_t colon = rt.rfind(':');
      uint32_t local;
      if (colon == std::string::npos || !ParseU32(rt.substr(colon + 1), &local)) {
        return Invalid(absl::StrCat("invalid format for route target: ", rt));
      }
      std::string admin = rt.substr(0, colon);
      unsigned char buf[4];
      uint32_t as;
      if (inet_pton(AF_INET, admin.c_str(), buf) == 1) {
        if (local > 0xffff) return Invalid(absl::StrCat("invalid route target: ", rt));
        apipb::IPv4AddressSpecificExtended e;
        e.set_is_transitive(true);
        e.set_sub_type(2);
        e.set_address(admin);
        e.set_local_admin(local);
        Pack(e, out->add_communities());
      } else if (admin.find('.') != std::string::npos || (ParseU32(admin, &as) && as > 0xffff)) {
        absl::StatusOr<uint32_t> v = As4Value(admin);
        if (!v.ok() || local > 0xffff) return Invalid(absl::StrCat("invalid route target: ", rt));
        apipb::FourOctetAsSpecificExtended e;
        e.set_is_transitive(true);
        e.set_sub_type(2);
        e.set_asn(*v);
        e.set_local_admin(local);
        Pack(e, out->add_communities());
      } else if (ParseU32(admin, &as)) {
        apipb::TwoOctetAsSpecificExtended e;
        e.set_is_transitive(true);
        e.set_sub_type(2);
        e.set_asn(as);
        e.set_local_admin(local);
        Pack(e, out->add_communities());
      } else {
        return Invalid(absl::StrCat("invalid route target: ", rt));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<apipb::Path> ParsePath(const apipb::Family& family, std::vector<std::string> args) {
  bool v6 = family.afi() == apipb::Family::AFI_IP6;
  std::vector<std::pair<int, google::protobuf::Any>> attrs;
  auto add = [&](int type, const auto& m) {
    google::protobuf::Any any;
    Pack(m, &any);
    attrs.emplace_back(type, std::move(any));
  };
  apipb::OriginAttribute origin;
  origin.set_origin(2);
  if (auto v = Extract(&args, "origin")) {
    if (*v == "igp")
      origin.set_origin(0);
    else if (*v == "egp")
      origin.set_origin(1);
    else if (*v != "incomplete") {
      return Invalid(absl::StrCat("invalid origin type. expect [igp|egp|incomplete] but ", *v));
    }
  }
  add(1, origin);
  if (auto v = Extract(&args, "aspath")) {
    absl::StatusOr<apipb::AsPathAttribute> a = NewAsPath(*v);
    if (!a.ok()) return a.status();
    add(2, *a);
  }
  if (auto v = Extract(&args, "med")) {
    apipb::MultiExitDiscAttribute a;
    uint32_t x;
    if (!ParseU32(*v, &x)) return Invalid(absl::StrCat("invalid med: ", *v));
    a.set_med(x);
    add(4, a);
  }
  if (auto v = Extract(&args, "local-pref")) {
    apipb::LocalPrefAttribute a;
    uint32_t x;
    if (!ParseU32(*v, &x)) return Invalid(absl::StrCat("invalid local-pref: ", *v));
    a.set_local_pref(x);
    add(5, a);
  }
  if (auto v = Extract(&args, "aggregator")) {
    std::vector<std::string> p = absl::StrSplit(*v, absl::MaxSplits(':', 1));
    uint32_t as;
    unsigned char buf[4];
    if (p.size() != 2 || !ParseU32(p[0], &as) || inet_pton(AF_INET, p[1].c_str(), buf) != 1) {
      return Invalid("invalid aggregator format");
    }
    apipb::AggregatorAttribute a;
    a.set_asn(as);
    a.set_address(p[1]);
    add(7, a);
  }
  if (auto v = Extract(&args, "community")) {
    apipb::CommunitiesAttribute a;
    for (absl::string_view e : absl::StrSplit(*v, ',')) {
      absl::StatusOr<uint32_t> c = ParseCommunity(e);
      if (!c.ok()) return c.status();
      a.add_communities(*c);
    }
    add(8, a);
  }
  if (auto v = Extract(&args, "large-community")) {
    apipb::LargeCommunitiesAttribute a;
    for (absl::string_view e : absl::StrSplit(*v, ',')) {
      std::vector<absl::string_view> p = absl::StrSplit(e, ':');
      uint32_t x, y, z;
      if (p.size() != 3 || !ParseU32(p[0], &x) || !ParseU32(p[1], &y) || !ParseU32(p[2], &z)) {
        return Invalid(absl::StrCat("invalid large community: ", e));
      }
      apipb::LargeCommunity* c = a.add_communities();
      c->set_global_admin(x);
      c->set_local_data1(y);
      c->set_local_data2(z);
    }
    add(32, a);
  }
  std::string nexthop = v6 ? "::" : "0.0.0.0";
  if (auto v = Extract(&args, "nexthop")) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, v->c_str(), buf) != 1 && inet_pton(AF_INET6, v->c_str(), buf) != 1) {
      return Invalid("invalid nexthop address");
    }
    nexthop = *v;
  }
  if (args.empty()) return Invalid("invalid format: no prefix given");
  absl::StatusOr<ParsedPrefix> prefix = ParsePrefix(args[0]);
  if (!prefix.ok()) return prefix.status();
  if (prefix->v6 != v6) {
    return Invalid(v6 ? "invalid ipv6 prefix" : "invalid ipv4 prefix");
  }
  apipb::IPAddressPrefix nlri;
  nlri.set_prefix(prefix->address);
  nlri.set_prefix_len(prefix->length);
  apipb::Path path;
  std::vector<std::string> ext;
  if (args.size() > 2 && args[1] == "identifier") {
    uint32_t id;
    if (!ParseU32(args[2], &id)) return Invalid("invalid format: bad identifier");
    path.set_identifier(id);
    ext.assign(args.begin() + 3, args.end());
  } else {
    ext.assign(args.begin() + 1, args.end());
  }
  unsigned char nhbuf[4];
  if (!v6 && inet_pton(AF_INET, nexthop.c_str(), nhbuf) == 1) {
    apipb::NextHopAttribute a;
    a.set_next_hop(nexthop);
    add(3, a);
  } else {
    apipb::MpReachNLRIAttribute a;
    *a.mutable_family() = family;
    a.add_next_hops(nexthop);
    Pack(nlri, a.add_nlris());
    add(14, a);
  }
  if (!ext.empty()) {
    apipb::ExtendedCommunitiesAttribute a;
    if (absl::Status s = ParseExtCommunities(ext, &a); !s.ok()) return s;
    if (a.communities_size() > 0) add(16, a);
  }
  std::stable_sort(attrs.begin(), attrs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Pack(nlri, path.mutable_nlri());
  for (auto& [type, any] : attrs) *path.add_pattrs() = std::move(any);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  path.mutable_age()->set_seconds(ns / 1000000000);
  path.mutable_age()->set_nanos(static_cast<int32_t>(ns % 1000000000));
  *path.mutable_family() = family;
  return path;
}

absl::StatusOr<apipb::Peer> ParseNeighbor(absl::string_view cmd,
                                          const std::vector<std::string>& args) {
  std::string usage = absl::StrCat("usage: kbgp neighbor ", cmd, " <neighbor-address>");
  if (cmd == "add") {
    absl::StrAppend(&usage,
                    " as <VALUE> [ local-as <VALUE> | family <address-families-list> | "
                    "route-reflector-client [<cluster-id>] | route-server-client | "
                    "allow-own-as <num> | remove-private-as (all|replace) | "
                    "replace-peer-as | ebgp-multihop-ttl <ttl> ]");
  }
  static const std::pair<const char*, int> kParams[] = {{"as", 1},
                                                        {"local-as", 1},
                                                        {"family", 1},
                                                        {"vrf", 1},
                                                        {"route-reflector-client", 3},
                                                        {"route-server-client", 0},
                                                        {"allow-own-as", 1},
                                                        {"remove-private-as", 1},
                                                        {"replace-peer-as", 0},
                                                        {"ebgp-multihop-ttl", 1},
                                                        {"interface", 1}};
  std::map<std::string, std::vector<std::string>> m;
  std::string key;
  for (const std::string& a : args) {
    bool reserved = false;
    for (const auto& [name, kind] : kParams) {
      if (a == name && (cmd == "add" || a == std::string("interface"))) reserved = true;
    }
    if (reserved) {
      key = a;
      m[key];
    } else {
      m[key].push_back(a);
    }
  }
  for (const auto& [k, v] : m) {
    if (k.empty()) continue;
    for (const auto& [name, kind] : kParams) {
      if (k != name) continue;
      if ((kind == 0 && !v.empty()) || (kind == 1 && v.size() != 1) ||
          (kind == 3 && v.size() > 1)) {
        return Invalid(usage);
      }
    }
  }
  if (m[""].size() != 1) return Invalid(usage);
  if (m.count("interface")) {
    return Invalid("kbgp: unnumbered neighbors (interface) are not supported; give an address");
  }
  const std::string& addr = m[""][0];
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr.c_str(), buf) != 1 && inet_pton(AF_INET6, addr.c_str(), buf) != 1) {
    return Invalid(absl::StrCat("address ", addr, ": not an IPv4 or IPv6 address"));
  }
  apipb::Peer peer;
  peer.mutable_conf()->set_neighbor_address(addr);
  peer.mutable_state()->set_neighbor_address(addr);
  peer.mutable_route_server();
  peer.mutable_route_reflector();
  if (cmd != "add") return peer;
  auto u32 = [&](const std::string& k, uint32_t* out) -> absl::Status {
    if (!ParseU32(m[k][0], out)) {
      return Invalid(absl::StrCat("strconv.ParseUint: parsing \"", m[k][0], "\": invalid syntax"));
    }
    return absl::OkStatus();
  };
  uint32_t v;
  if (m.count("as")) {
    if (absl::Status s = u32("as", &v); !s.ok()) return s;
    peer.mutable_conf()->set_peer_asn(v);
  }
  if (m.count("local-as")) {
    if (absl::Status s = u32("local-as", &v); !s.ok()) return s;
    peer.mutable_conf()->set_local_asn(v);
  }
  if (m.count("family")) {
    for (absl::string_view f : absl::StrSplit(m["family"][0], ',')) {
      apipb::Family fam;
      if (f == "ipv4-unicast") {
        fam.set_afi(apipb::Family::AFI_IP);
      } else if (f == "ipv6-unicast") {
        fam.set_afi(apipb::Family::AFI_IP6);
      } else {
        return Invalid(absl::StrCat(f,
                                    " isn't a valid route family name (kbgp takes "
                                    "ipv4-unicast, ipv6-unicast)"));
      }
      fam.set_safi(apipb::Family::SAFI_UNICAST);
      *peer.add_afi_safis()->mutable_config()->mutable_family() = fam;
    }
  }
  if (m.count("vrf")) peer.mutable_conf()->set_vrf(m["vrf"][0]);
  if (m.count("route-reflector-client")) {
    peer.mutable_route_reflector()->set_route_reflector_client(true);
    if (m["route-reflector-client"].size() == 1) {
      peer.mutable_route_reflector()->set_route_reflector_cluster_id(
          m["route-reflector-client"][0]);
    }
  }
  if (m.count("route-server-client")) {
    peer.mutable_route_server()->set_route_server_client(true);
  }
  if (m.count("allow-own-as")) {
    if (absl::Status s = u32("allow-own-as", &v); !s.ok()) return s;
    if (v > 255) return Invalid("allow-own-as: value out of range (0-255)");
    peer.mutable_conf()->set_allow_own_asn(v);
  }
  if (m.count("remove-private-as")) {
    const std::string& o = m["remove-private-as"][0];
    if (o == "all")
      peer.mutable_conf()->set_remove_private(apipb::REMOVE_ALL);
    else if (o == "replace")
      peer.mutable_conf()->set_remove_private(apipb::REPLACE);
    else
      return Invalid("invalid remove-private-as value: all or replace");
  }
  if (m.count("replace-peer-as")) peer.mutable_conf()->set_replace_peer_asn(true);
  if (m.count("ebgp-multihop-ttl")) {
    if (absl::Status s = u32("ebgp-multihop-ttl", &v); !s.ok()) return s;
    peer.mutable_ebgp_multihop()->set_enabled(true);
    peer.mutable_ebgp_multihop()->set_multihop_ttl(v);
  }
  return peer;
}

absl::StatusOr<apipb::DefinedSet> ParseDefinedSet(absl::string_view type,
                                                  const std::vector<std::string>& args) {
  if (args.empty()) return Invalid(absl::StrCat("empty ", type, " set name"));
  apipb::DefinedSet d;
  d.set_name(args[0]);
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (type == "prefix") {
    d.set_defined_type(apipb::PREFIX);
    if (!rest.empty()) {
      absl::StatusOr<ParsedPrefix> p = ParsePrefix(rest[0]);
      if (!p.ok()) return p.status();
      uint32_t min = p->length, max = p->length;
      if (rest.size() > 1) {
        std::vector<std::string> mm = absl::StrSplit(rest[1], "..");
        if (mm.size() != 2 || !ParseU32(mm[0], &min) || !ParseU32(mm[1], &max) || min > max ||
            max > (p->v6 ? 128u : 32u)) {
          return Invalid(absl::StrCat("mask length range format is invalid: ", rest[1]));
        }
      }
      apipb::Prefix* x = d.add_prefixes();
      x->set_ip_prefix(rest[0]);
      x->set_mask_length_min(min);
      x->set_mask_length_max(max);
    }
  } else if (type == "neighbor") {
    d.set_defined_type(apipb::NEIGHBOR);
    for (const std::string& a : rest) {
      unsigned char buf[16];
      if (inet_pton(AF_INET, a.c_str(), buf) == 1) {
        d.add_list(a + "/32");
      } else if (inet_pton(AF_INET6, a.c_str(), buf) == 1) {
        d.add_list(a + "/128");
      } else if (!ParsePrefix(a).ok()) {
        return Invalid(absl::StrCat("invalid address or prefix: ", a,
                                    " (give an IPv4 or IPv6 address or prefix)"));
      }
    }
  } else if (type == "as-path" || type == "community" || type == "ext-community" ||
             type == "large-community") {
    d.set_defined_type(type == "as-path"         ? apipb::AS_PATH
                       : type == "community"     ? apipb::COMMUNITY
                       : type == "ext-community" ? apipb::EXT_COMMUNITY
                                                 : apipb::LARGE_COMMUNITY);
    for (const std::string& a : rest) {
      if (type == "as-path") {
        try {
          std::regex re(a, std::regex::extended);
        } catch (const std::regex_error&) {
          return Invalid(absl::StrCat("invalid regular expression: ", a));
        }
      }
      d.add_list(a);
    }
  } else {
    return Invalid(absl::StrCat("invalid defined set type: ", type));
  }
  return d;
}

absl::StatusOr<apipb::Statement> ParseCondition(absl::string_view name, absl::string_view op,
                                                std::vector<std::string> args) {
  apipb::Statement st;
  st.set_name(std::string(name));
  apipb::Conditions* c = st.mutable_conditions();
  std::string usage = absl::StrCat("usage: kbgp policy statement ", name, " ", op, " condition");
  if (args.empty()) {
    return Invalid(absl::StrCat(usage,
                                " { prefix | neighbor | as-path | community | "
                                "ext-community | large-community | as-path-length | rpki | "
                                "route-type | next-hop-in-list | afi-safi-in }"));
  }
  std::string typ = args[0];
  args.erase(args.begin());
  auto match_set = [&](apipb::MatchSet* m, bool allow_all) -> absl::Status {
    std::string u = absl::StrCat(usage, " ", typ, " <set-name> [{ any | ",
                                 allow_all ? "all | " : "", "invert }]");
    if (args.empty()) return Invalid(u);
    m->set_name(args[0]);
    if (args.size() == 1) return absl::OkStatus();
    std::string t = absl::AsciiStrToLower(args[1]);
    if (t == "any")
      m->set_type(apipb::MatchSet::ANY);
    else if (t == "invert")
      m->set_type(apipb::MatchSet::INVERT);
    else if (t == "all" && allow_all)
      m->set_type(apipb::MatchSet::ALL);
    else
      return Invalid(u);
    return absl::OkStatus();
  };
  absl::Status s;
  if (typ == "prefix") {
    s = match_set(c->mutable_prefix_set(), false);
  } else if (typ == "neighbor") {
    s = match_set(c->mutable_neighbor_set(), false);
  } else if (typ == "as-path") {
    s = match_set(c->mutable_as_path_set(), true);
  } else if (typ == "community") {
    s = match_set(c->mutable_community_set(), true);
  } else if (typ == "ext-community") {
    s = match_set(c->mutable_ext_community_set(), true);
  } else if (typ == "large-community") {
    s = match_set(c->mutable_large_community_set(), true);
  } else if (typ == "as-path-length") {
    std::string u = absl::StrCat(usage, " as-path-length <length> { eq | ge | le }");
    uint32_t len;
    if (args.size() < 2 || !ParseU32(args[0], &len)) return Invalid(u);
    c->mutable_as_path_length()->set_length(len);
    std::string t = absl::AsciiStrToLower(args[1]);
    if (t == "eq")
      c->mutable_as_path_length()->set_type(apipb::AsPathLength::EQ);
    else if (t == "ge")
      c->mutable_as_path_length()->set_type(apipb::AsPathLength::GE);
    else if (t == "le")
      c->mutable_as_path_length()->set_type(apipb::AsPathLength::LE);
    else
      return Invalid(u);
  } else if (typ == "rpki") {
    std::string u = absl::StrCat(usage, " rpki { valid | invalid | not-found }");
    if (args.empty()) return Invalid(u);
    std::string t = absl::AsciiStrToLower(args[0]);
    if (t == "valid")
      c->set_rpki_result(2);
    else if (t == "invalid")
      c->set_rpki_result(3);
    else if (t == "not-found")
      c->set_rpki_result(1);
    else
      return Invalid(u);
  } else if (typ == "route-type") {
    std::string u = absl::StrCat(usage, " route-type { internal | external | local }");
    if (args.empty()) return Invalid(u);
    std::string t = absl::AsciiStrToLower(args[0]);
    if (t == "internal")
      c->set_route_type(apipb::Conditions::ROUTE_TYPE_INTERNAL);
    else if (t == "external")
      c->set_route_type(apipb::Conditions::ROUTE_TYPE_EXTERNAL);
    else if (t == "local")
      c->set_route_type(apipb::Conditions::ROUTE_TYPE_LOCAL);
    else
      return Invalid(u);
  } else if (typ == "next-hop-in-list") {
    for (const auto& a : args) c->add_next_hop_in_list(a);
  } else if (typ == "afi-safi-in") {
    for (const auto& a : args) {
      apipb::Family* f = c->add_afi_safi_in();
      if (a == "ipv4-unicast")
        f->set_afi(apipb::Family::AFI_IP);
      else if (a == "ipv6-unicast")
        f->set_afi(apipb::Family::AFI_IP6);
      else
        return Invalid(absl::StrCat("unknown family ", a, " (ipv4-unicast, ipv6-unicast)"));
      f->set_safi(apipb::Family::SAFI_UNICAST);
    }
  } else {
    return Invalid(absl::StrCat(usage,
                                " { prefix | neighbor | as-path | community | "
                                "ext-community | large-community | as-path-length | rpki | "
                                "route-type | next-hop-in-list | afi-safi-in }"));
  }
  if (!s.ok()) return s;
  return st;
}

absl::StatusOr<apipb::Statement> ParseAction(absl::string_view name, absl::string_view op,
                                             std::vector<std::string> args) {
  apipb::Statement st;
  st.set_name(std::string(name));
  apipb::Actions* a = st.mutable_actions();
  std::string usage = absl::StrCat("usage: kbgp policy statement ", name, " ", op, " action");
  if (args.empty()) {
    return Invalid(absl::StrCat(usage,
                                " { reject | accept | community | ext-community | "
                                "large-community | med | local-pref | as-prepend | next-hop }"));
  }
  std::string typ = args[0];
  args.erase(args.begin());
  auto community = [&](apipb::CommunityAction* c) -> absl::Status {
    std::string u = absl::StrCat(usage, " ", typ, " { add | remove | replace } <value>...");
    if (args.empty()) return Invalid(u);
    for (size_t i = 1; i < args.size(); ++i) c->add_communities(args[i]);
    std::string t = absl::AsciiStrToLower(args[0]);
    if (t == "add")
      c->set_type(apipb::CommunityAction::ADD);
    else if (t == "remove")
      c->set_type(apipb::CommunityAction::REMOVE);
    else if (t == "replace")
      c->set_type(apipb::CommunityAction::REPLACE);
    else
      return Invalid(u);
    return absl::OkStatus();
  };
  absl::Status s;
  if (typ == "reject") {
    a->set_route_action(apipb::REJECT);
  } else if (typ == "accept") {
    a->set_route_action(apipb::ACCEPT);
  } else if (typ == "community") {
    s = community(a->mutable_community());
  } else if (typ == "ext-community") {
    s = community(a->mutable_ext_community());
  } else if (typ == "large-community") {
    s = community(a->mutable_large_community());
  } else if (typ == "med") {
    std::string u = absl::StrCat(usage, " med { add | sub | set } <value>");
    int64_t v;
    if (args.size() < 2) return Invalid(u);
    if (!absl::SimpleAtoi(args[1], &v) || v > INT32_MAX || v < INT32_MIN) {
      return Invalid(absl::StrCat("invalid med value: ", args[1]));
    }
    std::string t = absl::AsciiStrToLower(args[0]);
    a->mutable_med()->set_value(v);
    if (t == "add")
      a->mutable_med()->set_type(apipb::MedAction::MOD);
    else if (t == "sub") {
      a->mutable_med()->set_type(apipb::MedAction::MOD);
      a->mutable_med()->set_value(-v);
    } else if (t == "set")
      a->mutable_med()->set_type(apipb::MedAction::REPLACE);
    else
      return Invalid(u);
  } else if (typ == "local-pref") {
    uint32_t v;
    if (args.empty()) return Invalid(absl::StrCat(usage, " local-pref <value>"));
    if (!ParseU32(args[0], &v)) return Invalid(absl::StrCat("invalid local-pref: ", args[0]));
    a->mutable_local_pref()->set_value(v);
  } else if (typ == "as-prepend") {
    if (args.size() < 2) {
      return Invalid(absl::StrCat(usage, " as-prepend { <asn> | last-as } <repeat-value>"));
    }
    uint32_t asn = 0, repeat;
    ParseU32(args[0], &asn);  // "last-as" is 0, as in GoBGP
    if (!ParseU32(args[1], &repeat) || repeat > 255) {
      return Invalid(absl::StrCat("invalid repeat value: ", args[1]));
    }
    a->mutable_as_prepend()->set_asn(asn);
    a->mutable_as_prepend()->set_repeat(repeat);
  } else if (typ == "next-hop") {
    if (args.size() != 1) {
      return Invalid(absl::StrCat(usage, " next-hop { <value> | self | unchanged }"));
    }
    a->mutable_nexthop()->set_address(args[0]);
  } else {
    return Invalid(absl::StrCat(usage,
                                " { reject | accept | community | ext-community | "
                                "large-community | med | local-pref | as-prepend | next-hop }"));
  }
  if (!s.ok()) return s;
  return st;
}

}  // namespace kbgp::cli
