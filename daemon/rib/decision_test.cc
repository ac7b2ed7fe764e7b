#include "daemon/rib/decision.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace kbgp::rib {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

wire::AsPath Seq(std::vector<uint32_t> asns) {
  return {wire::AsSegment{wire::AsSegmentType::kSequence, std::move(asns)}};
}

class DecisionTest : public ::testing::Test {
 protected:
  // Two peers: external (AS 65001, 10.0.0.1, id 1.1.1.1) and another external
  // (AS 65002, 10.0.0.2, id 2.2.2.2); internal peers are made on demand.
  DecisionTest() {
    ebgp1_.local_as = ebgp2_.local_as = ibgp1_.local_as = ibgp2_.local_as = 65000;
    ebgp1_.peer_as = 65001;
    ebgp1_.address = Ip("10.0.0.1");
    ebgp1_.router_id = 0x01010101;
    ebgp2_.peer_as = 65002;
    ebgp2_.address = Ip("10.0.0.2");
    ebgp2_.router_id = 0x02020202;
    ibgp1_.peer_as = 65000;
    ibgp1_.address = Ip("10.0.1.1");
    ibgp1_.router_id = 0x03030303;
    ibgp2_.peer_as = 65000;
    ibgp2_.address = Ip("10.0.1.2");
    ibgp2_.router_id = 0x04040404;
    local_.local = true;
    local_.local_as = local_.peer_as = 65000;
  }

  wire::PathAttributes Base(std::vector<uint32_t> path) {
    wire::PathAttributes a;
    a.origin = wire::Origin::kIgp;
    a.as_path = Seq(std::move(path));
    a.next_hop = Ip("192.0.2.1");
    return a;
  }
  Candidate Make(const wire::PathAttributes& a, const PeerInfo& peer, uint32_t seq = 0) {
    refs_.push_back(pool_.Intern(a, wire::kIPv4Unicast));
    Candidate c;
    c.attrs = refs_.back().get();
    c.peer = &peer;
    c.seq = seq;
    return c;
  }
  // Asserts that `winner` beats `loser` at `reason`, in both argument orders, and that
  // Decide picks it with that reason.
  void ExpectWins(const Candidate& winner, const Candidate& loser, BestPathReason reason) {
    Comparison c1 = Compare(winner, loser, opts_);
    EXPECT_GT(c1.cmp, 0);
    EXPECT_EQ(c1.reason, reason) << BestPathReasonName(c1.reason);
    Comparison c2 = Compare(loser, winner, opts_);
    EXPECT_LT(c2.cmp, 0);
    EXPECT_EQ(c2.reason, reason);
    std::vector<Candidate> v = {loser, winner};
    Decision d = Decide(v, opts_);
    EXPECT_EQ(d.best, 1);
    EXPECT_EQ(d.reason, reason) << BestPathReasonName(d.reason);
  }

  AttrPool pool_;
  std::vector<AttrRef> refs_;
  DecisionOptions opts_;
  PeerInfo ebgp1_, ebgp2_, ibgp1_, ibgp2_, local_;
};

TEST_F(DecisionTest, OnlyPath) {
  std::vector<Candidate> v = {Make(Base({65001}), ebgp1_)};
  Decision d = Decide(v, opts_);
  EXPECT_EQ(d.best, 0);
  EXPECT_EQ(d.reason, BestPathReason::kOnlyPath);
  EXPECT_EQ(BestPathReasonName(d.reason), "Only Path");
}

TEST_F(DecisionTest, Step1ReachableNextHop) {
  Candidate a = Make(Base({65001, 1, 2, 3}), ebgp1_);
  Candidate b = Make(Base({65002}), ebgp2_);
  b.reachable = false;
  ExpectWins(a, b, BestPathReason::kReachableNextHop);
  // An unreachable best is no best at all.
  std::vector<Candidate> v = {b};
  EXPECT_EQ(Decide(v, opts_).best, -1);
}

TEST_F(DecisionTest, Step2LocalPref) {
  wire::PathAttributes a = Base({65000, 65001, 1});
  a.local_pref = 200;
  wire::PathAttributes b = Base({65002});
  // Missing LOCAL_PREF counts as 100.
  ExpectWins(Make(a, ibgp1_), Make(b, ebgp2_), BestPathReason::kLocalPref);
}

TEST_F(DecisionTest, Step3LocalOrigin) {
  wire::PathAttributes a = Base({1, 2, 3});
  ExpectWins(Make(a, local_), Make(Base({65002}), ebgp2_), BestPathReason::kLocalOrigin);
}

