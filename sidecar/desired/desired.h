// The desired BGP state of one node, computed from the sidecar's options and the cluster's
// Nodes, Services and EndpointSlices by a pure function (ComputeDesired). The rules are
// kube-router's (see ../shared/reference/k8s-bgp.md §1 and §2, cited per rule in desired.cc),
// except that a Local-policy VIP needs a READY local endpoint.
#ifndef KBGP_SIDECAR_DESIRED_DESIRED_H_
#define KBGP_SIDECAR_DESIRED_DESIRED_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sidecar/desired/model.h"

namespace kbgp::sidecar {

// kube-router's flags (same names, same defaults; k8s-bgp.md §1.1).
struct Options {
  uint32_t cluster_asn = 0;  // 0: 64512
  bool nodes_full_mesh = true;
  bool enable_ibgp = true;
  std::vector<std::string> peer_router_ips;
  std::vector<uint32_t> peer_router_asns;
  std::vector<uint32_t> peer_router_ports;        // empty entries: 179
  std::vector<std::string> peer_router_passwords;  // base64, "" = none
  uint32_t peer_router_multihop_ttl = 0;
  bool advertise_pod_cidr = true;
  bool advertise_cluster_ip = false;
  bool advertise_external_ip = false;
  bool advertise_loadbalancer_ip = false;
  bool override_nexthop = false;
  uint32_t bgp_port = 179;
  uint32_t bgp_holdtime = 90;  // seconds
  bool bgp_graceful_restart = false;
  uint32_t bgp_graceful_restart_time = 90;
  uint32_t bgp_graceful_restart_deferral_time = 360;
  std::string router_id;  // "" = node IPv4, "generate" = FNV-32a of the node IP
  bool enable_ipv4 = true;
  bool enable_ipv6 = false;
};

struct DesiredGlobal {
  uint32_t asn = 0;
  std::string router_id;
  int32_t listen_port = 179;
  bool operator==(const DesiredGlobal&) const = default;
};

struct DesiredPeer {
  std::string address;
  uint32_t asn = 0;
  std::string password;  // plain text (decoded from base64)
  uint32_t remote_port = 179;
  std::string local_address;
  uint32_t multihop_ttl = 0;  // 0: not multihop
  bool rr_client = false;
  std::string rr_cluster_id;
  bool graceful_restart = false;
  uint32_t restart_time = 0;
  uint32_t deferral_time = 0;
  uint32_t hold_time = 90;
  bool ipv4 = true;
  bool ipv6 = false;
  bool external = false;
  bool operator==(const DesiredPeer&) const = default;
};

// A prefix-set entry or a neighbor-set entry (then only `prefix` is used).
struct SetEntry {
  std::string prefix;
  uint32_t min = 0;
  uint32_t max = 0;
  auto operator<=>(const SetEntry&) const = default;
};

struct DesiredSet {
  bool neighbor = false;  // NEIGHBOR set (else PREFIX)
  std::set<SetEntry> entries;
  bool operator==(const DesiredSet&) const = default;
};

struct DesiredStatement {
  std::string name;
  std::string prefix_set;
  std::string neighbor_set;
  bool accept = true;
  uint32_t prepend_asn = 0;  // with prepend_repeat > 0
  uint32_t prepend_repeat = 0;
  std::vector<uint32_t> communities;  // added
  bool nexthop_self = false;
  bool operator==(const DesiredStatement&) const = default;
};

struct DesiredState {
  bool ok = false;
  std::string error;  // when !ok: why (the reconciler then changes nothing)
  DesiredGlobal global;
  std::map<std::string, DesiredPeer> peers;        // by address
  std::map<std::string, std::string> paths;        // prefix -> next hop
  std::set<std::string> vips;                      // VIP host prefixes among paths
  bool manage_policies = true;                     // false on route-reflector servers
  std::map<std::string, DesiredSet> sets;          // non-empty sets by name
  std::vector<DesiredStatement> export_statements; // default REJECT
  std::vector<DesiredStatement> import_statements; // default ACCEPT
  std::vector<std::string> warnings;               // bad annotations that were ignored
};

struct ClusterView {
  std::vector<const NodeInfo*> nodes;
  std::vector<const ServiceInfo*> services;
  std::vector<const EndpointSliceInfo*> slices;
};

DesiredState ComputeDesired(const Options& options, const std::string& node_name,
                            const ClusterView& cluster);

// Annotation names (k8s-bgp.md §1.2, §1.3).
inline constexpr char kNodeAsn[] = "kube-router.io/node.asn";
inline constexpr char kPeers[] = "kube-router.io/peers";  // YAML list, preferred since v2.7
inline constexpr char kPeerIps[] = "kube-router.io/peer.ips";
inline constexpr char kPeerAsns[] = "kube-router.io/peer.asns";
inline constexpr char kPeerPasswords[] = "kube-router.io/peer.passwords";
inline constexpr char kPeerPorts[] = "kube-router.io/peer.ports";
inline constexpr char kPeerLocalIps[] = "kube-router.io/peer.localips";
inline constexpr char kPrependAs[] = "kube-router.io/path-prepend.as";
inline constexpr char kPrependRepeat[] = "kube-router.io/path-prepend.repeat-n";
inline constexpr char kCommunities[] = "kube-router.io/node.bgp.communities";
inline constexpr char kCustomImportReject[] = "kube-router.io/node.bgp.customimportreject";
inline constexpr char kRrServer[] = "kube-router.io/rr.server";
inline constexpr char kRrClient[] = "kube-router.io/rr.client";
inline constexpr char kPodCidr[] = "kube-router.io/pod-cidr";
inline constexpr char kPodCidrs[] = "kube-router.io/pod-cidrs";
inline constexpr char kSvcAdvertiseClusterIp[] = "kube-router.io/service.advertise.clusterip";
inline constexpr char kSvcAdvertiseExternalIp[] = "kube-router.io/service.advertise.externalip";
inline constexpr char kSvcAdvertiseLbIp[] = "kube-router.io/service.advertise.loadbalancerip";
inline constexpr char kSvcSkipLbIps[] = "kube-router.io/service.skiplbips";
inline constexpr char kSvcLocal[] = "kube-router.io/service.local";

// Parses one community as kube-router accepts it: a 32-bit number, "a:b" (16-bit halves) or
// a well-known name ("no-export", ...). Returns nullopt when it is none of those.
std::optional<uint32_t> ParseCommunity(const std::string& text);
// Standard base64 (with or without padding); nullopt on bad input.
std::optional<std::string> DecodeBase64(const std::string& text);

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_DESIRED_DESIRED_H_
