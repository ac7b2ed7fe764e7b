#include "daemon/policy/engine.h"

#include <utility>

namespace kbgp::policy {

PolicyEngine::PolicyEngine() : policies_(*Compile(PolicyConfig())) {}

absl::Status PolicyEngine::Load(const PolicyConfig& config) {
  absl::StatusOr<std::shared_ptr<const Policies>> p = Compile(config);
  if (!p.ok()) return p.status();
  policies_ = *std::move(p);
  return absl::OkStatus();
}

bool PolicyEngine::has_import() const { return !policies_->global_import().trivial(); }

bool PolicyEngine::has_export() const {
  return !policies_->global_export().trivial() || policies_->has_client_assignments();
}

void PolicyEngine::Install(rib::Rib* rib) const {
  rib::AttrPool* pool = &rib->pool();
  if (has_import()) {
    rib->set_import_policy([this, pool](const Prefix& prefix, const rib::PeerInfo& from,
                                        const rib::AttrSet& in) {
      return Import(pool, prefix, from, in);
    });
  } else {
    rib->set_import_policy(nullptr);
  }
  if (has_export()) {
    rib->set_export_policy([this, pool](const Prefix& prefix, const rib::PeerInfo& to,
                                        const rib::PeerInfo& from, const rib::AttrSet& out,
                                        const rib::AttrSet& best) {
      return Export(pool, prefix, to, from, out, best);
    });
  } else {
    rib->set_export_policy(nullptr);
  }
}

rib::PolicyResult PolicyEngine::Import(rib::AttrPool* pool, const Prefix& prefix,
                                       const rib::PeerInfo& from, const rib::AttrSet& in) const {
  const Assignment& a = policies_->global_import();
  if (from.route_server_client || a.trivial()) return {};
  RouteContext ctx;
  ctx.prefix = prefix;
  ctx.direction = Direction::kImport;
  ctx.from = &from;
  ctx.parent = &in;
  return Evaluate(a, pool, ctx, in);
}

rib::PolicyResult PolicyEngine::Export(rib::AttrPool* pool, const Prefix& prefix,
                                       const rib::PeerInfo& to, const rib::PeerInfo& from,
                                       const rib::AttrSet& out, const rib::AttrSet& best) const {
  RouteContext ctx;
  ctx.prefix = prefix;
  ctx.from = &from;
  rib::PolicyResult r;
  if (to.route_server_client) {
    // The client's import policy, as the route enters its table (gobgpd evaluates it
    // without peer information: neighbor sets see the source peer, "self" does nothing).
    if (const Assignment* imp = policies_->client_import(to.address); imp && !imp->trivial()) {
      ctx.direction = Direction::kImport;
      r = Evaluate(*imp, pool, ctx, out);
      if (!r.accept) return r;
    }
  }
  const Assignment* exp = to.route_server_client ? policies_->client_export(to.address)
                                                 : &policies_->global_export();
  if (exp == nullptr || exp->trivial()) return r;
  ctx.direction = Direction::kExport;
  ctx.to = &to;
  if (best.has_next_hop()) ctx.original_next_hop = best.next_hop();
  const rib::AttrSet& cur = r.attrs ? *r.attrs : out;
  rib::PolicyResult e = Evaluate(*exp, pool, ctx, cur);
  if (!e.accept) return e;
  if (e.attrs) r.attrs = std::move(e.attrs);
  // gobgpd removes LOCAL_PREF after export policy for eBGP peers (postFilterpath).
  if (r.attrs && r.attrs->has_local_pref() && !to.ibgp() && !to.route_server_client) {
    rib::AttrFields f = r.attrs->fields();
    f.set(rib::AttrFields::kHasLocalPref, false);
    f.local_pref = 0;
    r.attrs = pool->Intern(f);
  }
  return r;
}

}  // namespace kbgp::policy
