// Brings a BGP daemon (kbgpd or gobgpd) to a DesiredState through GoBGP's gRPC API only:
// reads what the daemon has (GetBgp, ListPeer, ListPath, ListDefinedSet, ListPolicy,
// ListPolicyAssignment) and applies the difference. A second pass with the same desired
// state makes no changing calls.
//
// Ownership: the sidecar owns the daemon's BGP instance (AS, router id), every peer, every
// locally originated IPv4/IPv6 unicast path of the global table, kube-router's defined sets
// (podcidrdefinedset, ...) and the kube_router_export<N> / kube_router_import<N> policies.
// Other policies in the global assignments are kept.
#ifndef KBGP_SIDECAR_RECONCILE_RECONCILE_H_
#define KBGP_SIDECAR_RECONCILE_RECONCILE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/gobgp.grpc.pb.h"
#include "sidecar/desired/desired.h"

namespace kbgp::sidecar {

struct ReconcileResult {
  int reads = 0;    // read-only calls
  int changes = 0;  // calls that changed the daemon
  bool started = false;  // StartBgp was called (the daemon was not started or restarted)
  std::vector<std::string> applied;  // one line per change, for logs and tests
  std::string timings;               // "global=0.001 sets=..." seconds per stage
};

// The canonical text of a statement's conditions and actions (without its name), so that
// statements read back from a daemon compare with the desired ones.
std::string StatementKey(const apipb::Statement& s);
apipb::Statement ToApiStatement(const DesiredStatement& d, const std::string& name);
apipb::Peer ToApiPeer(const DesiredPeer& p);
apipb::Path ToApiPath(const std::string& prefix, const std::string& next_hop);
// Prefix and next hop of a path read back; false if it is not IPv4/IPv6 unicast.
bool FromApiPath(const apipb::Path& path, std::string* prefix, std::string* next_hop);

class Reconciler {
 public:
  // on_call(rpc name, ok) for metrics.
  Reconciler(std::shared_ptr<apipb::GobgpApi::StubInterface> stub,
             std::function<void(const std::string&, bool)> on_call = nullptr);

  // full: read paths and defined sets back from the daemon. Otherwise (an event-driven pass
  // after a successful one) they are diffed against what the last pass left in the daemon;
  // peers, policies and the BGP instance are always read. The caller makes every periodic
  // resync and every pass after a failure full; a failure or a restarted daemon also forces
  // the next pass to read everything.
  absl::Status Reconcile(const DesiredState& desired, ReconcileResult* result, bool full = true);
  // A new stub (a new channel: gRPC 1.51's channel can take seconds to reconnect after the
  // daemon was down, a fresh one connects at once).
  void SetStub(std::shared_ptr<apipb::GobgpApi::StubInterface> stub) { stub_ = std::move(stub); }
  // Session state of every peer as last read (ListPeer), lower case ("established", "active",
  // ...); peers added in that pass are missing until the next one.
  const std::map<std::string, std::string>& peer_states() const { return peer_states_; }
  // Reads the session states again (ListPeer) for the peers of the last pass.
  absl::Status ReadPeerStates();
  // True when the daemon answers GetBgp and has a started BGP instance with `asn`.
  absl::StatusOr<bool> DaemonStartedWith(uint32_t asn);

 private:
  absl::Status Check(const char* rpc, const grpc::Status& st, bool change, ReconcileResult* r);
  absl::Status SyncGlobal(const DesiredState& d, ReconcileResult* r);
  absl::Status SyncPeers(const DesiredState& d, ReconcileResult* r);
  absl::Status SyncPaths(const DesiredState& d, ReconcileResult* r);
  absl::Status SyncSets(const DesiredState& d, bool remove_phase, ReconcileResult* r);
  absl::Status SyncPolicies(const DesiredState& d, ReconcileResult* r);
  absl::Status SyncPolicy(const std::string& base, apipb::PolicyDirection dir,
                          const std::vector<DesiredStatement>& stmts, bool manage,
                          apipb::RouteAction default_action,
                          const std::map<std::string, apipb::Policy>& policies,
                          ReconcileResult* r);

  // After a policy swap: soft reset (out for export, in for import) of every established
  // peer, since gobgpd does not re-evaluate routes already sent or received on its own.
  absl::Status SoftResetPeers(bool out, bool in, ReconcileResult* r);

  std::shared_ptr<apipb::GobgpApi::StubInterface> stub_;
  std::map<std::string, std::string> peer_states_;
  bool cache_valid_ = false;
  std::map<std::string, std::string> cached_paths_[2];       // [v6]: prefix -> next hop
  std::map<std::string, std::set<SetEntry>> cached_sets_;     // owned sets as in the daemon
  bool export_changed_ = false;
  bool import_changed_ = false;
  std::function<void(const std::string&, bool)> on_call_;
  std::map<std::string, DesiredPeer> applied_peers_;  // what we configured, by address
};

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_RECONCILE_RECONCILE_H_
