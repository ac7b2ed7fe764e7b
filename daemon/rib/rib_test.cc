#include "daemon/rib/rib.h"

#include <map>
#include <set>
#include <variant>
#include <vector>

#include "daemon/rib/transform.h"
#include "gtest/gtest.h"

namespace kbgp::rib {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
Prefix Pfx(const char* s) { return *Prefix::Parse(s); }
wire::Nlri N(const char* s, uint32_t id = 0) { return wire::Nlri{Pfx(s), id}; }

wire::PathAttributes Attrs(std::vector<uint32_t> path, const char* nh = "10.0.0.1") {
  wire::PathAttributes a;
  a.origin = wire::Origin::kIgp;
  a.as_path = wire::AsPath{wire::AsSegment{wire::AsSegmentType::kSequence, std::move(path)}};
  a.next_hop = Ip(nh);
  return a;
}

constexpr uint32_t kLocalAs = 65000;
constexpr uint32_t kRouterId = 0x0a0a0a0a;

PeerInfo Peer(uint32_t as, const char* addr, uint32_t id) {
  PeerInfo p;
  p.local_as = kLocalAs;
  p.peer_as = as;
  p.address = Ip(addr);
  p.router_id = id;
  p.local_router_id = kRouterId;
  p.local_address = Ip("10.255.0.1");
  return p;
}

class RibTest : public ::testing::Test {
 protected:
  RibTest() : rib_(RibOptions{kLocalAs, kRouterId, {}}) {}

  void Send(PeerId peer, const wire::PathAttributes& a, std::vector<wire::Nlri> nlri) {
    wire::Update u;
    u.attrs = a;
    u.nlri = std::move(nlri);
    rib_.ApplyUpdate(peer, u);
  }
  // All UPDATEs of a flush for `peer`.
  std::vector<wire::Update> FlushFor(PeerId peer) {
    for (PeerUpdates& pu : rib_.Flush()) {
      if (pu.peer == peer) return std::move(pu.updates);
    }
    return {};
  }
  static size_t NlriCount(const std::vector<wire::Update>& us) {
    size_t n = 0;
    for (const auto& u : us) n += u.nlri.size();
    return n;
  }

  Rib rib_;
};

TEST_F(RibTest, AdjRibInKeepsEveryPathAndLocRibTheBest) {
  PeerId a = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  PeerId b = rib_.AddPeer(Peer(65002, "10.0.0.2", 2));
  Send(a, Attrs({65001, 1, 2}), {N("192.0.2.0/24")});
  Send(b, Attrs({65002, 1}, "10.0.0.2"), {N("192.0.2.0/24")});
  const Destination* d = rib_.Find(Pfx("192.0.2.0/24"));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 2u);
  EXPECT_EQ(d->best()->peer, b);
  EXPECT_EQ(d->reason(), BestPathReason::kAsPath);
  EXPECT_EQ(rib_.adj_rib_in(a).size(), 1u);
  // A withdraw falls back to the other path.
  rib_.Withdraw(b, {N("192.0.2.0/24")});
  EXPECT_EQ(rib_.Find(Pfx("192.0.2.0/24"))->best()->peer, a);
  EXPECT_EQ(rib_.Find(Pfx("192.0.2.0/24"))->reason(), BestPathReason::kOnlyPath);
  // Peer down removes everything it sent.
  rib_.PeerDown(a);
  rib_.Flush();
  EXPECT_EQ(rib_.Find(Pfx("192.0.2.0/24")), nullptr);
  EXPECT_EQ(rib_.path_count(), 0u);
  EXPECT_EQ(rib_.pool().set_count(), 0u);
}

TEST_F(RibTest, AddPathPathsKeptApart) {
  PeerInfo info = Peer(65000, "10.0.1.1", 1);
  info.add_path_receive = true;
  PeerId a = rib_.AddPeer(info);
  wire::PathAttributes x = Attrs({65010}, "10.0.1.5");
  wire::PathAttributes y = Attrs({65010, 3}, "10.0.1.6");
  Send(a, x, {N("198.51.100.0/24", 1)});
  Send(a, y, {N("198.51.100.0/24", 2)});
  const Destination* d = rib_.Find(Pfx("198.51.100.0/24"));
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ(d->best()->path_id, 1u);
  EXPECT_EQ(d->reason(), BestPathReason::kAsPath);
  rib_.Withdraw(a, {N("198.51.100.0/24", 1)});
  d = rib_.Find(Pfx("198.51.100.0/24"));
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ(d->best()->path_id, 2u);
}

TEST_F(RibTest, AsLoopAndAllowOwnAs) {
  PeerInfo info = Peer(65001, "10.0.0.1", 1);
  PeerId a = rib_.AddPeer(info);
  Send(a, Attrs({65001, kLocalAs, 7}), {N("203.0.113.0/24")});
  const Destination* d = rib_.Find(Pfx("203.0.113.0/24"));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 1u);         // kept in the Adj-RIB-In (pre-policy)
  EXPECT_EQ(d->best(), nullptr);    // but never best
  info.allow_own_as = 1;
  PeerId b = rib_.AddPeer([&] { auto i = info; i.address = Ip("10.0.0.9"); return i; }());
  Send(b, Attrs({65001, kLocalAs, 7}), {N("203.0.113.0/24")});
  EXPECT_EQ(rib_.Find(Pfx("203.0.113.0/24"))->best()->peer, b);
}

TEST_F(RibTest, ImportPolicyAndSoftReconfiguration) {
  PeerId a = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  Send(a, Attrs({65001}), {N("192.0.2.0/24"), N("192.0.3.0/24")});
  uint32_t lp = 200;
  rib_.set_import_policy([&](const Prefix& p, const PeerInfo&, const AttrSet& in) {
    PolicyResult r;
    if (p == Pfx("192.0.3.0/24")) {
      r.accept = false;
      return r;
    }
    AttrFields f = in.fields();
    f.local_pref = lp;
    f.set(AttrFields::kHasLocalPref, true);
    r.attrs = rib_.pool().Intern(f);
    return r;
  });
  rib_.ReapplyImportPolicy();
  const Destination* d = rib_.Find(Pfx("192.0.2.0/24"));
  EXPECT_EQ(d->best()->attrs->local_pref(), 200u);
  EXPECT_FALSE(d->best()->attrs->pre_policy()->has_local_pref());  // received set kept
  EXPECT_EQ(rib_.Find(Pfx("192.0.3.0/24"))->best(), nullptr);
  lp = 300;
  rib_.ReapplyImportPolicy();
  EXPECT_EQ(rib_.Find(Pfx("192.0.2.0/24"))->best()->attrs->local_pref(), 300u);
}

