// The parts of Kubernetes Nodes, Services and EndpointSlices that BGP cares about, parsed
// from the API's JSON. Parsing never throws: fields of the wrong type are treated as absent.
#ifndef KBGP_SIDECAR_DESIRED_MODEL_H_
#define KBGP_SIDECAR_DESIRED_MODEL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace kbgp::sidecar {

using Annotations = std::map<std::string, std::string>;

struct NodeInfo {
  std::string name;
  std::vector<std::string> internal_ips;  // status.addresses of type InternalIP, in order
  std::vector<std::string> external_ips;  // type ExternalIP
  std::vector<std::string> pod_cidrs;     // spec.podCIDRs, else spec.podCIDR
  Annotations annotations;
};

struct ServiceInfo {
  std::string ns;
  std::string name;
  std::string type;                        // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::vector<std::string> cluster_ips;    // spec.clusterIPs + spec.clusterIP ("None" kept)
  std::vector<std::string> external_ips;   // spec.externalIPs
  std::vector<std::string> lb_ingress_ips; // status.loadBalancer.ingress[].ip, ipMode != Proxy
  bool external_traffic_local = false;     // spec.externalTrafficPolicy == Local
  bool internal_traffic_local = false;     // spec.internalTrafficPolicy == Local
  Annotations annotations;
};

struct EndpointInfo {
  std::vector<std::string> addresses;
  std::optional<std::string> node_name;
  bool ready = true;  // conditions.ready; absent means ready (API documentation)
};

struct EndpointSliceInfo {
  std::string ns;
  std::string name;
  std::string service_name;  // label kubernetes.io/service-name
  std::vector<EndpointInfo> endpoints;
};

NodeInfo ParseNode(const nlohmann::json& obj);
ServiceInfo ParseService(const nlohmann::json& obj);
EndpointSliceInfo ParseEndpointSlice(const nlohmann::json& obj);

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_DESIRED_MODEL_H_
