// kbgpd's collectors over two in-process BgpServers on one core loop, A (AS 65001, listening
// on 127.0.0.1, passive) and B (AS 65002, connecting to A), as GoBGP's own metrics test pairs
// two servers. Values are checked after a known sequence: session up, routes added and
// withdrawn at B, a reset from A, A's side disabled. A second table lists the families GoBGP
// also has, with GoBGP's names, types and labels, and checks ours match exactly (the types of
// six per-peer families apart, retyped so that promtool passes: kRetyped).
#include "daemon/metrics/bgp_metrics.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <unistd.h>

#include <cmath>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/gobgp.grpc.pb.h"
#include "daemon/metrics/promtool_check.h"
#include "daemon/wire/constants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "prometheus/text_serializer.h"

namespace kbgp::metrics {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::map<std::string, std::string>;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
const std::string kPeer = "127.0.0.1";

const MetricFamily* Find(const std::vector<MetricFamily>& v, const std::string& name) {
  for (const auto& f : v) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// The value of the sample of `name` whose labels are exactly `labels`; NaN when absent. For
// histograms: the sample count.
double Value(const std::vector<MetricFamily>& v, const std::string& name, const Labels& labels) {
  const MetricFamily* f = Find(v, name);
  if (f == nullptr) return kMissing;
  for (const auto& m : f->metric) {
    Labels got;
    for (const auto& l : m.label) got[l.name] = l.value;
    if (got != labels) continue;
    switch (f->type) {
      case MetricType::Counter:
        return m.counter.value;
      case MetricType::Gauge:
        return m.gauge.value;
      case MetricType::Histogram:
        return static_cast<double>(m.histogram.sample_count);
      default:
        return m.untyped.value;
    }
  }
  return kMissing;
}

double PeerValue(const std::vector<MetricFamily>& v, const std::string& name) {
  return Value(v, name, {{"peer", kPeer}});
}

class BgpMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<KbgpdMetrics>(loop_, a_, registry_);
    col_a_ = std::make_shared<BgpCollector>(loop_, a_);
    col_b_ = std::make_shared<BgpCollector>(loop_, b_);
    core_ = std::thread([this] { loop_.Run(); });
  }

  void TearDown() override {
    OnCore([this] {
      a_.Stop();
      b_.Stop();
    });
    loop_.Post([this] { loop_.Stop(); });
    core_.join();
  }

  template <typename F>
  auto OnCore(F&& fn) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> result = promise->get_future();
    loop_.Post([promise, &fn]() {
      if constexpr (std::is_void_v<R>) {
        fn();
        promise->set_value();
      } else {
        promise->set_value(fn());
      }
    });
    return result.get();
  }

  static server::NeighborSpec Neighbor(uint32_t peer_as, uint16_t port, bool passive) {
    server::NeighborSpec n;
    n.session.peer_address = *IpAddress::Parse(kPeer);
    n.session.peer_as = peer_as;
    n.session.peer_port = port;
    n.session.passive = passive;
    n.session.fsm.connect_retry_time = 1;
    n.session.fsm.idle_hold_time = 1;
    n.session.fsm.hold_time = 9;
    return n;
  }

  // A and B up, with one session between them.
  void Establish() {
    OnCore([this] {
      server::GlobalSpec ga;
      ga.as = 65001;
      ga.router_id = 0x01010101;
      ga.port = 0;
      ga.listen_addresses = {*IpAddress::Parse(kPeer)};
      ASSERT_TRUE(a_.Start(ga).ok());
      server::GlobalSpec gb;
      gb.as = 65002;
      gb.router_id = 0x02020202;
      gb.port = -1;
      ASSERT_TRUE(b_.Start(gb).ok());
      ASSERT_TRUE(a_.AddNeighbor(Neighbor(65002, 179, true)).ok());
      ASSERT_TRUE(b_.AddNeighbor(Neighbor(65001, a_.listen_port(), false)).ok());
    });
    const Labels up = {{"peer", kPeer}, {"session_state", "ESTABLISHED"}, {"admin_state", "UP"}};
    WaitFor("both sides Established", [&] {
      return Value(col_a_->Collect(), "bgp_peer_state", up) == 1 &&
             Value(col_b_->Collect(), "bgp_peer_state", up) == 1;
    });
  }

  void AddAtB(const std::string& prefix) {
    OnCore([&] {
      wire::PathAttributes attrs;
      attrs.origin = wire::Origin::kIgp;
      attrs.next_hop = *IpAddress::Parse("192.0.2.1");
      rib::AttrRef r = b_.rib()->pool().Intern(attrs, wire::kIPv4Unicast);
      ASSERT_TRUE(b_.AddLocalPath(*Prefix::Parse(prefix), 0, r.get()).ok());
    });
  }

  void WaitFor(const std::string& what, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out waiting for " << what;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Every per-type message counter of one direction adds up to its *_message_total.
  static void ExpectTotalsAddUp(const std::vector<MetricFamily>& v, const std::string& dir) {
    double sum = 0;
    for (const char* t : {"update", "notification", "open", "refresh", "keepalive"}) {
      sum += PeerValue(v, absl::StrCat("bgp_", dir, "_", t, "_total"));
    }
    EXPECT_EQ(sum, PeerValue(v, absl::StrCat("bgp_", dir, "_message_total"))) << dir;
  }

  EventLoop loop_;
  server::BgpServer a_{loop_};
  server::BgpServer b_{loop_};
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<KbgpdMetrics> metrics_;  // A's
  std::shared_ptr<BgpCollector> col_a_;
  std::shared_ptr<BgpCollector> col_b_;
  std::thread core_;
};