TEST_F(RibTest, AdjRibOutSuppressesEqualUpdates) {
  PeerId a = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  PeerId b = rib_.AddPeer(Peer(65002, "10.0.0.2", 2));
  PeerId ibgp = rib_.AddPeer(Peer(kLocalAs, "10.0.1.1", 3));
  rib_.PeerEstablished(ibgp);
  auto first = FlushFor(ibgp);
  ASSERT_EQ(first.size(), 1u);  // only End-of-RIB
  EXPECT_EQ(wire::EndOfRibFamily(first[0]), wire::kIPv4Unicast);
  // Same attributes from two eBGP peers, with next-hop-self towards iBGP: the best moves
  // from a to b, but what iBGP receives does not change.
  PeerInfo nhs = Peer(kLocalAs, "10.0.1.1", 3);
  nhs.next_hop_self = true;
  PeerId ibgp2 = rib_.AddPeer([&] { auto i = nhs; i.address = Ip("10.0.1.2"); return i; }());
  rib_.PeerEstablished(ibgp2);
  FlushFor(ibgp2);
  Send(a, Attrs({65003, 9}), {N("192.0.2.0/24")});
  auto u1 = FlushFor(ibgp2);
  ASSERT_EQ(u1.size(), 1u);
  EXPECT_EQ(u1[0].attrs.next_hop, Ip("10.255.0.1"));
  Send(b, Attrs({65003, 9}), {N("192.0.2.0/24")});
  rib_.Withdraw(a, {N("192.0.2.0/24")});
  EXPECT_EQ(rib_.Find(Pfx("192.0.2.0/24"))->best()->peer, b);
  EXPECT_TRUE(FlushFor(ibgp2).empty());
  // The same UPDATE again (an implicit withdraw of the same route): nothing at all.
  Send(b, Attrs({65003, 9}), {N("192.0.2.0/24")});
  EXPECT_EQ(rib_.dirty_count(), 0u);
}

TEST_F(RibTest, FlushBudgetExportsInBoundedPiecesInOrder) {
  PeerId a = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  std::vector<PeerId> clients;
  for (uint32_t i = 0; i < 4; ++i) {
    std::string addr = "10.0.2." + std::to_string(i + 1);
    clients.push_back(rib_.AddPeer(Peer(65100 + i, addr.c_str(), 10 + i)));
    rib_.PeerEstablished(clients.back());
  }
  rib_.PeerEstablished(a);
  rib_.Flush();  // End-of-RIBs
  std::vector<wire::Nlri> nlri;
  for (int i = 0; i < 10; ++i) nlri.push_back(N(("198.51.100." + std::to_string(i) + "/32").c_str()));
  Send(a, Attrs({65001}), nlri);
  // 5 established peers, 20 exports a flush: 4 prefixes a flush, in arrival order.
  rib_.set_flush_budget(20);
  EXPECT_EQ(rib_.NextFlushChunk(), 4u);
  std::vector<std::string> hooked;
  rib_.ForEachDirty([&](const Prefix& p, const Destination*) { hooked.push_back(p.ToString()); });
  EXPECT_EQ(hooked, (std::vector<std::string>{"198.51.100.0/32", "198.51.100.1/32",
                                              "198.51.100.2/32", "198.51.100.3/32"}));
  std::vector<std::string> got;
  size_t flushes = 0;
  while (rib_.dirty_count() > 0) {
    ++flushes;
    for (PeerUpdates& pu : rib_.Flush()) {
      if (pu.peer != clients[0]) continue;
      for (const auto& u : pu.updates) {
        for (const auto& n : u.nlri) got.push_back(n.prefix.ToString());
      }
    }
  }
  EXPECT_EQ(flushes, 3u);  // 4 + 4 + 2
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[i], "198.51.100." + std::to_string(i) + "/32");
  // A change to a prefix still waiting is exported once, with its latest state.
  Send(a, Attrs({65001}), {N("203.0.113.0/24"), N("203.0.113.1/32")});
  rib_.set_flush_budget(5);  // one prefix a flush
  rib_.Flush();
  Send(a, Attrs({65001, 7}), {N("203.0.113.1/32")});
  EXPECT_EQ(rib_.dirty_count(), 1u);
  auto last = FlushFor(clients[1]);
  ASSERT_EQ(NlriCount(last), 1u);
  EXPECT_EQ(last[0].attrs.as_path->front().asns.back(), 7u);
  EXPECT_EQ(rib_.dirty_count(), 0u);
  // No budget: everything at once.
  rib_.set_flush_budget(0);
  rib_.Withdraw(a, nlri);
  EXPECT_EQ(rib_.NextFlushChunk(), 10u);
}

TEST_F(RibTest, ReplacedAndWithdrawnBestIsExported) {
  PeerId a = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  PeerId out = rib_.AddPeer(Peer(65009, "10.0.9.1", 9));
  rib_.PeerEstablished(out);
  rib_.Flush();
  Send(a, Attrs({65001, 1}), {N("192.0.2.0/24")});
  ASSERT_EQ(FlushFor(out).size(), 1u);
  // The same path (peer, path id) with new attributes: an implicit withdraw and a new best.
  Send(a, Attrs({65001, 2}), {N("192.0.2.0/24")});
  auto us = FlushFor(out);
  ASSERT_EQ(us.size(), 1u);
  EXPECT_EQ(us[0].attrs.as_path->front().asns, (std::vector<uint32_t>{kLocalAs, 65001, 2}));
  // Withdrawing the only path withdraws the prefix.
  rib_.Withdraw(a, {N("192.0.2.0/24")});
  us = FlushFor(out);
  ASSERT_EQ(us.size(), 1u);
  EXPECT_EQ(us[0].withdrawn, (std::vector<wire::Nlri>{N("192.0.2.0/24")}));
  EXPECT_EQ(rib_.Find(Pfx("192.0.2.0/24")), nullptr);
}

