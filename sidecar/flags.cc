#include "sidecar/flags.h"

#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "yaml-cpp/yaml.h"

namespace kbgp::sidecar {

const char kSidecarUsage[] =
    "usage: kbgp-sync [flags]   (NODE_NAME names this node unless --hostname-override)\n"
    "kube-router flags:\n"
    "  --cluster-asn N  --nodes-full-mesh[=BOOL]  --enable-ibgp[=BOOL]\n"
    "  --peer-router-ips A,B  --peer-router-asns N,M  --peer-router-ports P,Q\n"
    "  --peer-router-passwords B64,B64  --peer-router-passwords-file FILE\n"
    "  --peer-router-multihop-ttl N  --advertise-pod-cidr[=BOOL]  --advertise-cluster-ip[=BOOL]\n"
    "  --advertise-external-ip[=BOOL]  --advertise-loadbalancer-ip[=BOOL]  --override-nexthop[=BOOL]\n"
    "  --bgp-port N  --bgp-holdtime DUR  --bgp-graceful-restart[=BOOL]\n"
    "  --bgp-graceful-restart-time DUR  --bgp-graceful-restart-deferral-time DUR\n"
    "  --router-id ID|generate  --enable-ipv4[=BOOL]  --enable-ipv6[=BOOL]\n"
    "  --hostname-override NAME  --kubeconfig FILE  --routes-sync-period DUR\n"
    "kbgp-sync flags:\n"
    "  --api HOST:PORT|unix:///PATH (127.0.0.1:50051)  --resync-period DUR (5m)\n"
    "  --metrics-address HOST:PORT|none (127.0.0.1:9180)  --config FILE (YAML, same keys)\n"
    "  --daemon-check-period DUR (500ms)  --debounce DUR (5ms)  --watch-timeout SECONDS (300)\n"
    "  --list-page-size N (500)"
    "  --log-level debug|info|warn|error  --log-json\n"
    "DUR: seconds, or a Go-style duration (90s, 5m, 1h30m, 500ms).\n";

namespace {

absl::Status Bad(const std::string& name, const std::string& value, const char* what) {
  return absl::InvalidArgumentError(absl::StrCat("--", name, "=", value, ": ", what));
}

bool ParseBool(const std::string& v, bool* out) {
  std::string l = absl::AsciiStrToLower(v);
  if (l == "true" || l == "1" || l == "yes" || l.empty()) {
    *out = true;
    return true;
  }
  if (l == "false" || l == "0" || l == "no") {
    *out = false;
    return true;
  }
  return false;
}

// "90" (seconds), "90s", "5m", "1h30m", "500ms".
bool ParseDuration(const std::string& v, double* seconds) {
  double plain = 0;
  if (absl::SimpleAtod(v, &plain)) {
    if (!(plain >= 0) || std::isinf(plain)) return false;
    *seconds = plain;
    return true;
  }
  double total = 0;
  size_t i = 0;
  if (v.empty()) return false;
  while (i < v.size()) {
    size_t j = i;
    while (j < v.size() && (absl::ascii_isdigit(v[j]) || v[j] == '.')) ++j;
    if (j == i) return false;
    double num = 0;
    if (!absl::SimpleAtod(v.substr(i, j - i), &num)) return false;
    size_t k = j;
    while (k < v.size() && absl::ascii_isalpha(v[k])) ++k;
    std::string unit = v.substr(j, k - j);
    double mult = 0;
    if (unit == "h") mult = 3600;
    else if (unit == "m") mult = 60;
    else if (unit == "s") mult = 1;
    else if (unit == "ms") mult = 0.001;
    else return false;
    total += num * mult;
    i = k;
  }
  *seconds = total;
  return true;
}

bool ParseU32List(const std::string& v, std::vector<uint32_t>* out) {
  out->clear();
  for (absl::string_view p : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
    uint32_t x = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(p), &x)) return false;
    out->push_back(x);
  }
  return true;
}

std::vector<std::string> StrList(const std::string& v) {
  std::vector<std::string> out;
  for (absl::string_view p : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(p));
  }
  return out;
}

