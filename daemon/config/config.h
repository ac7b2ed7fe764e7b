// kbgp::config owns the daemon's configuration model: gobgpd 3.10's YAML schema (the
// `mapstructure` names of gobgp's internal/pkg/config, so a user's gobgpd.yml loads
// unchanged), the loader that validates it, a canonical printer and the SIGHUP diff.
//
// Invariants of a Config returned by Load*():
//  - gobgpd's defaults are applied the way gobgpd applies them (timers 120/90/30/30,
//    port 179, local-address-list 0.0.0.0 and ::, afi-safis from the neighbor's address
//    family, local-as from global, peer-group settings inherited), so the server never
//    has to know which values were written and which were defaulted;
//  - every reference (peer-group, policy, defined set) names something that exists, and
//    neighbor addresses, peer-group names, set and policy names are unique;
//  - Print(config) loads back to an equal Config.
// No yaml-cpp type appears in this header: yaml-cpp is private to config/.
#ifndef KBGP_DAEMON_CONFIG_CONFIG_H_
#define KBGP_DAEMON_CONFIG_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/common/ip.h"

namespace kbgp::config {

// Closed value sets. kNone is "not written" where gobgpd has an empty string.
enum class DefaultPolicy : uint8_t { kNone, kAcceptRoute, kRejectRoute };
enum class RouteDisposition : uint8_t { kNone, kAcceptRoute, kRejectRoute };
enum class MatchSetOptions : uint8_t { kAny, kAll, kInvert };
enum class Comparison : uint8_t { kNone, kEq, kGe, kLe };
enum class RouteType : uint8_t { kNone, kInternal, kExternal, kLocal };
enum class RpkiValidationResult : uint8_t { kNone, kNotFound, kValid, kInvalid };
enum class SetCommunityOption : uint8_t { kNone, kAdd, kRemove, kReplace };
enum class RemovePrivateAs : uint8_t { kNone, kAll, kReplace };
enum class CommunityType : uint8_t { kNone, kStandard, kExtended, kBoth, kNoCommunity };
enum class PeerType : uint8_t { kNone, kInternal, kExternal };
enum class Origin : uint8_t { kNone, kIgp, kEgp, kIncomplete };

// The names used in the YAML file ("accept-route", "invert", ...); "" for kNone.
absl::string_view ToString(DefaultPolicy v);
absl::string_view ToString(RouteDisposition v);
absl::string_view ToString(MatchSetOptions v);
absl::string_view ToString(Comparison v);
absl::string_view ToString(RouteType v);
absl::string_view ToString(RpkiValidationResult v);
absl::string_view ToString(SetCommunityOption v);
absl::string_view ToString(RemovePrivateAs v);
absl::string_view ToString(CommunityType v);
absl::string_view ToString(PeerType v);
absl::string_view ToString(Origin v);

// gobgpd's afi-safi-name values ("ipv4-unicast", "l2vpn-evpn", ...), in gobgpd's order.
const std::vector<std::string>& KnownAfiSafiNames();

// ---- shared blocks: `X.config` in gobgpd; the `config` level is implied by the struct ----

struct ApplyPolicy {  // apply-policy.config
  std::vector<std::string> import_policy_list;
  DefaultPolicy default_import_policy = DefaultPolicy::kNone;
  std::vector<std::string> export_policy_list;
  DefaultPolicy default_export_policy = DefaultPolicy::kNone;
  std::vector<std::string> in_policy_list;
  DefaultPolicy default_in_policy = DefaultPolicy::kNone;
  friend bool operator==(const ApplyPolicy&, const ApplyPolicy&) = default;
};

struct GracefulRestart {  // graceful-restart.config
  bool enabled = false;
  uint16_t restart_time = 0;  // seconds; RFC 4724 §3: 12 bits
  double stale_routes_time = 0;
  bool helper_only = false;
  uint16_t deferral_time = 0;
  bool notification_enabled = false;  // RFC 8538
  bool long_lived_enabled = false;    // RFC 9494
  friend bool operator==(const GracefulRestart&, const GracefulRestart&) = default;
};

struct UseMultiplePaths {  // use-multiple-paths
  bool enabled = false;               // .config.enabled
  bool ebgp_allow_multiple_as = false;  // .ebgp.config.allow-multiple-as
  uint32_t ebgp_maximum_paths = 0;      // .ebgp.config.maximum-paths
  uint32_t ibgp_maximum_paths = 0;      // .ibgp.config.maximum-paths
  friend bool operator==(const UseMultiplePaths&, const UseMultiplePaths&) = default;
};

struct AddPaths {  // add-paths.config
  bool receive = false;
  uint8_t send_max = 0;
  friend bool operator==(const AddPaths&, const AddPaths&) = default;
};

struct PrefixLimit {  // prefix-limit.config
  uint32_t max_prefixes = 0;
  uint8_t shutdown_threshold_pct = 0;  // 0..100
  double restart_timer = 0;
  friend bool operator==(const PrefixLimit&, const PrefixLimit&) = default;
};

struct LongLivedGracefulRestart {  // long-lived-graceful-restart.config
  bool enabled = false;
  uint32_t restart_time = 0;  // RFC 9494 §3: 24 bits
  friend bool operator==(const LongLivedGracefulRestart&,
                         const LongLivedGracefulRestart&) = default;
};

struct AfiSafi {  // afi-safis[]
  std::string afi_safi_name;  // config.afi-safi-name, one of KnownAfiSafiNames()
  bool enabled = false;       // config.enabled; gobgpd defaults it to true when not written
  bool mp_graceful_restart = false;  // mp-graceful-restart.config.enabled
  PrefixLimit prefix_limit;
  LongLivedGracefulRestart long_lived_graceful_restart;
  AddPaths add_paths;
  friend bool operator==(const AfiSafi&, const AfiSafi&) = default;
};

// ---- global ----

struct RouteSelectionOptions {  // global.route-selection-options.config
  bool always_compare_med = false;
  bool ignore_as_path_length = false;
  bool external_compare_router_id = false;
  bool advertise_inactive_routes = false;
  bool enable_aigp = false;
  bool ignore_next_hop_igp_metric = false;
  bool disable_best_path_selection = false;
  friend bool operator==(const RouteSelectionOptions&, const RouteSelectionOptions&) = default;
};

struct Confederation {  // global.confederation.config
  bool enabled = false;
  uint32_t identifier = 0;
  std::vector<uint32_t> member_as_list;
  friend bool operator==(const Confederation&, const Confederation&) = default;
};

struct Global {
  // global.config
  uint32_t as = 0;
  IpAddress router_id;  // IPv4
  int32_t port = 179;   // -1: do not listen
  std::vector<IpAddress> local_address_list;
  RouteSelectionOptions route_selection_options;
  uint8_t external_route_distance = 0;  // default-route-distance.config
  uint8_t internal_route_distance = 0;
  Confederation confederation;
  UseMultiplePaths use_multiple_paths;
  GracefulRestart graceful_restart;
  std::vector<AfiSafi> afi_safis;  // default: every known family, enabled
  ApplyPolicy apply_policy;
  friend bool operator==(const Global&, const Global&) = default;
};

// ---- neighbors and peer groups ----

struct PeerConfigCommon {  // the keys NeighborConfig and PeerGroupConfig share
  uint32_t peer_as = 0;
  uint32_t local_as = 0;
  PeerType peer_type = PeerType::kNone;  // computed as gobgpd does; the file's value is ignored
  std::string auth_password;             // TCP MD5 (RFC 2385)
  RemovePrivateAs remove_private_as = RemovePrivateAs::kNone;
  bool route_flap_damping = false;
  CommunityType send_community = CommunityType::kNone;
  std::string description;
  friend bool operator==(const PeerConfigCommon&, const PeerConfigCommon&) = default;
};

struct NeighborConfig : PeerConfigCommon {  // neighbors[].config
  std::string peer_group;
  std::optional<IpAddress> neighbor_address;  // absent only with neighbor_interface
  bool admin_down = false;
  std::string neighbor_interface;  // unnumbered BGP over the interface's IPv6 link-local
  friend bool operator==(const NeighborConfig&, const NeighborConfig&) = default;
};

struct PeerGroupConfig : PeerConfigCommon {  // peer-groups[].config
  std::string peer_group_name;
  friend bool operator==(const PeerGroupConfig&, const PeerGroupConfig&) = default;
};

struct Timers {  // timers.config, seconds
  double connect_retry = 0;
  double hold_time = 0;
  double keepalive_interval = 0;
  double minimum_advertisement_interval = 0;
  double idle_hold_time_after_reset = 0;
  friend bool operator==(const Timers&, const Timers&) = default;
};

struct Transport {  // transport.config
  uint16_t tcp_mss = 0;
  bool mtu_discovery = false;
  bool passive_mode = false;
  std::optional<IpAddress> local_address;  // neighbors: always set after defaults
  uint16_t local_port = 0;
  uint16_t remote_port = 0;  // 0: 179
  uint8_t ttl = 0;           // 0: the OS default
  std::string bind_interface;
  friend bool operator==(const Transport&, const Transport&) = default;
};

struct EbgpMultihop {  // ebgp-multihop.config
  bool enabled = false;
  uint8_t multihop_ttl = 0;
  friend bool operator==(const EbgpMultihop&, const EbgpMultihop&) = default;
};

struct TtlSecurity {  // ttl-security.config (GTSM, RFC 5082)
  bool enabled = false;
  uint8_t ttl_min = 0;
  friend bool operator==(const TtlSecurity&, const TtlSecurity&) = default;
};

struct RouteReflector {  // route-reflector.config (RFC 4456)
  bool route_reflector_client = false;
  std::string route_reflector_cluster_id;  // IPv4 text or a 32-bit number; "" = router-id
  friend bool operator==(const RouteReflector&, const RouteReflector&) = default;
};

struct RouteServer {  // route-server.config
  bool route_server_client = false;
  bool secondary_route = false;
  friend bool operator==(const RouteServer&, const RouteServer&) = default;
};

struct AsPathOptions {  // as-path-options.config
  uint8_t allow_own_as = 0;
  bool replace_peer_as = false;
  friend bool operator==(const AsPathOptions&, const AsPathOptions&) = default;
};

// The blocks a neighbor and a peer group have in common; ConfigT is the `config` block.
template <typename ConfigT>
struct PeerSettings {
  ConfigT config;
  Timers timers;
  Transport transport;
  bool treat_as_withdraw = false;           // error-handling.config; default true (RFC 7606)
  bool log_neighbor_state_changes = false;  // logging-options.config
  EbgpMultihop ebgp_multihop;
  RouteReflector route_reflector;
  AsPathOptions as_path_options;
  AddPaths add_paths;
  std::vector<AfiSafi> afi_safis;
  GracefulRestart graceful_restart;
  ApplyPolicy apply_policy;
  UseMultiplePaths use_multiple_paths;
  RouteServer route_server;
  TtlSecurity ttl_security;
  friend bool operator==(const PeerSettings&, const PeerSettings&) = default;
};

using Neighbor = PeerSettings<NeighborConfig>;
using PeerGroup = PeerSettings<PeerGroupConfig>;

// The identity of a neighbor across reloads: its address, or "interface:NAME".
std::string NeighborKey(const Neighbor& n);

struct DynamicNeighbor {  // dynamic-neighbors[].config
  Prefix prefix;
  std::string peer_group;
  friend bool operator==(const DynamicNeighbor&, const DynamicNeighbor&) = default;
};

// ---- defined sets ----

struct PrefixEntry {  // prefix-list[]: ip-prefix, masklength-range "MIN..MAX"
  Prefix ip_prefix;
  uint8_t masklength_min = 0;  // both equal ip_prefix.length() when no range is written
  uint8_t masklength_max = 0;
  friend bool operator==(const PrefixEntry&, const PrefixEntry&) = default;
};

struct PrefixSet {
  std::string prefix_set_name;
  std::vector<PrefixEntry> prefix_list;
  friend bool operator==(const PrefixSet&, const PrefixSet&) = default;
};

struct NeighborSet {
  std::string neighbor_set_name;
  std::vector<Prefix> neighbor_info_list;  // an address is a host prefix
  friend bool operator==(const NeighborSet&, const NeighborSet&) = default;
};

// community-sets, ext-community-sets, large-community-sets, as-path-sets: a name and a
// list of strings (values or regular expressions, as in gobgpd).
struct NamedList {
  std::string name;
  std::vector<std::string> list;
  friend bool operator==(const NamedList&, const NamedList&) = default;
};

struct DefinedSets {
  std::vector<PrefixSet> prefix_sets;
  std::vector<NeighborSet> neighbor_sets;
  std::vector<NamedList> community_sets;      // bgp-defined-sets.community-sets
  std::vector<NamedList> ext_community_sets;  // bgp-defined-sets.ext-community-sets
  std::vector<NamedList> large_community_sets;
  std::vector<NamedList> as_path_sets;
  friend bool operator==(const DefinedSets&, const DefinedSets&) = default;
};

// ---- policy ----

struct MatchSet {  // match-*-set: the set's name and how to match it
  std::string set_name;
  MatchSetOptions match_set_options = MatchSetOptions::kAny;
  friend bool operator==(const MatchSet&, const MatchSet&) = default;
};

struct CountCondition {  // as-path-length, community-count
  Comparison op = Comparison::kNone;  // "operator"
  uint32_t value = 0;
  friend bool operator==(const CountCondition&, const CountCondition&) = default;
};

struct Conditions {
  std::string call_policy;
  MatchSet match_prefix_set;    // any | invert
  MatchSet match_neighbor_set;  // any | invert
  // bgp-conditions
  MatchSet match_community_set;
  MatchSet match_ext_community_set;
  MatchSet match_as_path_set;
  MatchSet match_large_community_set;
  uint32_t med_eq = 0;
  Origin origin_eq = Origin::kNone;
  std::vector<Prefix> next_hop_in_list;
  std::vector<std::string> afi_safi_in_list;
  uint32_t local_pref_eq = 0;
  CountCondition community_count;
  CountCondition as_path_length;
  RouteType route_type = RouteType::kNone;
  RpkiValidationResult rpki_validation_result = RpkiValidationResult::kNone;
  friend bool operator==(const Conditions&, const Conditions&) = default;
};

struct SetCommunities {  // set-community, set-ext-community, set-large-community
  SetCommunityOption options = SetCommunityOption::kNone;
  std::vector<std::string> communities_list;  // set-*-method.communities-list
  std::string set_ref;  // set-*-method.community-set-ref / ext-community-set-ref
  friend bool operator==(const SetCommunities&, const SetCommunities&) = default;
};

struct Actions {
  RouteDisposition route_disposition = RouteDisposition::kNone;
  // bgp-actions
  bool prepend_last_as = false;  // set-as-path-prepend.as: "last-as"
  uint32_t prepend_as = 0;       // set-as-path-prepend.as: a number
  uint8_t prepend_repeat_n = 0;  // set-as-path-prepend.repeat-n
  SetCommunities set_community;
  SetCommunities set_ext_community;
  SetCommunities set_large_community;
  Origin set_route_origin = Origin::kNone;
  uint32_t set_local_pref = 0;
  std::string set_next_hop;  // an address, "self" or "unchanged"; "" = no action
  std::string set_med;       // "N" sets, "+N" / "-N" adjusts; "" = no action
  friend bool operator==(const Actions&, const Actions&) = default;
};

struct Statement {
  std::string name;  // gobgpd names an unnamed statement "<policy>_stmt<index>"
  Conditions conditions;
  Actions actions;
  friend bool operator==(const Statement&, const Statement&) = default;
};

struct PolicyDefinition {
  std::string name;
  std::vector<Statement> statements;
  friend bool operator==(const PolicyDefinition&, const PolicyDefinition&) = default;
};

// ---- the whole file ----

struct Config {
  Global global;
  std::vector<Neighbor> neighbors;
  std::vector<PeerGroup> peer_groups;
  std::vector<DynamicNeighbor> dynamic_neighbors;
  DefinedSets defined_sets;
  std::vector<PolicyDefinition> policy_definitions;
  friend bool operator==(const Config&, const Config&) = default;
};

// Loads gobgpd YAML. `format` is gobgpd's -t value; only "yaml" (or "yml") is supported.
// Errors read "FILE:LINE: KEY.PATH: what is wrong".
absl::StatusOr<Config> LoadFile(const std::string& path, absl::string_view format = "yaml");
// `name` stands for the file name in error messages.
absl::StatusOr<Config> LoadString(absl::string_view text, absl::string_view name);

// gobgpd's neighbor defaults for a neighbor that was not read from a file (the API's
// AddPeer): the rules Load* applies, with no key counting as written, as gobgpd's
// SetDefaultNeighborConfigValues does without viper (so every listed afi-safi is enabled and
// every zero timer gets its default). `global` supplies the AS and confederation. Errors
// read "neighbor.KEY.PATH: what is wrong".
absl::Status SetNeighborDefaults(const Global& global, Neighbor* neighbor);

// The canonical YAML form: gobgpd's schema, defaults written out, stable key order.
// LoadString(Print(c)) == c, and gobgpd accepts it.
std::string Print(const Config& config);

// What a SIGHUP reload has to apply. Neighbors are matched by NeighborKey().
struct NeighborChange {
  Neighbor old_neighbor;
  Neighbor new_neighbor;
  // False when only apply-policy, description or admin-down changed: the session can stay
  // up (policy changes are applied with a soft reset, admin-down by the server).
  bool needs_session_reset = true;
};

struct ConfigDiff {
  bool global_changed = false;  // anything in `global` other than apply-policy
  bool global_apply_policy_changed = false;
  bool policies_changed = false;  // defined-sets or policy-definitions
  std::vector<Neighbor> added_neighbors;
  std::vector<Neighbor> removed_neighbors;
  std::vector<NeighborChange> changed_neighbors;
  std::vector<std::string> added_peer_groups;    // by peer-group-name
  std::vector<std::string> removed_peer_groups;
  std::vector<std::string> changed_peer_groups;
  bool dynamic_neighbors_changed = false;
  bool empty() const;
};

ConfigDiff Diff(const Config& old_config, const Config& new_config);

}  // namespace kbgp::config

#endif  // KBGP_DAEMON_CONFIG_CONFIG_H_