TEST_F(RibTest, UpdatePackingGroupsBySetWithinMaxSize) {
  PeerId a = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  PeerId out = rib_.AddPeer(Peer(65009, "10.0.9.1", 9));
  // 3000 /24s with one set and 1000 with another.
  std::vector<wire::Nlri> n1, n2;
  for (uint32_t i = 0; i < 4000; ++i) {
    wire::Nlri n{Prefix::Make(IpAddress::V4(0x0b000000 + (i << 8)), 24), 0};
    (i < 3000 ? n1 : n2).push_back(n);
  }
  Send(a, Attrs({65001, 1}), n1);
  Send(a, Attrs({65001, 2}), n2);
  rib_.PeerEstablished(out);
  auto us = FlushFor(out);
  ASSERT_FALSE(us.empty());
  EXPECT_TRUE(wire::EndOfRibFamily(us.back()).has_value());
  us.pop_back();
  EXPECT_EQ(NlriCount(us), 4000u);
  // Each /24 takes 4 bytes; about 1000 fit in 4096 bytes with the attributes.
  EXPECT_EQ(us.size(), 4u);  // 3000 + 1000 /24s at about 1011 per message
  wire::CodecOptions opts;
  for (const auto& u : us) {
    Bytes b;
    ASSERT_TRUE(wire::EncodeMessage(u, opts, &b).ok());
    EXPECT_LE(b.size(), wire::kMaxMessageLength);
    // eBGP export: our AS prepended, next hop self.
    EXPECT_EQ(u.attrs.as_path->front().asns.front(), kLocalAs);
    EXPECT_EQ(u.attrs.next_hop, Ip("10.255.0.1"));
    EXPECT_FALSE(u.attrs.local_pref.has_value());
  }
  // Withdrawals are packed too.
  rib_.PeerDown(a);
  auto w = FlushFor(out);
  size_t withdrawn = 0;
  for (const auto& u : w) {
    withdrawn += u.withdrawn.size();
    Bytes b;
    ASSERT_TRUE(wire::EncodeMessage(u, opts, &b).ok());
    EXPECT_LE(b.size(), wire::kMaxMessageLength);
  }
  EXPECT_EQ(withdrawn, 4000u);
  EXPECT_EQ(w.size(), 4u);  // (4096 - 23) / 4 = 1018 per message
  EXPECT_EQ(rib_.adj_rib_out(out).size(), 0u);
}

TEST_F(RibTest, Ipv6PackingUsesMpReach) {
  PeerInfo info = Peer(65001, "2001:db8::1", 1);
  PeerId a = rib_.AddPeer(info);
  PeerInfo oi = Peer(65009, "2001:db8::9", 9);
  oi.local_address = Ip("2001:db8::ff");
  PeerId out = rib_.AddPeer(oi);
  wire::PathAttributes at = Attrs({65001});
  at.next_hop.reset();
  wire::MpReach mp;
  mp.family = wire::kIPv6Unicast;
  mp.next_hop = Ip("2001:db8::1");
  for (uint32_t i = 0; i < 600; ++i) {
    uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, static_cast<uint8_t>(i >> 8),
                     static_cast<uint8_t>(i)};
    mp.nlri.push_back(wire::Nlri{Prefix::Make(IpAddress::V6Bytes(b), 48), 0});
  }
  at.mp_reach = mp;
  wire::Update u;
  u.attrs = at;
  rib_.ApplyUpdate(a, u);
  EXPECT_EQ(rib_.destination_count(Family::kIPv6), 600u);
  rib_.PeerEstablished(out, false, true);
  auto us = FlushFor(out);
  ASSERT_GE(us.size(), 2u);
  EXPECT_EQ(wire::EndOfRibFamily(us.back()), wire::kIPv6Unicast);
  us.pop_back();
  size_t n = 0;
  for (const auto& m : us) {
    ASSERT_TRUE(m.attrs.mp_reach.has_value());
    EXPECT_EQ(m.attrs.mp_reach->next_hop, Ip("2001:db8::ff"));
    n += m.attrs.mp_reach->nlri.size();
    Bytes b;
    ASSERT_TRUE(wire::EncodeMessage(m, wire::CodecOptions{}, &b).ok());
    EXPECT_LE(b.size(), wire::kMaxMessageLength);
  }
  EXPECT_EQ(n, 600u);
  EXPECT_EQ(us.size(), 2u);  // 600 /48s of 7 bytes: 4200 bytes, two messages
}

TEST_F(RibTest, SplitHorizonAndRouteReflection) {
  PeerInfo client = Peer(kLocalAs, "10.0.1.1", 0x01010101);
  client.route_reflector_client = true;
  PeerId c1 = rib_.AddPeer(client);
  client.address = Ip("10.0.1.2");
  client.router_id = 0x02020202;
  PeerId c2 = rib_.AddPeer(client);
  PeerId nonclient = rib_.AddPeer(Peer(kLocalAs, "10.0.1.3", 0x03030303));
  PeerId nonclient2 = rib_.AddPeer(Peer(kLocalAs, "10.0.1.4", 0x04040404));
  for (PeerId p : {c1, c2, nonclient, nonclient2}) rib_.PeerEstablished(p);
  rib_.Flush();
  // From a client: to the other client and to non-clients, ORIGINATOR_ID and CLUSTER_LIST.
  wire::PathAttributes a = Attrs({65100}, "10.0.1.1");
  a.local_pref = 100;
  Send(c1, a, {N("192.0.2.0/24")});
  auto res = rib_.Flush();
  std::vector<PeerId> got;
  for (auto& pu : res) {
    got.push_back(pu.peer);
    ASSERT_EQ(pu.updates.size(), 1u);
    const wire::PathAttributes& s = pu.updates[0].attrs;
    EXPECT_EQ(s.originator_id, IpAddress::V4(0x01010101));
    EXPECT_EQ(s.cluster_list, std::vector<uint32_t>{kRouterId});
    EXPECT_EQ(s.next_hop, Ip("10.0.1.1"));  // iBGP: next hop unchanged
    EXPECT_EQ(s.as_path, a.as_path);        // iBGP: no prepend
  }
  EXPECT_EQ(got, (std::vector<PeerId>{c2, nonclient, nonclient2}));
  // From a non-client: to clients only (split horizon towards non-clients).
  Send(nonclient, Attrs({65200}, "10.0.1.3"), {N("192.0.3.0/24")});
  got.clear();
  for (auto& pu : rib_.Flush()) got.push_back(pu.peer);
  EXPECT_EQ(got, (std::vector<PeerId>{c1, c2}));
  // Loop checks: our router id as ORIGINATOR_ID, our cluster id in CLUSTER_LIST.
  wire::PathAttributes loop = Attrs({65300}, "10.0.1.1");
  loop.originator_id = IpAddress::V4(kRouterId);
  Send(c1, loop, {N("192.0.4.0/24")});
  EXPECT_EQ(rib_.Find(Pfx("192.0.4.0/24"))->best(), nullptr);
  wire::PathAttributes loop2 = Attrs({65300}, "10.0.1.1");
  loop2.originator_id = IpAddress::V4(0x09090909);
  loop2.cluster_list = std::vector<uint32_t>{5, kRouterId};
  Send(c1, loop2, {N("192.0.5.0/24")});
  EXPECT_EQ(rib_.Find(Pfx("192.0.5.0/24"))->best(), nullptr);
}