bool IsBoolFlag(const std::string& name) {
  static const char* kBools[] = {"nodes-full-mesh", "enable-ibgp", "advertise-pod-cidr",
                                 "advertise-cluster-ip", "advertise-external-ip",
                                 "advertise-loadbalancer-ip", "override-nexthop",
                                 "bgp-graceful-restart", "enable-ipv4", "enable-ipv6",
                                 "log-json", "help"};
  for (const char* b : kBools) {
    if (name == b) return true;
  }
  return false;
}

}  // namespace

absl::Status SetSidecarFlag(const std::string& name, const std::string& value, SidecarFlags* f) {
  Options& o = f->options;
  auto boolean = [&](bool* dst) {
    return ParseBool(value, dst) ? absl::OkStatus() : Bad(name, value, "not a boolean");
  };
  auto u32 = [&](uint32_t* dst, uint32_t min, uint32_t max) {
    uint32_t x = 0;
    if (!absl::SimpleAtoi(value, &x) || x < min || x > max) {
      return Bad(name, value, "not a number in range");
    }
    *dst = x;
    return absl::OkStatus();
  };
  auto seconds = [&](double* dst) {
    return ParseDuration(value, dst) ? absl::OkStatus() : Bad(name, value, "not a duration");
  };
  auto seconds_u32 = [&](uint32_t* dst, double min, double max) {
    double s = 0;
    if (!ParseDuration(value, &s) || s < min || s > max) return Bad(name, value, "bad duration");
    *dst = static_cast<uint32_t>(s);
    return absl::OkStatus();
  };
  if (name == "cluster-asn") return u32(&o.cluster_asn, 0, UINT32_MAX);
  if (name == "nodes-full-mesh") return boolean(&o.nodes_full_mesh);
  if (name == "enable-ibgp") return boolean(&o.enable_ibgp);
  if (name == "peer-router-ips") {
    o.peer_router_ips = StrList(value);
    return absl::OkStatus();
  }
  if (name == "peer-router-asns") {
    return ParseU32List(value, &o.peer_router_asns) ? absl::OkStatus()
                                                    : Bad(name, value, "not a list of ASNs");
  }
  if (name == "peer-router-ports") {
    return ParseU32List(value, &o.peer_router_ports) ? absl::OkStatus()
                                                     : Bad(name, value, "not a list of ports");
  }
  if (name == "peer-router-passwords") {
    o.peer_router_passwords = absl::StrSplit(value, ',');
    return absl::OkStatus();
  }
  if (name == "peer-router-passwords-file") {
    if (!o.peer_router_passwords.empty()) return absl::OkStatus();  // the flag wins (§1.1)
    FILE* fp = std::fopen(value.c_str(), "r");
    if (fp == nullptr) return Bad(name, value, "cannot read the file");
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0) text.append(buf, n);
    std::fclose(fp);
    o.peer_router_passwords = absl::StrSplit(absl::StripAsciiWhitespace(text), ',');
    return absl::OkStatus();
  }
  if (name == "peer-router-multihop-ttl") return u32(&o.peer_router_multihop_ttl, 0, 255);
  if (name == "advertise-pod-cidr") return boolean(&o.advertise_pod_cidr);
  if (name == "advertise-cluster-ip") return boolean(&o.advertise_cluster_ip);
  if (name == "advertise-external-ip") return boolean(&o.advertise_external_ip);
  if (name == "advertise-loadbalancer-ip") return boolean(&o.advertise_loadbalancer_ip);
  if (name == "override-nexthop") return boolean(&o.override_nexthop);
  if (name == "bgp-port") return u32(&o.bgp_port, 1, 65535);
  if (name == "bgp-holdtime") return seconds_u32(&o.bgp_holdtime, 3, 65535);
  if (name == "bgp-graceful-restart") return boolean(&o.bgp_graceful_restart);
  if (name == "bgp-graceful-restart-time") return seconds_u32(&o.bgp_graceful_restart_time, 1, 4095);
  if (name == "bgp-graceful-restart-deferral-time") {
    return seconds_u32(&o.bgp_graceful_restart_deferral_time, 1, 65535);
  }
  if (name == "router-id") {
    o.router_id = value;
    return absl::OkStatus();
  }
  if (name == "enable-ipv4") return boolean(&o.enable_ipv4);
  if (name == "enable-ipv6") return boolean(&o.enable_ipv6);
  if (name == "hostname-override") {
    f->hostname_override = value;
    return absl::OkStatus();
  }
  if (name == "kubeconfig") {
    f->kubeconfig = value;
    return absl::OkStatus();
  }
  if (name == "api") {
    f->api = value;
    return absl::OkStatus();
  }
  if (name == "metrics-address") {
    f->metrics_address = value;
    return absl::OkStatus();
  }
  if (name == "config") {
    f->config = value;
    return absl::OkStatus();
  }
  if (name == "resync-period" || name == "routes-sync-period") {
    absl::Status s = seconds(&f->resync_period);
    if (s.ok() && f->resync_period < 1) return Bad(name, value, "must be at least 1s");
    return s;
  }
  if (name == "daemon-check-period") {
    absl::Status s = seconds(&f->daemon_check_period);
    if (s.ok() && f->daemon_check_period < 0.05) return Bad(name, value, "must be at least 50ms");
    return s;
  }
  if (name == "debounce") return seconds(&f->debounce);
  if (name == "watch-timeout") {
    uint32_t v = 0;
    absl::Status s = u32(&v, 1, 3600);
    f->watch_timeout = static_cast<int>(v);
    return s;
  }
  if (name == "list-page-size") {
    uint32_t v = 0;
    absl::Status s = u32(&v, 1, 1000000);
    f->list_page_size = static_cast<int>(v);
    return s;
  }
  if (name == "log-level") {
    f->log_level = value;
    return absl::OkStatus();
  }
  if (name == "log-json") return boolean(&f->log_json);
  if (name == "help") return boolean(&f->help);
  return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
}

