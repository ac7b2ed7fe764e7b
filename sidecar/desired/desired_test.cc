// kube-router's rules (../shared/reference/k8s-bgp.md, cited per case) as tables.
#include "sidecar/desired/desired.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kbgp::sidecar {
namespace {

NodeInfo Node(const std::string& name, const std::string& ip, std::vector<std::string> cidrs = {},
              Annotations a = {}) {
  NodeInfo n;
  n.name = name;
  n.internal_ips = {ip};
  n.pod_cidrs = std::move(cidrs);
  n.annotations = std::move(a);
  return n;
}

ServiceInfo Svc(const std::string& name, const std::string& type, std::vector<std::string> cluster,
                std::vector<std::string> external = {}, std::vector<std::string> lb = {},
                Annotations a = {}) {
  ServiceInfo s;
  s.ns = "default";
  s.name = name;
  s.type = type;
  s.cluster_ips = std::move(cluster);
  s.external_ips = std::move(external);
  s.lb_ingress_ips = std::move(lb);
  s.annotations = std::move(a);
  return s;
}

EndpointSliceInfo Slice(const std::string& svc, std::vector<EndpointInfo> eps) {
  EndpointSliceInfo e;
  e.ns = "default";
  e.name = svc + "-abc";
  e.service_name = svc;
  e.endpoints = std::move(eps);
  return e;
}

EndpointInfo Ep(const std::string& addr, std::optional<std::string> node, bool ready = true) {
  EndpointInfo e;
  e.addresses = {addr};
  e.node_name = std::move(node);
  e.ready = ready;
  return e;
}

struct World {
  std::vector<NodeInfo> nodes;
  std::vector<ServiceInfo> services;
  std::vector<EndpointSliceInfo> slices;
  DesiredState Compute(const Options& o, const std::string& self = "n1") const {
    ClusterView v;
    for (const auto& n : nodes) v.nodes.push_back(&n);
    for (const auto& s : services) v.services.push_back(&s);
    for (const auto& s : slices) v.slices.push_back(&s);
    return ComputeDesired(o, self, v);
  }
};

std::set<std::string> Vips(const DesiredState& d) { return d.vips; }

// §2.1: which service IPs a node advertises.
struct VipCase {
  const char* name;
  Options options;
  ServiceInfo svc;
  std::vector<EndpointSliceInfo> slices;
  std::set<std::string> want;
};

Options Flags(bool cluster, bool external, bool lb) {
  Options o;
  o.advertise_cluster_ip = cluster;
  o.advertise_external_ip = external;
  o.advertise_loadbalancer_ip = lb;
  return o;
}

ServiceInfo WithPolicy(ServiceInfo s, bool etp_local, bool itp_local) {
  s.external_traffic_local = etp_local;
  s.internal_traffic_local = itp_local;
  return s;
}

TEST(DesiredVips, Table) {
  const auto lb = Svc("web", "LoadBalancer", {"10.96.0.10"}, {"192.0.2.10"}, {"198.51.100.10"});
  const auto local_ready = Slice("web", {Ep("10.244.1.5", "n1", true)});
  const auto local_unready = Slice("web", {Ep("10.244.1.5", "n1", false)});
  const auto remote_ready = Slice("web", {Ep("10.244.2.5", "n2", true)});
  const auto by_address = Slice("web", {Ep("10.0.0.1", std::nullopt, true)});
  const std::vector<VipCase> cases = {
      {"flags off: nothing", Flags(false, false, false), lb, {}, {}},
      {"cluster ip flag", Flags(true, false, false), lb, {}, {"10.96.0.10/32"}},
      {"external ip flag", Flags(false, true, false), lb, {}, {"192.0.2.10/32"}},
      {"lb ip flag", Flags(false, false, true), lb, {}, {"198.51.100.10/32"}},
      {"all flags", Flags(true, true, true), lb, {},
       {"10.96.0.10/32", "192.0.2.10/32", "198.51.100.10/32"}},
      // §1.3: annotations override the flags in either direction.
      {"annotation enables lb ip", Flags(false, false, false),
       Svc("web", "LoadBalancer", {"10.96.0.10"}, {}, {"198.51.100.10"},
           {{kSvcAdvertiseLbIp, "true"}}),
       {}, {"198.51.100.10/32"}},
      {"annotation disables cluster ip", Flags(true, false, false),
       Svc("web", "ClusterIP", {"10.96.0.10"}, {}, {}, {{kSvcAdvertiseClusterIp, "false"}}), {},
       {}},
      {"annotation garbage keeps flag", Flags(true, false, false),
       Svc("web", "ClusterIP", {"10.96.0.10"}, {}, {}, {{kSvcAdvertiseClusterIp, "maybe"}}), {},
       {"10.96.0.10/32"}},
      // §2.1 item 3: LB IPs only for type LoadBalancer; skiplbips suppresses them.
      {"lb ip needs type LoadBalancer", Flags(false, false, true),
       Svc("web", "NodePort", {"10.96.0.10"}, {}, {"198.51.100.10"}), {}, {}},
      {"skiplbips", Flags(false, false, true),
       Svc("web", "LoadBalancer", {"10.96.0.10"}, {}, {"198.51.100.10"}, {{kSvcSkipLbIps, ""}}),
       {}, {}},
      // §2.1 item 1: headless and ExternalName services advertise nothing.
      {"headless", Flags(true, true, true), Svc("web", "ClusterIP", {"None"}, {"192.0.2.10"}), {},
       {}},
      {"external name", Flags(true, true, true), Svc("web", "ExternalName", {"10.96.0.10"}), {},
       {}},
      // §2.1 items 2-4 with readiness: externalTrafficPolicy Local.
      {"etp local, no slices", Flags(true, true, true), WithPolicy(lb, true, false), {},
       {"10.96.0.10/32"}},
      {"etp local, ready local endpoint", Flags(true, true, true), WithPolicy(lb, true, false),
       {local_ready}, {"10.96.0.10/32", "192.0.2.10/32", "198.51.100.10/32"}},
      {"etp local, unready local endpoint (kube-router would advertise)", Flags(true, true, true),
       WithPolicy(lb, true, false), {local_unready}, {"10.96.0.10/32"}},
      {"etp local, endpoint on another node", Flags(true, true, true),
       WithPolicy(lb, true, false), {remote_ready}, {"10.96.0.10/32"}},
      {"etp local, endpoint without nodeName matched by node IP", Flags(true, true, true),
       WithPolicy(lb, true, false), {by_address},
       {"10.96.0.10/32", "192.0.2.10/32", "198.51.100.10/32"}},
      {"service.local annotation acts as etp Local", Flags(false, false, true),
       Svc("web", "LoadBalancer", {"10.96.0.10"}, {}, {"198.51.100.10"}, {{kSvcLocal, "true"}}),
       {remote_ready}, {}},
      // §2.1 item 1: internalTrafficPolicy Local withdraws the ClusterIP only.
      {"itp local without local endpoint", Flags(true, true, true), WithPolicy(lb, false, true),
       {remote_ready}, {"192.0.2.10/32", "198.51.100.10/32"}},
      {"itp local with local endpoint", Flags(true, true, true), WithPolicy(lb, false, true),
       {local_ready}, {"10.96.0.10/32", "192.0.2.10/32", "198.51.100.10/32"}},
      {"slice of another service does not count", Flags(false, false, true),
       WithPolicy(lb, true, false), {Slice("other", {Ep("10.244.1.5", "n1")})}, {}},
      {"ipv6 vip without v6 enabled is skipped", Flags(false, false, true),
       Svc("web", "LoadBalancer", {"10.96.0.10"}, {}, {"2001:db8:1::10"}), {}, {}},
  };
  for (const VipCase& c : cases) {
    World w;
    w.nodes = {Node("n1", "10.0.0.1", {"10.244.1.0/24"}), Node("n2", "10.0.0.2")};
    w.services = {c.svc};
    w.slices = c.slices;
    DesiredState d = w.Compute(c.options);
    ASSERT_TRUE(d.ok) << c.name << ": " << d.error;
    EXPECT_EQ(Vips(d), c.want) << c.name;
    for (const std::string& v : c.want) EXPECT_EQ(d.paths.at(v), "10.0.0.1") << c.name;
  }
}

TEST(DesiredVips, SharedVipStaysWhileAnyServiceWantsIt) {
  // §2.1 item 5.
  World w;
  w.nodes = {Node("n1", "10.0.0.1")};
  ServiceInfo a = Svc("a", "LoadBalancer", {"10.96.0.1"}, {}, {"198.51.100.1"});
  a.external_traffic_local = true;  // no local endpoint: a withdraws
  ServiceInfo b = Svc("b", "LoadBalancer", {"10.96.0.2"}, {}, {"198.51.100.1"});
  w.services = {a, b};
  DesiredState d = w.Compute(Flags(false, false, true));
  EXPECT_EQ(d.vips, (std::set<std::string>{"198.51.100.1/32"}));
}

TEST(DesiredVips, Ipv6VipIs128WithV6NextHop) {
  World w;
  NodeInfo n = Node("n1", "10.0.0.1");
  n.internal_ips.push_back("2001:db8::1");
  w.nodes = {n};
  w.services = {Svc("a", "LoadBalancer", {"10.96.0.1"}, {}, {"2001:db8:1::10", "198.51.100.1"})};
  Options o = Flags(false, false, true);
  o.enable_ipv6 = true;
  DesiredState d = w.Compute(o);
  EXPECT_EQ(d.paths.at("2001:db8:1::10/128"), "2001:db8::1");
  EXPECT_EQ(d.paths.at("198.51.100.1/32"), "10.0.0.1");
  EXPECT_TRUE(d.sets.count("servicevipsdefinedsetv6"));
}

// §1.1, §1.2, §2.2: identity and pod CIDRs.
TEST(DesiredIdentity, Table) {
  struct Case {
    const char* name;
    Options options;
    NodeInfo self;
    bool ok;
    uint32_t asn;
    std::string router_id;
  };
  Options full;
  Options clusterasn;
  clusterasn.cluster_asn = 65010;
  Options partial;
  partial.nodes_full_mesh = false;
  Options rid;
  rid.router_id = "192.0.2.99";
  Options badrid;
  badrid.router_id = "x";
  const std::vector<Case> cases = {
      {"default asn 64512", full, Node("n1", "10.0.0.1"), true, 64512, "10.0.0.1"},
      {"cluster asn", clusterasn, Node("n1", "10.0.0.1"), true, 65010, "10.0.0.1"},
      {"node.asn ignored in full mesh", full, Node("n1", "10.0.0.1", {}, {{kNodeAsn, "65020"}}),
       true, 64512, "10.0.0.1"},
      {"node.asn without full mesh", partial, Node("n1", "10.0.0.1", {}, {{kNodeAsn, "65020"}}),
       true, 65020, "10.0.0.1"},
      {"no node.asn without full mesh is an error", partial, Node("n1", "10.0.0.1"), false, 0, ""},
      {"bad node.asn", partial, Node("n1", "10.0.0.1", {}, {{kNodeAsn, "x"}}), false, 0, ""},
      {"router id override", rid, Node("n1", "10.0.0.1"), true, 64512, "192.0.2.99"},
      {"bad router id", badrid, Node("n1", "10.0.0.1"), false, 0, ""},
      {"ipv6-only node needs --router-id", full, Node("n1", "2001:db8::1"), false, 0, ""},
  };
  for (const Case& c : cases) {
    World w;
    w.nodes = {c.self};
    DesiredState d = w.Compute(c.options);
    EXPECT_EQ(d.ok, c.ok) << c.name << ": " << d.error;
    if (!c.ok) continue;
    EXPECT_EQ(d.global.asn, c.asn) << c.name;
    EXPECT_EQ(d.global.router_id, c.router_id) << c.name;
    EXPECT_EQ(d.global.listen_port, 179) << c.name;
  }
}

TEST(DesiredIdentity, UnknownNodeIsNotOk) {
  World w;
  w.nodes = {Node("n2", "10.0.0.2")};
  DesiredState d = w.Compute(Options());
  EXPECT_FALSE(d.ok);
  EXPECT_NE(d.error.find("not found"), std::string::npos);
}

TEST(DesiredPodCidr, Table) {
  struct Case {
    const char* name;
    NodeInfo self;
    std::map<std::string, std::string> want;
  };
  NodeInfo dual = Node("n1", "10.0.0.1", {"10.244.1.0/24", "fd00:244:1::/64"});
  dual.internal_ips.push_back("fd00::1");
  NodeInfo v6only = Node("n1", "fd00::1", {"10.244.1.0/24", "fd00:244:1::/64"});
  const std::vector<Case> cases = {
      {"spec.podCIDRs", Node("n1", "10.0.0.1", {"10.244.1.0/24"}), {{"10.244.1.0/24", "10.0.0.1"}}},
      {"pod-cidr annotation overrides", Node("n1", "10.0.0.1", {"10.244.1.0/24"},
                                              {{kPodCidr, "10.250.0.0/24"}}),
       {{"10.250.0.0/24", "10.0.0.1"}}},
      {"pod-cidrs annotation overrides", Node("n1", "10.0.0.1", {"10.244.1.0/24"},
                                               {{kPodCidrs, "10.250.0.0/24,10.251.0.0/24"}}),
       {{"10.250.0.0/24", "10.0.0.1"}, {"10.251.0.0/24", "10.0.0.1"}}},
      {"bad cidr skipped", Node("n1", "10.0.0.1", {"10.244.1.7/24"}), {}},
      {"dual stack", dual, {{"10.244.1.0/24", "10.0.0.1"}, {"fd00:244:1::/64", "fd00::1"}}},
  };
  Options o;
  o.enable_ipv6 = true;
  for (const Case& c : cases) {
    World w;
    w.nodes = {c.self};
    DesiredState d = w.Compute(o);
    ASSERT_TRUE(d.ok) << c.name << d.error;
    EXPECT_EQ(d.paths, c.want) << c.name;
  }
  // §2.2: no IPv4 CIDR on an IPv6-only node (it needs --router-id).
  World w;
  w.nodes = {v6only};
  o.router_id = "192.0.2.1";
  DesiredState d = w.Compute(o);
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.paths, (std::map<std::string, std::string>{{"fd00:244:1::/64", "fd00::1"}}));
}

