// The canonical printer. Rules that keep Load(Print(c)) == c:
//  - a neighbor in a peer group is printed in full (every key of every block), because any
//    key it leaves out would be inherited from the group again on reload;
//  - other blocks are printed when they differ from their zero value, and then in full;
//  - error-handling is always printed: its zero value (false) is not its default (true).
#include <charconv>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "yaml-cpp/yaml.h"

namespace kbgp::config {
namespace {

std::string Num(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);  // shortest exact form
  return ec == std::errc() ? std::string(buf, end) : absl::StrCat(d);
}

class Printer {
 public:
  Printer() { out_.SetIndent(2); }

  void Key(absl::string_view k) { out_ << YAML::Key << std::string(k) << YAML::Value; }
  void Str(absl::string_view k, absl::string_view v) {
    Key(k);
    out_ << YAML::DoubleQuoted << std::string(v);
  }
  void Name(absl::string_view k, absl::string_view v) {  // enum names: plain
    Key(k);
    out_ << std::string(v);
  }
  void Uint(absl::string_view k, uint64_t v) {
    Key(k);
    out_ << v;
  }
  void Int(absl::string_view k, int64_t v) {
    Key(k);
    out_ << v;
  }
  void Bool(absl::string_view k, bool v) {
    Key(k);
    out_ << v;
  }
  void Seconds(absl::string_view k, double v) {
    Key(k);
    out_ << Num(v);
  }
  void List(absl::string_view k, const std::vector<std::string>& v) {
    Key(k);
    out_ << YAML::Flow << YAML::BeginSeq;
    for (const std::string& s : v) out_ << YAML::DoubleQuoted << s;
    out_ << YAML::EndSeq;
  }
  void UintList(absl::string_view k, const std::vector<uint32_t>& v) {
    Key(k);
    out_ << YAML::Flow << YAML::BeginSeq;
    for (uint32_t x : v) out_ << x;
    out_ << YAML::EndSeq;
  }
  void BeginMap(absl::string_view k) {
    Key(k);
    out_ << YAML::BeginMap;
  }
  void BeginMap() { out_ << YAML::BeginMap; }
  void EndMap() { out_ << YAML::EndMap; }
  void BeginSeq(absl::string_view k) {
    Key(k);
    out_ << YAML::BeginSeq;
  }
  void EndSeq() { out_ << YAML::EndSeq; }
  // `X: {config: {...}}`
  void BeginConfig(absl::string_view k) {
    BeginMap(k);
    BeginMap("config");
  }
  void EndConfig() {
    EndMap();
    EndMap();
  }
  std::string Result() const { return std::string(out_.c_str()) + "\n"; }

