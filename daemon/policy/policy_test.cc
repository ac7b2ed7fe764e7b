#include "daemon/policy/policy.h"

#include <string>
#include <utility>
#include <vector>

#include "daemon/policy/engine.h"
#include "daemon/rib/rib.h"
#include "gtest/gtest.h"

namespace kbgp::policy {
namespace {

using wire::AsSegment;
using wire::AsSegmentType;

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
Prefix Pfx(const char* s) { return *Prefix::Parse(s); }

// A route's attributes, built fluently.
struct A {
  wire::PathAttributes p;
  A() {
    p.origin = wire::Origin::kIgp;
    p.as_path = wire::AsPath{};
    p.next_hop = Ip("192.0.2.1");
  }
  A& Path(std::vector<uint32_t> asns) {
    p.as_path = wire::AsPath{AsSegment{AsSegmentType::kSequence, std::move(asns)}};
    return *this;
  }
  A& Segs(wire::AsPath path) {
    p.as_path = std::move(path);
    return *this;
  }
  A& NoPath() {
    p.as_path.reset();
    return *this;
  }
  A& Comms(std::vector<uint32_t> c) {
    p.communities = std::move(c);
    return *this;
  }
  A& Ext(std::vector<uint64_t> e) {
    p.extended_communities = std::move(e);
    return *this;
  }
  A& Large(std::vector<wire::LargeCommunity> l) {
    p.large_communities = std::move(l);
    return *this;
  }
  A& Med(uint32_t m) {
    p.med = m;
    return *this;
  }
  A& Lp(uint32_t l) {
    p.local_pref = l;
    return *this;
  }
  A& Origin(wire::Origin o) {
    p.origin = o;
    return *this;
  }
  A& Nh(const char* n) {
    p.next_hop = Ip(n);
    return *this;
  }
};

constexpr uint32_t C(uint32_t hi, uint32_t lo) { return hi << 16 | lo; }
// Transitive two-octet-AS route target / route origin.
constexpr uint64_t Rt(uint64_t as, uint64_t local) { return uint64_t{0x0002} << 48 | as << 32 | local; }
constexpr uint64_t Soo(uint64_t as, uint64_t local) { return uint64_t{0x0003} << 48 | as << 32 | local; }

rib::PeerInfo Peer(uint32_t as, const char* addr) {
  rib::PeerInfo p;
  p.local_as = 65000;
  p.peer_as = as;
  p.address = Ip(addr);
  p.local_address = Ip("192.0.2.254");
  p.local_router_id = 0x0a000001;
  return p;
}

rib::PeerInfo LocalPeer() {
  rib::PeerInfo p;
  p.local = true;
  p.local_as = p.peer_as = 65000;
  return p;
}

class PolicyTest : public ::testing::Test {
 protected:
  rib::AttrRef Intern(const A& a) {
    wire::PathAttributes p = a.p;
    return pool_.Intern(p, wire::kIPv4Unicast);
  }

  // Compiles `sets` plus one policy of the given statements, assigned as global import
  // with `def` as the default, and evaluates `a` for `prefix` from `from`.
  rib::PolicyResult Run(const DefinedSetsDef& sets, std::vector<StatementDef> stmts,
                        const A& a, const char* prefix = "10.1.0.0/16",
                        const rib::PeerInfo* from = nullptr,
                        Disposition def = Disposition::kReject,
                        Direction dir = Direction::kImport, const rib::PeerInfo* to = nullptr) {
    PolicyConfig cfg;
    cfg.sets = sets;
    cfg.policies.push_back(PolicyDef{"p", std::move(stmts)});
    cfg.global.import_policies = {"p"};
    cfg.global.default_import = def;
    auto compiled = Compile(cfg);
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    if (!compiled.ok()) return {false, {}};
    keep_ = *compiled;
    in_ = Intern(a);
    RouteContext ctx;
    ctx.prefix = Pfx(prefix);
    ctx.direction = dir;
    ctx.from = from ? from : &ebgp_;
    ctx.to = to;
    if (dir == Direction::kImport) ctx.parent = in_.get();
    if (dir == Direction::kExport) ctx.original_next_hop = Ip("198.51.100.7");
    return Evaluate((*compiled)->global_import(), &pool_, ctx, *in_);
  }