absl::Status LoadSidecarConfigFile(const std::string& path, SidecarFlags* flags) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config ", path, ": ", e.what()));
  }
  if (root.IsNull()) return absl::OkStatus();
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat("config ", path, ": not a map"));
  for (const auto& kv : root) {
    const YAML::Node& k = kv.first;
    const YAML::Node& v = kv.second;
    std::string key = k.IsScalar() ? k.Scalar() : "";
    std::string value;
    if (v.IsSequence()) {
      std::vector<std::string> parts;
      for (const YAML::Node& n : v) {
        if (!n.IsScalar()) return absl::InvalidArgumentError(absl::StrCat("config: ", key, ": not a list of scalars"));
        parts.push_back(n.Scalar());
      }
      value = absl::StrJoin(parts, ",");
    } else if (v.IsScalar()) {
      value = v.Scalar();
    } else if (!v.IsNull()) {
      return absl::InvalidArgumentError(absl::StrCat("config: ", key, ": not a scalar or list"));
    }
    if (key == "config") return absl::InvalidArgumentError("config: a config file cannot name another");
    absl::Status s = SetSidecarFlag(key, value, flags);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("config ", path, ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status ParseSidecarFlags(int argc, char** argv, SidecarFlags* flags) {
  std::vector<std::pair<std::string, std::string>> given;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!absl::StartsWith(a, "--") && !(a == "-h")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument ", a));
    }
    if (a == "-h") a = "--help";
    std::string body = a.substr(2);
    std::string name = body;
    std::string value;
    size_t eq = body.find('=');
    if (eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    } else if (IsBoolFlag(name)) {
      value = "true";
    } else {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(a, " needs a value"));
      value = argv[++i];
    }
    given.emplace_back(name, value);
  }
  for (const auto& [n, v] : given) {
    if (n == "config") flags->config = v;
  }
  if (!flags->config.empty()) {
    absl::Status s = LoadSidecarConfigFile(flags->config, flags);
    if (!s.ok()) return s;
  }
  for (const auto& [n, v] : given) {
    absl::Status s = SetSidecarFlag(n, v, flags);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace kbgp::sidecar
