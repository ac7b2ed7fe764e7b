#include "sidecar/desired/desired.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/common/ip.h"
#include "yaml-cpp/yaml.h"

namespace kbgp::sidecar {
namespace {

constexpr uint32_t kDefaultAsn = 64512;  // k8s-bgp.md §1.1 --cluster-asn

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  if (out.size() == 1 && out[0].empty()) out.clear();
  return out;
}

const std::string* Annotation(const Annotations& a, const char* key) {
  auto it = a.find(key);
  return it == a.end() ? nullptr : &it->second;
}

std::optional<IpAddress> ParseIp(const std::string& s) {
  auto ip = IpAddress::Parse(s);
  if (!ip.ok()) return std::nullopt;
  return *ip;
}

// kube-router's GetPrimaryNodeIP: the first InternalIP, else the first ExternalIP; per family
// for the dual-stack "best" addresses (§2.1 path shape).
std::optional<IpAddress> NodeIp(const NodeInfo& n, Family family) {
  for (const auto* list : {&n.internal_ips, &n.external_ips}) {
    for (const std::string& s : *list) {
      auto ip = ParseIp(s);
      if (ip && ip->family() == family) return ip;
    }
  }
  return std::nullopt;
}

std::optional<IpAddress> PrimaryIp(const NodeInfo& n) {
  for (const auto* list : {&n.internal_ips, &n.external_ips}) {
    for (const std::string& s : *list) {
      if (auto ip = ParseIp(s)) return ip;
    }
  }
  return std::nullopt;
}

std::string HostPrefix(const IpAddress& ip) {
  return absl::StrCat(ip.ToString(), "/", ip.bit_length());
}

// "true"/"false" annotation overriding a flag (§1.3); anything else keeps the flag.
bool Override(const Annotations& a, const char* key, bool flag) {
  const std::string* v = Annotation(a, key);
  if (v == nullptr) return flag;
  std::string lower = absl::AsciiStrToLower(*v);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return flag;
}

uint32_t Fnv32a(const uint8_t* data, int len) {
  uint32_t h = 2166136261u;
  for (int i = 0; i < len; ++i) {
    h ^= data[i];
    h *= 16777619u;
  }
  return h;
}

bool ParseU32(const std::string& s, uint32_t* out) {
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(s), out);
}

// §2.1 item 4, with readiness: this node has a ready endpoint of the service.
using SliceIndex = std::map<std::pair<std::string, std::string>,
                            std::vector<const EndpointSliceInfo*>>;

bool HasReadyLocalEndpoint(const ServiceInfo& svc, const NodeInfo& self, const SliceIndex& index) {
  auto found = index.find({svc.ns, svc.name});
  if (found == index.end()) return false;
  std::set<std::string> node_ips(self.internal_ips.begin(), self.internal_ips.end());
  node_ips.insert(self.external_ips.begin(), self.external_ips.end());
  for (const EndpointSliceInfo* s : found->second) {
    for (const EndpointInfo& ep : s->endpoints) {
      if (!ep.ready) continue;
      if (ep.node_name) {
        if (*ep.node_name == self.name) return true;
        continue;
      }
      for (const std::string& a : ep.addresses) {
        if (node_ips.count(a)) return true;
      }
    }
  }
  return false;
}

void AddPrefixEntry(DesiredState* d, const std::string& set, const std::string& prefix,
                    uint32_t min, uint32_t max) {
  DesiredSet& s = d->sets[set];
  s.neighbor = false;
  s.entries.insert({prefix, min, max});
}

void AddNeighborEntry(DesiredState* d, const std::string& set, const std::string& prefix) {
  DesiredSet& s = d->sets[set];
  s.neighbor = true;
  s.entries.insert({prefix, 0, 0});
}

}  // namespace

