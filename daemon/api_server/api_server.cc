#include "daemon/api_server/api_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "api/gobgp.grpc.pb.h"
#include "api/gobgp.pb.h"
#include "api/kbgp.grpc.pb.h"
#include "daemon/api_server/convert.h"
#include "daemon/api_server/policy_store.h"
#include "daemon/common/log.h"
#include "daemon/rib/decision.h"

namespace kbgp::api_server {
namespace {

using google::protobuf::Empty;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    // gobgpd answers these states of the world (exists, not found, not started, in use)
    // with plain errors, which gRPC-Go sends as UNKNOWN; clients match on the text.
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::UNKNOWN;
      break;
    case absl::StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case absl::StatusCode::kUnimplemented:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case absl::StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case absl::StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    default:
      code = grpc::StatusCode::UNKNOWN;
      break;
  }
  return grpc::Status(code, std::string(s.message()));
}

grpc::Status Invalid(absl::string_view msg) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(msg));
}

grpc::Status NotImplemented(absl::string_view rpc) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      absl::StrCat(rpc, " is not implemented by kbgpd (see api/README.md)"));
}

absl::StatusOr<IpAddress> ParseAddress(absl::string_view text, absl::string_view what) {
  auto a = IpAddress::Parse(text);
  if (!a.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", what, " address: \"", text, "\""));
  }
  return *a;
}

// RFC 4122 version 4 UUID bytes, as gobgpd returns from AddPath.
// AddPath's UUIDs (RFC 4122 version 4, as gobgpd returns) are kept as 128-bit integers: no
// heap string per local path (a million API routes carry a million of them).
using Uuid = absl::uint128;

Uuid NewUuid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  uint64_t hi = rng(), lo = rng();
  hi = (hi & ~uint64_t{0xf000}) | 0x4000;                       // version 4 (octet 6)
  lo = (lo & ~(uint64_t{0xc0} << 56)) | (uint64_t{0x80} << 56);  // variant 10 (octet 8)
  return absl::MakeUint128(hi, lo);
}

std::string UuidBytes(Uuid u) {
  std::string b(16, '\0');
  for (int i = 0; i < 8; ++i) {
    b[static_cast<size_t>(i)] = static_cast<char>(absl::Uint128High64(u) >> (56 - 8 * i));
    b[static_cast<size_t>(8 + i)] = static_cast<char>(absl::Uint128Low64(u) >> (56 - 8 * i));
  }
  return b;
}

std::optional<Uuid> UuidFromBytes(const std::string& b) {
  if (b.size() != 16) return std::nullopt;
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) {
    hi = hi << 8 | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
    lo = lo << 8 | static_cast<uint8_t>(b[static_cast<size_t>(8 + i)]);
  }
  return absl::MakeUint128(hi, lo);
}

std::string ReadFile(const std::string& path, absl::Status* status) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *status = absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// StartBgp's Global -> the server's start parameters, with gobgpd's defaults (port 0 is
// 179, -1 does not listen; no listen addresses: 0.0.0.0 and ::).
absl::StatusOr<server::GlobalSpec> GlobalFromApi(const apipb::Global& g) {
  server::GlobalSpec spec;
  if (g.asn() == 0) return absl::InvalidArgumentError("invalid AS number: 0");
  spec.as = g.asn();
  auto rid = IpAddress::Parse(g.router_id());
  if (!rid.ok() || !rid->is_v4() || rid->v4() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid router-id: \"", g.router_id(), "\""));
  }
  spec.router_id = rid->v4();
  if (g.listen_port() < -1 || g.listen_port() > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("invalid listen port: ", g.listen_port()));
  }
  spec.port = g.listen_port() == 0 ? 179 : g.listen_port();
  for (const std::string& a : g.listen_addresses()) {
    auto addr = IpAddress::Parse(a);
    if (!addr.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid listen address: \"", a, "\""));
    }
    spec.listen_addresses.push_back(*addr);
  }
  if (!g.bind_to_device().empty()) {
    return absl::InvalidArgumentError("bind_to_device is not supported by kbgpd");
  }
  spec.decision.multipath = g.use_multiple_paths();
  const auto& rs = g.route_selection_options();
  spec.decision.always_compare_med = rs.always_compare_med();
  spec.decision.ignore_as_path_length = rs.ignore_as_path_length();
  spec.decision.external_compare_router_id = rs.external_compare_router_id();
  return spec;
}

void GlobalToApi(const server::GlobalSpec& spec, uint16_t bound_port, apipb::Global* g) {
  g->set_asn(spec.as);
  g->set_router_id(IpAddress::V4(spec.router_id).ToString());
  g->set_listen_port(spec.port < 0 ? -1 : (spec.port == 0 ? bound_port : spec.port));
  if (spec.listen_addresses.empty()) {
    g->add_listen_addresses("0.0.0.0");
    g->add_listen_addresses("::");
  }
  for (const IpAddress& a : spec.listen_addresses) g->add_listen_addresses(a.ToString());
  g->set_use_multiple_paths(spec.decision.multipath);
}

// One WatchEvent subscriber: the core appends, the gRPC thread drains.
struct Watcher {
  bool peers = false;
  bool best = false;  // cleared while BGP is stopped
  bool wants_best = false;
  bool post_policy = false;
  bool adj_in = false;
  size_t limit = 0;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<apipb::WatchEventResponse> queue;
  size_t queued_paths = 0;
  bool overflow = false;
  // Table events of the current loop turn, pushed as one TableEvent.
  std::optional<apipb::WatchEventResponse> pending_table;

  void Push(apipb::WatchEventResponse ev, size_t weight) {
    std::lock_guard<std::mutex> lock(mu);
    if (overflow) return;
    if (queued_paths + weight > limit) {
      overflow = true;
      queue.clear();
      cv.notify_all();
      return;
    }
    queued_paths += weight;
    queue.push_back(std::move(ev));
    cv.notify_all();
  }
};

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseApiHosts(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view h : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    h = absl::StripAsciiWhitespace(h);
    if (absl::StartsWith(h, "unix://")) {
      if (h.size() == 7) return absl::InvalidArgumentError("--api-hosts: empty unix socket path");
      out.emplace_back(h);
      continue;
    }
    size_t colon = h.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--api-hosts: \"", h, "\" has no port (use ADDRESS:PORT or unix://PATH)"));
    }
    absl::string_view host = h.substr(0, colon);
    uint32_t port = 0;
    if (!absl::SimpleAtoi(h.substr(colon + 1), &port) || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("--api-hosts: bad port in \"", h, "\""));
    }
    if (absl::ConsumePrefix(&host, "[")) {
      if (!absl::ConsumeSuffix(&host, "]")) {
        return absl::InvalidArgumentError(absl::StrCat("--api-hosts: bad address \"", h, "\""));
      }
    }
    if (host.empty()) {
      // gobgpd's ":50051" means every address; kept for compatibility, but not the default.
      out.push_back(absl::StrCat("[::]:", port));
      continue;
    }
    if (!IpAddress::Parse(host).ok() && host != "localhost") {
      return absl::InvalidArgumentError(absl::StrCat("--api-hosts: bad address \"", h, "\""));
    }
    out.emplace_back(h);
  }
  if (out.empty()) return absl::InvalidArgumentError("--api-hosts: no address");
  return out;
}

// ---------------------------------------------------------------------------------------
// The service. Members below `// core state` are touched only on the core loop.

