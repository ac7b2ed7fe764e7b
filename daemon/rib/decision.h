// The BGP decision process (RFC 4271 §9.1.2.2, RFC 4456 §9, GoBGP's table/destination.go
// order), as a list of numbered steps. Each step is a function that compares two candidate
// paths and says which is better or that it cannot decide; Compare runs the steps in order
// and returns the first decision with the step's reason, which the Loc-RIB keeps on the
// destination and the API shows ("Local Pref", "AS Path", ...).
//
// Order: 1 reachable next hop (hook), 2 highest LOCAL_PREF, 3 locally originated,
// 4 shortest AS path (option to ignore), 5 lowest ORIGIN, 6 lowest MED (same neighbor AS
// unless always-compare-med; missing = 0), 7 eBGP over iBGP, 8 lowest IGP cost (hook),
// 9 oldest eBGP path (unless external-compare-router-id), 10 lowest router id or
// ORIGINATOR_ID, 11 shortest CLUSTER_LIST, 12 lowest neighbor address, 13 lowest path id.
//
// MED is not transitive across neighbor ASes, so a pairwise sort (GoBGP's) can depend on
// arrival order. Decide instead picks the winner of each neighbor-AS group first (MED
// applies inside a group) and then the best of the group winners (MED skipped): the result
// depends only on the set of paths ("deterministic MED").
#ifndef KBGP_DAEMON_RIB_DECISION_H_
#define KBGP_DAEMON_RIB_DECISION_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "daemon/rib/attr_set.h"
#include "daemon/rib/peer_info.h"

namespace kbgp::rib {

// Values match GoBGP's BestPathReason (table/destination.go) so the API can pass them
// through; kbgp's extra steps come after.
enum class BestPathReason : uint8_t {
  kUnknown = 0,
  kDisabled = 1,
  kOnlyPath = 2,
  kReachableNextHop = 3,
  kHighestWeight = 4,
  kLocalPref = 5,
  kLocalOrigin = 6,
  kAsPath = 7,
  kOrigin = 8,
  kMed = 9,
  kAsn = 10,
  kIgpCost = 11,
  kRouterId = 12,
  kOlder = 13,
  kNonLlgrStale = 14,
  kNeighborAddress = 15,
  kClusterListLength = 16,  // RFC 4456 §9 (not a GoBGP step)
  kPathId = 17,             // ADD-PATH paths from one peer (not a GoBGP step)
};

// GoBGP's strings: "Local Pref", "AS Path", "Neighbor Address", ...
absl::string_view BestPathReasonName(BestPathReason r);

struct DecisionOptions {
  bool always_compare_med = false;          // route-selection-options
  bool ignore_as_path_length = false;       // route-selection-options
  bool external_compare_router_id = false;  // route-selection-options; off = oldest eBGP wins
  bool multipath = false;                   // use-multiple-paths
  bool multipath_relax = false;  // ECMP across different neighbor ASes
  // Paths equal to the best through this step (and reachable) form the ECMP set.
  BestPathReason multipath_last_step = BestPathReason::kIgpCost;
};

// One path as the decision process sees it.
struct Candidate {
  const AttrSet* attrs = nullptr;  // post-import-policy
  const PeerInfo* peer = nullptr;
  uint32_t path_id = 0;
  uint32_t seq = 0;  // arrival order; lower is older
  bool reachable = true;  // next-hop tracking hook
  uint32_t igp_cost = 0;  // IGP cost hook
};

// The steps. Each returns >0 when `a` is better, <0 when `b` is, 0 when it cannot decide.
int StepReachableNextHop(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepLocalPref(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepLocalOrigin(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepAsPathLength(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepOrigin(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepMed(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepExternal(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepIgpCost(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepOlder(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepRouterId(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepClusterListLength(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepNeighborAddress(const Candidate& a, const Candidate& b, const DecisionOptions& o);
int StepPathId(const Candidate& a, const Candidate& b, const DecisionOptions& o);

// Whether MED may be compared between the two (step 6's precondition).
bool MedComparable(const Candidate& a, const Candidate& b, const DecisionOptions& o);

struct Comparison {
  int cmp = 0;  // >0: a better
  BestPathReason reason = BestPathReason::kUnknown;  // the deciding step
};
// Runs the steps in order.
Comparison Compare(const Candidate& a, const Candidate& b, const DecisionOptions& o);
// Position of a step in the order (1-based); 0 for reasons that are not steps.
int StepRank(BestPathReason r);

struct Decision {
  int best = -1;  // index into the candidates; -1: none (no paths, or best unreachable)
  BestPathReason reason = BestPathReason::kUnknown;
};

// Picks the best path. The reason is the step that decided against the closest competitor
// (kOnlyPath for a single path). With o.multipath, multipath[i] is set for every candidate in
// the ECMP set (the best included); `multipath` must be as long as `c` or empty.
Decision Decide(absl::Span<const Candidate> c, const DecisionOptions& o,
                absl::Span<bool> multipath = {});

}  // namespace kbgp::rib

#endif  // KBGP_DAEMON_RIB_DECISION_H_
