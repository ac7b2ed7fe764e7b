#include "daemon/rib/attr_set.h"

#include "gtest/gtest.h"

namespace kbgp::rib {
namespace {

wire::PathAttributes Attrs(std::vector<uint32_t> path, uint32_t med = 0) {
  wire::PathAttributes a;
  a.origin = wire::Origin::kIgp;
  a.as_path = wire::AsPath{wire::AsSegment{wire::AsSegmentType::kSequence, std::move(path)}};
  a.next_hop = *IpAddress::Parse("192.0.2.1");
  if (med) a.med = med;
  return a;
}

TEST(AttrPoolTest, EqualSetsSharePointer) {
  AttrPool pool;
  AttrRef a = pool.Intern(Attrs({1, 2, 3}), wire::kIPv4Unicast);
  AttrRef b = pool.Intern(Attrs({1, 2, 3}), wire::kIPv4Unicast);
  AttrRef c = pool.Intern(Attrs({1, 2, 3}, 5), wire::kIPv4Unicast);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_NE(a.get(), c.get());
  // The AS path is pooled too: both sets point at one object.
  EXPECT_EQ(a->as_path(), c->as_path());
  EXPECT_EQ(pool.set_count(), 2u);
  EXPECT_EQ(pool.as_path_count(), 1u);
  EXPECT_EQ(a->as_path_length(), 3);
  EXPECT_EQ(a->neighbor_as(), 1u);
  EXPECT_EQ(a->as_path()->origin_as(), 3u);
}

TEST(AttrPoolTest, CommunitiesAndExtrasPooled) {
  AttrPool pool;
  wire::PathAttributes x = Attrs({1});
  x.communities = std::vector<uint32_t>{0x00010002, 0xFFFFFF01};
  x.aggregator = wire::Aggregator{7, IpAddress::V4(0x01020304)};
  wire::PathAttributes y = Attrs({2});
  y.communities = x.communities;
  y.aggregator = x.aggregator;
  AttrRef a = pool.Intern(x, wire::kIPv4Unicast);
  AttrRef b = pool.Intern(y, wire::kIPv4Unicast);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(a->communities(), b->communities());
  EXPECT_EQ(a->extras(), b->extras());
  EXPECT_TRUE(a->HasCommunity(0xFFFFFF01));
  EXPECT_EQ(pool.community_list_count(), 1u);
  EXPECT_EQ(pool.extras_count(), 1u);
}

TEST(AttrPoolTest, RefcountsFree) {
  AttrPool pool;
  {
    AttrRef a = pool.Intern(Attrs({1, 2}), wire::kIPv4Unicast);
    AttrRef b = a;
    EXPECT_EQ(a->refs(), 2u);
    AttrPool::AddRef(a.get());  // a raw holder, like a path record
    b = AttrRef();
    EXPECT_EQ(a->refs(), 2u);
    pool.Unref(a.get());
    EXPECT_EQ(pool.set_count(), 1u);
  }
  EXPECT_EQ(pool.set_count(), 0u);
  EXPECT_EQ(pool.as_path_count(), 0u);
}

TEST(AttrPoolTest, ParentKeepsReceivedSetAlive) {
  AttrPool pool;
  AttrRef in = pool.Intern(Attrs({1}), wire::kIPv4Unicast);
  AttrFields f = in->fields();
  f.local_pref = 300;
  f.set(AttrFields::kHasLocalPref, true);
  f.parent = in.get();
  AttrRef out = pool.Intern(f);
  const AttrSet* raw_in = in.get();
  in = AttrRef();
  EXPECT_EQ(out->pre_policy(), raw_in);
  EXPECT_EQ(out->local_pref(), 300u);
  EXPECT_EQ(pool.set_count(), 2u);
  out = AttrRef();
  EXPECT_EQ(pool.set_count(), 0u);
}

TEST(AttrPoolTest, NextHopPerFamily) {
  AttrPool pool;
  wire::PathAttributes a = Attrs({1});
  wire::MpReach mp;
  mp.family = wire::kIPv6Unicast;
  mp.next_hop = *IpAddress::Parse("2001:db8::1");
  a.mp_reach = mp;
  AttrRef v4 = pool.Intern(a, wire::kIPv4Unicast);
  AttrRef v6 = pool.Intern(a, wire::kIPv6Unicast);
  EXPECT_EQ(v4->next_hop().ToString(), "192.0.2.1");
  EXPECT_EQ(v6->next_hop().ToString(), "2001:db8::1");
  // ToWire gives the attributes back (without next hop and MP fields).
  wire::PathAttributes back = v4->ToWire();
  EXPECT_EQ(back.as_path, a.as_path);
  EXPECT_EQ(back.origin, a.origin);
  EXPECT_FALSE(back.next_hop.has_value());
}

}  // namespace
}  // namespace kbgp::rib