class ApiServer::Impl final
    : public apipb::GobgpApi::WithRawCallbackMethod_ListPath<apipb::GobgpApi::Service> {
 public:
  Impl(EventLoop& loop, server::BgpServer& server, const ApiOptions& options)
      : loop_(loop), server_(server), options_(options) {}

  ~Impl() override = default;

  void BeginShutdown() {
    shutting_down_ = true;
    std::lock_guard<std::mutex> lock(watchers_mu_);
    for (auto& w : all_watchers_) {
      std::lock_guard<std::mutex> wl(w->mu);
      w->cv.notify_all();
    }
  }

  // Runs fn on the core loop and returns its result.
  template <typename F>
  auto OnCore(F&& fn) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> result = promise->get_future();
    loop_.Post([promise, f = std::forward<F>(fn)]() mutable {
      if constexpr (std::is_void_v<R>) {
        f();
        promise->set_value();
      } else {
        promise->set_value(f());
      }
    });
    return result.get();
  }

  // ---- global ----

  grpc::Status StartBgp(grpc::ServerContext*, const apipb::StartBgpRequest* req, Empty*) override {
    if (!req->has_global()) return Invalid("StartBgp: global is missing");
    auto spec = GlobalFromApi(req->global());
    if (!spec.ok()) return ToGrpc(spec.status());
    return ToGrpc(OnCore([&]() -> absl::Status {
      absl::Status s = server_.Start(*spec);
      if (s.ok()) {
        SyncPolicyStore();
        InstallHooks();
        for (auto& w : watchers_) w->best = w->wants_best;
        UpdateBestCache();
      }
      return s;
    }));
  }

  grpc::Status StopBgp(grpc::ServerContext*, const apipb::StopBgpRequest*, Empty*) override {
    OnCore([&] {
      ReleaseCoreState();
      server_.Stop();
      peer_groups_.clear();
      local_paths_.clear();
      uuids_.clear();
    });
    return grpc::Status::OK;
  }

  grpc::Status GetBgp(grpc::ServerContext*, const apipb::GetBgpRequest*,
                      apipb::GetBgpResponse* resp) override {
    OnCore([&] {
      // gobgpd answers a zero Global before StartBgp (the gobgp CLI needs one to print).
      resp->mutable_global();
      if (!server_.started()) return;
      GlobalToApi(server_.global(), server_.listen_port(), resp->mutable_global());
    });
    return grpc::Status::OK;
  }

  grpc::Status SetLogLevel(grpc::ServerContext*, const apipb::SetLogLevelRequest* req,
                           Empty*) override {
    LogLevel level;
    switch (req->level()) {
      case apipb::SetLogLevelRequest::PANIC:
      case apipb::SetLogLevelRequest::FATAL:
      case apipb::SetLogLevelRequest::ERROR:
        level = LogLevel::kError;
        break;
      case apipb::SetLogLevelRequest::WARN:
        level = LogLevel::kWarn;
        break;
      case apipb::SetLogLevelRequest::INFO:
        level = LogLevel::kInfo;
        break;
      case apipb::SetLogLevelRequest::DEBUG:
      case apipb::SetLogLevelRequest::TRACE:
        level = LogLevel::kDebug;
        break;
      default:
        return Invalid(absl::StrCat("unknown log level ", req->level()));
    }
    OnCore([level] { ::kbgp::SetLogLevel(level); });
    return grpc::Status::OK;
  }

  // ---- peers ----

  // An RPC on one neighbor: its address checked, then `op` on the core.
  template <typename F>
  grpc::Status PeerOp(const std::string& address, F&& op) {
    auto addr = ParseAddress(address, "neighbor");
    if (!addr.ok()) return ToGrpc(addr.status());
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      return op(*addr);
    }));
  }

  grpc::Status AddPeer(grpc::ServerContext*, const apipb::AddPeerRequest* req, Empty*) override {
    if (!req->has_peer()) return Invalid("AddPeer: peer is missing");
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      auto spec = PeerSpec(req->peer());
      if (!spec.ok()) return spec.status();
      const bool rs_client = spec->rib.route_server_client;
      const IpAddress address = spec->session.peer_address;
      absl::Status s = server_.AddNeighbor(*std::move(spec));
      if (!s.ok() || !rs_client || !req->peer().has_apply_policy()) return s;
      // A route server client's own assignment (gobgpd's SetPeerPolicy on AddPeer). As in
      // gobgpd, a policy it cannot resolve is logged and the peer stays.
      absl::Status p = ChangePolicy([&](PolicyStore& store) {
        return store.SetPeerPolicy(address, AssignmentFromApi(req->peer().apply_policy()));
      });
      if (!p.ok()) {
        LogWarn("route server client policy not applied",
                {{"peer", address.ToString()}, {"error", std::string(p.message())}});
      }
      return s;
    }));
  }

  grpc::Status DeletePeer(grpc::ServerContext*, const apipb::DeletePeerRequest* req,
                          Empty*) override {
    return PeerOp(req->address(), [&](const IpAddress& a) {
      absl::Status s = server_.DeleteNeighbor(a);
      if (s.ok()) {
        (void)ChangePolicy([&](PolicyStore& store) {
          store.RemovePeer(a);
          return absl::OkStatus();
        });
      }
      return s;
    });
  }

  static policy::Disposition DispositionFromApi(apipb::RouteAction a) {
    switch (a) {
      case apipb::RouteAction::ACCEPT:
        return policy::Disposition::kAccept;
      case apipb::RouteAction::REJECT:
        return policy::Disposition::kReject;
      default:
        return policy::Disposition::kNone;
    }
  }

  static policy::AssignmentDef AssignmentFromApi(const apipb::ApplyPolicy& ap) {
    policy::AssignmentDef d;
    for (const apipb::Policy& p : ap.import_policy().policies())
      d.import_policies.push_back(p.name());
    for (const apipb::Policy& p : ap.export_policy().policies())
      d.export_policies.push_back(p.name());
    d.default_import = DispositionFromApi(ap.import_policy().default_action());
    d.default_export = DispositionFromApi(ap.export_policy().default_action());
    return d;
  }

  grpc::Status UpdatePeer(grpc::ServerContext*, const apipb::UpdatePeerRequest* req,
                          apipb::UpdatePeerResponse* resp) override {
    if (!req->has_peer()) return Invalid("UpdatePeer: peer is missing");
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      auto spec = PeerSpec(req->peer());
      if (!spec.ok()) return spec.status();
      const peer::Session* old = server_.FindSession(spec->session.peer_address);
      if (old == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("can't find the neighbor ", spec->session.peer_address.ToString()));
      }
      peer::SessionOptions next = spec->session;
      if (next.local_as == 0) next.local_as = old->options().local_as;
      if (next.router_id == 0) next.router_id = old->options().router_id;
      const bool session_changed = !(old->options() == next);
      absl::Status s = server_.UpdateNeighbor(*std::move(spec), session_changed);
      if (s.ok() && req->do_soft_reset_in()) {
        s = server_.SoftResetIn(IpAddress::Parse(req->peer().conf().neighbor_address()).value());
      }
      resp->set_needs_soft_reset_in(false);
      return s;
    }));
  }

  grpc::Status ListPeer(grpc::ServerContext* ctx, const apipb::ListPeerRequest* req,
                        grpc::ServerWriter<apipb::ListPeerResponse>* writer) override {
    std::optional<IpAddress> only;
    if (!req->address().empty()) {
      auto a = ParseAddress(req->address(), "neighbor");
      if (!a.ok()) return ToGrpc(a.status());
      only = *a;
    }
    std::vector<apipb::ListPeerResponse> peers = OnCore([&] {
      std::vector<apipb::ListPeerResponse> out;
      if (!server_.started()) return out;
      for (const server::NeighborStatus& st : server_.ListNeighbors()) {
        if (only && st.address != *only) continue;
        apipb::ListPeerResponse r;
        PeerToApi(st, r.mutable_peer(), req->enableadvertised());
        out.push_back(std::move(r));
      }
      return out;
    });
    // An unknown address lists nothing (gobgpd); the gobgp CLI says "not found neighbor".
    for (auto& p : peers) {
      if (ctx->IsCancelled() || !writer->Write(p)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status ResetPeer(grpc::ServerContext*, const apipb::ResetPeerRequest* req,
                         Empty*) override {
    auto addr = ParseAddress(req->address(), "neighbor");
    if (!addr.ok()) return ToGrpc(addr.status());
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      if (!req->soft()) return server_.ResetNeighbor(*addr, req->communication());
      absl::Status s;
      if (req->direction() == apipb::ResetPeerRequest::IN ||
          req->direction() == apipb::ResetPeerRequest::BOTH) {
        s = server_.SoftResetIn(*addr);
      }
      if (s.ok() && (req->direction() == apipb::ResetPeerRequest::OUT ||
                     req->direction() == apipb::ResetPeerRequest::BOTH)) {
        s = server_.SoftResetOut(*addr);
      }
      return s;
    }));
  }

  grpc::Status ShutdownPeer(grpc::ServerContext*, const apipb::ShutdownPeerRequest* req,
                            Empty*) override {
    return PeerOp(req->address(), [&](const IpAddress& a) {
      return server_.ShutdownNeighbor(a, req->communication());
    });
  }

  grpc::Status EnablePeer(grpc::ServerContext*, const apipb::EnablePeerRequest* req,
                          Empty*) override {
    return PeerOp(req->address(), [&](const IpAddress& a) { return server_.EnableNeighbor(a); });
  }

  grpc::Status DisablePeer(grpc::ServerContext*, const apipb::DisablePeerRequest* req,
                           Empty*) override {
    return PeerOp(req->address(), [&](const IpAddress& a) {
      return server_.DisableNeighbor(a, req->communication());
    });
  }

  // ---- peer groups and dynamic neighbors ----

  grpc::Status AddPeerGroup(grpc::ServerContext*, const apipb::AddPeerGroupRequest* req,
                            Empty*) override {
    const std::string& name = req->peer_group().conf().peer_group_name();
    if (name.empty()) return Invalid("AddPeerGroup: peer group name is empty");
    // The group must convert as a peer would (checked with a placeholder address).
    apipb::Peer probe = GroupAsPeer(req->peer_group());
    probe.mutable_conf()->set_neighbor_address("192.0.2.1");
    if (probe.conf().peer_asn() == 0) probe.mutable_conf()->set_peer_asn(1);
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      if (peer_groups_.contains(name)) {
        return absl::AlreadyExistsError(
            absl::StrCat("can't overwrite the existing peer-group: ", name));
      }
      probe.mutable_conf()->clear_peer_group();
      auto spec = PeerFromApi(probe, server_.global());
      if (!spec.ok()) return spec.status();
      peer_groups_[name] = req->peer_group();
      return absl::OkStatus();
    }));
  }

  grpc::Status DeletePeerGroup(grpc::ServerContext*, const apipb::DeletePeerGroupRequest* req,
                               Empty*) override {
    return ToGrpc(OnCore([&]() -> absl::Status {
      auto it = peer_groups_.find(req->name());
      if (it == peer_groups_.end()) {
        return absl::NotFoundError(absl::StrCat("can't find the peer-group: ", req->name()));
      }
      for (const server::NeighborStatus& st : server_.ListNeighbors()) {
        if (st.spec.peer_group == req->name()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "peer-group ", req->name(), " is used by neighbor ", st.address.ToString()));
        }
      }
      peer_groups_.erase(it);
      return absl::OkStatus();
    }));
  }

  grpc::Status UpdatePeerGroup(grpc::ServerContext*, const apipb::UpdatePeerGroupRequest* req,
                               apipb::UpdatePeerGroupResponse* resp) override {
    const std::string& name = req->peer_group().conf().peer_group_name();
    return ToGrpc(OnCore([&]() -> absl::Status {
      auto it = peer_groups_.find(name);
      if (it == peer_groups_.end()) {
        return absl::NotFoundError(absl::StrCat("can't find the peer-group: ", name));
      }
      it->second = req->peer_group();
      resp->set_needs_soft_reset_in(false);
      return absl::OkStatus();
    }));
  }

  grpc::Status ListPeerGroup(grpc::ServerContext*, const apipb::ListPeerGroupRequest* req,
                             grpc::ServerWriter<apipb::ListPeerGroupResponse>* writer) override {
    std::vector<apipb::ListPeerGroupResponse> out = OnCore([&] {
      std::vector<apipb::ListPeerGroupResponse> v;
      for (const auto& [name, g] : peer_groups_) {
        if (!req->peer_group_name().empty() && name != req->peer_group_name()) continue;
        apipb::ListPeerGroupResponse r;
        *r.mutable_peer_group() = g;
        v.push_back(std::move(r));
      }
      return v;
    });
    if (!req->peer_group_name().empty() && out.empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("can't find the peer-group: ", req->peer_group_name()));
    }
    for (auto& r : out) {
      if (!writer->Write(r)) break;
    }
    return grpc::Status::OK;
  }

  grpc::Status AddDynamicNeighbor(grpc::ServerContext*, const apipb::AddDynamicNeighborRequest* req,
                                  Empty*) override {
    auto prefix = Prefix::Parse(req->dynamic_neighbor().prefix());
    if (!prefix.ok()) {
      return Invalid(absl::StrCat("invalid dynamic neighbor prefix: \"",
                                  req->dynamic_neighbor().prefix(), "\""));
    }
    const std::string group = req->dynamic_neighbor().peer_group();
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      auto it = peer_groups_.find(group);
      if (it == peer_groups_.end()) {
        return absl::NotFoundError(absl::StrCat("can't find the peer-group: ", group));
      }
      apipb::Peer as_peer = GroupAsPeer(it->second);
      as_peer.mutable_conf()->set_neighbor_address(prefix->addr().ToString());
      as_peer.mutable_conf()->clear_peer_group();
      auto spec = PeerFromApi(as_peer, server_.global());
      if (!spec.ok()) return spec.status();
      spec->peer_group = group;
      server::DynamicRange range;
      range.prefix = *prefix;
      range.peer_group = group;
      range.spec = *std::move(spec);
      return server_.AddDynamicRange(std::move(range));
    }));
  }

  grpc::Status DeleteDynamicNeighbor(grpc::ServerContext*,
                                     const apipb::DeleteDynamicNeighborRequest* req,
                                     Empty*) override {
    auto prefix = Prefix::Parse(req->prefix());
    if (!prefix.ok()) {
      return Invalid(absl::StrCat("invalid dynamic neighbor prefix: \"", req->prefix(), "\""));
    }
    return ToGrpc(OnCore([&]() { return server_.DeleteDynamicRange(*prefix, req->peer_group()); }));
  }

  grpc::Status ListDynamicNeighbor(
      grpc::ServerContext*, const apipb::ListDynamicNeighborRequest* req,
      grpc::ServerWriter<apipb::ListDynamicNeighborResponse>* writer) override {
    std::vector<apipb::ListDynamicNeighborResponse> out = OnCore([&] {
      std::vector<apipb::ListDynamicNeighborResponse> v;
      for (const server::DynamicRange& r : server_.dynamic_ranges()) {
        if (!req->peer_group().empty() && r.peer_group != req->peer_group()) continue;
        apipb::ListDynamicNeighborResponse x;
        x.mutable_dynamic_neighbor()->set_prefix(r.prefix.ToString());
        x.mutable_dynamic_neighbor()->set_peer_group(r.peer_group);
        v.push_back(std::move(x));
      }
      return v;
    });
    for (auto& r : out) {
      if (!writer->Write(r)) break;
    }
    return grpc::Status::OK;
  }

  // ---- paths ----

  grpc::Status AddPath(grpc::ServerContext*, const apipb::AddPathRequest* req,
                       apipb::AddPathResponse* resp) override {
    if (req->table_type() != apipb::GLOBAL) {
      return Invalid("AddPath: only the global table is supported (no VRFs)");
    }
    if (!req->has_path()) return Invalid("AddPath: path is missing");
    auto route = RouteFromApi(req->path(), /*withdraw=*/false);
    if (!route.ok()) return ToGrpc(route.status());
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      if (route->is_withdraw) return DeleteRoute(*route);
      std::string uuid;
      absl::Status s = AddRoute(*route, &uuid);
      if (s.ok()) resp->set_uuid(uuid);
      return s;
    }));
  }

  grpc::Status DeletePath(grpc::ServerContext*, const apipb::DeletePathRequest* req,
                          Empty*) override {
    if (req->table_type() != apipb::GLOBAL) {
      return Invalid("DeletePath: only the global table is supported (no VRFs)");
    }
    if (!req->uuid().empty()) {
      return ToGrpc(OnCore([&]() -> absl::Status {
        if (!server_.started())
          return absl::FailedPreconditionError("bgp server hasn't started yet");
        std::optional<Uuid> u = UuidFromBytes(req->uuid());
        auto it = u ? uuids_.find(*u) : uuids_.end();
        if (it == uuids_.end()) return absl::NotFoundError("can't find a specified path");
        LocalKey key = it->second;
        local_paths_.erase(key);
        uuids_.erase(it);
        return server_.DeleteLocalPath(key.first, key.second);
      }));
    }
    if (req->has_path()) {
      auto route = RouteFromApi(req->path(), /*withdraw=*/true);
      if (!route.ok()) return ToGrpc(route.status());
      return ToGrpc(OnCore([&]() -> absl::Status {
        if (!server_.started())
          return absl::FailedPreconditionError("bgp server hasn't started yet");
        return DeleteRoute(*route);
      }));
    }
    // Neither: every local path of the family ("gobgp global rib del all").
    std::optional<Family> family;
    if (req->has_family()) {
      auto f = FamilyFromApi(req->family());
      if (!f.ok()) return ToGrpc(f.status());
      family = *f;
    }
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      server_.DeleteLocalPaths(family);
      for (auto it = local_paths_.begin(); it != local_paths_.end();) {
        if (!family || it->first.first.family() == *family) {
          uuids_.erase(it->second.uuid);
          local_paths_.erase(it++);
        } else {
          ++it;
        }
      }
      return absl::OkStatus();
    }));
  }

  grpc::Status AddPathStream(grpc::ServerContext* ctx,
                             grpc::ServerReader<apipb::AddPathStreamRequest>* reader,
                             Empty*) override {
    apipb::AddPathStreamRequest req;
    while (!ctx->IsCancelled() && reader->Read(&req)) {
      if (req.table_type() != apipb::GLOBAL) {
        return Invalid("AddPathStream: only the global table is supported (no VRFs)");
      }
      std::vector<ApiRoute> routes;
      routes.reserve(static_cast<size_t>(req.paths_size()));
      for (const apipb::Path& p : req.paths()) {
        auto r = RouteFromApi(p, /*withdraw=*/false);
        if (!r.ok()) return ToGrpc(r.status());
        routes.push_back(*std::move(r));
      }
      absl::Status s = OnCore([&]() -> absl::Status {
        if (!server_.started())
          return absl::FailedPreconditionError("bgp server hasn't started yet");
        for (const ApiRoute& r : routes) {
          std::string uuid;
          absl::Status st = r.is_withdraw ? DeleteRoute(r) : AddRoute(r, &uuid);
          if (!st.ok() && !absl::IsNotFound(st)) return st;
        }
        return absl::OkStatus();
      });
      if (!s.ok()) return ToGrpc(s);
    }
    return grpc::Status::OK;
  }

  grpc::Status GetTable(grpc::ServerContext*, const apipb::GetTableRequest* req,
                        apipb::GetTableResponse* resp) override {
    auto family = FamilyFromApi(req->family());
    if (!family.ok()) return ToGrpc(family.status());
    return ToGrpc(OnCore([&]() -> absl::Status {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      const rib::Rib& rib = *server_.rib();
      uint64_t dests = 0, paths = 0, accepted = 0;
      switch (req->table_type()) {
        case apipb::GLOBAL:
        case apipb::LOCAL:
          // Paths that lost to a loop check or import policy are not in gobgpd's table.
          rib.ForEachDestination(*family, [&](const Prefix&, const rib::Destination& d) {
            uint64_t n = 0;
            for (const rib::Path& p : d.paths()) n += p.eligible() ? 1 : 0;
            paths += n;
            dests += n > 0 ? 1 : 0;
          });
          break;
        case apipb::ADJ_IN:
        case apipb::ADJ_OUT: {
          auto st = FindPeerStatus(req->name());
          if (!st.ok()) return st.status();
          const int fi = *family == Family::kIPv4 ? 0 : 1;
          if (req->table_type() == apipb::ADJ_IN) {
            dests = paths = st->family_received[fi];
            accepted = st->family_accepted[fi];
          } else {
            dests = paths = st->family_advertised[fi];
          }
          break;
        }
        default:
          return absl::InvalidArgumentError("GetTable: unsupported table type");
      }
      resp->set_num_destination(dests);
      resp->set_num_path(paths);
      resp->set_num_accepted(accepted);
      return absl::OkStatus();
    }));
  }

  // A reactor that only finishes with `st` (a request refused before it starts).
  class RefusedReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    explicit RefusedReactor(grpc::Status st) { Finish(std::move(st)); }
    void OnDone() override { delete this; }
  };

  // ListPath is a raw method: the request arrives as bytes and every response is written as
  // bytes the core encoded itself (AppendEncodedPath), so no response message is built.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ListPath(grpc::CallbackServerContext*,
                                                       const grpc::ByteBuffer* raw) override {
    return StartListPath(raw, /*batched=*/false);
  }

  // ListPath, or with `batched` kbgp.KbgpApi.ListPathBatched: the same listing with many
  // destinations per message (api/kbgp.proto).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StartListPath(const grpc::ByteBuffer* raw,
                                                            bool batched) {
    apipb::ListPathRequest request;
    {
      std::vector<grpc::Slice> slices;
      std::string bytes;
      if (raw != nullptr && raw->Dump(&slices).ok()) {
        for (const grpc::Slice& sl : slices) {
          bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
        }
      }
      if (raw == nullptr || !request.ParseFromString(bytes)) {
        return new RefusedReactor(Invalid("ListPath: the request does not parse"));
      }
    }
    const apipb::ListPathRequest* req = &request;
    auto family = FamilyFromApi(req->family());
    if (!family.ok()) return new RefusedReactor(ToGrpc(family.status()));
    ListQuery q;
    q.family = *family;
    q.table = req->table_type();
    q.enable_filtered = req->enable_filtered();
    if (q.table == apipb::VRF) {
      return new RefusedReactor(Invalid("ListPath: VRF tables are not supported"));
    }
    if (q.table != apipb::GLOBAL && q.table != apipb::LOCAL && q.table != apipb::ADJ_IN &&
        q.table != apipb::ADJ_OUT) {
      return new RefusedReactor(Invalid("ListPath: unknown table type"));
    }
    if (q.table != apipb::GLOBAL) {
      auto a = ParseAddress(req->name(), "neighbor");
      if (!a.ok()) return new RefusedReactor(ToGrpc(a.status()));
      q.neighbor = *a;
    }
    for (const apipb::TableLookupPrefix& lp : req->prefixes()) {
      LookupPrefix l;
      l.type = lp.type();
      auto addr = IpAddress::Parse(lp.prefix());
      if (addr.ok()) {
        l.prefix = Prefix::Make(*addr, static_cast<uint8_t>(addr->bit_length()));
        l.host = true;
      } else {
        auto p = Prefix::Parse(lp.prefix());
        if (!p.ok()) {
          return new RefusedReactor(Invalid(absl::StrCat("invalid prefix: ", lp.prefix())));
        }
        l.prefix = *p;
      }
      if (l.prefix.family() != q.family) {
        return new RefusedReactor(
            Invalid(absl::StrCat("prefix ", lp.prefix(), " is not of the requested family")));
      }
      q.lookups.push_back(l);
    }
    if (shutting_down_) return new RefusedReactor(grpc::Status::CANCELLED);
    auto* r = new ListPathReactor(this, std::move(q), batched);
    r->Start();
    return r;
  }

  // ---- WatchEvent ----

  grpc::Status WatchEvent(grpc::ServerContext* ctx, const apipb::WatchEventRequest* req,
                          grpc::ServerWriter<apipb::WatchEventResponse>* writer) override {
    auto w = std::make_shared<Watcher>();
    w->limit = options_.watch_queue_limit;
    w->peers = req->has_peer();
    bool init_best = false;
    for (const auto& f : req->table().filters()) {
      switch (f.type()) {
        case apipb::WatchEventRequest::Table::Filter::BEST:
          w->best = w->wants_best = true;
          init_best |= f.init();
          break;
        case apipb::WatchEventRequest::Table::Filter::ADJIN:
          w->adj_in = true;
          break;
        case apipb::WatchEventRequest::Table::Filter::POST_POLICY:
          w->post_policy = true;
          break;
        default:
          return Invalid(absl::StrCat("WatchEvent: unsupported table filter type ", f.type()));
      }
    }
    if (w->adj_in || w->post_policy) {
      return NotImplemented("WatchEvent with ADJIN or POST_POLICY table filters");
    }
    if (!w->peers && !w->best) return Invalid("WatchEvent: nothing to watch");
    {
      std::lock_guard<std::mutex> lock(watchers_mu_);
      all_watchers_.push_back(w);
    }
    // Register, and queue the current state (peers always, as gobgpd; paths with init).
    std::optional<Prefix> cursor;
    bool replay_done = !init_best;
    Family replay_family = Family::kIPv4;
    OnCore([&] {
      watchers_.push_back(w);
      UpdateBestCache();
      if (w->peers && server_.started()) {
        for (const server::NeighborStatus& st : server_.ListNeighbors()) {
          apipb::WatchEventResponse ev;
          ev.mutable_peer()->set_type(apipb::WatchEventResponse::PeerEvent::INIT);
          PeerToApi(st, ev.mutable_peer()->mutable_peer());
          w->Push(std::move(ev), 1);
        }
        apipb::WatchEventResponse end;
        end.mutable_peer()->set_type(apipb::WatchEventResponse::PeerEvent::END_OF_INIT);
        w->Push(std::move(end), 1);
      }
    });
    while (!replay_done) {
      replay_done = OnCore([&] { return ReplayBest(w.get(), &replay_family, &cursor); });
    }
    grpc::Status result = grpc::Status::OK;
    while (!ctx->IsCancelled() && !shutting_down_) {
      std::deque<apipb::WatchEventResponse> batch;
      {
        std::unique_lock<std::mutex> lock(w->mu);
        w->cv.wait_for(lock, std::chrono::milliseconds(200),
                       [&] { return !w->queue.empty() || w->overflow || shutting_down_; });
        if (w->overflow) {
          result = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "watcher fell too far behind; events dropped, watch again");
          break;
        }
        batch.swap(w->queue);
        w->queued_paths = 0;
      }
      bool ok = true;
      for (auto& ev : batch) {
        if (!writer->Write(ev)) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
    }
    OnCore([&] {
      std::erase(watchers_, w);
      UpdateBestCache();
    });
    {
      std::lock_guard<std::mutex> lock(watchers_mu_);
      std::erase(all_watchers_, w);
    }
    return result;
  }

  // ---- policy ----

