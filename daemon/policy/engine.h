// PolicyEngine: the policy the server runs. It owns the compiled Policies (swapped whole
// on a reload) and plugs GoBGP's assignments into the Rib's import and export hooks.
//
// Which assignment applies (as in gobgpd):
//  - import: the global import assignment, for routes from every peer that is not a route
//    server client (gobgpd puts a client's routes in the route-server table, where the
//    global assignment is not used);
//  - export to a peer that is not a route server client: the global export assignment;
//  - export to a route server client: that client's import assignment, then its export
//    assignment. gobgpd keeps a table per client and runs the client's import policy as a
//    route enters it, before that client's best-path selection; kbgp has one Loc-RIB, so
//    the client's import policy runs on the shared best path on its way to the client. A
//    route the client's import policy rejects is not replaced by the next-best path.
//  - LOCAL_PREF that an export policy set is removed again for eBGP peers that are not
//    route server clients (gobgpd's postFilterpath).
// Hooks are installed only for assignments that can change something, so with no policy a
// route costs nothing extra.
#ifndef KBGP_DAEMON_POLICY_ENGINE_H_
#define KBGP_DAEMON_POLICY_ENGINE_H_

#include <memory>

#include "absl/status/status.h"
#include "daemon/policy/policy.h"
#include "daemon/rib/rib.h"

namespace kbgp::policy {

class PolicyEngine {
 public:
  PolicyEngine();

  // Compiles `config` and swaps it in; on error the running policy stays.
  absl::Status Load(const PolicyConfig& config);
  const Policies& policies() const { return *policies_; }

  // Installs the hooks on `rib` (or removes them when nothing is assigned). Call after
  // every Load; the engine must outlive the Rib's use of the hooks. After a reload the
  // caller re-evaluates: rib->ReapplyImportPolicy(), rib->ReapplyExportPolicy(), flush.
  void Install(rib::Rib* rib) const;

  bool has_import() const;
  bool has_export() const;

  rib::PolicyResult Import(rib::AttrPool* pool, const Prefix& prefix, const rib::PeerInfo& from,
                           const rib::AttrSet& in) const;
  rib::PolicyResult Export(rib::AttrPool* pool, const Prefix& prefix, const rib::PeerInfo& to,
                           const rib::PeerInfo& from, const rib::AttrSet& out,
                           const rib::AttrSet& best) const;

 private:
  std::shared_ptr<const Policies> policies_;
};

}  // namespace kbgp::policy

#endif  // KBGP_DAEMON_POLICY_ENGINE_H_
