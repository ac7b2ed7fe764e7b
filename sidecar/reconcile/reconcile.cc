#include "sidecar/reconcile/reconcile.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/attribute.pb.h"

namespace kbgp::sidecar {
namespace {

constexpr char kExportBase[] = "kube_router_export";
constexpr char kImportBase[] = "kube_router_import";
// From this many new paths on, one AddPathStream instead of AddPath calls.
constexpr size_t kStreamThreshold = 16;

// Every set name the sidecar manages (k8s-bgp.md §2.5).
const std::vector<std::string>& OwnedSets() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const char* base : {"podcidrdefinedset", "servicevipsdefinedset", "defaultroutedefinedset",
                             "customimportrejectdefinedset", "iBGPpeerset", "externalpeerset",
                             "allpeerset"}) {
      v.push_back(base);
      v.push_back(absl::StrCat(base, "v6"));
    }
    return v;
  }();
  return kNames;
}

bool IsNeighborSetName(const std::string& name) { return absl::StrContains(name, "peerset"); }

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return c;
}

apipb::Family FamilyOf(bool v6) {
  apipb::Family f;
  f.set_afi(v6 ? apipb::Family::AFI_IP6 : apipb::Family::AFI_IP);
  f.set_safi(apipb::Family::SAFI_UNICAST);
  return f;
}

// "10.0.0.2" -> "10.0.0.2/32" (neighbor sets list host prefixes).
std::string HostForm(const std::string& s) {
  if (absl::StrContains(s, "/")) return s;
  return absl::StrCat(s, absl::StrContains(s, ":") ? "/128" : "/32");
}

std::string NormalizeCommunity(const std::string& c) {
  if (auto v = ParseCommunity(c)) return absl::StrCat(*v >> 16, ":", *v & 0xFFFF);
  return c;
}

bool SamePeer(const apipb::Peer& have, const DesiredPeer& want) {
  return have.conf().peer_asn() == want.asn;
}

}  // namespace

std::string StatementKey(const apipb::Statement& s) {
  const apipb::Conditions& c = s.conditions();
  const apipb::Actions& a = s.actions();
  std::vector<std::string> comms;
  for (const std::string& x : a.community().communities()) comms.push_back(NormalizeCommunity(x));
  std::sort(comms.begin(), comms.end());
  return absl::StrCat(
      "prefix=", c.prefix_set().name(), ":", c.prefix_set().name().empty() ? 0 : c.prefix_set().type(),
      " neighbor=", c.neighbor_set().name(), ":",
      c.neighbor_set().name().empty() ? 0 : c.neighbor_set().type(),
      " action=", a.route_action(),
      " prepend=", a.as_prepend().asn(), "x", a.as_prepend().repeat(),
      " communities=", comms.empty() ? "" : absl::StrCat(a.community().type(), ":"),
      absl::StrJoin(comms, ","), " nhself=", a.nexthop().self() ? 1 : 0);
}

apipb::Statement ToApiStatement(const DesiredStatement& d, const std::string& name) {
  apipb::Statement s;
  s.set_name(name);
  apipb::Conditions* c = s.mutable_conditions();
  if (!d.prefix_set.empty()) {
    c->mutable_prefix_set()->set_name(d.prefix_set);
    c->mutable_prefix_set()->set_type(apipb::MatchSet::ANY);
  }
  if (!d.neighbor_set.empty()) {
    c->mutable_neighbor_set()->set_name(d.neighbor_set);
    c->mutable_neighbor_set()->set_type(apipb::MatchSet::ANY);
  }
  apipb::Actions* a = s.mutable_actions();
  a->set_route_action(d.accept ? apipb::ACCEPT : apipb::REJECT);
  if (d.prepend_repeat > 0) {
    a->mutable_as_prepend()->set_asn(d.prepend_asn);
    a->mutable_as_prepend()->set_repeat(d.prepend_repeat);
  }
  if (!d.communities.empty()) {
    a->mutable_community()->set_type(apipb::CommunityAction::ADD);
    for (uint32_t x : d.communities) {
      a->mutable_community()->add_communities(absl::StrCat(x >> 16, ":", x & 0xFFFF));
    }
  }
  if (d.nexthop_self) a->mutable_nexthop()->set_self(true);
  return s;
}