  rib::AttrPool pool_;
  rib::PeerInfo ebgp_ = Peer(65001, "192.0.2.1");
  rib::PeerInfo ibgp_ = Peer(65000, "192.0.2.2");
  rib::PeerInfo local_ = LocalPeer();
  std::shared_ptr<const Policies> keep_;
  rib::AttrRef in_;
};

// ---- Conditions: each row is one statement (conditions -> accept) over one route; the
// default is reject, so "matches" is "accepted".

struct CondRow {
  const char* name;
  DefinedSetsDef sets;
  ConditionsDef cond;
  A route;
  const char* prefix;
  int from;  // 0 eBGP, 1 iBGP, 2 local
  bool match;
};

DefinedSetsDef PrefixSets(std::vector<PrefixEntryDef> e) {
  DefinedSetsDef d;
  d.prefix_sets.push_back(PrefixSetDef{"ps", std::move(e)});
  return d;
}
PrefixEntryDef Range(const char* p, uint8_t lo, uint8_t hi) { return {Pfx(p), lo, hi}; }
DefinedSetsDef Neighbors(std::vector<Prefix> l) {
  DefinedSetsDef d;
  d.neighbor_sets.push_back(NeighborSetDef{"ns", std::move(l)});
  return d;
}
DefinedSetsDef AsPaths(std::vector<std::string> l) {
  DefinedSetsDef d;
  d.as_path_sets.push_back(StringSetDef{"as", std::move(l)});
  return d;
}
DefinedSetsDef Communities(std::vector<std::string> l) {
  DefinedSetsDef d;
  d.community_sets.push_back(StringSetDef{"cs", std::move(l)});
  return d;
}
DefinedSetsDef ExtCommunities(std::vector<std::string> l) {
  DefinedSetsDef d;
  d.ext_community_sets.push_back(StringSetDef{"es", std::move(l)});
  return d;
}
DefinedSetsDef LargeCommunities(std::vector<std::string> l) {
  DefinedSetsDef d;
  d.large_community_sets.push_back(StringSetDef{"ls", std::move(l)});
  return d;
}
ConditionsDef PrefixCond(MatchOption o = MatchOption::kAny) {
  ConditionsDef c;
  c.prefix_set = {"ps", o};
  return c;
}
ConditionsDef NeighborCond(MatchOption o = MatchOption::kAny) {
  ConditionsDef c;
  c.neighbor_set = {"ns", o};
  return c;
}
ConditionsDef AsPathCond(MatchOption o = MatchOption::kAny) {
  ConditionsDef c;
  c.as_path_set = {"as", o};
  return c;
}
ConditionsDef CommCond(MatchOption o = MatchOption::kAny) {
  ConditionsDef c;
  c.community_set = {"cs", o};
  return c;
}
ConditionsDef ExtCond(MatchOption o = MatchOption::kAny) {
  ConditionsDef c;
  c.ext_community_set = {"es", o};
  return c;
}
ConditionsDef LargeCond(MatchOption o = MatchOption::kAny) {
  ConditionsDef c;
  c.large_community_set = {"ls", o};
  return c;
}
ConditionsDef With(std::function<void(ConditionsDef&)> f) {
  ConditionsDef c;
  f(c);
  return c;
}

constexpr auto kAny = MatchOption::kAny;
constexpr auto kAll = MatchOption::kAll;
constexpr auto kInvert = MatchOption::kInvert;

const std::vector<CondRow>& ConditionRows() {
  static const auto* rows = new std::vector<CondRow>{
      // Prefix sets: default range is the entry's own length.
      {"prefix exact", PrefixSets({ExactPrefix(Pfx("10.1.0.0/16"))}), PrefixCond(), A(), "10.1.0.0/16", 0, true},
      {"prefix exact, longer route", PrefixSets({ExactPrefix(Pfx("10.1.0.0/16"))}), PrefixCond(), A(), "10.1.1.0/24", 0, false},
      {"prefix range 21..24 in", PrefixSets({Range("10.0.0.0/8", 21, 24)}), PrefixCond(), A(), "10.1.8.0/21", 0, true},
      {"prefix range 21..24 upper", PrefixSets({Range("10.0.0.0/8", 21, 24)}), PrefixCond(), A(), "10.1.1.0/24", 0, true},
      {"prefix range 21..24 too short", PrefixSets({Range("10.0.0.0/8", 21, 24)}), PrefixCond(), A(), "10.1.0.0/16", 0, false},
      {"prefix range 21..24 too long", PrefixSets({Range("10.0.0.0/8", 21, 24)}), PrefixCond(), A(), "10.1.1.0/25", 0, false},
      {"prefix outside", PrefixSets({Range("10.0.0.0/8", 8, 32)}), PrefixCond(), A(), "11.0.0.0/8", 0, false},
      {"prefix 0/0 le 32", PrefixSets({Range("0.0.0.0/0", 0, 32)}), PrefixCond(), A(), "203.0.113.0/24", 0, true},
      {"prefix invert, in set", PrefixSets({Range("10.0.0.0/8", 8, 32)}), PrefixCond(kInvert), A(), "10.1.0.0/16", 0, false},
      {"prefix invert, not in set", PrefixSets({Range("10.0.0.0/8", 8, 32)}), PrefixCond(kInvert), A(), "11.0.0.0/8", 0, true},
      // GoBGP looks up the longest entry containing the route, then checks its ranges only.
      {"prefix longest entry decides", PrefixSets({Range("10.0.0.0/8", 8, 32), ExactPrefix(Pfx("10.1.0.0/16"))}), PrefixCond(), A(), "10.1.1.0/24", 0, false},
      {"prefix two ranges same prefix", PrefixSets({Range("10.0.0.0/8", 16, 16), Range("10.0.0.0/8", 24, 24)}), PrefixCond(), A(), "10.1.1.0/24", 0, true},
      // Another family never matches, even inverted (GoBGP checks the family first).
      {"prefix other family", PrefixSets({Range("10.0.0.0/8", 8, 32)}), PrefixCond(), A(), "2001:db8::/32", 0, false},
      {"prefix other family invert", PrefixSets({Range("10.0.0.0/8", 8, 32)}), PrefixCond(kInvert), A(), "2001:db8::/32", 0, false},
      {"prefix v6 range", PrefixSets({Range("2001:db8::/32", 32, 48)}), PrefixCond(), A(), "2001:db8:1::/48", 0, true},

      // Neighbor sets: the source peer on import.
      {"neighbor address", Neighbors({Pfx("192.0.2.1/32")}), NeighborCond(), A(), "10.1.0.0/16", 0, true},
      {"neighbor prefix", Neighbors({Pfx("192.0.2.0/24")}), NeighborCond(), A(), "10.1.0.0/16", 1, true},
      {"neighbor other", Neighbors({Pfx("198.51.100.0/24")}), NeighborCond(), A(), "10.1.0.0/16", 0, false},
      {"neighbor invert", Neighbors({Pfx("198.51.100.0/24")}), NeighborCond(kInvert), A(), "10.1.0.0/16", 0, true},
      {"neighbor invert, in set", Neighbors({Pfx("192.0.2.1/32")}), NeighborCond(kInvert), A(), "10.1.0.0/16", 0, false},
      {"neighbor local route", Neighbors({Pfx("0.0.0.0/0")}), NeighborCond(), A(), "10.1.0.0/16", 2, false},

      // AS-path sets: the four single-AS forms and regexes with `_`.
      {"as ^N_ leftmost", AsPaths({"^65001_"}), AsPathCond(), A().Path({65001, 65002, 65003}), "10.1.0.0/16", 0, true},
      {"as ^N_ not leftmost", AsPaths({"^65002_"}), AsPathCond(), A().Path({65001, 65002, 65003}), "10.1.0.0/16", 0, false},
      {"as _N$ origin", AsPaths({"_65003$"}), AsPathCond(), A().Path({65001, 65002, 65003}), "10.1.0.0/16", 0, true},
      {"as _N$ not origin", AsPaths({"_65002$"}), AsPathCond(), A().Path({65001, 65002, 65003}), "10.1.0.0/16", 0, false},
      {"as _N_ include", AsPaths({"_65002_"}), AsPathCond(), A().Path({65001, 65002, 65003}), "10.1.0.0/16", 0, true},
      {"as _N_ absent", AsPaths({"_65009_"}), AsPathCond(), A().Path({65001, 65002, 65003}), "10.1.0.0/16", 0, false},
      {"as ^N$ only", AsPaths({"^65001$"}), AsPathCond(), A().Path({65001}), "10.1.0.0/16", 0, true},
      {"as ^N$ longer path", AsPaths({"^65001$"}), AsPathCond(), A().Path({65001, 65002}), "10.1.0.0/16", 0, false},
      {"as _N_ no partial number", AsPaths({"_6500_"}), AsPathCond(), A().Path({65001}), "10.1.0.0/16", 0, false},
      {"as .* matches empty", AsPaths({".*"}), AsPathCond(), A(), "10.1.0.0/16", 0, true},
      {"as ^$ empty path", AsPaths({"^$"}), AsPathCond(), A(), "10.1.0.0/16", 0, true},
      {"as ^$ non-empty", AsPaths({"^$"}), AsPathCond(), A().Path({65001}), "10.1.0.0/16", 0, false},
      {"as regex two ASes", AsPaths({"^65001_65002_"}), AsPathCond(), A().Path({65001, 65002, 65003}), "10.1.0.0/16", 0, true},
      {"as regex range", AsPaths({"_6500[0-2]$"}), AsPathCond(), A().Path({64512, 65002}), "10.1.0.0/16", 0, true},
      {"as regex in AS_SET", AsPaths({"_65005_.*"}), AsPathCond(),
       A().Segs({AsSegment{AsSegmentType::kSequence, {65001}}, AsSegment{AsSegmentType::kSet, {65004, 65005}}}),
       "10.1.0.0/16", 0, true},
      // The single forms look at AS_SEQUENCE ASNs only; an AS_SET counts as 0.
      {"as _N$ set at end", AsPaths({"_65005$"}), AsPathCond(),
       A().Segs({AsSegment{AsSegmentType::kSequence, {65001}}, AsSegment{AsSegmentType::kSet, {65005}}}),
       "10.1.0.0/16", 0, false},
      {"as any of two", AsPaths({"^65009_", "_65003$"}), AsPathCond(kAny), A().Path({65001, 65003}), "10.1.0.0/16", 0, true},
      {"as all of two, both", AsPaths({"^65001_", "_65003$"}), AsPathCond(kAll), A().Path({65001, 65003}), "10.1.0.0/16", 0, true},
      {"as all of two, one", AsPaths({"^65001_", "_65009$"}), AsPathCond(kAll), A().Path({65001, 65003}), "10.1.0.0/16", 0, false},
      {"as invert, none", AsPaths({"_65009_"}), AsPathCond(kInvert), A().Path({65001, 65003}), "10.1.0.0/16", 0, true},
      {"as invert, one", AsPaths({"_65009_", "_65001_"}), AsPathCond(kInvert), A().Path({65001, 65003}), "10.1.0.0/16", 0, false},

      // Community sets: values, well-known names, regexes.
      {"comm value", Communities({"65001:100"}), CommCond(), A().Comms({C(65001, 100)}), "10.1.0.0/16", 0, true},
      {"comm value absent", Communities({"65001:100"}), CommCond(), A().Comms({C(65001, 200)}), "10.1.0.0/16", 0, false},
      {"comm value anchored", Communities({"65001:10"}), CommCond(), A().Comms({C(65001, 100)}), "10.1.0.0/16", 0, false},
      {"comm number", Communities({"4259905636"}), CommCond(), A().Comms({C(65001, 100)}), "10.1.0.0/16", 0, true},
      {"comm well-known", Communities({"no-export"}), CommCond(), A().Comms({0xffffff01}), "10.1.0.0/16", 0, true},
      {"comm well-known underscore", Communities({"NO_ADVERTISE"}), CommCond(), A().Comms({0xffffff02}), "10.1.0.0/16", 0, true},
      {"comm regex", Communities({"^65001:1.*$"}), CommCond(), A().Comms({C(65001, 123)}), "10.1.0.0/16", 0, true},
      {"comm regex miss", Communities({"^65002:.*$"}), CommCond(), A().Comms({C(65001, 123)}), "10.1.0.0/16", 0, false},
      {"comm none on route", Communities({".*"}), CommCond(), A(), "10.1.0.0/16", 0, false},
      {"comm all, both", Communities({"65001:1", "65001:2"}), CommCond(kAll), A().Comms({C(65001, 2), C(65001, 1)}), "10.1.0.0/16", 0, true},
      {"comm all, one", Communities({"65001:1", "65001:2"}), CommCond(kAll), A().Comms({C(65001, 1)}), "10.1.0.0/16", 0, false},
      {"comm invert, none", Communities({"65001:1"}), CommCond(kInvert), A().Comms({C(65001, 2)}), "10.1.0.0/16", 0, true},
      {"comm invert, present", Communities({"65001:1"}), CommCond(kInvert), A().Comms({C(65001, 1)}), "10.1.0.0/16", 0, false},

      // Extended community sets.
      {"ext rt", ExtCommunities({"rt:65001:100"}), ExtCond(), A().Ext({Rt(65001, 100)}), "10.1.0.0/16", 0, true},
      {"ext rt vs soo", ExtCommunities({"rt:65001:100"}), ExtCond(), A().Ext({Soo(65001, 100)}), "10.1.0.0/16", 0, false},
      {"ext soo", ExtCommunities({"soo:65001:100"}), ExtCond(), A().Ext({Soo(65001, 100)}), "10.1.0.0/16", 0, true},
      {"ext rt ipv4", ExtCommunities({"rt:10.0.0.1:5"}), ExtCond(), A().Ext({*ParseExtCommunity("rt:10.0.0.1:5")}), "10.1.0.0/16", 0, true},
      {"ext rt 4-octet", ExtCommunities({"rt:1.2:5"}), ExtCond(), A().Ext({*ParseExtCommunity("rt:65538:5")}), "10.1.0.0/16", 0, true},
      {"ext rt regex", ExtCommunities({"rt:^65001:.*$"}), ExtCond(), A().Ext({Rt(65001, 7)}), "10.1.0.0/16", 0, true},
      {"ext all: every route community in set", ExtCommunities({"rt:65001:1", "rt:65001:2"}), ExtCond(kAll), A().Ext({Rt(65001, 1), Rt(65001, 2)}), "10.1.0.0/16", 0, true},
      {"ext all: one not in set", ExtCommunities({"rt:65001:1"}), ExtCond(kAll), A().Ext({Rt(65001, 1), Rt(65001, 2)}), "10.1.0.0/16", 0, false},
      {"ext invert", ExtCommunities({"rt:65001:1"}), ExtCond(kInvert), A().Ext({Rt(65001, 2)}), "10.1.0.0/16", 0, true},
      {"ext invert present", ExtCommunities({"rt:65001:1"}), ExtCond(kInvert), A().Ext({Rt(65001, 1)}), "10.1.0.0/16", 0, false},
      {"ext non-transitive ignored", ExtCommunities({"rt:65001:1"}), ExtCond(), A().Ext({uint64_t{0x40} << 56 | Rt(65001, 1)}), "10.1.0.0/16", 0, false},

      // Large community sets.
      {"large value", LargeCommunities({"65001:1:2"}), LargeCond(), A().Large({{65001, 1, 2}}), "10.1.0.0/16", 0, true},
      {"large anchored", LargeCommunities({"65001:1:2"}), LargeCond(), A().Large({{65001, 1, 20}}), "10.1.0.0/16", 0, false},
      {"large regex", LargeCommunities({"^65001:.*:2$"}), LargeCond(), A().Large({{65001, 9, 2}}), "10.1.0.0/16", 0, true},
      {"large all", LargeCommunities({"65001:1:1", "65001:1:2"}), LargeCond(kAll), A().Large({{65001, 1, 1}}), "10.1.0.0/16", 0, false},
      {"large invert", LargeCommunities({"65001:1:1"}), LargeCond(kInvert), A().Large({{65001, 1, 3}}), "10.1.0.0/16", 0, true},

      // Counts and attribute comparisons.
      {"as-path-length eq", {}, With([](auto& c) { c.as_path_length = {Comparison::kEq, 2}; }), A().Path({1, 2}), "10.1.0.0/16", 0, true},
      {"as-path-length eq miss", {}, With([](auto& c) { c.as_path_length = {Comparison::kEq, 3}; }), A().Path({1, 2}), "10.1.0.0/16", 0, false},
      {"as-path-length ge", {}, With([](auto& c) { c.as_path_length = {Comparison::kGe, 2}; }), A().Path({1, 2, 3}), "10.1.0.0/16", 0, true},
      {"as-path-length ge miss", {}, With([](auto& c) { c.as_path_length = {Comparison::kGe, 4}; }), A().Path({1, 2, 3}), "10.1.0.0/16", 0, false},
      {"as-path-length le", {}, With([](auto& c) { c.as_path_length = {Comparison::kLe, 3}; }), A().Path({1, 2, 3}), "10.1.0.0/16", 0, true},
      {"as-path-length le miss", {}, With([](auto& c) { c.as_path_length = {Comparison::kLe, 2}; }), A().Path({1, 2, 3}), "10.1.0.0/16", 0, false},
      {"as-path-length set counts 1", {}, With([](auto& c) { c.as_path_length = {Comparison::kEq, 2}; }),
       A().Segs({AsSegment{AsSegmentType::kSequence, {1}}, AsSegment{AsSegmentType::kSet, {2, 3, 4}}}), "10.1.0.0/16", 0, true},
      {"community-count eq", {}, With([](auto& c) { c.community_count = {Comparison::kEq, 2}; }), A().Comms({1, 2}), "10.1.0.0/16", 0, true},
      {"community-count ge miss", {}, With([](auto& c) { c.community_count = {Comparison::kGe, 3}; }), A().Comms({1, 2}), "10.1.0.0/16", 0, false},
      {"community-count le none", {}, With([](auto& c) { c.community_count = {Comparison::kLe, 0}; }), A(), "10.1.0.0/16", 0, true},
      {"route-type external", {}, With([](auto& c) { c.route_type = RouteType::kExternal; }), A(), "10.1.0.0/16", 0, true},
      {"route-type external vs ibgp", {}, With([](auto& c) { c.route_type = RouteType::kExternal; }), A(), "10.1.0.0/16", 1, false},
      {"route-type internal", {}, With([](auto& c) { c.route_type = RouteType::kInternal; }), A(), "10.1.0.0/16", 1, true},
      {"route-type internal vs local", {}, With([](auto& c) { c.route_type = RouteType::kInternal; }), A(), "10.1.0.0/16", 2, false},
      {"route-type local", {}, With([](auto& c) { c.route_type = RouteType::kLocal; }), A(), "10.1.0.0/16", 2, true},
      {"route-type local vs ebgp", {}, With([](auto& c) { c.route_type = RouteType::kLocal; }), A(), "10.1.0.0/16", 0, false},
      {"next-hop-in-list", {}, With([](auto& c) { c.next_hop_in_list = {Pfx("192.0.2.0/24")}; }), A(), "10.1.0.0/16", 0, true},
      {"next-hop-in-list host", {}, With([](auto& c) { c.next_hop_in_list = {Pfx("192.0.2.1/32")}; }), A(), "10.1.0.0/16", 0, true},
      {"next-hop-in-list miss", {}, With([](auto& c) { c.next_hop_in_list = {Pfx("198.51.100.0/24")}; }), A(), "10.1.0.0/16", 0, false},
      {"afi-safi-in v4", {}, With([](auto& c) { c.afi_safi_in = {"ipv4-unicast"}; }), A(), "10.1.0.0/16", 0, true},
      {"afi-safi-in v6 only", {}, With([](auto& c) { c.afi_safi_in = {"ipv6-unicast"}; }), A(), "10.1.0.0/16", 0, false},
      {"afi-safi-in v6 route", {}, With([](auto& c) { c.afi_safi_in = {"ipv4-unicast", "ipv6-unicast"}; }), A(), "2001:db8::/32", 0, true},
      {"origin-eq", {}, With([](auto& c) { c.origin_eq = wire::Origin::kEgp; }), A().Origin(wire::Origin::kEgp), "10.1.0.0/16", 0, true},
      {"origin-eq miss", {}, With([](auto& c) { c.origin_eq = wire::Origin::kIncomplete; }), A(), "10.1.0.0/16", 0, false},
      {"med-eq", {}, With([](auto& c) { c.med_eq = 50; }), A().Med(50), "10.1.0.0/16", 0, true},
      {"med-eq miss", {}, With([](auto& c) { c.med_eq = 50; }), A().Med(51), "10.1.0.0/16", 0, false},
      {"med-eq absent", {}, With([](auto& c) { c.med_eq = 50; }), A(), "10.1.0.0/16", 0, false},
      {"local-pref-eq", {}, With([](auto& c) { c.local_pref_eq = 200; }), A().Lp(200), "10.1.0.0/16", 1, true},
      {"local-pref-eq miss", {}, With([](auto& c) { c.local_pref_eq = 200; }), A().Lp(100), "10.1.0.0/16", 1, false},
      // No RPKI in kbgp: every route is not-found.
      {"rpki not-found", {}, With([](auto& c) { c.rpki = RpkiState::kNotFound; }), A(), "10.1.0.0/16", 0, true},
      {"rpki valid", {}, With([](auto& c) { c.rpki = RpkiState::kValid; }), A(), "10.1.0.0/16", 0, false},
      {"rpki invalid", {}, With([](auto& c) { c.rpki = RpkiState::kInvalid; }), A(), "10.1.0.0/16", 0, false},
      // No conditions: matches everything; several: all must match.
      {"no conditions", {}, ConditionsDef(), A(), "10.1.0.0/16", 0, true},
      {"two conditions both", Communities({"65001:1"}),
       With([](auto& c) { c.community_set = {"cs", MatchOption::kAny}; c.med_eq = 5; }), A().Comms({C(65001, 1)}).Med(5), "10.1.0.0/16", 0, true},
      {"two conditions one", Communities({"65001:1"}),
       With([](auto& c) { c.community_set = {"cs", MatchOption::kAny}; c.med_eq = 5; }), A().Comms({C(65001, 1)}).Med(6), "10.1.0.0/16", 0, false},
  };
  return *rows;
}

TEST_F(PolicyTest, Conditions) {
  for (const CondRow& row : ConditionRows()) {
    SCOPED_TRACE(row.name);
    StatementDef s{"s", row.cond, {}};
    s.actions.disposition = Disposition::kAccept;
    const rib::PeerInfo* from = row.from == 0 ? &ebgp_ : row.from == 1 ? &ibgp_ : &local_;
    rib::PolicyResult r = Run(row.sets, {s}, row.route, row.prefix, from);
    EXPECT_EQ(r.accept, row.match);
    EXPECT_FALSE(r.attrs);  // nothing modified
  }
}

// Export-side conditions: the neighbor set sees the receiving peer, next-hop-in-list the
// next hop from before the export rules.
TEST_F(PolicyTest, ExportConditions) {
  rib::PeerInfo to = Peer(65010, "203.0.113.9");
  StatementDef s{"s", NeighborCond(), {}};
  s.actions.disposition = Disposition::kAccept;
  EXPECT_TRUE(Run(Neighbors({Pfx("203.0.113.9/32")}), {s}, A(), "10.1.0.0/16", &ebgp_,
                  Disposition::kReject, Direction::kExport, &to).accept);
  EXPECT_FALSE(Run(Neighbors({Pfx("192.0.2.1/32")}), {s}, A(), "10.1.0.0/16", &ebgp_,
                   Disposition::kReject, Direction::kExport, &to).accept);
  StatementDef nh{"nh", With([](auto& c) { c.next_hop_in_list = {Pfx("198.51.100.7/32")}; }), {}};
  nh.actions.disposition = Disposition::kAccept;
  // The route now carries 192.0.2.1 (say next-hop-self); the original was 198.51.100.7.
  EXPECT_TRUE(Run({}, {nh}, A(), "10.1.0.0/16", &ebgp_, Disposition::kReject,
                  Direction::kExport, &to).accept);
}

// ---- Actions: each row is one statement without conditions; the route's attributes
// before and after.

struct ActRow {
  const char* name;
  ActionsDef actions;
  A in;
  A out;  // expected; equal to `in` means unchanged (no new set)
  bool accept = true;
};

ActionsDef Act(std::function<void(ActionsDef&)> f) {
  ActionsDef a;
  f(a);
  return a;
}
SetCommunitiesDef Sc(CommunityOp op, std::vector<std::string> v) { return {op, std::move(v)}; }

const std::vector<ActRow>& ActionRows() {
  static const auto* rows = new std::vector<ActRow>{
      {"accept", Act([](auto& a) { a.disposition = Disposition::kAccept; }), A(), A(), true},
      {"reject", Act([](auto& a) { a.disposition = Disposition::kReject; }), A(), A(), false},
      {"set-med", Act([](auto& a) { a.set_med = "100"; }), A(), A().Med(100)},
      {"set-med replaces", Act([](auto& a) { a.set_med = "7"; }), A().Med(100), A().Med(7)},
      {"set-med +N", Act([](auto& a) { a.set_med = "+10"; }), A().Med(100), A().Med(110)},
      {"set-med +N absent", Act([](auto& a) { a.set_med = "+10"; }), A(), A().Med(10)},
      {"set-med -N", Act([](auto& a) { a.set_med = "-10"; }), A().Med(100), A().Med(90)},
      {"set-med -N underflow keeps", Act([](auto& a) { a.set_med = "-10"; }), A().Med(5), A().Med(5)},
      {"set-med +N overflow keeps", Act([](auto& a) { a.set_med = "+10"; }), A().Med(0xfffffffa), A().Med(0xfffffffa)},
      {"set-med same value", Act([](auto& a) { a.set_med = "5"; }), A().Med(5), A().Med(5)},
      {"set-local-pref", Act([](auto& a) { a.set_local_pref = 300; }), A(), A().Lp(300)},
      {"set-local-pref replaces", Act([](auto& a) { a.set_local_pref = 50; }), A().Lp(300), A().Lp(50)},
      {"prepend as", Act([](auto& a) { a.prepend_as = 65000; a.prepend_repeat = 1; }), A().Path({65001}), A().Path({65000, 65001})},
      {"prepend repeat 3", Act([](auto& a) { a.prepend_as = 65000; a.prepend_repeat = 3; }), A().Path({65001}), A().Path({65000, 65000, 65000, 65001})},
      {"prepend empty path", Act([](auto& a) { a.prepend_as = 65000; a.prepend_repeat = 2; }), A(), A().Path({65000, 65000})},
      {"prepend absent path", Act([](auto& a) { a.prepend_as = 65000; a.prepend_repeat = 1; }), A().NoPath(), A().Path({65000})},
      {"prepend before set", Act([](auto& a) { a.prepend_as = 65000; a.prepend_repeat = 1; }),
       A().Segs({AsSegment{AsSegmentType::kSet, {1, 2}}}),
       A().Segs({AsSegment{AsSegmentType::kSequence, {65000}}, AsSegment{AsSegmentType::kSet, {1, 2}}})},
      {"prepend last-as", Act([](auto& a) { a.prepend_last_as = true; a.prepend_repeat = 2; }), A().Path({65001, 65002}), A().Path({65001, 65001, 65001, 65002})},
      {"prepend last-as empty", Act([](auto& a) { a.prepend_last_as = true; a.prepend_repeat = 2; }), A(), A()},
      {"prepend last-as set first", Act([](auto& a) { a.prepend_last_as = true; a.prepend_repeat = 2; }),
       A().Segs({AsSegment{AsSegmentType::kSet, {1, 2}}}), A().Segs({AsSegment{AsSegmentType::kSet, {1, 2}}})},
      {"prepend repeat 0", Act([](auto& a) { a.prepend_as = 65000; a.prepend_repeat = 0; }), A().Path({1}), A().Path({1})},
      {"community add", Act([](auto& a) { a.set_community = Sc(CommunityOp::kAdd, {"65000:1"}); }), A().Comms({C(65001, 1)}), A().Comms({C(65001, 1), C(65000, 1)})},
      {"community add to none", Act([](auto& a) { a.set_community = Sc(CommunityOp::kAdd, {"65000:1", "no-export"}); }), A(), A().Comms({C(65000, 1), 0xffffff01})},
      {"community add well-known", Act([](auto& a) {
         a.set_community = Sc(CommunityOp::kAdd, {"no-advertise", "no-export-subconfed", "no-peer", "blackhole"});
       }),
       A(), A().Comms({0xffffff02, 0xffffff03, 0xffffff04, 0xffff029a})},
      {"community replace", Act([](auto& a) { a.set_community = Sc(CommunityOp::kReplace, {"65000:9"}); }), A().Comms({1, 2}), A().Comms({C(65000, 9)})},
      {"community replace empty clears", Act([](auto& a) { a.set_community = Sc(CommunityOp::kReplace, {}); }), A().Comms({1, 2}), A()},
      {"community remove value", Act([](auto& a) { a.set_community = Sc(CommunityOp::kRemove, {"65001:1"}); }), A().Comms({C(65001, 1), C(65001, 2)}), A().Comms({C(65001, 2)})},
      {"community remove regex", Act([](auto& a) { a.set_community = Sc(CommunityOp::kRemove, {"^65001:.*$"}); }), A().Comms({C(65001, 1), C(65002, 2)}), A().Comms({C(65002, 2)})},
      {"community remove well-known", Act([](auto& a) { a.set_community = Sc(CommunityOp::kRemove, {"no-export"}); }), A().Comms({0xffffff01, 5}), A().Comms({5})},
      {"community remove all drops attribute", Act([](auto& a) { a.set_community = Sc(CommunityOp::kRemove, {".*"}); }), A().Comms({1, 2}), A()},
      {"community remove nothing", Act([](auto& a) { a.set_community = Sc(CommunityOp::kRemove, {"65009:1"}); }), A().Comms({1}), A().Comms({1})},
      {"ext add", Act([](auto& a) { a.set_ext_community = Sc(CommunityOp::kAdd, {"rt:65000:1"}); }), A().Ext({Soo(65001, 1)}), A().Ext({Soo(65001, 1), Rt(65000, 1)})},
      {"ext add soo", Act([](auto& a) { a.set_ext_community = Sc(CommunityOp::kAdd, {"soo:65000:7"}); }), A(), A().Ext({Soo(65000, 7)})},
      {"ext replace", Act([](auto& a) { a.set_ext_community = Sc(CommunityOp::kReplace, {"rt:65000:2"}); }), A().Ext({Rt(1, 1)}), A().Ext({Rt(65000, 2)})},
      {"ext remove", Act([](auto& a) { a.set_ext_community = Sc(CommunityOp::kRemove, {"rt:65000:.*"}); }), A().Ext({Rt(65000, 1), Soo(65000, 1)}), A().Ext({Soo(65000, 1)})},
      {"ext remove all", Act([](auto& a) { a.set_ext_community = Sc(CommunityOp::kRemove, {"rt:.*"}); }), A().Ext({Rt(65000, 1)}), A()},
      {"large add", Act([](auto& a) { a.set_large_community = Sc(CommunityOp::kAdd, {"65000:1:2"}); }), A().Large({{1, 1, 1}}), A().Large({{1, 1, 1}, {65000, 1, 2}})},
      {"large replace", Act([](auto& a) { a.set_large_community = Sc(CommunityOp::kReplace, {"65000:3:4"}); }), A().Large({{1, 1, 1}}), A().Large({{65000, 3, 4}})},
      {"large remove regex", Act([](auto& a) { a.set_large_community = Sc(CommunityOp::kRemove, {"^65000:.*$"}); }), A().Large({{65000, 1, 1}, {65001, 1, 1}}), A().Large({{65001, 1, 1}})},
      {"large remove value", Act([](auto& a) { a.set_large_community = Sc(CommunityOp::kRemove, {"65000:1:1"}); }), A().Large({{65000, 1, 1}}), A()},
      {"next-hop address", Act([](auto& a) { a.set_next_hop = "198.51.100.1"; }), A(), A().Nh("198.51.100.1")},
      {"next-hop self (import: our address towards the sender)", Act([](auto& a) { a.set_next_hop = "self"; }), A(), A().Nh("192.0.2.254")},
      {"next-hop unchanged on import: nothing", Act([](auto& a) { a.set_next_hop = "unchanged"; }), A(), A()},
      {"origin", Act([](auto& a) { a.set_origin = wire::Origin::kIncomplete; }), A(), A().Origin(wire::Origin::kIncomplete)},
      {"several actions, then reject", Act([](auto& a) { a.set_med = "1"; a.set_local_pref = 2; a.disposition = Disposition::kReject; }), A(), A(), false},
      {"several actions", Act([](auto& a) {
         a.set_med = "1";
         a.set_local_pref = 2;
         a.prepend_as = 65000;
         a.prepend_repeat = 1;
         a.set_community = Sc(CommunityOp::kAdd, {"65000:5"});
         a.set_large_community = Sc(CommunityOp::kAdd, {"1:2:3"});
         a.set_next_hop = "203.0.113.1";
       }),
       A().Path({65001}), A().Path({65000, 65001}).Med(1).Lp(2).Comms({C(65000, 5)}).Large({{1, 2, 3}}).Nh("203.0.113.1")},
  };
  return *rows;
}

TEST_F(PolicyTest, Actions) {
  for (const ActRow& row : ActionRows()) {
    SCOPED_TRACE(row.name);
    StatementDef s{"s", {}, row.actions};
    // Default accept, so a row without disposition shows the modified route.
    rib::PolicyResult r = Run({}, {s}, row.in, "10.1.0.0/16", &ebgp_, Disposition::kAccept);
    ASSERT_EQ(r.accept, row.accept);
    if (!r.accept) continue;
    const rib::AttrSet& got = r.attrs ? *r.attrs : *in_;
    wire::PathAttributes want = row.out.p;
    rib::AttrRef want_set = pool_.Intern(want, wire::kIPv4Unicast);
    EXPECT_EQ(got.ToWire(), want_set->ToWire());
    EXPECT_EQ(got.next_hop(), want_set->next_hop());
    if (row.in.p == row.out.p) {
      EXPECT_FALSE(r.attrs) << "no change must build no new set";
    } else {
      ASSERT_TRUE(r.attrs);
      // An import result records the received set.
      EXPECT_EQ(r.attrs->pre_policy(), in_.get());
    }
  }
}

TEST_F(PolicyTest, WellKnownNames) {
  const std::pair<const char*, uint32_t> names[] = {
      {"no-export", 0xffffff01},      {"no-advertise", 0xffffff02}, {"no-export-subconfed", 0xffffff03},
      {"no-peer", 0xffffff04},        {"blackhole", 0xffff029a},    {"graceful-shutdown", 0},
      {"llgr-stale", 0xffff0006},     {"no-llgr", 0xffff0007},      {"accept-own", 0xffff0001},
      {"planned-shut", 0xffff0000},   {"internet", 0},
  };
  for (const auto& [name, value] : names) {
    SCOPED_TRACE(name);
    absl::StatusOr<uint32_t> c = ParseCommunity(name);
    if (std::string(name) == "graceful-shutdown") {
      EXPECT_FALSE(c.ok());  // not one of GoBGP's names
      continue;
    }
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(*c, value);
  }
  EXPECT_EQ(*ParseCommunity("65001:100"), C(65001, 100));
  EXPECT_EQ(*ParseCommunity("4259905636"), C(65001, 100));
  EXPECT_FALSE(ParseCommunity("70000:1").ok());
}

// Export actions: "self" is our address towards the receiving peer, "unchanged" the next
// hop from before the export rules.
TEST_F(PolicyTest, ExportNextHop) {
  rib::PeerInfo to = Peer(65010, "203.0.113.9");
  to.local_address = Ip("203.0.113.1");
  StatementDef self{"s", {}, Act([](auto& a) { a.set_next_hop = "self"; })};
  rib::PolicyResult r = Run({}, {self}, A(), "10.1.0.0/16", &ebgp_, Disposition::kAccept,
                            Direction::kExport, &to);
  ASSERT_TRUE(r.attrs);
  EXPECT_EQ(r.attrs->next_hop(), Ip("203.0.113.1"));
  EXPECT_EQ(r.attrs->fields().parent, nullptr);
  StatementDef unchanged{"u", {}, Act([](auto& a) { a.set_next_hop = "unchanged"; })};
  r = Run({}, {unchanged}, A(), "10.1.0.0/16", &ebgp_, Disposition::kAccept, Direction::kExport, &to);
  ASSERT_TRUE(r.attrs);
  EXPECT_EQ(r.attrs->next_hop(), Ip("198.51.100.7"));
}

// ---- Evaluation order (GoBGP's Policy.Apply / RoutingPolicy.ApplyPolicy).

StatementDef Stmt(const char* name, ConditionsDef c, ActionsDef a) { return StatementDef{name, std::move(c), std::move(a)}; }
ConditionsDef MedIs(uint32_t m) {
  ConditionsDef c;
  c.med_eq = m;
  return c;
}

TEST_F(PolicyTest, FirstMatchingStatementWithDispositionDecides) {
  // s1 rejects MED 1, s2 accepts everything, s3 would reject everything.
  std::vector<StatementDef> st = {
      Stmt("s1", MedIs(1), Act([](auto& a) { a.disposition = Disposition::kReject; })),
      Stmt("s2", {}, Act([](auto& a) { a.disposition = Disposition::kAccept; a.set_local_pref = 7; })),
      Stmt("s3", {}, Act([](auto& a) { a.disposition = Disposition::kReject; })),
  };
  EXPECT_FALSE(Run({}, st, A().Med(1)).accept);
  rib::PolicyResult r = Run({}, st, A().Med(2));
  ASSERT_TRUE(r.accept);
  ASSERT_TRUE(r.attrs);
  EXPECT_EQ(r.attrs->local_pref(), 7u);
}

TEST_F(PolicyTest, NoDispositionFallsThroughWithModifiedRoute) {
  // s1 sets MED 5 and goes on; s2 matches MED 5 (the modified route) and accepts.
  std::vector<StatementDef> st = {
      Stmt("s1", {}, Act([](auto& a) { a.set_med = "5"; })),
      Stmt("s2", MedIs(5), Act([](auto& a) { a.disposition = Disposition::kAccept; a.set_med = "+1"; })),
  };
  rib::PolicyResult r = Run({}, st, A().Med(1), "10.1.0.0/16", &ebgp_, Disposition::kReject);
  ASSERT_TRUE(r.accept);
  ASSERT_TRUE(r.attrs);
  EXPECT_EQ(r.attrs->med(), 6u);
}

TEST_F(PolicyTest, DefaultActionWhenNothingDecides) {
  std::vector<StatementDef> st = {Stmt("s1", {}, Act([](auto& a) { a.set_med = "5"; }))};
  // Modified, then the default decides: reject drops it, accept keeps the modification.
  EXPECT_FALSE(Run({}, st, A(), "10.1.0.0/16", &ebgp_, Disposition::kReject).accept);
  rib::PolicyResult r = Run({}, st, A(), "10.1.0.0/16", &ebgp_, Disposition::kAccept);
  ASSERT_TRUE(r.accept);
  EXPECT_EQ(r.attrs->med(), 5u);
  // Nothing matches: the default.
  std::vector<StatementDef> none = {Stmt("s1", MedIs(9), Act([](auto& a) { a.disposition = Disposition::kAccept; }))};
  EXPECT_FALSE(Run({}, none, A(), "10.1.0.0/16", &ebgp_, Disposition::kReject).accept);
  EXPECT_TRUE(Run({}, none, A(), "10.1.0.0/16", &ebgp_, Disposition::kAccept).accept);
}

TEST_F(PolicyTest, SeveralPoliciesInOrder) {
  PolicyConfig cfg;
  cfg.policies.push_back(PolicyDef{"p1", {Stmt("a", {}, Act([](auto& a) { a.set_med = "10"; }))}});
  cfg.policies.push_back(PolicyDef{"p2", {Stmt("b", MedIs(10), Act([](auto& a) { a.disposition = Disposition::kReject; }))}});
  cfg.policies.push_back(PolicyDef{"p3", {Stmt("c", {}, Act([](auto& a) { a.disposition = Disposition::kAccept; }))}});
  cfg.global.import_policies = {"p1", "p3", "p2"};
  auto c = Compile(cfg);
  ASSERT_TRUE(c.ok()) << c.status();
  rib::AttrRef in = Intern(A());
  RouteContext ctx;
  ctx.prefix = Pfx("10.0.0.0/8");
  ctx.from = &ebgp_;
  // p1 modifies (no disposition), p3 accepts before p2 is reached.
  rib::PolicyResult r = Evaluate((*c)->global_import(), &pool_, ctx, *in);
  EXPECT_TRUE(r.accept);
  ASSERT_TRUE(r.attrs);
  EXPECT_EQ(r.attrs->med(), 10u);
  cfg.global.import_policies = {"p1", "p2", "p3"};
  c = Compile(cfg);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(Evaluate((*c)->global_import(), &pool_, ctx, *in).accept);
}

TEST_F(PolicyTest, EmptyAssignmentAcceptsUnchanged) {
  auto c = Compile(PolicyConfig());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->global_import().trivial());
  rib::AttrRef in = Intern(A());
  RouteContext ctx;
  ctx.prefix = Pfx("10.0.0.0/8");
  ctx.from = &ebgp_;
  rib::PolicyResult r = Evaluate((*c)->global_import(), &pool_, ctx, *in);
  EXPECT_TRUE(r.accept);
  EXPECT_FALSE(r.attrs);
}

// ---- The AS-path dialect and string forms.

TEST_F(PolicyTest, AsPathDialect) {
  EXPECT_EQ(AsPathRegex("_65001_"), "(^|[,{}() ]|$)65001(^|[,{}() ]|$)");
  EXPECT_EQ(AsPathRegex("^65001 65002$"), "^65001 65002$");
  rib::AttrRef a = Intern(A().Segs({AsSegment{AsSegmentType::kConfedSequence, {1, 2}},
                                    AsSegment{AsSegmentType::kConfedSet, {3, 4}},
                                    AsSegment{AsSegmentType::kSequence, {65001, 65002}},
                                    AsSegment{AsSegmentType::kSet, {7, 8}}}));
  EXPECT_EQ(AsPathString(a->as_path()), "(1 2) [3,4] 65001 65002 {7,8}");
  EXPECT_EQ(AsPathString(nullptr), "");
  EXPECT_EQ(CommunityString(C(65001, 100)), "65001:100");
  EXPECT_EQ(ExtCommunityString(Rt(65001, 100)), "65001:100");
  EXPECT_EQ(ExtCommunityString(*ParseExtCommunity("rt:10.0.0.1:5")), "10.0.0.1:5");
  EXPECT_EQ(ExtCommunityString(*ParseExtCommunity("rt:1.2:5")), "1.2:5");
  EXPECT_EQ(*ParseExtCommunity("rt:65001:100"), Rt(65001, 100));
  EXPECT_EQ(*ParseExtCommunity("SOO:65001:100"), Soo(65001, 100));
  // Regexes over the whole string, `_` as the boundary (also at { } ( ) and commas).
  struct Row {
    const char* re;
    bool match;
  } rows[] = {
      // The single-AS forms see AS_SEQUENCE ASNs only (GoBGP's GetAsSeqList).
      {"_65001_", true}, {"_1_", false}, {"_4_", false}, {"_7_", false},
      // Regexes see the string, so sets and confederation segments too.
      {"_1 2_", true},   {"_7,8_", true},   {"^\\(1_", true},
      // GoBGP's boundary class has no [ ]: a confederation set's first AS has no `_`.
      {"_3,4_", false},  {"_4_.*", false},  {"3,4]", true},
      {"_8}$", true},    {"_6500_", false}, {"_65002 7_", false},
      {"65002 {7", true}, {"^65001", false}, {".*", true},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.re);
    ConditionsDef c = AsPathCond();
    StatementDef s{"s", c, Act([](auto& x) { x.disposition = Disposition::kAccept; })};
    A route = A().Segs(a->as_path()->ToWire());
    EXPECT_EQ(Run(AsPaths({r.re}), {s}, route).accept, r.match);
  }
}

