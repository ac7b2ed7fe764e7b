#include "sidecar/metrics.h"

#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/metrics/promtool_check.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"

namespace kbgp::sidecar {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

const std::vector<std::string> kKinds = {"Node", "Service", "EndpointSlice"};

const MetricFamily* Find(const std::vector<MetricFamily>& fs, const std::string& name) {
  for (const MetricFamily& f : fs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The value of the series of `name` with exactly these labels; -1 when there is none.
double Value(SyncMetrics& m, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  std::vector<MetricFamily> fs = m.registry().Collect();
  const MetricFamily* f = Find(fs, name);
  if (f == nullptr) return -1;
  for (const prometheus::ClientMetric& cm : f->metric) {
    std::map<std::string, std::string> got;
    for (const auto& l : cm.label) got[l.name] = l.value;
    if (got != labels) continue;
    switch (f->type) {
      case MetricType::Counter: return cm.counter.value;
      case MetricType::Gauge: return cm.gauge.value;
      case MetricType::Histogram: return static_cast<double>(cm.histogram.sample_count);
      default: return -2;
    }
  }
  return -1;
}

// The families kbgp-sync serves, as sidecar/README.md lists them. kube_router_bgp_peer_info
// has kube-router's name, type and labels (../shared/reference/k8s-bgp.md §3.1).
struct Expected {
  const char* name;
  MetricType type;
  std::set<std::string> labels;
};
const Expected kFamilies[] = {
    {"kbgp_sync_reconcile_runs_total", MetricType::Counter, {"result"}},
    {"kbgp_sync_reconcile_duration_seconds", MetricType::Histogram, {}},
    {"kbgp_sync_last_success_timestamp_seconds", MetricType::Gauge, {}},
    {"kbgp_sync_api_calls_total", MetricType::Counter, {"api", "call", "result"}},
    {"kbgp_sync_daemon_changes_total", MetricType::Counter, {}},
    {"kbgp_sync_bgp_starts_total", MetricType::Counter, {}},
    {"kbgp_sync_watch_restarts_total", MetricType::Counter, {"kind"}},
    {"kbgp_sync_relists_total", MetricType::Counter, {"kind"}},
    {"kbgp_sync_vips_advertised", MetricType::Gauge, {}},
    {"kbgp_sync_paths_advertised", MetricType::Gauge, {}},
    {"kbgp_sync_peers_configured", MetricType::Gauge, {}},
    {"kbgp_sync_ready", MetricType::Gauge, {}},
    {"kube_router_bgp_peer_info", MetricType::Gauge, {"address", "asn", "type", "state"}},
};

DesiredPeer Peer(const std::string& address, uint32_t asn, bool external) {
  DesiredPeer p;
  p.address = address;
  p.asn = asn;
  p.external = external;
  return p;
}

// Exercises every family, so each has at least one series.
void Exercise(SyncMetrics& m) {
  DesiredState d;
  d.ok = true;
  d.paths = {{"10.244.1.0/24", "10.0.0.3"}, {"192.0.2.10/32", "10.0.0.3"},
             {"192.0.2.20/32", "10.0.0.3"}};
  d.vips = {"192.0.2.10/32", "192.0.2.20/32"};
  d.peers = {{"10.0.0.2", Peer("10.0.0.2", 65000, true)},
             {"10.0.0.4", Peer("10.0.0.4", 64512, false)}};
  m.ReconcileDone(true, 0.002, 5, true, d);
  m.UpdatePeers(d.peers, {{"10.0.0.2", "established"}, {"10.0.0.4", "active"}});
  m.ApiCall("bgp", "AddPath", true);
  m.ApiCall("kube", "Node", false);
  m.SetReady(true);
}

TEST(SyncMetricsTest, FamiliesHaveTheDocumentedNamesTypesAndLabels) {
  SyncMetrics m(kKinds);
  Exercise(m);
  std::vector<MetricFamily> fs = m.registry().Collect();
  std::set<std::string> want_names;
  for (const Expected& e : kFamilies) {
    want_names.insert(e.name);
    SCOPED_TRACE(e.name);
    const MetricFamily* f = Find(fs, e.name);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->type, e.type);
    EXPECT_FALSE(f->help.empty());
    ASSERT_FALSE(f->metric.empty());
    for (const prometheus::ClientMetric& cm : f->metric) {
      std::set<std::string> got;
      for (const auto& l : cm.label) got.insert(l.name);
      EXPECT_EQ(got, e.labels);
    }
  }
  std::set<std::string> got_names;
  for (const MetricFamily& f : fs) got_names.insert(f.name);
  EXPECT_EQ(got_names, want_names) << "a family was added or removed: update kFamilies and "
                                      "sidecar/README.md";
}

TEST(SyncMetricsTest, KnownSeriesExistFromTheStart) {
  SyncMetrics m(kKinds);
  EXPECT_EQ(Value(m, "kbgp_sync_reconcile_runs_total", {{"result", "ok"}}), 0);
  EXPECT_EQ(Value(m, "kbgp_sync_reconcile_runs_total", {{"result", "error"}}), 0);
  for (const std::string& k : kKinds) {
    EXPECT_EQ(Value(m, "kbgp_sync_relists_total", {{"kind", k}}), 0) << k;
    EXPECT_EQ(Value(m, "kbgp_sync_watch_restarts_total", {{"kind", k}}), 0) << k;
  }
  EXPECT_EQ(Value(m, "kbgp_sync_last_success_timestamp_seconds"), 0);
  EXPECT_EQ(Value(m, "kbgp_sync_ready"), 0);
  EXPECT_EQ(Value(m, "kbgp_sync_reconcile_duration_seconds"), 0);
}

TEST(SyncMetricsTest, EventsMoveTheirSeries) {
  SyncMetrics m(kKinds);
  Exercise(m);
  EXPECT_EQ(Value(m, "kbgp_sync_reconcile_runs_total", {{"result", "ok"}}), 1);
  EXPECT_EQ(Value(m, "kbgp_sync_reconcile_duration_seconds"), 1);
  EXPECT_GT(Value(m, "kbgp_sync_last_success_timestamp_seconds"), 1.6e9);
  EXPECT_EQ(Value(m, "kbgp_sync_daemon_changes_total"), 5);
  EXPECT_EQ(Value(m, "kbgp_sync_bgp_starts_total"), 1);
  EXPECT_EQ(Value(m, "kbgp_sync_vips_advertised"), 2);
  EXPECT_EQ(Value(m, "kbgp_sync_paths_advertised"), 3);
  EXPECT_EQ(Value(m, "kbgp_sync_peers_configured"), 2);
  EXPECT_EQ(Value(m, "kbgp_sync_ready"), 1);
  EXPECT_EQ(Value(m, "kbgp_sync_api_calls_total",
                  {{"api", "bgp"}, {"call", "AddPath"}, {"result", "ok"}}), 1);
  EXPECT_EQ(Value(m, "kbgp_sync_api_calls_total",
                  {{"api", "kube"}, {"call", "Node"}, {"result", "error"}}), 1);
  EXPECT_EQ(Value(m, "kube_router_bgp_peer_info", {{"address", "10.0.0.2"}, {"asn", "65000"},
                                                   {"type", "external"},
                                                   {"state", "established"}}), 1);
  EXPECT_EQ(Value(m, "kube_router_bgp_peer_info", {{"address", "10.0.0.4"}, {"asn", "64512"},
                                                   {"type", "internal"}, {"state", "active"}}),
            0) << "kube-router's value: 1 only when established";

  m.Relist("Service");
  m.WatchRestart("Node");
  m.WatchRestart("Node");
  EXPECT_EQ(Value(m, "kbgp_sync_relists_total", {{"kind", "Service"}}), 1);
  EXPECT_EQ(Value(m, "kbgp_sync_watch_restarts_total", {{"kind", "Node"}}), 2);

  // A failed pass counts, keeps the last good state, and changes nothing else.
  const double last = Value(m, "kbgp_sync_last_success_timestamp_seconds");
  m.ReconcileDone(false, 0.5, 0, false, DesiredState{});
  m.SetReady(false);
  EXPECT_EQ(Value(m, "kbgp_sync_reconcile_runs_total", {{"result", "error"}}), 1);
  EXPECT_EQ(Value(m, "kbgp_sync_reconcile_duration_seconds"), 2);
  EXPECT_EQ(Value(m, "kbgp_sync_last_success_timestamp_seconds"), last);
  EXPECT_EQ(Value(m, "kbgp_sync_vips_advertised"), 2);
  EXPECT_EQ(Value(m, "kbgp_sync_ready"), 0);
}

TEST(SyncMetricsTest, PeerInfoFollowsStateChangesAndRemovals) {
  SyncMetrics m(kKinds);
  std::map<std::string, DesiredPeer> peers = {{"10.0.0.2", Peer("10.0.0.2", 65000, true)},
                                              {"10.0.0.4", Peer("10.0.0.4", 64512, false)}};
  m.UpdatePeers(peers, {});
  EXPECT_EQ(Value(m, "kube_router_bgp_peer_info", {{"address", "10.0.0.2"}, {"asn", "65000"},
                                                   {"type", "external"}, {"state", "unknown"}}),
            0);
  peers.erase("10.0.0.4");
  m.UpdatePeers(peers, {{"10.0.0.2", "established"}});
  std::vector<MetricFamily> fs = m.registry().Collect();
  const MetricFamily* f = Find(fs, "kube_router_bgp_peer_info");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->metric.size(), 1u) << "the old state's and the removed peer's series are gone";
  EXPECT_EQ(Value(m, "kube_router_bgp_peer_info", {{"address", "10.0.0.2"}, {"asn", "65000"},
                                                   {"type", "external"},
                                                   {"state", "established"}}), 1);
}

TEST(SyncMetricsTest, RenderHasTheFamiliesAndProcessMetrics) {
  SyncMetrics m(kKinds);
  Exercise(m);
  const std::string text = m.Render();
  std::map<std::string, std::string> types;  // from "# TYPE name type"
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "# TYPE ")) continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    ASSERT_EQ(parts.size(), 2u) << line;
    types[parts[0]] = parts[1];
  }
  EXPECT_EQ(types["kbgp_sync_reconcile_runs_total"], "counter");
  EXPECT_EQ(types["kbgp_sync_reconcile_duration_seconds"], "histogram");
  EXPECT_EQ(types["kube_router_bgp_peer_info"], "gauge");
  EXPECT_EQ(types["process_cpu_seconds_total"], "counter");
  EXPECT_EQ(types["process_resident_memory_bytes"], "gauge");
  EXPECT_EQ(types["process_open_fds"], "gauge");
  EXPECT_EQ(types["process_start_time_seconds"], "gauge");
}

// The acceptance: `promtool check metrics` passes (no parse error, no lint finding).
TEST(SyncMetricsTest, PromtoolFindsNothing) {
  if (access(metrics::kPromtool, X_OK) != 0) GTEST_SKIP() << "no " << metrics::kPromtool;
  SyncMetrics m(kKinds);
  Exercise(m);
  m.Relist("Node");
  const auto r = metrics::PromtoolCheckMetrics(m.Render());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_EQ(r->output, "");
}

}  // namespace
}  // namespace kbgp::sidecar