 private:
  YAML::Emitter out_;
};

template <typename T>
bool IsZero(const T& v) {
  return v == T{};
}

void PrintApplyPolicy(Printer& p, const ApplyPolicy& ap, bool full) {
  if (!full && IsZero(ap)) return;
  p.BeginConfig("apply-policy");
  p.List("import-policy-list", ap.import_policy_list);
  p.Name("default-import-policy", ToString(ap.default_import_policy));
  p.List("export-policy-list", ap.export_policy_list);
  p.Name("default-export-policy", ToString(ap.default_export_policy));
  p.List("in-policy-list", ap.in_policy_list);
  p.Name("default-in-policy", ToString(ap.default_in_policy));
  p.EndConfig();
}

void PrintGracefulRestart(Printer& p, const GracefulRestart& gr, bool full) {
  if (!full && IsZero(gr)) return;
  p.BeginConfig("graceful-restart");
  p.Bool("enabled", gr.enabled);
  p.Uint("restart-time", gr.restart_time);
  p.Seconds("stale-routes-time", gr.stale_routes_time);
  p.Bool("helper-only", gr.helper_only);
  p.Uint("deferral-time", gr.deferral_time);
  p.Bool("notification-enabled", gr.notification_enabled);
  p.Bool("long-lived-enabled", gr.long_lived_enabled);
  p.EndConfig();
}

void PrintUseMultiplePaths(Printer& p, const UseMultiplePaths& mp, bool full) {
  if (!full && IsZero(mp)) return;
  p.BeginMap("use-multiple-paths");
  p.BeginMap("config");
  p.Bool("enabled", mp.enabled);
  p.EndMap();
  p.BeginConfig("ebgp");
  p.Bool("allow-multiple-as", mp.ebgp_allow_multiple_as);
  p.Uint("maximum-paths", mp.ebgp_maximum_paths);
  p.EndConfig();
  p.BeginConfig("ibgp");
  p.Uint("maximum-paths", mp.ibgp_maximum_paths);
  p.EndConfig();
  p.EndMap();
}

void PrintAddPaths(Printer& p, const AddPaths& ap, bool full) {
  if (!full && IsZero(ap)) return;
  p.BeginConfig("add-paths");
  p.Bool("receive", ap.receive);
  p.Uint("send-max", ap.send_max);
  p.EndConfig();
}

void PrintAfiSafis(Printer& p, const std::vector<AfiSafi>& afs) {
  p.BeginSeq("afi-safis");
  for (const AfiSafi& af : afs) {
    p.BeginMap();
    p.BeginMap("config");
    p.Name("afi-safi-name", af.afi_safi_name);
    p.Bool("enabled", af.enabled);
    p.EndMap();
    if (af.mp_graceful_restart) {
      p.BeginConfig("mp-graceful-restart");
      p.Bool("enabled", true);
      p.EndConfig();
    }
    if (!IsZero(af.prefix_limit)) {
      p.BeginConfig("prefix-limit");
      p.Uint("max-prefixes", af.prefix_limit.max_prefixes);
      p.Uint("shutdown-threshold-pct", af.prefix_limit.shutdown_threshold_pct);
      p.Seconds("restart-timer", af.prefix_limit.restart_timer);
      p.EndConfig();
    }
    if (!IsZero(af.long_lived_graceful_restart)) {
      p.BeginConfig("long-lived-graceful-restart");
      p.Bool("enabled", af.long_lived_graceful_restart.enabled);
      p.Uint("restart-time", af.long_lived_graceful_restart.restart_time);
      p.EndConfig();
    }
    // Always: a missing add-paths would be re-inherited from the neighbor's.
    PrintAddPaths(p, af.add_paths, /*full=*/true);
    p.EndMap();
  }
  p.EndSeq();
}

template <typename ConfigT>
void PrintPeer(Printer& p, const PeerSettings<ConfigT>& n, bool full) {
  p.BeginMap();
  {
    const ConfigT& c = n.config;
    p.BeginMap("config");
    if constexpr (std::is_same_v<ConfigT, NeighborConfig>) {
      if (c.neighbor_address) p.Name("neighbor-address", c.neighbor_address->ToString());
      if (full || !c.neighbor_interface.empty()) p.Str("neighbor-interface", c.neighbor_interface);
      if (full || !c.peer_group.empty()) p.Str("peer-group", c.peer_group);
    } else {
      p.Str("peer-group-name", c.peer_group_name);
    }
    if (full || c.peer_as != 0) p.Uint("peer-as", c.peer_as);
    if (full || c.local_as != 0) p.Uint("local-as", c.local_as);
    if (full || !c.auth_password.empty()) p.Str("auth-password", c.auth_password);
    if (full || c.remove_private_as != RemovePrivateAs::kNone) {
      p.Name("remove-private-as", ToString(c.remove_private_as));
    }
    if (full || c.route_flap_damping) p.Bool("route-flap-damping", c.route_flap_damping);
    if (full || c.send_community != CommunityType::kNone) {
      p.Name("send-community", ToString(c.send_community));
    }
    if (full || !c.description.empty()) p.Str("description", c.description);
    if constexpr (std::is_same_v<ConfigT, NeighborConfig>) {
      if (full || c.admin_down) p.Bool("admin-down", c.admin_down);
    }
    p.EndMap();
  }
  if (full || !IsZero(n.timers)) {
    p.BeginConfig("timers");
    p.Seconds("connect-retry", n.timers.connect_retry);
    p.Seconds("hold-time", n.timers.hold_time);
    p.Seconds("keepalive-interval", n.timers.keepalive_interval);
    p.Seconds("minimum-advertisement-interval", n.timers.minimum_advertisement_interval);
    p.Seconds("idle-hold-time-after-reset", n.timers.idle_hold_time_after_reset);
    p.EndConfig();
  }
  const Transport& t = n.transport;
  if (full || !IsZero(t)) {
    p.BeginConfig("transport");
    p.Uint("tcp-mss", t.tcp_mss);
    p.Bool("mtu-discovery", t.mtu_discovery);
    p.Bool("passive-mode", t.passive_mode);
    if (t.local_address) p.Name("local-address", t.local_address->ToString());
    p.Uint("local-port", t.local_port);
    p.Uint("remote-port", t.remote_port);
    p.Uint("ttl", t.ttl);
    p.Str("bind-interface", t.bind_interface);
    p.EndConfig();
  }
  p.BeginConfig("error-handling");
  p.Bool("treat-as-withdraw", n.treat_as_withdraw);
  p.EndConfig();
  if (full || n.log_neighbor_state_changes) {
    p.BeginConfig("logging-options");
    p.Bool("log-neighbor-state-changes", n.log_neighbor_state_changes);
    p.EndConfig();
  }
  if (full || !IsZero(n.ebgp_multihop)) {
    p.BeginConfig("ebgp-multihop");
    p.Bool("enabled", n.ebgp_multihop.enabled);
    p.Uint("multihop-ttl", n.ebgp_multihop.multihop_ttl);
    p.EndConfig();
  }
  if (full || !IsZero(n.route_reflector)) {
    p.BeginConfig("route-reflector");
    p.Bool("route-reflector-client", n.route_reflector.route_reflector_client);
    p.Str("route-reflector-cluster-id", n.route_reflector.route_reflector_cluster_id);
    p.EndConfig();
  }
  if (full || !IsZero(n.as_path_options)) {
    p.BeginConfig("as-path-options");
    p.Uint("allow-own-as", n.as_path_options.allow_own_as);
    p.Bool("replace-peer-as", n.as_path_options.replace_peer_as);
    p.EndConfig();
  }
  PrintAddPaths(p, n.add_paths, full);
  if (full || !n.afi_safis.empty()) PrintAfiSafis(p, n.afi_safis);
  PrintGracefulRestart(p, n.graceful_restart, full);
  PrintApplyPolicy(p, n.apply_policy, full);
  PrintUseMultiplePaths(p, n.use_multiple_paths, full);
  if (full || !IsZero(n.route_server)) {
    p.BeginConfig("route-server");
    p.Bool("route-server-client", n.route_server.route_server_client);
    p.Bool("secondary-route", n.route_server.secondary_route);
    p.EndConfig();
  }
  if (full || !IsZero(n.ttl_security)) {
    p.BeginConfig("ttl-security");
    p.Bool("enabled", n.ttl_security.enabled);
    p.Uint("ttl-min", n.ttl_security.ttl_min);
    p.EndConfig();
  }
  p.EndMap();
}

void PrintGlobal(Printer& p, const Global& g) {
  p.BeginMap("global");
  p.BeginMap("config");
  p.Uint("as", g.as);
  p.Name("router-id", g.router_id.ToString());
  p.Int("port", g.port);
  std::vector<std::string> addrs;
  for (const IpAddress& a : g.local_address_list) addrs.push_back(a.ToString());
  p.List("local-address-list", addrs);
  p.EndMap();
  const RouteSelectionOptions& o = g.route_selection_options;
  if (!IsZero(o)) {
    p.BeginConfig("route-selection-options");
    p.Bool("always-compare-med", o.always_compare_med);
    p.Bool("ignore-as-path-length", o.ignore_as_path_length);
    p.Bool("external-compare-router-id", o.external_compare_router_id);
    p.Bool("advertise-inactive-routes", o.advertise_inactive_routes);
    p.Bool("enable-aigp", o.enable_aigp);
    p.Bool("ignore-next-hop-igp-metric", o.ignore_next_hop_igp_metric);
    p.Bool("disable-best-path-selection", o.disable_best_path_selection);
    p.EndConfig();
  }
  if (g.external_route_distance != 0 || g.internal_route_distance != 0) {
    p.BeginConfig("default-route-distance");
    p.Uint("external-route-distance", g.external_route_distance);
    p.Uint("internal-route-distance", g.internal_route_distance);
    p.EndConfig();
  }
  if (!IsZero(g.confederation)) {
    p.BeginConfig("confederation");
    p.Bool("enabled", g.confederation.enabled);
    p.Uint("identifier", g.confederation.identifier);
    p.UintList("member-as-list", g.confederation.member_as_list);
    p.EndConfig();
  }
  PrintUseMultiplePaths(p, g.use_multiple_paths, false);
  PrintGracefulRestart(p, g.graceful_restart, false);
  // The default is every family enabled; print only a list the user narrowed.
  std::vector<AfiSafi> all;
  for (const std::string& name : KnownAfiSafiNames()) {
    all.push_back(AfiSafi{.afi_safi_name = name, .enabled = true});
  }
  if (g.afi_safis != all) PrintAfiSafis(p, g.afi_safis);
  PrintApplyPolicy(p, g.apply_policy, false);
  p.EndMap();
}

void PrintMatchSet(Printer& p, absl::string_view key, absl::string_view set_key,
                   const MatchSet& m) {
  if (m.set_name.empty()) return;
  p.BeginMap(key);
  p.Str(set_key, m.set_name);
  p.Name("match-set-options", ToString(m.match_set_options));
  p.EndMap();
}

void PrintCount(Printer& p, absl::string_view key, const CountCondition& c) {
  if (IsZero(c)) return;
  p.BeginMap(key);
  p.Name("operator", ToString(c.op));
  p.Uint("value", c.value);
  p.EndMap();
}

void PrintSetCommunities(Printer& p, absl::string_view key, absl::string_view method,
                         absl::string_view ref_key, const SetCommunities& s) {
  if (IsZero(s)) return;
  p.BeginMap(key);
  p.Name("options", ToString(s.options));
  p.BeginMap(method);
  p.List("communities-list", s.communities_list);
  if (!s.set_ref.empty()) p.Str(ref_key, s.set_ref);
  p.EndMap();
  p.EndMap();
}

void PrintStatement(Printer& p, const Statement& st) {
  p.BeginMap();
  p.Str("name", st.name);
  const Conditions& c = st.conditions;
  if (!IsZero(c)) {
    p.BeginMap("conditions");
    if (!c.call_policy.empty()) p.Str("call-policy", c.call_policy);
    PrintMatchSet(p, "match-prefix-set", "prefix-set", c.match_prefix_set);
    PrintMatchSet(p, "match-neighbor-set", "neighbor-set", c.match_neighbor_set);
    Conditions bgp_only = c;
    bgp_only.call_policy.clear();
    bgp_only.match_prefix_set = bgp_only.match_neighbor_set = MatchSet();
    if (!IsZero(bgp_only)) {
      p.BeginMap("bgp-conditions");
      PrintMatchSet(p, "match-community-set", "community-set", c.match_community_set);
      PrintMatchSet(p, "match-ext-community-set", "ext-community-set", c.match_ext_community_set);
      PrintMatchSet(p, "match-as-path-set", "as-path-set", c.match_as_path_set);
      PrintMatchSet(p, "match-large-community-set", "large-community-set",
                    c.match_large_community_set);
      if (c.med_eq != 0) p.Uint("med-eq", c.med_eq);
      if (c.origin_eq != Origin::kNone) p.Name("origin-eq", ToString(c.origin_eq));
      if (!c.next_hop_in_list.empty()) {
        std::vector<std::string> v;
        for (const Prefix& x : c.next_hop_in_list) v.push_back(x.ToString());
        p.List("next-hop-in-list", v);
      }
      if (!c.afi_safi_in_list.empty()) p.List("afi-safi-in-list", c.afi_safi_in_list);
      if (c.local_pref_eq != 0) p.Uint("local-pref-eq", c.local_pref_eq);
      PrintCount(p, "community-count", c.community_count);
      PrintCount(p, "as-path-length", c.as_path_length);
      if (c.route_type != RouteType::kNone) p.Name("route-type", ToString(c.route_type));
      if (c.rpki_validation_result != RpkiValidationResult::kNone) {
        p.Name("rpki-validation-result", ToString(c.rpki_validation_result));
      }
      p.EndMap();
    }
    p.EndMap();
  }
  const Actions& a = st.actions;
  p.BeginMap("actions");
  p.Name("route-disposition", ToString(a.route_disposition));
  Actions bgp_only = a;
  bgp_only.route_disposition = RouteDisposition::kNone;
  if (!IsZero(bgp_only)) {
    p.BeginMap("bgp-actions");
    if (a.prepend_last_as || a.prepend_as != 0 || a.prepend_repeat_n != 0) {
      p.BeginMap("set-as-path-prepend");
      if (a.prepend_last_as) {
        p.Name("as", "last-as");
      } else {
        p.Str("as", absl::StrCat(a.prepend_as));
      }
      p.Uint("repeat-n", a.prepend_repeat_n);
      p.EndMap();
    }
    PrintSetCommunities(p, "set-community", "set-community-method", "community-set-ref",
                        a.set_community);
    PrintSetCommunities(p, "set-ext-community", "set-ext-community-method",
                        "ext-community-set-ref", a.set_ext_community);
    PrintSetCommunities(p, "set-large-community", "set-large-community-method", "",
                        a.set_large_community);
    if (a.set_route_origin != Origin::kNone) {
      p.Name("set-route-origin", ToString(a.set_route_origin));
    }
    if (a.set_local_pref != 0) p.Uint("set-local-pref", a.set_local_pref);
    if (!a.set_next_hop.empty()) p.Str("set-next-hop", a.set_next_hop);
    if (!a.set_med.empty()) p.Str("set-med", a.set_med);
    p.EndMap();
  }
  p.EndMap();
  p.EndMap();
}

void PrintNamedLists(Printer& p, absl::string_view key, absl::string_view name_key,
                     absl::string_view list_key, const std::vector<NamedList>& v) {
  if (v.empty()) return;
  p.BeginSeq(key);
  for (const NamedList& nl : v) {
    p.BeginMap();
    p.Str(name_key, nl.name);
    p.List(list_key, nl.list);
    p.EndMap();
  }
  p.EndSeq();
}

void PrintDefinedSets(Printer& p, const DefinedSets& ds) {
  if (IsZero(ds)) return;
  p.BeginMap("defined-sets");
  if (!ds.prefix_sets.empty()) {
    p.BeginSeq("prefix-sets");
    for (const PrefixSet& ps : ds.prefix_sets) {
      p.BeginMap();
      p.Str("prefix-set-name", ps.prefix_set_name);
      p.BeginSeq("prefix-list");
      for (const PrefixEntry& e : ps.prefix_list) {
        p.BeginMap();
        p.Name("ip-prefix", e.ip_prefix.ToString());
        if (e.masklength_min != e.ip_prefix.length() ||
            e.masklength_max != e.ip_prefix.length()) {
          p.Str("masklength-range", absl::StrCat(e.masklength_min, "..", e.masklength_max));
        }
        p.EndMap();
      }
      p.EndSeq();
      p.EndMap();
    }
    p.EndSeq();
  }
  if (!ds.neighbor_sets.empty()) {
    p.BeginSeq("neighbor-sets");
    for (const NeighborSet& ns : ds.neighbor_sets) {
      p.BeginMap();
      p.Str("neighbor-set-name", ns.neighbor_set_name);
      std::vector<std::string> v;
      for (const Prefix& x : ns.neighbor_info_list) v.push_back(x.ToString());
      p.List("neighbor-info-list", v);
      p.EndMap();
    }
    p.EndSeq();
  }
  DefinedSets bgp_only = ds;
  bgp_only.prefix_sets.clear();
  bgp_only.neighbor_sets.clear();
  if (!IsZero(bgp_only)) {
    p.BeginMap("bgp-defined-sets");
    PrintNamedLists(p, "community-sets", "community-set-name", "community-list",
                    ds.community_sets);
    PrintNamedLists(p, "ext-community-sets", "ext-community-set-name", "ext-community-list",
                    ds.ext_community_sets);
    PrintNamedLists(p, "as-path-sets", "as-path-set-name", "as-path-list", ds.as_path_sets);
    PrintNamedLists(p, "large-community-sets", "large-community-set-name",
                    "large-community-list", ds.large_community_sets);
    p.EndMap();
  }
  p.EndMap();
}

}  // namespace

