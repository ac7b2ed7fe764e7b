// PolicyStore: GoBGP's routing policy as its gRPC API manipulates it (gobgpd 3.10's
// RoutingPolicy in internal/pkg/table/policy.go and the conversions of pkg/server), kept in
// GoBGP's own shape and turned into a policy::PolicyConfig for the server.
//
// What it owns:
//  - Defined sets, by type and name, each kept as gobgpd lists it: prefix sets in GoBGP's
//    critbit order (address, then length; entries of one prefix in the order they came),
//    "10.0.0.0/8 16..24" ranges; neighbor sets as "10.0.0.1/32"; as-path sets with the
//    four single-AS forms ("_N_", "^N_", "_N$", "^N$") first and every other entry as its
//    regular expression ('_' replaced by GoBGP's boundary); community, ext-community and
//    large-community sets as their regular expressions ("65001:100" -> "^65001:100$",
//    "rt:65001:100" -> "rt:^65001:100$").
//  - Statements by name. A policy holds statement names, so a statement shared by policies
//    is one object, as GoBGP shares the pointer; AddStatement on an existing name merges
//    conditions and actions into it (and so into every policy that uses it).
//  - Policies by name, and the assignments: "global" and one per route server client,
//    import and export, each a policy list and a default (accept, reject, or none -- what
//    gobgpd leaves after "policy del" of a whole assignment, and which rejects every route
//    that no policy decides).
//
// Invariants (checked by each operation, so Build() of a store only fails on values the
// policy module refuses, for example the ext-community subtypes kbgp does not implement):
//  - every statement a policy names exists; every policy an assignment names exists;
//  - every set a statement of a policy names exists (a statement outside any policy may
//    name a set deleted since, as in gobgpd; AddPolicy checks it when a policy takes it).
//
// The store is a plain value and does no I/O. The API layer runs each change on a copy
// and keeps the copy only when the server took the built config (Update() does that):
//     absl::Status s = store.Update([&](PolicyStore& s) { return s.AddDefinedSet(req); },
//                                   [&](const policy::PolicyConfig& c) { return
//                                   server.SetPolicy(c); });
//
// Error texts are gobgpd's where gobgpd has one ("can't delete. defined-set ps1 is in use",
// "not found policy p9", "condition 0 is already set"). gobgpd returns them all as gRPC
// code Unknown (which the gobgp CLI prints: "rpc error: code = Unknown desc = ..."); the
// store returns InvalidArgument, NotFound, AlreadyExists, FailedPrecondition, or
// Unimplemented for GoBGP values kbgp cannot run (encap, lb and origin-validation
// extended communities). An operation that fails changes nothing (gobgpd sometimes keeps
// what it did before the error, such as the first statements of an AddPolicy).
//
// Where gobgpd 3.10 has a bug the store does what gobgpd meant (each is a test):
//  - a policy used only by an import assignment cannot be deleted (gobgpd checks export
//    twice, deletes it and keeps applying it);
//  - AddPolicy with refer_existing_statements and an unknown statement fails and changes
//    nothing (gobgpd reports the error but adds the policy, or appends an empty statement);
//  - a defined set is in use only through a condition of its own type (gobgpd compares
//    names across types);
//  - removing ext-community entries compares subtype and value (gobgpd compares the value
//    only and leaves the subtypes of the remaining entries misaligned);
//  - a prefix range with min > max or max beyond the family is refused ("invalid mask
//    length range: 30..20", the gobgp CLI's text); gobgpd takes it over the API.
// Statements from the config file or SetPolicies are normalized twice, as gobgpd does
// (it passes them through the API structs and back), so a large-community "remove 1:2:3"
// lists as "^^1:2:3$$" there and as "^1:2:3$" when added with AddStatement.
#ifndef KBGP_DAEMON_API_SERVER_POLICY_STORE_H_
#define KBGP_DAEMON_API_SERVER_POLICY_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/gobgp.pb.h"
#include "daemon/common/ip.h"
#include "daemon/policy/policy.h"

