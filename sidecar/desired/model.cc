#include "sidecar/desired/model.h"

#include <algorithm>

namespace kbgp::sidecar {
namespace {

using nlohmann::json;

const json* Get(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Str(const json& obj, const char* key) {
  const json* v = Get(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::vector<std::string> StrList(const json& obj, const char* key) {
  std::vector<std::string> out;
  const json* v = Get(obj, key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json& e : *v) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

Annotations StrMap(const json& obj, const char* key) {
  Annotations out;
  const json* v = Get(obj, key);
  if (v == nullptr || !v->is_object()) return out;
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  }
  return out;
}

const json& Sub(const json& obj, const char* key) {
  static const json kEmpty = json::object();
  const json* v = Get(obj, key);
  return v != nullptr && v->is_object() ? *v : kEmpty;
}

}  // namespace

NodeInfo ParseNode(const json& obj) {
  NodeInfo n;
  const json& meta = Sub(obj, "metadata");
  n.name = Str(meta, "name");
  n.annotations = StrMap(meta, "annotations");
  const json& spec = Sub(obj, "spec");
  n.pod_cidrs = StrList(spec, "podCIDRs");
  if (n.pod_cidrs.empty()) {
    std::string one = Str(spec, "podCIDR");
    if (!one.empty()) n.pod_cidrs.push_back(one);
  }
  const json* addrs = Get(Sub(obj, "status"), "addresses");
  if (addrs != nullptr && addrs->is_array()) {
    for (const json& a : *addrs) {
      std::string type = Str(a, "type");
      std::string address = Str(a, "address");
      if (address.empty()) continue;
      if (type == "InternalIP") n.internal_ips.push_back(address);
      if (type == "ExternalIP") n.external_ips.push_back(address);
    }
  }
  return n;
}

ServiceInfo ParseService(const json& obj) {
  ServiceInfo s;
  const json& meta = Sub(obj, "metadata");
  s.ns = Str(meta, "namespace");
  s.name = Str(meta, "name");
  s.annotations = StrMap(meta, "annotations");
  const json& spec = Sub(obj, "spec");
  s.type = Str(spec, "type");
  if (s.type.empty()) s.type = "ClusterIP";
  s.cluster_ips = StrList(spec, "clusterIPs");
  std::string one = Str(spec, "clusterIP");
  if (!one.empty() && std::find(s.cluster_ips.begin(), s.cluster_ips.end(), one) ==
                          s.cluster_ips.end()) {
    s.cluster_ips.push_back(one);
  }
  s.external_ips = StrList(spec, "externalIPs");
  s.external_traffic_local = Str(spec, "externalTrafficPolicy") == "Local";
  s.internal_traffic_local = Str(spec, "internalTrafficPolicy") == "Local";
  const json* ingress = Get(Sub(Sub(obj, "status"), "loadBalancer"), "ingress");
  if (ingress != nullptr && ingress->is_array()) {
    for (const json& i : *ingress) {
      std::string ip = Str(i, "ip");
      std::string mode = Str(i, "ipMode");
      if (!ip.empty() && (mode.empty() || mode == "VIP")) s.lb_ingress_ips.push_back(ip);
    }
  }
  return s;
}

EndpointSliceInfo ParseEndpointSlice(const json& obj) {
  EndpointSliceInfo e;
  const json& meta = Sub(obj, "metadata");
  e.ns = Str(meta, "namespace");
  e.name = Str(meta, "name");
  Annotations labels = StrMap(meta, "labels");
  auto it = labels.find("kubernetes.io/service-name");
  if (it != labels.end()) e.service_name = it->second;
  const json* eps = Get(obj, "endpoints");
  if (eps != nullptr && eps->is_array()) {
    for (const json& ep : *eps) {
      EndpointInfo info;
      info.addresses = StrList(ep, "addresses");
      const json* node = Get(ep, "nodeName");
      if (node != nullptr && node->is_string()) info.node_name = node->get<std::string>();
      const json* ready = Get(Sub(ep, "conditions"), "ready");
      if (ready != nullptr && ready->is_boolean()) info.ready = ready->get<bool>();
      e.endpoints.push_back(std::move(info));
    }
  }
  return e;
}

}  // namespace kbgp::sidecar