#define KBGP_POLICY_RPC(Rpc, Req)                                                  \
  grpc::Status Rpc(grpc::ServerContext*, const apipb::Req* req, Empty*) override { \
    return ToGrpc(OnCore([&]() -> absl::Status {                                   \
      return ChangePolicy([&](PolicyStore& s) { return s.Rpc(*req); });            \
    }));                                                                           \
  }
  KBGP_POLICY_RPC(AddDefinedSet, AddDefinedSetRequest)
  KBGP_POLICY_RPC(DeleteDefinedSet, DeleteDefinedSetRequest)
  KBGP_POLICY_RPC(AddStatement, AddStatementRequest)
  KBGP_POLICY_RPC(DeleteStatement, DeleteStatementRequest)
  KBGP_POLICY_RPC(AddPolicy, AddPolicyRequest)
  KBGP_POLICY_RPC(DeletePolicy, DeletePolicyRequest)
  KBGP_POLICY_RPC(SetPolicies, SetPoliciesRequest)
#undef KBGP_POLICY_RPC
#define KBGP_ASSIGNMENT_RPC(Rpc, Req)                                              \
  grpc::Status Rpc(grpc::ServerContext*, const apipb::Req* req, Empty*) override { \
    return ToGrpc(OnCore([&]() -> absl::Status {                                   \
      PeerLookup peers = Peers();                                                  \
      return ChangePolicy([&](PolicyStore& s) { return s.Rpc(*req, peers); });     \
    }));                                                                           \
  }
  KBGP_ASSIGNMENT_RPC(AddPolicyAssignment, AddPolicyAssignmentRequest)
  KBGP_ASSIGNMENT_RPC(DeletePolicyAssignment, DeletePolicyAssignmentRequest)
  KBGP_ASSIGNMENT_RPC(SetPolicyAssignment, SetPolicyAssignmentRequest)