TEST_F(PolicyTest, Errors) {
  auto bad = [](PolicyConfig c) { return Compile(c).status(); };
  PolicyConfig c;
  c.sets.as_path_sets.push_back(StringSetDef{"x", {"(unclosed"}});
  EXPECT_FALSE(bad(c).ok());
  c = PolicyConfig();
  c.sets.prefix_sets.push_back(PrefixSetDef{"ps", {ExactPrefix(Pfx("10.0.0.0/8")), ExactPrefix(Pfx("2001:db8::/32"))}});
  EXPECT_NE(bad(c).message().find("multiple families"), std::string::npos);
  c = PolicyConfig();
  c.sets.prefix_sets.push_back(PrefixSetDef{"ps", {Range("10.0.0.0/8", 24, 16)}});
  EXPECT_FALSE(bad(c).ok());
  c = PolicyConfig();
  c.policies.push_back(PolicyDef{"p", {Stmt("s", PrefixCond(), {})}});
  EXPECT_NE(bad(c).message().find("not found prefix-set ps"), std::string::npos);
  c = PolicyConfig();
  c.global.import_policies = {"nope"};
  EXPECT_NE(bad(c).message().find("not found policy nope"), std::string::npos);
  c = PolicyConfig();
  c.policies.push_back(PolicyDef{"p", {}});
  c.global.export_policies = {"p", "p"};
  EXPECT_NE(bad(c).message().find("duplicated policy p"), std::string::npos);
  for (const char* med : {"x", "+-1", "99999999999", "+"}) {
    c = PolicyConfig();
    c.policies.push_back(PolicyDef{"p", {Stmt("s", {}, Act([&](auto& a) { a.set_med = med; }))}});
    EXPECT_FALSE(bad(c).ok()) << med;
  }
  c = PolicyConfig();
  c.policies.push_back(PolicyDef{"p", {Stmt("s", {}, Act([](auto& a) { a.set_next_hop = "nowhere"; }))}});
  EXPECT_FALSE(bad(c).ok());
  c = PolicyConfig();
  c.policies.push_back(PolicyDef{"p", {Stmt("s", {}, Act([](auto& a) { a.set_community = Sc(CommunityOp::kAdd, {"not-a-name"}); }))}});
  EXPECT_FALSE(bad(c).ok());
  c = PolicyConfig();
  c.policies.push_back(PolicyDef{"p", {Stmt("s", {}, Act([](auto& a) { a.set_ext_community = Sc(CommunityOp::kAdd, {"xx:1:1"}); }))}});
  EXPECT_FALSE(bad(c).ok());
  c = PolicyConfig();
  c.policies.push_back(PolicyDef{"p", {Stmt("s", {}, Act([](auto& a) { a.set_large_community = Sc(CommunityOp::kAdd, {"1:2"}); }))}});
  EXPECT_FALSE(bad(c).ok());
  // GoBGP names an unnamed statement "<policy>_stmt<index>".
  c = PolicyConfig();
  c.policies.push_back(PolicyDef{"p", {Stmt("", {}, {})}});
  auto ok = Compile(c);
  ASSERT_TRUE(ok.ok());
}