std::string Print(const Config& config) {
  Printer p;
  p.BeginMap();
  PrintGlobal(p, config.global);
  if (!config.peer_groups.empty()) {
    p.BeginSeq("peer-groups");
    for (const PeerGroup& g : config.peer_groups) PrintPeer(p, g, /*full=*/false);
    p.EndSeq();
  }
  if (!config.neighbors.empty()) {
    p.BeginSeq("neighbors");
    for (const Neighbor& n : config.neighbors) {
      PrintPeer(p, n, /*full=*/!n.config.peer_group.empty());
    }
    p.EndSeq();
  }
  if (!config.dynamic_neighbors.empty()) {
    p.BeginSeq("dynamic-neighbors");
    for (const DynamicNeighbor& d : config.dynamic_neighbors) {
      p.BeginMap();
      p.BeginMap("config");
      p.Name("prefix", d.prefix.ToString());
      p.Str("peer-group", d.peer_group);
      p.EndMap();
      p.EndMap();
    }
    p.EndSeq();
  }
  PrintDefinedSets(p, config.defined_sets);
  if (!config.policy_definitions.empty()) {
    p.BeginSeq("policy-definitions");
    for (const PolicyDefinition& pd : config.policy_definitions) {
      p.BeginMap();
      p.Str("name", pd.name);
      p.BeginSeq("statements");
      for (const Statement& st : pd.statements) PrintStatement(p, st);
      p.EndSeq();
      p.EndMap();
    }
    p.EndSeq();
  }
  p.EndMap();
  return p.Result();
}

}  // namespace kbgp::config