#undef KBGP_ASSIGNMENT_RPC

#define KBGP_POLICY_LIST(Rpc, Req, Resp)                               \
  grpc::Status Rpc(grpc::ServerContext*, const apipb::Req* req,        \
                   grpc::ServerWriter<apipb::Resp>* writer) override { \
    std::vector<apipb::Resp> out;                                      \
    absl::Status s = OnCore([&]() -> absl::Status {                    \
      SyncPolicyStore();                                               \
      return store_.Rpc(*req, &out);                                   \
    });                                                                \
    if (!s.ok()) return ToGrpc(s);                                     \
    for (auto& r : out) {                                              \
      if (!writer->Write(r)) break;                                    \
    }                                                                  \
    return grpc::Status::OK;                                           \
  }
  KBGP_POLICY_LIST(ListDefinedSet, ListDefinedSetRequest, ListDefinedSetResponse)
  KBGP_POLICY_LIST(ListStatement, ListStatementRequest, ListStatementResponse)
  KBGP_POLICY_LIST(ListPolicy, ListPolicyRequest, ListPolicyResponse)
#undef KBGP_POLICY_LIST

  grpc::Status ListPolicyAssignment(
      grpc::ServerContext*, const apipb::ListPolicyAssignmentRequest* req,
      grpc::ServerWriter<apipb::ListPolicyAssignmentResponse>* writer) override {
    std::vector<apipb::ListPolicyAssignmentResponse> out;
    absl::Status s = OnCore([&]() -> absl::Status {
      SyncPolicyStore();
      return store_.ListPolicyAssignment(*req, &out, Peers());
    });
    if (!s.ok()) return ToGrpc(s);
    for (auto& r : out) {
      if (!writer->Write(r)) break;
    }
    return grpc::Status::OK;
  }

  // ---- not implemented: a clear message instead of gRPC's bare UNIMPLEMENTED ----