// ---- The engine through the Rib.

class EngineRibTest : public ::testing::Test {
 protected:
  EngineRibTest() : rib_(rib::RibOptions{65000, 0x0a000001, {}}) {}

  static rib::PeerInfo P(uint32_t as, const char* addr) {
    rib::PeerInfo p = Peer(as, addr);
    p.local_address = Ip("10.255.0.1");
    return p;
  }
  void Send(rib::PeerId peer, std::vector<uint32_t> path, const char* prefix) {
    wire::Update u;
    u.attrs = A().Path(std::move(path)).p;
    u.nlri = {wire::Nlri{Pfx(prefix), 0}};
    rib_.ApplyUpdate(peer, u);
  }
  std::vector<wire::Update> FlushFor(rib::PeerId peer) {
    for (rib::PeerUpdates& pu : rib_.Flush()) {
      if (pu.peer == peer) return std::move(pu.updates);
    }
    return {};
  }
  static std::optional<wire::AsPath> PathOf(const std::vector<wire::Update>& us, const char* prefix) {
    for (const wire::Update& u : us) {
      for (const wire::Nlri& n : u.nlri) {
        if (n.prefix == Pfx(prefix)) return u.attrs.as_path;
      }
    }
    return std::nullopt;
  }
  static bool Withdrawn(const std::vector<wire::Update>& us, const char* prefix) {
    for (const wire::Update& u : us) {
      for (const wire::Nlri& n : u.withdrawn) {
        if (n.prefix == Pfx(prefix)) return true;
      }
    }
    return false;
  }