TEST_F(BgpMetricsTest, NothingButTheTimeoutCounterBeforeStartBgp) {
  std::vector<MetricFamily> v = col_a_->Collect();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].name, "kbgp_metrics_collect_timeouts_total");
  EXPECT_EQ(v[0].metric[0].counter.value, 0);
}

TEST_F(BgpMetricsTest, ValuesAfterAKnownSequence) {
  Establish();
  std::vector<MetricFamily> a = col_a_->Collect();
  std::vector<MetricFamily> b = col_b_->Collect();
  // Session facts.
  EXPECT_EQ(Value(a, "bgp_peer_asn", {{"peer", kPeer}, {"router_id", "2.2.2.2"}}), 65002);
  EXPECT_EQ(Value(a, "bgp_peer_local_asn", {{"peer", kPeer}, {"router_id", "1.1.1.1"}}), 65001);
  EXPECT_EQ(Value(b, "bgp_peer_asn", {{"peer", kPeer}, {"router_id", "1.1.1.1"}}), 65001);
  EXPECT_EQ(PeerValue(a, "bgp_peer_type"), 1);  // external
  EXPECT_EQ(PeerValue(a, "bgp_peer_password_set"), 0);
  EXPECT_EQ(PeerValue(a, "bgp_peer_remove_private_as"), 0);
  EXPECT_EQ(PeerValue(a, "bgp_peer_flop_count"), 0);
  // GoBGP's bgp_peer_uptime is when the session came up (Unix seconds); ours is the time in
  // the current state.
  EXPECT_NEAR(PeerValue(a, "bgp_peer_uptime"), absl::ToUnixSeconds(absl::Now()), 30);
  EXPECT_GE(PeerValue(a, "kbgp_peer_state_seconds"), 0);
  EXPECT_LT(PeerValue(a, "kbgp_peer_state_seconds"), 30);
  EXPECT_EQ(PeerValue(a, "bgp_received_open_total"), 1);
  EXPECT_EQ(PeerValue(a, "bgp_sent_open_total"), 1);
  EXPECT_EQ(PeerValue(b, "bgp_received_open_total"), 1);
  EXPECT_EQ(PeerValue(a, "bgp_received_notification_total"), 0);

  // Three routes at B: received and accepted at A, advertised by B.
  for (const char* p : {"10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"}) AddAtB(p);
  const Labels v4 = {{"peer", kPeer}, {"route_family", "ipv4-unicast"}};
  WaitFor("3 routes at A", [&] { return Value(col_a_->Collect(), "bgp_routes_received", v4) == 3; });
  a = col_a_->Collect();
  b = col_b_->Collect();
  EXPECT_EQ(Value(a, "bgp_routes_accepted", v4), 3);
  EXPECT_EQ(Value(b, "bgp_routes_advertised", v4), 3);
  EXPECT_EQ(Value(b, "bgp_routes_received", v4), 0);
  EXPECT_EQ(Value(a, "kbgp_rib_destinations", {{"route_family", "ipv4-unicast"}}), 3);
  EXPECT_EQ(Value(a, "kbgp_rib_destinations", {{"route_family", "ipv6-unicast"}}), 0);
  EXPECT_EQ(Value(a, "kbgp_rib_paths", {}), 3);
  EXPECT_EQ(Value(a, "kbgp_rib_attr_sets", {}), 1);  // the three share one set
  // Both ends count the same UPDATEs.
  EXPECT_GE(PeerValue(a, "bgp_received_update_total"), 1);
  EXPECT_EQ(PeerValue(a, "bgp_received_update_total"), PeerValue(b, "bgp_sent_update_total"));
  EXPECT_EQ(PeerValue(a, "bgp_received_withdraw_prefix_total"), 0);
  ExpectTotalsAddUp(a, "received");
  ExpectTotalsAddUp(a, "sent");
  ExpectTotalsAddUp(b, "sent");
  // A's UPDATE latency histogram saw every UPDATE A received.
  std::vector<MetricFamily> own = registry_->Collect();
  EXPECT_EQ(Value(own, "kbgp_update_processing_seconds", {}),
            PeerValue(a, "bgp_received_update_total"));
  EXPECT_GE(Value(own, "kbgp_flush_seconds", {}), 1);

  // One withdrawn.
  OnCore([&] { ASSERT_TRUE(b_.DeleteLocalPath(*Prefix::Parse("10.1.3.0/24"), 0).ok()); });
  WaitFor("2 routes at A", [&] { return Value(col_a_->Collect(), "bgp_routes_received", v4) == 2; });
  a = col_a_->Collect();
  EXPECT_EQ(PeerValue(a, "bgp_received_withdraw_prefix_total"), 1);
  EXPECT_EQ(PeerValue(a, "bgp_received_withdraw_update_total"), 1);
  EXPECT_EQ(Value(col_b_->Collect(), "bgp_routes_advertised", v4), 2);

  // A resets the session: a Cease each way is counted, B counts a flop (A stopped it itself).
  OnCore([&] { ASSERT_TRUE(a_.ResetNeighbor(*IpAddress::Parse(kPeer)).ok()); });
  WaitFor("the session again, with its routes", [&] {
    std::vector<MetricFamily> x = col_a_->Collect();
    return PeerValue(x, "bgp_received_open_total") == 2 &&
           Value(x, "bgp_routes_received", v4) == 2 &&
           Value(x, "bgp_peer_state",
                 {{"peer", kPeer}, {"session_state", "ESTABLISHED"}, {"admin_state", "UP"}}) == 1;
  });
  a = col_a_->Collect();
  b = col_b_->Collect();
  EXPECT_EQ(PeerValue(a, "bgp_sent_notification_total"), 1);
  EXPECT_EQ(PeerValue(b, "bgp_received_notification_total"), 1);
  EXPECT_EQ(PeerValue(a, "bgp_peer_flop_count"), 0);
  EXPECT_EQ(PeerValue(b, "bgp_peer_flop_count"), 1);
  ExpectTotalsAddUp(a, "sent");
  ExpectTotalsAddUp(b, "received");

  // A disables the peer: admin DOWN, session IDLE, and (as gobgpd) no counters listed.
  OnCore([&] { ASSERT_TRUE(a_.DisableNeighbor(*IpAddress::Parse(kPeer)).ok()); });
  a = col_a_->Collect();
  EXPECT_EQ(Value(a, "bgp_peer_state",
                  {{"peer", kPeer}, {"session_state", "IDLE"}, {"admin_state", "DOWN"}}),
            1);
  EXPECT_EQ(Find(a, "bgp_peer_state")->metric.size(), 1u);  // one state per peer
  EXPECT_EQ(PeerValue(a, "bgp_received_update_total"), 0);
  EXPECT_EQ(Value(a, "bgp_routes_received", v4), 0);
  WaitFor("B sees the session down", [&] {
    return Value(col_b_->Collect(), "bgp_peer_state",
                 {{"peer", kPeer}, {"session_state", "ESTABLISHED"}, {"admin_state", "UP"}}) !=
           1;
  });
}

