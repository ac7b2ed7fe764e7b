// GoBGP routing policy: defined sets, statements (conditions and actions), policies and
// their assignments, with GoBGP's evaluation semantics (gobgp internal/pkg/table/policy.go).
//
// What this module owns:
//  - The definition model (PolicyConfig and the *Def structs): plain values, the shape of
//    gobgpd's `defined-sets`, `policy-definitions` and `apply-policy`, but independent of
//    config/ (config/apply.cc converts). Strings in it are parsed as gobgpd parses them.
//  - The compiled form (Policies): sets with their regular expressions compiled (RE2, the
//    dialect of Go's regexp, so GoBGP's expressions mean the same here and cannot backtrack
//    catastrophically), statements resolved to their sets. Compile() checks every name and
//    value; a compiled Policies is immutable and shared.
//  - Evaluation: Evaluate() runs an assignment (a list of policies and a default action)
//    over one route, building new interned AttrSets only when an action changes something.
//
// GoBGP semantics kept (see policy_test.cc for a table of each):
//  - A statement matches when all its conditions match. Its modifying actions are applied;
//    with a route-disposition, evaluation stops with accept/reject; without, evaluation goes
//    on with the modified route to the next statement and the next policy. When nothing
//    decides, the assignment's default applies (accept unless "reject-route").
//  - Prefix sets match by longest prefix: the set entry with the longest prefix containing
//    the route is found, and the route matches if its length is in one of the mask-length
//    ranges given for that prefix (as GoBGP's critbit lookup does). A set holds one family.
//  - AS-path sets: "^N_", "_N$", "_N_", "^N$" match ASNs of AS_SEQUENCE segments directly;
//    any other entry is a regular expression over GoBGP's AS-path string ("65001 65002
//    {1,2}") with each `_` replaced by "(^|[,{}() ]|$)".
//  - Community sets: "N", "A:B" and the well-known names become anchored expressions over
//    "A:B"; anything else is a regular expression. Ext-community sets "rt:..."/"soo:..."
//    match transitive extended communities of that subtype by their string form ("65001:100",
//    "10.0.0.1:100", "1.2:100"). Large community sets match "G:L1:L2".
//  - Ext-community set conditions loop over the route's extended communities (as GoBGP
//    does): "any" = one of them matches the set, "all" = every one does.
//  - Neighbor sets match the source peer on import and the receiving peer on export.
//  - next-hop-in-list on export looks at the next hop before the export rules rewrote it.
//  - set-next-hop "self" is our address on the session, "unchanged" (export) restores the
//    next hop the route had before the export rules.
//  - set-med "+N"/"-N" adjust (an under/overflow leaves the MED as it was), "N" sets.
//  - set-as-path-prepend fills the first AS_SEQUENCE up to 255 ASNs, then adds a segment;
//    "last-as" prepends the leftmost AS of the path (nothing when the first segment is not a
//    sequence).
//
// Beyond gobgpd 3.10 (its config schema has them, its policy code ignores them): the
// conditions med-eq, origin-eq, local-pref-eq and community-count, and the action
// set-route-origin, implemented as later GoBGP releases do.
// kbgp has no RPKI: every route's validation state is "not-found", so a condition on
// "not-found" always matches and one on "valid" or "invalid" never does.
#ifndef KBGP_DAEMON_POLICY_POLICY_H_
#define KBGP_DAEMON_POLICY_POLICY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/common/ip.h"
#include "daemon/rib/attr_set.h"
#include "daemon/rib/peer_info.h"
#include "daemon/rib/rib.h"
#include "daemon/wire/constants.h"

namespace re2 {
class RE2;
}