  rib::Rib rib_;
  PolicyEngine engine_;
};

// Export policy: as-path-prepend repeat-n 3 towards one peer (matched by a neighbor set)
// changes the AS path that peer receives, and only that peer.
TEST_F(EngineRibTest, ExportPrependToOnePeer) {
  const rib::PeerId src = rib_.AddPeer(P(65001, "192.0.2.1"));
  const rib::PeerId a = rib_.AddPeer(P(65002, "192.0.2.2"));
  const rib::PeerId b = rib_.AddPeer(P(65003, "192.0.2.3"));
  PolicyConfig cfg;
  cfg.sets.neighbor_sets.push_back(NeighborSetDef{"to-a", {Pfx("192.0.2.2/32")}});
  StatementDef s;
  s.name = "prepend";
  s.conditions.neighbor_set = {"to-a", MatchOption::kAny};
  s.actions.prepend_as = 65000;
  s.actions.prepend_repeat = 3;
  cfg.policies.push_back(PolicyDef{"prepend-a", {s}});
  cfg.global.export_policies = {"prepend-a"};
  ASSERT_TRUE(engine_.Load(cfg).ok());
  EXPECT_FALSE(engine_.has_import());
  EXPECT_TRUE(engine_.has_export());
  engine_.Install(&rib_);
  rib_.PeerEstablished(src);
  rib_.PeerEstablished(a);
  rib_.PeerEstablished(b);
  rib_.Flush();
  Send(src, {65001}, "203.0.113.0/24");
  std::vector<rib::PeerUpdates> out = rib_.Flush();
  std::optional<wire::AsPath> to_a, to_b;
  for (const rib::PeerUpdates& pu : out) {
    if (pu.peer == a) to_a = PathOf(pu.updates, "203.0.113.0/24");
    if (pu.peer == b) to_b = PathOf(pu.updates, "203.0.113.0/24");
  }
  ASSERT_TRUE(to_a && to_b);
  // The export rules prepend our AS once (eBGP), the policy three more times.
  EXPECT_EQ(*to_a, (wire::AsPath{AsSegment{AsSegmentType::kSequence, {65000, 65000, 65000, 65000, 65001}}}));
  EXPECT_EQ(*to_b, (wire::AsPath{AsSegment{AsSegmentType::kSequence, {65000, 65001}}}));

  // Run-time change: drop the policy; re-export sends peer a the plain path, nothing to b.
  ASSERT_TRUE(engine_.Load(PolicyConfig()).ok());
  engine_.Install(&rib_);
  rib_.ReapplyImportPolicy();
  rib_.ReapplyExportPolicy();
  out = rib_.Flush();
  to_a.reset();
  bool b_sent = false;
  for (const rib::PeerUpdates& pu : out) {
    if (pu.peer == a) to_a = PathOf(pu.updates, "203.0.113.0/24");
    if (pu.peer == b) b_sent = !pu.updates.empty();
  }
  ASSERT_TRUE(to_a);
  EXPECT_EQ(*to_a, (wire::AsPath{AsSegment{AsSegmentType::kSequence, {65000, 65001}}}));
  EXPECT_FALSE(b_sent);
}

