// How to reach the Kubernetes API: from a kubeconfig file (current context; server,
// certificate-authority / -data, insecure-skip-tls-verify, token / tokenFile) or in-cluster
// (KUBERNETES_SERVICE_HOST/PORT and the service account's token and CA).
#ifndef KBGP_SIDECAR_KUBE_CONFIG_H_
#define KBGP_SIDECAR_KUBE_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace kbgp::sidecar {

struct KubeConfig {
  std::string scheme = "https";  // "https" or "http"
  std::string host;
  int port = 443;
  std::string ca_file;  // PEM file with the cluster CA
  std::string ca_pem;   // or the PEM itself (certificate-authority-data)
  bool insecure = false;
  std::string token;       // a fixed bearer token
  std::string token_file;  // or a file, re-read when it changes (rotation)
  // The kubeconfig file this came from: an inline token is re-read from it when the file
  // changes (a rotated token written into the kubeconfig).
  std::string kubeconfig_path;
};

inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

// Parses kubeconfig YAML text; `dir` resolves relative file paths.
absl::StatusOr<KubeConfig> ParseKubeconfig(const std::string& yaml_text, const std::string& dir);
absl::StatusOr<KubeConfig> LoadKubeconfig(const std::string& path);
// From the environment and `sa_dir` (kServiceAccountDir in a pod).
absl::StatusOr<KubeConfig> InClusterConfig(const std::string& sa_dir = kServiceAccountDir);
// "https://host:port" -> scheme, host, port (IPv6 in brackets).
absl::Status ParseServerUrl(const std::string& url, KubeConfig* out);

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_KUBE_CONFIG_H_