TEST_F(RibTest, RouteServerIsTransparent) {
  PeerInfo rs = Peer(65001, "10.0.0.1", 1);
  rs.route_server_client = true;
  PeerId a = rib_.AddPeer(rs);
  rs = Peer(65002, "10.0.0.2", 2);
  rs.route_server_client = true;
  PeerId b = rib_.AddPeer(rs);
  rib_.PeerEstablished(b);
  rib_.Flush();
  wire::PathAttributes at = Attrs({65001, 7}, "10.0.0.1");
  at.med = 50;
  Send(a, at, {N("192.0.2.0/24")});
  auto us = FlushFor(b);
  ASSERT_EQ(us.size(), 1u);
  // RFC 7947 §2.2: no AS prepend, next hop and MED kept.
  EXPECT_EQ(us[0].attrs.as_path, at.as_path);
  EXPECT_EQ(us[0].attrs.next_hop, Ip("10.0.0.1"));
  EXPECT_EQ(us[0].attrs.med, 50u);
}

TEST_F(RibTest, WellKnownCommunitiesAndPrivateAs) {
  PeerId a = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  PeerInfo e = Peer(65009, "10.0.9.1", 9);
  e.remove_private_as = RemovePrivateAs::kAll;
  PeerId ebgp = rib_.AddPeer(e);
  PeerId ibgp = rib_.AddPeer(Peer(kLocalAs, "10.0.1.1", 3));
  rib_.PeerEstablished(ebgp);
  rib_.PeerEstablished(ibgp);
  rib_.Flush();
  wire::PathAttributes ne = Attrs({65001, 64512, 7});
  ne.communities = std::vector<uint32_t>{kNoExport};
  Send(a, ne, {N("192.0.2.0/24")});
  Send(a, Attrs({65001, 64512, 7}), {N("192.0.3.0/24")});
  for (auto& pu : rib_.Flush()) {
    size_t n = 0;
    for (auto& u : pu.updates) {
      n += u.nlri.size();
      if (pu.peer == ebgp) {
        // 65001 is private too (64512-65534): only 7 stays, after our AS.
        EXPECT_EQ(u.attrs.as_path->front().asns, (std::vector<uint32_t>{kLocalAs, 7}));
      }
    }
    EXPECT_EQ(n, pu.peer == ebgp ? 1u : 2u);  // NO_EXPORT stays inside the AS
  }
}

TEST_F(RibTest, LocallyOriginated) {
  PeerId e = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
  rib_.PeerEstablished(e);
  rib_.Flush();
  wire::PathAttributes a;
  a.origin = wire::Origin::kIgp;
  a.med = 10;
  AttrRef set = rib_.pool().Intern(a, wire::kIPv4Unicast);
  rib_.Originate(Pfx("192.0.2.0/24"), set.get());
  auto us = FlushFor(e);
  ASSERT_EQ(us.size(), 1u);
  EXPECT_EQ(us[0].attrs.as_path->front().asns, (std::vector<uint32_t>{kLocalAs}));
  EXPECT_EQ(us[0].attrs.next_hop, Ip("10.255.0.1"));
  EXPECT_EQ(us[0].attrs.med, 10u);  // local MED goes out (GoBGP)
}

// Two established eBGP peers, a (AS 65001) and b (AS 65002), initial tables flushed.
class TwoPeerRibTest : public RibTest {
 protected:
  TwoPeerRibTest() {
    PeerInfo pb = Peer(65002, "10.0.0.2", 2);
    pb.local_address_v6 = Ip("2001:db8::ff");
    a_ = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
    b_ = rib_.AddPeer(pb);
    rib_.PeerEstablished(a_, true, true);
    rib_.PeerEstablished(b_, true, true);
    rib_.Flush();
  }
  PeerId a_ = 0, b_ = 0;
};

// RFC 2918 §4: a ROUTE-REFRESH is answered with the whole Adj-RIB-Out and End-of-RIB; the
// peer's own routes stay in the Adj-RIB-In.
TEST_F(TwoPeerRibTest, ResendTableKeepsThePeersOwnRoutes) {
  Rib& rib = rib_;
  const PeerId a = a_, b = b_;
  wire::Update ua;
  ua.attrs = Attrs({65001});
  ua.nlri = {N("192.0.2.0/24")};
  rib.ApplyUpdate(a, ua);
  wire::Update ub;
  ub.attrs = Attrs({65002}, "10.0.0.2");
  ub.nlri = {N("198.51.100.0/24")};
  rib.ApplyUpdate(b, ub);
  rib.Flush();

  rib.ResendTable(a);
  std::vector<wire::Update> to_a;
  for (PeerUpdates& pu : rib.Flush()) {
    if (pu.peer == a) to_a = std::move(pu.updates);
  }
  // b's route again, then End-of-RIB for both families; a's own route is still in the table.
  ASSERT_EQ(to_a.size(), 3u);
  EXPECT_EQ(to_a[0].nlri, std::vector<wire::Nlri>{N("198.51.100.0/24")});
  EXPECT_EQ(wire::EndOfRibFamily(to_a[1]), wire::kIPv4Unicast);
  EXPECT_EQ(wire::EndOfRibFamily(to_a[2]), wire::kIPv6Unicast);
  ASSERT_NE(rib.Find(Pfx("192.0.2.0/24")), nullptr);
  EXPECT_EQ(rib.Find(Pfx("192.0.2.0/24"))->best()->peer, a);
  EXPECT_EQ(rib.adj_rib_in(a).size(), 1u);
}