apipb::Peer ToApiPeer(const DesiredPeer& p) {
  apipb::Peer out;
  out.mutable_conf()->set_neighbor_address(p.address);
  out.mutable_conf()->set_peer_asn(p.asn);
  if (!p.password.empty()) out.mutable_conf()->set_auth_password(p.password);
  out.mutable_timers()->mutable_config()->set_hold_time(p.hold_time);
  out.mutable_timers()->mutable_config()->set_keepalive_interval(std::max<uint32_t>(1, p.hold_time / 3));
  out.mutable_timers()->mutable_config()->set_connect_retry(5);
  out.mutable_transport()->set_local_address(p.local_address);
  out.mutable_transport()->set_remote_port(p.remote_port);
  if (p.multihop_ttl >= 2) {
    out.mutable_ebgp_multihop()->set_enabled(true);
    out.mutable_ebgp_multihop()->set_multihop_ttl(p.multihop_ttl);
  }
  if (p.rr_client) {
    out.mutable_route_reflector()->set_route_reflector_client(true);
    out.mutable_route_reflector()->set_route_reflector_cluster_id(p.rr_cluster_id);
  }
  if (p.graceful_restart) {
    out.mutable_graceful_restart()->set_enabled(true);
    out.mutable_graceful_restart()->set_restart_time(p.restart_time);
    out.mutable_graceful_restart()->set_deferral_time(p.deferral_time);
    out.mutable_graceful_restart()->set_local_restarting(true);
  }
  for (bool v6 : {false, true}) {
    if (v6 ? !p.ipv6 : !p.ipv4) continue;
    apipb::AfiSafi* af = out.add_afi_safis();
    *af->mutable_config()->mutable_family() = FamilyOf(v6);
    af->mutable_config()->set_enabled(true);
    if (p.graceful_restart) af->mutable_mp_graceful_restart()->mutable_config()->set_enabled(true);
  }
  return out;
}

apipb::Path ToApiPath(const std::string& prefix, const std::string& next_hop) {
  apipb::Path path;
  bool v6 = absl::StrContains(prefix, ":");
  size_t slash = prefix.find('/');
  apipb::IPAddressPrefix nlri;
  nlri.set_prefix(prefix.substr(0, slash));
  uint32_t len = v6 ? 128 : 32;
  if (slash != std::string::npos) (void)absl::SimpleAtoi(prefix.substr(slash + 1), &len);
  nlri.set_prefix_len(len);
  path.mutable_nlri()->PackFrom(nlri);
  *path.mutable_family() = FamilyOf(v6);
  apipb::OriginAttribute origin;
  origin.set_origin(0);  // IGP
  path.add_pattrs()->PackFrom(origin);
  if (v6) {
    apipb::MpReachNLRIAttribute mp;
    *mp.mutable_family() = FamilyOf(true);
    mp.add_next_hops(next_hop);
    mp.add_nlris()->PackFrom(nlri);
    path.add_pattrs()->PackFrom(mp);
  } else {
    apipb::NextHopAttribute nh;
    nh.set_next_hop(next_hop);
    path.add_pattrs()->PackFrom(nh);
  }
  return path;
}

bool FromApiPath(const apipb::Path& path, std::string* prefix, std::string* next_hop) {
  apipb::IPAddressPrefix nlri;
  if (!path.nlri().UnpackTo(&nlri)) return false;
  *prefix = absl::StrCat(nlri.prefix(), "/", nlri.prefix_len());
  next_hop->clear();
  for (const auto& any : path.pattrs()) {
    if (any.Is<apipb::NextHopAttribute>()) {
      apipb::NextHopAttribute nh;
      any.UnpackTo(&nh);
      *next_hop = nh.next_hop();
    } else if (any.Is<apipb::MpReachNLRIAttribute>() && next_hop->empty()) {
      apipb::MpReachNLRIAttribute mp;
      any.UnpackTo(&mp);
      if (mp.next_hops_size() > 0) *next_hop = mp.next_hops(0);
    }
  }
  return true;
}

Reconciler::Reconciler(std::shared_ptr<apipb::GobgpApi::StubInterface> stub,
                       std::function<void(const std::string&, bool)> on_call)
    : stub_(std::move(stub)), on_call_(std::move(on_call)) {}

absl::Status Reconciler::Check(const char* rpc, const grpc::Status& st, bool change,
                               ReconcileResult* r) {
  if (on_call_) on_call_(rpc, st.ok());
  if (change) {
    ++r->changes;
  } else {
    ++r->reads;
  }
  if (st.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(rpc, ": ", st.error_message()));
}

