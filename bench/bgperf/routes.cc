#include "bench/bgperf/routes.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "daemon/mrt/mrt.h"
#include "daemon/wire/message.h"

namespace kbgp::bgperf {
namespace {

// splitmix64: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }
  // An index into `weights` drawn with those relative weights.
  size_t Pick(const std::vector<uint32_t>& weights) {
    uint32_t total = 0;
    for (uint32_t w : weights) total += w;
    uint32_t x = Below(total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  uint64_t s_;
};

uint64_t Key(const Prefix& p) { return (uint64_t{p.addr().v4()} << 8) | p.length(); }

// Public unicast space only (no 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
// 192.168/16, 224/3), so no daemon's martian check drops a route.
bool Public(uint32_t a) {
  const uint32_t o = a >> 24;
  if (o == 0 || o == 10 || o == 127 || o >= 224) return false;
  if ((a & 0xffc00000u) == 0x64400000u) return false;
  if ((a & 0xffff0000u) == 0xa9fe0000u) return false;
  if ((a & 0xfff00000u) == 0xac100000u) return false;
  if ((a & 0xffff0000u) == 0xc0a80000u) return false;
  return true;
}

void Synthetic(const RouteSetSpec& spec, RouteSet* set) {
  set->groups.emplace_back();  // AS path [peer AS], ORIGIN IGP: bgperf's routes
  const size_t n = spec.shared ? spec.prefixes : size_t(spec.prefixes) * spec.peers;
  set->base.reserve(n);
  for (size_t i = 0; i < n; ++i) {  // unique /32s from 100.0.0.0 on, as bgperf
    set->base.push_back(
        BaseRoute{Prefix::Make(IpAddress::V4(0x64000000u + static_cast<uint32_t>(i)), 32), 0});
  }
  set->per_peer = spec.prefixes;
}

// Today's IPv4 table, roughly: prefix lengths by share of entries (per mille, /8../24; /24s
// are about 60 % of a full table), AS paths of 1 to 10 hops (mean about 4.2) through a pool
// of transit ASes to one of 3,000 origins, 0 to 4 communities, about 4 prefixes per
// attribute set.
void Realistic(const RouteSetSpec& spec, RouteSet* set) {
  Rng rng(spec.seed);
  static const std::vector<uint32_t> kLengthWeights = {
      // /8   /9   /10  /11  /12  /13  /14  /15  /16  /17  /18  /19  /20  /21  /22  /23  /24
      1, 1, 3, 5, 10, 20, 30, 30, 150, 100, 150, 350, 450, 500, 1100, 1000, 6100};
  static const std::vector<uint32_t> kPathWeights = {  // hops 1..10, peer AS included
      2, 10, 25, 27, 18, 9, 5, 2, 1, 1};
  static const std::vector<uint32_t> kCommunityWeights = {30, 25, 20, 15, 10};  // 0..4
  const size_t n = spec.shared ? spec.prefixes : size_t(spec.prefixes) * spec.peers;

  std::vector<uint32_t> origins(3000);
  for (uint32_t& o : origins) {
    o = rng.Below(5) == 0 ? 200000 + rng.Below(200000) : 1000 + rng.Below(63000);
  }
  std::vector<uint32_t> transits(300);
  for (uint32_t& t : transits) t = 1 + rng.Below(40000);

  const size_t group_count = std::max<size_t>(1, n / 4);
  set->groups.resize(group_count);
  for (Group& g : set->groups) {
    const size_t hops = kPathWeights.size() > 0 ? rng.Pick(kPathWeights) + 1 : 1;
    g.origin = rng.Below(10) == 0 ? wire::Origin::kIncomplete : wire::Origin::kIgp;
    if (hops >= 2) {
      wire::AsSegment seg;
      for (size_t h = 0; h + 2 < hops; ++h) seg.asns.push_back(transits[rng.Below(300)]);
      const uint32_t origin = origins[rng.Below(3000)];
      seg.asns.push_back(origin);
      g.tail.push_back(std::move(seg));
    }
    const size_t ncomm = rng.Pick(kCommunityWeights);
    for (size_t c = 0; c < ncomm; ++c) {
      const uint32_t high = transits[rng.Below(300)] & 0xffff;
      g.communities.push_back((high << 16) | rng.Below(1000));
    }
    std::sort(g.communities.begin(), g.communities.end());
    g.communities.erase(std::unique(g.communities.begin(), g.communities.end()),
                        g.communities.end());
  }

  absl::flat_hash_set<uint64_t> seen;
  seen.reserve(n);
  set->base.reserve(n);
  while (set->base.size() < n) {
    const uint8_t len = static_cast<uint8_t>(8 + rng.Pick(kLengthWeights));
    const uint32_t addr = static_cast<uint32_t>(rng.Next());
    if (!Public(addr)) continue;
    const Prefix p = Prefix::Make(IpAddress::V4(addr), len);
    if (!seen.insert(Key(p)).second) continue;  // short lengths fill up: draw again
    set->base.push_back(BaseRoute{p, rng.Below(static_cast<uint32_t>(group_count))});
  }
  set->per_peer = spec.prefixes;
}

absl::Status Mrt(const RouteSetSpec& spec, RouteSet* set) {
  auto reader = mrt::FileReader::Open(spec.mrt_file);
  if (!reader.ok()) return reader.status();
  mrt::Decoder decoder;
  mrt::RawRecord raw;
  absl::flat_hash_set<uint64_t> seen;
  absl::flat_hash_map<std::string, uint32_t> group_index;
  const size_t want = spec.shared ? spec.prefixes : size_t(spec.prefixes) * spec.peers;
  while (set->base.size() < want) {
    auto more = (*reader)->Next(&raw);
    if (!more.ok()) return more.status();
    if (!*more) break;
    auto rec = decoder.Decode(raw);
    if (!rec.ok()) continue;  // a record the decoder rejects is skipped, as bgpdump does
    const auto* rib = std::get_if<mrt::Rib>(&*rec);
    if (rib == nullptr || rib->family != wire::kIPv4Unicast || rib->entries.empty()) continue;
    if (!seen.insert(Key(rib->prefix)).second) continue;  // first path of each prefix
    const wire::PathAttributes& a = rib->entries.front().attrs;
    Group g;
    g.origin = a.origin.value_or(wire::Origin::kIgp);
    if (a.as_path) g.tail = *a.as_path;
    if (a.communities) g.communities = *a.communities;
    std::string key = absl::StrCat(static_cast<int>(g.origin), "|",
                                   wire::AsPathString(g.tail), "|");
    for (uint32_t c : g.communities) absl::StrAppend(&key, c, ",");
    auto [it, added] = group_index.try_emplace(key, static_cast<uint32_t>(set->groups.size()));
    if (added) set->groups.push_back(std::move(g));
    set->base.push_back(BaseRoute{rib->prefix, it->second});
  }
  if (set->base.empty()) return absl::InvalidArgumentError(
      absl::StrCat(spec.mrt_file, ": no IPv4 unicast RIB entries"));
  // Fewer routes than asked: every peer gets an equal share (or, shared, the whole table).
  set->per_peer = spec.shared
                      ? static_cast<uint32_t>(set->base.size())
                      : static_cast<uint32_t>(set->base.size() / spec.peers);
  if (set->per_peer == 0) return absl::InvalidArgumentError("MRT table smaller than --peers");
  set->base.resize(spec.shared ? set->per_peer : size_t(set->per_peer) * spec.peers);
  return absl::OkStatus();
}

// Packs NLRI with one attribute set into UPDATEs of at most 4,096 bytes.
absl::Status Pack(const wire::PathAttributes& attrs, const std::vector<wire::Nlri>& nlri,
                  Bytes* out, size_t* updates) {
  const wire::CodecOptions opts;
  size_t i = 0;
  wire::Update u;
  u.attrs = attrs;
  Bytes probe;
  if (auto s = wire::EncodeMessage(u, opts, &probe); !s.ok()) return s;
  const size_t room0 = wire::kMaxMessageLength - probe.size();
  while (i < nlri.size()) {
    u.nlri.clear();
    size_t room = room0;
    while (i < nlri.size() && wire::NlriSize(nlri[i], false) <= room) {
      room -= wire::NlriSize(nlri[i], false);
      u.nlri.push_back(nlri[i++]);
    }
    if (auto s = wire::EncodeMessage(u, opts, out); !s.ok()) return s;
    ++*updates;
  }
  return absl::OkStatus();
}

absl::Status PackWithdrawals(const std::vector<wire::Nlri>& nlri, Bytes* out,
                             size_t* updates) {
  const wire::CodecOptions opts;
  size_t i = 0;
  wire::Update u;
  while (i < nlri.size()) {
    u.withdrawn.clear();
    size_t room = wire::kMaxMessageLength - wire::kHeaderLength - 4;
    while (i < nlri.size() && wire::NlriSize(nlri[i], false) <= room) {
      room -= wire::NlriSize(nlri[i], false);
      u.withdrawn.push_back(nlri[i++]);
    }
    if (auto s = wire::EncodeMessage(u, opts, out); !s.ok()) return s;
    ++*updates;
  }
  return absl::OkStatus();
}

}  // namespace

wire::AsPath RouteSet::PeerPath(int peer, uint32_t group, bool churned) const {
  const uint32_t as = spec.PeerAs(peer);
  wire::AsSegment head;
  head.asns.push_back(as);
  if (spec.shared && peer != spec.Best()) head.asns.push_back(as);
  if (churned) head.asns.push_back(as);
  const wire::AsPath& tail = groups[group].tail;
  wire::AsPath path;
  size_t from = 0;
  if (!tail.empty() && tail.front().type == wire::AsSegmentType::kSequence &&
      head.asns.size() + tail.front().asns.size() <= 255) {
    head.asns.insert(head.asns.end(), tail.front().asns.begin(), tail.front().asns.end());
    from = 1;
  }
  path.push_back(std::move(head));
  path.insert(path.end(), tail.begin() + static_cast<std::ptrdiff_t>(from), tail.end());
  return path;
}

uint16_t PathMark(const wire::AsPath& path) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over (type, asns...) per segment
  auto mix = [&h](uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 0x100000001b3ULL;
    }
  };
  for (const wire::AsSegment& s : path) {
    mix(0x100 | static_cast<uint32_t>(s.type));
    for (uint32_t a : s.asns) mix(a);
  }
  const uint16_t m = static_cast<uint16_t>(h ^ (h >> 16) ^ (h >> 32) ^ (h >> 48));
  return m == 0 ? 1 : m;
}