// The families GoBGP also has, as GoBGP declares them. Sources (osrg/gobgp):
//  - internal/pkg/metrics/metrics.go @ 076e9fce (the bgpCollector of the v3 line: names,
//    help texts, label lists peerLabels, peerStateLabels, rfLabels, and the value types
//    CounterValue for the messages, GaugeValue for state and routes);
//  - docs/sources/metrics.md @ 06110fa8 ("Exported metrics": the per-peer families
//    bgp_peer_asn/local_asn with router_id, flop_count, out_queue_count, password_set,
//    remove_private_as, type, uptime, and their descriptions);
//  - pkg/metrics/metrics.go of the later v3 line (namespace "bgp", BuildFQName), which
//    serves those per-peer families: flop_count, out_queue_count, uptime, password_set,
//    remove_private_as and type go through the collector's `send` helper with
//    prometheus.CounterValue (TYPE counter), asn, local_asn and state are GaugeValue.
struct GoBgpFamily {
  const char* name;
  MetricType type;
  std::set<std::string> labels;
  const char* help;  // GoBGP's help text
};

const GoBgpFamily kGoBgpFamilies[] = {
    {"bgp_peer_state", MetricType::Gauge, {"peer", "session_state", "admin_state"},
     "State of the BGP session with peer and its administrative state"},
    {"bgp_peer_asn", MetricType::Gauge, {"peer", "router_id"},
     "What is the AS number of the peer and its router ID"},
    {"bgp_peer_local_asn", MetricType::Gauge, {"peer", "router_id"},
     "What is the AS number presented to the peer by this router and its ID"},
    {"bgp_peer_flop_count", MetricType::Counter, {"peer"}, "Number of flops with the peer"},
    {"bgp_peer_out_queue_count", MetricType::Counter, {"peer"},
     "Length of the outgoing message queue"},
    {"bgp_peer_password_set", MetricType::Counter, {"peer"},
     "Whether the GoBGP peer has been configured (1) for authentication or not (0)"},
    {"bgp_peer_remove_private_as", MetricType::Counter, {"peer"},
     "Do we remove private ASNs from the paths sent to the peer"},
    {"bgp_peer_type", MetricType::Counter, {"peer"},
     "Type of the BGP peer, internal (0) or external (1)"},
    {"bgp_peer_uptime", MetricType::Counter, {"peer"},
     "For how long the peer has been in its current state"},
    {"bgp_routes_received", MetricType::Gauge, {"peer", "route_family"},
     "Number of routes received from peer"},
    {"bgp_routes_accepted", MetricType::Gauge, {"peer", "route_family"},
     "Number of routes accepted from peer"},
    {"bgp_routes_advertised", MetricType::Gauge, {"peer", "route_family"},
     "Number of routes advertised to peer"},
    {"bgp_received_update_total", MetricType::Counter, {"peer"},
     "Number of received BGP UPDATE messages from peer"},
    {"bgp_received_notification_total", MetricType::Counter, {"peer"},
     "Number of received BGP NOTIFICATION messages from peer"},
    {"bgp_received_open_total", MetricType::Counter, {"peer"},
     "Number of received BGP OPEN messages from peer"},
    {"bgp_received_refresh_total", MetricType::Counter, {"peer"},
     "Number of received BGP REFRESH messages from peer"},
    {"bgp_received_keepalive_total", MetricType::Counter, {"peer"},
     "Number of received BGP KEEPALIVE messages from peer"},
    {"bgp_received_withdraw_update_total", MetricType::Counter, {"peer"},
     "Number of received BGP WITHDRAW-UPDATE messages from peer"},
    {"bgp_received_withdraw_prefix_total", MetricType::Counter, {"peer"},
     "Number of received BGP WITHDRAW-PREFIX messages from peer"},
    {"bgp_received_discarded_total", MetricType::Counter, {"peer"},
     "Number of discarded BGP messages from peer"},
    {"bgp_received_message_total", MetricType::Counter, {"peer"},
     "Number of received BGP messages from peer"},
    {"bgp_sent_update_total", MetricType::Counter, {"peer"},
     "Number of sent BGP UPDATE messages from peer"},
    {"bgp_sent_notification_total", MetricType::Counter, {"peer"},
     "Number of sent BGP NOTIFICATION messages from peer"},
    {"bgp_sent_open_total", MetricType::Counter, {"peer"},
     "Number of sent BGP OPEN messages from peer"},
    {"bgp_sent_refresh_total", MetricType::Counter, {"peer"},
     "Number of sent BGP REFRESH messages from peer"},
    {"bgp_sent_keepalive_total", MetricType::Counter, {"peer"},
     "Number of sent BGP KEEPALIVE messages from peer"},
    {"bgp_sent_withdraw_update_total", MetricType::Counter, {"peer"},
     "Number of sent BGP WITHDRAW-UPDATE messages from peer"},
    {"bgp_sent_withdraw_prefix_total", MetricType::Counter, {"peer"},
     "Number of sent BGP WITHDRAW-PREFIX messages from peer"},
    // metrics.go says "from peer" here; the docs' table (and we) say "to peer".
    {"bgp_sent_discarded_total", MetricType::Counter, {"peer"},
     "Number of discarded BGP messages to peer"},
    {"bgp_sent_message_total", MetricType::Counter, {"peer"},
     "Number of sent BGP messages from peer"},
};

