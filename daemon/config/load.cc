// The loader: YAML text -> Config, with gobgpd's defaults (internal/pkg/config/default.go)
// and kbgp's own checks, which are stricter than `gobgpd -d` (see the comments marked
// "gobgpd:" for where and why we differ).
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/config/config.h"
#include "daemon/config/names.h"
#include "daemon/config/yaml_reader.h"
#include "yaml-cpp/yaml.h"

namespace kbgp::config {
namespace {

using internal::Context;
using internal::MapReader;

constexpr uint64_t kMaxU32 = 0xffffffffu;
constexpr absl::string_view kAsNumber = "an AS number";
constexpr double kMaxTimer = 65535;  // the OPEN's Hold Time is 16 bits (RFC 4271 §4.2)

template <typename E>
void ReadEnum(MapReader& m, absl::string_view key, const std::vector<absl::string_view>& names,
              E* out) {
  int i = 0;
  if (m.Enum(key, names, &i)) *out = static_cast<E>(i);
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// ---------------------------------------------------------------- shared blocks

void ParseApplyPolicy(MapReader& parent, ApplyPolicy* ap) {
  MapReader block = parent.Sub("apply-policy");
  MapReader c = block.Sub("config");
  c.StringList("import-policy-list", &ap->import_policy_list);
  ReadEnum(c, "default-import-policy", internal::kDefaultPolicyNames, &ap->default_import_policy);
  c.StringList("export-policy-list", &ap->export_policy_list);
  ReadEnum(c, "default-export-policy", internal::kDefaultPolicyNames, &ap->default_export_policy);
  c.StringList("in-policy-list", &ap->in_policy_list);
  ReadEnum(c, "default-in-policy", internal::kDefaultPolicyNames, &ap->default_in_policy);
}

void ParseGracefulRestart(MapReader& parent, GracefulRestart* gr) {
  MapReader block = parent.Sub("graceful-restart");
  MapReader c = block.Sub("config");
  c.Bool("enabled", &gr->enabled);
  // RFC 4724 §3: the Restart Time field is 12 bits. gobgpd takes any uint16 and truncates.
  c.Uint("restart-time", 4095, "a restart time from 0 to 4095 seconds (RFC 4724 §3)",
         &gr->restart_time);
  c.Seconds("stale-routes-time", kMaxTimer, &gr->stale_routes_time);
  c.Bool("helper-only", &gr->helper_only);
  c.Uint("deferral-time", 65535, "a number of seconds from 0 to 65535", &gr->deferral_time);
  c.Bool("notification-enabled", &gr->notification_enabled);
  c.Bool("long-lived-enabled", &gr->long_lived_enabled);
}

void ParseUseMultiplePaths(MapReader& parent, UseMultiplePaths* mp) {
  MapReader block = parent.Sub("use-multiple-paths");
  {
    MapReader c = block.Sub("config");
    c.Bool("enabled", &mp->enabled);
  }
  {
    MapReader ebgp = block.Sub("ebgp");
    MapReader c = ebgp.Sub("config");
    c.Bool("allow-multiple-as", &mp->ebgp_allow_multiple_as);
    c.Uint("maximum-paths", kMaxU32, "a number of paths", &mp->ebgp_maximum_paths);
  }
  MapReader ibgp = block.Sub("ibgp");
  MapReader c = ibgp.Sub("config");
  c.Uint("maximum-paths", kMaxU32, "a number of paths", &mp->ibgp_maximum_paths);
}

void ParseAddPaths(MapReader& parent, AddPaths* ap) {
  MapReader block = parent.Sub("add-paths");
  MapReader c = block.Sub("config");
  c.Bool("receive", &ap->receive);
  c.Uint("send-max", 255, "a number of paths from 0 to 255", &ap->send_max);
}

void ParseAfiSafis(MapReader& parent, std::vector<AfiSafi>* out) {
  Context* ctx = parent.ctx();
  const std::vector<std::string>& known = KnownAfiSafiNames();
  for (const auto& [node, path] : parent.List("afi-safis")) {
    if (!ctx->ok()) return;
    MapReader a(ctx, node, path);
    AfiSafi af;
    {
      MapReader c = a.Sub("config");
      if (c.String("afi-safi-name", &af.afi_safi_name) &&
          std::find(known.begin(), known.end(), af.afi_safi_name) == known.end()) {
        ctx->Fail(c.PathOf("afi-safi-name"),
                  absl::StrCat(Quote(af.afi_safi_name), " is not an afi-safi name gobgpd knows "
                                                        "(ipv4-unicast, ipv6-unicast, ...)"));
      }
      c.Bool("enabled", &af.enabled);
    }
    {
      MapReader g = a.Sub("mp-graceful-restart");
      MapReader c = g.Sub("config");
      c.Bool("enabled", &af.mp_graceful_restart);
    }
    {
      MapReader pl = a.Sub("prefix-limit");
      MapReader c = pl.Sub("config");
      c.Uint("max-prefixes", kMaxU32, "a number of prefixes", &af.prefix_limit.max_prefixes);
      c.Uint("shutdown-threshold-pct", 100, "a percentage from 0 to 100",
             &af.prefix_limit.shutdown_threshold_pct);
      c.Seconds("restart-timer", kMaxTimer, &af.prefix_limit.restart_timer);
    }
    {
      MapReader ll = a.Sub("long-lived-graceful-restart");
      MapReader c = ll.Sub("config");
      c.Bool("enabled", &af.long_lived_graceful_restart.enabled);
      // RFC 9494 §3: the Long-Lived Stale Time is 24 bits.
      c.Uint("restart-time", 0xffffff, "a stale time from 0 to 16777215 seconds (RFC 9494)",
             &af.long_lived_graceful_restart.restart_time);
    }
    ParseAddPaths(a, &af.add_paths);
    for (absl::string_view k :
         {"apply-policy", "ipv4-unicast", "ipv6-unicast", "ipv4-labelled-unicast",
          "ipv6-labelled-unicast", "l3vpn-ipv4-unicast", "l3vpn-ipv6-unicast",
          "l3vpn-ipv4-multicast", "l3vpn-ipv6-multicast", "l2vpn-vpls", "l2vpn-evpn",
          "route-selection-options", "use-multiple-paths", "route-target-membership"}) {
      a.Unsupported(k);
    }
    if (!ctx->ok()) return;
    if (af.afi_safi_name.empty()) {
      ctx->Fail(absl::StrCat(path, ".config.afi-safi-name"), "is required");
      return;
    }
    for (const AfiSafi& other : *out) {
      if (other.afi_safi_name == af.afi_safi_name) {
        ctx->Fail(absl::StrCat(path, ".config.afi-safi-name"),
                  absl::StrCat(Quote(af.afi_safi_name), " is listed twice"));
        return;
      }
    }
    out->push_back(std::move(af));
  }
}

// ---------------------------------------------------------------- neighbors, peer groups

void ParsePeerConfigCommon(MapReader& c, PeerConfigCommon* pc) {
  c.Uint("peer-as", kMaxU32, kAsNumber, &pc->peer_as);
  c.Uint("local-as", kMaxU32, kAsNumber, &pc->local_as);
  PeerType ignored;  // gobgpd accepts it and then overwrites it from the AS numbers
  ReadEnum(c, "peer-type", internal::kPeerTypeNames, &ignored);
  // Linux TCP_MD5SIG_MAXKEYLEN is 80 bytes.
  if (c.String("auth-password", &pc->auth_password) && pc->auth_password.size() > 80) {
    c.ctx()->Fail(c.PathOf("auth-password"), "is longer than the 80 bytes TCP MD5 allows");
  }
  ReadEnum(c, "remove-private-as", internal::kRemovePrivateAsNames, &pc->remove_private_as);
  c.Bool("route-flap-damping", &pc->route_flap_damping);
  ReadEnum(c, "send-community", internal::kCommunityTypeNames, &pc->send_community);
  c.String("description", &pc->description);
}

template <typename ConfigT>
void ParsePeer(Context* ctx, const YAML::Node& node, const std::string& path,
               PeerSettings<ConfigT>* p) {
  MapReader m(ctx, node, path);
  {
    MapReader c = m.Sub("config");
    ParsePeerConfigCommon(c, &p->config);
    if constexpr (std::is_same_v<ConfigT, NeighborConfig>) {
      c.String("peer-group", &p->config.peer_group);
      c.Ip("neighbor-address", &p->config.neighbor_address);
      c.Bool("admin-down", &p->config.admin_down);
      c.String("neighbor-interface", &p->config.neighbor_interface);
    } else {
      c.String("peer-group-name", &p->config.peer_group_name);
    }
  }
  {
    MapReader t = m.Sub("timers");
    MapReader c = t.Sub("config");
    Timers& tm = p->timers;
    c.Seconds("connect-retry", kMaxTimer, &tm.connect_retry);
    if (c.Seconds("hold-time", kMaxTimer, &tm.hold_time) && tm.hold_time > 0 &&
        tm.hold_time < 3) {
      // gobgpd: accepted, then sent in an OPEN that every peer must reject.
      ctx->Fail(c.PathOf("hold-time"), "RFC 4271 §4.2: the hold time must be 0 or at least 3");
    }
    c.Seconds("keepalive-interval", kMaxTimer, &tm.keepalive_interval);
    c.Seconds("minimum-advertisement-interval", kMaxTimer, &tm.minimum_advertisement_interval);
    c.Seconds("idle-hold-time-after-reset", kMaxTimer, &tm.idle_hold_time_after_reset);
  }
  {
    MapReader t = m.Sub("transport");
    MapReader c = t.Sub("config");
    Transport& tr = p->transport;
    c.Uint("tcp-mss", 65535, "a TCP MSS from 0 to 65535", &tr.tcp_mss);
    c.Bool("mtu-discovery", &tr.mtu_discovery);
    c.Bool("passive-mode", &tr.passive_mode);
    c.Ip("local-address", &tr.local_address);
    c.Uint("local-port", 65535, "a port number", &tr.local_port);
    c.Uint("remote-port", 65535, "a port number", &tr.remote_port);
    c.Uint("ttl", 255, "a TTL from 0 to 255", &tr.ttl);
    c.String("bind-interface", &tr.bind_interface);
  }
  {
    MapReader e = m.Sub("error-handling");
    MapReader c = e.Sub("config");
    c.Bool("treat-as-withdraw", &p->treat_as_withdraw);
  }
  {
    MapReader l = m.Sub("logging-options");
    MapReader c = l.Sub("config");
    c.Bool("log-neighbor-state-changes", &p->log_neighbor_state_changes);
  }
  {
    MapReader e = m.Sub("ebgp-multihop");
    MapReader c = e.Sub("config");
    c.Bool("enabled", &p->ebgp_multihop.enabled);
    c.Uint("multihop-ttl", 255, "a TTL from 1 to 255", &p->ebgp_multihop.multihop_ttl);
  }
  {
    MapReader r = m.Sub("route-reflector");
    MapReader c = r.Sub("config");
    c.Bool("route-reflector-client", &p->route_reflector.route_reflector_client);
    c.String("route-reflector-cluster-id", &p->route_reflector.route_reflector_cluster_id);
  }
  {
    MapReader a = m.Sub("as-path-options");
    MapReader c = a.Sub("config");
    c.Uint("allow-own-as", 255, "a count from 0 to 255", &p->as_path_options.allow_own_as);
    c.Bool("replace-peer-as", &p->as_path_options.replace_peer_as);
  }
  ParseAddPaths(m, &p->add_paths);
  ParseAfiSafis(m, &p->afi_safis);
  ParseGracefulRestart(m, &p->graceful_restart);
  ParseApplyPolicy(m, &p->apply_policy);
  ParseUseMultiplePaths(m, &p->use_multiple_paths);
  {
    MapReader r = m.Sub("route-server");
    MapReader c = r.Sub("config");
    c.Bool("route-server-client", &p->route_server.route_server_client);
    c.Bool("secondary-route", &p->route_server.secondary_route);
  }
  {
    MapReader t = m.Sub("ttl-security");
    MapReader c = t.Sub("config");
    c.Bool("enabled", &p->ttl_security.enabled);
    c.Uint("ttl-min", 255, "a TTL from 1 to 255", &p->ttl_security.ttl_min);
  }
}

// ---------------------------------------------------------------- global

void ParseGlobal(MapReader& root, Global* g) {
  Context* ctx = root.ctx();
  MapReader m = root.Sub("global");
  {
    MapReader c = m.Sub("config");
    c.Uint("as", kMaxU32, kAsNumber, &g->as);
    std::optional<IpAddress> rid;
    if (c.Ip("router-id", &rid)) {
      if (!rid->is_v4()) {
        ctx->Fail(c.PathOf("router-id"),
                  absl::StrCat(Quote(rid->ToString()), " is not an IPv4 address"));
      }
      g->router_id = *rid;
    }
    int64_t port = 0;
    // gobgpd: 0 means 179, -1 disables listening.
    if (c.Int("port", -1, 65535, "a port number from -1 to 65535", &port)) {
      g->port = port == 0 ? 179 : static_cast<int32_t>(port);
    }
    std::vector<std::string> addrs;
    if (c.StringList("local-address-list", &addrs)) {
      for (size_t i = 0; i < addrs.size(); ++i) {
        absl::StatusOr<IpAddress> a = IpAddress::Parse(addrs[i]);
        if (!a.ok()) {
          ctx->Fail(absl::StrCat(c.PathOf("local-address-list"), "[", i, "]"),
                    absl::StrCat(Quote(addrs[i]), " is not an IP address"));
          return;
        }
        g->local_address_list.push_back(*a);
      }
    }
  }
  {
    MapReader r = m.Sub("route-selection-options");
    MapReader c = r.Sub("config");
    RouteSelectionOptions& o = g->route_selection_options;
    c.Bool("always-compare-med", &o.always_compare_med);
    c.Bool("ignore-as-path-length", &o.ignore_as_path_length);
    c.Bool("external-compare-router-id", &o.external_compare_router_id);
    c.Bool("advertise-inactive-routes", &o.advertise_inactive_routes);
    c.Bool("enable-aigp", &o.enable_aigp);
    c.Bool("ignore-next-hop-igp-metric", &o.ignore_next_hop_igp_metric);
    c.Bool("disable-best-path-selection", &o.disable_best_path_selection);
  }
  {
    MapReader d = m.Sub("default-route-distance");
    MapReader c = d.Sub("config");
    c.Uint("external-route-distance", 255, "a distance from 0 to 255",
           &g->external_route_distance);
    c.Uint("internal-route-distance", 255, "a distance from 0 to 255",
           &g->internal_route_distance);
  }
  {
    MapReader cf = m.Sub("confederation");
    MapReader c = cf.Sub("config");
    c.Bool("enabled", &g->confederation.enabled);
    c.Uint("identifier", kMaxU32, kAsNumber, &g->confederation.identifier);
    std::vector<std::string> members;
    if (c.StringList("member-as-list", &members)) {
      for (size_t i = 0; i < members.size(); ++i) {
        uint32_t as = 0;
        if (!absl::SimpleAtoi(members[i], &as) || as == 0) {
          ctx->Fail(absl::StrCat(c.PathOf("member-as-list"), "[", i, "]"),
                    absl::StrCat(Quote(members[i]), " is not an AS number"));
          return;
        }
        g->confederation.member_as_list.push_back(as);
      }
    }
  }
  ParseUseMultiplePaths(m, &g->use_multiple_paths);
  ParseGracefulRestart(m, &g->graceful_restart);
  ParseAfiSafis(m, &g->afi_safis);
  ParseApplyPolicy(m, &g->apply_policy);
}

// ---------------------------------------------------------------- defined sets

bool ValidCommunityText(absl::string_view s, int parts) {
  // Numeric "A:B" (RFC 1997) or "A:B:C" (RFC 8092) values are range-checked; anything else
  // (well-known names, regular expressions) is left to the policy engine, as in gobgpd.
  std::vector<absl::string_view> p = absl::StrSplit(s, ':');
  if (static_cast<int>(p.size()) != parts) return true;
  for (absl::string_view x : p) {
    if (x.empty() || !std::all_of(x.begin(), x.end(), absl::ascii_isdigit)) return true;
  }
  for (size_t i = 0; i < p.size(); ++i) {
    uint64_t v = 0;
    uint64_t max = parts == 2 ? 0xffff : kMaxU32;
    if (!absl::SimpleAtoi(p[i], &v) || v > max) return false;
  }
  return true;
}

void ParseNamedLists(MapReader& parent, absl::string_view key, absl::string_view name_key,
                     absl::string_view list_key, int community_parts,
                     std::vector<NamedList>* out) {
  Context* ctx = parent.ctx();
  for (const auto& [node, path] : parent.List(key)) {
    MapReader m(ctx, node, path);
    NamedList nl;
    m.String(name_key, &nl.name);
    m.StringList(list_key, &nl.list);
    if (!ctx->ok()) return;
    if (nl.name.empty()) {
      ctx->Fail(m.PathOf(name_key), "is required");
      return;
    }
    for (size_t i = 0; i < nl.list.size(); ++i) {
      if (community_parts > 0 && !ValidCommunityText(nl.list[i], community_parts)) {
        ctx->Fail(absl::StrCat(m.PathOf(list_key), "[", i, "]"),
                  absl::StrCat(Quote(nl.list[i]), " has a value out of range"));
        return;
      }
    }
    out->push_back(std::move(nl));
  }
}

void ParseDefinedSets(MapReader& root, DefinedSets* ds) {
  Context* ctx = root.ctx();
  MapReader m = root.Sub("defined-sets");
  for (const auto& [node, path] : m.List("prefix-sets")) {
    MapReader s(ctx, node, path);
    PrefixSet ps;
    s.String("prefix-set-name", &ps.prefix_set_name);
    for (const auto& [pnode, ppath] : s.List("prefix-list")) {
      MapReader e(ctx, pnode, ppath);
      PrefixEntry pe;
      std::string text;
      if (e.String("ip-prefix", &text) &&
          !internal::ParsePrefixText(text, /*allow_address=*/false, &pe.ip_prefix)) {
        ctx->Fail(e.PathOf("ip-prefix"), absl::StrCat(Quote(text), " is not a prefix (A/LEN)"));
      }
      if (ctx->ok() && text.empty()) ctx->Fail(e.PathOf("ip-prefix"), "is required");
      pe.masklength_min = pe.masklength_max = pe.ip_prefix.length();
      std::string range;
      if (e.String("masklength-range", &range) && !range.empty()) {
        std::vector<absl::string_view> mm = absl::StrSplit(range, "..");
        int lo = 0;
        int hi = 0;
        int bits = pe.ip_prefix.addr().bit_length();
        if (mm.size() != 2 || mm[0].empty() || mm[1].empty() ||
            !std::all_of(mm[0].begin(), mm[0].end(), absl::ascii_isdigit) ||
            !std::all_of(mm[1].begin(), mm[1].end(), absl::ascii_isdigit) ||
            !absl::SimpleAtoi(mm[0], &lo) || !absl::SimpleAtoi(mm[1], &hi) || lo > hi ||
            hi > bits) {
          ctx->Fail(e.PathOf("masklength-range"),
                    absl::StrCat(Quote(range), " is not a range MIN..MAX with MIN <= MAX <= ",
                                 bits));
        } else {
          pe.masklength_min = static_cast<uint8_t>(lo);
          pe.masklength_max = static_cast<uint8_t>(hi);
        }
      }
      if (!ctx->ok()) return;
      ps.prefix_list.push_back(pe);
    }
    if (!ctx->ok()) return;
    if (ps.prefix_set_name.empty()) {
      ctx->Fail(s.PathOf("prefix-set-name"), "is required");
      return;
    }
    ds->prefix_sets.push_back(std::move(ps));
  }
  for (const auto& [node, path] : m.List("neighbor-sets")) {
    MapReader s(ctx, node, path);
    NeighborSet ns;
    s.String("neighbor-set-name", &ns.neighbor_set_name);
    std::vector<std::string> infos;
    s.StringList("neighbor-info-list", &infos);
    for (size_t i = 0; i < infos.size() && ctx->ok(); ++i) {
      Prefix p;
      if (!internal::ParsePrefixText(infos[i], /*allow_address=*/true, &p)) {
        ctx->Fail(absl::StrCat(s.PathOf("neighbor-info-list"), "[", i, "]"),
                  absl::StrCat(Quote(infos[i]), " is not an IP address or prefix"));
      }
      ns.neighbor_info_list.push_back(p);
    }
    if (!ctx->ok()) return;
    if (ns.neighbor_set_name.empty()) {
      ctx->Fail(s.PathOf("neighbor-set-name"), "is required");
      return;
    }
    ds->neighbor_sets.push_back(std::move(ns));
  }
  m.Unsupported("tag-sets");
  MapReader b = m.Sub("bgp-defined-sets");
  ParseNamedLists(b, "community-sets", "community-set-name", "community-list", 2,
                  &ds->community_sets);
  ParseNamedLists(b, "ext-community-sets", "ext-community-set-name", "ext-community-list", 0,
                  &ds->ext_community_sets);
  ParseNamedLists(b, "as-path-sets", "as-path-set-name", "as-path-list", 0, &ds->as_path_sets);
  ParseNamedLists(b, "large-community-sets", "large-community-set-name", "large-community-list",
                  3, &ds->large_community_sets);
}

// ---------------------------------------------------------------- policy

void ParseMatchSet(MapReader& parent, absl::string_view key, absl::string_view set_key,
                   bool restricted, MatchSet* ms) {
  MapReader m = parent.Sub(key);
  m.String(set_key, &ms->set_name);
  if (restricted) {
    // prefix and neighbor sets: gobgpd's MatchSetOptionsRestrictedType has no "all".
    static const std::vector<absl::string_view> kRestricted = {"any", "invert"};
    int i = 0;
    if (m.Enum("match-set-options", kRestricted, &i)) {
      ms->match_set_options = i == 0 ? MatchSetOptions::kAny : MatchSetOptions::kInvert;
    }
  } else {
    ReadEnum(m, "match-set-options", internal::kMatchSetOptionsNames, &ms->match_set_options);
  }
}

void ParseCount(MapReader& parent, absl::string_view key, CountCondition* cc) {
  MapReader m = parent.Sub(key);
  static const std::vector<absl::string_view> kOps = {"",   "eq",           "ge",
                                                      "le", "attribute-eq", "attribute-ge",
                                                      "attribute-le"};
  int i = 0;
  if (m.Enum("operator", kOps, &i)) cc->op = static_cast<Comparison>(i > 3 ? i - 3 : i);
  m.Uint("value", kMaxU32, "a number", &cc->value);
}

void ParseSetCommunities(MapReader& parent, absl::string_view key, absl::string_view method_key,
                         absl::string_view ref_key, SetCommunities* sc) {
  MapReader m = parent.Sub(key);
  ReadEnum(m, "options", internal::kSetCommunityOptionNames, &sc->options);
  MapReader method = m.Sub(method_key);
  method.StringList("communities-list", &sc->communities_list);
  if (!ref_key.empty()) method.String(ref_key, &sc->set_ref);
}

void ParseStatement(Context* ctx, const YAML::Node& node, const std::string& path,
                    Statement* st) {
  MapReader m(ctx, node, path);
  m.String("name", &st->name);
  {
    MapReader c = m.Sub("conditions");
    Conditions& co = st->conditions;
    c.String("call-policy", &co.call_policy);
    ParseMatchSet(c, "match-prefix-set", "prefix-set", true, &co.match_prefix_set);
    ParseMatchSet(c, "match-neighbor-set", "neighbor-set", true, &co.match_neighbor_set);
    c.Unsupported("match-tag-set");
    c.Unsupported("install-protocol-eq");
    MapReader igp = c.Sub("igp-conditions");  // empty in gobgpd's schema
    MapReader b = c.Sub("bgp-conditions");
    ParseMatchSet(b, "match-community-set", "community-set", false, &co.match_community_set);
    ParseMatchSet(b, "match-ext-community-set", "ext-community-set", false,
                  &co.match_ext_community_set);
    ParseMatchSet(b, "match-as-path-set", "as-path-set", false, &co.match_as_path_set);
    ParseMatchSet(b, "match-large-community-set", "large-community-set", false,
                  &co.match_large_community_set);
    b.Uint("med-eq", kMaxU32, "a MED value", &co.med_eq);
    ReadEnum(b, "origin-eq", internal::kOriginNames, &co.origin_eq);
    std::vector<std::string> nhs;
    if (b.StringList("next-hop-in-list", &nhs)) {
      for (size_t i = 0; i < nhs.size() && ctx->ok(); ++i) {
        Prefix p;
        if (!internal::ParsePrefixText(nhs[i], /*allow_address=*/true, &p)) {
          ctx->Fail(absl::StrCat(b.PathOf("next-hop-in-list"), "[", i, "]"),
                    absl::StrCat(Quote(nhs[i]), " is not an IP address or prefix"));
        }
        co.next_hop_in_list.push_back(p);
      }
    }
    if (b.StringList("afi-safi-in-list", &co.afi_safi_in_list)) {
      const std::vector<std::string>& known = KnownAfiSafiNames();
      for (size_t i = 0; i < co.afi_safi_in_list.size(); ++i) {
        if (std::find(known.begin(), known.end(), co.afi_safi_in_list[i]) == known.end()) {
          ctx->Fail(absl::StrCat(b.PathOf("afi-safi-in-list"), "[", i, "]"),
                    absl::StrCat(Quote(co.afi_safi_in_list[i]), " is not an afi-safi name"));
          break;
        }
      }
    }
    b.Uint("local-pref-eq", kMaxU32, "a LOCAL_PREF value", &co.local_pref_eq);
    ParseCount(b, "community-count", &co.community_count);
    ParseCount(b, "as-path-length", &co.as_path_length);
    ReadEnum(b, "route-type", internal::kRouteTypeNames, &co.route_type);
    ReadEnum(b, "rpki-validation-result", internal::kRpkiNames, &co.rpki_validation_result);
  }
  MapReader a = m.Sub("actions");
  Actions& ac = st->actions;
  ReadEnum(a, "route-disposition", internal::kRouteDispositionNames, &ac.route_disposition);
  a.Unsupported("igp-actions");
  MapReader b = a.Sub("bgp-actions");
  {
    MapReader p = b.Sub("set-as-path-prepend");
    std::string as;
    if (p.String("as", &as) && !as.empty()) {
      if (as == "last-as") {
        ac.prepend_last_as = true;
      } else if (!absl::SimpleAtoi(as, &ac.prepend_as) || as[0] == '+' || as[0] == '-') {
        ctx->Fail(p.PathOf("as"), absl::StrCat(Quote(as), " is not an AS number or \"last-as\""));
      }
    }
    p.Uint("repeat-n", 255, "a count from 0 to 255", &ac.prepend_repeat_n);
  }
  ParseSetCommunities(b, "set-community", "set-community-method", "community-set-ref",
                      &ac.set_community);
  ParseSetCommunities(b, "set-ext-community", "set-ext-community-method",
                      "ext-community-set-ref", &ac.set_ext_community);
  ParseSetCommunities(b, "set-large-community", "set-large-community-method", "",
                      &ac.set_large_community);
  ReadEnum(b, "set-route-origin", internal::kOriginNames, &ac.set_route_origin);
  b.Uint("set-local-pref", kMaxU32, "a LOCAL_PREF value", &ac.set_local_pref);
  if (b.String("set-next-hop", &ac.set_next_hop) && !ac.set_next_hop.empty()) {
    std::string lower = absl::AsciiStrToLower(ac.set_next_hop);
    if (lower == "self" || lower == "unchanged") {
      ac.set_next_hop = lower;
    } else if (absl::StatusOr<IpAddress> a2 = IpAddress::Parse(ac.set_next_hop); a2.ok()) {
      ac.set_next_hop = a2->ToString();
    } else {
      ctx->Fail(b.PathOf("set-next-hop"),
                absl::StrCat(Quote(ac.set_next_hop),
                             " is not an IP address, \"self\" or \"unchanged\""));
    }
  }
  if (b.String("set-med", &ac.set_med) && !ac.set_med.empty()) {
    // gobgpd's regexp: ^(\+|\-)?(\d+)$
    absl::string_view digits = ac.set_med;
    if (digits[0] == '+' || digits[0] == '-') digits.remove_prefix(1);
    uint32_t v = 0;
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(digits, &v)) {
      ctx->Fail(b.PathOf("set-med"),
                absl::StrCat(Quote(ac.set_med), " is not a MED (\"N\", \"+N\" or \"-N\")"));
    }
  }
}

void ParsePolicies(MapReader& root, std::vector<PolicyDefinition>* out) {
  Context* ctx = root.ctx();
  for (const auto& [node, path] : root.List("policy-definitions")) {
    MapReader m(ctx, node, path);
    PolicyDefinition pd;
    m.String("name", &pd.name);
    for (const auto& [snode, spath] : m.List("statements")) {
      Statement st;
      ParseStatement(ctx, snode, spath, &st);
      pd.statements.push_back(std::move(st));
    }
    if (!ctx->ok()) return;
    if (pd.name.empty()) {
      ctx->Fail(m.PathOf("name"), "is required");
      return;
    }
    // gobgpd (table.NewPolicy) names unnamed statements "<policy>_stmt<index>".
    for (size_t i = 0; i < pd.statements.size(); ++i) {
      if (pd.statements[i].name.empty()) {
        pd.statements[i].name = absl::StrCat(pd.name, "_stmt", i);
      }
    }
    out->push_back(std::move(pd));
  }
}

// ---------------------------------------------------------------- defaults

bool IsConfederation(const Neighbor& n, const Global& g) {
  if (n.config.peer_as == g.as) return true;
  const std::vector<uint32_t>& m = g.confederation.member_as_list;
  return std::find(m.begin(), m.end(), n.config.peer_as) != m.end();
}

// gobgpd's OverwriteNeighborConfigWithPeerGroup: every setting the neighbor does not write
// comes from its group.
void InheritFromGroup(const Context& ctx, const std::string& np, const PeerGroup& pg,
                      Neighbor* n) {
  auto unset = [&](absl::string_view rel) { return !ctx.IsSet(absl::StrCat(np, ".", rel)); };
#define KBGP_INHERIT(rel, field) \
  if (unset(rel)) n->field = pg.field
  // gobgpd forces these two from the group even when the neighbor writes them
  // (forcedOverwrittenConfig). A group that does not set them would zero the neighbor's
  // values in gobgpd; kbgp keeps the neighbor's then.
  if (pg.config.peer_as != 0) n->config.peer_as = pg.config.peer_as;
  if (pg.timers.minimum_advertisement_interval != 0) {
    n->timers.minimum_advertisement_interval = pg.timers.minimum_advertisement_interval;
  }
  KBGP_INHERIT("config.local-as", config.local_as);
  KBGP_INHERIT("config.auth-password", config.auth_password);
  KBGP_INHERIT("config.remove-private-as", config.remove_private_as);
  KBGP_INHERIT("config.route-flap-damping", config.route_flap_damping);
  KBGP_INHERIT("config.send-community", config.send_community);
  KBGP_INHERIT("config.description", config.description);
  KBGP_INHERIT("timers.config.connect-retry", timers.connect_retry);
  KBGP_INHERIT("timers.config.hold-time", timers.hold_time);
  KBGP_INHERIT("timers.config.keepalive-interval", timers.keepalive_interval);
  KBGP_INHERIT("timers.config.idle-hold-time-after-reset", timers.idle_hold_time_after_reset);
  KBGP_INHERIT("transport.config.tcp-mss", transport.tcp_mss);
  KBGP_INHERIT("transport.config.mtu-discovery", transport.mtu_discovery);
  KBGP_INHERIT("transport.config.passive-mode", transport.passive_mode);
  KBGP_INHERIT("transport.config.local-address", transport.local_address);
  KBGP_INHERIT("transport.config.local-port", transport.local_port);
  KBGP_INHERIT("transport.config.remote-port", transport.remote_port);
  KBGP_INHERIT("transport.config.ttl", transport.ttl);
  KBGP_INHERIT("transport.config.bind-interface", transport.bind_interface);
  KBGP_INHERIT("error-handling.config.treat-as-withdraw", treat_as_withdraw);
  KBGP_INHERIT("logging-options.config.log-neighbor-state-changes", log_neighbor_state_changes);
  KBGP_INHERIT("ebgp-multihop.config.enabled", ebgp_multihop.enabled);
  KBGP_INHERIT("ebgp-multihop.config.multihop-ttl", ebgp_multihop.multihop_ttl);
  KBGP_INHERIT("route-reflector.config.route-reflector-client",
               route_reflector.route_reflector_client);
  KBGP_INHERIT("route-reflector.config.route-reflector-cluster-id",
               route_reflector.route_reflector_cluster_id);
  KBGP_INHERIT("as-path-options.config.allow-own-as", as_path_options.allow_own_as);
  KBGP_INHERIT("as-path-options.config.replace-peer-as", as_path_options.replace_peer_as);
  KBGP_INHERIT("add-paths.config.receive", add_paths.receive);
  KBGP_INHERIT("add-paths.config.send-max", add_paths.send_max);
  // gobgpd looks these up under "gradeful-restart" (sic), so a member's own graceful-restart
  // settings are always replaced by the group's. kbgp lets the member's own settings win.
  KBGP_INHERIT("graceful-restart.config.enabled", graceful_restart.enabled);
  KBGP_INHERIT("graceful-restart.config.restart-time", graceful_restart.restart_time);
  KBGP_INHERIT("graceful-restart.config.stale-routes-time", graceful_restart.stale_routes_time);
  KBGP_INHERIT("graceful-restart.config.helper-only", graceful_restart.helper_only);
  KBGP_INHERIT("graceful-restart.config.deferral-time", graceful_restart.deferral_time);
  KBGP_INHERIT("graceful-restart.config.notification-enabled",
               graceful_restart.notification_enabled);
  KBGP_INHERIT("graceful-restart.config.long-lived-enabled", graceful_restart.long_lived_enabled);
  KBGP_INHERIT("apply-policy.config.import-policy-list", apply_policy.import_policy_list);
  KBGP_INHERIT("apply-policy.config.default-import-policy", apply_policy.default_import_policy);
  KBGP_INHERIT("apply-policy.config.export-policy-list", apply_policy.export_policy_list);
  KBGP_INHERIT("apply-policy.config.default-export-policy", apply_policy.default_export_policy);
  KBGP_INHERIT("apply-policy.config.in-policy-list", apply_policy.in_policy_list);
  KBGP_INHERIT("apply-policy.config.default-in-policy", apply_policy.default_in_policy);
  KBGP_INHERIT("use-multiple-paths.config.enabled", use_multiple_paths.enabled);
  KBGP_INHERIT("use-multiple-paths.ebgp.config.allow-multiple-as",
               use_multiple_paths.ebgp_allow_multiple_as);
  KBGP_INHERIT("use-multiple-paths.ebgp.config.maximum-paths",
               use_multiple_paths.ebgp_maximum_paths);
  KBGP_INHERIT("use-multiple-paths.ibgp.config.maximum-paths",
               use_multiple_paths.ibgp_maximum_paths);
  KBGP_INHERIT("route-server.config.route-server-client", route_server.route_server_client);
  KBGP_INHERIT("route-server.config.secondary-route", route_server.secondary_route);
  KBGP_INHERIT("ttl-security.config.enabled", ttl_security.enabled);
  KBGP_INHERIT("ttl-security.config.ttl-min", ttl_security.ttl_min);
  KBGP_INHERIT("afi-safis", afi_safis);
#undef KBGP_INHERIT
}

bool ValidClusterId(absl::string_view id) {
  if (absl::StatusOr<IpAddress> a = IpAddress::Parse(id); a.ok()) return a->is_v4();
  uint32_t n = 0;
  return !id.empty() && std::all_of(id.begin(), id.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(id, &n);
}

// gobgpd's setDefaultNeighborConfigValuesWithViper, for neighbor `n` at path `np`;
// `afi_path` is where its afi-safis were written (its own, or its group's).
void ApplyNeighborDefaults(Context* ctx, const Global& g, const std::string& np,
                           const std::string& afi_path, Neighbor* n) {
  auto set = [&](absl::string_view rel) { return ctx->IsSet(absl::StrCat(np, ".", rel)); };
  NeighborConfig& c = n->config;
  if (c.local_as == 0) {
    c.local_as = (!g.confederation.enabled || IsConfederation(*n, g)) ? g.as
                                                                      : g.confederation.identifier;
  }
  if (c.peer_as != c.local_as) {
    c.peer_type = PeerType::kExternal;
  } else {
    c.peer_type = PeerType::kInternal;
    if (c.remove_private_as != RemovePrivateAs::kNone) {
      ctx->Fail(absl::StrCat(np, ".config.remove-private-as"),
                "can't set remove-private-as for an iBGP peer");
      return;
    }
    if (n->as_path_options.replace_peer_as) {
      ctx->Fail(absl::StrCat(np, ".as-path-options.config.replace-peer-as"),
                "can't set replace-peer-as for an iBGP peer");
      return;
    }
  }
  // RFC 7606 error handling is on unless the file turns it off.
  if (!set("error-handling.config.treat-as-withdraw") && c.peer_group.empty()) {
    n->treat_as_withdraw = true;
  }
  Timers& t = n->timers;
  // gobgpd: a timer written as 0 stays 0; one not written gets the default.
  if (!set("timers.config.connect-retry") && t.connect_retry == 0) t.connect_retry = 120;
  if (!set("timers.config.hold-time") && t.hold_time == 0) t.hold_time = 90;
  if (!set("timers.config.keepalive-interval") && t.keepalive_interval == 0) {
    t.keepalive_interval = t.hold_time / 3;
  }
  if (!set("timers.config.idle-hold-time-after-reset") && t.idle_hold_time_after_reset == 0) {
    t.idle_hold_time_after_reset = 30;
  }
  if (t.hold_time > 0 && t.keepalive_interval > t.hold_time) {
    ctx->Fail(absl::StrCat(np, ".timers.config.keepalive-interval"),
              "is longer than the hold time");
    return;
  }
  if (!c.neighbor_interface.empty() && n->route_server.route_server_client) {
    ctx->Fail(absl::StrCat(np, ".config.neighbor-interface"),
              "a route server client can't be an unnumbered (neighbor-interface) peer");
    return;
  }
  bool v6 = !c.neighbor_address || c.neighbor_address->is_v6();
  if (!n->transport.local_address) {
    // gobgpd resolves an unnumbered peer's link-local address here; kbgpd leaves "::" and
    // the session picks the interface's link-local address when it connects.
    n->transport.local_address = *IpAddress::Parse(v6 ? "::" : "0.0.0.0");
  }
  if (n->afi_safis.empty()) {
    if (!c.neighbor_interface.empty()) {
      n->afi_safis = {AfiSafi{.afi_safi_name = "ipv4-unicast", .enabled = true},
                      AfiSafi{.afi_safi_name = "ipv6-unicast", .enabled = true}};
    } else {
      n->afi_safis = {AfiSafi{.afi_safi_name = v6 ? "ipv6-unicast" : "ipv4-unicast",
                              .enabled = true}};
    }
    for (AfiSafi& af : n->afi_safis) af.add_paths = n->add_paths;
  } else {
    for (size_t i = 0; i < n->afi_safis.size(); ++i) {
      AfiSafi& af = n->afi_safis[i];
      std::string ap = absl::StrCat(afi_path, "[", i, "]");
      if (!ctx->IsSet(absl::StrCat(ap, ".config.enabled"))) af.enabled = true;
      if (!ctx->IsSet(absl::StrCat(ap, ".add-paths.config.receive")) && n->add_paths.receive) {
        af.add_paths.receive = true;
      }
      if (!ctx->IsSet(absl::StrCat(ap, ".add-paths.config.send-max")) &&
          n->add_paths.send_max != 0) {
        af.add_paths.send_max = n->add_paths.send_max;
      }
    }
  }
  GracefulRestart& gr = n->graceful_restart;
  if (gr.enabled) {
    // RFC 4724 §4: a restart time no longer than the hold time; capped to its 12 bits.
    if (!set("graceful-restart.config.restart-time") && gr.restart_time == 0) {
      gr.restart_time = static_cast<uint16_t>(std::min(t.hold_time, 4095.0));
    }
    if (!set("graceful-restart.config.deferral-time") && gr.deferral_time == 0) {
      gr.deferral_time = 360;
    }
  }
  if (n->ebgp_multihop.enabled) {
    if (n->ttl_security.enabled) {
      ctx->Fail(absl::StrCat(np, ".ttl-security.config.enabled"),
                "ebgp-multihop and ttl-security are mutually exclusive");
      return;
    }
    if (n->ebgp_multihop.multihop_ttl == 0) n->ebgp_multihop.multihop_ttl = 255;
  } else if (n->ttl_security.enabled && n->ttl_security.ttl_min == 0) {
    n->ttl_security.ttl_min = 255;
  }
  const std::string& cid = n->route_reflector.route_reflector_cluster_id;
  if (n->route_reflector.route_reflector_client && !cid.empty() && !ValidClusterId(cid)) {
    ctx->Fail(absl::StrCat(np, ".route-reflector.config.route-reflector-cluster-id"),
              absl::StrCat(Quote(cid), " is not an IPv4 address or a 32-bit number"));
  }
}

// ---------------------------------------------------------------- references

struct Names {
  absl::flat_hash_set<std::string> policies, prefix_sets, neighbor_sets, community_sets,
      ext_community_sets, large_community_sets, as_path_sets;
};

void CheckUnique(Context* ctx, const std::vector<std::string>& names, const std::string& list,
                 absl::string_view key, absl::string_view what,
                 absl::flat_hash_set<std::string>* out) {
  for (size_t i = 0; i < names.size() && ctx->ok(); ++i) {
    if (!out->insert(names[i]).second) {
      ctx->Fail(absl::StrCat(list, "[", i, "].", key),
                absl::StrCat(what, " ", Quote(names[i]), " is defined twice"));
    }
  }
}

template <typename T, typename F>
std::vector<std::string> NamesOf(const std::vector<T>& v, F f) {
  std::vector<std::string> out;
  for (const T& x : v) out.push_back(f(x));
  return out;
}

void CheckPolicyRefs(Context* ctx, const Names& names, const ApplyPolicy& ap,
                     const std::string& path) {
  auto check = [&](const std::vector<std::string>& list, absl::string_view key) {
    for (size_t i = 0; i < list.size() && ctx->ok(); ++i) {
      if (!names.policies.contains(list[i])) {
        ctx->Fail(absl::StrCat(path, ".apply-policy.config.", key, "[", i, "]"),
                  absl::StrCat("policy ", Quote(list[i]),
                               " is not defined in policy-definitions"));
      }
    }
  };
  check(ap.import_policy_list, "import-policy-list");
  check(ap.export_policy_list, "export-policy-list");
  check(ap.in_policy_list, "in-policy-list");
}

void CheckSetRef(Context* ctx, const absl::flat_hash_set<std::string>& defined,
                 const std::string& name, const std::string& path, absl::string_view what) {
  if (!ctx->ok() || name.empty() || defined.contains(name)) return;
  ctx->Fail(path, absl::StrCat(what, " ", Quote(name), " is not defined in defined-sets"));
}

void Resolve(Context* ctx, Config* cfg) {
  Global& g = cfg->global;
  // gobgpd: -d accepts a missing AS or router-id; the server then refuses to start.
  if (g.as == 0) {
    ctx->Fail("global.config.as", "is required (a non-zero AS number)");
    return;
  }
  if (g.router_id.IsUnspecified()) {
    ctx->Fail("global.config.router-id", "is required (an IPv4 address)");
    return;
  }
  if (g.confederation.enabled && g.confederation.identifier == 0) {
    ctx->Fail("global.confederation.config.identifier", "is required when enabled");
    return;
  }
  if (g.local_address_list.empty()) {
    g.local_address_list = {*IpAddress::Parse("0.0.0.0"), *IpAddress::Parse("::")};
  }
  if (g.afi_safis.empty()) {
    for (const std::string& name : KnownAfiSafiNames()) {
      g.afi_safis.push_back(AfiSafi{.afi_safi_name = name, .enabled = true});
    }
  }

  Names names;
  CheckUnique(ctx, NamesOf(cfg->policy_definitions, [](auto& p) { return p.name; }),
              "policy-definitions", "name", "policy", &names.policies);
  const DefinedSets& ds = cfg->defined_sets;
  CheckUnique(ctx, NamesOf(ds.prefix_sets, [](auto& s) { return s.prefix_set_name; }),
              "defined-sets.prefix-sets", "prefix-set-name", "prefix set", &names.prefix_sets);
  CheckUnique(ctx, NamesOf(ds.neighbor_sets, [](auto& s) { return s.neighbor_set_name; }),
              "defined-sets.neighbor-sets", "neighbor-set-name", "neighbor set",
              &names.neighbor_sets);
  auto by_name = [](const NamedList& s) { return s.name; };
  CheckUnique(ctx, NamesOf(ds.community_sets, by_name),
              "defined-sets.bgp-defined-sets.community-sets", "community-set-name",
              "community set", &names.community_sets);
  CheckUnique(ctx, NamesOf(ds.ext_community_sets, by_name),
              "defined-sets.bgp-defined-sets.ext-community-sets", "ext-community-set-name",
              "ext-community set", &names.ext_community_sets);
  CheckUnique(ctx, NamesOf(ds.large_community_sets, by_name),
              "defined-sets.bgp-defined-sets.large-community-sets", "large-community-set-name",
              "large-community set", &names.large_community_sets);
  CheckUnique(ctx, NamesOf(ds.as_path_sets, by_name), "defined-sets.bgp-defined-sets.as-path-sets",
              "as-path-set-name", "as-path set", &names.as_path_sets);

  for (size_t p = 0; p < cfg->policy_definitions.size() && ctx->ok(); ++p) {
    const PolicyDefinition& pd = cfg->policy_definitions[p];
    absl::flat_hash_set<std::string> stmt_names;
    for (size_t s = 0; s < pd.statements.size() && ctx->ok(); ++s) {
      const Statement& st = pd.statements[s];
      std::string sp = absl::StrCat("policy-definitions[", p, "].statements[", s, "]");
      if (!stmt_names.insert(st.name).second) {
        ctx->Fail(sp + ".name", absl::StrCat("statement ", Quote(st.name), " is defined twice"));
        return;
      }
      const Conditions& c = st.conditions;
      std::string cp = sp + ".conditions";
      std::string bp = cp + ".bgp-conditions";
      CheckSetRef(ctx, names.prefix_sets, c.match_prefix_set.set_name,
                  cp + ".match-prefix-set.prefix-set", "prefix set");
      CheckSetRef(ctx, names.neighbor_sets, c.match_neighbor_set.set_name,
                  cp + ".match-neighbor-set.neighbor-set", "neighbor set");
      CheckSetRef(ctx, names.community_sets, c.match_community_set.set_name,
                  bp + ".match-community-set.community-set", "community set");
      CheckSetRef(ctx, names.ext_community_sets, c.match_ext_community_set.set_name,
                  bp + ".match-ext-community-set.ext-community-set", "ext-community set");
      CheckSetRef(ctx, names.as_path_sets, c.match_as_path_set.set_name,
                  bp + ".match-as-path-set.as-path-set", "as-path set");
      CheckSetRef(ctx, names.large_community_sets, c.match_large_community_set.set_name,
                  bp + ".match-large-community-set.large-community-set", "large-community set");
      if (ctx->ok() && !c.call_policy.empty() && !names.policies.contains(c.call_policy)) {
        ctx->Fail(cp + ".call-policy",
                  absl::StrCat("policy ", Quote(c.call_policy), " is not defined"));
      }
      const Actions& a = st.actions;
      std::string ap = sp + ".actions.bgp-actions";
      CheckSetRef(ctx, names.community_sets, a.set_community.set_ref,
                  ap + ".set-community.set-community-method.community-set-ref", "community set");
      CheckSetRef(ctx, names.ext_community_sets, a.set_ext_community.set_ref,
                  ap + ".set-ext-community.set-ext-community-method.ext-community-set-ref",
                  "ext-community set");
    }
  }
  if (!ctx->ok()) return;
  CheckPolicyRefs(ctx, names, g.apply_policy, "global");

  absl::flat_hash_map<std::string, size_t> groups;
  for (size_t i = 0; i < cfg->peer_groups.size() && ctx->ok(); ++i) {
    PeerGroup& pg = cfg->peer_groups[i];
    std::string gp = absl::StrCat("peer-groups[", i, "]");
    if (pg.config.peer_group_name.empty()) {
      ctx->Fail(gp + ".config.peer-group-name", "is required");
      return;
    }
    if (!groups.emplace(pg.config.peer_group_name, i).second) {
      ctx->Fail(gp + ".config.peer-group-name",
                absl::StrCat("peer group ", Quote(pg.config.peer_group_name),
                             " is defined twice"));
      return;
    }
    if (!ctx->IsSet(gp + ".error-handling.config.treat-as-withdraw")) pg.treat_as_withdraw = true;
    // gobgpd enables a member's inherited afi-safis unless the member writes `enabled`;
    // doing it on the group gives the same members and prints the group as it behaves.
    for (size_t j = 0; j < pg.afi_safis.size(); ++j) {
      if (!ctx->IsSet(absl::StrCat(gp, ".afi-safis[", j, "].config.enabled"))) {
        pg.afi_safis[j].enabled = true;
      }
    }
    CheckPolicyRefs(ctx, names, pg.apply_policy, gp);
  }

  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < cfg->neighbors.size() && ctx->ok(); ++i) {
    Neighbor& n = cfg->neighbors[i];
    std::string np = absl::StrCat("neighbors[", i, "]");
    if (!n.config.neighbor_address && n.config.neighbor_interface.empty()) {
      ctx->Fail(np + ".config", "neighbor-address or neighbor-interface is required");
      return;
    }
    if (n.config.neighbor_address && !n.config.neighbor_interface.empty()) {
      ctx->Fail(np + ".config.neighbor-interface",
                "set either neighbor-address or neighbor-interface, not both");
      return;
    }
    std::string afi_path = np + ".afi-safis";
    if (!n.config.peer_group.empty()) {
      auto it = groups.find(n.config.peer_group);
      if (it == groups.end()) {
        // gobgpd: -d silently stops applying defaults here and reports success.
        ctx->Fail(np + ".config.peer-group",
                  absl::StrCat("peer group ", Quote(n.config.peer_group),
                               " is not defined in peer-groups"));
        return;
      }
      if (!ctx->IsSet(afi_path)) afi_path = absl::StrCat("peer-groups[", it->second, "].afi-safis");
      InheritFromGroup(*ctx, np, cfg->peer_groups[it->second], &n);
    }
    if (n.config.peer_as == 0) {
      ctx->Fail(np + ".config.peer-as", "is required (a non-zero AS number)");
      return;
    }
    ApplyNeighborDefaults(ctx, g, np, afi_path, &n);
    if (!ctx->ok()) return;
    std::string key = NeighborKey(n);
    auto [it, fresh] = seen.emplace(key, i);
    if (!fresh) {
      // gobgpd: -d accepts it; the server then fails to add the second one.
      ctx->Fail(np + ".config",
                absl::StrCat("neighbor ", key, " is already defined as neighbors[", it->second,
                             "]"));
      return;
    }
    CheckPolicyRefs(ctx, names, n.apply_policy, np);
  }

  for (size_t i = 0; i < cfg->dynamic_neighbors.size() && ctx->ok(); ++i) {
    const DynamicNeighbor& d = cfg->dynamic_neighbors[i];
    std::string dp = absl::StrCat("dynamic-neighbors[", i, "].config");
    if (d.peer_group.empty()) {
      ctx->Fail(dp + ".peer-group", "is required: a dynamic neighbor takes its settings from a "
                                    "peer group");
    } else if (!groups.contains(d.peer_group)) {
      ctx->Fail(dp + ".peer-group", absl::StrCat("peer group ", Quote(d.peer_group),
                                                 " is not defined in peer-groups"));
    }
  }
}

absl::StatusOr<Config> Load(absl::string_view text, absl::string_view name) {
  Context ctx{std::string(name)};
  Config cfg;
  try {
    YAML::Node doc = YAML::Load(std::string(text));
    MapReader root(&ctx, doc, "");
    ParseGlobal(root, &cfg.global);
    for (const auto& [node, path] : root.List("neighbors")) {
      Neighbor n;
      ParsePeer(&ctx, node, path, &n);
      cfg.neighbors.push_back(std::move(n));
    }
    for (const auto& [node, path] : root.List("peer-groups")) {
      PeerGroup pg;
      ParsePeer(&ctx, node, path, &pg);
      cfg.peer_groups.push_back(std::move(pg));
    }
    for (const auto& [node, path] : root.List("dynamic-neighbors")) {
      MapReader m(&ctx, node, path);
      MapReader c = m.Sub("config");
      DynamicNeighbor d;
      std::string prefix;
      if (c.String("prefix", &prefix) &&
          !internal::ParsePrefixText(prefix, /*allow_address=*/false, &d.prefix)) {
        ctx.Fail(c.PathOf("prefix"), absl::StrCat(Quote(prefix), " is not a prefix (A/LEN)"));
      }
      if (ctx.ok() && prefix.empty()) ctx.Fail(c.PathOf("prefix"), "is required");
      c.String("peer-group", &d.peer_group);
      cfg.dynamic_neighbors.push_back(std::move(d));
    }
    ParseDefinedSets(root, &cfg.defined_sets);
    ParsePolicies(root, &cfg.policy_definitions);
    for (absl::string_view k :
         {"rpki-servers", "bmp-servers", "vrfs", "mrt-dump", "zebra", "collector"}) {
      root.Unsupported(k);
    }
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports syntax errors as exceptions; they stop here (STYLE.md §3).
    ctx.Fail(e.mark.line >= 0 ? e.mark.line + 1 : 0, "", absl::StrCat("YAML: ", e.msg));
  }
  if (ctx.ok()) Resolve(&ctx, &cfg);
  if (!ctx.ok()) return ctx.status();
  return cfg;
}

}  // namespace

absl::StatusOr<Config> LoadString(absl::string_view text, absl::string_view name) {
  return Load(text, name);
}

absl::StatusOr<Config> LoadFile(const std::string& path, absl::string_view format) {
  std::string fmt = absl::AsciiStrToLower(format);
  if (fmt.empty()) {  // gobgpd detects the type from the extension
    size_t dot = path.rfind('.');
    fmt = dot == std::string::npos ? "yaml" : absl::AsciiStrToLower(path.substr(dot + 1));
  }
  if (fmt == "yml") fmt = "yaml";
  if (fmt != "yaml") {
    return absl::UnimplementedError(
        absl::StrCat(path, ": config type \"", fmt,
                     "\" is not supported yet; kbgpd reads gobgpd's YAML format (-t yaml). "
                     "toml and json are planned."));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the config file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return Load(ss.str(), path);
}

absl::Status SetNeighborDefaults(const Global& global, Neighbor* neighbor) {
  constexpr absl::string_view kFile = "api";
  Context ctx{std::string(kFile)};
  ApplyNeighborDefaults(&ctx, global, "neighbor", "neighbor.afi-safis", neighbor);
  if (ctx.ok()) return absl::OkStatus();
  // Context writes "FILE: PATH: message"; there is no file here.
  absl::string_view msg = ctx.status().message();
  absl::ConsumePrefix(&msg, absl::StrCat(kFile, ": "));
  return absl::InvalidArgumentError(msg);
}

}  // namespace kbgp::config