// Import policy through the Rib, swapped at run time: a reject becomes an accept without a
// session reset, and an export reject withdraws what was sent.
TEST_F(EngineRibTest, ReloadReevaluates) {
  const rib::PeerId src = rib_.AddPeer(P(65001, "192.0.2.1"));
  const rib::PeerId dst = rib_.AddPeer(P(65002, "192.0.2.2"));
  PolicyConfig reject_all;
  reject_all.global.default_import = Disposition::kReject;
  ASSERT_TRUE(engine_.Load(reject_all).ok());
  engine_.Install(&rib_);
  rib_.PeerEstablished(src);
  rib_.PeerEstablished(dst);
  rib_.Flush();
  Send(src, {65001}, "203.0.113.0/24");
  EXPECT_FALSE(PathOf(FlushFor(dst), "203.0.113.0/24"));
  ASSERT_TRUE(engine_.Load(PolicyConfig()).ok());
  engine_.Install(&rib_);
  rib_.ReapplyImportPolicy();
  rib_.ReapplyExportPolicy();
  EXPECT_TRUE(PathOf(FlushFor(dst), "203.0.113.0/24"));
  PolicyConfig reject_out;
  reject_out.global.default_export = Disposition::kReject;
  ASSERT_TRUE(engine_.Load(reject_out).ok());
  engine_.Install(&rib_);
  rib_.ReapplyExportPolicy();
  EXPECT_TRUE(Withdrawn(FlushFor(dst), "203.0.113.0/24"));
  // A bad config leaves the running one in place.
  PolicyConfig broken;
  broken.global.import_policies = {"missing"};
  EXPECT_FALSE(engine_.Load(broken).ok());
  EXPECT_TRUE(engine_.has_export());
}