// The six per-peer families GoBGP types as counters without "_total" (two end in "_count"):
// kbgp serves them with the same names, help texts and labels but as gauge or untyped, so
// that `promtool check metrics` passes (bgp_metrics.cc explains the choice).
const std::map<std::string, MetricType> kRetyped = {
    {"bgp_peer_flop_count", MetricType::Untyped},    {"bgp_peer_out_queue_count", MetricType::Untyped},
    {"bgp_peer_password_set", MetricType::Gauge},    {"bgp_peer_remove_private_as", MetricType::Gauge},
    {"bgp_peer_type", MetricType::Gauge},            {"bgp_peer_uptime", MetricType::Gauge},
};

TEST_F(BgpMetricsTest, GoBgpNamesTypesAndLabelsMatch) {
  Establish();
  AddAtB("10.9.0.0/16");
  WaitFor("a route at A", [&] {
    return Value(col_a_->Collect(), "bgp_routes_received",
                 {{"peer", kPeer}, {"route_family", "ipv4-unicast"}}) == 1;
  });
  std::vector<MetricFamily> a = col_a_->Collect();
  std::set<std::string> ours_bgp;
  for (const auto& f : a) {
    if (f.name.rfind("bgp_", 0) == 0) ours_bgp.insert(f.name);
  }
  std::set<std::string> theirs;
  for (const GoBgpFamily& g : kGoBgpFamilies) {
    theirs.insert(g.name);
    SCOPED_TRACE(g.name);
    const MetricFamily* f = Find(a, g.name);
    ASSERT_NE(f, nullptr);
    auto retyped = kRetyped.find(g.name);
    if (retyped == kRetyped.end()) {
      EXPECT_EQ(f->type, g.type);
    } else {
      EXPECT_EQ(g.type, MetricType::Counter);  // GoBGP's type, which promtool lints
      EXPECT_EQ(f->type, retyped->second);
    }
    EXPECT_EQ(f->help, g.help);
    ASSERT_FALSE(f->metric.empty());
    for (const auto& m : f->metric) {
      std::set<std::string> names;
      for (const auto& l : m.label) names.insert(l.name);
      EXPECT_EQ(names, g.labels);
    }
  }
  // No bgp_* family of ours is missing from GoBGP's list: the bgp_ namespace is GoBGP's.
  EXPECT_EQ(ours_bgp, theirs);

  // The text exposition is what Prometheus parses: spot-check a line.
  const std::string text = prometheus::TextSerializer().Serialize(a);
  EXPECT_THAT(text, ::testing::HasSubstr("# TYPE bgp_received_update_total counter"));
  EXPECT_THAT(text, ::testing::HasSubstr(
                        "bgp_peer_state{peer=\"127.0.0.1\",session_state=\"ESTABLISHED\","
                        "admin_state=\"UP\"} 1"));
}