TEST_F(DecisionTest, Step4AsPathLength) {
  ExpectWins(Make(Base({65002, 7}), ebgp2_), Make(Base({65001, 8, 9}), ebgp1_),
             BestPathReason::kAsPath);
  // A set counts one, confederation segments zero.
  wire::PathAttributes set = Base({65001});
  set.as_path->push_back(wire::AsSegment{wire::AsSegmentType::kSet, {1, 2, 3, 4}});
  wire::PathAttributes confed = Base({65002, 5, 6});
  confed.as_path->insert(confed.as_path->begin(),
                         wire::AsSegment{wire::AsSegmentType::kConfedSequence, {9, 9, 9}});
  ExpectWins(Make(set, ebgp1_), Make(confed, ebgp2_), BestPathReason::kAsPath);
  // ignore-as-path-length moves the decision on.
  opts_.ignore_as_path_length = true;
  wire::PathAttributes lo = Base({65002, 7, 8, 9});
  wire::PathAttributes hi = Base({65001});
  hi.origin = wire::Origin::kIncomplete;
  ExpectWins(Make(lo, ebgp2_), Make(hi, ebgp1_), BestPathReason::kOrigin);
}

TEST_F(DecisionTest, Step5Origin) {
  wire::PathAttributes a = Base({65001, 1});
  a.origin = wire::Origin::kEgp;
  wire::PathAttributes b = Base({65002, 1});
  b.origin = wire::Origin::kIncomplete;
  ExpectWins(Make(a, ebgp1_), Make(b, ebgp2_), BestPathReason::kOrigin);
}

TEST_F(DecisionTest, Step6MedSameNeighborAsOnly) {
  PeerInfo other = ebgp2_;  // a second session to AS 65001
  other.peer_as = 65001;
  wire::PathAttributes a = Base({65001, 1});
  a.med = 10;
  wire::PathAttributes b = Base({65001, 2});
  b.med = 20;
  ExpectWins(Make(a, other, 2), Make(b, ebgp1_, 1), BestPathReason::kMed);
  // Missing MED counts as 0.
  wire::PathAttributes none = Base({65001, 3});
  ExpectWins(Make(none, other, 2), Make(a, ebgp1_, 1), BestPathReason::kMed);
  // Different neighbor ASes: MED is skipped (the older eBGP path wins).
  wire::PathAttributes c = Base({65002, 2});
  c.med = 5;
  ExpectWins(Make(b, ebgp1_, 1), Make(c, ebgp2_, 2), BestPathReason::kOlder);
  // always-compare-med compares them.
  opts_.always_compare_med = true;
  ExpectWins(Make(c, ebgp2_, 2), Make(b, ebgp1_, 1), BestPathReason::kMed);
}

TEST_F(DecisionTest, Step7ExternalOverInternal) {
  wire::PathAttributes a = Base({65001, 1});
  wire::PathAttributes b = Base({65002, 1});
  ExpectWins(Make(a, ebgp1_), Make(b, ibgp1_), BestPathReason::kAsn);
}

TEST_F(DecisionTest, Step8IgpCost) {
  Candidate a = Make(Base({65001, 1}), ibgp2_);
  Candidate b = Make(Base({65001, 1}), ibgp1_);
  a.igp_cost = 5;
  b.igp_cost = 10;
  ExpectWins(a, b, BestPathReason::kIgpCost);
}

TEST_F(DecisionTest, Step9OlderExternal) {
  ExpectWins(Make(Base({65002, 1}), ebgp2_, 1), Make(Base({65001, 1}), ebgp1_, 2),
             BestPathReason::kOlder);
  // With external-compare-router-id the router id decides instead.
  opts_.external_compare_router_id = true;
  ExpectWins(Make(Base({65001, 1}), ebgp1_, 2), Make(Base({65002, 1}), ebgp2_, 1),
             BestPathReason::kRouterId);
}

TEST_F(DecisionTest, Step10RouterIdAndOriginatorId) {
  ExpectWins(Make(Base({65001, 1}), ibgp1_), Make(Base({65001, 1}), ibgp2_),
             BestPathReason::kRouterId);
  // RFC 4456 §9: ORIGINATOR_ID stands in for the router id.
  wire::PathAttributes o = Base({65001, 1});
  o.originator_id = Ip("0.0.0.9");
  ExpectWins(Make(o, ibgp2_), Make(Base({65001, 1}), ibgp1_), BestPathReason::kRouterId);
}

TEST_F(DecisionTest, Step11ClusterListLength) {
  wire::PathAttributes a = Base({65001, 1});
  a.originator_id = Ip("9.9.9.9");
  a.cluster_list = std::vector<uint32_t>{1};
  wire::PathAttributes b = a;
  b.cluster_list = std::vector<uint32_t>{1, 2};
  ExpectWins(Make(a, ibgp2_), Make(b, ibgp1_), BestPathReason::kClusterListLength);
}

TEST_F(DecisionTest, Step12NeighborAddress) {
  PeerInfo twin = ibgp2_;
  twin.router_id = ibgp1_.router_id;  // same router, two sessions
  ExpectWins(Make(Base({65001, 1}), ibgp1_), Make(Base({65001, 1}), twin),
             BestPathReason::kNeighborAddress);
}