namespace kbgp::policy {

// ---- The definition model ----

enum class MatchOption : uint8_t { kAny, kAll, kInvert };
enum class Comparison : uint8_t { kNone, kEq, kGe, kLe };
enum class RouteType : uint8_t { kNone, kInternal, kExternal, kLocal };
enum class RpkiState : uint8_t { kNone, kNotFound, kValid, kInvalid };
enum class Disposition : uint8_t { kNone, kAccept, kReject };
enum class CommunityOp : uint8_t { kNone, kAdd, kRemove, kReplace };

struct PrefixEntryDef {
  Prefix prefix;
  uint8_t min_length = 0;  // "21..24"; both the prefix's own length when no range is given
  uint8_t max_length = 0;
};
// An entry with the prefix's own length as its range.
PrefixEntryDef ExactPrefix(const Prefix& p);

struct PrefixSetDef {
  std::string name;
  std::vector<PrefixEntryDef> entries;
};
struct NeighborSetDef {
  std::string name;
  std::vector<Prefix> addresses;  // an address is a host prefix
};
// AS-path, community, extended community and large community sets: values or regexes.
struct StringSetDef {
  std::string name;
  std::vector<std::string> values;
};

struct DefinedSetsDef {
  std::vector<PrefixSetDef> prefix_sets;
  std::vector<NeighborSetDef> neighbor_sets;
  std::vector<StringSetDef> as_path_sets;
  std::vector<StringSetDef> community_sets;
  std::vector<StringSetDef> ext_community_sets;
  std::vector<StringSetDef> large_community_sets;
};

struct MatchSetDef {
  std::string name;  // "" = no condition
  MatchOption option = MatchOption::kAny;
};
struct CountDef {
  Comparison op = Comparison::kNone;  // kNone = no condition
  uint32_t value = 0;
};

struct ConditionsDef {
  MatchSetDef prefix_set;    // any | invert
  MatchSetDef neighbor_set;  // any | invert
  MatchSetDef as_path_set;
  MatchSetDef community_set;
  MatchSetDef ext_community_set;
  MatchSetDef large_community_set;
  CountDef as_path_length;
  CountDef community_count;
  RouteType route_type = RouteType::kNone;
  std::vector<Prefix> next_hop_in_list;
  std::vector<std::string> afi_safi_in;  // gobgpd names: "ipv4-unicast", ...
  std::optional<wire::Origin> origin_eq;
  std::optional<uint32_t> med_eq;
  std::optional<uint32_t> local_pref_eq;
  RpkiState rpki = RpkiState::kNone;
};

struct SetCommunitiesDef {
  CommunityOp op = CommunityOp::kNone;
  std::vector<std::string> values;  // remove: regexes as in the sets; add/replace: values
};

struct ActionsDef {
  Disposition disposition = Disposition::kNone;
  std::string set_med;  // "N", "+N", "-N"; "" = none
  std::optional<uint32_t> set_local_pref;
  bool prepend_last_as = false;
  uint32_t prepend_as = 0;
  uint8_t prepend_repeat = 0;  // 0 = no prepend
  SetCommunitiesDef set_community;
  SetCommunitiesDef set_ext_community;
  SetCommunitiesDef set_large_community;
  std::string set_next_hop;  // an address, "self", "unchanged"; "" = none
  std::optional<wire::Origin> set_origin;
};

struct StatementDef {
  std::string name;
  ConditionsDef conditions;
  ActionsDef actions;
};
struct PolicyDef {
  std::string name;
  std::vector<StatementDef> statements;
};

// An apply-policy block: policy names in order and the default actions.
struct AssignmentDef {
  std::vector<std::string> import_policies;
  Disposition default_import = Disposition::kAccept;
  std::vector<std::string> export_policies;
  Disposition default_export = Disposition::kAccept;
};

struct PolicyConfig {
  DefinedSetsDef sets;
  std::vector<PolicyDef> policies;
  AssignmentDef global;
  // Route-server clients' own assignments, by neighbor address (GoBGP gives every route
  // server client its own table and assignment; other peers use the global one).
  std::vector<std::pair<IpAddress, AssignmentDef>> route_server_clients;
};

// ---- GoBGP's value parsers (exposed for tests and the API) ----

// "65001:100", a 32-bit number, or a well-known name ("no-export", ...).
absl::StatusOr<uint32_t> ParseCommunity(absl::string_view text);
// "rt:65001:100", "rt:10.0.0.1:100", "rt:1.2:100" (4-octet AS as "hi.lo"), "soo:...".
absl::StatusOr<uint64_t> ParseExtCommunity(absl::string_view text);
absl::StatusOr<wire::LargeCommunity> ParseLargeCommunity(absl::string_view text);
// The regular expression (RE2 syntax) GoBGP builds from an AS-path set entry.
std::string AsPathRegex(absl::string_view entry);
// The regular expressions GoBGP builds from a community (ParseCommunityRegexp: "N", "A:B"
// and well-known names become "^A:B$") and a large community set entry or remove value.
std::string CommunityRegex(absl::string_view entry);
std::string LargeCommunityRegex(absl::string_view entry);
// Checks a regular expression as Go's regexp.Compile would (RE2 and Go share the syntax);
// the error reads as Go's: "error parsing regexp: missing closing ]: `[`".
absl::Status CheckRegex(absl::string_view pattern);
// The string forms GoBGP matches regexes against.
std::string AsPathString(const rib::AsPathData* path);
std::string CommunityString(uint32_t c);
// Empty when the community has no string form GoBGP matches (non-transitive, opaque, ...).
std::string ExtCommunityString(uint64_t c);

// ---- The compiled form ----

class PrefixSet;
class NeighborSet;
class AsPathSet;
class RegexSet;
class ExtCommunitySet;
struct Statement;

struct Policy {
  std::string name;
  std::vector<std::shared_ptr<const Statement>> statements;
};

struct Assignment {
  std::vector<std::shared_ptr<const Policy>> policies;
  Disposition default_action = Disposition::kAccept;
  // Accepts everything unchanged: evaluation can be skipped.
  bool trivial() const { return policies.empty() && default_action != Disposition::kReject; }
};

class Policies {
 public:
  ~Policies();
  const Assignment& global_import() const { return global_import_; }
  const Assignment& global_export() const { return global_export_; }
  // A route-server client's assignment; null when it has none.
  const Assignment* client_import(const IpAddress& a) const;
  const Assignment* client_export(const IpAddress& a) const;
  bool has_client_assignments() const { return !clients_.empty(); }
  const Policy* FindPolicy(absl::string_view name) const;