absl::Status Reconciler::ReadPeerStates() {
  auto ctx = Ctx(2);
  auto reader = stub_->ListPeer(ctx.get(), apipb::ListPeerRequest());
  apipb::ListPeerResponse resp;
  std::map<std::string, std::string> states;
  while (reader->Read(&resp)) {
    const std::string& addr = resp.peer().conf().neighbor_address();
    if (!applied_peers_.count(addr)) continue;
    states[addr] = absl::AsciiStrToLower(
        apipb::PeerState::SessionState_Name(resp.peer().state().session_state()));
  }
  grpc::Status st = reader->Finish();
  if (on_call_) on_call_("ListPeer", st.ok());
  if (!st.ok()) return absl::UnavailableError(absl::StrCat("ListPeer: ", st.error_message()));
  peer_states_.swap(states);
  return absl::OkStatus();
}

absl::StatusOr<bool> Reconciler::DaemonStartedWith(uint32_t asn) {
  apipb::GetBgpResponse resp;
  grpc::Status st = stub_->GetBgp(Ctx(2).get(), apipb::GetBgpRequest(), &resp);
  if (on_call_) on_call_("GetBgp", st.ok());
  if (!st.ok()) return absl::UnavailableError(absl::StrCat("GetBgp: ", st.error_message()));
  return resp.global().asn() != 0 && resp.global().asn() == asn;
}

absl::Status Reconciler::SyncGlobal(const DesiredState& d, ReconcileResult* r) {
  apipb::GetBgpResponse resp;
  absl::Status s = Check("GetBgp", stub_->GetBgp(Ctx().get(), apipb::GetBgpRequest(), &resp),
                         false, r);
  if (!s.ok()) return s;
  const apipb::Global& g = resp.global();
  if (g.asn() != 0 && g.asn() == d.global.asn && g.router_id() == d.global.router_id &&
      g.listen_port() == d.global.listen_port) {
    return absl::OkStatus();
  }
  if (g.asn() != 0) {
    // Another identity (node.asn changed live): restart the instance with the new one.
    google::protobuf::Empty e;
    s = Check("StopBgp", stub_->StopBgp(Ctx().get(), apipb::StopBgpRequest(), &e), true, r);
    if (!s.ok()) return s;
    r->applied.push_back("StopBgp");
  }
  apipb::StartBgpRequest req;
  req.mutable_global()->set_asn(d.global.asn);
  req.mutable_global()->set_router_id(d.global.router_id);
  req.mutable_global()->set_listen_port(d.global.listen_port);
  google::protobuf::Empty e;
  s = Check("StartBgp", stub_->StartBgp(Ctx().get(), req, &e), true, r);
  if (!s.ok()) return s;
  r->started = true;
  applied_peers_.clear();
  cache_valid_ = false;
  r->applied.push_back(absl::StrCat("StartBgp as=", d.global.asn, " id=", d.global.router_id));
  return absl::OkStatus();
}

absl::Status Reconciler::SyncPeers(const DesiredState& d, ReconcileResult* r) {
  std::map<std::string, apipb::Peer> have;
  {
    auto ctx = Ctx();
    auto reader = stub_->ListPeer(ctx.get(), apipb::ListPeerRequest());
    apipb::ListPeerResponse resp;
    while (reader->Read(&resp)) have[resp.peer().conf().neighbor_address()] = resp.peer();
    absl::Status s = Check("ListPeer", reader->Finish(), false, r);
    if (!s.ok()) return s;
  }
  peer_states_.clear();
  for (const auto& [addr, peer] : have) {
    if (!d.peers.count(addr)) continue;
    peer_states_[addr] = absl::AsciiStrToLower(
        apipb::PeerState::SessionState_Name(peer.state().session_state()));
  }
  for (const auto& [addr, peer] : have) {
    auto it = d.peers.find(addr);
    bool keep = it != d.peers.end() && SamePeer(peer, it->second);
    if (keep) {
      auto ap = applied_peers_.find(addr);
      if (ap == applied_peers_.end()) {
        applied_peers_[addr] = it->second;  // adopted (e.g. after a sidecar restart)
      } else if (!(ap->second == it->second)) {
        keep = false;
      }
    }
    if (keep) continue;
    apipb::DeletePeerRequest req;
    req.set_address(addr);
    google::protobuf::Empty e;
    absl::Status s = Check("DeletePeer", stub_->DeletePeer(Ctx().get(), req, &e), true, r);
    if (!s.ok()) return s;
    applied_peers_.erase(addr);
    r->applied.push_back(absl::StrCat("DeletePeer ", addr));
  }
  for (const auto& [addr, want] : d.peers) {
    auto h = have.find(addr);
    if (h != have.end() && applied_peers_.count(addr)) continue;
    apipb::AddPeerRequest req;
    *req.mutable_peer() = ToApiPeer(want);
    google::protobuf::Empty e;
    absl::Status s = Check("AddPeer", stub_->AddPeer(Ctx().get(), req, &e), true, r);
    if (!s.ok()) return s;
    applied_peers_[addr] = want;
    r->applied.push_back(absl::StrCat("AddPeer ", addr, " as=", want.asn));
  }
  return absl::OkStatus();
}

