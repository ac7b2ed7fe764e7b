#include "daemon/metrics/bgp_metrics.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <future>
#include <string>
#include <utility>

#include "google/protobuf/descriptor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "api/gobgp.pb.h"
#include "daemon/api_server/convert.h"
#include "daemon/common/ip.h"
#include "prometheus/metric_family.h"

namespace kbgp::metrics {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// ---------------------------------------------------------------------------------------
// What the core hands to the scrape thread.

struct PeerSample {
  apipb::Peer api;                // as ListPeer with EnableAdvertised lists it
  double out_queue_count = 0;     // Session::queued_writes()
  double out_queue_bytes = 0;
  double state_seconds = 0;       // time in the current state (Established or not)
};

struct Snapshot {
  bool started = false;
  std::string local_router_id;
  std::vector<PeerSample> peers;
  double destinations[2] = {0, 0};  // Loc-RIB: prefixes with a path, IPv4 / IPv6 unicast
  double paths = 0;
  double attr_sets = 0;
};

Snapshot TakeSnapshot(const EventLoop& loop, server::BgpServer& server) {
  Snapshot s;
  s.started = server.started();
  if (!s.started) return s;
  s.local_router_id = IpAddress::V4(server.global().router_id).ToString();
  const Clock::TimePoint now = loop.clock().Now();
  const api_server::ClockPair clocks{now, absl::Now()};
  for (const server::NeighborStatus& st : server.ListNeighbors()) {
    PeerSample p;
    api_server::PeerToApi(st, clocks, /*with_advertised=*/true, &p.api);
    if (const peer::Session* session = st.session) {
      p.out_queue_count = static_cast<double>(session->queued_writes());
      p.out_queue_bytes = static_cast<double>(session->queued_bytes());
      const Clock::TimePoint since =
          session->established() && session->last_up_at() ? *session->last_up_at()
                                                           : session->last_down_at();
      p.state_seconds = std::chrono::duration<double>(now - since).count();
      if (p.state_seconds < 0) p.state_seconds = 0;
    }
    s.peers.push_back(std::move(p));
  }
  if (rib::Rib* rib = server.rib()) {
    s.destinations[0] = static_cast<double>(rib->destination_count(Family::kIPv4));
    s.destinations[1] = static_cast<double>(rib->destination_count(Family::kIPv6));
    s.paths = static_cast<double>(rib->path_count());
    s.attr_sets = static_cast<double>(rib->pool().set_count());
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// Building families.

MetricFamily NewFamily(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void AddSample(MetricFamily& f, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) {
    m.counter.value = value;
  } else if (f.type == MetricType::Untyped) {
    m.untyped.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

// GoBGP's route_family label: bgp.RouteFamily.String() of the afi-safi ("ipv4-unicast").
std::string RouteFamilyName(const apipb::Family& f) {
  if (f.safi() == apipb::Family::SAFI_UNICAST) {
    if (f.afi() == apipb::Family::AFI_IP) return "ipv4-unicast";
    if (f.afi() == apipb::Family::AFI_IP6) return "ipv6-unicast";
  }
  return absl::StrCat("afi-safi-", static_cast<int>(f.afi()), "-", static_cast<int>(f.safi()));
}

// The message counters, in GoBGP's order (received, then sent).
struct MessageFamily {
  const char* name;
  const char* help;
  uint64_t (*get)(const apipb::Message&);
};

#define KBGP_MSG(field) [](const apipb::Message& m) -> uint64_t { return m.field(); }
// Names and help texts as GoBGP's pkg/metrics/metrics.go declares them.
const MessageFamily kReceived[] = {
    {"bgp_received_update_total", "Number of received BGP UPDATE messages from peer",
     KBGP_MSG(update)},
    {"bgp_received_notification_total",
     "Number of received BGP NOTIFICATION messages from peer", KBGP_MSG(notification)},
    {"bgp_received_open_total", "Number of received BGP OPEN messages from peer",
     KBGP_MSG(open)},
    {"bgp_received_refresh_total", "Number of received BGP REFRESH messages from peer",
     KBGP_MSG(refresh)},
    {"bgp_received_keepalive_total", "Number of received BGP KEEPALIVE messages from peer",
     KBGP_MSG(keepalive)},
    {"bgp_received_withdraw_update_total",
     "Number of received BGP WITHDRAW-UPDATE messages from peer", KBGP_MSG(withdraw_update)},
    {"bgp_received_withdraw_prefix_total",
     "Number of received BGP WITHDRAW-PREFIX messages from peer", KBGP_MSG(withdraw_prefix)},
    {"bgp_received_discarded_total", "Number of discarded BGP messages from peer",
     KBGP_MSG(discarded)},
    {"bgp_received_message_total", "Number of received BGP messages from peer",
     KBGP_MSG(total)},
};
const MessageFamily kSent[] = {
    {"bgp_sent_update_total", "Number of sent BGP UPDATE messages from peer", KBGP_MSG(update)},
    {"bgp_sent_notification_total", "Number of sent BGP NOTIFICATION messages from peer",
     KBGP_MSG(notification)},
    {"bgp_sent_open_total", "Number of sent BGP OPEN messages from peer", KBGP_MSG(open)},
    {"bgp_sent_refresh_total", "Number of sent BGP REFRESH messages from peer",
     KBGP_MSG(refresh)},
    {"bgp_sent_keepalive_total", "Number of sent BGP KEEPALIVE messages from peer",
     KBGP_MSG(keepalive)},
    {"bgp_sent_withdraw_update_total", "Number of sent BGP WITHDRAW-UPDATE messages from peer",
     KBGP_MSG(withdraw_update)},
    {"bgp_sent_withdraw_prefix_total", "Number of sent BGP WITHDRAW-PREFIX messages from peer",
     KBGP_MSG(withdraw_prefix)},
    {"bgp_sent_discarded_total", "Number of discarded BGP messages to peer",
     KBGP_MSG(discarded)},
    {"bgp_sent_message_total", "Number of sent BGP messages from peer", KBGP_MSG(total)},
};
#undef KBGP_MSG

std::vector<MetricFamily> BuildFamilies(const Snapshot& s) {
  std::vector<MetricFamily> out;
  if (!s.started) return out;
  // GoBGP's per-peer families (docs/sources/metrics.md "Exported metrics").
  MetricFamily state = NewFamily("bgp_peer_state",
                                 "State of the BGP session with peer and its administrative state",
                                 MetricType::Gauge);
  MetricFamily asn = NewFamily("bgp_peer_asn",
                               "What is the AS number of the peer and its router ID",
                               MetricType::Gauge);
  MetricFamily local_asn =
      NewFamily("bgp_peer_local_asn",
                "What is the AS number presented to the peer by this router and its ID",
                MetricType::Gauge);
  // GoBGP's collector emits these six per-peer values through the same helper as its message
  // counters, so GoBGP serves them as TYPE counter without "_total" (pkg/metrics/metrics.go,
  // `send`), which `promtool check metrics` rejects. kbgp keeps GoBGP's names, help texts and
  // labels, so queries, dashboards and alerts written for gobgpd work unchanged, and types
  // them so the exposition passes promtool: gauge for the four that are levels or flags (a
  // queue length, a time stamp and configuration values are not counters), untyped for the
  // two whose names end in "_count", a suffix the text format reserves for summaries and
  // histograms once a type is given. PromQL treats untyped like gauge; rate() works on both.
  MetricFamily flops =
      NewFamily("bgp_peer_flop_count", "Number of flops with the peer", MetricType::Untyped);
  MetricFamily out_q = NewFamily("bgp_peer_out_queue_count",
                                 "Length of the outgoing message queue", MetricType::Untyped);
  MetricFamily password =
      NewFamily("bgp_peer_password_set",
                "Whether the GoBGP peer has been configured (1) for authentication or not (0)",
                MetricType::Gauge);
  MetricFamily remove_private =
      NewFamily("bgp_peer_remove_private_as",
                "Do we remove private ASNs from the paths sent to the peer", MetricType::Gauge);
  MetricFamily type = NewFamily("bgp_peer_type",
                                "Type of the BGP peer, internal (0) or external (1)",
                                MetricType::Gauge);
  // GoBGP's value is Timers.State.Uptime in Unix seconds: when the session last came up (0:
  // never), kept after it goes down, despite the help text. kbgp_peer_state_seconds below is
  // the time in the current state.
  MetricFamily uptime = NewFamily("bgp_peer_uptime",
                                  "For how long the peer has been in its current state",
                                  MetricType::Gauge);
  MetricFamily received = NewFamily("bgp_routes_received", "Number of routes received from peer",
                                    MetricType::Gauge);
  MetricFamily accepted = NewFamily("bgp_routes_accepted", "Number of routes accepted from peer",
                                    MetricType::Gauge);
  MetricFamily advertised = NewFamily(
      "bgp_routes_advertised", "Number of routes advertised to peer", MetricType::Gauge);
  std::vector<MetricFamily> rcvd_msgs, sent_msgs;
  for (const MessageFamily& m : kReceived) {
    rcvd_msgs.push_back(NewFamily(m.name, m.help, MetricType::Counter));
  }
  for (const MessageFamily& m : kSent) {
    sent_msgs.push_back(NewFamily(m.name, m.help, MetricType::Counter));
  }
  MetricFamily out_bytes = NewFamily(
      "kbgp_peer_out_queue_bytes", "Bytes waiting in the output queue of the peer's session",
      MetricType::Gauge);
  MetricFamily state_seconds = NewFamily(
      "kbgp_peer_state_seconds",
      "Seconds the peer has been in its current session state (Established or not)",
      MetricType::Gauge);

  for (const PeerSample& p : s.peers) {
    const apipb::PeerConf& conf = p.api.conf();
    const apipb::PeerState& st = p.api.state();
    const std::string& peer = conf.neighbor_address();
    AddSample(state,
              {{"peer", peer},
               {"session_state", apipb::PeerState::SessionState_Name(st.session_state())},
               {"admin_state", apipb::PeerState::AdminState_Name(st.admin_state())}},
              1);
    AddSample(asn, {{"peer", peer}, {"router_id", st.router_id()}}, conf.peer_asn());
    AddSample(local_asn, {{"peer", peer}, {"router_id", s.local_router_id}}, conf.local_asn());
    AddSample(flops, {{"peer", peer}}, st.flops());
    AddSample(out_q, {{"peer", peer}}, p.out_queue_count);
    AddSample(password, {{"peer", peer}}, conf.auth_password().empty() ? 0 : 1);
    AddSample(remove_private, {{"peer", peer}}, static_cast<double>(conf.remove_private()));
    AddSample(type, {{"peer", peer}}, static_cast<double>(conf.type()));
    AddSample(uptime, {{"peer", peer}},
              static_cast<double>(p.api.timers().state().uptime().seconds()));
    AddSample(out_bytes, {{"peer", peer}}, p.out_queue_bytes);
    AddSample(state_seconds, {{"peer", peer}}, p.state_seconds);
    for (size_t i = 0; i < std::size(kReceived); ++i) {
      AddSample(rcvd_msgs[i], {{"peer", peer}},
                static_cast<double>(kReceived[i].get(st.messages().received())));
      AddSample(sent_msgs[i], {{"peer", peer}},
                static_cast<double>(kSent[i].get(st.messages().sent())));
    }
    for (const apipb::AfiSafi& af : p.api.afi_safis()) {
      if (!af.config().enabled()) continue;  // as GoBGP: enabled families only
      const std::string family = RouteFamilyName(af.state().family());
      AddSample(received, {{"peer", peer}, {"route_family", family}}, af.state().received());
      AddSample(accepted, {{"peer", peer}, {"route_family", family}}, af.state().accepted());
      AddSample(advertised, {{"peer", peer}, {"route_family", family}},
                af.state().advertised());
    }
  }
  for (MetricFamily* f : {&state, &asn, &local_asn, &flops, &out_q, &password, &remove_private,
                          &type, &uptime, &received, &accepted, &advertised, &out_bytes,
                          &state_seconds}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  for (auto* v : {&rcvd_msgs, &sent_msgs}) {
    for (MetricFamily& f : *v) {
      if (!f.metric.empty()) out.push_back(std::move(f));
    }
  }

  MetricFamily dest = NewFamily("kbgp_rib_destinations",
                                "Prefixes in the Loc-RIB (with at least one path), by family",
                                MetricType::Gauge);
  AddSample(dest, {{"route_family", "ipv4-unicast"}}, s.destinations[0]);
  AddSample(dest, {{"route_family", "ipv6-unicast"}}, s.destinations[1]);
  out.push_back(std::move(dest));
  MetricFamily paths = NewFamily(
      "kbgp_rib_paths", "Paths in the RIB (every peer's and the local ones)", MetricType::Gauge);
  AddSample(paths, {}, s.paths);
  out.push_back(std::move(paths));
  MetricFamily sets = NewFamily("kbgp_rib_attr_sets",
                                "Interned path attribute sets in the RIB's pool",
                                MetricType::Gauge);
  AddSample(sets, {}, s.attr_sets);
  out.push_back(std::move(sets));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------

BgpCollector::BgpCollector(EventLoop& loop, server::BgpServer& server,
                           std::chrono::milliseconds timeout)
    : loop_(loop), server_(server), timeout_(timeout) {}

std::vector<prometheus::MetricFamily> BgpCollector::Collect() const {
  // The promise is shared with the closure: after a timeout the closure may still run on the
  // core and must find it alive.
  auto promise = std::make_shared<std::promise<Snapshot>>();
  std::future<Snapshot> result = promise->get_future();
  EventLoop* loop = &loop_;
  server::BgpServer* server = &server_;
  loop_.Post([promise, loop, server]() { promise->set_value(TakeSnapshot(*loop, *server)); });
  std::vector<MetricFamily> out;
  if (result.wait_for(timeout_) == std::future_status::ready) {
    out = BuildFamilies(result.get());
  } else {
    timeouts_.fetch_add(1, std::memory_order_relaxed);
  }
  MetricFamily t = NewFamily("kbgp_metrics_collect_timeouts_total",
                             "Scrapes that got no answer from the core loop in time (the bgp_* "
                             "families were left out)",
                             MetricType::Counter);
  AddSample(t, {}, static_cast<double>(timeouts_.load(std::memory_order_relaxed)));
  out.push_back(std::move(t));
  return out;
}

// ---------------------------------------------------------------------------------------
// gRPC calls, by the names of go-grpc-prometheus (grpc_server_started_total,
// grpc_server_handled_total, grpc_server_handling_seconds) so existing gRPC dashboards work.

namespace {

const char* GrpcTypeName(grpc::experimental::ServerRpcInfo::Type t) {
  using T = grpc::experimental::ServerRpcInfo::Type;
  switch (t) {
    case T::UNARY:
      return "unary";
    case T::CLIENT_STREAMING:
      return "client_stream";
    case T::SERVER_STREAMING:
      return "server_stream";
    case T::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// Go's codes.Code.String(), which go-grpc-prometheus puts in grpc_code.
const char* GrpcCodeName(grpc::StatusCode c) {
  static const char* const kNames[] = {
      "OK",       "Canceled",         "Unknown",           "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",    "PermissionDenied",  "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",       "Unimplemented",     "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  const int i = static_cast<int>(c);
  return i >= 0 && i < static_cast<int>(std::size(kNames)) ? kNames[i] : "Unknown";
}

struct GrpcFamilies {
  prometheus::Family<prometheus::Counter>* started;
  prometheus::Family<prometheus::Counter>* handled;
  prometheus::Family<prometheus::Histogram>* seconds;
};

const prometheus::Histogram::BucketBoundaries kGrpcBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};  // Prometheus's DefBuckets

class GrpcInterceptor : public grpc::experimental::Interceptor {
 public:
  GrpcInterceptor(const GrpcFamilies& f, grpc::experimental::ServerRpcInfo* info)
      : f_(f), start_(std::chrono::steady_clock::now()), type_(GrpcTypeName(info->type())) {
    // "/apipb.GobgpApi/ListPeer" -> service "apipb.GobgpApi", method "ListPeer".
    absl::string_view full = info->method() != nullptr ? info->method() : "";
    if (!full.empty() && full.front() == '/') full.remove_prefix(1);
    const size_t slash = full.find('/');
    service_ = std::string(full.substr(0, slash));
    method_ = slash == absl::string_view::npos ? "" : std::string(full.substr(slash + 1));
    // Only methods the server's protos declare get series: a server with callback methods
    // also runs interceptors for paths it does not have, and a client must not be able to
    // make up label values without end. Those calls are answered UNIMPLEMENTED, uncounted.
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_);
    known_ = service != nullptr && service->FindMethodByName(method_) != nullptr;
    if (known_) f_.started->Add(Labels()).Increment();
  }
  ~GrpcInterceptor() override {
    // A call that ended without sending a status (the client went away).
    if (!done_) Done(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Done(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  prometheus::Labels Labels() const {
    return {{"grpc_type", type_}, {"grpc_service", service_}, {"grpc_method", method_}};
  }
  void Done(grpc::StatusCode code) {
    done_ = true;
    if (!known_) return;
    prometheus::Labels l = Labels();
    f_.seconds->Add(l, kGrpcBuckets)
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    l["grpc_code"] = GrpcCodeName(code);
    f_.handled->Add(l).Increment();
  }

  GrpcFamilies f_;
  std::chrono::steady_clock::time_point start_;
  std::string type_;
  std::string service_;
  std::string method_;
  bool known_ = false;
  bool done_ = false;
};

class GrpcInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcInterceptorFactory(const GrpcFamilies& f) : f_(f) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new GrpcInterceptor(f_, info);  // gRPC owns and deletes it
  }

 private:
  GrpcFamilies f_;
};

const prometheus::Histogram::BucketBoundaries kUpdateBuckets = {
    1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1, 2.5};
const prometheus::Histogram::BucketBoundaries kLagBuckets = {
    1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace

KbgpdMetrics::KbgpdMetrics(EventLoop& loop, server::BgpServer& server,
                           std::shared_ptr<prometheus::Registry> registry)
    : loop_(loop), server_(server), registry_(std::move(registry)) {
  prometheus::Registry& r = *registry_;
  update_seconds_ =
      &prometheus::BuildHistogram()
           .Name("kbgp_update_processing_seconds")
           .Help("Time to apply one received UPDATE to the RIB (import policy and best path)")
           .Register(r)
           .Add({}, kUpdateBuckets);
  flush_seconds_ =
      &prometheus::BuildHistogram()
           .Name("kbgp_flush_seconds")
           .Help("Time of one flush: export policy and UPDATE generation for every peer")
           .Register(r)
           .Add({}, kUpdateBuckets);
  lag_seconds_ = &prometheus::BuildHistogram()
                      .Name("kbgp_core_loop_lag_seconds")
                      .Help("How late a periodic timer on the core loop fired (loop busy)")
                      .Register(r)
                      .Add({}, kLagBuckets);
  lag_last_ = &prometheus::BuildGauge()
                   .Name("kbgp_core_loop_lag_last_seconds")
                   .Help("The last lateness measured on the core loop")
                   .Register(r)
                   .Add({});
  reloads_ = &prometheus::BuildCounter()
                  .Name("kbgp_config_reloads_total")
                  .Help("Config reloads (SIGHUP) by result: ok or failed")
                  .Register(r);
  reloads_->Add({{"result", "ok"}});
  reloads_->Add({{"result", "failed"}});
  reload_ok_ = &prometheus::BuildGauge()
                    .Name("kbgp_config_last_reload_successful")
                    .Help("Whether the last config reload succeeded (1; also before any)")
                    .Register(r)
                    .Add({});
  reload_ok_->Set(1);
  grpc_started_ = &prometheus::BuildCounter()
                       .Name("grpc_server_started_total")
                       .Help("Total number of RPCs started on the server.")
                       .Register(r);
  grpc_handled_ = &prometheus::BuildCounter()
                       .Name("grpc_server_handled_total")
                       .Help("Total number of RPCs completed on the server, regardless of "
                             "success or failure.")
                       .Register(r);
  grpc_seconds_ = &prometheus::BuildHistogram()
                       .Name("grpc_server_handling_seconds")
                       .Help("Histogram of response latency (seconds) of gRPC that had been "
                             "application-level handled by the server.")
                       .Register(r);
  server_.set_timing_hook([this](server::BgpServer::Timing what, std::chrono::nanoseconds took) {
    const double s = std::chrono::duration<double>(took).count();
    (what == server::BgpServer::Timing::kUpdate ? update_seconds_ : flush_seconds_)->Observe(s);
  });
}

KbgpdMetrics::~KbgpdMetrics() {
  server_.set_timing_hook(nullptr);
  lag_timer_.reset();
}

void KbgpdMetrics::StartLoopLag(std::chrono::milliseconds period) {
  lag_period_ = period;
  lag_timer_ = std::make_unique<LoopTimer>(loop_);
  ArmLag();
}

void KbgpdMetrics::ArmLag() {
  const auto scaled = std::chrono::duration_cast<Clock::TimePoint::duration>(
      std::chrono::duration<double, std::milli>(lag_period_.count() * loop_.timer_scale()));
  lag_due_ = loop_.clock().Now() + scaled;
  lag_timer_->Start(lag_period_, [this]() {
    const auto late = loop_.clock().Now() - lag_due_;
    ObserveLoopLag(late.count() > 0 ? late : Clock::TimePoint::duration::zero());
    ArmLag();
  });
}

void KbgpdMetrics::ObserveLoopLag(std::chrono::nanoseconds lag) {
  const double s = std::chrono::duration<double>(lag).count();
  lag_seconds_->Observe(s);
  lag_last_->Set(s);
}

void KbgpdMetrics::ConfigReloaded(bool ok) {
  reloads_->Add({{"result", ok ? "ok" : "failed"}}).Increment();
  reload_ok_->Set(ok ? 1 : 0);
}

std::function<api_server::ApiOptions::Interceptors()> KbgpdMetrics::GrpcInterceptors() {
  const GrpcFamilies f{grpc_started_, grpc_handled_, grpc_seconds_};
  return [f]() {
    api_server::ApiOptions::Interceptors v;
    v.push_back(std::make_unique<GrpcInterceptorFactory>(f));
    return v;
  };
}

}  // namespace kbgp::metrics