std::optional<uint32_t> ParseCommunity(const std::string& raw) {
  std::string text = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  static const std::map<std::string, uint32_t> kWellKnown = {
      {"internet", 0},
      {"graceful-shutdown", 0xFFFF0000},
      {"accept-own", 0xFFFF0001},
      {"llgr-stale", 0xFFFF0006},
      {"no-llgr", 0xFFFF0007},
      {"blackhole", 0xFFFF029A},
      {"no-export", 0xFFFFFF01},
      {"no-advertise", 0xFFFFFF02},
      {"no-export-subconfed", 0xFFFFFF03},
      {"no-peer", 0xFFFFFF04},
  };
  auto it = kWellKnown.find(text);
  if (it != kWellKnown.end()) return it->second;
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() == 1) {
    uint32_t v = 0;
    if (!parts[0].empty() && absl::SimpleAtoi(parts[0], &v)) return v;
    return std::nullopt;
  }
  if (parts.size() == 2) {
    uint32_t a = 0;
    uint32_t b = 0;
    if (absl::SimpleAtoi(parts[0], &a) && absl::SimpleAtoi(parts[1], &b) && a <= 0xFFFF &&
        b <= 0xFFFF) {
      return (a << 16) | b;
    }
  }
  return std::nullopt;
}

std::optional<std::string> DecodeBase64(const std::string& text) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string s(absl::StripAsciiWhitespace(text));
  while (!s.empty() && s.back() == '=') s.pop_back();
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

