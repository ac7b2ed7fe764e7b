// Route sets of the bgperf-style benchmark, shared by the tester (which encodes them into
// UPDATEs) and the monitor (which derives from the same description what it must end up
// holding). Both processes build the same set from the same flags: generation is
// deterministic (its own PRNG, no std distributions).
//
// A route set is a base table (prefix -> attribute group) and a rule for what each tester peer
// sends:
//  - not shared: peer i sends base routes [i*P, (i+1)*P) (distinct prefixes per peer);
//  - shared: every peer sends base routes [0, P); every peer but `best_peer` prepends its AS
//    once more, so the best path of each prefix is best_peer's and the monitor can tell when
//    the target has moved every prefix to it.
// Peer i's AS path is [AS_i] (+ [AS_i] when shared and not best) (+ [AS_i] for a churned
// route in phase 1) + the group's tail. Phase 1 (churn): every route whose index in its
// peer's list is churned is withdrawn and re-announced with the longer path.
#ifndef KBGP_BENCH_BGPERF_ROUTES_H_
#define KBGP_BENCH_BGPERF_ROUTES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/common/bytes.h"
#include "daemon/common/ip.h"
#include "daemon/wire/attributes.h"

namespace kbgp::bgperf {

struct RouteSetSpec {
  std::string kind = "synthetic";  // synthetic | realistic | mrt
  int peers = 1;
  uint32_t prefixes = 1000;        // per peer
  bool shared = false;
  int best_peer = -1;              // shared only; -1: the last peer
  uint32_t as_base = 100001;       // peer i has AS as_base + i
  uint32_t churn_percent = 10;
  std::string mrt_file;            // kind mrt
  uint64_t seed = 1;

  uint32_t PeerAs(int i) const { return as_base + static_cast<uint32_t>(i); }
  int Best() const { return best_peer >= 0 ? best_peer : peers - 1; }
  bool Churned(uint32_t index) const { return index % 100 < churn_percent; }
};

// The path attributes of a group, without the tester's own AS numbers.
struct Group {
  wire::Origin origin = wire::Origin::kIgp;
  wire::AsPath tail;                 // after the peer's AS
  std::vector<uint32_t> communities;
};

struct BaseRoute {
  Prefix prefix;
  uint32_t group = 0;
};

struct RouteSet {
  RouteSetSpec spec;
  std::vector<Group> groups;
  std::vector<BaseRoute> base;
  uint32_t per_peer = 0;  // routes per peer (the spec's prefixes, capped by an MRT table)

  // The base indices of peer i's routes: [first, first + per_peer).
  size_t First(int peer) const { return spec.shared ? 0 : size_t(peer) * per_peer; }
  // Distinct prefixes the monitor must hold.
  size_t DistinctPrefixes() const { return spec.shared ? per_peer : base.size(); }
  wire::AsPath PeerPath(int peer, uint32_t group, bool churned) const;
};

absl::StatusOr<RouteSet> BuildRouteSet(const RouteSetSpec& spec);

// A 16-bit fingerprint of an AS path, never 0 (0 means "not held" in the monitor).
uint16_t PathMark(const wire::AsPath& path);

// The UPDATE messages (whole, back to back) peer i sends: the table; then, for churn, the
// withdrawals and the re-announcements. next_hop is the peer's address.
struct PeerFeed {
  Bytes table;
  Bytes churn_withdraw;
  Bytes churn_announce;
  size_t updates = 0;
  size_t prefixes = 0;
};
absl::StatusOr<PeerFeed> EncodeFeed(const RouteSet& set, int peer, const IpAddress& next_hop,
                                    bool with_churn);

// An End-of-RIB for IPv4 unicast (an empty UPDATE).
Bytes EndOfRib();

}  // namespace kbgp::bgperf

#endif  // KBGP_BENCH_BGPERF_ROUTES_H_
