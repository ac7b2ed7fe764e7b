// ApiServer: GoBGP's gRPC API (package apipb, service GobgpApi, as gobgpd 3.10 serves it) on
// top of a BgpServer, so the real `gobgp` CLI, kube-router-style controllers and kbgp's own
// tools drive kbgpd as they drive gobgpd.
//
// What this module owns: the gRPC server (its threads, listening addresses, TLS), the state
// GoBGP keeps at the API level and the BgpServer does not (peer groups, the policy object
// model, the UUIDs of paths added through AddPath), and the WatchEvent subscribers.
//
// Invariants:
//  - gRPC handlers run on gRPC's threads and never touch the BgpServer, the Rib or the API
//    state directly: every access is a closure posted to the core loop (EventLoop::Post),
//    and the handler waits for its result. The core never waits for a gRPC thread.
//  - Long listings (ListPath over a million routes) are read in chunks, one short closure
//    per chunk, so keepalives and UPDATEs interleave with the listing; a chunk's protobuf
//    messages are built on the core (they need the interned attribute sets) and written to
//    the stream on the gRPC thread.
//  - A WatchEvent subscriber has a bounded queue; the core only appends. A subscriber that
//    falls behind by more than the bound is closed with RESOURCE_EXHAUSTED, never waited on.
//  - Bad input is an INVALID_ARGUMENT / NOT_FOUND / ALREADY_EXISTS / FAILED_PRECONDITION
//    status with a message (gobgpd's text where tools match on it), never a crash.
//  - Shutdown() must run while the core loop still runs (handlers wait on it).
#ifndef KBGP_DAEMON_API_SERVER_API_SERVER_H_
#define KBGP_DAEMON_API_SERVER_API_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/common/event_loop.h"
#include "daemon/server/server.h"

namespace grpc {
class Service;
class Server;
namespace experimental {
class ServerInterceptorFactoryInterface;
}  // namespace experimental
}  // namespace grpc

namespace kbgp::api_server {

struct ApiOptions {
  // "127.0.0.1:50051", "[::1]:50051", ":50051" (all addresses, as gobgpd), "unix:///path".
  std::vector<std::string> hosts = {"127.0.0.1:50051"};
  bool tls = false;
  std::string cert_file;
  std::string key_file;
  // With TLS: clients must present a certificate signed by this CA (mutual TLS).
  std::string client_ca_file;
  // Paths per ListPath chunk built on the core in one loop turn.
  size_t list_chunk = 2000;
  // WatchEvent: events queued per subscriber before it is dropped.
  size_t watch_queue_limit = 1 << 20;
  // Server interceptors for every call (daemon/metrics counts calls by method and code);
  // called once when the gRPC server is built. Unset: none.
  using Interceptors =
      std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>;
  std::function<Interceptors()> interceptors;
};

// Parses gobgpd's --api-hosts value: comma-separated addresses. Errors name the bad entry.
absl::StatusOr<std::vector<std::string>> ParseApiHosts(absl::string_view text);

class ApiServer {
 public:
  ApiServer(EventLoop& loop, server::BgpServer& server);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds every address and starts serving. Fails (and serves nothing) if any cannot bind.
  absl::Status Start(const ApiOptions& options);
  // The ports bound, in the order of options.hosts (0 for unix sockets); useful with ":0".
  const std::vector<int>& bound_ports() const { return ports_; }
  // Stops accepting calls, cancels open streams and waits for handlers to finish (at most a
  // couple of seconds). Blocking: call it from a thread other than the core loop's.
  void Shutdown();

  class Impl;

 private:
  EventLoop& loop_;
  server::BgpServer& server_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<grpc::Service> kbgp_service_;  // kbgp.KbgpApi (api/kbgp.proto)
  std::unique_ptr<grpc::Server> grpc_;
  std::vector<int> ports_;
};

}  // namespace kbgp::api_server

#endif  // KBGP_DAEMON_API_SERVER_API_SERVER_H_