// The acceptance: `promtool check metrics` passes on kbgpd's families (no parse error,
// no lint finding), with a session up, a route and every per-peer family present.
TEST_F(BgpMetricsTest, PromtoolFindsNothing) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << "no " << kPromtool;
  Establish();
  AddAtB("10.9.0.0/16");
  WaitFor("a route at A", [&] {
    return Value(col_a_->Collect(), "bgp_routes_received",
                 {{"peer", kPeer}, {"route_family", "ipv4-unicast"}}) == 1;
  });
  const std::vector<MetricFamily> a = col_a_->Collect();
  ASSERT_NE(Find(a, "bgp_peer_flop_count"), nullptr);
  ASSERT_NE(Find(a, "bgp_peer_out_queue_count"), nullptr);
  const auto r = PromtoolCheckMetrics(prometheus::TextSerializer().Serialize(a));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_EQ(r->output, "");
}

TEST_F(BgpMetricsTest, ScrapeTimesOutWhenTheCoreIsBusy) {
  auto busy = std::make_shared<std::promise<void>>();
  std::shared_future<void> release = busy->get_future().share();
  loop_.Post([release] { release.wait(); });  // the core is stuck until released
  BgpCollector slow(loop_, a_, std::chrono::milliseconds(100));
  std::vector<MetricFamily> v = slow.Collect();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].name, "kbgp_metrics_collect_timeouts_total");
  EXPECT_EQ(v[0].metric[0].counter.value, 1);
  busy->set_value();
  // The late closure ran on the core harmlessly; the next scrape gets its answer.
  OnCore([] {});
  EXPECT_EQ(slow.Collect()[0].metric[0].counter.value, 1);
}