namespace kbgp::api_server {

// What the server says about a neighbor named in an assignment request (gobgpd's
// toPolicyInfo): unknown, a peer, or a route server client (the only kind with its own
// assignment).
enum class PeerKind : uint8_t { kUnknown, kPeer, kRouteServerClient };
// Without a lookup the store knows only the clients it holds an assignment for.
using PeerLookup = std::function<PeerKind(const IpAddress&)>;

class PolicyStore {
 public:
  // Empty, with gobgpd's initial global assignment: no policies, default accept both ways.
  PolicyStore();

  // The config file's policy, as gobgpd loads it at start: SetPolicies with the defined
  // sets and policies, SetPolicyAssignment for "global", and each route server client's
  // apply-policy.
  static absl::StatusOr<PolicyStore> FromConfig(const policy::PolicyConfig& config);

  // ---- Defined sets (DefinedType PREFIX, NEIGHBOR, AS_PATH, COMMUNITY, EXT_COMMUNITY,
  // LARGE_COMMUNITY) ----

  // Adds the entries to the set of that type and name, creating it (an empty list creates
  // an empty set).
  absl::Status AddDefinedSet(const apipb::AddDefinedSetRequest& req);
  // all: deletes the set unless a statement of a policy uses it; otherwise removes the
  // listed entries (those not present are ignored).
  absl::Status DeleteDefinedSet(const apipb::DeleteDefinedSetRequest& req);
  // The sets of one type, by name; only `name` when given (none when it does not exist).
  absl::Status ListDefinedSet(const apipb::ListDefinedSetRequest& req,
                              std::vector<apipb::ListDefinedSetResponse>* out) const;

  // ---- Statements ----

  // Creates the statement, or adds its conditions and actions to the existing one (a
  // condition or action of a kind it already has is an error).
  absl::Status AddStatement(const apipb::AddStatementRequest& req);
  // all: deletes the statement unless a policy uses it; otherwise removes the conditions
  // and actions of the kinds given.
  absl::Status DeleteStatement(const apipb::DeleteStatementRequest& req);
  // By name (gobgpd lists in Go map order; the store sorts); only `name` when given.
  absl::Status ListStatement(const apipb::ListStatementRequest& req,
                             std::vector<apipb::ListStatementResponse>* out) const;

  // ---- Policies ----

  // refer_existing_statements: the statements are names of existing ones; otherwise they
  // are new statements (unnamed ones become "<policy>_stmt<i>"). An existing policy gets
  // the statements appended.
  absl::Status AddPolicy(const apipb::AddPolicyRequest& req);
  // all: deletes the policy unless an assignment uses it; otherwise removes the named
  // statements from it. Without preserve_statements, statements of the policy that no
  // policy uses any more are deleted too.
  absl::Status DeletePolicy(const apipb::DeletePolicyRequest& req);
  // By name, as gobgpd sorts them; only `name` when given.
  absl::Status ListPolicy(const apipb::ListPolicyRequest& req,
                          std::vector<apipb::ListPolicyResponse>* out) const;
  // Replaces the sets, statements and policies (gobgpd ignores req.assignments); each
  // assignment keeps its policy names when they all still exist, else it is emptied.
  absl::Status SetPolicies(const apipb::SetPoliciesRequest& req);

  // ---- Assignments: name "global" or a route server client's address ----

  // Appends the policies; a default other than NONE replaces the default.
  absl::Status AddPolicyAssignment(const apipb::AddPolicyAssignmentRequest& req,
                                   const PeerLookup& peers = nullptr);
  // all: no policies and default NONE; otherwise removes the named policies.
  absl::Status DeletePolicyAssignment(const apipb::DeletePolicyAssignmentRequest& req,
                                      const PeerLookup& peers = nullptr);
  // Replaces the policies; a default other than NONE replaces the default.
  absl::Status SetPolicyAssignment(const apipb::SetPolicyAssignmentRequest& req,
                                   const PeerLookup& peers = nullptr);
  // Name "" lists "global" and every route server client the store knows; direction
  // UNKNOWN lists export, then import.
  absl::Status ListPolicyAssignment(const apipb::ListPolicyAssignmentRequest& req,
                                    std::vector<apipb::ListPolicyAssignmentResponse>* out,
                                    const PeerLookup& peers = nullptr) const;

