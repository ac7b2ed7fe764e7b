// Turns a loaded gobgpd config into BgpServer operations: the initial start, and on SIGHUP
// only the difference (unchanged sessions stay up). This is the one place that knows both the
// config model and the server's specs (DESIGN.md: config sits above server).
#ifndef KBGP_DAEMON_CONFIG_APPLY_H_
#define KBGP_DAEMON_CONFIG_APPLY_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/config/config.h"
#include "daemon/server/server.h"

namespace kbgp::config {

server::GlobalSpec ToGlobalSpec(const Config& config);
// defined-sets, policy-definitions, global apply-policy and the apply-policy of route server
// clients (gobgpd uses a neighbor's own assignment only for route server clients).
policy::PolicyConfig ToPolicyConfig(const Config& config);
absl::StatusOr<server::NeighborSpec> ToNeighborSpec(const Config& config, const Neighbor& n);

// Starts the server from `config` and adds every neighbor.
absl::Status ApplyInitial(server::BgpServer& server, const Config& config);
// Applies what changed from `old_config` to `new_config`. A changed `global` section cannot
// be applied to a running server (as in gobgpd): that is an error and nothing changes.
absl::Status ApplyReload(server::BgpServer& server, const Config& old_config,
                         const Config& new_config);

}  // namespace kbgp::config

#endif  // KBGP_DAEMON_CONFIG_APPLY_H_
