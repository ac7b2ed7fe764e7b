#include "daemon/config/apply.h"

#include <unistd.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/common/log.h"

namespace kbgp::config {
namespace {

uint32_t Seconds(double v) { return v <= 0 ? 0 : static_cast<uint32_t>(std::lround(v)); }

// route-reflector-cluster-id: an IPv4 address or a 32-bit number; "" means our router id.
absl::StatusOr<uint32_t> ClusterId(const std::string& text) {
  if (text.empty()) return 0u;
  uint32_t n;
  if (absl::SimpleAtoi(text, &n)) return n;
  absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
  if (!a.ok() || !a->is_v4()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid route-reflector-cluster-id \"", text, "\""));
  }
  return a->v4();
}

bool IsUnicastFamily(const std::string& name, wire::AfiSafi* out) {
  if (name == "ipv4-unicast") {
    *out = wire::kIPv4Unicast;
    return true;
  }
  if (name == "ipv6-unicast") {
    *out = wire::kIPv6Unicast;
    return true;
  }
  return false;
}

policy::MatchSetDef ToMatchSet(const MatchSet& m) {
  policy::MatchSetDef d;
  d.name = m.set_name;
  switch (m.match_set_options) {
    case MatchSetOptions::kAll: d.option = policy::MatchOption::kAll; break;
    case MatchSetOptions::kInvert: d.option = policy::MatchOption::kInvert; break;
    default: d.option = policy::MatchOption::kAny; break;
  }
  return d;
}

policy::CountDef ToCount(const CountCondition& c) {
  policy::CountDef d;
  d.value = c.value;
  switch (c.op) {
    case Comparison::kEq: d.op = policy::Comparison::kEq; break;
    case Comparison::kGe: d.op = policy::Comparison::kGe; break;
    case Comparison::kLe: d.op = policy::Comparison::kLe; break;
    default: d.op = policy::Comparison::kNone; break;
  }
  return d;
}

std::optional<wire::Origin> ToOrigin(Origin o) {
  switch (o) {
    case Origin::kIgp: return wire::Origin::kIgp;
    case Origin::kEgp: return wire::Origin::kEgp;
    case Origin::kIncomplete: return wire::Origin::kIncomplete;
    default: return std::nullopt;
  }
}

policy::SetCommunitiesDef ToSetCommunities(const SetCommunities& c) {
  policy::SetCommunitiesDef d;
  switch (c.options) {
    case SetCommunityOption::kAdd: d.op = policy::CommunityOp::kAdd; break;
    case SetCommunityOption::kRemove: d.op = policy::CommunityOp::kRemove; break;
    case SetCommunityOption::kReplace: d.op = policy::CommunityOp::kReplace; break;
    default: d.op = policy::CommunityOp::kNone; break;
  }
  // gobgpd 3.10 reads communities-list only (community-set-ref is not used by its policy).
  d.values = c.communities_list;
  return d;
}

policy::StatementDef ToStatement(const Statement& st) {
  policy::StatementDef d;
  d.name = st.name;
  const Conditions& c = st.conditions;
  policy::ConditionsDef& dc = d.conditions;
  dc.prefix_set = ToMatchSet(c.match_prefix_set);
  dc.neighbor_set = ToMatchSet(c.match_neighbor_set);
  dc.as_path_set = ToMatchSet(c.match_as_path_set);
  dc.community_set = ToMatchSet(c.match_community_set);
  dc.ext_community_set = ToMatchSet(c.match_ext_community_set);
  dc.large_community_set = ToMatchSet(c.match_large_community_set);
  dc.as_path_length = ToCount(c.as_path_length);
  dc.community_count = ToCount(c.community_count);
  switch (c.route_type) {
    case RouteType::kInternal: dc.route_type = policy::RouteType::kInternal; break;
    case RouteType::kExternal: dc.route_type = policy::RouteType::kExternal; break;
    case RouteType::kLocal: dc.route_type = policy::RouteType::kLocal; break;
    default: dc.route_type = policy::RouteType::kNone; break;
  }
  dc.next_hop_in_list = c.next_hop_in_list;
  dc.afi_safi_in = c.afi_safi_in_list;
  dc.origin_eq = ToOrigin(c.origin_eq);
  // 0 means "not written" in gobgpd's schema for these.
  if (c.med_eq != 0) dc.med_eq = c.med_eq;
  if (c.local_pref_eq != 0) dc.local_pref_eq = c.local_pref_eq;
  switch (c.rpki_validation_result) {
    case RpkiValidationResult::kNotFound: dc.rpki = policy::RpkiState::kNotFound; break;
    case RpkiValidationResult::kValid: dc.rpki = policy::RpkiState::kValid; break;
    case RpkiValidationResult::kInvalid: dc.rpki = policy::RpkiState::kInvalid; break;
    default: dc.rpki = policy::RpkiState::kNone; break;
  }
  const Actions& a = st.actions;
  policy::ActionsDef& da = d.actions;
  switch (a.route_disposition) {
    case RouteDisposition::kAcceptRoute: da.disposition = policy::Disposition::kAccept; break;
    case RouteDisposition::kRejectRoute: da.disposition = policy::Disposition::kReject; break;
    default: da.disposition = policy::Disposition::kNone; break;
  }
  da.set_med = a.set_med;
  if (a.set_local_pref != 0) da.set_local_pref = a.set_local_pref;
  da.prepend_last_as = a.prepend_last_as;
  da.prepend_as = a.prepend_as;
  da.prepend_repeat = a.prepend_repeat_n;
  da.set_community = ToSetCommunities(a.set_community);
  da.set_ext_community = ToSetCommunities(a.set_ext_community);
  da.set_large_community = ToSetCommunities(a.set_large_community);
  da.set_next_hop = a.set_next_hop;
  da.set_origin = ToOrigin(a.set_route_origin);
  return d;
}