// §2.6: peering topology.
TEST(DesiredPeers, FullMeshAndExternal) {
  World w;
  w.nodes = {Node("n1", "10.0.0.1"), Node("n2", "10.0.0.2"), Node("n3", "10.0.0.3"),
             Node("n6", "2001:db8::6")};
  Options o;
  o.peer_router_ips = {"10.0.0.100", "10.0.0.101"};
  o.peer_router_asns = {65001, 65002};
  o.peer_router_ports = {1179};
  o.peer_router_passwords = {"c2VjcmV0", ""};  // "secret"
  o.peer_router_multihop_ttl = 4;
  DesiredState d = w.Compute(o);
  ASSERT_TRUE(d.ok) << d.error;
  ASSERT_EQ(d.peers.size(), 4u);  // n2, n3 (n6 is another family), two routers
  EXPECT_EQ(d.peers.at("10.0.0.2").asn, 64512u);
  EXPECT_FALSE(d.peers.at("10.0.0.2").external);
  EXPECT_EQ(d.peers.at("10.0.0.2").local_address, "10.0.0.1");
  EXPECT_EQ(d.peers.at("10.0.0.2").multihop_ttl, 0u);
  const DesiredPeer& r1 = d.peers.at("10.0.0.100");
  EXPECT_TRUE(r1.external);
  EXPECT_EQ(r1.asn, 65001u);
  EXPECT_EQ(r1.remote_port, 1179u);
  EXPECT_EQ(r1.password, "secret");
  EXPECT_EQ(r1.multihop_ttl, 4u);
  EXPECT_EQ(d.peers.at("10.0.0.101").remote_port, 179u);
  EXPECT_EQ(d.peers.at("10.0.0.101").password, "");
}