// RFC 2545 §3: with next hop self towards an eBGP peer, the previous hop's link-local next
// hop must not go along (it names a router on another link).
TEST_F(TwoPeerRibTest, NextHopSelfDropsTheReceivedLinkLocal) {
  Rib& rib = rib_;
  const PeerId a = a_, b = b_;
  wire::Update u;
  u.attrs.origin = wire::Origin::kIgp;
  u.attrs.as_path = wire::AsPath{wire::AsSegment{wire::AsSegmentType::kSequence, {65001}}};
  wire::MpReach mp;
  mp.family = wire::kIPv6Unicast;
  mp.next_hop = Ip("2001:db8::1");
  mp.link_local_next_hop = Ip("fe80::1");
  mp.nlri = {N("2001:db8:100::/48")};
  u.attrs.mp_reach = mp;
  rib.ApplyUpdate(a, u);
  std::vector<wire::Update> to_b;
  for (PeerUpdates& pu : rib.Flush()) {
    if (pu.peer == b) to_b = std::move(pu.updates);
  }
  ASSERT_EQ(to_b.size(), 1u);
  ASSERT_TRUE(to_b[0].attrs.mp_reach.has_value());
  EXPECT_EQ(to_b[0].attrs.mp_reach->next_hop, Ip("2001:db8::ff"));
  EXPECT_FALSE(to_b[0].attrs.mp_reach->link_local_next_hop.has_value());
}

// RFC 4724 §4.2: a restarting peer's paths stay (stale) and are still exported; what it
// announces again is fresh, and End-of-RIB sweeps the rest.
TEST_F(TwoPeerRibTest, GracefulRestartStalePathsStayUntilSwept) {
  Rib& rib = rib_;
  const PeerId a = a_, b = b_;
  wire::Update u;
  u.attrs = Attrs({65001});
  u.nlri = {N("192.0.2.0/24"), N("198.51.100.0/24")};
  rib.ApplyUpdate(a, u);
  rib.Flush();
  EXPECT_EQ(rib.adj_rib_out(b).size(), 2u);

  rib.PeerDownGraceful(a);
  EXPECT_EQ(rib.stale_count(a), 2u);
  // Nothing is withdrawn from b while a restarts.
  for (const PeerUpdates& pu : rib.Flush()) EXPECT_NE(pu.peer, b);
  EXPECT_EQ(rib.adj_rib_out(b).size(), 2u);

  rib.PeerEstablished(a);
  wire::Update again;
  again.attrs = Attrs({65001});
  again.nlri = {N("192.0.2.0/24")};
  rib.ApplyUpdate(a, again);
  EXPECT_EQ(rib.stale_count(a), 1u);
  EXPECT_EQ(rib.SweepStale(a, Family::kIPv4), 1u);
  std::vector<wire::Update> to_b;
  for (PeerUpdates& pu : rib.Flush()) {
    if (pu.peer == b) to_b = std::move(pu.updates);
  }
  ASSERT_EQ(to_b.size(), 1u);
  EXPECT_EQ(to_b[0].withdrawn, std::vector<wire::Nlri>{N("198.51.100.0/24")});
  ASSERT_NE(rib.Find(Pfx("192.0.2.0/24")), nullptr);
  EXPECT_EQ(rib.stale_count(a), 0u);
}

// Three eBGP peers in AS 65001 offer one prefix with equal attributes (multipath on), `rs`
// (route server client, so next hops stay apart) has ADD-PATH send for IPv4, `plain` (eBGP)
// has not.
class EcmpRibTest : public RibTest {
 protected:
  static constexpr const char* kP = "192.0.2.0/24";
  EcmpRibTest() {
    DecisionOptions o;
    o.multipath = true;
    rib_.set_decision_options(o);
    a_ = rib_.AddPeer(Peer(65001, "10.0.0.1", 1));
    b_ = rib_.AddPeer(Peer(65001, "10.0.0.2", 2));
    c_ = rib_.AddPeer(Peer(65001, "10.0.0.3", 3));
    PeerInfo ri = Peer(65010, "10.0.0.10", 10);
    ri.route_server_client = true;
    ri.add_path_send_ipv4 = true;
    rs_ = rib_.AddPeer(ri);
    plain_ = rib_.AddPeer(Peer(65020, "10.0.0.20", 20));
    rib_.PeerEstablished(rs_);
    rib_.PeerEstablished(plain_);
    rib_.Flush();
  }
  // The (path id, next hop) of every NLRI announced in `us`, and the withdrawn path ids.
  static std::map<uint32_t, IpAddress> Announced(const std::vector<wire::Update>& us) {
    std::map<uint32_t, IpAddress> m;
    for (const auto& u : us) {
      for (const auto& n : u.nlri) m.emplace(n.path_id, *u.attrs.next_hop);
    }
    return m;
  }
  static std::vector<uint32_t> Withdrawn(const std::vector<wire::Update>& us) {
    std::vector<uint32_t> ids;
    for (const auto& u : us) {
      for (const auto& n : u.withdrawn) ids.push_back(n.path_id);
    }
    return ids;
  }
  // Flushes once; the UPDATEs for rs_ and plain_.
  void FlushBoth(std::vector<wire::Update>* rs, std::vector<wire::Update>* plain) {
    rs->clear();
    plain->clear();
    for (PeerUpdates& pu : rib_.Flush()) {
      if (pu.peer == rs_) *rs = std::move(pu.updates);
      if (pu.peer == plain_) *plain = std::move(pu.updates);
    }
  }
  void Offer(PeerId p, const char* nh, std::vector<uint32_t> path = {65001}) {
    Send(p, Attrs(std::move(path), nh), {N(kP)});
  }
  PeerId a_ = 0, b_ = 0, c_ = 0, rs_ = 0, plain_ = 0;
};