policy::AssignmentDef ToAssignment(const ApplyPolicy& p) {
  policy::AssignmentDef d;
  d.import_policies = p.import_policy_list;
  d.default_import = p.default_import_policy == DefaultPolicy::kRejectRoute
                         ? policy::Disposition::kReject
                         : policy::Disposition::kAccept;
  d.export_policies = p.export_policy_list;
  d.default_export = p.default_export_policy == DefaultPolicy::kRejectRoute
                         ? policy::Disposition::kReject
                         : policy::Disposition::kAccept;
  return d;
}

bool IsRouteServerClient(const Neighbor& n) { return n.route_server.route_server_client; }

// Whether the reload changes anything the policy engine sees.
bool PolicyChanged(const ConfigDiff& diff) {
  if (diff.policies_changed || diff.global_apply_policy_changed) return true;
  for (const Neighbor& n : diff.added_neighbors) {
    if (IsRouteServerClient(n)) return true;
  }
  for (const Neighbor& n : diff.removed_neighbors) {
    if (IsRouteServerClient(n)) return true;
  }
  for (const NeighborChange& c : diff.changed_neighbors) {
    if ((IsRouteServerClient(c.old_neighbor) || IsRouteServerClient(c.new_neighbor)) &&
        (c.old_neighbor.apply_policy != c.new_neighbor.apply_policy ||
         IsRouteServerClient(c.old_neighbor) != IsRouteServerClient(c.new_neighbor))) {
      return true;
    }
  }
  return false;
}

}  // namespace

policy::PolicyConfig ToPolicyConfig(const Config& config) {
  policy::PolicyConfig p;
  const DefinedSets& ds = config.defined_sets;
  for (const PrefixSet& s : ds.prefix_sets) {
    policy::PrefixSetDef d;
    d.name = s.prefix_set_name;
    for (const PrefixEntry& e : s.prefix_list) {
      d.entries.push_back(policy::PrefixEntryDef{e.ip_prefix, e.masklength_min, e.masklength_max});
    }
    p.sets.prefix_sets.push_back(std::move(d));
  }
  for (const NeighborSet& s : ds.neighbor_sets) {
    p.sets.neighbor_sets.push_back(policy::NeighborSetDef{s.neighbor_set_name, s.neighbor_info_list});
  }
  for (const NamedList& l : ds.as_path_sets) p.sets.as_path_sets.push_back({l.name, l.list});
  for (const NamedList& l : ds.community_sets) p.sets.community_sets.push_back({l.name, l.list});
  for (const NamedList& l : ds.ext_community_sets) p.sets.ext_community_sets.push_back({l.name, l.list});
  for (const NamedList& l : ds.large_community_sets) p.sets.large_community_sets.push_back({l.name, l.list});
  for (const PolicyDefinition& pd : config.policy_definitions) {
    policy::PolicyDef d;
    d.name = pd.name;
    for (const Statement& st : pd.statements) d.statements.push_back(ToStatement(st));
    p.policies.push_back(std::move(d));
  }
  p.global = ToAssignment(config.global.apply_policy);
  for (const Neighbor& n : config.neighbors) {
    if (!IsRouteServerClient(n) || !n.config.neighbor_address) continue;
    p.route_server_clients.emplace_back(*n.config.neighbor_address, ToAssignment(n.apply_policy));
  }
  return p;
}