absl::Status Reconciler::SyncPaths(const DesiredState& d, ReconcileResult* r) {
  for (bool v6 : {false, true}) {
    std::map<std::string, std::string> have;  // prefix -> next hop
    if (cache_valid_) {
      have = cached_paths_[v6];
    } else {
      apipb::ListPathRequest req;
      req.set_table_type(apipb::GLOBAL);
      *req.mutable_family() = FamilyOf(v6);
      auto ctx = Ctx(60);
      auto reader = stub_->ListPath(ctx.get(), req);
      apipb::ListPathResponse resp;
      while (reader->Read(&resp)) {
        for (const apipb::Path& p : resp.destination().paths()) {
          if (!p.neighbor_ip().empty() && p.neighbor_ip() != "<nil>") continue;  // learned
          std::string prefix, nh;
          if (!FromApiPath(p, &prefix, &nh)) continue;
          have[prefix] = nh;
        }
      }
      absl::Status s = Check("ListPath", reader->Finish(), false, r);
      if (!s.ok()) return s;
    }
    for (const auto& [prefix, nh] : have) {
      // Kept, or given a new next hop below (AddPath replaces it): only the gone are deleted.
      if (d.paths.count(prefix) != 0) continue;
      apipb::DeletePathRequest req;
      req.set_table_type(apipb::GLOBAL);
      *req.mutable_family() = FamilyOf(v6);
      *req.mutable_path() = ToApiPath(prefix, nh);
      google::protobuf::Empty e;
      absl::Status s = Check("DeletePath", stub_->DeletePath(Ctx().get(), req, &e), true, r);
      if (!s.ok()) return s;
      r->applied.push_back(absl::StrCat("DeletePath ", prefix));
    }
    std::vector<std::pair<std::string, std::string>> add;
    for (const auto& [prefix, nh] : d.paths) {
      if (absl::StrContains(prefix, ":") != v6) continue;
      auto h = have.find(prefix);
      if (h != have.end() && h->second == nh) continue;
      add.emplace_back(prefix, nh);
    }
    if (add.size() < kStreamThreshold) {
      for (const auto& [prefix, nh] : add) {
        apipb::AddPathRequest req;
        req.set_table_type(apipb::GLOBAL);
        *req.mutable_path() = ToApiPath(prefix, nh);
        apipb::AddPathResponse resp;
        absl::Status s = Check("AddPath", stub_->AddPath(Ctx().get(), req, &resp), true, r);
        if (!s.ok()) return s;
        r->applied.push_back(absl::StrCat("AddPath ", prefix, " nh=", nh));
      }
    } else {
      // Many paths (a first sync): one AddPathStream, in requests of 1000 paths.
      auto ctx = Ctx(120);
      google::protobuf::Empty e;
      auto writer = stub_->AddPathStream(ctx.get(), &e);
      for (size_t i = 0; i < add.size(); i += 1000) {
        apipb::AddPathStreamRequest req;
        req.set_table_type(apipb::GLOBAL);
        for (size_t j = i; j < std::min(add.size(), i + 1000); ++j) {
          *req.add_paths() = ToApiPath(add[j].first, add[j].second);
        }
        if (!writer->Write(req)) break;
      }
      writer->WritesDone();
      absl::Status s = Check("AddPathStream", writer->Finish(), true, r);
      if (!s.ok()) return s;
      r->applied.push_back(absl::StrCat("AddPathStream ", add.size(), " paths (", add.front().first,
                                        " ...)"));
    }
    // The daemon now has exactly the desired paths of this family.
    cached_paths_[v6].clear();
    for (const auto& [prefix, nh] : d.paths) {
      if (absl::StrContains(prefix, ":") == v6) cached_paths_[v6][prefix] = nh;
    }
  }
  return absl::OkStatus();
}