TEST_F(BgpMetricsTest, CoreLoopLagIsMeasured) {
  OnCore([this] { metrics_->StartLoopLag(std::chrono::milliseconds(50)); });
  // Keep the core busy for 300 ms: the 50 ms timer fires about 250 ms late.
  loop_.Post([] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); });
  WaitFor("a lag of 200 ms or more", [&] {
    return Value(registry_->Collect(), "kbgp_core_loop_lag_last_seconds", {}) >= 0.2;
  });
  std::vector<MetricFamily> v = registry_->Collect();
  EXPECT_GE(Value(v, "kbgp_core_loop_lag_seconds", {}), 1);
  EXPECT_LT(Value(v, "kbgp_core_loop_lag_last_seconds", {}), 5);
  // An idle loop: the lag comes back down.
  WaitFor("a small lag again", [&] {
    return Value(registry_->Collect(), "kbgp_core_loop_lag_last_seconds", {}) < 0.1;
  });
}

TEST_F(BgpMetricsTest, ConfigReloadsByResult) {
  std::vector<MetricFamily> v = registry_->Collect();
  EXPECT_EQ(Value(v, "kbgp_config_reloads_total", {{"result", "ok"}}), 0);
  EXPECT_EQ(Value(v, "kbgp_config_reloads_total", {{"result", "failed"}}), 0);
  metrics_->ConfigReloaded(true);
  metrics_->ConfigReloaded(false);
  metrics_->ConfigReloaded(false);
  v = registry_->Collect();
  EXPECT_EQ(Value(v, "kbgp_config_reloads_total", {{"result", "ok"}}), 1);
  EXPECT_EQ(Value(v, "kbgp_config_reloads_total", {{"result", "failed"}}), 2);
  EXPECT_EQ(Value(v, "kbgp_config_last_reload_successful", {}), 0);
}

