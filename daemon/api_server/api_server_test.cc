// ApiServer over real gRPC on loopback: a BgpServer on its own core thread, the service on
// an ephemeral port, and the generated stub as the client (what gobgp and kbgp-sync use).
// Covers the RPC semantics tools depend on, and hostile input: every RPC called with empty,
// wrong and huge requests must answer with a status while the daemon stays up.
#include "daemon/api_server/api_server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <future>
#include <chrono>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/attribute.pb.h"
#include "daemon/config/apply.h"
#include "daemon/config/config.h"
#include "api/gobgp.grpc.pb.h"
#include "api/kbgp.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kbgp::api_server {
namespace {

using google::protobuf::Empty;
using ::testing::HasSubstr;

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<server::BgpServer>(loop_);
    api_ = std::make_unique<ApiServer>(loop_, *server_);
    ApiOptions o;
    o.hosts = {"127.0.0.1:0"};
    o.list_chunk = 7;  // small chunks, so listings cross many core visits
    core_ = std::thread([this] { loop_.Run(); });
    ASSERT_TRUE(api_->Start(o).ok());
    ASSERT_GT(api_->bound_ports()[0], 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", api_->bound_ports()[0]),
                                   grpc::InsecureChannelCredentials());
    stub_ = apipb::GobgpApi::NewStub(channel_);
  }

  void TearDown() override {
    api_->Shutdown();
    loop_.Post([this] { server_->Stop(); });
    loop_.Post([this] { loop_.Stop(); });
    core_.join();
  }

  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return c;
  }

  grpc::Status Start(uint32_t asn = 65000, std::string rid = "10.0.0.1") {
    apipb::StartBgpRequest req;
    req.mutable_global()->set_asn(asn);
    req.mutable_global()->set_router_id(rid);
    req.mutable_global()->set_listen_port(-1);
    Empty e;
    return stub_->StartBgp(Ctx().get(), req, &e);
  }

  static apipb::Path MakePath(const std::string& prefix, uint32_t len, const std::string& nh,
                              bool v6 = false) {
    apipb::Path p;
    apipb::IPAddressPrefix n;
    n.set_prefix(prefix);
    n.set_prefix_len(len);
    p.mutable_nlri()->PackFrom(n);
    p.mutable_family()->set_afi(v6 ? apipb::Family::AFI_IP6 : apipb::Family::AFI_IP);
    p.mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
    apipb::OriginAttribute origin;
    origin.set_origin(0);
    p.add_pattrs()->PackFrom(origin);
    if (v6) {
      apipb::MpReachNLRIAttribute mp;
      *mp.mutable_family() = p.family();
      mp.add_next_hops(nh);
      mp.add_nlris()->PackFrom(n);
      p.add_pattrs()->PackFrom(mp);
    } else {
      apipb::NextHopAttribute nhop;
      nhop.set_next_hop(nh);
      p.add_pattrs()->PackFrom(nhop);
    }
    return p;
  }

  grpc::Status AddPath(const apipb::Path& p, std::string* uuid = nullptr) {
    apipb::AddPathRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_path() = p;
    apipb::AddPathResponse resp;
    grpc::Status s = stub_->AddPath(Ctx().get(), req, &resp);
    if (uuid) *uuid = resp.uuid();
    return s;
  }

  static apipb::ListPathRequest ListRequest(apipb::TableType t, bool v6,
                                            const std::vector<std::pair<std::string, int>>& lookups,
                                            const std::string& name = "") {
    apipb::ListPathRequest req;
    req.set_table_type(t);
    req.set_name(name);
    req.mutable_family()->set_afi(v6 ? apipb::Family::AFI_IP6 : apipb::Family::AFI_IP);
    req.mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
    for (auto& [p, type] : lookups) {
      auto* l = req.add_prefixes();
      l->set_prefix(p);
      l->set_type(static_cast<apipb::TableLookupPrefix::Type>(type));
    }
    return req;
  }

  std::vector<apipb::Destination> List(apipb::TableType t, bool v6 = false,
                                       std::vector<std::pair<std::string, int>> lookups = {},
                                       std::string name = "") {
    auto ctx = Ctx();
    auto reader = stub_->ListPath(ctx.get(), ListRequest(t, v6, lookups, name));
    std::vector<apipb::Destination> out;
    apipb::ListPathResponse r;
    while (reader->Read(&r)) out.push_back(r.destination());
    last_status_ = reader->Finish();
    return out;
  }

  bool CoreAlive() {
    apipb::GetBgpResponse r;
    return stub_->GetBgp(Ctx().get(), apipb::GetBgpRequest(), &r).ok();
  }

  EventLoop loop_;
  std::unique_ptr<server::BgpServer> server_;
  std::unique_ptr<ApiServer> api_;
  std::thread core_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<apipb::GobgpApi::Stub> stub_;
  grpc::Status last_status_;
};