server::GlobalSpec ToGlobalSpec(const Config& config) {
  const Global& g = config.global;
  server::GlobalSpec spec;
  spec.as = g.as;
  spec.router_id = g.router_id.v4();
  spec.port = g.port;
  for (const IpAddress& a : g.local_address_list) {
    // gobgpd's default list is 0.0.0.0 and ::, which the listener's empty list means too.
    if (!a.IsUnspecified()) spec.listen_addresses.push_back(a);
  }
  spec.decision.always_compare_med = g.route_selection_options.always_compare_med;
  spec.decision.ignore_as_path_length = g.route_selection_options.ignore_as_path_length;
  spec.decision.external_compare_router_id = g.route_selection_options.external_compare_router_id;
  spec.decision.multipath = g.use_multiple_paths.enabled;
  spec.decision.multipath_relax = g.use_multiple_paths.ebgp_allow_multiple_as;
  return spec;
}

namespace {
// gethostname(2), as gobgpd's os.Hostname(); empty when it fails.
std::string LocalHostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return std::string(buf);
}
}  // namespace

absl::StatusOr<server::NeighborSpec> ToNeighborSpec(const Config& config, const Neighbor& n) {
  if (!n.config.neighbor_address.has_value()) {
    return absl::UnimplementedError(absl::StrCat(
        "neighbor-interface ", n.config.neighbor_interface, ": unnumbered BGP is not supported yet"));
  }
  server::NeighborSpec spec;
  peer::SessionOptions& s = spec.session;
  s.peer_address = *n.config.neighbor_address;
  s.peer_as = n.config.peer_as;
  s.local_as = n.config.local_as != 0 ? n.config.local_as : config.global.as;
  s.router_id = config.global.router_id.v4();
  if (n.transport.local_address && !n.transport.local_address->IsUnspecified()) {
    s.local_address = n.transport.local_address;
  }
  s.local_port = n.transport.local_port;
  s.peer_port = n.transport.remote_port != 0 ? n.transport.remote_port : 179;
  s.passive = n.transport.passive_mode;
  s.password = n.config.auth_password;

  // Timers (gobgpd's defaults are already filled in by the loader).
  s.fsm.connect_retry_time = Seconds(n.timers.connect_retry);
  s.fsm.hold_time = static_cast<uint16_t>(Seconds(n.timers.hold_time));
  s.fsm.keepalive_time = static_cast<uint16_t>(Seconds(n.timers.keepalive_interval));
  s.fsm.idle_hold_time = Seconds(n.timers.idle_hold_time_after_reset);
  // gobgpd tries to connect every 5 s (its connect loop's tick) whatever connect-retry
  // says, so a peer that refused or closed a connection is back within seconds.
  s.connect_retry_cap = 5;

  // TTL: ebgp-multihop sets the outgoing TTL; ttl-security (GTSM) sends 255 and checks
  // the minimum.
  const bool ebgp = s.peer_as != s.local_as;
  if (n.ttl_security.enabled) {
    s.ttl_security_hops = n.ttl_security.ttl_min == 0 ? 1 : static_cast<uint8_t>(256 - n.ttl_security.ttl_min);
  } else if (ebgp && n.ebgp_multihop.enabled) {
    s.multihop_ttl = n.ebgp_multihop.multihop_ttl;
  } else if (n.transport.ttl != 0) {
    s.multihop_ttl = n.transport.ttl;
  }

  // Families. gobgpd's loader defaults afi-safis by the neighbor's address family.
  s.families.clear();
  for (const AfiSafi& f : n.afi_safis) {
    wire::AfiSafi fam;
    if (!f.enabled) continue;
    if (!IsUnicastFamily(f.afi_safi_name, &fam)) {
      LogWarn("address family not supported yet; not negotiated",
              {{"peer", s.peer_address.ToString()}, {"family", f.afi_safi_name}});
      continue;
    }
    peer::FamilyOptions fo;
    fo.family = fam;
    fo.add_path_receive = f.add_paths.receive || n.add_paths.receive;
    fo.add_path_send = f.add_paths.send_max > 0 || n.add_paths.send_max > 0;
    fo.gr_forwarding_state = f.mp_graceful_restart;
    s.families.push_back(fo);
  }
  if (s.families.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "neighbor ", s.peer_address.ToString(), ": no supported address family enabled"));
  }
  s.graceful_restart = n.graceful_restart.enabled;
  if (n.graceful_restart.restart_time > 0) {
    s.gr_restart_time = static_cast<uint16_t>(Seconds(n.graceful_restart.restart_time));
  }
  s.gr_notification = n.graceful_restart.notification_enabled;

  // The capabilities gobgpd 3.10 sends by default, so a peer (and `gobgp neighbor ADDR`)
  // sees the same OPEN from kbgpd: no Enhanced Route Refresh, the FQDN capability with the
  // host name, and over an IPv4 session Extended Next Hop for IPv4 unicast (RFC 8950).
  s.enhanced_route_refresh = false;
  s.hostname = LocalHostName();
  s.extended_next_hop = false;
  if (s.peer_address.is_v4()) {
    for (const peer::FamilyOptions& fo : s.families) {
      s.extended_next_hop |= fo.family == wire::kIPv4Unicast;
    }
  }

  rib::PeerInfo& r = spec.rib;
  r.route_reflector_client = n.route_reflector.route_reflector_client;
  absl::StatusOr<uint32_t> cluster = ClusterId(n.route_reflector.route_reflector_cluster_id);
  if (!cluster.ok()) return cluster.status();
  r.cluster_id = *cluster;
  r.route_server_client = n.route_server.route_server_client;
  r.allow_own_as = n.as_path_options.allow_own_as;
  switch (n.config.remove_private_as) {
    case RemovePrivateAs::kAll: r.remove_private_as = rib::RemovePrivateAs::kAll; break;
    case RemovePrivateAs::kReplace: r.remove_private_as = rib::RemovePrivateAs::kReplace; break;
    default: r.remove_private_as = rib::RemovePrivateAs::kNone; break;
  }
  spec.admin_down = n.config.admin_down;
  spec.config_admin_down = n.config.admin_down;
  spec.description = n.config.description;
  return spec;
}