TEST_F(EcmpRibTest, AddPathPeerGetsTheEcmpSetWithDistinctIds) {
  Offer(a_, "10.0.0.1");
  Offer(b_, "10.0.0.2");
  Offer(c_, "10.0.0.3");
  const Destination* d = rib_.Find(Pfx(kP));
  ASSERT_NE(d, nullptr);
  for (const Path& p : d->paths()) EXPECT_TRUE(p.multipath());
  std::vector<wire::Update> rs, plain;
  FlushBoth(&rs, &plain);
  // Three paths, three ids, three next hops (RFC 7947: the route server keeps them).
  const std::map<uint32_t, IpAddress> got = Announced(rs);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(NlriCount(rs), 3u);
  std::set<IpAddress> hops;
  for (const auto& [id, nh] : got) {
    EXPECT_NE(id, 0u);
    hops.insert(nh);
  }
  EXPECT_EQ(hops, (std::set<IpAddress>{Ip("10.0.0.1"), Ip("10.0.0.2"), Ip("10.0.0.3")}));
  EXPECT_EQ(rib_.adj_rib_out(rs_).size(), 3u);
  EXPECT_EQ(rib_.adj_rib_out(rs_).FindAll(Pfx(kP)).size(), 3u);
  // The peer without ADD-PATH: the best only (the oldest, a's), path id 0.
  ASSERT_EQ(NlriCount(plain), 1u);
  EXPECT_EQ(plain[0].nlri[0].path_id, 0u);
  EXPECT_EQ(rib_.adj_rib_out(plain_).size(), 1u);
  // The UPDATEs encode with the session's ADD-PATH option and decode to the same ids.
  wire::CodecOptions opts;
  opts.add_path_ipv4 = true;
  std::map<uint32_t, IpAddress> decoded;
  for (const auto& u : rs) {
    Bytes b;
    ASSERT_TRUE(wire::EncodeMessage(u, opts, &b).ok());
    absl::StatusOr<wire::Message> m = wire::DecodeMessage(b, opts);
    ASSERT_TRUE(m.ok()) << m.status();
    for (const auto& [id, nh] : Announced({std::get<wire::Update>(*m)})) decoded.emplace(id, nh);
  }
  EXPECT_EQ(decoded, got);
}

TEST_F(EcmpRibTest, PathLeavingTheSetWithdrawsExactlyItsId) {
  Offer(a_, "10.0.0.1");
  Offer(b_, "10.0.0.2");
  Offer(c_, "10.0.0.3");
  std::vector<wire::Update> rs, plain;
  FlushBoth(&rs, &plain);
  const std::map<uint32_t, IpAddress> before = Announced(rs);
  uint32_t c_id = 0;
  for (const auto& [id, nh] : before) {
    if (nh == Ip("10.0.0.3")) c_id = id;
  }
  ASSERT_NE(c_id, 0u);
  // c prepends: a longer AS path is out of the ECMP set.
  Offer(c_, "10.0.0.3", {65001, 65001, 65001});
  EXPECT_FALSE(rib_.Find(Pfx(kP))->paths()[2].multipath());
  FlushBoth(&rs, &plain);
  EXPECT_EQ(Withdrawn(rs), std::vector<uint32_t>{c_id});
  EXPECT_EQ(NlriCount(rs), 0u);  // a and b stay as they were
  EXPECT_TRUE(plain.empty());    // the best (a) did not change
  EXPECT_EQ(rib_.adj_rib_out(rs_).size(), 2u);
  // Back to the short path: the same id again.
  Offer(c_, "10.0.0.3");
  FlushBoth(&rs, &plain);
  EXPECT_EQ(Announced(rs), (std::map<uint32_t, IpAddress>{{c_id, Ip("10.0.0.3")}}));
  EXPECT_TRUE(Withdrawn(rs).empty());
  // The same path again (an implicit withdraw of the same route): nothing.
  Offer(c_, "10.0.0.3");
  FlushBoth(&rs, &plain);
  EXPECT_TRUE(rs.empty());
}

TEST_F(EcmpRibTest, SetShrinkingToOneThenThePrefixGoing) {
  Offer(a_, "10.0.0.1");
  Offer(b_, "10.0.0.2");
  Offer(c_, "10.0.0.3", {65001, 7});  // longer: not in the set
  std::vector<wire::Update> rs, plain;
  FlushBoth(&rs, &plain);
  std::map<uint32_t, IpAddress> sent = Announced(rs);
  ASSERT_EQ(sent.size(), 2u);
  uint32_t a_id = 0, b_id = 0;
  for (const auto& [id, nh] : sent) (nh == Ip("10.0.0.1") ? a_id : b_id) = id;
  // b goes: its id is withdrawn; a stays the only member, under the id it had.
  rib_.Withdraw(b_, {N(kP)});
  FlushBoth(&rs, &plain);
  EXPECT_EQ(Withdrawn(rs), std::vector<uint32_t>{b_id});
  EXPECT_EQ(NlriCount(rs), 0u);
  EXPECT_TRUE(plain.empty());
  // a goes: c, the only path left, is the set; a's id goes, c's comes.
  rib_.Withdraw(a_, {N(kP)});
  FlushBoth(&rs, &plain);
  EXPECT_EQ(Withdrawn(rs), std::vector<uint32_t>{a_id});
  sent = Announced(rs);
  ASSERT_EQ(sent.size(), 1u);
  const uint32_t c_id = sent.begin()->first;
  EXPECT_NE(c_id, a_id);
  EXPECT_NE(c_id, b_id);
  EXPECT_EQ(sent.begin()->second, Ip("10.0.0.3"));
  ASSERT_EQ(NlriCount(plain), 1u);  // the best moved to c: replaced under path id 0
  EXPECT_EQ(plain[0].nlri[0].path_id, 0u);
  // The prefix goes: its last id is withdrawn and the Adj-RIB-Out is empty.
  rib_.Withdraw(c_, {N(kP)});
  FlushBoth(&rs, &plain);
  EXPECT_EQ(Withdrawn(rs), std::vector<uint32_t>{c_id});
  EXPECT_EQ(Withdrawn(plain), std::vector<uint32_t>{0});
  EXPECT_EQ(rib_.adj_rib_out(rs_).size(), 0u);
  EXPECT_EQ(rib_.Find(Pfx(kP)), nullptr);
  rib_.PeerDown(rs_);
  rib_.PeerDown(plain_);
  EXPECT_EQ(rib_.pool().set_count(), 0u);  // the Adj-RIB-Outs held no stray references
}

// The RFC rules and export policy apply per path: a member is not sent back to the peer it
// came from, and a member the policy rejects is left out while the others go.
TEST_F(EcmpRibTest, RulesAndExportPolicyPerPath) {
  PeerInfo ci = Peer(65001, "10.0.0.3", 3);
  ci.add_path_send_ipv4 = true;
  rib_.SetPeerInfo(c_, ci);
  rib_.PeerEstablished(c_);
  rib_.Flush();
  rib_.set_export_policy(
      [](const Prefix&, const PeerInfo& to, const PeerInfo& from, const AttrSet&, const AttrSet&) {
        PolicyResult r;
        r.accept = !(to.route_server_client && from.address == Ip("10.0.0.2"));
        return r;
      });
  Offer(a_, "10.0.0.1");
  Offer(b_, "10.0.0.2");
  Offer(c_, "10.0.0.3");
  std::vector<wire::Update> to_c;
  std::vector<wire::Update> rs;
  for (PeerUpdates& pu : rib_.Flush()) {
    if (pu.peer == c_) to_c = std::move(pu.updates);
    if (pu.peer == rs_) rs = std::move(pu.updates);
  }
  EXPECT_EQ(NlriCount(to_c), 2u);  // a's and b's, not its own
  std::set<IpAddress> hops;
  for (const auto& [id, nh] : Announced(rs)) hops.insert(nh);
  EXPECT_EQ(hops, (std::set<IpAddress>{Ip("10.0.0.1"), Ip("10.0.0.3")}));
}

