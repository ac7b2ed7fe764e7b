#include "bench/bgperf/routes.h"

#include <map>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"
#include "daemon/wire/message.h"

namespace kbgp::bgperf {
namespace {

// Decodes a feed's UPDATEs: prefix -> AS path mark (0 for withdrawn), in order.
std::map<std::string, uint16_t> Decode(const Bytes& feed, size_t* updates) {
  std::map<std::string, uint16_t> out;
  size_t off = 0;
  while (off < feed.size()) {
    EXPECT_GE(feed.size() - off, wire::kHeaderLength);
    const size_t len = (size_t{feed[off + 16]} << 8) | feed[off + 17];
    EXPECT_LE(len, wire::kMaxMessageLength);
    auto m = wire::DecodeMessage(ByteSpan(feed.data() + off, len), wire::CodecOptions());
    EXPECT_TRUE(m.ok()) << m.status();
    const auto& u = std::get<wire::Update>(*m);
    for (const auto& n : u.withdrawn) out[n.prefix.ToString()] = 0;
    for (const auto& n : u.nlri) out[n.prefix.ToString()] = PathMark(*u.attrs.as_path);
    off += len;
    ++*updates;
  }
  return out;
}

TEST(RoutesTest, SyntheticPeersGetDistinctSlash32s) {
  RouteSetSpec spec;
  spec.peers = 3;
  spec.prefixes = 2000;
  auto set = BuildRouteSet(spec);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->DistinctPrefixes(), 6000u);
  size_t updates = 0;
  auto feed = EncodeFeed(*set, 1, IpAddress::V4(0x0a010002), false);
  ASSERT_TRUE(feed.ok());
  auto got = Decode(feed->table, &updates);
  EXPECT_EQ(got.size(), 2000u);
  EXPECT_EQ(feed->prefixes, 2000u);
  EXPECT_TRUE(got.count("100.0.7.208/32"));  // 100.0.0.0 + 2000, peer 1's first
  EXPECT_FALSE(got.count("100.0.0.0/32"));
  const uint16_t want = PathMark(set->PeerPath(1, 0, false));
  for (const auto& [p, m] : got) EXPECT_EQ(m, want) << p;
  EXPECT_TRUE(feed->churn_withdraw.empty());
}

TEST(RoutesTest, SharedPrefixesPreferTheBestPeer) {
  RouteSetSpec spec;
  spec.peers = 4;
  spec.prefixes = 100;
  spec.shared = true;
  auto set = BuildRouteSet(spec);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->DistinctPrefixes(), 100u);
  EXPECT_EQ(set->PeerPath(3, 0, false)[0].asns.size(), 1u);  // the last peer is best
  EXPECT_EQ(set->PeerPath(0, 0, false)[0].asns.size(), 2u);  // the others prepend once
}

TEST(RoutesTest, RealisticChurnWithdrawsAndReannouncesTenPercent) {
  RouteSetSpec spec;
  spec.kind = "realistic";
  spec.peers = 2;
  spec.prefixes = 5000;
  auto set = BuildRouteSet(spec);
  ASSERT_TRUE(set.ok());
  auto again = BuildRouteSet(spec);  // deterministic: the monitor builds the same set
  ASSERT_EQ(again->base.size(), set->base.size());
  for (size_t i = 0; i < set->base.size(); ++i) {
    ASSERT_EQ(again->base[i].prefix, set->base[i].prefix);
    ASSERT_EQ(again->base[i].group, set->base[i].group);
  }
  size_t slash24 = 0;
  for (const auto& r : set->base) slash24 += r.prefix.length() == 24;
  EXPECT_GT(slash24, set->base.size() / 2);
  EXPECT_LT(slash24, set->base.size() * 7 / 10);

  auto feed = EncodeFeed(*set, 0, IpAddress::V4(0x0a010001), true);
  ASSERT_TRUE(feed.ok());
  size_t updates = 0;
  auto table = Decode(feed->table, &updates);
  EXPECT_EQ(table.size(), 5000u);
  EXPECT_GT(updates, 500u);  // many attribute sets, not one per peer
  auto withdrawn = Decode(feed->churn_withdraw, &updates);
  auto announced = Decode(feed->churn_announce, &updates);
  EXPECT_EQ(withdrawn.size(), 500u);
  EXPECT_EQ(announced.size(), 500u);
  for (uint32_t j = 0; j < set->per_peer; ++j) {
    const BaseRoute& r = set->base[j];
    const std::string p = r.prefix.ToString();
    ASSERT_EQ(table[p], PathMark(set->PeerPath(0, r.group, false))) << p;
    if (spec.Churned(j)) {
      EXPECT_EQ(withdrawn.count(p), 1u);
      EXPECT_EQ(announced[p], PathMark(set->PeerPath(0, r.group, true))) << p;
    } else {
      EXPECT_EQ(announced.count(p), 0u);
    }
  }
}

TEST(RoutesTest, MrtTableIsSplitBetweenPeers) {
  RouteSetSpec spec;
  spec.kind = "mrt";
  spec.mrt_file = std::string(KBGP_MRT_DATA_DIR) + "/bview.20020722.2337.gz";
  spec.peers = 2;
  spec.prefixes = 1000000;  // more than the table: each peer gets half of it
  auto set = BuildRouteSet(spec);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->per_peer, 112988u / 2);
  EXPECT_GT(set->groups.size(), 1000u);
  spec.mrt_file = "/nonexistent.gz";
  EXPECT_FALSE(BuildRouteSet(spec).ok());
}

TEST(RoutesTest, BadSpecsAreErrors) {
  RouteSetSpec spec;
  spec.kind = "nope";
  EXPECT_FALSE(BuildRouteSet(spec).ok());
  spec.kind = "synthetic";
  spec.peers = 0;
  EXPECT_FALSE(BuildRouteSet(spec).ok());
  spec.peers = 2;
  spec.shared = true;
  spec.best_peer = 5;
  EXPECT_FALSE(BuildRouteSet(spec).ok());
}

}  // namespace
}  // namespace kbgp::bgperf
