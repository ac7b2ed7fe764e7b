// The reconciler against a real kbgpd (started by the test on a free loopback port, BGP port
// not listening; its peers are loopback addresses): first pass applies everything, a second pass changes nothing, a change of
// the desired state applies only the difference, a restarted daemon is restored.
#include "sidecar/reconcile/reconcile.h"

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "api/attribute.pb.h"
#include "gtest/gtest.h"

namespace kbgp::sidecar {
namespace {

TEST(ReconcileConvert, PathRoundTrip) {
  std::string prefix, nh;
  ASSERT_TRUE(FromApiPath(ToApiPath("10.244.1.0/24", "10.0.0.1"), &prefix, &nh));
  EXPECT_EQ(prefix, "10.244.1.0/24");
  EXPECT_EQ(nh, "10.0.0.1");
  ASSERT_TRUE(FromApiPath(ToApiPath("2001:db8:1::10/128", "2001:db8::1"), &prefix, &nh));
  EXPECT_EQ(prefix, "2001:db8:1::10/128");
  EXPECT_EQ(nh, "2001:db8::1");
  apipb::Path junk;
  EXPECT_FALSE(FromApiPath(junk, &prefix, &nh));
}

TEST(ReconcileConvert, StatementKeyIgnoresNameAndCommunityForm) {
  DesiredStatement d{"x", "vips", "ext", true, 65000, 2, {0xFFFFFF01, (65000u << 16) | 7}, true};
  apipb::Statement a = ToApiStatement(d, "one");
  apipb::Statement b = ToApiStatement(d, "two");
  EXPECT_EQ(StatementKey(a), StatementKey(b));
  b.mutable_actions()->mutable_community()->set_communities(0, "no-export");
  EXPECT_EQ(StatementKey(a), StatementKey(b));
  b.mutable_actions()->mutable_as_prepend()->set_repeat(3);
  EXPECT_NE(StatementKey(a), StatementKey(b));
  DesiredStatement r{"y", "vips", "all", false};
  EXPECT_NE(StatementKey(ToApiStatement(r, "y")), StatementKey(a));
}

TEST(ReconcileConvert, PeerCarriesOptions) {
  DesiredPeer p;
  p.address = "10.0.0.100";
  p.asn = 65001;
  p.password = "pw";
  p.remote_port = 1179;
  p.local_address = "10.0.0.1";
  p.multihop_ttl = 4;
  p.rr_client = true;
  p.rr_cluster_id = "1.1.1.1";
  p.graceful_restart = true;
  p.restart_time = 90;
  p.ipv6 = true;
  apipb::Peer a = ToApiPeer(p);
  EXPECT_EQ(a.conf().peer_asn(), 65001u);
  EXPECT_EQ(a.conf().auth_password(), "pw");
  EXPECT_EQ(a.transport().remote_port(), 1179u);
  EXPECT_EQ(a.transport().local_address(), "10.0.0.1");
  EXPECT_TRUE(a.ebgp_multihop().enabled());
  EXPECT_EQ(a.ebgp_multihop().multihop_ttl(), 4u);
  EXPECT_TRUE(a.route_reflector().route_reflector_client());
  EXPECT_TRUE(a.graceful_restart().enabled());
  ASSERT_EQ(a.afi_safis_size(), 2);
  EXPECT_TRUE(a.afi_safis(1).mp_graceful_restart().config().enabled());
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  int port = ntohs(sa.sin_port);
  close(fd);
  return port;
}

class Kbgpd {
 public:
  explicit Kbgpd(int port) : port_(port) { Start(); }
  ~Kbgpd() { Stop(); }
  void Start() {
    pid_ = fork();
    if (pid_ == 0) {
      std::string hosts = absl::StrCat("127.0.0.1:", port_);
      // --no-metrics: the default metrics port is one per host, and tests run in parallel.
      execl(KBGP_KBGPD_PATH, "kbgpd", "--api-hosts", hosts.c_str(), "-l", "warn", "--no-metrics",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  int port_;
  pid_t pid_ = -1;
};

DesiredState Sample(uint32_t prepend_repeat) {
  DesiredState d;
  d.ok = true;
  d.global = {64512, "127.0.0.1", -1};
  DesiredPeer p;
  p.address = "127.0.0.2";
  p.asn = 64512;
  p.local_address = "127.0.0.1";
  d.peers[p.address] = p;
  DesiredPeer e = p;
  e.address = "127.0.0.100";
  e.asn = 65001;
  e.external = true;
  d.peers[e.address] = e;
  d.paths = {{"10.244.1.0/24", "127.0.0.1"}, {"198.51.100.1/32", "127.0.0.1"}};
  d.vips = {"198.51.100.1/32"};
  d.sets["podcidrdefinedset"] = {false, {{"10.244.1.0/24", 24, 24}}};
  d.sets["servicevipsdefinedset"] = {false, {{"198.51.100.1/32", 32, 32}}};
  d.sets["defaultroutedefinedset"] = {false, {{"0.0.0.0/0", 0, 0}}};
  d.sets["iBGPpeerset"] = {true, {{"127.0.0.1/32"}, {"127.0.0.2/32"}}};
  d.sets["externalpeerset"] = {true, {{"127.0.0.100/32"}}};
  d.sets["allpeerset"] = {true, {{"127.0.0.1/32"}, {"127.0.0.100/32"}, {"127.0.0.2/32"}}};
  d.export_statements = {
      {"podcidr_to_ibgp", "podcidrdefinedset", "iBGPpeerset", true},
      {"vips_to_external", "servicevipsdefinedset", "externalpeerset", true, 65000,
       prepend_repeat, {0xFFFFFF01}},
  };
  d.import_statements = {{"reject_vips", "servicevipsdefinedset", "allpeerset", false},
                         {"reject_default", "defaultroutedefinedset", "allpeerset", false}};
  return d;
}

class ReconcileKbgpd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(KBGP_KBGPD_PATH, X_OK) != 0) GTEST_SKIP() << "no kbgpd at " << KBGP_KBGPD_PATH;
    port_ = FreePort();
    daemon_ = std::make_unique<Kbgpd>(port_);
    ASSERT_TRUE(WaitUp());
  }
  // A fresh channel per attempt: a channel whose first connect was refused can take seconds
  // to try again (gRPC 1.51), a new one connects at once. kbgp-sync does the same.
  bool WaitUp() {
    for (int i = 0; i < 100; ++i) {
      stub_ = apipb::GobgpApi::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                                                           grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(2000));
      apipb::GetBgpResponse r;
      grpc::Status gs = stub_->GetBgp(&ctx, apipb::GetBgpRequest(), &r);
      if (gs.ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  std::map<std::string, std::string> LocalPaths() {
    std::map<std::string, std::string> out;
    grpc::ClientContext ctx;
    apipb::ListPathRequest req;
    req.set_table_type(apipb::GLOBAL);
    req.mutable_family()->set_afi(apipb::Family::AFI_IP);
    req.mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
    auto reader = stub_->ListPath(&ctx, req);
    apipb::ListPathResponse resp;
    while (reader->Read(&resp)) {
      for (const auto& p : resp.destination().paths()) {
        std::string prefix, nh;
        if (FromApiPath(p, &prefix, &nh)) out[prefix] = nh;
      }
    }
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  }
  int port_ = 0;
  std::unique_ptr<Kbgpd> daemon_;
  std::shared_ptr<apipb::GobgpApi::Stub> stub_;
};

TEST_F(ReconcileKbgpd, ApplyThenIdempotentThenDifferenceOnly) {
  Reconciler rec(stub_);
  DesiredState d = Sample(2);
  ReconcileResult r1;
  ASSERT_TRUE(rec.Reconcile(d, &r1).ok());
  EXPECT_TRUE(r1.started);
  // StartBgp, 6 sets, 2 policies + 2 assignments, 2 peers, 2 paths.
  EXPECT_EQ(r1.changes, 1 + 6 + 4 + 2 + 2) << absl::StrJoin(r1.applied, "\n");
  EXPECT_EQ(LocalPaths(), d.paths);

  ReconcileResult r2;
  ASSERT_TRUE(rec.Reconcile(d, &r2).ok());
  EXPECT_EQ(r2.changes, 0) << absl::StrJoin(r2.applied, "\n");
  EXPECT_GT(r2.reads, 0);

  // A fresh reconciler (a restarted sidecar) adopts what is there: still zero changes.
  Reconciler rec2(stub_);
  ReconcileResult r2b;
  ASSERT_TRUE(rec2.Reconcile(d, &r2b).ok());
  EXPECT_EQ(r2b.changes, 0) << absl::StrJoin(r2b.applied, "\n");

  // VIP withdrawn, another added, prepend lengthened, one peer gone.
  DesiredState e = Sample(4);
  e.paths.erase("198.51.100.1/32");
  e.paths["198.51.100.2/32"] = "127.0.0.1";
  e.sets["servicevipsdefinedset"] = {false, {{"198.51.100.2/32", 32, 32}}};
  e.peers.erase("127.0.0.2");
  ReconcileResult r3;
  ASSERT_TRUE(rec.Reconcile(e, &r3).ok());
  // +1 set entry, -1 set entry; export: AddPolicy, SetPolicyAssignment, DeletePolicy;
  // DeletePeer; AddPath, DeletePath.
  EXPECT_EQ(r3.changes, 2 + 3 + 1 + 2) << absl::StrJoin(r3.applied, "\n");
  EXPECT_EQ(LocalPaths(), e.paths);
  ReconcileResult r4;
  ASSERT_TRUE(rec.Reconcile(e, &r4).ok());
  EXPECT_EQ(r4.changes, 0) << absl::StrJoin(r4.applied, "\n");

  // Next hop change: AddPath replaces.
  e.paths["198.51.100.2/32"] = "127.0.0.9";
  ReconcileResult r5;
  ASSERT_TRUE(rec.Reconcile(e, &r5).ok());
  EXPECT_EQ(r5.changes, 1) << absl::StrJoin(r5.applied, "\n");
  EXPECT_EQ(LocalPaths(), e.paths);

  // A set emptied: its statements go first, then the whole set.
  DesiredState f = e;
  f.paths.erase("198.51.100.2/32");
  f.sets.erase("servicevipsdefinedset");
  f.export_statements.pop_back();
  f.import_statements.erase(f.import_statements.begin());
  ReconcileResult r6;
  ASSERT_TRUE(rec.Reconcile(f, &r6).ok()) << absl::StrJoin(r6.applied, "\n");
  ReconcileResult r7;
  ASSERT_TRUE(rec.Reconcile(f, &r7).ok());
  EXPECT_EQ(r7.changes, 0) << absl::StrJoin(r7.applied, "\n");
}

TEST_F(ReconcileKbgpd, IncrementalPassesAndStreamedAdds) {
  Reconciler rec(stub_);
  DesiredState d = Sample(1);
  for (int i = 0; i < 40; ++i) d.paths[absl::StrCat("198.18.0.", i, "/32")] = "127.0.0.1";
  ReconcileResult r1;
  ASSERT_TRUE(rec.Reconcile(d, &r1).ok());
  // The 42 paths go in one AddPathStream.
  int streams = 0;
  for (const std::string& a : r1.applied) streams += absl::StartsWith(a, "AddPathStream 42 ");
  EXPECT_EQ(streams, 1) << absl::StrJoin(r1.applied, "\n");
  EXPECT_EQ(LocalPaths(), d.paths);
  // An incremental pass reads no paths or sets and changes only the difference.
  d.paths.erase("198.18.0.7/32");
  d.paths["198.18.1.1/32"] = "127.0.0.1";
  ReconcileResult r2;
  ASSERT_TRUE(rec.Reconcile(d, &r2, /*full=*/false).ok());
  EXPECT_EQ(r2.changes, 2) << absl::StrJoin(r2.applied, "\n");
  EXPECT_EQ(LocalPaths(), d.paths);
  ReconcileResult r3;
  ASSERT_TRUE(rec.Reconcile(d, &r3, /*full=*/false).ok());
  EXPECT_EQ(r3.changes, 0);
  EXPECT_LT(r3.reads, r2.reads + 1);
  // Something removed behind the sidecar's back is found by the next full pass.
  {
    grpc::ClientContext ctx;
    apipb::DeletePathRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_path() = ToApiPath("198.18.0.1/32", "127.0.0.1");
    google::protobuf::Empty e;
    ASSERT_TRUE(stub_->DeletePath(&ctx, req, &e).ok());
  }
  ReconcileResult r4;
  ASSERT_TRUE(rec.Reconcile(d, &r4, /*full=*/false).ok());
  EXPECT_EQ(r4.changes, 0);  // not seen: incremental
  ReconcileResult r5;
  ASSERT_TRUE(rec.Reconcile(d, &r5, /*full=*/true).ok());
  EXPECT_EQ(r5.changes, 1) << absl::StrJoin(r5.applied, "\n");
  EXPECT_EQ(LocalPaths(), d.paths);
}

TEST_F(ReconcileKbgpd, RestoresARestartedDaemon) {
  Reconciler rec(stub_);
  DesiredState d = Sample(1);
  ReconcileResult r1;
  ASSERT_TRUE(rec.Reconcile(d, &r1).ok());
  EXPECT_TRUE(*rec.DaemonStartedWith(64512));
  daemon_->Stop();
  EXPECT_FALSE(rec.DaemonStartedWith(64512).ok());
  ReconcileResult down;
  EXPECT_FALSE(rec.Reconcile(d, &down).ok());
  daemon_->Start();
  ASSERT_TRUE(WaitUp());
  rec.SetStub(stub_);
  EXPECT_FALSE(*rec.DaemonStartedWith(64512));
  ReconcileResult r2;
  ASSERT_TRUE(rec.Reconcile(d, &r2).ok());
  EXPECT_TRUE(r2.started);
  EXPECT_EQ(r2.changes, r1.changes);
  EXPECT_EQ(LocalPaths(), d.paths);
  ReconcileResult r3;
  ASSERT_TRUE(rec.Reconcile(d, &r3).ok());
  EXPECT_EQ(r3.changes, 0) << absl::StrJoin(r3.applied, "\n");
}

TEST_F(ReconcileKbgpd, NewAsRestartsTheInstanceAndRestoresEverything) {
  Reconciler rec(stub_);
  DesiredState d = Sample(1);
  ReconcileResult r1;
  ASSERT_TRUE(rec.Reconcile(d, &r1).ok());
  // node.asn changed live: StopBgp, StartBgp with the new AS, everything applied again.
  d.global.asn = 64600;
  for (auto& [addr, p] : d.peers) {
    if (!p.external) p.asn = 64600;
  }
  ReconcileResult r2;
  ASSERT_TRUE(rec.Reconcile(d, &r2, /*full=*/false).ok()) << absl::StrJoin(r2.applied, "\n");
  EXPECT_TRUE(r2.started);
  EXPECT_EQ(r2.applied.front(), "StopBgp");
  EXPECT_TRUE(*rec.DaemonStartedWith(64600));
  EXPECT_EQ(LocalPaths(), d.paths);
  ReconcileResult r3;
  ASSERT_TRUE(rec.Reconcile(d, &r3).ok());
  EXPECT_EQ(r3.changes, 0) << absl::StrJoin(r3.applied, "\n");
}

TEST(Reconcile, NotOkDesiredChangesNothing) {
  DesiredState d;
  d.error = "node not found";
  Reconciler rec(nullptr);
  ReconcileResult r;
  EXPECT_FALSE(rec.Reconcile(d, &r).ok());
  EXPECT_EQ(r.changes + r.reads, 0);
}

}  // namespace
}  // namespace kbgp::sidecar