// Without multipath an ADD-PATH peer gets what it got before: the best, path id 0.
TEST_F(EcmpRibTest, WithoutMultipathTheBestOnly) {
  rib_.set_decision_options(DecisionOptions{});
  Offer(a_, "10.0.0.1");
  Offer(b_, "10.0.0.2");
  std::vector<wire::Update> rs, plain;
  FlushBoth(&rs, &plain);
  EXPECT_EQ(Announced(rs), (std::map<uint32_t, IpAddress>{{0, Ip("10.0.0.1")}}));
  // Multipath turned on: the set replaces path id 0.
  DecisionOptions o;
  o.multipath = true;
  rib_.set_decision_options(o);
  rib_.Recompute();
  FlushBoth(&rs, &plain);
  EXPECT_EQ(Withdrawn(rs), std::vector<uint32_t>{0});
  EXPECT_EQ(Announced(rs).size(), 2u);
  EXPECT_TRUE(plain.empty());
}

// The shared Adj-RIB-Out store: one common set and a peer bitset per slot, exceptions for
// peers sent another set, the first exception promoted when no peer has the common set.
// The common set is the one most peers hold, whichever peer was exported to first.
TEST(OutStoreTest, CommonSetFollowsTheMajority) {
  AttrPool pool;
  AttrRef x = pool.Intern(Attrs({1}), wire::kIPv4Unicast);
  AttrRef y = pool.Intern(Attrs({2}), wire::kIPv4Unicast);
  AttrRef z = pool.Intern(Attrs({3}), wire::kIPv4Unicast);
  {
    OutStore out(&pool);
    out.Reserve(100);
    uint32_t slot = OutStore::kNone;
    EXPECT_TRUE(out.Set(&slot, 1, x.get()));  // first, but alone with x
    for (PeerId p = 2; p <= 6; ++p) EXPECT_TRUE(out.Set(&slot, p, y.get()));
    EXPECT_EQ(out.exception_count(slot), 1u);  // only peer 1
    EXPECT_EQ(out.Get(slot, 1), x.get());
    for (PeerId p = 2; p <= 6; ++p) EXPECT_EQ(out.Get(slot, p), y.get());
    EXPECT_EQ(x->refs(), 2u);
    EXPECT_EQ(y->refs(), 6u);
    // Two peers get z; then every y holder leaves: z (two) becomes common, not x (one).
    EXPECT_TRUE(out.Set(&slot, 70, z.get()));
    EXPECT_TRUE(out.Set(&slot, 71, z.get()));
    EXPECT_EQ(out.exception_count(slot), 3u);
    for (PeerId p = 2; p <= 6; ++p) EXPECT_TRUE(out.Erase(&slot, p));
    EXPECT_EQ(out.exception_count(slot), 1u);
    EXPECT_EQ(out.Get(slot, 1), x.get());
    EXPECT_EQ(out.Get(slot, 70), z.get());
    EXPECT_EQ(out.Get(slot, 71), z.get());
    EXPECT_EQ(out.Get(slot, 0), nullptr);  // kLocalPeer never holds a set
    EXPECT_EQ(y->refs(), 1u);
    EXPECT_EQ(z->refs(), 3u);
  }
  EXPECT_EQ(x->refs(), 1u);
  EXPECT_EQ(z->refs(), 1u);
}

TEST(OutStoreTest, CommonSetExceptionsAndPromotion) {
  AttrPool pool;
  AttrRef x = pool.Intern(Attrs({1}), wire::kIPv4Unicast);
  AttrRef y = pool.Intern(Attrs({2}), wire::kIPv4Unicast);
  {
    OutStore out(&pool);
    out.Reserve(200);  // four bitset words
    uint32_t slot = OutStore::kNone;
    EXPECT_EQ(out.Get(slot, 5), nullptr);
    EXPECT_FALSE(out.Erase(&slot, 5));
    for (PeerId p : {PeerId{1}, PeerId{5}, PeerId{70}, PeerId{150}}) {
      EXPECT_TRUE(out.Set(&slot, p, x.get()));
    }
    EXPECT_FALSE(out.Set(&slot, 70, x.get()));  // sent already
    EXPECT_EQ(out.slots_in_use(), 1u);
    EXPECT_EQ(x->refs(), 5u);  // the AttrRef and four peers
    // Peers 5 and 150 get another set: exceptions.
    EXPECT_TRUE(out.Set(&slot, 150, y.get()));
    EXPECT_TRUE(out.Set(&slot, 5, y.get()));
    EXPECT_EQ(out.Get(slot, 1), x.get());
    EXPECT_EQ(out.Get(slot, 5), y.get());
    EXPECT_EQ(out.Get(slot, 70), x.get());
    EXPECT_EQ(out.Get(slot, 150), y.get());
    EXPECT_EQ(out.Get(slot, 2), nullptr);
    std::vector<PeerId> peers;
    out.ForEachPeer(slot, [&](PeerId p) { peers.push_back(p); });
    std::sort(peers.begin(), peers.end());
    EXPECT_EQ(peers, (std::vector<PeerId>{1, 5, 70, 150}));
    // The last peers with x leave: y becomes the common set of 5 and 150.
    EXPECT_TRUE(out.Erase(&slot, 1));
    EXPECT_TRUE(out.Set(&slot, 70, y.get()));
    EXPECT_EQ(out.Get(slot, 1), nullptr);
    EXPECT_EQ(out.Get(slot, 5), y.get());
    EXPECT_EQ(out.Get(slot, 70), y.get());
    EXPECT_EQ(out.Get(slot, 150), y.get());
    EXPECT_EQ(x->refs(), 1u);
    EXPECT_EQ(y->refs(), 4u);
    // Widening the bitset keeps what the slot holds.
    out.Reserve(1000);
    EXPECT_EQ(out.Get(slot, 150), y.get());
    EXPECT_TRUE(out.Set(&slot, 999, x.get()));
    EXPECT_EQ(out.Get(slot, 999), x.get());
    EXPECT_TRUE(out.Erase(&slot, 5));
    EXPECT_TRUE(out.Erase(&slot, 70));
    EXPECT_TRUE(out.Erase(&slot, 150));
    EXPECT_EQ(out.Get(slot, 999), x.get());  // promoted from the exceptions
    EXPECT_TRUE(out.Erase(&slot, 999));
    EXPECT_EQ(slot, OutStore::kNone);  // an emptied slot is freed
    EXPECT_EQ(out.slots_in_use(), 0u);
    // A slot dropped whole releases every reference; a store going away releases the rest.
    uint32_t s2 = OutStore::kNone, s3 = OutStore::kNone;
    out.Set(&s2, 3, x.get());
    out.Set(&s2, 4, y.get());
    out.Set(&s3, 3, y.get());
    EXPECT_EQ(out.slots_in_use(), 1u + 1u);
    out.Drop(&s2);
    EXPECT_EQ(s2, OutStore::kNone);
    EXPECT_EQ(x->refs(), 1u);
    EXPECT_EQ(y->refs(), 2u);
  }
  EXPECT_EQ(y->refs(), 1u);
}