absl::Status Reconciler::SyncSets(const DesiredState& d, bool remove_phase, ReconcileResult* r) {
  // Current contents of the sets we own: read in the first phase of a full pass, then kept.
  std::map<std::string, std::set<SetEntry>>& have = cached_sets_;
  if (!remove_phase && !cache_valid_) have.clear();
  for (apipb::DefinedType type : {apipb::PREFIX, apipb::NEIGHBOR}) {
    if (remove_phase || cache_valid_) break;
    apipb::ListDefinedSetRequest req;
    req.set_defined_type(type);
    auto ctx = Ctx();
    auto reader = stub_->ListDefinedSet(ctx.get(), req);
    apipb::ListDefinedSetResponse resp;
    while (reader->Read(&resp)) {
      const apipb::DefinedSet& ds = resp.defined_set();
      if (std::find(OwnedSets().begin(), OwnedSets().end(), ds.name()) == OwnedSets().end()) {
        continue;
      }
      std::set<SetEntry>& e = have[ds.name()];
      if (type == apipb::PREFIX) {
        for (const apipb::Prefix& p : ds.prefixes()) {
          e.insert({p.ip_prefix(), p.mask_length_min(), p.mask_length_max()});
        }
      } else {
        for (const std::string& s : ds.list()) e.insert({HostForm(s), 0, 0});
      }
    }
    absl::Status s = Check("ListDefinedSet", reader->Finish(), false, r);
    if (!s.ok()) return s;
  }
  auto make = [](const std::string& name, const std::vector<SetEntry>& entries) {
    apipb::DefinedSet ds;
    ds.set_name(name);
    bool neighbor = IsNeighborSetName(name);
    ds.set_defined_type(neighbor ? apipb::NEIGHBOR : apipb::PREFIX);
    for (const SetEntry& e : entries) {
      if (neighbor) {
        ds.add_list(e.prefix);
      } else {
        apipb::Prefix* p = ds.add_prefixes();
        p->set_ip_prefix(e.prefix);
        p->set_mask_length_min(e.min);
        p->set_mask_length_max(e.max);
      }
    }
    return ds;
  };
  const bool policies = d.manage_policies;
  for (const std::string& name : OwnedSets()) {
    auto want_it = d.sets.find(name);
    const std::set<SetEntry> empty;
    const std::set<SetEntry>& want = policies && want_it != d.sets.end() ? want_it->second.entries
                                                                          : empty;
    auto have_it = have.find(name);
    const std::set<SetEntry>& cur = have_it != have.end() ? have_it->second : empty;
    if (!remove_phase) {
      std::vector<SetEntry> add;
      for (const SetEntry& e : want) {
        if (!cur.count(e)) add.push_back(e);
      }
      if (add.empty()) continue;
      apipb::AddDefinedSetRequest req;
      *req.mutable_defined_set() = make(name, add);
      google::protobuf::Empty e;
      absl::Status s = Check("AddDefinedSet", stub_->AddDefinedSet(Ctx().get(), req, &e), true, r);
      if (!s.ok()) return s;
      have[name].insert(add.begin(), add.end());
      r->applied.push_back(absl::StrCat("AddDefinedSet ", name, " +", add.size()));
    } else {
      if (have_it == have.end()) continue;
      std::vector<SetEntry> del;
      for (const SetEntry& e : cur) {
        if (!want.count(e)) del.push_back(e);
      }
      if (del.empty()) continue;
      apipb::DeleteDefinedSetRequest req;
      bool whole = want.empty();
      *req.mutable_defined_set() = make(name, whole ? std::vector<SetEntry>() : del);
      req.set_all(whole);
      google::protobuf::Empty e;
      absl::Status s =
          Check("DeleteDefinedSet", stub_->DeleteDefinedSet(Ctx().get(), req, &e), true, r);
      if (!s.ok()) return s;
      if (whole) {
        have.erase(have_it);
      } else {
        for (const SetEntry& x : del) have_it->second.erase(x);
      }
      r->applied.push_back(absl::StrCat("DeleteDefinedSet ", name, whole ? " (all)" : " -",
                                        whole ? "" : absl::StrCat(del.size())));
    }
  }
  return absl::OkStatus();
}