TEST_F(BgpMetricsTest, GrpcCallsByMethodAndCode) {
  api_server::ApiServer api(loop_, a_);
  api_server::ApiOptions o;
  o.hosts = {"127.0.0.1:0"};
  o.interceptors = metrics_->GrpcInterceptors();
  ASSERT_TRUE(api.Start(o).ok());
  auto stub = apipb::GobgpApi::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", api.bound_ports()[0]), grpc::InsecureChannelCredentials()));
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return c;
  };
  google::protobuf::Empty e;
  apipb::StartBgpRequest start;
  start.mutable_global()->set_asn(65001);
  start.mutable_global()->set_router_id("1.1.1.1");
  start.mutable_global()->set_listen_port(-1);
  ASSERT_TRUE(stub->StartBgp(ctx().get(), start, &e).ok());
  apipb::GetBgpResponse g;
  ASSERT_TRUE(stub->GetBgp(ctx().get(), apipb::GetBgpRequest(), &g).ok());
  ASSERT_TRUE(stub->GetBgp(ctx().get(), apipb::GetBgpRequest(), &g).ok());
  EXPECT_EQ(stub->AddPeer(ctx().get(), apipb::AddPeerRequest(), &e).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  {
    auto c = ctx();
    auto reader = stub->ListPeer(c.get(), apipb::ListPeerRequest());
    apipb::ListPeerResponse r;
    while (reader->Read(&r)) {
    }
    ASSERT_TRUE(reader->Finish().ok());
  }
  // Methods the server does not have: answered UNIMPLEMENTED, never a label value of their own
  // (a client could otherwise make up method names without end).
  grpc::GenericStub generic(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", api.bound_ports()[0]), grpc::InsecureChannelCredentials()));
  for (const char* m : {"/apipb.GobgpApi/NoSuchMethod", "/made.Up/Call"}) {
    grpc::Slice empty("");
    grpc::ByteBuffer out(&empty, 1), in;
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    std::promise<grpc::Status> done;
    generic.UnaryCall(&c, m, grpc::StubOptions(), &out, &in,
                      [&done](grpc::Status s) { done.set_value(s); });
    EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED) << m;
  }
  api.Shutdown();

  std::vector<MetricFamily> v = registry_->Collect();
  for (const auto& m : Find(v, "grpc_server_started_total")->metric) {
    for (const auto& l : m.label) {
      EXPECT_NE(l.value, "NoSuchMethod");
      EXPECT_NE(l.value, "made.Up");
    }
  }
  auto handled = [&](const char* method, const char* type, const char* code) {
    return Value(v, "grpc_server_handled_total",
                 {{"grpc_service", "apipb.GobgpApi"}, {"grpc_method", method},
                  {"grpc_type", type}, {"grpc_code", code}});
  };
  EXPECT_EQ(handled("GetBgp", "unary", "OK"), 2);
  EXPECT_EQ(handled("StartBgp", "unary", "OK"), 1);
  EXPECT_EQ(handled("AddPeer", "unary", "InvalidArgument"), 1);
  EXPECT_EQ(handled("ListPeer", "server_stream", "OK"), 1);
  const Labels get_bgp = {
      {"grpc_service", "apipb.GobgpApi"}, {"grpc_method", "GetBgp"}, {"grpc_type", "unary"}};
  EXPECT_EQ(Value(v, "grpc_server_started_total", get_bgp), 2);
  EXPECT_EQ(Value(v, "grpc_server_handling_seconds", get_bgp), 2);  // histogram count
  EXPECT_EQ(Find(v, "grpc_server_handling_seconds")->type, MetricType::Histogram);
}

}  // namespace
}  // namespace kbgp::metrics