TEST_F(ApiServerTest, GetBgpBeforeStartIsEmptyThenStartAndGet) {
  apipb::GetBgpResponse r;
  ASSERT_TRUE(stub_->GetBgp(Ctx().get(), apipb::GetBgpRequest(), &r).ok());
  EXPECT_EQ(r.global().asn(), 0u);
  ASSERT_TRUE(Start().ok());
  ASSERT_TRUE(stub_->GetBgp(Ctx().get(), apipb::GetBgpRequest(), &r).ok());
  EXPECT_EQ(r.global().asn(), 65000u);
  EXPECT_EQ(r.global().router_id(), "10.0.0.1");
  EXPECT_EQ(r.global().listen_port(), -1);
  // A second StartBgp fails and changes nothing.
  EXPECT_FALSE(Start(65001).ok());
  ASSERT_TRUE(stub_->GetBgp(Ctx().get(), apipb::GetBgpRequest(), &r).ok());
  EXPECT_EQ(r.global().asn(), 65000u);
}

TEST_F(ApiServerTest, StartBgpRejectsBadGlobals) {
  EXPECT_EQ(Start(0).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Start(65000, "").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Start(65000, "not-an-ip").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Start(65000, "2001:db8::1").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Empty e;
  EXPECT_EQ(stub_->StartBgp(Ctx().get(), apipb::StartBgpRequest(), &e).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Start().ok());
}

TEST_F(ApiServerTest, AddPeerTwiceGivesGobgpdText) {
  ASSERT_TRUE(Start().ok());
  apipb::AddPeerRequest req;
  req.mutable_peer()->mutable_conf()->set_neighbor_address("192.0.2.2");
  req.mutable_peer()->mutable_conf()->set_peer_asn(65002);
  Empty e;
  ASSERT_TRUE(stub_->AddPeer(Ctx().get(), req, &e).ok());
  grpc::Status again = stub_->AddPeer(Ctx().get(), req, &e);
  EXPECT_FALSE(again.ok());
  EXPECT_THAT(again.error_message(), HasSubstr("can't overwrite the existing peer"));

  auto ctx = Ctx();
  auto reader = stub_->ListPeer(ctx.get(), apipb::ListPeerRequest());
  apipb::ListPeerResponse r;
  std::vector<std::string> addrs;
  while (reader->Read(&r)) addrs.push_back(r.peer().conf().neighbor_address());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(addrs, ::testing::ElementsAre("192.0.2.2"));

  apipb::DeletePeerRequest del;
  del.set_address("192.0.2.2");
  EXPECT_TRUE(stub_->DeletePeer(Ctx().get(), del, &e).ok());
  EXPECT_EQ(stub_->DeletePeer(Ctx().get(), del, &e).error_code(), grpc::StatusCode::UNKNOWN);
}

TEST_F(ApiServerTest, AddListDeletePathsBothFamilies) {
  ASSERT_TRUE(Start().ok());
  std::string uuid;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(AddPath(MakePath(absl::StrCat("10.", i, ".0.0"), 16, "192.0.2.9"),
                        i == 0 ? &uuid : nullptr)
                    .ok());
  }
  ASSERT_TRUE(AddPath(MakePath("10.1.2.0", 24, "192.0.2.9")).ok());
  ASSERT_TRUE(AddPath(MakePath("2001:db8::", 32, "2001:db8::9", true)).ok());
  EXPECT_EQ(uuid.size(), 16u);

  auto all = List(apipb::GLOBAL);
  ASSERT_TRUE(last_status_.ok()) << last_status_.error_message();
  ASSERT_EQ(all.size(), 41u);  // across 6 chunks of 7
  EXPECT_EQ(all[0].prefix(), "10.0.0.0/16");
  ASSERT_EQ(all[0].paths_size(), 1);
  EXPECT_TRUE(all[0].paths(0).best());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_NE(all[i - 1].prefix(), all[i].prefix());

  auto v6 = List(apipb::GLOBAL, true);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].prefix(), "2001:db8::/32");

  // Lookups: exact, longest match for an address, longer and shorter prefixes.
  EXPECT_EQ(List(apipb::GLOBAL, false, {{"10.1.2.0/24", 0}}).size(), 1u);
  auto lpm = List(apipb::GLOBAL, false, {{"10.1.2.3", 0}});
  ASSERT_EQ(lpm.size(), 1u);
  EXPECT_EQ(lpm[0].prefix(), "10.1.2.0/24");
  EXPECT_EQ(List(apipb::GLOBAL, false, {{"10.1.0.0/16", 1}}).size(), 2u);
  EXPECT_EQ(List(apipb::GLOBAL, false, {{"10.1.2.0/24", 2}}).size(), 2u);
  EXPECT_EQ(List(apipb::GLOBAL, false, {{"10.0.0.0/8", 1}}).size(), 41u);

  apipb::GetTableRequest gt;
  gt.mutable_family()->set_afi(apipb::Family::AFI_IP);
  gt.mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
  apipb::GetTableResponse table;
  ASSERT_TRUE(stub_->GetTable(Ctx().get(), gt, &table).ok());
  EXPECT_EQ(table.num_destination(), 41u);

  // By UUID, by path, then everything of a family.
  apipb::DeletePathRequest del;
  del.set_table_type(apipb::GLOBAL);
  del.set_uuid(uuid);
  Empty e;
  ASSERT_TRUE(stub_->DeletePath(Ctx().get(), del, &e).ok());
  EXPECT_EQ(stub_->DeletePath(Ctx().get(), del, &e).error_code(), grpc::StatusCode::UNKNOWN);
  del.clear_uuid();
  *del.mutable_path() = MakePath("10.1.2.0", 24, "192.0.2.9");
  ASSERT_TRUE(stub_->DeletePath(Ctx().get(), del, &e).ok());
  EXPECT_EQ(List(apipb::GLOBAL).size(), 39u);
  del.clear_path();
  del.mutable_family()->set_afi(apipb::Family::AFI_IP);
  del.mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
  ASSERT_TRUE(stub_->DeletePath(Ctx().get(), del, &e).ok());
  EXPECT_EQ(List(apipb::GLOBAL).size(), 0u);
  EXPECT_EQ(List(apipb::GLOBAL, true).size(), 1u);
}