#define KBGP_UNIMPLEMENTED(Rpc, Req, Resp)                                    \
  grpc::Status Rpc(grpc::ServerContext*, const apipb::Req*, Resp*) override { \
    return NotImplemented(#Rpc);                                              \
  }
#define KBGP_UNIMPLEMENTED_STREAM(Rpc, Req, Resp)                                             \
  grpc::Status Rpc(grpc::ServerContext*, const apipb::Req*, grpc::ServerWriter<apipb::Resp>*) \
      override {                                                                              \
    return NotImplemented(#Rpc);                                                              \
  }
  KBGP_UNIMPLEMENTED(AddVrf, AddVrfRequest, Empty)
  KBGP_UNIMPLEMENTED(DeleteVrf, DeleteVrfRequest, Empty)
  KBGP_UNIMPLEMENTED_STREAM(ListVrf, ListVrfRequest, ListVrfResponse)
  KBGP_UNIMPLEMENTED(AddRpki, AddRpkiRequest, Empty)
  KBGP_UNIMPLEMENTED(DeleteRpki, DeleteRpkiRequest, Empty)
  KBGP_UNIMPLEMENTED_STREAM(ListRpki, ListRpkiRequest, ListRpkiResponse)
  KBGP_UNIMPLEMENTED(EnableRpki, EnableRpkiRequest, Empty)
  KBGP_UNIMPLEMENTED(DisableRpki, DisableRpkiRequest, Empty)
  KBGP_UNIMPLEMENTED(ResetRpki, ResetRpkiRequest, Empty)
  KBGP_UNIMPLEMENTED_STREAM(ListRpkiTable, ListRpkiTableRequest, ListRpkiTableResponse)
  KBGP_UNIMPLEMENTED(EnableZebra, EnableZebraRequest, Empty)
  KBGP_UNIMPLEMENTED(EnableMrt, EnableMrtRequest, Empty)
  KBGP_UNIMPLEMENTED(DisableMrt, DisableMrtRequest, Empty)
  KBGP_UNIMPLEMENTED(AddBmp, AddBmpRequest, Empty)
  KBGP_UNIMPLEMENTED(DeleteBmp, DeleteBmpRequest, Empty)
  KBGP_UNIMPLEMENTED_STREAM(ListBmp, ListBmpRequest, ListBmpResponse)
#undef KBGP_UNIMPLEMENTED
#undef KBGP_UNIMPLEMENTED_STREAM

  // Called once after construction when a config file already started the server.
  // Posted, not waited for: the core loop may not run yet.
  void AttachToRunningServer() {
    loop_.Post([this] {
      SyncPolicyStore();
      if (server_.started()) InstallHooks();
    });
  }

 private:
  using LocalKey = std::pair<Prefix, uint32_t>;
  struct LocalPath {
    Uuid uuid = 0;
    int64_t added = 0;  // seconds since the epoch
  };
  struct LookupPrefix {
    Prefix prefix;
    bool host = false;  // given as an address: longest match
    apipb::TableLookupPrefix::Type type = apipb::TableLookupPrefix::EXACT;
  };
  struct ListQuery {
    Family family = Family::kIPv4;
    apipb::TableType table = apipb::GLOBAL;
    std::optional<IpAddress> neighbor;
    std::vector<LookupPrefix> lookups;
    bool enable_filtered = false;
  };

  // ---- core-side helpers (core loop only) ----

  void InstallHooks() {
    server_.set_peer_state_hook([this](const IpAddress& a, peer::State s) { OnPeerState(a, s); });
    server_.set_best_path_hook(
        [this](const Prefix& p, const rib::Destination* d) { OnBestPath(p, d); });
  }

  absl::StatusOr<server::NeighborStatus> FindPeerStatus(const std::string& name) {
    auto a = IpAddress::Parse(name);
    if (!a.ok()) return absl::InvalidArgumentError(absl::StrCat("invalid neighbor: ", name));
    for (server::NeighborStatus& st : server_.ListNeighbors()) {
      if (st.address == *a) return std::move(st);
    }
    return absl::NotFoundError(absl::StrCat("neighbor ", name, " not found"));
  }

  // A peer group's settings in a Peer message, so one conversion serves both.
  static apipb::Peer GroupAsPeer(const apipb::PeerGroup& g) {
    apipb::Peer p;
    if (g.has_apply_policy()) *p.mutable_apply_policy() = g.apply_policy();
    if (g.has_ebgp_multihop()) *p.mutable_ebgp_multihop() = g.ebgp_multihop();
    if (g.has_route_reflector()) *p.mutable_route_reflector() = g.route_reflector();
    if (g.has_timers()) *p.mutable_timers() = g.timers();
    if (g.has_transport()) *p.mutable_transport() = g.transport();
    if (g.has_route_server()) *p.mutable_route_server() = g.route_server();
    if (g.has_graceful_restart()) *p.mutable_graceful_restart() = g.graceful_restart();
    if (g.has_ttl_security()) *p.mutable_ttl_security() = g.ttl_security();
    *p.mutable_afi_safis() = g.afi_safis();
    const apipb::PeerGroupConf& c = g.conf();
    apipb::PeerConf* pc = p.mutable_conf();
    pc->set_auth_password(c.auth_password());
    pc->set_description(c.description());
    pc->set_local_asn(c.local_asn());
    pc->set_peer_asn(c.peer_asn());
    pc->set_peer_group(c.peer_group_name());
    pc->set_type(c.type());
    pc->set_remove_private(c.remove_private());
    pc->set_route_flap_damping(c.route_flap_damping());
    pc->set_send_community(c.send_community());
    return p;
  }

  // AddPeer / UpdatePeer: the peer's own settings over its peer group's.
  absl::StatusOr<server::NeighborSpec> PeerSpec(const apipb::Peer& peer) {
    apipb::Peer merged;
    const std::string& group = peer.conf().peer_group();
    if (!group.empty()) {
      auto it = peer_groups_.find(group);
      if (it == peer_groups_.end()) {
        return absl::NotFoundError(absl::StrCat("no such peer-group: ", group));
      }
      merged = GroupAsPeer(it->second);
      if (peer.afi_safis_size() > 0) merged.clear_afi_safis();
    }
    merged.MergeFrom(peer);
    merged.mutable_conf()->clear_peer_group();
    auto spec = PeerFromApi(merged, server_.global());
    if (spec.ok()) spec->peer_group = group;
    return spec;
  }

  void PeerToApi(const server::NeighborStatus& st, apipb::Peer* out, bool advertised = true) {
    ClockPair now{loop_.clock().Now(), absl::Now()};
    api_server::PeerToApi(st, now, advertised, out);
  }

  absl::Status AddRoute(const ApiRoute& r, std::string* uuid) {
    rib::AttrRef attrs = InternRoute(server_.rib()->pool(), r);
    if (!attrs) return absl::InvalidArgumentError("invalid path attributes");
    absl::Status s = server_.AddLocalPath(r.prefix, r.path_id, attrs.get());
    if (!s.ok()) return s;
    LocalKey key{r.prefix, r.path_id};
    auto it = local_paths_.find(key);
    if (it != local_paths_.end()) uuids_.erase(it->second.uuid);
    LocalPath lp{NewUuid(), NowSeconds()};
    *uuid = UuidBytes(lp.uuid);
    uuids_[lp.uuid] = key;
    local_paths_[key] = lp;
    return absl::OkStatus();
  }

  absl::Status DeleteRoute(const ApiRoute& r) {
    LocalKey key{r.prefix, r.path_id};
    auto it = local_paths_.find(key);
    if (it != local_paths_.end()) {
      uuids_.erase(it->second.uuid);
      local_paths_.erase(it);
    }
    return server_.DeleteLocalPath(r.prefix, r.path_id);
  }

  // The arrival time of a path, in seconds since the epoch. kbgp keeps no per-path
  // timestamp (it would cost 8 bytes per path): a peer's paths are dated from the start of
  // its session (they arrive right after), local paths from their AddPath.
  int64_t PathAge(const Prefix& prefix, const rib::Path& p) {
    if (p.peer == rib::kLocalPeer) {
      auto it = local_paths_.find(LocalKey{prefix, p.path_id});
      return it == local_paths_.end() ? start_time_ : it->second.added;
    }
    auto it = peer_since_.find(p.peer);
    return it == peer_since_.end() ? NowSeconds() : it->second;
  }

  // One Rib path as the API lists it.
  // gobgpd numbers a destination's paths from 1 in the order they arrived (the lowest free
  // number); the rank by arrival is the same while no path in between went away.
  static uint32_t LocalId(const rib::Destination& d, const rib::Path& p) {
    uint32_t id = 1;
    for (const rib::Path& o : d.paths()) id += o.seq < p.seq ? 1 : 0;
    return id;
  }

  PathInfo ListedPathInfo(const Prefix& prefix, const rib::Destination& d, const rib::Path& p,
                          bool best, bool pre_policy) {
    const rib::Rib& rib = *server_.rib();
    PathInfo info = PathInfoOf(p, rib.peer_info(p.peer), pre_policy);
    info.local_identifier = LocalId(d, p);
    info.best = best;
    info.arrival = absl::FromUnixSeconds(PathAge(prefix, p));
    info.is_from_external = !rib.peer_info(p.peer).local &&
                            rib.peer_info(p.peer).peer_as != rib.peer_info(p.peer).local_as;
    return info;
  }
  void EmitPath(const Prefix& prefix, const rib::Destination& d, const rib::Path& p, bool best,
                bool pre_policy, apipb::Path* out) {
    PathToApi(prefix, ListedPathInfo(prefix, d, p, best, pre_policy), out);
  }

  // A listed destination's paths, encoded as the bytes of a ListPathResponse (ListPath's
  // fast path). The attribute encoding of an IPv4 set with an IPv4 next hop (or none) is made
  // once per chunk: within one core visit no set can go away, so a pointer is a safe key
  // there and not beyond. An IPv6 set, or an IPv4 set with an IPv6 next hop (RFC 8950), is
  // listed with MP_REACH_NLRI holding the prefix, so it is encoded for every path.
  class ListEncoder {
   public:
    void Add(const Prefix& prefix, const PathInfo& info) {
      const bool nh_last = info.source == nullptr || info.source->local;
      std::string_view pattrs;
      if (info.attrs != nullptr) {
        if (prefix.family() == Family::kIPv4 &&
            (!info.attrs->has_next_hop() || info.attrs->next_hop().is_v4())) {
          auto [it, fresh] = pattrs_.try_emplace(std::make_pair(info.attrs, nh_last));
          if (fresh) it->second = EncodePathAttributes(*info.attrs, prefix, nh_last);
          pattrs = it->second;
        } else {
          v6_pattrs_ = EncodePathAttributes(*info.attrs, prefix, nh_last);
          pattrs = v6_pattrs_;
        }
      }
      path_.clear();
      AppendEncodedPath(prefix, info, pattrs, &path_);
      AppendLengthDelimited(2, path_, &paths_);  // Destination.paths
      ++count_;
    }
    int paths_size() const { return count_; }
    // The ListPathResponse of `prefix` with the paths added since the last Take.
    grpc::ByteBuffer Take(const Prefix& prefix) {
      dest_.clear();
      AppendLengthDelimited(1, prefix.ToString(), &dest_);  // Destination.prefix
      dest_ += paths_;
      response_.clear();
      AppendLengthDelimited(1, dest_, &response_);  // ListPathResponse.destination
      grpc::Slice slice(response_);
      Clear();
      return grpc::ByteBuffer(&slice, 1);
    }
    void Clear() {
      paths_.clear();
      count_ = 0;
    }

   private:
    absl::flat_hash_map<std::pair<const rib::AttrSet*, bool>, std::string> pattrs_;
    std::string v6_pattrs_, path_, paths_, dest_, response_;
    int count_ = 0;
  };

  // The paths of one destination as ListPath shows them: best first, then in decision order.
  template <typename Sink>
  void ListDestination(const Prefix& prefix, const rib::Destination& d, bool only_best,
                       bool with_filtered, Sink&& add) {
    const rib::Rib& rib = *server_.rib();
    std::vector<const rib::Path*> order;
    for (const rib::Path& p : d.paths()) {
      if (!p.eligible() && !with_filtered) continue;
      order.push_back(&p);
    }
    const rib::Path* best = d.best();
    const rib::DecisionOptions& o = rib.options().decision;
    auto cand = [&](const rib::Path* p) {
      rib::Candidate c;
      c.attrs = p->attrs;
      c.peer = &rib.peer_info(p->peer);
      c.path_id = p->path_id;
      c.seq = p->seq;
      return c;
    };
    std::stable_sort(order.begin(), order.end(), [&](const rib::Path* a, const rib::Path* b) {
      if (a == best || b == best) return a == best && b != best;
      if (a->eligible() != b->eligible()) return a->eligible();
      return rib::Compare(cand(a), cand(b), o).cmp > 0;
    });
    for (const rib::Path* p : order) {
      if (only_best && p != best) continue;
      add(ListedPathInfo(prefix, d, *p, p == best, false));
    }
  }

  // Whether `prefix` passes the lookups (none: everything).
  static bool Matches(const std::vector<LookupPrefix>& lookups, const Prefix& prefix) {
    if (lookups.empty()) return true;
    for (const LookupPrefix& l : lookups) {
      switch (l.type) {
        case apipb::TableLookupPrefix::LONGER:
          if (l.prefix.Contains(prefix)) return true;
          break;
        case apipb::TableLookupPrefix::SHORTER:
          if (prefix.Contains(l.prefix)) return true;
          break;
        default:
          if (prefix == l.prefix) return true;
          break;
      }
    }
    return false;
  }

  // One chunk of a listing: its encoded messages, and whether the listing is done.
  struct ListChunkOut {
    std::vector<grpc::ByteBuffer> messages;  // one ListPathResponse each (or batches)
    bool done = false;
    // Makes the messages ListPathBatchedResponse messages of up to about kBatchBytes each.
    // A batch's encoding is its destinations' ListPathResponse encodings one after another
    // (api/kbgp.proto), so the slices are only regrouped, not copied.
    void Batch() {
      static constexpr size_t kBatchBytes = 1 << 20;
      std::vector<grpc::ByteBuffer> batches;
      std::vector<grpc::Slice> slices, one;
      size_t bytes = 0;
      auto flush = [&] {
        if (slices.empty()) return;
        batches.emplace_back(slices.data(), slices.size());
        slices.clear();
        bytes = 0;
      };
      for (grpc::ByteBuffer& m : messages) {
        one.clear();
        if (!m.Dump(&one).ok()) continue;
        for (grpc::Slice& sl : one) {
          bytes += sl.size();
          slices.push_back(std::move(sl));
        }
        if (bytes >= kBatchBytes) flush();
      }
      flush();
      messages = std::move(batches);
    }
  };

  // Whether a listing can run: BGP started, the neighbor there, LOCAL only for route server
  // clients. On the core.
  absl::Status CheckListQuery(const ListQuery& q) {
    if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
    if (!q.neighbor) return absl::OkStatus();
    const server::NeighborSpec* spec = server_.FindNeighborSpec(*q.neighbor);
    if (spec == nullptr) {
      return absl::NotFoundError(absl::StrCat("neighbor ", q.neighbor->ToString(), " not found"));
    }
    // Only route server clients have a table of their own in gobgpd.
    if (q.table == apipb::LOCAL && !spec->rib.route_server_client) {
      return absl::FailedPreconditionError(
          absl::StrCat("neighbor ", q.neighbor->ToString(), " doesn't have local rib"));
    }
    return absl::OkStatus();
  }

  // ListPath (and ListPathBatched) are raw callback (reactor) methods, the services' only
  // ones: a sync ServerWriter blocks its thread on every Write, and that wake-up per
  // destination was most of a 1M listing's server time. The reactor writes one message at a
  // time (gRPC allows one write in flight per stream) from gRPC's own threads, while the core
  // builds the next chunk.
  class ListPathReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    ListPathReactor(Impl* impl, ListQuery q, bool batched)
        : impl_(impl), q_(std::move(q)), batched_(batched) {}

    // Starts the listing: the first core visit checks the request against the server's state.
    void Start() {
      {
        std::lock_guard<std::mutex> lock(mu_);
        building_ = true;
      }
      PostBuild(/*first=*/true);
    }

    void OnWriteDone(bool ok) override {
      Action a;
      {
        std::lock_guard<std::mutex> lock(mu_);
        writing_ = false;
        if (!ok || cancelled_) {
          a = FinishLocked(grpc::Status::CANCELLED);
        } else {
          a = PumpLocked();
        }
      }
      Do(a);
    }

    // The client went away or the server is shutting down. With a write in flight its
    // OnWriteDone finishes the call, with a chunk being built the core task does; with
    // neither, nothing else would, so it finishes here.
    void OnCancel() override {
      Action a;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cancelled_ = true;
        if (!writing_ && !building_) a = FinishLocked(grpc::Status::CANCELLED);
      }
      Do(a);
    }

    void OnDone() override {
      bool del;
      {
        std::lock_guard<std::mutex> lock(mu_);
        done_ = true;
        del = !building_;  // else the pending core task deletes this when it has run
      }
      if (del) delete this;
    }

   private:
    // What to do once the lock is released (gRPC may run a reaction inline).
    struct Action {
      const grpc::ByteBuffer* write = nullptr;
      std::optional<grpc::Status> finish;
      bool build = false;
    };

    void Do(const Action& a) {
      if (a.build) PostBuild(false);
      if (a.write != nullptr) StartWrite(a.write);
      if (a.finish) Finish(*a.finish);
    }

    Action FinishLocked(grpc::Status st) {
      Action a;
      if (!finished_) {
        finished_ = true;
        a.finish = std::move(st);
      }
      return a;
    }

    // Next step when no write is in flight.
    Action PumpLocked() {
      Action a;
      if (finished_ || writing_) return a;
      if (cancelled_) return FinishLocked(grpc::Status::CANCELLED);
      if (cur_ == nullptr || idx_ >= cur_->messages.size()) {
        if (cur_ != nullptr && cur_->done) return FinishLocked(grpc::Status::OK);
        if (ready_ == nullptr) {
          if (building_) return a;  // the core is still building
          // No chunk is coming: the server began shutting down before the next was asked for.
          return FinishLocked(grpc::Status::CANCELLED);
        }
        cur_ = std::move(ready_);
        idx_ = 0;
        if (!cur_->done && !building_ && !cancelled_ && !impl_->shutting_down_) {
          building_ = true;
          a.build = true;
        }
        if (cur_->messages.empty()) {
          if (cur_->done) return FinishLocked(grpc::Status::OK);
          if (!a.build) return FinishLocked(grpc::Status::CANCELLED);  // shutting down
          return a;
        }
      }
      writing_ = true;
      a.write = &cur_->messages[idx_++];
      return a;
    }

    void PostBuild(bool first) {
      impl_->loop_.Post([this, first] {
        auto c = std::make_unique<ListChunkOut>();
        absl::Status checked = first ? impl_->CheckListQuery(q_) : absl::OkStatus();
        if (checked.ok()) {
          c->done = impl_->ListChunk(q_, &lookup_index_, &cursor_, c.get());
          if (batched_) c->Batch();
        }
        Action a;
        bool del = false;
        {
          std::lock_guard<std::mutex> lock(mu_);
          building_ = false;
          if (done_) {
            del = true;
          } else if (!checked.ok()) {
            a = FinishLocked(ToGrpc(checked));
          } else {
            ready_ = std::move(c);
            a = PumpLocked();
          }
        }
        if (del) {
          delete this;
          return;
        }
        Do(a);
      });
    }

    Impl* impl_;
    ListQuery q_;
    const bool batched_;
    // Touched only on the core thread.
    std::optional<Prefix> cursor_;
    size_t lookup_index_ = 0;

    std::mutex mu_;
    std::unique_ptr<ListChunkOut> cur_;    // being written
    size_t idx_ = 0;
    std::unique_ptr<ListChunkOut> ready_;  // built, waiting
    bool building_ = false;  // a core task is pending (it refers to this)
    bool writing_ = false;
    bool finished_ = false;
    bool cancelled_ = false;
    bool done_ = false;
  };

  // Fills `out` with up to list_chunk paths after `cursor`; true when the listing is done.
  bool ListChunk(const ListQuery& q, size_t* lookup_index, std::optional<Prefix>* cursor,
                 ListChunkOut* out) {
    if (!server_.started()) return true;
    rib::Rib& rib = *server_.rib();
    // Exact and shorter lookups touch a few prefixes: answered in one visit.
    bool all_small = !q.lookups.empty();
    for (const LookupPrefix& l : q.lookups) {
      all_small &= l.type != apipb::TableLookupPrefix::LONGER;
    }
    // A lookup per chunk, not a table pass: the neighbor may have gone between chunks.
    rib::PeerId peer_id = 0;
    if (q.neighbor) {
      if (server_.FindNeighborSpec(*q.neighbor) == nullptr) return true;
      peer_id = PeerIdOf(*q.neighbor);
    }
    size_t budget = options_.list_chunk;
    ListEncoder enc;
    auto emit = [&](const Prefix& p) -> bool {
      if (!BuildEntry(q, peer_id, p, &enc)) return true;
      budget -= std::min<size_t>(budget, static_cast<size_t>(enc.paths_size()));
      out->messages.push_back(enc.Take(p));
      *cursor = p;
      return budget > 0;
    };
    if (all_small) {
      // Each destination built once, kept in prefix order, a prefix found twice listed once.
      absl::btree_map<Prefix, grpc::ByteBuffer> hits;
      auto take = [&](const Prefix& p) {
        if (hits.contains(p)) return true;
        if (!BuildEntry(q, peer_id, p, &enc)) return false;
        hits.emplace(p, enc.Take(p));
        return true;
      };
      for (const LookupPrefix& l : q.lookups) {
        if (l.type == apipb::TableLookupPrefix::SHORTER) {
          for (int len = 0; len <= l.prefix.length(); ++len) {
            take(Prefix::Make(l.prefix.addr(), static_cast<uint8_t>(len)));
          }
        } else if (l.host) {
          // An address: the longest prefix that covers it (gobgpd's lookup).
          for (int len = l.prefix.length(); len >= 0; --len) {
            if (take(Prefix::Make(l.prefix.addr(), static_cast<uint8_t>(len)))) break;
          }
        } else {
          take(l.prefix);
        }
      }
      for (auto& [p, r] : hits) out->messages.push_back(std::move(r));
      return true;
    }
    // Longer-prefix lookups are ranges of the ordered table; several are walked one by one.
    const LookupPrefix* range = nullptr;
    if (!q.lookups.empty()) {
      while (*lookup_index < q.lookups.size() &&
             q.lookups[*lookup_index].type != apipb::TableLookupPrefix::LONGER) {
        ++*lookup_index;
      }
      if (*lookup_index >= q.lookups.size()) return true;
      range = &q.lookups[*lookup_index];
    }
    bool finished;
    auto visit = [&](const Prefix& p) -> bool {
      if (range != nullptr) {
        if (p.addr() > LastAddress(range->prefix)) return false;  // past the range
        if (!range->prefix.Contains(p)) return true;
      }
      return emit(p);
    };
    const Prefix* after = cursor->has_value() ? &**cursor : nullptr;
    if (q.table == apipb::ADJ_OUT) {
      const rib::AdjRibOut& o = rib.adj_rib_out(peer_id);
      auto fn = [&](const Prefix& p, const rib::AttrSet*) { return visit(p); };
      finished = (range != nullptr && after == nullptr)
                     ? o.ForEachFromAddress(range->prefix.addr(), fn)
                     : o.ForEachAfter(q.family, after, fn);
    } else {
      auto fn = [&](const Prefix& p, const rib::Destination&) { return visit(p); };
      finished = (range != nullptr && after == nullptr)
                     ? rib.ForEachDestinationFromAddress(range->prefix.addr(), fn)
                     : rib.ForEachDestinationAfter(q.family, after, fn);
    }
    // Stopped by the range end (not the budget): the range is done.
    if (range != nullptr && budget > 0) finished = true;
    if (finished && range != nullptr) {
      ++*lookup_index;
      cursor->reset();
      return *lookup_index >= q.lookups.size();
    }
    return finished;
  }

  static IpAddress LastAddress(const Prefix& p) {
    std::array<uint8_t, 16> b{};
    const int n = p.addr().byte_length();
    std::memcpy(b.data(), p.addr().data(), static_cast<size_t>(n));
    for (int bit = p.length(); bit < n * 8; ++bit)
      b[static_cast<size_t>(bit / 8)] |= 0x80 >> (bit % 8);
    return n == 4 ? IpAddress::V4Bytes(b.data()) : IpAddress::V6Bytes(b.data());
  }

  rib::PeerId PeerIdOf(const IpAddress& a) { return server_.PeerIdOf(a); }

  // One destination of the listing; false when the table has nothing for `p`.
  // The paths go to `out`; it is left empty (Clear) when the entry is not listed.
  bool BuildEntry(const ListQuery& q, rib::PeerId peer_id, const Prefix& p, ListEncoder* out) {
    out->Clear();
    rib::Rib& rib = *server_.rib();
    if (q.table == apipb::ADJ_OUT) {
      const rib::SentPaths sent = rib.adj_rib_out(peer_id).FindAll(p);
      if (sent.empty()) return false;
      const rib::Destination* d = rib.Find(p);
      for (const rib::SentPath& s : sent) {
        // What was sent, dated and sourced as the Loc-RIB path it came from: the best, or
        // towards an ADD-PATH peer the ECMP member sent with that path id.
        const rib::Path* from = d != nullptr ? d->best() : nullptr;
        if (d != nullptr && s.path_id != 0) {
          for (const rib::Path& lp : d->paths()) {
            if (lp.multipath() && rib::SendPathId(lp) == s.path_id) from = &lp;
          }
        }
        PathInfo info;
        info.attrs = s.attrs;
        info.arrival = absl::Now();
        if (from != nullptr) {
          info = PathInfoOf(*from, rib.peer_info(from->peer), false);
          info.attrs = s.attrs;
          info.arrival = absl::FromUnixSeconds(PathAge(p, *from));
          // The id on the wire towards an ADD-PATH peer; gobgpd's numbering otherwise.
          info.local_identifier = s.path_id != 0 ? s.path_id : LocalId(*d, *from);
          info.best = false;  // gobgpd lists Adj-RIB-Out paths unmarked
        }
        out->Add(p, info);
      }
      return true;
    }
    const rib::Destination* d = rib.Find(p);
    if (d == nullptr || d->empty()) return false;
    if (q.table == apipb::ADJ_IN) {
      for (const rib::Path& path : d->paths()) {
        if (path.peer != peer_id) continue;
        if (!path.eligible() && (path.flags & rib::Path::kRejected) && !q.enable_filtered) {
          // gobgpd lists rejected paths in adj-in only with enable_filtered.
        }
        out->Add(p, ListedPathInfo(p, *d, path, false, /*pre_policy=*/true));
      }
      return out->paths_size() > 0;
    }
    ListDestination(p, *d, false, false, [&](const PathInfo& info) { out->Add(p, info); });
    return out->paths_size() > 0;
  }

  // Queues the current best paths for a new watcher, a chunk per call; true when done.
  bool ReplayBest(Watcher* w, Family* family, std::optional<Prefix>* cursor) {
    if (!server_.started()) return true;
    rib::Rib& rib = *server_.rib();
    apipb::WatchEventResponse ev;
    auto* table = ev.mutable_table();
    size_t n = 0;
    const Prefix* after = cursor->has_value() ? &**cursor : nullptr;
    bool finished = rib.ForEachDestinationAfter(
        *family, after, [&](const Prefix& p, const rib::Destination& d) {
          *cursor = p;
          if (d.best() == nullptr) return true;
          EmitPath(p, d, *d.best(), true, false, table->add_paths());
          return ++n < options_.list_chunk;
        });
    if (n > 0) w->Push(std::move(ev), n);
    if (!finished) return false;
    cursor->reset();
    if (*family == Family::kIPv4) {
      *family = Family::kIPv6;
      return false;
    }
    return true;
  }

  void OnPeerState(const IpAddress& address, peer::State state) {
    if (state == peer::State::kEstablished) {
      peer_since_[PeerIdOf(address)] = NowSeconds();
    }
    bool any = false;
    for (auto& w : watchers_) any |= w->peers;
    if (!any) return;
    apipb::WatchEventResponse ev;
    ev.mutable_peer()->set_type(apipb::WatchEventResponse::PeerEvent::STATE);
    bool found = false;
    for (const server::NeighborStatus& st : server_.ListNeighbors()) {
      if (st.address != address) continue;
      PeerToApi(st, ev.mutable_peer()->mutable_peer());
      found = true;
    }
    if (!found) {
      ev.mutable_peer()->mutable_peer()->mutable_conf()->set_neighbor_address(address.ToString());
      ev.mutable_peer()->mutable_peer()->mutable_state()->set_neighbor_address(address.ToString());
    }
    (void)state;
    for (auto& w : watchers_) {
      if (w->peers) w->Push(ev, 1);
    }
  }

  void OnBestPath(const Prefix& prefix, const rib::Destination* d) {
    if (!best_cache_on_) return;
    apipb::Path path;
    rib::Rib& rib = *server_.rib();
    if (d != nullptr && d->best() != nullptr) {
      const rib::Path& b = *d->best();
      // gobgpd's watch events leave `best` unset, for the new best path too.
      EmitPath(prefix, *d, b, false, false, &path);
      best_cache_[prefix] = CachedBest{rib::AttrRef(&rib.pool(), b.attrs), b.peer, b.path_id,
                                       PathAge(prefix, b), LocalId(*d, b)};
    } else {
      // gobgpd reports a withdrawal with the path that was withdrawn.
      auto it = best_cache_.find(prefix);
      if (it == best_cache_.end()) return;  // never reported as best: nothing to take back
      PathInfo info;
      info.attrs = it->second.attrs.get();
      info.source = &rib.peer_info(it->second.peer);
      info.identifier = it->second.path_id;
      info.local_identifier = it->second.local_id;
      info.arrival = absl::FromUnixSeconds(it->second.age);
      info.is_withdraw = true;
      PathToApi(prefix, info, &path);
      best_cache_.erase(it);
    }
    for (auto& w : watchers_) {
      if (!w->best) continue;
      if (!w->pending_table) {
        w->pending_table.emplace();
        // Everything changed in this flush goes out as one TableEvent.
        std::weak_ptr<Watcher> weak = w;
        loop_.Post([weak] {
          auto sw = weak.lock();
          if (!sw || !sw->pending_table) return;
          size_t n = static_cast<size_t>(sw->pending_table->table().paths_size());
          apipb::WatchEventResponse ev = std::move(*sw->pending_table);
          sw->pending_table.reset();
          sw->Push(std::move(ev), n);
        });
      }
      *w->pending_table->mutable_table()->add_paths() = path;
    }
  }

  // The last best path reported per prefix, kept while a BEST watcher exists, so a
  // withdrawal can carry the withdrawn path as gobgpd's does. Filled from the table when
  // the first watcher comes, dropped with the last one.
  void UpdateBestCache() {
    bool want = false;
    for (auto& w : watchers_) want |= w->best;
    if (want == best_cache_on_) return;
    best_cache_.clear();
    best_cache_on_ = want && server_.started();
    if (!best_cache_on_) return;
    rib::Rib& rib = *server_.rib();
    for (Family f : {Family::kIPv4, Family::kIPv6}) {
      rib.ForEachDestination(f, [&](const Prefix& p, const rib::Destination& d) {
        if (d.best() == nullptr) return;
        const rib::Path& b = *d.best();
        best_cache_[p] = CachedBest{rib::AttrRef(&rib.pool(), b.attrs), b.peer, b.path_id,
                                    PathAge(p, b), LocalId(d, b)};
      });
    }
  }

 public:
  // Drops everything that points into the Rib; on the core, before the server stops.
  void ReleaseCoreState() {
    for (auto& w : watchers_) w->best = false;
    best_cache_.clear();
    best_cache_on_ = false;
  }

 private:
  // Re-reads the server's policy into the store when someone else (a config reload)
  // replaced it since the store last applied its own.
  void SyncPolicyStore() {
    if (server_.policy_generation() == store_generation_) return;
    auto loaded = PolicyStore::FromConfig(server_.policy_config());
    if (loaded.ok()) {
      store_ = *std::move(loaded);
    } else {
      LogWarn("API policy view cannot represent the running policy",
              {{"error", std::string(loaded.status().message())}});
    }
    store_generation_ = server_.policy_generation();
  }

  // Which neighbors the assignment RPCs may name (gobgpd: route server clients only).
  PeerLookup Peers() {
    return [this](const IpAddress& a) {
      const server::NeighborSpec* spec = server_.FindNeighborSpec(a);
      if (spec == nullptr) return PeerKind::kUnknown;
      return spec->rib.route_server_client ? PeerKind::kRouteServerClient : PeerKind::kPeer;
    };
  }

  template <typename F>
  absl::Status ChangePolicy(F&& change) {
    SyncPolicyStore();
    absl::Status s = store_.Update(change, [this](const policy::PolicyConfig& c) {
      if (!server_.started()) return absl::FailedPreconditionError("bgp server hasn't started yet");
      return server_.SetPolicy(c);
    });
    if (s.ok()) store_generation_ = server_.policy_generation();
    return s;
  }

  EventLoop& loop_;
  server::BgpServer& server_;
  ApiOptions options_;
  std::atomic<bool> shutting_down_{false};
  std::mutex watchers_mu_;
  std::vector<std::shared_ptr<Watcher>> all_watchers_;  // for shutdown (any thread)

  // core state
  struct CachedBest {
    rib::AttrRef attrs;
    rib::PeerId peer = 0;
    uint32_t path_id = 0;
    int64_t age = 0;
    uint32_t local_id = 1;
  };
  absl::flat_hash_map<Prefix, CachedBest> best_cache_;
  bool best_cache_on_ = false;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  absl::btree_map<std::string, apipb::PeerGroup> peer_groups_;
  absl::flat_hash_map<LocalKey, LocalPath> local_paths_;
  absl::flat_hash_map<Uuid, LocalKey> uuids_;
  absl::flat_hash_map<rib::PeerId, int64_t> peer_since_;
  int64_t start_time_ = NowSeconds();
  PolicyStore store_;
  uint64_t store_generation_ = ~uint64_t{0};
};

