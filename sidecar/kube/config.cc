#include "sidecar/kube/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sidecar/desired/desired.h"
#include "yaml-cpp/yaml.h"

namespace kbgp::sidecar {
namespace {

std::string ResolvePath(const std::string& p, const std::string& dir) {
  if (p.empty() || p[0] == '/' || dir.empty()) return p;
  return dir + "/" + p;
}

// The entry of a kubeconfig list ("clusters", "users", "contexts") with that name.
YAML::Node Named(const YAML::Node& root, const char* list, const std::string& name,
                 const char* inner) {
  YAML::Node l = root[list];
  if (!l || !l.IsSequence()) return YAML::Node();
  for (const YAML::Node& e : l) {
    if (e.IsMap() && e["name"] && e["name"].IsScalar() && e["name"].as<std::string>() == name) {
      YAML::Node in = e[inner];
      return in && in.IsMap() ? in : YAML::Node();
    }
  }
  return YAML::Node();
}

std::string Scalar(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return "";
  YAML::Node v = n[key];
  return v && v.IsScalar() ? v.as<std::string>() : "";
}

}  // namespace

absl::Status ParseServerUrl(const std::string& url, KubeConfig* out) {
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out->scheme = "https";
    out->port = 443;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out->scheme = "http";
    out->port = 80;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("server URL must be https:// or http://: ", url));
  }
  size_t slash = rest.find('/');
  if (slash != absl::string_view::npos) rest = rest.substr(0, slash);
  absl::string_view host = rest;
  absl::string_view port;
  if (absl::ConsumePrefix(&host, "[")) {
    size_t close = host.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("bad server URL " + url);
    absl::string_view after = host.substr(close + 1);
    host = host.substr(0, close);
    if (absl::ConsumePrefix(&after, ":")) port = after;
  } else {
    size_t colon = host.rfind(':');
    if (colon != absl::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
  }
  if (host.empty()) return absl::InvalidArgumentError("server URL without a host: " + url);
  out->host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(port, &p) || p <= 0 || p > 65535) {
      return absl::InvalidArgumentError("bad port in server URL " + url);
    }
    out->port = p;
  }
  return absl::OkStatus();
}

absl::StatusOr<KubeConfig> ParseKubeconfig(const std::string& text, const std::string& dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.what()));
  }
  if (!root || !root.IsMap()) return absl::InvalidArgumentError("kubeconfig: not a YAML map");
  try {
    std::string ctx_name = Scalar(root, "current-context");
    YAML::Node ctx;
    if (!ctx_name.empty()) {
      ctx = Named(root, "contexts", ctx_name, "context");
      if (!ctx) {
        return absl::InvalidArgumentError(
            absl::StrCat("kubeconfig: current-context ", ctx_name, " not found"));
      }
    } else if (root["contexts"] && root["contexts"].IsSequence() && root["contexts"].size() == 1 &&
               root["contexts"][0]["context"].IsMap()) {
      ctx = root["contexts"][0]["context"];
    }
    std::string cluster_name = Scalar(ctx, "cluster");
    std::string user_name = Scalar(ctx, "user");
    YAML::Node cluster;
    if (!cluster_name.empty()) {
      cluster = Named(root, "clusters", cluster_name, "cluster");
    } else if (root["clusters"] && root["clusters"].IsSequence() && root["clusters"].size() == 1) {
      cluster = root["clusters"][0]["cluster"];
    }
    if (!cluster || !cluster.IsMap()) return absl::InvalidArgumentError("kubeconfig: no cluster");
    KubeConfig c;
    std::string server = Scalar(cluster, "server");
    if (server.empty()) return absl::InvalidArgumentError("kubeconfig: cluster has no server");
    absl::Status st = ParseServerUrl(server, &c);
    if (!st.ok()) return st;
    c.ca_file = ResolvePath(Scalar(cluster, "certificate-authority"), dir);
    std::string ca_data = Scalar(cluster, "certificate-authority-data");
    if (!ca_data.empty()) {
      auto pem = DecodeBase64(ca_data);
      if (!pem) return absl::InvalidArgumentError("kubeconfig: certificate-authority-data not base64");
      c.ca_pem = *pem;
    }
    c.insecure = Scalar(cluster, "insecure-skip-tls-verify") == "true";
    YAML::Node user;
    if (!user_name.empty()) user = Named(root, "users", user_name, "user");
    if (user) {
      c.token = Scalar(user, "token");
      c.token_file = ResolvePath(Scalar(user, "tokenFile"), dir);
      if (!Scalar(user, "client-certificate").empty() ||
          !Scalar(user, "client-certificate-data").empty() || user["exec"]) {
        if (c.token.empty() && c.token_file.empty()) {
          return absl::UnimplementedError(
              "kubeconfig: only bearer tokens (token, tokenFile) are supported, not client "
              "certificates or exec plugins");
        }
      }
    }
    return c;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.what()));
  }
}

absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read kubeconfig ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string dir;
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) dir = path.substr(0, slash);
  auto c = ParseKubeconfig(ss.str(), dir.empty() && !path.empty() && path[0] == '/' ? "/" : dir);
  if (c.ok()) c->kubeconfig_path = path;
  return c;
}

absl::StatusOr<KubeConfig> InClusterConfig(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0') {
    return absl::FailedPreconditionError(
        "not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset); use --kubeconfig");
  }
  std::string h = host;
  std::string url = h.find(':') != std::string::npos ? absl::StrCat("https://[", h, "]:", port)
                                                       : absl::StrCat("https://", h, ":", port);
  KubeConfig c;
  absl::Status st = ParseServerUrl(url, &c);
  if (!st.ok()) return st;
  c.ca_file = sa_dir + "/ca.crt";
  c.token_file = sa_dir + "/token";
  return c;
}

}  // namespace kbgp::sidecar
