// metrics: Prometheus exposition for kbgp's programs (kbgpd, kbgp-sync).
//
// This part (target kbgp_metrics) knows nothing of BGP: it owns one HTTP endpoint
// (prometheus-cpp's Exposer, CivetWeb underneath) on its own address, the Registry the
// program declares its metric families in, and the standard process_* collector (CPU seconds,
// resident and virtual memory, open and maximum file descriptors, start time). A program makes
// one Endpoint at startup, declares its families in registry() and adds scrape-time
// collectors with Add(). The BGP collectors of kbgpd are in bgp_metrics.h (target
// kbgp_metrics_bgp).
//
// Invariants:
//  - Scrapes run on the Exposer's threads. Families in registry() are thread-safe
//    (prometheus-cpp); a collector added with Add() must do its own synchronisation (kbgpd's
//    posts to the core loop).
//  - Start() either binds the address or fails with a status naming it; CivetWeb's
//    exceptions never leave this module.
#ifndef KBGP_DAEMON_METRICS_ENDPOINT_H_
#define KBGP_DAEMON_METRICS_ENDPOINT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace kbgp::metrics {

// Checks a metrics listen address and returns it in CivetWeb's listening_ports form:
// "IPv4:PORT", "[IPv6]:PORT" or ":PORT" (every IPv4 address). Host names are not resolved.
absl::StatusOr<std::string> ParseListenAddress(absl::string_view address);

class Endpoint {
 public:
  struct Options {
    std::string address = "127.0.0.1:9179";
    std::string path = "/metrics";
    bool process_metrics = true;  // process_* families
  };

  // Binds options.address and serves options.path. Errors: a bad address or path
  // (InvalidArgument), or the address cannot be bound (Unavailable); both name it.
  static absl::StatusOr<std::unique_ptr<Endpoint>> Start(const Options& options);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Where the program declares its families (BuildCounter().Register(registry())).
  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }
  // A collector computed at scrape time; the endpoint keeps it alive.
  void Add(std::shared_ptr<prometheus::Collectable> collectable);
  // The bound TCP port (the real one when the address asked for port 0).
  uint16_t port() const { return port_; }
  const std::string& path() const { return path_; }

 private:
  Endpoint() = default;

  std::string path_;
  uint16_t port_ = 0;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // last: stopped first
};

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds: the names and meanings of
// Prometheus's client libraries (the Go client's process collector), read from /proc/self.
class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace kbgp::metrics

#endif  // KBGP_DAEMON_METRICS_ENDPOINT_H_