DesiredState ComputeDesired(const Options& o, const std::string& node_name,
                            const ClusterView& cluster) {
  DesiredState d;
  const NodeInfo* self = nullptr;
  for (const NodeInfo* n : cluster.nodes) {
    if (n->name == node_name) self = n;
  }
  if (self == nullptr) {
    d.error = absl::StrCat("node ", node_name, " not found");
    return d;
  }
  const Annotations& ann = self->annotations;
  std::optional<IpAddress> primary = PrimaryIp(*self);
  if (!primary) {
    d.error = absl::StrCat("node ", node_name, " has no InternalIP or ExternalIP");
    return d;
  }
  std::optional<IpAddress> ip4 = NodeIp(*self, Family::kIPv4);
  std::optional<IpAddress> ip6 = NodeIp(*self, Family::kIPv6);

  // Identity (§1.1 --cluster-asn, --nodes-full-mesh; §1.2 node.asn).
  uint32_t asn = o.cluster_asn != 0 ? o.cluster_asn : kDefaultAsn;
  if (!o.nodes_full_mesh) {
    const std::string* a = Annotation(ann, kNodeAsn);
    if (a == nullptr) {
      d.error = absl::StrCat("--nodes-full-mesh=false and node ", node_name, " has no ",
                             kNodeAsn, " annotation");
      return d;
    }
    if (!ParseU32(*a, &asn) || asn == 0) {
      d.error = absl::StrCat("bad ", kNodeAsn, " annotation: ", *a);
      return d;
    }
  }
  d.global.asn = asn;
  d.global.listen_port = static_cast<int32_t>(o.bgp_port);
  // §1.1 --router-id: the node IPv4 by default; "generate" hashes the primary IP; needed on
  // IPv6-only nodes.
  if (o.router_id.empty()) {
    if (!ip4) {
      d.error = "the node has no IPv4 address: --router-id is required";
      return d;
    }
    d.global.router_id = ip4->ToString();
  } else if (o.router_id == "generate") {
    uint32_t h = Fnv32a(primary->data(), primary->byte_length());
    d.global.router_id = IpAddress::V4(h).ToString();
  } else {
    auto rid = ParseIp(o.router_id);
    if (!rid || !rid->is_v4()) {
      d.error = absl::StrCat("bad --router-id: ", o.router_id);
      return d;
    }
    d.global.router_id = rid->ToString();
  }

  const std::string* rr_server = Annotation(ann, kRrServer);
  const std::string* rr_client = Annotation(ann, kRrClient);
  auto base_peer = [&](const std::string& address) {
    DesiredPeer p;
    p.address = address;
    p.hold_time = o.bgp_holdtime;
    p.graceful_restart = o.bgp_graceful_restart;
    if (p.graceful_restart) {
      p.restart_time = o.bgp_graceful_restart_time;
      p.deferral_time = o.bgp_graceful_restart_deferral_time;
    }
    p.ipv4 = o.enable_ipv4;
    p.ipv6 = o.enable_ipv6;
    return p;
  };

  // iBGP peers (§2.6): same family as our primary IP; non-full-mesh: same node.asn; an RR
  // client peers only with RR servers; an RR server marks RR clients.
  std::vector<std::string> ibgp_hosts;
  for (const NodeInfo* n : cluster.nodes) {
    std::optional<IpAddress> ip = PrimaryIp(*n);
    if (!ip) continue;
    ibgp_hosts.push_back(HostPrefix(*ip));  // §2.5 iBGPpeerset: every node, self included
    if (!o.enable_ibgp || n->name == self->name || ip->family() != primary->family()) continue;
    if (!o.nodes_full_mesh) {
      const std::string* a = Annotation(n->annotations, kNodeAsn);
      uint32_t other = 0;
      if (a == nullptr || !ParseU32(*a, &other) || other != asn) continue;
    }
    if (rr_client != nullptr && Annotation(n->annotations, kRrServer) == nullptr) continue;
    DesiredPeer p = base_peer(ip->ToString());
    p.asn = asn;
    p.remote_port = o.bgp_port;
    p.local_address = primary->ToString();
    if (rr_server != nullptr && Annotation(n->annotations, kRrClient) != nullptr) {
      p.rr_client = true;
      p.rr_cluster_id = *rr_server;
    }
    d.peers[p.address] = p;
  }

  // External peers (§1.1 --peer-router-*, §1.2 peer.* used only without --peer-router-ips).
  std::vector<std::string> ips = o.peer_router_ips;
  std::vector<std::string> asns;
  std::vector<std::string> passwords = o.peer_router_passwords;
  std::vector<std::string> ports;
  std::vector<std::string> local_ips;
  if (!ips.empty()) {
    for (uint32_t a : o.peer_router_asns) asns.push_back(absl::StrCat(a));
    for (uint32_t p : o.peer_router_ports) ports.push_back(absl::StrCat(p));
  } else if (const std::string* y = Annotation(ann, kPeers)) {
    // §1.2: a YAML list of {remoteip, remoteasn, localip, password (base64), port}; it wins
    // over the deprecated peer.* annotations. BFD settings are not supported (ignored).
    try {
      YAML::Node list = YAML::Load(*y);
      if (!list.IsSequence()) throw YAML::Exception(YAML::Mark::null_mark(), "not a list");
      for (const YAML::Node& e : list) {
        if (!e.IsMap()) throw YAML::Exception(YAML::Mark::null_mark(), "an entry is not a map");
        auto field = [&](const char* k) {
          YAML::Node v = e[k];
          return v && v.IsScalar() ? v.Scalar() : std::string();
        };
        ips.push_back(field("remoteip"));
        asns.push_back(field("remoteasn"));
        passwords.push_back(field("password"));
        ports.push_back(field("port"));
        local_ips.push_back(field("localip"));
      }
    } catch (const YAML::Exception& ex) {
      d.warnings.push_back(absl::StrCat(kPeers, " annotation ignored: ", ex.what()));
      ips.clear();
      asns.clear();
      passwords.clear();
      ports.clear();
      local_ips.clear();
    }
  } else if (const std::string* v = Annotation(ann, kPeerIps)) {
    ips = SplitList(*v);
    if (const std::string* x = Annotation(ann, kPeerAsns)) asns = SplitList(*x);
    if (const std::string* x = Annotation(ann, kPeerPasswords)) passwords = SplitList(*x);
    if (const std::string* x = Annotation(ann, kPeerPorts)) ports = SplitList(*x);
    if (const std::string* x = Annotation(ann, kPeerLocalIps)) local_ips = SplitList(*x);
  }
  if (!ips.empty() && asns.size() != ips.size()) {
    d.warnings.push_back(absl::StrCat("external peers ignored: ", ips.size(), " addresses and ",
                                      asns.size(), " ASNs"));
    ips.clear();
  }
  for (size_t i = 0; i < ips.size(); ++i) {
    std::optional<IpAddress> ip = ParseIp(ips[i]);
    uint32_t peer_asn = 0;
    if (!ip || !ParseU32(asns[i], &peer_asn) || peer_asn == 0) {
      d.warnings.push_back(absl::StrCat("external peer ignored: ", ips[i], " as ", asns[i]));
      continue;
    }
    DesiredPeer p = base_peer(ip->ToString());
    p.external = true;
    p.asn = peer_asn;
    p.remote_port = 179;
    if (i < ports.size() && !ports[i].empty()) {
      uint32_t port = 0;
      if (!ParseU32(ports[i], &port) || port == 0 || port > 65535) {
        d.warnings.push_back(absl::StrCat("external peer ", ips[i], ": bad port ", ports[i]));
        continue;
      }
      p.remote_port = port;
    }
    if (i < passwords.size() && !passwords[i].empty()) {
      auto pw = DecodeBase64(passwords[i]);
      if (!pw) {
        d.warnings.push_back(absl::StrCat("external peer ", ips[i], ": password not base64"));
        continue;
      }
      p.password = *pw;
    }
    std::optional<IpAddress> local = ip->is_v4() ? ip4 : ip6;
    if (i < local_ips.size() && !local_ips[i].empty()) local = ParseIp(local_ips[i]);
    if (!local || local->family() != ip->family()) {
      d.warnings.push_back(absl::StrCat("external peer ", ips[i],
                                        ": no local address of its family"));
      continue;
    }
    p.local_address = local->ToString();
    if (o.peer_router_multihop_ttl >= 2) p.multihop_ttl = o.peer_router_multihop_ttl;
    d.peers[p.address] = p;
  }

  // Paths: pod CIDRs (§2.2) with next hop = node IP of the family; IPv4 CIDRs are not
  // advertised on IPv6-only nodes.
  std::vector<std::string> pod_cidrs = self->pod_cidrs;
  if (const std::string* v = Annotation(ann, kPodCidrs)) {
    pod_cidrs = SplitList(*v);
  } else if (const std::string* v1 = Annotation(ann, kPodCidr)) {
    pod_cidrs = SplitList(*v1);
  }
  for (const std::string& c : pod_cidrs) {
    auto p = Prefix::Parse(c);
    if (!p.ok()) {
      d.warnings.push_back(absl::StrCat("bad pod CIDR ", c));
      continue;
    }
    bool v4 = p->addr().is_v4();
    std::optional<IpAddress> nh = v4 ? ip4 : ip6;
    if (!nh || (v4 ? !o.enable_ipv4 : !o.enable_ipv6)) continue;
    std::string text = p->ToString();
    d.paths[text] = nh->ToString();
    AddPrefixEntry(&d, v4 ? "podcidrdefinedset" : "podcidrdefinedsetv6", text, p->length(),
                   p->length());
  }

  SliceIndex slice_index;  // (namespace, service) -> its EndpointSlices
  for (const EndpointSliceInfo* s : cluster.slices) {
    if (!s->service_name.empty()) slice_index[{s->ns, s->service_name}].push_back(s);
  }
  // Service VIPs (§2.1): advertise ∪ over services minus nothing (a shared VIP stays while
  // any service wants it, item 5).
  for (const ServiceInfo* svc : cluster.services) {
    if (svc->type == "ExternalName") continue;
    bool headless = svc->cluster_ips.empty() ||
                    std::any_of(svc->cluster_ips.begin(), svc->cluster_ips.end(),
                                [](const std::string& s) { return s == "None" || s.empty(); });
    if (headless) continue;
    const Annotations& sa = svc->annotations;
    std::optional<bool> local_ep;
    auto has_local = [&] {
      if (!local_ep) local_ep = HasReadyLocalEndpoint(*svc, *self, slice_index);
      return *local_ep;
    };
    std::vector<std::string> want;
    // 1. ClusterIPs; internalTrafficPolicy Local needs a local endpoint.
    if (Override(sa, kSvcAdvertiseClusterIp, o.advertise_cluster_ip) &&
        (!svc->internal_traffic_local || has_local())) {
      want.insert(want.end(), svc->cluster_ips.begin(), svc->cluster_ips.end());
    }
    bool ext_local = svc->external_traffic_local ||
                     absl::AsciiStrToLower(sa.count(kSvcLocal) ? sa.at(kSvcLocal) : "") == "true";
    // 2. ExternalIPs; 3. LoadBalancer ingress IPs; Local needs a local endpoint.
    if (Override(sa, kSvcAdvertiseExternalIp, o.advertise_external_ip) &&
        (!ext_local || has_local())) {
      want.insert(want.end(), svc->external_ips.begin(), svc->external_ips.end());
    }
    if (svc->type == "LoadBalancer" && sa.count(kSvcSkipLbIps) == 0 &&
        Override(sa, kSvcAdvertiseLbIp, o.advertise_loadbalancer_ip) &&
        (!ext_local || has_local())) {
      want.insert(want.end(), svc->lb_ingress_ips.begin(), svc->lb_ingress_ips.end());
    }
    for (const std::string& s : want) {
      std::optional<IpAddress> ip = ParseIp(s);
      if (!ip) continue;
      std::optional<IpAddress> nh = ip->is_v4() ? ip4 : ip6;
      if (!nh || (ip->is_v4() ? !o.enable_ipv4 : !o.enable_ipv6)) continue;
      std::string prefix = HostPrefix(*ip);
      if (d.paths.count(prefix) && !d.vips.count(prefix)) continue;  // a pod CIDR wins
      d.paths[prefix] = nh->ToString();
      d.vips.insert(prefix);
      AddPrefixEntry(&d, ip->is_v4() ? "servicevipsdefinedset" : "servicevipsdefinedsetv6",
                     prefix, ip->bit_length(), ip->bit_length());
    }
  }

  d.ok = true;
  // Policies (§2.5); none on route-reflector servers.
  if (rr_server != nullptr) {
    d.manage_policies = false;
    d.sets.clear();
    return d;
  }
  AddPrefixEntry(&d, "defaultroutedefinedset", "0.0.0.0/0", 0, 0);
  AddPrefixEntry(&d, "defaultroutedefinedsetv6", "::/0", 0, 0);
  if (const std::string* v = Annotation(ann, kCustomImportReject)) {
    for (const std::string& c : SplitList(*v)) {
      auto p = Prefix::Parse(c);
      if (!p.ok()) {
        d.warnings.push_back(absl::StrCat("bad ", kCustomImportReject, " entry ", c));
        continue;
      }
      bool v4 = p->addr().is_v4();
      AddPrefixEntry(&d, v4 ? "customimportrejectdefinedset" : "customimportrejectdefinedsetv6",
                     p->ToString(), p->length(), v4 ? 32 : 128);
    }
  }
  if (o.enable_ibgp) {
    for (const std::string& h : ibgp_hosts) {
      AddNeighborEntry(&d, h.find(':') == std::string::npos ? "iBGPpeerset" : "iBGPpeersetv6", h);
    }
  }
  for (const auto& [addr, p] : d.peers) {
    auto ip = ParseIp(addr);
    std::string h = HostPrefix(*ip);
    const char* sfx = ip->is_v4() ? "" : "v6";
    if (p.external) AddNeighborEntry(&d, absl::StrCat("externalpeerset", sfx).c_str(), h);
  }
  for (const char* sfx : {"", "v6"}) {
    for (const char* part : {"iBGPpeerset", "externalpeerset"}) {
      auto it = d.sets.find(absl::StrCat(part, sfx));
      if (it == d.sets.end()) continue;
      for (const SetEntry& e : it->second.entries) {
        AddNeighborEntry(&d, absl::StrCat("allpeerset", sfx).c_str(), e.prefix);
      }
    }
  }

  // Export actions towards external peers: prepend, communities, next-hop-self.
  uint32_t prepend_asn = 0;
  uint32_t prepend_repeat = 0;
  const std::string* pa = Annotation(ann, kPrependAs);
  const std::string* pr = Annotation(ann, kPrependRepeat);
  if (pa != nullptr && pr != nullptr) {
    uint32_t a = 0;
    uint32_t r = 0;
    if (ParseU32(*pa, &a) && a != 0 && ParseU32(*pr, &r) && r >= 1 && r <= 255) {
      prepend_asn = a;
      prepend_repeat = r;
    } else {
      d.warnings.push_back(absl::StrCat("bad path-prepend annotations: as=", *pa,
                                        " repeat-n=", *pr));
    }
  } else if (pa != nullptr || pr != nullptr) {
    d.warnings.push_back("path-prepend needs both path-prepend.as and path-prepend.repeat-n");
  }
  std::vector<uint32_t> communities;
  if (const std::string* v = Annotation(ann, kCommunities)) {
    for (const std::string& c : SplitList(*v)) {
      if (auto x = ParseCommunity(c)) {
        communities.push_back(*x);
      } else {
        d.warnings.push_back(absl::StrCat("bad community ", c, " in ", kCommunities));
      }
    }
  }
  auto has = [&](const std::string& name) { return d.sets.count(name) > 0; };
  for (const char* sfx : {"", "v6"}) {
    std::string pod = absl::StrCat("podcidrdefinedset", sfx);
    std::string vips = absl::StrCat("servicevipsdefinedset", sfx);
    std::string ibgp = absl::StrCat("iBGPpeerset", sfx);
    std::string ext = absl::StrCat("externalpeerset", sfx);
    std::string all = absl::StrCat("allpeerset", sfx);
    // Statements with an empty set are skipped: an empty set matches everything (§2.5).
    if (o.enable_ibgp && has(pod) && has(ibgp)) {
      d.export_statements.push_back({absl::StrCat("podcidr_to_ibgp", sfx), pod, ibgp, true});
    }
    if (has(ext)) {
      DesiredStatement tmpl;
      tmpl.neighbor_set = ext;
      tmpl.accept = true;
      tmpl.prepend_asn = prepend_asn;
      tmpl.prepend_repeat = prepend_repeat;
      tmpl.communities = communities;
      tmpl.nexthop_self = o.override_nexthop;
      if (has(vips)) {
        DesiredStatement s = tmpl;
        s.name = absl::StrCat("vips_to_external", sfx);
        s.prefix_set = vips;
        d.export_statements.push_back(s);
      }
      if (o.advertise_pod_cidr && has(pod)) {
        DesiredStatement s = tmpl;
        s.name = absl::StrCat("podcidr_to_external", sfx);
        s.prefix_set = pod;
        d.export_statements.push_back(s);
      }
    }
    if (has(all)) {
      std::string dflt = absl::StrCat("defaultroutedefinedset", sfx);
      std::string rej = absl::StrCat("customimportrejectdefinedset", sfx);
      if (has(vips)) {
        d.import_statements.push_back({absl::StrCat("reject_vips", sfx), vips, all, false});
      }
      d.import_statements.push_back({absl::StrCat("reject_default", sfx), dflt, all, false});
      if (has(rej)) {
        d.import_statements.push_back({absl::StrCat("reject_custom", sfx), rej, all, false});
      }
    }
  }
  return d;
}

}  // namespace kbgp::sidecar