// A route server with more clients than one bitset word: every client but the source gets
// the best, one client (through export policy) another set; counts, listings in prefix
// order, a best that moves, a client going down and the table going away stay exact.
TEST_F(RibTest, SharedAdjRibOutForManyClients) {
  std::vector<PeerId> clients;
  for (int i = 0; i < 70; ++i) {
    const std::string addr = "10.0." + std::to_string(i / 200) + "." + std::to_string(i + 1);
    PeerInfo rs = Peer(65100 + static_cast<uint32_t>(i), addr.c_str(), static_cast<uint32_t>(i + 1));
    rs.route_server_client = true;
    clients.push_back(rib_.AddPeer(rs));
    rib_.PeerEstablished(clients.back());
  }
  rib_.Flush();
  const PeerId odd = clients[66];  // its MED is rewritten by export policy
  rib_.set_export_policy([&](const Prefix&, const PeerInfo& to, const PeerInfo&,
                             const AttrSet& out, const AttrSet&) {
    PolicyResult r;
    if (to.address == rib_.peer_info(odd).address) {
      AttrFields f = out.fields();
      f.med = 7;
      f.set(AttrFields::kHasMed, true);
      r.attrs = rib_.pool().Intern(f);
    }
    return r;
  });
  Send(clients[0], Attrs({65100, 1}, "10.0.0.1"), {N("192.0.2.0/24"), N("192.0.3.0/24")});
  Send(clients[1], Attrs({65101, 1}, "10.0.0.2"), {N("192.0.1.0/24")});
  rib_.Flush();
  EXPECT_EQ(rib_.adj_rib_out(clients[0]).size(), 1u);  // not its own two
  EXPECT_EQ(rib_.adj_rib_out(clients[1]).size(), 2u);
  EXPECT_EQ(rib_.adj_rib_out(clients[69]).size(Family::kIPv4), 3u);
  EXPECT_EQ(rib_.adj_rib_out(clients[69]).size(Family::kIPv6), 0u);
  EXPECT_EQ(rib_.adj_rib_out(odd).Find(Pfx("192.0.2.0/24"))->med(), 7u);
  EXPECT_FALSE(rib_.adj_rib_out(clients[5]).Find(Pfx("192.0.2.0/24"))->has_med());
  std::vector<Prefix> listed;
  rib_.adj_rib_out(odd).ForEach([&](const Prefix& p, const AttrSet*) { listed.push_back(p); });
  EXPECT_EQ(listed, (std::vector<Prefix>{Pfx("192.0.1.0/24"), Pfx("192.0.2.0/24"),
                                         Pfx("192.0.3.0/24")}));
  listed.clear();
  const Prefix after = Pfx("192.0.1.0/24");
  rib_.adj_rib_out(clients[1]).ForEachAfter(Family::kIPv4, &after,
                                            [&](const Prefix& p, const AttrSet*) {
                                              listed.push_back(p);
                                              return true;
                                            });
  EXPECT_EQ(listed, (std::vector<Prefix>{Pfx("192.0.2.0/24"), Pfx("192.0.3.0/24")}));
  // A better path from client 2 for 192.0.2.0/24: every client but 2 gets it, client 0 too.
  Send(clients[2], Attrs({65102}, "10.0.0.3"), {N("192.0.2.0/24")});
  size_t announced = 0;
  for (PeerUpdates& pu : rib_.Flush()) {
    announced += NlriCount(pu.updates);
    if (pu.peer == clients[2]) {
      EXPECT_EQ(NlriCount(pu.updates), 0u);
    }
  }
  EXPECT_EQ(announced, 69u);
  EXPECT_EQ(rib_.adj_rib_out(clients[0]).size(), 2u);
  EXPECT_EQ(rib_.adj_rib_out(clients[2]).size(), 2u);  // its old 192.0.2.0/24 withdrawn
  EXPECT_EQ(rib_.adj_rib_out(clients[2]).Find(Pfx("192.0.2.0/24")), nullptr);
  EXPECT_EQ(rib_.adj_rib_out(odd).Find(Pfx("192.0.2.0/24"))->med(), 7u);
  EXPECT_EQ(rib_.adj_rib_out(clients[9]).Find(Pfx("192.0.2.0/24"))->next_hop(), Ip("10.0.0.3"));
  // A client goes down: its paths are withdrawn from the others, its Adj-RIB-Out is empty.
  rib_.PeerDown(clients[0]);
  rib_.Flush();
  EXPECT_EQ(rib_.adj_rib_out(clients[0]).size(), 0u);
  EXPECT_EQ(rib_.adj_rib_out(clients[5]).size(), 2u);  // 192.0.1.0/24 and 192.0.2.0/24
  EXPECT_EQ(rib_.Find(Pfx("192.0.3.0/24")), nullptr);
  // The rest withdrawn: nothing held, every set released.
  rib_.Withdraw(clients[1], {N("192.0.1.0/24")});
  rib_.Withdraw(clients[2], {N("192.0.2.0/24")});
  rib_.Flush();
  for (PeerId c : clients) EXPECT_EQ(rib_.adj_rib_out(c).size(), 0u) << c;
  rib_.set_export_policy(nullptr);
  EXPECT_EQ(rib_.pool().set_count(), 0u);
}

}  // namespace
}  // namespace kbgp::rib