TEST_F(DecisionTest, Step13PathId) {
  Candidate a = Make(Base({65001, 1}), ibgp1_);
  Candidate b = a;
  a.path_id = 1;
  b.path_id = 2;
  ExpectWins(a, b, BestPathReason::kPathId);
}

TEST_F(DecisionTest, StepOrderIsGoBgps) {
  EXPECT_LT(StepRank(BestPathReason::kLocalPref), StepRank(BestPathReason::kLocalOrigin));
  EXPECT_LT(StepRank(BestPathReason::kLocalOrigin), StepRank(BestPathReason::kAsPath));
  EXPECT_LT(StepRank(BestPathReason::kAsPath), StepRank(BestPathReason::kOrigin));
  EXPECT_LT(StepRank(BestPathReason::kOrigin), StepRank(BestPathReason::kMed));
  EXPECT_LT(StepRank(BestPathReason::kMed), StepRank(BestPathReason::kAsn));
  EXPECT_LT(StepRank(BestPathReason::kAsn), StepRank(BestPathReason::kOlder));
  EXPECT_LT(StepRank(BestPathReason::kOlder), StepRank(BestPathReason::kRouterId));
  EXPECT_LT(StepRank(BestPathReason::kRouterId), StepRank(BestPathReason::kNeighborAddress));
}

TEST_F(DecisionTest, ReasonIsTheClosestCompetitor) {
  wire::PathAttributes lp = Base({65001, 1});
  lp.local_pref = 50;
  std::vector<Candidate> v = {Make(lp, ibgp1_), Make(Base({65001, 1}), ibgp2_),
                              Make(Base({65001, 1}), ibgp1_)};
  Decision d = Decide(v, opts_);
  EXPECT_EQ(d.best, 2);  // beats [0] on local pref, [1] on router id
  EXPECT_EQ(d.reason, BestPathReason::kRouterId);
}

TEST_F(DecisionTest, Multipath) {
  opts_.multipath = true;
  PeerInfo p3 = ebgp1_;
  p3.address = Ip("10.0.0.3");
  p3.router_id = 0x05050505;
  std::vector<Candidate> v = {Make(Base({65001, 1}), ebgp1_, 1), Make(Base({65001, 1}), p3, 2),
                              Make(Base({65002, 1}), ebgp2_, 3),
                              Make(Base({65001, 1, 1}), ebgp1_, 4)};
  bool mp[4];
  Decision d = Decide(v, opts_, absl::MakeSpan(mp));
  EXPECT_EQ(d.best, 0);
  EXPECT_TRUE(mp[0]);
  EXPECT_TRUE(mp[1]);
  EXPECT_FALSE(mp[2]);  // another neighbor AS
  EXPECT_FALSE(mp[3]);  // longer AS path
  opts_.multipath_relax = true;
  d = Decide(v, opts_, absl::MakeSpan(mp));
  EXPECT_TRUE(mp[0] && mp[1] && mp[2]);
  EXPECT_FALSE(mp[3]);
}

// The outcome must not depend on the order paths arrived in (the candidates' order); MED
// across neighbor ASes is the classic trap.
TEST_F(DecisionTest, RandomizedOrderIndependence) {
  std::mt19937 rng(42);
  opts_.external_compare_router_id = true;  // the age step depends on arrival by design
  std::vector<PeerInfo> peers(8);
  for (int i = 0; i < 8; ++i) {
    peers[i].local_as = 65000;
    peers[i].peer_as = (i % 3 == 0) ? 65000 : 65001 + i % 3;
    peers[i].address = IpAddress::V4(0x0a000001 + i);
    peers[i].router_id = 0x01000000 + static_cast<uint32_t>(rng() % 4);
  }
  for (int round = 0; round < 500; ++round) {
    std::vector<Candidate> v;
    const int n = 2 + static_cast<int>(rng() % 7);
    for (int i = 0; i < n; ++i) {
      wire::PathAttributes a = Base({65001 + static_cast<uint32_t>(rng() % 3), 7});
      if (rng() % 2) a.as_path->front().asns.push_back(8);
      if (rng() % 3) a.med = rng() % 3;
      if (rng() % 4 == 0) a.local_pref = 100 + rng() % 2;
      if (rng() % 5 == 0) a.origin = wire::Origin::kEgp;
      Candidate c = Make(a, peers[i]);
      c.igp_cost = rng() % 2;
      v.push_back(c);
    }
    const Decision d0 = Decide(v, opts_);
    ASSERT_GE(d0.best, 0);
    const Candidate best = v[d0.best];
    for (int k = 0; k < 10; ++k) {
      std::shuffle(v.begin(), v.end(), rng);
      const Decision d = Decide(v, opts_);
      ASSERT_GE(d.best, 0);
      EXPECT_EQ(v[d.best].peer, best.peer) << "round " << round;
      EXPECT_EQ(d.reason, d0.reason) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace kbgp::rib