  // A route server client's apply-policy, as gobgpd's SetPeerPolicy on AddPeer or
  // UpdatePeer: each direction whose policy list resolves replaces that direction; a
  // direction that names an unknown or duplicated policy is left unset and reported in
  // the returned error (gobgpd logs it and adds the peer anyway).
  absl::Status SetPeerPolicy(const IpAddress& client, const policy::AssignmentDef& apply);
  // Forgets a client's assignment (DeletePeer, or a peer that stopped being a client).
  void RemovePeer(const IpAddress& client);

  // The whole policy for the server. A default of NONE becomes reject, as gobgpd
  // evaluates it; statements outside every policy are not part of it.
  absl::StatusOr<policy::PolicyConfig> Build() const;

  // Runs `op` on a copy of the store, builds the copy and hands the result to `commit`
  // (the server's SetPolicy); the store takes the copy only when all three succeed.
  absl::Status Update(absl::FunctionRef<absl::Status(PolicyStore&)> op,
                      absl::FunctionRef<absl::Status(const policy::PolicyConfig&)> commit);

 private:
  // Conditions and actions of kbgp's policy model that GoBGP 3.10's API cannot express
  // (they come only from the config file and are carried through unchanged).
  struct Extras {
    policy::CountDef community_count;
    std::optional<wire::Origin> origin_eq;
    std::optional<uint32_t> med_eq;
    std::optional<uint32_t> local_pref_eq;
    std::optional<wire::Origin> set_origin;
  };
  // A statement as gobgpd holds it after parsing: every condition and action present only
  // when set, values in GoBGP's normalized form. Listing converts it (ToApi).
  struct StoredStatement {
    apipb::Statement st;
    Extras extras;
  };
  struct Assignment {
    std::vector<std::string> policies[2];  // [0] import, [1] export
    apipb::RouteAction defaults[2] = {apipb::RouteAction::ACCEPT, apipb::RouteAction::ACCEPT};
  };
  // "global" or a client.
  struct AssignmentId {
    std::optional<IpAddress> client;
    int dir = 0;  // 0 import, 1 export
  };

  static absl::StatusOr<apipb::Statement> ParseStatement(const apipb::Statement& in);
  static apipb::Statement ToApi(const apipb::Statement& stored);
  apipb::Policy PolicyToApi(const std::string& name) const;

  absl::Status CheckSetsExist(const apipb::Statement& st) const;
  bool SetInUse(apipb::DefinedType type, const std::string& name) const;
  bool StatementInUse(const std::string& name) const;
  bool PolicyInUse(const std::string& name) const;
  absl::StatusOr<AssignmentId> ResolveAssignment(const std::string& name,
                                                 apipb::PolicyDirection dir,
                                                 const PeerLookup& peers) const;
  Assignment* FindAssignment(const AssignmentId& id);
  const Assignment* FindAssignment(const AssignmentId& id) const;
  absl::StatusOr<std::vector<std::string>> ResolvePolicies(
      const google::protobuf::RepeatedPtrField<apipb::Policy>& policies) const;
  // A policy for ResetPolicies: its statements as the API (or the config file) gives them.
  struct PolicyInput {
    std::string name;
    std::vector<StoredStatement> statements;
  };
  absl::Status ResetPolicies(const std::vector<apipb::DefinedSet>& sets,
                             std::vector<PolicyInput> policies);

  // (type, name) -> the set as gobgpd lists it; btree order is gobgpd's listing order.
  absl::btree_map<std::pair<int, std::string>, apipb::DefinedSet> sets_;
  absl::btree_map<std::string, StoredStatement> statements_;
  absl::btree_map<std::string, std::vector<std::string>> policies_;  // name -> statements
  Assignment global_;
  absl::btree_map<IpAddress, Assignment> clients_;
};

}  // namespace kbgp::api_server

#endif  // KBGP_DAEMON_API_SERVER_POLICY_STORE_H_
