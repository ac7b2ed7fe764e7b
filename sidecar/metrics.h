// kbgp-sync's Prometheus metrics (target kbgp_sidecar_metrics): the one list of the
// sidecar's families (sidecar/README.md "Metrics"), the events that move them, and the text
// exposition served on /metrics, with the process_* families of daemon/metrics
// (kbgp::metrics::ProcessCollector, shared with kbgpd).
//
// The HTTP server itself stays in kbgp_sync_main.cc (cpp-httplib), because /healthz and
// /readyz are served beside /metrics on the same address; prometheus-cpp's Exposer, which
// kbgp::metrics::Endpoint wraps, can serve only metric collectables.
//
// Invariants:
//  - Every family is declared in the constructor; the label sets that are known in advance
//    (result ok/error, the watched kinds) exist from the start with value 0, so rate() and
//    increase() see the first event.
//  - Every method is thread-safe (the reflector threads, the main loop and the HTTP threads
//    call in concurrently).
//  - promtool check metrics finds nothing in Render()'s output (sync_metrics_test).
#ifndef KBGP_SIDECAR_METRICS_H_
#define KBGP_SIDECAR_METRICS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/metrics/endpoint.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "sidecar/desired/desired.h"

namespace kbgp::sidecar {

class SyncMetrics {
 public:
  // kinds: the Kubernetes kinds watched (their relist and watch-restart series start at 0).
  explicit SyncMetrics(const std::vector<std::string>& kinds);
  SyncMetrics(const SyncMetrics&) = delete;
  SyncMetrics& operator=(const SyncMetrics&) = delete;

  // A reconcile pass ended. On success (ok), desired is what the daemon now has; on a
  // failure it is not looked at.
  void ReconcileDone(bool ok, double seconds, int changes, bool started_bgp,
                     const DesiredState& desired);
  // kube_router_bgp_peer_info: one series per configured peer with its session state
  // ("established", ...; "unknown" for a peer missing from states), value 1 when
  // established and 0 otherwise, as kube-router sets it (its PR #2003).
  void UpdatePeers(const std::map<std::string, DesiredPeer>& peers,
                   const std::map<std::string, std::string>& states);
  // api "bgp" (call: gRPC method) or "kube" (call: the kind listed or watched).
  void ApiCall(const std::string& api, const std::string& call, bool ok);
  void Relist(const std::string& kind);
  void WatchRestart(const std::string& kind);
  void SetReady(bool ready);

  // The text exposition format (version 0.0.4) of every family plus process_*.
  std::string Render() const;
  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  kbgp::metrics::ProcessCollector process_;
  prometheus::Family<prometheus::Counter>& runs_;
  prometheus::Histogram& duration_;
  prometheus::Gauge& last_success_;
  prometheus::Family<prometheus::Counter>& api_calls_;
  prometheus::Counter& changes_;
  prometheus::Counter& bgp_starts_;
  prometheus::Family<prometheus::Counter>& watch_restarts_;
  prometheus::Family<prometheus::Counter>& relists_;
  prometheus::Gauge& vips_;
  prometheus::Gauge& paths_;
  prometheus::Gauge& peers_;
  prometheus::Gauge& ready_;
  prometheus::Family<prometheus::Gauge>& peer_info_;

  std::mutex mu_;  // guards peer_gauges_ (UpdatePeers from two threads)
  std::map<std::string, prometheus::Gauge*> peer_gauges_;  // by label values
};

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_METRICS_H_