TEST_F(ApiServerTest, AddPathStreamAddsEveryPath) {
  ASSERT_TRUE(Start().ok());
  Empty e;
  auto ctx = Ctx();
  auto writer = stub_->AddPathStream(ctx.get(), &e);
  for (int b = 0; b < 10; ++b) {
    apipb::AddPathStreamRequest req;
    req.set_table_type(apipb::GLOBAL);
    for (int i = 0; i < 100; ++i) {
      *req.add_paths() = MakePath(absl::StrCat("172.", 16 + b, ".", i, ".0"), 24, "192.0.2.9");
    }
    ASSERT_TRUE(writer->Write(req));
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(List(apipb::GLOBAL).size(), 1000u);
}

TEST_F(ApiServerTest, WatchEventReplaysAndStreamsBestPaths) {
  ASSERT_TRUE(Start().ok());
  ASSERT_TRUE(AddPath(MakePath("10.0.0.0", 8, "192.0.2.9")).ok());
  apipb::WatchEventRequest req;
  auto* f = req.mutable_table()->add_filters();
  f->set_type(apipb::WatchEventRequest::Table::Filter::BEST);
  f->set_init(true);
  auto ctx = Ctx();
  auto reader = stub_->WatchEvent(ctx.get(), req);
  std::vector<std::string> seen;
  apipb::WatchEventResponse ev;
  ASSERT_TRUE(reader->Read(&ev));
  ASSERT_TRUE(ev.has_table());
  ASSERT_EQ(ev.table().paths_size(), 1);
  ASSERT_TRUE(AddPath(MakePath("10.9.0.0", 16, "192.0.2.9")).ok());
  ASSERT_TRUE(reader->Read(&ev));
  ASSERT_EQ(ev.table().paths_size(), 1);
  EXPECT_FALSE(ev.table().paths(0).is_withdraw());
  apipb::DeletePathRequest del;
  del.set_table_type(apipb::GLOBAL);
  *del.mutable_path() = MakePath("10.9.0.0", 16, "192.0.2.9");
  Empty e;
  ASSERT_TRUE(stub_->DeletePath(Ctx().get(), del, &e).ok());
  ASSERT_TRUE(reader->Read(&ev));
  ASSERT_EQ(ev.table().paths_size(), 1);
  EXPECT_TRUE(ev.table().paths(0).is_withdraw());
  ctx->TryCancel();
}

TEST_F(ApiServerTest, BadPathsAreInvalidArgument) {
  ASSERT_TRUE(Start().ok());
  apipb::Path p = MakePath("10.0.0.0", 8, "192.0.2.9");
  p.clear_nlri();
  EXPECT_EQ(AddPath(p).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(AddPath(MakePath("10.0.0.0", 33, "192.0.2.9")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(AddPath(MakePath("banana", 8, "192.0.2.9")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  apipb::Path fam = MakePath("10.0.0.0", 8, "192.0.2.9");
  fam.mutable_family()->set_afi(apipb::Family::AFI_L2VPN);
  fam.mutable_family()->set_safi(apipb::Family::SAFI_EVPN);
  EXPECT_EQ(AddPath(fam).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  apipb::Path junk = MakePath("10.0.0.0", 8, "192.0.2.9");
  junk.add_pattrs()->set_type_url("type.googleapis.com/apipb.NoSuchAttribute");
  EXPECT_EQ(AddPath(junk).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  apipb::Path garbage = MakePath("10.0.0.0", 8, "192.0.2.9");
  garbage.mutable_pattrs(0)->set_value("\xff\xff\xff\xff");
  EXPECT_EQ(AddPath(garbage).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  apipb::ListPathRequest lp;
  lp.mutable_family()->set_afi(apipb::Family::AFI_IP);
  lp.mutable_family()->set_safi(apipb::Family::SAFI_UNICAST);
  lp.add_prefixes()->set_prefix("10.0.0.0/99");
  auto ctx = Ctx();
  auto reader = stub_->ListPath(ctx.get(), lp);
  apipb::ListPathResponse r;
  while (reader->Read(&r)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(CoreAlive());
}

// IPv4 routes over an IPv6 next hop (RFC 8950) share one attribute set but are listed with
// MP_REACH_NLRI holding each route's own prefix: the listing must not reuse one route's
// encoding for another.
TEST_F(ApiServerTest, ListPathIpv4OverIpv6NextHopCarriesEachPrefix) {
  ASSERT_TRUE(Start().ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(AddPath(MakePath(absl::StrCat("10.20", i, ".0.0"), 16, "2001:db8::7")).ok());
  }
  const std::vector<apipb::Destination> l = List(apipb::GLOBAL);
  ASSERT_TRUE(last_status_.ok()) << last_status_.error_message();
  ASSERT_EQ(l.size(), 5u);
  for (const apipb::Destination& d : l) {
    SCOPED_TRACE(d.prefix());
    ASSERT_EQ(d.paths_size(), 1);
    int found = 0;
    for (const auto& a : d.paths(0).pattrs()) {
      apipb::MpReachNLRIAttribute mp;
      if (!a.UnpackTo(&mp)) continue;
      ++found;
      EXPECT_EQ(mp.next_hops(0), "2001:db8::7");
      ASSERT_EQ(mp.nlris_size(), 1);
      apipb::IPAddressPrefix n;
      ASSERT_TRUE(mp.nlris(0).UnpackTo(&n));
      EXPECT_EQ(absl::StrCat(n.prefix(), "/", n.prefix_len()), d.prefix());
    }
    EXPECT_EQ(found, 1);
  }
}

// kbgp.KbgpApi.ListPathBatched lists what ListPath lists, in the same order, batched; a
// request that does not parse is refused on both.
TEST_F(ApiServerTest, ListPathBatchedListsWhatListPathLists) {
  ASSERT_TRUE(Start().ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(AddPath(MakePath(absl::StrCat("10.", i, ".0.0"), 16, "192.0.2.9")).ok());
    ASSERT_TRUE(AddPath(MakePath(absl::StrCat("10.", i, ".1.0"), 24, "192.0.2.8")).ok());
  }
  ASSERT_TRUE(AddPath(MakePath("2001:db8::", 32, "2001:db8::1", true)).ok());
  auto kstub = kbgp::KbgpApi::NewStub(channel_);
  auto batched = [&](bool v6, std::vector<std::pair<std::string, int>> lookups, int* messages) {
    const apipb::ListPathRequest req = ListRequest(apipb::GLOBAL, v6, lookups);
    auto ctx = Ctx();
    auto reader = kstub->ListPathBatched(ctx.get(), req);
    std::vector<apipb::Destination> out;
    kbgp::ListPathBatchedResponse r;
    *messages = 0;
    while (reader->Read(&r)) {
      ++*messages;
      for (const auto& d : r.destinations()) out.push_back(d);
    }
    last_status_ = reader->Finish();
    return out;
  };
  auto text = [](const std::vector<apipb::Destination>& v) {
    std::string t;
    for (const auto& d : v) t += d.ShortDebugString() + "\n";
    return t;
  };
  int messages = 0;
  const std::vector<apipb::Destination> one = List(apipb::GLOBAL);
  ASSERT_TRUE(last_status_.ok());
  ASSERT_EQ(one.size(), 80u);
  const std::vector<apipb::Destination> many = batched(false, {}, &messages);
  ASSERT_TRUE(last_status_.ok()) << last_status_.error_message();
  EXPECT_EQ(text(many), text(one));
  // list_chunk is 7 paths here: a batch per chunk, so 80 destinations come in 12 messages.
  EXPECT_EQ(messages, 12);
  const auto longer = std::vector<std::pair<std::string, int>>{
      {"10.3.0.0/16", apipb::TableLookupPrefix::LONGER}};
  EXPECT_EQ(text(batched(false, longer, &messages)), text(List(apipb::GLOBAL, false, longer)));
  EXPECT_EQ(text(batched(true, {}, &messages)), text(List(apipb::GLOBAL, true)));
  EXPECT_EQ(messages, 1);

  // Bytes that are not a ListPathRequest: INVALID_ARGUMENT from both methods.
  for (const char* method : {"/apipb.GobgpApi/ListPath", "/kbgp.KbgpApi/ListPathBatched"}) {
    SCOPED_TRACE(method);
    grpc::GenericStub generic(channel_);
    const std::string junk = "\xff\xff\xff\xff\x0f";
    grpc::Slice slice(junk);
    grpc::ByteBuffer request(&slice, 1);
    auto ctx = Ctx();
    grpc::CompletionQueue cq;
    auto call = generic.PrepareCall(ctx.get(), method, &cq);
    void* tag;
    bool ok;
    call->StartCall(reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    grpc::Status st;
    call->Finish(&st, reinterpret_cast<void*>(3));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  }
  EXPECT_TRUE(CoreAlive());
}

TEST_F(ApiServerTest, UnimplementedRpcsSaySo) {
  Empty e;
  grpc::Status s = stub_->AddVrf(Ctx().get(), apipb::AddVrfRequest(), &e);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(s.error_message(), HasSubstr("AddVrf"));
  EXPECT_THAT(s.error_message(), HasSubstr("not implemented by kbgpd"));
}

// Every RPC with an empty request, before and after StartBgp: each answers (OK or an error
// status), nothing crashes, and the server stays up with its peer configured.
TEST_F(ApiServerTest, EveryRpcWithEmptyRequestAnswers) {
  // An answer is OK or an error with a message (UNKNOWN is gobgpd's code for state errors).
  auto answered = [](const grpc::Status& s) {
    return s.ok() || (!s.error_message().empty() &&
                      s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
                      s.error_code() != grpc::StatusCode::UNAVAILABLE &&
                      s.error_code() != grpc::StatusCode::INTERNAL);
  };
  auto unary = [&](auto method, auto req, auto resp) {
    auto ctx = Ctx();
    grpc::Status s = ((*stub_).*method)(ctx.get(), req, &resp);
    EXPECT_TRUE(answered(s)) << s.error_code() << " " << s.error_message();
  };
  auto stream = [&](auto method, auto req, auto resp) {
    auto ctx = Ctx();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    auto reader = ((*stub_).*method)(ctx.get(), req);
    while (reader->Read(&resp)) {
    }
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(answered(s)) << s.error_code() << " " << s.error_message();
  };
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      ASSERT_TRUE(Start().ok());
      apipb::AddPeerRequest req;
      req.mutable_peer()->mutable_conf()->set_neighbor_address("192.0.2.2");
      req.mutable_peer()->mutable_conf()->set_peer_asn(65002);
      Empty e;
      ASSERT_TRUE(stub_->AddPeer(Ctx().get(), req, &e).ok());
    }
    using S = apipb::GobgpApi::Stub;
    unary(&S::GetBgp, apipb::GetBgpRequest(), apipb::GetBgpResponse());
    unary(&S::AddPeer, apipb::AddPeerRequest(), Empty());
    unary(&S::DeletePeer, apipb::DeletePeerRequest(), Empty());
    stream(&S::ListPeer, apipb::ListPeerRequest(), apipb::ListPeerResponse());
    unary(&S::UpdatePeer, apipb::UpdatePeerRequest(), apipb::UpdatePeerResponse());
    unary(&S::ResetPeer, apipb::ResetPeerRequest(), Empty());
    unary(&S::ShutdownPeer, apipb::ShutdownPeerRequest(), Empty());
    unary(&S::EnablePeer, apipb::EnablePeerRequest(), Empty());
    unary(&S::DisablePeer, apipb::DisablePeerRequest(), Empty());
    unary(&S::AddPeerGroup, apipb::AddPeerGroupRequest(), Empty());
    unary(&S::DeletePeerGroup, apipb::DeletePeerGroupRequest(), Empty());
    stream(&S::ListPeerGroup, apipb::ListPeerGroupRequest(), apipb::ListPeerGroupResponse());
    unary(&S::UpdatePeerGroup, apipb::UpdatePeerGroupRequest(), apipb::UpdatePeerGroupResponse());
    unary(&S::AddDynamicNeighbor, apipb::AddDynamicNeighborRequest(), Empty());
    stream(&S::ListDynamicNeighbor, apipb::ListDynamicNeighborRequest(),
           apipb::ListDynamicNeighborResponse());
    unary(&S::DeleteDynamicNeighbor, apipb::DeleteDynamicNeighborRequest(), Empty());
    unary(&S::AddPath, apipb::AddPathRequest(), apipb::AddPathResponse());
    unary(&S::DeletePath, apipb::DeletePathRequest(), Empty());
    stream(&S::ListPath, apipb::ListPathRequest(), apipb::ListPathResponse());
    unary(&S::GetTable, apipb::GetTableRequest(), apipb::GetTableResponse());
    unary(&S::AddDefinedSet, apipb::AddDefinedSetRequest(), Empty());
    unary(&S::DeleteDefinedSet, apipb::DeleteDefinedSetRequest(), Empty());
    stream(&S::ListDefinedSet, apipb::ListDefinedSetRequest(), apipb::ListDefinedSetResponse());
    unary(&S::AddStatement, apipb::AddStatementRequest(), Empty());
    unary(&S::DeleteStatement, apipb::DeleteStatementRequest(), Empty());
    stream(&S::ListStatement, apipb::ListStatementRequest(), apipb::ListStatementResponse());
    unary(&S::AddPolicy, apipb::AddPolicyRequest(), Empty());
    unary(&S::DeletePolicy, apipb::DeletePolicyRequest(), Empty());
    stream(&S::ListPolicy, apipb::ListPolicyRequest(), apipb::ListPolicyResponse());
    unary(&S::SetPolicies, apipb::SetPoliciesRequest(), Empty());
    unary(&S::AddPolicyAssignment, apipb::AddPolicyAssignmentRequest(), Empty());
    unary(&S::DeletePolicyAssignment, apipb::DeletePolicyAssignmentRequest(), Empty());
    stream(&S::ListPolicyAssignment, apipb::ListPolicyAssignmentRequest(),
           apipb::ListPolicyAssignmentResponse());
    unary(&S::SetPolicyAssignment, apipb::SetPolicyAssignmentRequest(), Empty());
    unary(&S::SetLogLevel, apipb::SetLogLevelRequest(), Empty());
    stream(&S::ListVrf, apipb::ListVrfRequest(), apipb::ListVrfResponse());
    stream(&S::ListRpki, apipb::ListRpkiRequest(), apipb::ListRpkiResponse());
    stream(&S::ListBmp, apipb::ListBmpRequest(), apipb::ListBmpResponse());
    unary(&S::EnableMrt, apipb::EnableMrtRequest(), Empty());
    ASSERT_TRUE(CoreAlive());
  }
  // The peer added in round 1 is still there (an empty DeletePeer touched nothing).
  auto ctx = Ctx();
  auto reader = stub_->ListPeer(ctx.get(), apipb::ListPeerRequest());
  apipb::ListPeerResponse r;
  int n = 0;
  while (reader->Read(&r)) ++n;
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(n, 1);
}

TEST_F(ApiServerTest, HugeAndHostileRequestsAreRefusedNotFatal) {
  ASSERT_TRUE(Start().ok());
  Empty e;
  // A 64 MiB description, an absurd address, a peer AS of 0.
  apipb::AddPeerRequest big;
  big.mutable_peer()->mutable_conf()->set_neighbor_address("192.0.2.3");
  big.mutable_peer()->mutable_conf()->set_peer_asn(65003);
  big.mutable_peer()->mutable_conf()->set_description(std::string(64 << 20, 'x'));
  grpc::Status s = stub_->AddPeer(Ctx().get(), big, &e);
  (void)s;  // accepted or refused; either way the daemon answers and stays up
  apipb::AddPeerRequest bad;
  bad.mutable_peer()->mutable_conf()->set_neighbor_address("300.1.2.3");
  bad.mutable_peer()->mutable_conf()->set_peer_asn(65003);
  EXPECT_EQ(stub_->AddPeer(Ctx().get(), bad, &e).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.mutable_peer()->mutable_conf()->set_neighbor_address("192.0.2.4");
  bad.mutable_peer()->mutable_conf()->set_peer_asn(0);
  EXPECT_EQ(stub_->AddPeer(Ctx().get(), bad, &e).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // 200,000 attributes on one path.
  apipb::Path p = MakePath("10.0.0.0", 8, "192.0.2.9");
  apipb::CommunitiesAttribute c;
  for (int i = 0; i < 200000; ++i) c.add_communities(static_cast<uint32_t>(i));
  p.add_pattrs()->PackFrom(c);
  s = AddPath(p);
  EXPECT_NE(s.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_TRUE(CoreAlive());
}

// A config file and API calls mixed: the API sees what the file configured (peers, defined
// sets), adds its own, and a SIGHUP reload of the file leaves what the API added alone.
TEST_F(ApiServerTest, ConfigFileAndApiMix) {
  constexpr char kBefore[] = R"(
global:
  config: {as: 65000, router-id: 10.0.0.1, port: -1}
neighbors:
  - config: {neighbor-address: 192.0.2.2, peer-as: 65002}
defined-sets:
  prefix-sets:
    - prefix-set-name: ps-file
      prefix-list: [{ip-prefix: 10.0.0.0/8}]
)";
  constexpr char kAfter[] = R"(
global:
  config: {as: 65000, router-id: 10.0.0.1, port: -1}
neighbors:
  - config: {neighbor-address: 192.0.2.2, peer-as: 65002}
  - config: {neighbor-address: 192.0.2.4, peer-as: 65004}
)";
  auto before = config::LoadString(kBefore, "before.yaml");
  auto after = config::LoadString(kAfter, "after.yaml");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(after.ok()) << after.status();
  // Runs fn on the core and waits for it, at most 10 s.
  auto on_core = [&](std::function<absl::Status()> fn) {
    auto p = std::make_shared<std::promise<absl::Status>>();
    auto f = p->get_future();
    loop_.Post([p, fn] { p->set_value(fn()); });
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      return absl::DeadlineExceededError("core loop did not answer");
    }
    return f.get();
  };
  absl::Status applied = on_core([&] { return config::ApplyInitial(*server_, *before); });
  ASSERT_TRUE(applied.ok()) << applied;

  auto peers = [&] {
    auto ctx = Ctx();
    auto reader = stub_->ListPeer(ctx.get(), apipb::ListPeerRequest());
    apipb::ListPeerResponse r;
    std::vector<std::string> v;
    while (reader->Read(&r)) v.push_back(r.peer().conf().neighbor_address());
    EXPECT_TRUE(reader->Finish().ok());
    return v;
  };
  EXPECT_THAT(peers(), ::testing::ElementsAre("192.0.2.2"));
  apipb::AddPeerRequest add;
  add.mutable_peer()->mutable_conf()->set_neighbor_address("192.0.2.3");
  add.mutable_peer()->mutable_conf()->set_peer_asn(65003);
  Empty e;
  ASSERT_TRUE(stub_->AddPeer(Ctx().get(), add, &e).ok());
  EXPECT_THAT(peers(), ::testing::ElementsAre("192.0.2.2", "192.0.2.3"));

  apipb::ListDefinedSetRequest lds;
  lds.set_defined_type(apipb::PREFIX);
  auto ctx = Ctx();
  auto reader = stub_->ListDefinedSet(ctx.get(), lds);
  apipb::ListDefinedSetResponse ds;
  std::vector<std::string> sets;
  while (reader->Read(&ds)) sets.push_back(ds.defined_set().name());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(sets, ::testing::ElementsAre("ps-file"));

  applied = on_core([&] { return config::ApplyReload(*server_, *before, *after); });
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_THAT(peers(), ::testing::ElementsAre("192.0.2.2", "192.0.2.3", "192.0.2.4"));
}

// A route server client's apply_policy in AddPeer becomes its own assignment; DeletePeer
// drops it.
TEST_F(ApiServerTest, RouteServerClientAssignmentFollowsThePeer) {
  ASSERT_TRUE(Start().ok());
  Empty e;
  apipb::AddPolicyRequest pol;
  pol.mutable_policy()->set_name("p-rs");
  pol.mutable_policy()->add_statements()->mutable_actions()->set_route_action(
      apipb::RouteAction::ACCEPT);
  ASSERT_TRUE(stub_->AddPolicy(Ctx().get(), pol, &e).ok());
  apipb::AddPeerRequest add;
  add.mutable_peer()->mutable_conf()->set_neighbor_address("192.0.2.5");
  add.mutable_peer()->mutable_conf()->set_peer_asn(65005);
  add.mutable_peer()->mutable_route_server()->set_route_server_client(true);
  auto* imp = add.mutable_peer()->mutable_apply_policy()->mutable_import_policy();
  imp->add_policies()->set_name("p-rs");
  imp->set_default_action(apipb::RouteAction::REJECT);
  ASSERT_TRUE(stub_->AddPeer(Ctx().get(), add, &e).ok());

  auto assignment = [&]() {
    apipb::ListPolicyAssignmentRequest req;
    req.set_name("192.0.2.5");
    req.set_direction(apipb::PolicyDirection::IMPORT);
    auto ctx = Ctx();
    auto reader = stub_->ListPolicyAssignment(ctx.get(), req);
    apipb::ListPolicyAssignmentResponse r;
    std::vector<std::string> names;
    while (reader->Read(&r)) {
      for (const auto& p : r.assignment().policies()) names.push_back(p.name());
    }
    grpc::Status s = reader->Finish();
    return std::make_pair(s.ok(), names);
  };
  auto [ok, names] = assignment();
  EXPECT_TRUE(ok);
  EXPECT_THAT(names, ::testing::ElementsAre("p-rs"));

  apipb::DeletePeerRequest del;
  del.set_address("192.0.2.5");
  ASSERT_TRUE(stub_->DeletePeer(Ctx().get(), del, &e).ok());
  auto [ok2, names2] = assignment();
  EXPECT_TRUE(!ok2 || names2.empty());
}

std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(KBGP_TLS_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// TLS and mutual TLS: a client that trusts the CA gets in; with a client CA set, only a client
// with a certificate from it does.
TEST(ApiServerTlsTest, TlsAndMutualTls) {
  for (bool mutual : {false, true}) {
    EventLoop loop;
    server::BgpServer bgp(loop);
    ApiServer api(loop, bgp);
    ApiOptions o;
    o.hosts = {"127.0.0.1:0"};
    o.tls = true;
    o.cert_file = std::string(KBGP_TLS_DIR) + "/server.pem";
    o.key_file = std::string(KBGP_TLS_DIR) + "/server.key";
    if (mutual) o.client_ca_file = std::string(KBGP_TLS_DIR) + "/ca.pem";
    std::thread core([&] { loop.Run(); });
    ASSERT_TRUE(api.Start(o).ok());
    const std::string target = absl::StrCat("127.0.0.1:", api.bound_ports()[0]);
    auto call = [&](std::shared_ptr<grpc::ChannelCredentials> creds) {
      grpc::ChannelArguments args;
      args.SetSslTargetNameOverride("kbgpd.test");
      auto stub = apipb::GobgpApi::NewStub(grpc::CreateCustomChannel(target, creds, args));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      apipb::GetBgpResponse r;
      return stub->GetBgp(&ctx, apipb::GetBgpRequest(), &r);
    };
    grpc::SslCredentialsOptions trust;
    trust.pem_root_certs = ReadTestFile("ca.pem");
    grpc::SslCredentialsOptions with_cert = trust;
    with_cert.pem_private_key = ReadTestFile("client.key");
    with_cert.pem_cert_chain = ReadTestFile("client.pem");
    EXPECT_FALSE(call(grpc::InsecureChannelCredentials()).ok()) << "plaintext to a TLS port";
    EXPECT_EQ(call(grpc::SslCredentials(trust)).ok(), !mutual) << "mutual=" << mutual;
    EXPECT_TRUE(call(grpc::SslCredentials(with_cert)).ok()) << "mutual=" << mutual;
    api.Shutdown();
    loop.Post([&] { loop.Stop(); });
    core.join();
  }
}

TEST(ApiServerTlsTest, MissingFilesAreAnError) {
  EventLoop loop;
  server::BgpServer bgp(loop);
  ApiServer api(loop, bgp);
  ApiOptions o;
  o.hosts = {"127.0.0.1:0"};
  o.tls = true;
  EXPECT_FALSE(api.Start(o).ok());
  o.cert_file = "/nonexistent/server.pem";
  o.key_file = "/nonexistent/server.key";
  EXPECT_FALSE(api.Start(o).ok());
}

TEST(ParseApiHostsTest, Forms) {
  auto h = ParseApiHosts("127.0.0.1:50051,[::1]:50052,unix:///run/kbgpd.sock,:50053");
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(*h, ::testing::ElementsAre("127.0.0.1:50051", "[::1]:50052",
                                         "unix:///run/kbgpd.sock", "[::]:50053"));
  EXPECT_FALSE(ParseApiHosts("127.0.0.1").ok());
  EXPECT_FALSE(ParseApiHosts("127.0.0.1:99999").ok());
  EXPECT_FALSE(ParseApiHosts("bogus:1").ok());
  EXPECT_FALSE(ParseApiHosts("unix://").ok());
  EXPECT_FALSE(ParseApiHosts("").ok());
}

}  // namespace
}  // namespace kbgp::api_server