absl::Status Reconciler::SyncPolicy(const std::string& base, apipb::PolicyDirection dir,
                                    const std::vector<DesiredStatement>& stmts, bool manage,
                                    apipb::RouteAction default_action,
                                    const std::map<std::string, apipb::Policy>& policies,
                                    ReconcileResult* r) {
  // The current global assignment in this direction.
  apipb::PolicyAssignment current;
  {
    apipb::ListPolicyAssignmentRequest req;
    req.set_name("global");
    req.set_direction(dir);
    auto ctx = Ctx();
    auto reader = stub_->ListPolicyAssignment(ctx.get(), req);
    apipb::ListPolicyAssignmentResponse resp;
    while (reader->Read(&resp)) {
      if (resp.assignment().direction() == dir) current = resp.assignment();
    }
    absl::Status s = Check("ListPolicyAssignment", reader->Finish(), false, r);
    if (!s.ok()) return s;
  }
  std::vector<std::string> want_keys;
  for (const DesiredStatement& st : stmts) want_keys.push_back(StatementKey(ToApiStatement(st, "")));
  std::vector<std::string> others;  // assigned policies that are not ours
  std::vector<std::string> ours;
  for (const apipb::Policy& p : current.policies()) {
    (absl::StartsWith(p.name(), base) ? ours : others).push_back(p.name());
  }
  bool want_policy = manage && !stmts.empty();
  bool ok = false;
  if (want_policy && ours.size() == 1 && current.default_action() == default_action) {
    auto it = policies.find(ours[0]);
    if (it != policies.end()) {
      std::vector<std::string> keys;
      for (const apipb::Statement& s : it->second.statements()) keys.push_back(StatementKey(s));
      ok = keys == want_keys;
    }
  }
  if (!want_policy && ours.empty() &&
      (!manage || current.default_action() == default_action || current.policies_size() == 0)) {
    ok = true;
  }
  bool stale_policies = false;
  for (const auto& [name, p] : policies) {
    if (absl::StartsWith(name, base) && (ours.empty() || name != ours[0] || !ok)) {
      stale_policies = true;
    }
  }
  if (ok && !stale_policies) return absl::OkStatus();
  std::string new_name;
  if (!ok && want_policy) {
    // A new version, make-before-break (§2.5): add, assign, then delete the old ones.
    uint32_t max_n = 0;
    for (const auto& [name, p] : policies) {
      uint32_t n = 0;
      if (absl::StartsWith(name, base) && absl::SimpleAtoi(name.substr(base.size()), &n)) {
        max_n = std::max(max_n, n);
      }
    }
    new_name = absl::StrCat(base, max_n + 1);
    apipb::AddPolicyRequest req;
    req.mutable_policy()->set_name(new_name);
    for (const DesiredStatement& st : stmts) {
      *req.mutable_policy()->add_statements() =
          ToApiStatement(st, absl::StrCat(new_name, "_", st.name));
    }
    google::protobuf::Empty e;
    absl::Status s = Check("AddPolicy", stub_->AddPolicy(Ctx().get(), req, &e), true, r);
    if (!s.ok()) return s;
    r->applied.push_back(absl::StrCat("AddPolicy ", new_name, " statements=", stmts.size()));
  }
  if (!ok) {
    apipb::SetPolicyAssignmentRequest req;
    apipb::PolicyAssignment* a = req.mutable_assignment();
    a->set_name("global");
    a->set_direction(dir);
    for (const std::string& n : others) a->add_policies()->set_name(n);
    if (!new_name.empty()) a->add_policies()->set_name(new_name);
    a->set_default_action(manage ? default_action : current.default_action());
    google::protobuf::Empty e;
    absl::Status s =
        Check("SetPolicyAssignment", stub_->SetPolicyAssignment(Ctx().get(), req, &e), true, r);
    if (!s.ok()) return s;
    r->applied.push_back(absl::StrCat("SetPolicyAssignment ", dir == apipb::EXPORT ? "export" : "import",
                                      " ", new_name.empty() ? "-" : new_name));
    (dir == apipb::EXPORT ? export_changed_ : import_changed_) = true;
  }
  std::string keep = ok && !ours.empty() ? ours[0] : new_name;
  for (const auto& [name, p] : policies) {
    if (!absl::StartsWith(name, base) || name == keep) continue;
    apipb::DeletePolicyRequest req;
    req.mutable_policy()->set_name(name);
    req.set_all(true);
    req.set_preserve_statements(false);
    google::protobuf::Empty e;
    absl::Status s = Check("DeletePolicy", stub_->DeletePolicy(Ctx().get(), req, &e), true, r);
    if (!s.ok()) return s;
    r->applied.push_back(absl::StrCat("DeletePolicy ", name));
  }
  return absl::OkStatus();
}