TEST(DesiredPeers, Table) {
  struct Case {
    const char* name;
    Options options;
    std::vector<NodeInfo> nodes;
    std::map<std::string, uint32_t> want;  // address -> asn
  };
  Options full;
  Options partial;
  partial.nodes_full_mesh = false;
  Options noibgp;
  noibgp.enable_ibgp = false;
  Options flagpeer;
  flagpeer.peer_router_ips = {"10.0.0.100"};
  flagpeer.peer_router_asns = {65001};
  Options mismatch;
  mismatch.peer_router_ips = {"10.0.0.100", "10.0.0.101"};
  mismatch.peer_router_asns = {65001};
  const Annotations peer_ann = {{kPeerIps, "10.0.0.200,10.0.0.201"},
                                {kPeerAsns, "65100,65101"}};
  const std::vector<Case> cases = {
      {"full mesh", full, {Node("n1", "10.0.0.1"), Node("n2", "10.0.0.2")}, {{"10.0.0.2", 64512}}},
      {"enable-ibgp=false", noibgp, {Node("n1", "10.0.0.1"), Node("n2", "10.0.0.2")}, {}},
      {"non-full-mesh: same node.asn only", partial,
       {Node("n1", "10.0.0.1", {}, {{kNodeAsn, "65020"}}),
        Node("n2", "10.0.0.2", {}, {{kNodeAsn, "65020"}}),
        Node("n3", "10.0.0.3", {}, {{kNodeAsn, "65030"}}), Node("n4", "10.0.0.4")},
       {{"10.0.0.2", 65020}}},
      {"peer.* annotations", full, {Node("n1", "10.0.0.1", {}, peer_ann)},
       {{"10.0.0.200", 65100}, {"10.0.0.201", 65101}}},
      {"--peer-router-ips win over peer.* annotations", flagpeer,
       {Node("n1", "10.0.0.1", {}, peer_ann)}, {{"10.0.0.100", 65001}}},
      {"ips and asns of different lengths: ignored", mismatch, {Node("n1", "10.0.0.1")}, {}},
      {"peer.* with a bad asn skips that peer", full,
       {Node("n1", "10.0.0.1", {}, {{kPeerIps, "10.0.0.200,10.0.0.201"}, {kPeerAsns, "x,65101"}})},
       {{"10.0.0.201", 65101}}},
      {"external peer of the other family skipped", full,
       {Node("n1", "10.0.0.1", {}, {{kPeerIps, "2001:db8::100"}, {kPeerAsns, "65100"}})}, {}},
      {"kube-router.io/peers YAML", full,
       {Node("n1", "10.0.0.1", {}, {{kPeers, "- remoteip: 10.0.0.210\n  remoteasn: 65210\n"
                                             "- {remoteip: 10.0.0.211, remoteasn: 65211, "
                                             "port: 1179, password: c2VjcmV0}\n"}})},
       {{"10.0.0.210", 65210}, {"10.0.0.211", 65211}}},
      {"kube-router.io/peers wins over peer.*", full,
       {Node("n1", "10.0.0.1", {}, {{kPeers, "- {remoteip: 10.0.0.210, remoteasn: 65210}"},
                                    {kPeerIps, "10.0.0.200"}, {kPeerAsns, "65100"}})},
       {{"10.0.0.210", 65210}}},
      {"kube-router.io/peers garbage: no peers", full,
       {Node("n1", "10.0.0.1", {}, {{kPeers, "{not: [a list"}})}, {}},
      {"kube-router.io/peers entry without remoteasn skipped", full,
       {Node("n1", "10.0.0.1", {}, {{kPeers, "- {remoteip: 10.0.0.210}\n"
                                             "- {remoteip: 10.0.0.211, remoteasn: 65211}"}})},
       {{"10.0.0.211", 65211}}},
      {"rr client peers only with rr servers", full,
       {Node("n1", "10.0.0.1", {}, {{kRrClient, "1"}}),
        Node("n2", "10.0.0.2", {}, {{kRrServer, "1"}}), Node("n3", "10.0.0.3")},
       {{"10.0.0.2", 64512}}},
  };
  for (const Case& c : cases) {
    World w;
    w.nodes = c.nodes;
    DesiredState d = w.Compute(c.options);
    ASSERT_TRUE(d.ok) << c.name << ": " << d.error;
    std::map<std::string, uint32_t> got;
    for (const auto& [a, p] : d.peers) got[a] = p.asn;
    EXPECT_EQ(got, c.want) << c.name;
  }
}