 private:
  friend absl::StatusOr<std::shared_ptr<const Policies>> Compile(const PolicyConfig& config);
  struct Client {
    Assignment import;
    Assignment export_;
  };
  Assignment global_import_;
  Assignment global_export_;
  absl::flat_hash_map<IpAddress, Client> clients_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Policy>> policies_;
  // The sets, kept alive for the statements that point to them.
  std::vector<std::shared_ptr<const void>> sets_;
};

// Checks and compiles a whole configuration. Errors name the set, policy or statement.
absl::StatusOr<std::shared_ptr<const Policies>> Compile(const PolicyConfig& config);

// ---- Evaluation ----

enum class Direction : uint8_t { kImport, kExport };

struct RouteContext {
  Prefix prefix;
  Direction direction = Direction::kImport;
  const rib::PeerInfo* from = nullptr;  // the peer the route was learned from
  const rib::PeerInfo* to = nullptr;    // export: the peer it goes to
  // Export: the next hop before the export rules (GoBGP's OldNextHop).
  std::optional<IpAddress> original_next_hop;
  // Recorded as `parent` in sets the actions build (import: the received set, so the Rib
  // keeps one pointer per path); null for export results.
  const rib::AttrSet* parent = nullptr;
};

// Runs `assignment` over the route `in`. The result's attrs are null when nothing changed.
rib::PolicyResult Evaluate(const Assignment& assignment, rib::AttrPool* pool,
                           const RouteContext& ctx, const rib::AttrSet& in);

}  // namespace kbgp::policy

#endif  // KBGP_DAEMON_POLICY_POLICY_H_