absl::StatusOr<RouteSet> BuildRouteSet(const RouteSetSpec& spec) {
  if (spec.peers < 1) return absl::InvalidArgumentError("--peers must be at least 1");
  if (spec.prefixes < 1) return absl::InvalidArgumentError("--prefixes must be at least 1");
  if (spec.shared && spec.Best() >= spec.peers) {
    return absl::InvalidArgumentError("--best-peer out of range");
  }
  if (spec.churn_percent > 100) return absl::InvalidArgumentError("--churn-percent over 100");
  if (spec.kind != "mrt" && (uint64_t{spec.prefixes} * uint64_t(spec.peers) > (1u << 24))) {
    return absl::InvalidArgumentError("more than 16,777,216 routes");
  }
  RouteSet set;
  set.spec = spec;
  if (spec.kind == "synthetic") {
    Synthetic(spec, &set);
  } else if (spec.kind == "realistic") {
    Realistic(spec, &set);
  } else if (spec.kind == "mrt") {
    if (spec.mrt_file.empty()) return absl::InvalidArgumentError("--routes mrt needs --mrt");
    if (auto s = Mrt(spec, &set); !s.ok()) return s;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown route set '", spec.kind, "' (synthetic, realistic, mrt)"));
  }
  return set;
}

absl::StatusOr<PeerFeed> EncodeFeed(const RouteSet& set, int peer, const IpAddress& next_hop,
                                    bool with_churn) {
  PeerFeed feed;
  const size_t first = set.First(peer);
  // Peer-local indices grouped by attribute group, in order within a group.
  std::vector<uint32_t> order(set.per_peer);
  for (uint32_t j = 0; j < set.per_peer; ++j) order[j] = j;
  if (set.groups.size() > 1) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return set.base[first + a].group < set.base[first + b].group;
    });
  }
  std::vector<wire::Nlri> nlri, churn_nlri, withdrawn;
  size_t churn_updates = 0;
  for (size_t k = 0; k < order.size();) {
    const uint32_t g = set.base[first + order[k]].group;
    nlri.clear();
    churn_nlri.clear();
    for (; k < order.size() && set.base[first + order[k]].group == g; ++k) {
      const wire::Nlri n{set.base[first + order[k]].prefix, 0};
      nlri.push_back(n);
      if (with_churn && set.spec.Churned(order[k])) {
        churn_nlri.push_back(n);
        withdrawn.push_back(n);
      }
    }
    wire::PathAttributes a;
    a.origin = set.groups[g].origin;
    a.next_hop = next_hop;
    if (!set.groups[g].communities.empty()) a.communities = set.groups[g].communities;
    a.as_path = set.PeerPath(peer, g, false);
    if (auto s = Pack(a, nlri, &feed.table, &feed.updates); !s.ok()) return s;
    feed.prefixes += nlri.size();
    if (!churn_nlri.empty()) {
      a.as_path = set.PeerPath(peer, g, true);
      if (auto s = Pack(a, churn_nlri, &feed.churn_announce, &churn_updates); !s.ok()) return s;
    }
  }
  if (auto s = PackWithdrawals(withdrawn, &feed.churn_withdraw, &churn_updates); !s.ok()) {
    return s;
  }
  return feed;
}

Bytes EndOfRib() {
  Bytes out;
  (void)wire::EncodeMessage(wire::MakeEndOfRib(wire::kIPv4Unicast), wire::CodecOptions(), &out);
  return out;
}

}  // namespace kbgp::bgperf
