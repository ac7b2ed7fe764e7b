// kbgp-sync's flags: kube-router's names (k8s-bgp.md §1.1) plus the sidecar's own. Every flag
// can also be a key of the --config YAML file (same name without the leading dashes); the
// command line wins over the file.
#ifndef KBGP_SIDECAR_FLAGS_H_
#define KBGP_SIDECAR_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sidecar/desired/desired.h"

namespace kbgp::sidecar {

struct SidecarFlags {
  Options options;
  std::string api = "127.0.0.1:50051";  // host:port or unix:///path
  std::string kubeconfig;               // "" = in-cluster
  std::string hostname_override;        // "" = $NODE_NAME
  std::string metrics_address = "127.0.0.1:9180";  // "" or "none": off
  std::string config;
  double resync_period = 300;       // seconds (kube-router --routes-sync-period 5m)
  double daemon_check_period = 0.5; // seconds between GetBgp liveness checks
  double debounce = 0.005;          // seconds to gather cache changes
  int watch_timeout = 300;          // timeoutSeconds of each watch request
  int list_page_size = 500;         // limit of each list request (client-go's default)
  std::string log_level = "info";
  bool log_json = false;
  bool help = false;
};

extern const char kSidecarUsage[];

// Parses argv (and the --config file it names, if any) into *flags.
absl::Status ParseSidecarFlags(int argc, char** argv, SidecarFlags* flags);
// Applies one "name=value" (name without dashes); for the config file and tests.
absl::Status SetSidecarFlag(const std::string& name, const std::string& value, SidecarFlags* flags);
absl::Status LoadSidecarConfigFile(const std::string& path, SidecarFlags* flags);

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_FLAGS_H_
