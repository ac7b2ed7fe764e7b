#include "daemon/rib/decision.h"

#include <vector>

#include "absl/container/inlined_vector.h"

namespace kbgp::rib {

namespace {

template <typename T>
int Lower(T a, T b) {  // the lower value wins
  return a < b ? 1 : (b < a ? -1 : 0);
}
template <typename T>
int Higher(T a, T b) {
  return a > b ? 1 : (b > a ? -1 : 0);
}

bool IsLocal(const Candidate& c) { return c.peer->local; }
bool IsIbgp(const Candidate& c) { return c.peer->ibgp(); }

using StepFn = int (*)(const Candidate&, const Candidate&, const DecisionOptions&);
struct Step {
  BestPathReason reason;
  StepFn fn;
};

constexpr Step kSteps[] = {
    {BestPathReason::kReachableNextHop, StepReachableNextHop},
    {BestPathReason::kLocalPref, StepLocalPref},
    {BestPathReason::kLocalOrigin, StepLocalOrigin},
    {BestPathReason::kAsPath, StepAsPathLength},
    {BestPathReason::kOrigin, StepOrigin},
    {BestPathReason::kMed, StepMed},
    {BestPathReason::kAsn, StepExternal},
    {BestPathReason::kIgpCost, StepIgpCost},
    {BestPathReason::kOlder, StepOlder},
    {BestPathReason::kRouterId, StepRouterId},
    {BestPathReason::kClusterListLength, StepClusterListLength},
    {BestPathReason::kNeighborAddress, StepNeighborAddress},
    {BestPathReason::kPathId, StepPathId},
};

// Paths whose MED may be compared share a key (deterministic MED groups).
uint32_t MedGroup(const Candidate& c, const DecisionOptions& o) {
  return o.always_compare_med ? 0 : c.attrs->neighbor_as();
}

}  // namespace

absl::string_view BestPathReasonName(BestPathReason r) {
  switch (r) {
    case BestPathReason::kUnknown: return "Unknown";
    case BestPathReason::kDisabled: return "Bestpath selection disabled";
    case BestPathReason::kOnlyPath: return "Only Path";
    case BestPathReason::kReachableNextHop: return "Reachable Next Hop";
    case BestPathReason::kHighestWeight: return "Highest Weight";
    case BestPathReason::kLocalPref: return "Local Pref";
    case BestPathReason::kLocalOrigin: return "Local Origin";
    case BestPathReason::kAsPath: return "AS Path";
    case BestPathReason::kOrigin: return "Origin";
    case BestPathReason::kMed: return "MED";
    case BestPathReason::kAsn: return "ASN";
    case BestPathReason::kIgpCost: return "IGP Cost";
    case BestPathReason::kRouterId: return "Router ID";
    case BestPathReason::kOlder: return "Older";
    case BestPathReason::kNonLlgrStale: return "no LLGR Stale";
    case BestPathReason::kNeighborAddress: return "Neighbor Address";
    case BestPathReason::kClusterListLength: return "Cluster List Length";
    case BestPathReason::kPathId: return "Path ID";
  }
  return "Unknown";
}

// 1. Next-hop tracking: a path whose next hop does not resolve loses.
int StepReachableNextHop(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Higher(a.reachable, b.reachable);
}

// 2. RFC 4271 §9.1.1: highest degree of preference (LOCAL_PREF; missing = 100 as GoBGP).
int StepLocalPref(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Higher(a.attrs->local_pref_or_default(), b.attrs->local_pref_or_default());
}

// 3. GoBGP compareByLocalOrigin: a locally originated path beats a learned one.
int StepLocalOrigin(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Higher(IsLocal(a), IsLocal(b));
}

// 4. RFC 4271 §9.1.2.2 a: shortest AS path (set = 1, confed = 0), unless ignored.
int StepAsPathLength(const Candidate& a, const Candidate& b, const DecisionOptions& o) {
  if (o.ignore_as_path_length) return 0;
  return Lower(a.attrs->as_path_length(), b.attrs->as_path_length());
}

// 5. RFC 4271 §9.1.2.2 b: lowest ORIGIN (IGP < EGP < INCOMPLETE). GoBGP skips the step
// when either path lacks ORIGIN.
int StepOrigin(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  if (!a.attrs->has_origin() || !b.attrs->has_origin()) return 0;
  return Lower(static_cast<uint8_t>(a.attrs->origin()), static_cast<uint8_t>(b.attrs->origin()));
}

bool MedComparable(const Candidate& a, const Candidate& b, const DecisionOptions& o) {
  if (o.always_compare_med) return true;
  // GoBGP compareByMED: both internal (empty AS path), or the same first AS.
  if (a.attrs->as_path_length() == 0 && b.attrs->as_path_length() == 0) return true;
  const uint32_t na = a.attrs->neighbor_as();
  return na != 0 && na == b.attrs->neighbor_as();
}

// 6. RFC 4271 §9.1.2.2 c: lowest MED among paths from the same neighbor AS; missing = 0.
int StepMed(const Candidate& a, const Candidate& b, const DecisionOptions& o) {
  if (!MedComparable(a, b, o)) return 0;
  return Lower(a.attrs->med(), b.attrs->med());
}

// 7. RFC 4271 §9.1.2.2 d: a path from an external peer beats one from an internal peer.
int StepExternal(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Higher(!IsIbgp(a), !IsIbgp(b));
}

// 8. RFC 4271 §9.1.2.2 e: lowest interior cost to the next hop (hook; 0 without one).
int StepIgpCost(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Lower(a.igp_cost, b.igp_cost);
}

// 9. RFC 5004 / GoBGP compareByAge: between two eBGP paths the older one wins, unless
// external-compare-router-id is set.
int StepOlder(const Candidate& a, const Candidate& b, const DecisionOptions& o) {
  if (o.external_compare_router_id || IsIbgp(a) || IsIbgp(b) || IsLocal(a) || IsLocal(b)) {
    return 0;
  }
  return Lower(a.seq, b.seq);
}

// 10. RFC 4271 §9.1.2.2 f, RFC 4456 §9: lowest BGP identifier, the ORIGINATOR_ID standing
// in for it when present. Skipped between two eBGP paths unless external-compare-router-id
// (GoBGP), and between two local paths.
int StepRouterId(const Candidate& a, const Candidate& b, const DecisionOptions& o) {
  if (IsLocal(a) && IsLocal(b)) return 0;
  if (!o.external_compare_router_id && !IsIbgp(a) && !IsIbgp(b)) return 0;
  const uint32_t ida = a.attrs->originator_id().value_or(a.peer->router_id);
  const uint32_t idb = b.attrs->originator_id().value_or(b.peer->router_id);
  return Lower(ida, idb);
}

// 11. RFC 4456 §9: shortest CLUSTER_LIST.
int StepClusterListLength(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Lower(a.attrs->cluster_list_length(), b.attrs->cluster_list_length());
}

// 12. RFC 4271 §9.1.2.2 g: lowest peer address.
int StepNeighborAddress(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Lower(a.peer->address, b.peer->address);
}

// 13. kbgp: two ADD-PATH paths from one peer, otherwise equal: lowest path id, so that the
// order is total and the outcome never depends on arrival.
int StepPathId(const Candidate& a, const Candidate& b, const DecisionOptions&) {
  return Lower(a.path_id, b.path_id);
}

Comparison Compare(const Candidate& a, const Candidate& b, const DecisionOptions& o) {
  for (const Step& s : kSteps) {
    if (int c = s.fn(a, b, o); c != 0) return {c, s.reason};
  }
  return {0, BestPathReason::kUnknown};
}

int StepRank(BestPathReason r) {
  int i = 1;
  for (const Step& s : kSteps) {
    if (s.reason == r) return i;
    ++i;
  }
  return 0;
}

Decision Decide(absl::Span<const Candidate> c, const DecisionOptions& o,
                absl::Span<bool> multipath) {
  Decision d;
  for (bool& m : multipath) m = false;
  if (c.empty()) return d;
  if (c.size() == 1) {
    if (!c[0].reachable) return d;
    d.best = 0;
    d.reason = BestPathReason::kOnlyPath;
    if (o.multipath && !multipath.empty()) multipath[0] = true;
    return d;
  }
  // The winner of each MED group, then the best winner.
  absl::InlinedVector<std::pair<uint32_t, int>, 16> winners;
  for (int i = 0; i < static_cast<int>(c.size()); ++i) {
    const uint32_t g = MedGroup(c[i], o);
    bool found = false;
    for (auto& [group, w] : winners) {
      if (group != g) continue;
      if (Compare(c[i], c[w], o).cmp > 0) w = i;
      found = true;
      break;
    }
    if (!found) winners.emplace_back(g, i);
  }
  int best = winners[0].second;
  for (size_t k = 1; k < winners.size(); ++k) {
    if (Compare(c[winners[k].second], c[best], o).cmp > 0) best = winners[k].second;
  }
  if (!c[best].reachable) return d;
  d.best = best;
  // The reason: the latest step at which the best beat any other path. A path that wins
  // pairwise lost inside its MED group, so MED decided against it.
  int rank = 0;
  BestPathReason reason = BestPathReason::kUnknown;
  const int mp_rank = StepRank(o.multipath_last_step);
  for (int i = 0; i < static_cast<int>(c.size()); ++i) {
    if (i == best) continue;
    const Comparison cmp = Compare(c[best], c[i], o);
    const BestPathReason r = cmp.cmp > 0 ? cmp.reason : BestPathReason::kMed;
    if (StepRank(r) > rank) {
      rank = StepRank(r);
      reason = r;
    }
    if (o.multipath && !multipath.empty() && c[i].reachable &&
        (cmp.cmp == 0 || StepRank(cmp.reason) > mp_rank) &&
        (o.multipath_relax || c[i].attrs->neighbor_as() == c[best].attrs->neighbor_as())) {
      multipath[i] = true;
    }
  }
  if (o.multipath && !multipath.empty()) multipath[best] = true;
  d.reason = reason;
  return d;
}

}  // namespace kbgp::rib