TEST(DesiredPeers, PeersYamlCarriesPortPasswordAndLocalIp) {
  World w;
  NodeInfo n = Node("n1", "10.0.0.1", {}, {{kPeers, R"(- remoteip: 10.0.0.211
  remoteasn: 65211
  port: 1179
  password: c2VjcmV0
  localip: 10.0.0.1
)"}});
  w.nodes = {n};
  DesiredState d = w.Compute(Options());
  ASSERT_TRUE(d.ok);
  const DesiredPeer& p = d.peers.at("10.0.0.211");
  EXPECT_EQ(p.remote_port, 1179u);
  EXPECT_EQ(p.password, "secret");
  EXPECT_EQ(p.local_address, "10.0.0.1");
  EXPECT_TRUE(p.external);
}

TEST(DesiredPeers, RouteReflectorServerMarksClientsAndHasNoPolicies) {
  World w;
  w.nodes = {Node("n1", "10.0.0.1", {"10.244.1.0/24"}, {{kRrServer, "10.0.0.1"}}),
             Node("n2", "10.0.0.2", {}, {{kRrClient, "10.0.0.1"}}), Node("n3", "10.0.0.3")};
  DesiredState d = w.Compute(Options());
  ASSERT_TRUE(d.ok);
  EXPECT_TRUE(d.peers.at("10.0.0.2").rr_client);
  EXPECT_EQ(d.peers.at("10.0.0.2").rr_cluster_id, "10.0.0.1");
  EXPECT_FALSE(d.peers.at("10.0.0.3").rr_client);
  EXPECT_FALSE(d.manage_policies);  // §2.5 RR servers
  EXPECT_TRUE(d.sets.empty());
  EXPECT_TRUE(d.export_statements.empty());
}

TEST(DesiredPeers, GracefulRestartFlags) {
  World w;
  w.nodes = {Node("n1", "10.0.0.1"), Node("n2", "10.0.0.2")};
  Options o;
  o.bgp_graceful_restart = true;
  o.bgp_graceful_restart_time = 120;
  o.bgp_graceful_restart_deferral_time = 200;
  DesiredState d = w.Compute(o);
  EXPECT_TRUE(d.peers.at("10.0.0.2").graceful_restart);
  EXPECT_EQ(d.peers.at("10.0.0.2").restart_time, 120u);
  EXPECT_EQ(d.peers.at("10.0.0.2").deferral_time, 200u);
}

// §2.5: defined sets and statements.
TEST(DesiredPolicy, SetsAndStatements) {
  World w;
  w.nodes = {Node("n1", "10.0.0.1", {"10.244.1.0/24"},
                  {{kPrependAs, "65000"}, {kPrependRepeat, "3"},
                   {kCommunities, "65000:100,no-export,42"},
                   {kCustomImportReject, "10.10.0.0/16"}}),
             Node("n2", "10.0.0.2")};
  w.services = {Svc("a", "LoadBalancer", {"10.96.0.1"}, {}, {"198.51.100.1"})};
  Options o = Flags(false, false, true);
  o.peer_router_ips = {"10.0.0.100"};
  o.peer_router_asns = {65001};
  o.override_nexthop = true;
  DesiredState d = w.Compute(o);
  ASSERT_TRUE(d.ok);
  EXPECT_TRUE(d.warnings.empty());
  using E = std::set<SetEntry>;
  EXPECT_EQ(d.sets.at("podcidrdefinedset").entries, (E{{"10.244.1.0/24", 24, 24}}));
  EXPECT_EQ(d.sets.at("servicevipsdefinedset").entries, (E{{"198.51.100.1/32", 32, 32}}));
  EXPECT_EQ(d.sets.at("defaultroutedefinedset").entries, (E{{"0.0.0.0/0", 0, 0}}));
  EXPECT_EQ(d.sets.at("customimportrejectdefinedset").entries, (E{{"10.10.0.0/16", 16, 32}}));
  EXPECT_EQ(d.sets.at("iBGPpeerset").entries, (E{{"10.0.0.1/32"}, {"10.0.0.2/32"}}));
  EXPECT_EQ(d.sets.at("externalpeerset").entries, (E{{"10.0.0.100/32"}}));
  EXPECT_EQ(d.sets.at("allpeerset").entries,
            (E{{"10.0.0.1/32"}, {"10.0.0.100/32"}, {"10.0.0.2/32"}}));
  EXPECT_FALSE(d.sets.count("podcidrdefinedsetv6"));  // empty sets are not made
  ASSERT_EQ(d.export_statements.size(), 3u);
  EXPECT_EQ(d.export_statements[0].prefix_set, "podcidrdefinedset");
  EXPECT_EQ(d.export_statements[0].neighbor_set, "iBGPpeerset");
  EXPECT_EQ(d.export_statements[0].prepend_repeat, 0u);  // iBGP: no actions
  for (int i : {1, 2}) {
    const DesiredStatement& s = d.export_statements[i];
    EXPECT_EQ(s.neighbor_set, "externalpeerset");
    EXPECT_TRUE(s.accept);
    EXPECT_EQ(s.prepend_asn, 65000u);
    EXPECT_EQ(s.prepend_repeat, 3u);
    EXPECT_EQ(s.communities, (std::vector<uint32_t>{(65000u << 16) | 100, 0xFFFFFF01, 42}));
    EXPECT_TRUE(s.nexthop_self);
  }
  EXPECT_EQ(d.export_statements[1].prefix_set, "servicevipsdefinedset");
  EXPECT_EQ(d.export_statements[2].prefix_set, "podcidrdefinedset");
  ASSERT_EQ(d.import_statements.size(), 3u);
  for (const auto& s : d.import_statements) {
    EXPECT_FALSE(s.accept);
    EXPECT_EQ(s.neighbor_set, "allpeerset");
  }
  EXPECT_EQ(d.import_statements[0].prefix_set, "servicevipsdefinedset");
  EXPECT_EQ(d.import_statements[1].prefix_set, "defaultroutedefinedset");
  EXPECT_EQ(d.import_statements[2].prefix_set, "customimportrejectdefinedset");
}

TEST(DesiredPolicy, AdvertisePodCidrFalseKeepsPodCidrFromExternalPeers) {
  World w;
  w.nodes = {Node("n1", "10.0.0.1", {"10.244.1.0/24"})};
  Options o;
  o.advertise_pod_cidr = false;
  o.peer_router_ips = {"10.0.0.100"};
  o.peer_router_asns = {65001};
  DesiredState d = w.Compute(o);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.paths.count("10.244.1.0/24"), 1u);  // iBGP peers always get it (§1.1)
  for (const auto& s : d.export_statements) {
    EXPECT_FALSE(s.prefix_set == "podcidrdefinedset" && s.neighbor_set == "externalpeerset");
  }
}

TEST(DesiredPolicy, BadAnnotationsAreWarningsNotErrors) {
  struct Case {
    const char* name;
    Annotations a;
    uint32_t repeat;
    size_t communities;
  };
  const std::vector<Case> cases = {
      {"prepend without repeat", {{kPrependAs, "65000"}}, 0, 0},
      {"prepend repeat 0", {{kPrependAs, "65000"}, {kPrependRepeat, "0"}}, 0, 0},
      {"prepend repeat 256 (8-bit)", {{kPrependAs, "65000"}, {kPrependRepeat, "256"}}, 0, 0},
      {"prepend as garbage", {{kPrependAs, "x"}, {kPrependRepeat, "2"}}, 0, 0},
      {"prepend ok", {{kPrependAs, "65000"}, {kPrependRepeat, "2"}}, 2, 0},
      {"community out of range", {{kCommunities, "70000:1,1:2"}}, 0, 1},
      {"community garbage", {{kCommunities, "nope"}}, 0, 0},
  };
  for (const Case& c : cases) {
    World w;
    w.nodes = {Node("n1", "10.0.0.1", {"10.244.1.0/24"}, c.a)};
    Options o;
    o.peer_router_ips = {"10.0.0.100"};
    o.peer_router_asns = {65001};
    DesiredState d = w.Compute(o);
    ASSERT_TRUE(d.ok) << c.name;
    ASSERT_FALSE(d.export_statements.empty()) << c.name;
    const DesiredStatement& s = d.export_statements.back();
    EXPECT_EQ(s.prepend_repeat, c.repeat) << c.name;
    EXPECT_EQ(s.communities.size(), c.communities) << c.name;
    if (c.repeat == 0 || c.communities != 0) {
      EXPECT_FALSE(d.warnings.empty()) << c.name;
    }
  }
}

TEST(DesiredHelpers, Communities) {
  EXPECT_EQ(ParseCommunity("65000:100"), (65000u << 16) | 100);
  EXPECT_EQ(ParseCommunity("no-export"), 0xFFFFFF01u);
  EXPECT_EQ(ParseCommunity("NO-ADVERTISE"), 0xFFFFFF02u);
  EXPECT_EQ(ParseCommunity("4294967295"), 0xFFFFFFFFu);
  EXPECT_EQ(ParseCommunity("4294967296"), std::nullopt);
  EXPECT_EQ(ParseCommunity("1:2:3"), std::nullopt);
  EXPECT_EQ(ParseCommunity(""), std::nullopt);
}

TEST(DesiredHelpers, Base64) {
  EXPECT_EQ(DecodeBase64("c2VjcmV0"), "secret");
  EXPECT_EQ(DecodeBase64("YQ=="), "a");
  EXPECT_EQ(DecodeBase64("YQ"), "a");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_EQ(DecodeBase64("@@@@"), std::nullopt);
  EXPECT_EQ(DecodeBase64("Y"), std::nullopt);
}

TEST(DesiredModel, ParsesApiJson) {
  auto node = ParseNode(nlohmann::json::parse(R"({
    "metadata": {"name": "n1", "annotations": {"kube-router.io/node.asn": "65001", "x": 5}},
    "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24", "fd00::/64"]},
    "status": {"addresses": [{"type": "Hostname", "address": "n1"},
                             {"type": "InternalIP", "address": "10.0.0.1"},
                             {"type": "ExternalIP", "address": "192.0.2.1"}]}})"));
  EXPECT_EQ(node.name, "n1");
  EXPECT_EQ(node.internal_ips, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(node.external_ips, std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(node.pod_cidrs.size(), 2u);
  EXPECT_EQ(node.annotations.size(), 1u);  // the non-string one is dropped
  auto svc = ParseService(nlohmann::json::parse(R"({
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
             "externalTrafficPolicy": "Local", "internalTrafficPolicy": "Cluster"},
    "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"},
                                            {"ip": "198.51.100.2", "ipMode": "Proxy"},
                                            {"hostname": "lb.example"}]}}})"));
  EXPECT_EQ(svc.cluster_ips, std::vector<std::string>{"10.96.0.1"});
  EXPECT_EQ(svc.lb_ingress_ips, std::vector<std::string>{"198.51.100.1"});  // Proxy skipped
  EXPECT_TRUE(svc.external_traffic_local);
  EXPECT_FALSE(svc.internal_traffic_local);
  auto slice = ParseEndpointSlice(nlohmann::json::parse(R"({
    "metadata": {"name": "web-1", "namespace": "default",
                 "labels": {"kubernetes.io/service-name": "web"}},
    "endpoints": [{"addresses": ["10.244.1.5"], "nodeName": "n1", "conditions": {"ready": false}},
                  {"addresses": ["10.244.2.5"], "conditions": {}}]})"));
  EXPECT_EQ(slice.service_name, "web");
  ASSERT_EQ(slice.endpoints.size(), 2u);
  EXPECT_FALSE(slice.endpoints[0].ready);
  EXPECT_EQ(slice.endpoints[0].node_name, "n1");
  EXPECT_TRUE(slice.endpoints[1].ready);  // absent = ready
  EXPECT_FALSE(slice.endpoints[1].node_name.has_value());
  // Wrong types everywhere: no crash, empty fields.
  auto junk = ParseService(nlohmann::json::parse(R"({"metadata": 5, "spec": {"clusterIPs": "x"},
                                                     "status": []})"));
  EXPECT_TRUE(junk.name.empty());
  EXPECT_TRUE(junk.cluster_ips.empty());
  auto junk2 = ParseNode(nlohmann::json::parse("[1,2]"));
  EXPECT_TRUE(junk2.name.empty());
}

}  // namespace
}  // namespace kbgp::sidecar
