// kbgpd's metrics (target kbgp_metrics_bgp, on top of kbgp_metrics and kbgp_server).
//
//  - BgpCollector: GoBGP's bgp_* families (pkg/metrics/metrics.go and docs/sources/metrics.md
//    in osrg/gobgp) with GoBGP's names, help texts, labels and types (six per-peer families
//    typed gauge or untyped so promtool passes, see bgp_metrics.cc), plus kbgp's Loc-RIB and
//    attribute pool sizes. Like GoBGP's collector it computes everything at scrape time from
//    the ListPeer view: the scrape thread posts one closure to the core loop (ListNeighbors
//    and PeerToApi, the same conversion ListPeer uses, so metrics and `gobgp neighbor` agree)
//    and waits for it with a timeout; it never reads server state itself.
//  - KbgpdMetrics: the families fed by events — UPDATE processing and flush latency (the
//    server's timing hook), core loop lag (a periodic timer on the loop measuring how late it
//    fires), config reloads (kbgpd's SIGHUP handler) and gRPC calls by method and code (a
//    server interceptor given to the ApiServer).
//
// Invariants: KbgpdMetrics is made, started and destroyed on the core thread (or before the
// loop runs / after it returned); its histograms and counters are thread-safe.
#ifndef KBGP_DAEMON_METRICS_BGP_METRICS_H_
#define KBGP_DAEMON_METRICS_BGP_METRICS_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "daemon/api_server/api_server.h"
#include "daemon/common/event_loop.h"
#include "daemon/server/server.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace kbgp::metrics {

class BgpCollector : public prometheus::Collectable {
 public:
  BgpCollector(EventLoop& loop, server::BgpServer& server,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // On the core's answer: every family below. If the core does not answer within the
  // timeout: only kbgp_metrics_collect_timeouts_total (the scrape still succeeds).
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  EventLoop& loop_;
  server::BgpServer& server_;
  const std::chrono::milliseconds timeout_;
  mutable std::atomic<uint64_t> timeouts_{0};
};

class KbgpdMetrics {
 public:
  // Declares the families in `registry` and hooks the server's timing observer.
  KbgpdMetrics(EventLoop& loop, server::BgpServer& server,
               std::shared_ptr<prometheus::Registry> registry);
  ~KbgpdMetrics();
  KbgpdMetrics(const KbgpdMetrics&) = delete;
  KbgpdMetrics& operator=(const KbgpdMetrics&) = delete;

  // Starts the loop-lag timer (every `period`, scaled by the loop's timer_scale like every
  // LoopTimer). Core thread.
  void StartLoopLag(std::chrono::milliseconds period = std::chrono::seconds(1));
  // A SIGHUP reload ended (ok: the new config was applied).
  void ConfigReloaded(bool ok);
  // For ApiOptions::interceptors: counts every call by method and status code. (Made here,
  // where gRPC's interceptor types are complete.)
  std::function<api_server::ApiOptions::Interceptors()> GrpcInterceptors();

  // Observed directly (tests).
  void ObserveLoopLag(std::chrono::nanoseconds lag);

 private:
  void ArmLag();

  EventLoop& loop_;
  server::BgpServer& server_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram* update_seconds_;
  prometheus::Histogram* flush_seconds_;
  prometheus::Histogram* lag_seconds_;
  prometheus::Gauge* lag_last_;
  prometheus::Family<prometheus::Counter>* reloads_;
  prometheus::Gauge* reload_ok_;
  prometheus::Family<prometheus::Counter>* grpc_started_;
  prometheus::Family<prometheus::Counter>* grpc_handled_;
  prometheus::Family<prometheus::Histogram>* grpc_seconds_;

  std::unique_ptr<LoopTimer> lag_timer_;
  std::chrono::milliseconds lag_period_{1000};
  Clock::TimePoint lag_due_{};
};

}  // namespace kbgp::metrics

#endif  // KBGP_DAEMON_METRICS_BGP_METRICS_H_
