#include "sidecar/metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace kbgp::sidecar {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Seconds: an idle pass takes about a millisecond, a full pass against a large daemon seconds.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10};

}  // namespace

SyncMetrics::SyncMetrics(const std::vector<std::string>& kinds)
    : registry_(std::make_shared<prometheus::Registry>()),
      runs_(BuildCounter()
                .Name("kbgp_sync_reconcile_runs_total")
                .Help("Reconcile passes, by result (ok, error)")
                .Register(*registry_)),
      duration_(BuildHistogram()
                    .Name("kbgp_sync_reconcile_duration_seconds")
                    .Help("Duration of a reconcile pass (desired state and daemon calls)")
                    .Register(*registry_)
                    .Add({}, kDurationBuckets)),
      last_success_(BuildGauge()
                        .Name("kbgp_sync_last_success_timestamp_seconds")
                        .Help("Unix time of the last successful reconcile pass (0: none yet)")
                        .Register(*registry_)
                        .Add({})),
      api_calls_(BuildCounter()
                     .Name("kbgp_sync_api_calls_total")
                     .Help("Calls to the BGP daemon's gRPC API (api=bgp, call=method) and to "
                           "the Kubernetes API (api=kube, call=kind), by result")
                     .Register(*registry_)),
      changes_(BuildCounter()
                   .Name("kbgp_sync_daemon_changes_total")
                   .Help("Changing calls made to the BGP daemon")
                   .Register(*registry_)
                   .Add({})),
      bgp_starts_(BuildCounter()
                      .Name("kbgp_sync_bgp_starts_total")
                      .Help("Times the sidecar started the daemon's BGP instance (StartBgp)")
                      .Register(*registry_)
                      .Add({})),
      watch_restarts_(BuildCounter()
                          .Name("kbgp_sync_watch_restarts_total")
                          .Help("Kubernetes watches started again (stream ended or failed)")
                          .Register(*registry_)),
      relists_(BuildCounter()
                   .Name("kbgp_sync_relists_total")
                   .Help("Full lists of a kind (at start and after 410 Gone)")
                   .Register(*registry_)),
      vips_(BuildGauge()
                .Name("kbgp_sync_vips_advertised")
                .Help("Service VIPs this node advertises (as of the last successful pass)")
                .Register(*registry_)
                .Add({})),
      paths_(BuildGauge()
                 .Name("kbgp_sync_paths_advertised")
                 .Help("Prefixes this node originates: VIPs and pod CIDRs (last successful "
                       "pass)")
                 .Register(*registry_)
                 .Add({})),
      peers_(BuildGauge()
                 .Name("kbgp_sync_peers_configured")
                 .Help("BGP peers configured in the daemon (last successful pass)")
                 .Register(*registry_)
                 .Add({})),
      ready_(BuildGauge()
                 .Name("kbgp_sync_ready")
                 .Help("1 when /readyz answers 200: caches synced and the last pass succeeded")
                 .Register(*registry_)
                 .Add({})),
      peer_info_(BuildGauge()
                     .Name("kube_router_bgp_peer_info")
                     .Help("BGP peer info (kube-router's metric): one series per configured "
                           "peer, 1 when its session is established, else 0")
                     .Register(*registry_)) {
  runs_.Add({{"result", "ok"}});
  runs_.Add({{"result", "error"}});
  for (const std::string& kind : kinds) {
    relists_.Add({{"kind", kind}});
    watch_restarts_.Add({{"kind", kind}});
  }
}

void SyncMetrics::ReconcileDone(bool ok, double seconds, int changes, bool started_bgp,
                                const DesiredState& desired) {
  duration_.Observe(seconds);
  if (changes > 0) changes_.Increment(changes);
  if (started_bgp) bgp_starts_.Increment();
  runs_.Add({{"result", ok ? "ok" : "error"}}).Increment();
  if (!ok) return;
  last_success_.SetToCurrentTime();
  vips_.Set(static_cast<double>(desired.vips.size()));
  paths_.Set(static_cast<double>(desired.paths.size()));
  peers_.Set(static_cast<double>(desired.peers.size()));
}

void SyncMetrics::UpdatePeers(const std::map<std::string, DesiredPeer>& peers,
                              const std::map<std::string, std::string>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, prometheus::Gauge*> fresh;
  for (const auto& [addr, p] : peers) {
    auto ps = states.find(addr);
    const std::string state = ps == states.end() ? "unknown" : ps->second;
    const std::string type = p.external ? "external" : "internal";
    const std::string asn = absl::StrCat(p.asn);
    std::string key = absl::StrCat(addr, "|", asn, "|", type, "|", state);
    auto it = peer_gauges_.find(key);
    if (it != peer_gauges_.end()) {
      fresh.insert(peer_gauges_.extract(it));
      continue;
    }
    prometheus::Gauge& g = peer_info_.Add(
        {{"address", addr}, {"asn", asn}, {"type", type}, {"state", state}});
    g.Set(state == "established" ? 1 : 0);
    fresh.emplace(std::move(key), &g);
  }
  for (auto& [key, g] : peer_gauges_) peer_info_.Remove(g);
  peer_gauges_.swap(fresh);
}

void SyncMetrics::ApiCall(const std::string& api, const std::string& call, bool ok) {
  api_calls_.Add({{"api", api}, {"call", call}, {"result", ok ? "ok" : "error"}}).Increment();
}

void SyncMetrics::Relist(const std::string& kind) { relists_.Add({{"kind", kind}}).Increment(); }

void SyncMetrics::WatchRestart(const std::string& kind) {
  watch_restarts_.Add({{"kind", kind}}).Increment();
}

void SyncMetrics::SetReady(bool ready) { ready_.Set(ready ? 1 : 0); }

std::string SyncMetrics::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (prometheus::MetricFamily& f : process_.Collect()) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace kbgp::sidecar
