// Enum names, neighbor identity and the SIGHUP diff.
#include "daemon/config/config.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "daemon/config/names.h"

namespace kbgp::config {

namespace {

template <typename E>
absl::string_view Name(const std::vector<absl::string_view>& names, E v) {
  size_t i = static_cast<size_t>(v);
  return i < names.size() ? names[i] : absl::string_view();
}

}  // namespace

absl::string_view ToString(DefaultPolicy v) { return Name(internal::kDefaultPolicyNames, v); }
absl::string_view ToString(RouteDisposition v) {
  return Name(internal::kRouteDispositionNames, v);
}
absl::string_view ToString(MatchSetOptions v) { return Name(internal::kMatchSetOptionsNames, v); }
absl::string_view ToString(Comparison v) { return Name(internal::kComparisonNames, v); }
absl::string_view ToString(RouteType v) { return Name(internal::kRouteTypeNames, v); }
absl::string_view ToString(RpkiValidationResult v) { return Name(internal::kRpkiNames, v); }
absl::string_view ToString(SetCommunityOption v) {
  return Name(internal::kSetCommunityOptionNames, v);
}
absl::string_view ToString(RemovePrivateAs v) { return Name(internal::kRemovePrivateAsNames, v); }
absl::string_view ToString(CommunityType v) { return Name(internal::kCommunityTypeNames, v); }
absl::string_view ToString(PeerType v) { return Name(internal::kPeerTypeNames, v); }
absl::string_view ToString(Origin v) { return Name(internal::kOriginNames, v); }

const std::vector<std::string>& KnownAfiSafiNames() {
  // gobgpd's AfiSafiType values, in gobgpd's order (internal/pkg/config/bgp_configs.go).
  static const auto* const kNames = new std::vector<std::string>{
      "ipv4-unicast",        "ipv6-unicast",         "ipv4-labelled-unicast",
      "ipv6-labelled-unicast", "l3vpn-ipv4-unicast", "l3vpn-ipv6-unicast",
      "l3vpn-ipv4-multicast", "l3vpn-ipv6-multicast", "l2vpn-vpls",
      "l2vpn-evpn",          "ipv4-multicast",       "ipv6-multicast",
      "rtc",                 "ipv4-encap",           "ipv6-encap",
      "ipv4-flowspec",       "l3vpn-ipv4-flowspec",  "ipv6-flowspec",
      "l3vpn-ipv6-flowspec", "l2vpn-flowspec",       "ipv4-srpolicy",
      "ipv6-srpolicy",       "opaque",               "ls",
      "ipv4-mup",            "ipv6-mup",
  };
  return *kNames;
}

std::string NeighborKey(const Neighbor& n) {
  if (n.config.neighbor_address) return n.config.neighbor_address->ToString();
  return absl::StrCat("interface:", n.config.neighbor_interface);
}

bool ConfigDiff::empty() const {
  return !global_changed && !global_apply_policy_changed && !policies_changed &&
         added_neighbors.empty() && removed_neighbors.empty() && changed_neighbors.empty() &&
         added_peer_groups.empty() && removed_peer_groups.empty() &&
         changed_peer_groups.empty() && !dynamic_neighbors_changed;
}

ConfigDiff Diff(const Config& old_config, const Config& new_config) {
  ConfigDiff d;
  Global old_global = old_config.global;
  Global new_global = new_config.global;
  d.global_apply_policy_changed = old_global.apply_policy != new_global.apply_policy;
  old_global.apply_policy = new_global.apply_policy = ApplyPolicy();
  d.global_changed = old_global != new_global;
  d.policies_changed = old_config.defined_sets != new_config.defined_sets ||
                       old_config.policy_definitions != new_config.policy_definitions;
  d.dynamic_neighbors_changed = old_config.dynamic_neighbors != new_config.dynamic_neighbors;

  absl::flat_hash_map<std::string, const Neighbor*> old_by_key;
  for (const Neighbor& n : old_config.neighbors) old_by_key[NeighborKey(n)] = &n;
  absl::flat_hash_map<std::string, const Neighbor*> new_by_key;
  for (const Neighbor& n : new_config.neighbors) new_by_key[NeighborKey(n)] = &n;

  // Listed in the new file's order (removed ones in the old file's), so logs are stable.
  for (const Neighbor& n : new_config.neighbors) {
    auto it = old_by_key.find(NeighborKey(n));
    if (it == old_by_key.end()) {
      d.added_neighbors.push_back(n);
      continue;
    }
    const Neighbor& o = *it->second;
    if (o == n) continue;
    // A change only to these leaves the session up: policy is re-run with a soft reset,
    // the description is local, admin-down is an explicit enable/disable.
    Neighbor a = o;
    Neighbor b = n;
    a.apply_policy = b.apply_policy = ApplyPolicy();
    a.config.description = b.config.description = "";
    a.config.admin_down = b.config.admin_down = false;
    d.changed_neighbors.push_back(NeighborChange{o, n, a != b});
  }
  for (const Neighbor& o : old_config.neighbors) {
    if (!new_by_key.contains(NeighborKey(o))) d.removed_neighbors.push_back(o);
  }

  absl::flat_hash_map<std::string, const PeerGroup*> old_groups;
  for (const PeerGroup& g : old_config.peer_groups) old_groups[g.config.peer_group_name] = &g;
  absl::flat_hash_map<std::string, const PeerGroup*> new_groups;
  for (const PeerGroup& g : new_config.peer_groups) new_groups[g.config.peer_group_name] = &g;
  for (const PeerGroup& g : new_config.peer_groups) {
    auto it = old_groups.find(g.config.peer_group_name);
    if (it == old_groups.end()) {
      d.added_peer_groups.push_back(g.config.peer_group_name);
    } else if (*it->second != g) {
      d.changed_peer_groups.push_back(g.config.peer_group_name);
    }
  }
  for (const PeerGroup& g : old_config.peer_groups) {
    if (!new_groups.contains(g.config.peer_group_name)) {
      d.removed_peer_groups.push_back(g.config.peer_group_name);
    }
  }
  return d;
}

}  // namespace kbgp::config