// ---------------------------------------------------------------------------------------

// kbgp.KbgpApi (api/kbgp.proto): kbgp's additions, served next to GobgpApi by the same Impl.
class KbgpService final
    : public kbgp::KbgpApi::WithRawCallbackMethod_ListPathBatched<kbgp::KbgpApi::Service> {
 public:
  explicit KbgpService(ApiServer::Impl* impl) : impl_(impl) {}
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ListPathBatched(
      grpc::CallbackServerContext*, const grpc::ByteBuffer* request) override {
    return impl_->StartListPath(request, /*batched=*/true);
  }

 private:
  ApiServer::Impl* impl_;
};

ApiServer::ApiServer(EventLoop& loop, server::BgpServer& server) : loop_(loop), server_(server) {}

ApiServer::~ApiServer() {
  if (grpc_) Shutdown();
}

absl::Status ApiServer::Start(const ApiOptions& options) {
  impl_ = std::make_unique<Impl>(loop_, server_, options);
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (options.tls) {
    absl::Status st;
    grpc::SslServerCredentialsOptions ssl;
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    if (options.cert_file.empty() || options.key_file.empty()) {
      return absl::InvalidArgumentError("--tls needs --tls-cert-file and --tls-key-file");
    }
    pair.cert_chain = ReadFile(options.cert_file, &st);
    pair.private_key = ReadFile(options.key_file, &st);
    if (!options.client_ca_file.empty()) {
      ssl.pem_root_certs = ReadFile(options.client_ca_file, &st);
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    if (!st.ok()) return st;
    ssl.pem_key_cert_pairs.push_back(pair);
    creds = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  ports_.assign(options.hosts.size(), 0);
  for (size_t i = 0; i < options.hosts.size(); ++i) {
    builder.AddListeningPort(options.hosts[i], creds, &ports_[i]);
  }
  builder.RegisterService(impl_.get());
  kbgp_service_ = std::make_unique<KbgpService>(impl_.get());
  builder.RegisterService(kbgp_service_.get());
  if (options.interceptors) builder.experimental().SetInterceptorCreators(options.interceptors());
  // Big ListPath chunks and AddPathStream batches; gobgp's own limit is 256 MiB too.
  builder.SetMaxReceiveMessageSize(256 << 20);
  builder.SetMaxSendMessageSize(256 << 20);
  grpc_ = builder.BuildAndStart();
  if (!grpc_) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for the gRPC API on ", absl::StrJoin(options.hosts, ",")));
  }
  for (size_t i = 0; i < options.hosts.size(); ++i) {
    if (!absl::StartsWith(options.hosts[i], "unix:") && ports_[i] == 0) {
      grpc_->Shutdown();
      grpc_.reset();
      return absl::UnavailableError(
          absl::StrCat("cannot listen for the gRPC API on ", options.hosts[i]));
    }
  }
  impl_->AttachToRunningServer();
  LogInfo("gRPC API listening",
          {{"hosts", absl::StrJoin(options.hosts, ",")}, {"tls", options.tls ? "on" : "off"}});
  return absl::OkStatus();
}

void ApiServer::Shutdown() {
  if (!grpc_) return;
  impl_->BeginShutdown();
  grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc_->Wait();
  grpc_.reset();
  // The core loop still runs (see the header): drop what points into the Rib there.
  Impl* impl = impl_.get();
  impl->OnCore([impl] { impl->ReleaseCoreState(); });
}

}  // namespace kbgp::api_server