// Route-server clients use their own assignment (import, then export); others the global.
TEST_F(EngineRibTest, RouteServerClientAssignment) {
  rib::PeerInfo client = P(65002, "192.0.2.2");
  client.route_server_client = true;
  rib::PeerInfo other = P(65001, "192.0.2.1");
  PolicyConfig cfg;
  cfg.policies.push_back(PolicyDef{"med", {Stmt("m", {}, Act([](auto& a) { a.set_med = "42"; }))}});
  AssignmentDef rs;
  rs.import_policies = {"med"};
  rs.default_export = Disposition::kAccept;
  cfg.route_server_clients.emplace_back(client.address, rs);
  ASSERT_TRUE(engine_.Load(cfg).ok());
  EXPECT_FALSE(engine_.has_import());
  EXPECT_TRUE(engine_.has_export());
  rib::AttrPool& pool = rib_.pool();
  wire::PathAttributes pa = A().Path({65001}).p;
  rib::AttrRef in = pool.Intern(pa, wire::kIPv4Unicast);
  rib::PolicyResult r = engine_.Export(&pool, Pfx("10.0.0.0/8"), client, other, *in, *in);
  ASSERT_TRUE(r.accept && r.attrs);
  EXPECT_EQ(r.attrs->med(), 42u);
  r = engine_.Export(&pool, Pfx("10.0.0.0/8"), other, client, *in, *in);
  EXPECT_TRUE(r.accept);
  EXPECT_FALSE(r.attrs);
}