absl::Status ApplyInitial(server::BgpServer& server, const Config& config) {
  // Check the policy before starting anything.
  const policy::PolicyConfig pc = ToPolicyConfig(config);
  if (absl::StatusOr<std::shared_ptr<const policy::Policies>> c = policy::Compile(pc); !c.ok()) {
    return c.status();
  }
  absl::Status s = server.Start(ToGlobalSpec(config));
  if (!s.ok()) return s;
  s = server.SetPolicy(pc);
  if (!s.ok()) return s;
  for (const Neighbor& n : config.neighbors) {
    absl::StatusOr<server::NeighborSpec> spec = ToNeighborSpec(config, n);
    if (!spec.ok()) return spec.status();
    s = server.AddNeighbor(*std::move(spec));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ApplyReload(server::BgpServer& server, const Config& old_config,
                         const Config& new_config) {
  ConfigDiff diff = Diff(old_config, new_config);
  if (diff.global_changed) {
    return absl::FailedPreconditionError(
        "the global section changed; restart kbgpd to apply it (gobgpd cannot either)");
  }
  // Check every new neighbor first, so a bad reload changes nothing.
  std::vector<server::NeighborSpec> added, changed;
  std::vector<bool> changed_reset;
  for (const Neighbor& n : diff.added_neighbors) {
    absl::StatusOr<server::NeighborSpec> spec = ToNeighborSpec(new_config, n);
    if (!spec.ok()) return spec.status();
    added.push_back(*std::move(spec));
  }
  for (const NeighborChange& c : diff.changed_neighbors) {
    absl::StatusOr<server::NeighborSpec> spec = ToNeighborSpec(new_config, c.new_neighbor);
    if (!spec.ok()) return spec.status();
    changed.push_back(*std::move(spec));
    changed_reset.push_back(c.needs_session_reset);
  }
  // Policy: checked with the neighbors, applied before them (re-evaluating every route
  // without a session reset).
  const bool policy_changed = PolicyChanged(diff);
  const policy::PolicyConfig pc = ToPolicyConfig(new_config);
  if (policy_changed) {
    if (absl::StatusOr<std::shared_ptr<const policy::Policies>> c = policy::Compile(pc); !c.ok()) {
      return c.status();
    }
    absl::Status s = server.SetPolicy(pc);
    if (!s.ok()) return s;
  }
  for (const Neighbor& n : diff.removed_neighbors) {
    if (!n.config.neighbor_address) continue;
    absl::Status s = server.DeleteNeighbor(*n.config.neighbor_address);
    if (!s.ok()) return s;
  }
  for (server::NeighborSpec& spec : added) {
    absl::Status s = server.AddNeighbor(std::move(spec));
    if (!s.ok()) return s;
  }
  for (size_t i = 0; i < changed.size(); ++i) {
    absl::Status s = server.UpdateNeighbor(std::move(changed[i]), changed_reset[i]);
    if (!s.ok()) return s;
  }
  LogInfo("config reloaded", {{"added", diff.added_neighbors.size()},
                              {"removed", diff.removed_neighbors.size()},
                              {"changed", diff.changed_neighbors.size()},
                              {"policy_changed", policy_changed ? "true" : "false"}});
  return absl::OkStatus();
}

}  // namespace kbgp::config
