// Golden tests of kbgp's renderers: each output is compared with a file under cli/testdata/
// (KBGP_UPDATE_GOLDEN=1 rewrites them; review the diff). The expected texts were checked
// against GoBGP 3.10's `gobgp` output on the same data (integration/api_cli_test.py runs
// both CLIs against both daemons).
#include "cli/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "api/attribute.pb.h"
#include "cli/completion.h"
#include "cli/gojson.h"
#include "cli/parse.h"

namespace kbgp::cli {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void Golden(const std::string& name, const std::string& got) {
  std::string path = std::string(KBGP_CLI_TESTDATA) + "/" + name;
  if (const char* u = std::getenv("KBGP_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::ofstream(path) << got;
  }
  EXPECT_EQ(ReadFile(path), got) << "golden file " << path;
}

template <typename T>
void Add(apipb::Path* p, const T& m) {
  p->add_pattrs()->PackFrom(m, "type.googleapis.com");
}

apipb::Path MakePath(const std::string& prefix, uint32_t len, const std::string& nh,
                     std::vector<uint32_t> as, uint32_t origin, int64_t age) {
  apipb::Path p;
  apipb::IPAddressPrefix n;
  n.set_prefix(prefix);
  n.set_prefix_len(len);
  p.mutable_nlri()->PackFrom(n, "type.googleapis.com");
  bool v6 = prefix.find(':') != std::string::npos;
  p.mutable_family()->set_afi(v6 ? apipb::Family::AFI_IP6 : apipb::Family::AFI_IP);
  p.mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
  apipb::OriginAttribute o;
  o.set_origin(origin);
  Add(&p, o);
  apipb::AsPathAttribute a;
  if (!as.empty()) {
    auto* s = a.add_segments();
    s->set_type(apipb::AsSegment::AS_SEQUENCE);
    for (uint32_t x : as) s->add_numbers(x);
  }
  Add(&p, a);
  if (v6) {
    apipb::MpReachNLRIAttribute m;
    *m.mutable_family() = p.family();
    m.add_next_hops(nh);
    *m.add_nlris() = p.nlri();
    Add(&p, m);
  } else {
    apipb::NextHopAttribute h;
    h.set_next_hop(nh);
    Add(&p, h);
  }
  p.mutable_age()->set_seconds(age);
  return p;
}

constexpr int64_t kNow = 1700000000;

std::string Table(const std::vector<apipb::Path>& paths, RouteTableOptions o) {
  RouteTable table(o);
  for (const auto& p : paths) {
    PathText t;
    std::string err;
    EXPECT_TRUE(DecodePath(p, false, &t, &err)) << err;
    table.Add(p, t, kNow);
  }
  std::string out;
  table.Render(&out);
  return out;
}

TEST(RouteTable, GlobalMarkersAndAttrs) {
  std::vector<apipb::Path> ps;
  ps.push_back(MakePath("10.1.0.0", 16, "10.0.0.2", {65001, 65010}, 2, kNow - 75));
  apipb::MultiExitDiscAttribute med;
  med.set_med(10);
  Add(&ps.back(), med);
  apipb::CommunitiesAttribute c;
  c.add_communities(65001u << 16 | 100);
  c.add_communities(0xffffff01);
  Add(&ps.back(), c);
  ps.back().set_best(true);
  ps.push_back(
      MakePath("10.1.0.0", 16, "10.0.0.3", {65000, 65020, 65021}, 0, kNow - 3 * 86400 - 5));
  apipb::LocalPrefAttribute lp;
  lp.set_local_pref(200);
  Add(&ps.back(), lp);
  apipb::LargeCommunitiesAttribute lc;
  auto* l = lc.add_communities();
  l->set_global_admin(65001);
  l->set_local_data1(2);
  l->set_local_data2(3);
  Add(&ps.back(), lc);
  ps.push_back(MakePath("10.61.0.0", 24, "0.0.0.0", {}, 2, kNow));
  ps.back().set_best(true);
  RouteTableOptions o;
  o.show_best = true;
  Golden("table_global.txt", Table(ps, o));
}

TEST(RouteTable, EmptyTableIsHeaderOnly) {
  RouteTableOptions o;
  o.show_best = true;
  Golden("table_empty.txt", Table({}, o));
}

TEST(RouteTable, LongAsPathWidensTheColumn) {
  std::vector<uint32_t> as;
  for (uint32_t i = 0; i < 12; ++i) as.push_back(4200000000u + i);
  std::vector<apipb::Path> ps;
  ps.push_back(MakePath("192.0.2.0", 24, "10.0.0.2", as, 0, kNow - 1));
  ps.back().set_best(true);
  ps.push_back(MakePath("198.51.100.0", 24, "10.0.0.2", {65001}, 0, kNow - 1));
  RouteTableOptions o;
  o.show_best = true;
  Golden("table_long_aspath.txt", Table(ps, o));
}

TEST(RouteTable, Ipv6AdjInWithIds) {
  std::vector<apipb::Path> ps;
  ps.push_back(MakePath("2001:db8:1234:5678:9abc::", 80, "2001:db8:ffff:ffff:ffff::1", {65001}, 1,
                        kNow - 3600));
  ps.back().set_identifier(7);
  ps.push_back(MakePath("2001:db8:2::", 48, "2001:db8::2", {65001, 65002}, 0, kNow - 59));
  RouteTableOptions o;
  o.show_id = RouteTableOptions::Id::kReceive;
  Golden("table_ipv6_adjin.txt", Table(ps, o));
}

TEST(RouteTable, AdjOutHasNoAge) {
  std::vector<apipb::Path> ps;
  ps.push_back(MakePath("10.2.0.0", 16, "10.0.0.1", {65000}, 2, kNow));
  ps.back().set_local_identifier(1);
  apipb::ExtendedCommunitiesAttribute ec;
  apipb::TwoOctetAsSpecificExtended rt;
  rt.set_is_transitive(true);
  rt.set_sub_type(2);
  rt.set_asn(65000);
  rt.set_local_admin(100);
  ec.add_communities()->PackFrom(rt, "type.googleapis.com");
  Add(&ps.back(), ec);
  apipb::AtomicAggregateAttribute aa;
  Add(&ps.back(), aa);
  apipb::OriginatorIdAttribute oid;
  oid.set_id("10.9.9.9");
  Add(&ps.back(), oid);
  apipb::ClusterListAttribute cl;
  cl.add_ids("1.1.1.1");
  cl.add_ids("2.2.2.2");
  Add(&ps.back(), cl);
  RouteTableOptions o;
  o.show_age = false;
  o.show_id = RouteTableOptions::Id::kSend;
  Golden("table_adjout.txt", Table(ps, o));
}

TEST(RouteTable, StaleAndInvalidNextHopMarkers) {
  std::vector<apipb::Path> ps;
  ps.push_back(MakePath("10.0.0.0", 8, "10.0.0.2", {65001}, 0, kNow));
  ps.back().set_stale(true);
  ps.back().set_best(true);
  ps.push_back(MakePath("10.0.0.0", 8, "10.0.0.3", {65002}, 0, kNow));
  ps.back().set_best(true);
  ps.back().set_is_nexthop_invalid(true);
  RouteTableOptions o;
  o.show_best = true;
  Golden("table_markers.txt", Table(ps, o));
}

TEST(Json, PathsAsGobgp) {
  apipb::Path p = MakePath("2001:db8:1::", 48, "2001:db8::2", {65001, 65010}, 2, 1700000000);
  apipb::LargeCommunitiesAttribute lc;
  auto* l = lc.add_communities();
  l->set_global_admin(65001);
  l->set_local_data1(1);
  l->set_local_data2(1);
  Add(&p, lc);
  p.set_best(true);
  p.set_source_id("10.0.0.2");
  p.set_neighbor_ip("2001:db8::2");
  PathText t;
  std::string err;
  ASSERT_TRUE(DecodePath(p, true, &t, &err)) << err;
  std::vector<JsonDestination> d(1);
  d[0].prefix = "2001:db8:1::/48";
  d[0].paths_json = "[";
  AppendPathJson(p, t, &d[0].paths_json);
  d[0].paths_json += "]";
  std::string out;
  RenderDestinationsJson(d, &out);
  Golden("rib_ipv6.json", out);
}

TEST(Json, GoEncodingOfProtoMessages) {
  apipb::Global gl;
  gl.set_asn(65000);
  gl.set_router_id("10.0.0.1");
  gl.set_listen_port(179);
  gl.add_listen_addresses("0.0.0.0");
  gl.add_listen_addresses("::");
  std::string out;
  AppendGoJson(gl, &out);
  EXPECT_EQ(out, R"({"asn":65000,"router_id":"10.0.0.1","listen_port":179,)"
                 R"("listen_addresses":["0.0.0.0","::"]})");
  out.clear();
  AppendGoJson(apipb::Global(), &out);
  EXPECT_EQ(out, "{}");
  out.clear();
  AppendJsonString("a<b>&\"\n", &out);
  EXPECT_EQ(out, R"("a\u003cb\u003e\u0026\"\n")");
  out.clear();
  AppendBase64("COj7Aw", &out);
  EXPECT_EQ(out, "Q09qN0F3");
}

TEST(Neighbors, ListSortedIpv4First) {
  std::vector<apipb::Peer> peers(3);
  const char* addrs[] = {"2001:db8::2", "10.0.0.10", "10.0.0.9"};
  for (int i = 0; i < 3; ++i) {
    peers[i].mutable_conf()->set_neighbor_address(addrs[i]);
    peers[i].mutable_state()->set_neighbor_address(addrs[i]);
    peers[i].mutable_state()->set_peer_asn(i == 1 ? 4200000001u : 65001);
    peers[i].mutable_state()->set_session_state(i == 0 ? apipb::PeerState::ESTABLISHED
                                                       : apipb::PeerState::ACTIVE);
    peers[i].mutable_timers()->mutable_state()->mutable_uptime()->set_seconds(kNow - 100000);
    peers[i].mutable_timers()->mutable_state()->mutable_downtime()->set_seconds(kNow - 30);
    auto* a = peers[i].add_afi_safis()->mutable_state();
    a->mutable_family()->set_afi(apipb::Family::AFI_IP);
    a->mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
    a->set_received(1000 * i);
    a->set_accepted(999 * i);
  }
  peers[2].mutable_state()->set_admin_state(apipb::PeerState::DOWN);
  peers[2].mutable_timers()->mutable_state()->clear_uptime();
  std::string out;
  RenderNeighbors(peers, "", kNow, false, &out);
  Golden("neighbors.txt", out);
  out.clear();
  RenderNeighbors({}, "", kNow, false, &out);
  EXPECT_EQ(out, "Peer AS Up/Down State       |#Received  Accepted\n");
}

TEST(Policy, SetsStatementsAssignments) {
  std::vector<apipb::DefinedSet> sets(2);
  sets[0].set_name("ps-v4");
  auto* p = sets[0].add_prefixes();
  p->set_ip_prefix("10.1.0.0/16");
  p->set_mask_length_min(16);
  p->set_mask_length_max(24);
  p = sets[0].add_prefixes();
  p->set_ip_prefix("10.11.0.0/16");
  p->set_mask_length_min(24);
  p->set_mask_length_max(24);
  sets[1].set_name("ps-empty");
  std::string out;
  RenderDefinedSets(sets, "PREFIX", &out);
  RenderDefinedSets({}, "PREFIX", &out);
  apipb::DefinedSet cs;
  cs.set_name("cs");
  cs.add_list("^65001:100$");
  cs.add_list("^^65001:101$$");
  RenderDefinedSets({cs}, "COMMUNITY", &out);
  absl::StatusOr<apipb::Statement> c = ParseCondition("st", "add", {"prefix", "ps-v4", "invert"});
  ASSERT_TRUE(c.ok());
  apipb::Statement st = *c;
  st.mutable_conditions()->set_rpki_result(-1);
  auto a = ParseAction("st", "add", {"community", "add", "65000:999"});
  ASSERT_TRUE(a.ok());
  *st.mutable_actions() = a->actions();
  st.mutable_actions()->mutable_med()->set_type(apipb::MedAction::MOD);
  st.mutable_actions()->mutable_med()->set_value(5);
  st.mutable_actions()->mutable_as_prepend()->set_asn(65000);
  st.mutable_actions()->mutable_as_prepend()->set_repeat(2);
  st.mutable_actions()->set_route_action(apipb::ACCEPT);
  RenderStatement(0, st, &out);
  apipb::PolicyAssignment pa;
  pa.set_default_action(apipb::REJECT);
  apipb::Policy* pol = pa.add_policies();
  pol->set_name("pol-in");
  *pol->add_statements() = st;
  RenderAssignment("import", 4, pa, &out);
  Golden("policy.txt", out);
}

TEST(Summary, GlobalAndMonitorLine) {
  apipb::Family f;
  f.set_afi(apipb::Family::AFI_IP6);
  f.set_safi(apipb::Family::SAFI_UNICAST);
  std::string out;
  RenderTableSummary(f, 12, 14, &out);
  EXPECT_EQ(out, "Table afi:AFI_IP6 safi:SAFI_UNICAST\nDestination: 12, Path: 14\n");
  apipb::Path p = MakePath("10.70.0.0", 24, "0.0.0.0", {65170}, 2, kNow);
  PathText t;
  std::string err;
  ASSERT_TRUE(DecodePath(p, false, &t, &err));
  out.clear();
  RenderMonitorPath("2026-01-02T03:04:05Z", true, t, &out);
  EXPECT_EQ(out,
            "2026-01-02T03:04:05Z [DELROUTE] 10.70.0.0/24 via 0.0.0.0 aspath [65170] "
            "attrs [{Origin: ?}]\n");
  EXPECT_EQ(FormatTimedelta(kNow, kNow - 86400 * 2 - 3661), "2d 01:01:01");
  EXPECT_EQ(FormatTimedelta(kNow, kNow + 5), "00:00:05");
}

TEST(Parse, PathAttributesInTypeOrder) {
  apipb::Family f;
  f.set_afi(apipb::Family::AFI_IP);
  f.set_safi(apipb::Family::SAFI_UNICAST);
  auto p = ParsePath(f, {"10.60.0.5/24", "aspath", "65100,65101", "community", "65000:60,no-export",
                         "med", "60", "local-pref", "160", "origin", "egp", "nexthop", "10.0.0.60",
                         "large-community", "1:2:3", "rt", "65000:1"});
  ASSERT_TRUE(p.ok()) << p.status();
  PathText t;
  std::string err;
  ASSERT_TRUE(DecodePath(*p, true, &t, &err)) << err;
  EXPECT_EQ(t.nlri, "10.60.0.0/24");
  EXPECT_EQ(t.next_hop, "10.0.0.60");
  EXPECT_EQ(t.as_path, "65100 65101");
  EXPECT_EQ(t.attrs,
            "[{Origin: e} {Med: 60} {LocalPref: 160} {Communities: 65000:60, no-export} "
            "{Extcomms: [65000:1]} {LargeCommunity: [ 1:2:3]}]");
  EXPECT_FALSE(ParsePath(f, {"10.0.0.300/24"}).ok());
  EXPECT_FALSE(ParsePath(f, {"2001:db8::/32"}).ok());
  EXPECT_FALSE(ParsePath(f, {"10.0.0.0/24", "origin", "bogus"}).ok());
  EXPECT_FALSE(ParsePath(f, {"10.0.0.0/24", "community", "1:70000"}).ok());
  EXPECT_FALSE(ParsePath(f, {}).ok());
  auto id = ParsePath(f, {"10.0.0.0/24", "identifier", "9"});
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->identifier(), 9u);
  EXPECT_EQ(*ParseCommunity("no-export"), 0xffffff01u);
  EXPECT_EQ(*ParseCommunity("65000:1"), (65000u << 16) | 1);
}

TEST(Parse, NeighborAndSets) {
  auto n = ParseNeighbor("add", {"10.0.0.2", "as", "65001", "route-server-client", "family",
                                 "ipv4-unicast,ipv6-unicast"});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->conf().peer_asn(), 65001u);
  EXPECT_TRUE(n->route_server().route_server_client());
  EXPECT_EQ(n->afi_safis_size(), 2);
  EXPECT_FALSE(ParseNeighbor("add", {"10.0.0.2", "as"}).ok());
  EXPECT_FALSE(ParseNeighbor("add", {"not-an-address", "as", "1"}).ok());
  auto d = ParseDefinedSet("neighbor", {"ns", "10.0.0.2", "2001:db8::2"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->list(0), "10.0.0.2/32");
  EXPECT_EQ(d->list(1), "2001:db8::2/128");
  auto ps = ParseDefinedSet("prefix", {"ps", "10.1.0.0/16", "16..24"});
  ASSERT_TRUE(ps.ok());
  EXPECT_EQ(ps->prefixes(0).mask_length_max(), 24u);
  EXPECT_FALSE(ParseDefinedSet("prefix", {"ps", "10.1.0.0/16", "24..16"}).ok());
}

TEST(Completion, ScriptIsTheFile) {
  // completion.h is generated from the file at configure time; a stale build would differ.
  EXPECT_EQ(ReadFile(std::string(KBGP_CLI_COMPLETION_DIR) + "/kbgp.bash"), kBashCompletion);
  EXPECT_EQ(std::string(kZshCompletionHeader).rfind("#compdef kbgp\n", 0), 0u);
}

}  // namespace
}  // namespace kbgp::cli
