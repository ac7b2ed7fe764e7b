// kbgp-sync: the Kubernetes sidecar. Watches Nodes, Services and EndpointSlices, computes this
// node's desired BGP state with kube-router's rules and brings the daemon (kbgpd or gobgpd) to
// it through GoBGP's gRPC API. See sidecar/README.md.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api/gobgp.grpc.pb.h"
#include "daemon/common/log.h"
#include "httplib.h"
#include "sidecar/desired/desired.h"
#include "sidecar/desired/model.h"
#include "sidecar/flags.h"
#include "sidecar/kube/client.h"
#include "sidecar/kube/config.h"
#include "sidecar/kube/reflector.h"
#include "sidecar/metrics.h"
#include "sidecar/reconcile/reconcile.h"

namespace kbgp::sidecar {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
std::mutex g_mu;
std::condition_variable g_cv;
bool g_dirty = true;

void Wake() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_dirty = true;
  g_cv.notify_all();
}

void OnSignal(int) {
  g_stop = true;
  // notify_all is not async-signal-safe; the loop also wakes up on its own every check period.
}

int Main(int argc, char** argv) {
  SidecarFlags flags;
  absl::Status st = ParseSidecarFlags(argc, argv, &flags);
  if (!st.ok()) {
    std::fprintf(stderr, "kbgp-sync: %s\n%s", std::string(st.message()).c_str(), kSidecarUsage);
    return 2;
  }
  if (flags.help) {
    std::fputs(kSidecarUsage, stdout);
    return 0;
  }
  auto level = ParseLogLevel(flags.log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "kbgp-sync: bad --log-level %s\n", flags.log_level.c_str());
    return 2;
  }
  SetLogLevel(*level);
  SetLogJson(flags.log_json);
  std::string node = flags.hostname_override;
  if (node.empty()) {
    const char* env = std::getenv("NODE_NAME");
    if (env != nullptr) node = env;
  }
  if (node.empty()) {
    std::fprintf(stderr, "kbgp-sync: set NODE_NAME or --hostname-override\n");
    return 2;
  }
  absl::StatusOr<KubeConfig> kc =
      flags.kubeconfig.empty() ? InClusterConfig() : LoadKubeconfig(flags.kubeconfig);
  if (!kc.ok()) {
    std::fprintf(stderr, "kbgp-sync: %s\n", std::string(kc.status().message()).c_str());
    return 2;
  }

  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  signal(SIGPIPE, SIG_IGN);

  SyncMetrics metrics({"Node", "Service", "EndpointSlice"});
  std::atomic<bool> ready{false};
  std::unique_ptr<httplib::Server> http;
  std::thread http_thread;
  if (!flags.metrics_address.empty() && flags.metrics_address != "none") {
    std::string host = flags.metrics_address;
    int port = 0;
    size_t colon = host.rfind(':');
    if (colon == std::string::npos || !absl::SimpleAtoi(host.substr(colon + 1), &port)) {
      std::fprintf(stderr, "kbgp-sync: bad --metrics-address %s\n", flags.metrics_address.c_str());
      return 2;
    }
    host = host.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    http = std::make_unique<httplib::Server>();
    http->Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.Render(), "text/plain; version=0.0.4");
    });
    http->Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    http->Get("/readyz", [&](const httplib::Request&, httplib::Response& res) {
      bool r = ready.load();
      res.status = r ? 200 : 503;
      res.set_content(r ? "ready\n" : "not ready: caches not synced or the daemon not reconciled\n",
                      "text/plain");
    });
    if (!http->bind_to_port(host.c_str(), port)) {
      std::fprintf(stderr, "kbgp-sync: cannot listen on %s\n", flags.metrics_address.c_str());
      return 1;
    }
    http_thread = std::thread([&] { http->listen_after_bind(); });
  }

  KubeClient client(*kc);
  ReflectorHooks hooks;
  hooks.changed = Wake;
  hooks.relist = [&](const std::string& kind) { metrics.Relist(kind); };
  hooks.watch_restart = [&](const std::string& kind) { metrics.WatchRestart(kind); };
  hooks.api_call = [&](const std::string& kind, bool ok) { metrics.ApiCall("kube", kind, ok); };
  Reflector<NodeInfo> nodes(&client, "Node", "/api/v1/nodes", ParseNode, hooks,
                            flags.watch_timeout, flags.list_page_size);
  Reflector<ServiceInfo> services(&client, "Service", "/api/v1/services", ParseService, hooks,
                                  flags.watch_timeout, flags.list_page_size);
  Reflector<EndpointSliceInfo> slices(&client, "EndpointSlice",
                                      "/apis/discovery.k8s.io/v1/endpointslices",
                                      ParseEndpointSlice, hooks, flags.watch_timeout,
                                      flags.list_page_size);
  nodes.Start();
  services.Start();
  slices.Start();

  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(256 << 20);
  // A fresh channel after a failure: gRPC 1.51's channel can take seconds to connect again
  // after the daemon was down; a new one connects at once.
  auto make_stub = [&]() -> std::shared_ptr<apipb::GobgpApi::StubInterface> {
    return apipb::GobgpApi::NewStub(
        grpc::CreateCustomChannel(flags.api, grpc::InsecureChannelCredentials(), args));
  };
  bool new_channel = false;
  Reconciler reconciler(make_stub(), [&](const std::string& call, bool ok) {
    metrics.ApiCall("bgp", call, ok);
  });
  LogInfo("kbgp-sync started", {{"node", node}, {"api", flags.api},
                                {"kube", absl::StrCat(kc->host, ":", kc->port)},
                                {"metrics", flags.metrics_address}});

  auto check_period = std::chrono::milliseconds(
      static_cast<int64_t>(flags.daemon_check_period * 1000));
  auto resync = std::chrono::milliseconds(static_cast<int64_t>(flags.resync_period * 1000));
  auto next_resync = Clock::now() + resync;
  auto next_check = Clock::now() + check_period;
  std::chrono::milliseconds retry(0);
  auto next_retry = Clock::time_point::max();
  uint32_t reconciled_asn = 0;
  bool have_reconciled = false;
  bool full_next = true;  // read paths and sets back from the daemon in the next pass
  std::map<std::string, DesiredPeer> last_peers;  // for the peer metric between passes
  auto next_peer_metrics = Clock::now() + std::chrono::seconds(2);
  std::string last_error;
  while (!g_stop) {
    {
      std::unique_lock<std::mutex> lock(g_mu);
      auto until = std::min({next_resync, next_check, next_retry, next_peer_metrics});
      g_cv.wait_until(lock, until, [] { return g_dirty || g_stop.load(); });
    }
    if (g_stop) break;
    auto now = Clock::now();
    bool run = false;
    {
      std::lock_guard<std::mutex> lock(g_mu);
      run = g_dirty;
    }
    if (now >= next_resync) {
      run = true;
      full_next = true;
      next_resync = now + resync;
    }
    if (now >= next_retry) run = true;
    if (now >= next_peer_metrics) {
      next_peer_metrics = now + std::chrono::seconds(2);
      if (have_reconciled && !run && reconciler.ReadPeerStates().ok()) {
        metrics.UpdatePeers(last_peers, reconciler.peer_states());
      }
    }
    if (now >= next_check) {
      next_check = now + check_period;
      if (have_reconciled) {
        if (new_channel) {
          reconciler.SetStub(make_stub());
          new_channel = false;
        }
        auto started = reconciler.DaemonStartedWith(reconciled_asn);
        if (!started.ok()) {
          // Unreachable: a fresh channel next time, and the retry timer keeps trying.
          new_channel = true;
          if (next_retry == Clock::time_point::max()) next_retry = now + check_period;
        } else if (!*started) {
          LogWarn("the daemon's BGP instance is not started (daemon restarted?): restoring");
          run = true;
          full_next = true;
        }
      }
    }
    if (!run) continue;
    {
      // No pass (and so no withdrawals) before every kind is listed once. A reflector's first
      // list sets synced() and then wakes the loop (Wake takes g_mu), so checking under g_mu
      // and clearing the flag cannot lose that wake-up, and the loop does not spin meanwhile.
      std::lock_guard<std::mutex> lock(g_mu);
      if (!nodes.synced() || !services.synced() || !slices.synced()) {
        g_dirty = false;
        continue;
      }
    }
    if (flags.debounce > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(
          static_cast<int64_t>(flags.debounce * 1e6)));
    }
    {
      std::lock_guard<std::mutex> lock(g_mu);
      g_dirty = false;
    }
    if (new_channel) {
      reconciler.SetStub(make_stub());
      new_channel = false;
    }
    auto t0 = Clock::now();
    auto node_snap = nodes.Snapshot();
    auto svc_snap = services.Snapshot();
    auto slice_snap = slices.Snapshot();
    ClusterView view;
    for (const auto& n : node_snap) view.nodes.push_back(n.get());
    for (const auto& s : svc_snap) view.services.push_back(s.get());
    for (const auto& e : slice_snap) view.slices.push_back(e.get());
    DesiredState desired = ComputeDesired(flags.options, node, view);
    double compute_secs = std::chrono::duration<double>(Clock::now() - t0).count();
    ReconcileResult result;
    absl::Status rs = reconciler.Reconcile(desired, &result, full_next);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    metrics.ReconcileDone(rs.ok(), secs, result.changes, result.started, desired);
    for (const std::string& w : desired.warnings) LogWarn("ignored", {{"reason", w}});
    for (const std::string& a : result.applied) LogInfo("applied", {{"change", a}});
    if (rs.ok()) {
      last_peers = desired.peers;
      metrics.UpdatePeers(last_peers, reconciler.peer_states());
      if (result.changes > 0 || !last_error.empty()) {
        LogInfo("reconciled", {{"changes", result.changes}, {"reads", result.reads},
                               {"paths", desired.paths.size()}, {"peers", desired.peers.size()},
                               {"seconds", secs}});
        LogDebug("reconcile stages", {{"desired", compute_secs}, {"daemon", result.timings}});
      }
      last_error.clear();
      full_next = false;
      reconciled_asn = desired.global.asn;
      have_reconciled = true;
      ready = true;
      metrics.SetReady(true);
      retry = std::chrono::milliseconds(0);
      next_retry = Clock::time_point::max();
    } else {
      std::string msg(rs.message());
      if (msg != last_error) LogWarn("reconcile failed", {{"error", msg}});
      last_error = msg;
      ready = false;
      metrics.SetReady(false);
      new_channel = true;
      full_next = true;
      // The daemon may be restarting: try again soon (100 ms doubling to 1 s).
      retry = retry.count() == 0 ? std::chrono::milliseconds(100)
                                 : std::min(std::chrono::milliseconds(1000), retry * 2);
      next_retry = Clock::now() + retry;
    }
  }
  LogInfo("kbgp-sync stopping");
  nodes.RequestStop();
  services.RequestStop();
  slices.RequestStop();
  nodes.Stop();
  services.Stop();
  slices.Stop();
  if (http) {
    http->stop();
    http_thread.join();
  }
  return 0;
}

}  // namespace
}  // namespace kbgp::sidecar

int main(int argc, char** argv) { return kbgp::sidecar::Main(argc, argv); }