absl::Status Reconciler::SyncPolicies(const DesiredState& d, ReconcileResult* r) {
  std::map<std::string, apipb::Policy> policies;
  {
    auto ctx = Ctx();
    auto reader = stub_->ListPolicy(ctx.get(), apipb::ListPolicyRequest());
    apipb::ListPolicyResponse resp;
    while (reader->Read(&resp)) {
      if (absl::StartsWith(resp.policy().name(), "kube_router_")) {
        policies[resp.policy().name()] = resp.policy();
      }
    }
    absl::Status s = Check("ListPolicy", reader->Finish(), false, r);
    if (!s.ok()) return s;
  }
  std::map<std::string, apipb::Policy> exp, imp;
  for (const auto& [n, p] : policies) (absl::StartsWith(n, kExportBase) ? exp : imp)[n] = p;
  absl::Status s = SyncPolicy(kExportBase, apipb::EXPORT, d.export_statements, d.manage_policies,
                              apipb::REJECT, exp, r);
  if (!s.ok()) return s;
  return SyncPolicy(kImportBase, apipb::IMPORT, d.import_statements, d.manage_policies,
                    apipb::ACCEPT, imp, r);
}

absl::Status Reconciler::SoftResetPeers(bool out, bool in, ReconcileResult* r) {
  std::vector<std::string> established;
  {
    auto ctx = Ctx();
    auto reader = stub_->ListPeer(ctx.get(), apipb::ListPeerRequest());
    apipb::ListPeerResponse resp;
    while (reader->Read(&resp)) {
      if (resp.peer().state().session_state() == apipb::PeerState::ESTABLISHED) {
        established.push_back(resp.peer().conf().neighbor_address());
      }
    }
    absl::Status s = Check("ListPeer", reader->Finish(), false, r);
    if (!s.ok()) return s;
  }
  for (const std::string& addr : established) {
    apipb::ResetPeerRequest req;
    req.set_address(addr);
    req.set_soft(true);
    req.set_direction(out && in ? apipb::ResetPeerRequest::BOTH
                                : out ? apipb::ResetPeerRequest::OUT : apipb::ResetPeerRequest::IN);
    google::protobuf::Empty e;
    // A session that went down meanwhile fails the reset; it gets the new policy when it
    // comes back, so that is not an error of the pass.
    (void)Check("ResetPeer", stub_->ResetPeer(Ctx().get(), req, &e), true, r);
    r->applied.push_back(absl::StrCat("ResetPeer soft ", addr, out && in ? " both" : out ? " out" : " in"));
  }
  return absl::OkStatus();
}

absl::Status Reconciler::Reconcile(const DesiredState& d, ReconcileResult* r, bool full) {
  if (!d.ok) return absl::FailedPreconditionError(d.error);
  if (full) cache_valid_ = false;
  auto t = std::chrono::steady_clock::now();
  auto lap = [&](const char* stage) {
    auto now = std::chrono::steady_clock::now();
    absl::StrAppend(&r->timings, r->timings.empty() ? "" : " ", stage, "=",
                    std::chrono::duration<double>(now - t).count());
    t = now;
  };
  absl::Status s = SyncGlobal(d, r);
  lap("global");
  // From here on the sets and paths views are complete for this pass (read or kept).
  bool was_valid = cache_valid_;
  if (s.ok()) s = SyncSets(d, /*remove_phase=*/false, r);
  lap("sets");
  if (s.ok()) s = SyncPolicies(d, r);
  lap("policies");
  if (s.ok()) s = SyncPeers(d, r);
  lap("peers");
  if (s.ok()) {
    cache_valid_ = was_valid;
    s = SyncPaths(d, r);
  }
  lap("paths");
  if (s.ok()) s = SyncSets(d, /*remove_phase=*/true, r);
  lap("sets_remove");
  if (s.ok() && (export_changed_ || import_changed_)) {
    s = SoftResetPeers(export_changed_, import_changed_, r);
    if (s.ok()) export_changed_ = import_changed_ = false;
  }
  cache_valid_ = s.ok();
  return s;
}

}  // namespace kbgp::sidecar