// LOCAL_PREF set by an export policy does not go to an eBGP peer (gobgpd's postFilterpath).
TEST_F(EngineRibTest, ExportLocalPrefStrippedForEbgp) {
  PolicyConfig cfg;
  cfg.policies.push_back(PolicyDef{"lp", {Stmt("l", {}, Act([](auto& a) { a.set_local_pref = 300; a.set_med = "3"; }))}});
  cfg.global.export_policies = {"lp"};
  ASSERT_TRUE(engine_.Load(cfg).ok());
  rib::AttrPool& pool = rib_.pool();
  wire::PathAttributes pa = A().Path({65001}).p;
  rib::AttrRef in = pool.Intern(pa, wire::kIPv4Unicast);
  rib::PeerInfo ebgp = P(65009, "192.0.2.9"), ibgp = P(65000, "192.0.2.10");
  rib::PolicyResult r = engine_.Export(&pool, Pfx("10.0.0.0/8"), ebgp, ebgp, *in, *in);
  ASSERT_TRUE(r.attrs);
  EXPECT_FALSE(r.attrs->has_local_pref());
  EXPECT_EQ(r.attrs->med(), 3u);
  r = engine_.Export(&pool, Pfx("10.0.0.0/8"), ibgp, ebgp, *in, *in);
  ASSERT_TRUE(r.attrs);
  EXPECT_EQ(r.attrs->local_pref(), 300u);
}

}  // namespace
}  // namespace kbgp::policy
