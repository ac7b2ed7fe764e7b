// BgpServer: the BGP speaker on the core thread. It owns the Listener, one Session per
// neighbor and the Rib, and connects them: a Session's decoded UPDATEs go into the Rib, and
// one flush per batch of work turns the Rib's changes into UPDATEs for every established peer.
//
// Invariants:
//  - Everything here runs on the EventLoop thread (other threads reach it through Post()).
//  - A neighbor is keyed by its address; each has exactly one Session and one rib::PeerId for
//    as long as it is configured.
//  - At most one flush is pending at a time; every change to the Rib schedules it, so a burst
//    of UPDATEs read in one loop turn is answered with one round of packed UPDATEs.
//  - A peer whose session is backlogged (peer::Session::writable() false) keeps getting
//    its UPDATEs queued (the Rib has no per-peer pause yet); the RFC 9687 Send Hold Timer bounds
//    the damage by dropping a peer that stops reading.
#ifndef KBGP_DAEMON_SERVER_SERVER_H_
#define KBGP_DAEMON_SERVER_SERVER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/common/event_loop.h"
#include "daemon/common/ip.h"
#include "daemon/peer/listener.h"
#include "daemon/peer/session.h"
#include "daemon/policy/engine.h"
#include "daemon/rib/rib.h"

namespace kbgp::server {

struct GlobalSpec {
  uint32_t as = 0;
  uint32_t router_id = 0;  // host order, nonzero
  // -1: do not listen (gobgpd's port -1); 0: an ephemeral port (tests).
  int32_t port = 179;
  std::vector<IpAddress> listen_addresses;  // empty: 0.0.0.0 and ::
  rib::DecisionOptions decision;
};

struct NeighborSpec {
  peer::SessionOptions session;  // peer address, AS, timers, capabilities, TCP options
  // The RFC 4456 / 7947 / GoBGP per-peer options the Rib applies (route reflector client,
  // cluster id, route server client, remove-private-as, allow-own-as, ...). The session
  // facts (addresses, ASes, router ids, ADD-PATH) are filled in by the server.
  rib::PeerInfo rib;
  bool admin_down = false;  // now (DisableNeighbor sets it too)
  bool config_admin_down = false;  // as configured (config file or AddPeer)
  std::string description;
  std::string peer_group;  // the peer group it was made from (API's conf.peer_group)
};

struct NeighborStatus {
  IpAddress address;
  uint32_t peer_as = 0;
  std::string description;
  peer::State state = peer::State::kIdle;
  bool admin_down = false;
  bool dynamic = false;  // created by a dynamic-neighbor range; removed when it goes down
  size_t received = 0;  // paths in the Adj-RIB-In
  size_t accepted = 0;  // of those, not dropped by loop checks (gobgpd counts policy rejects)
  size_t advertised = 0;  // prefixes in the Adj-RIB-Out
  // The same per family: [0] IPv4 unicast, [1] IPv6 unicast.
  size_t family_received[2] = {0, 0};
  size_t family_accepted[2] = {0, 0};
  size_t family_advertised[2] = {0, 0};
  NeighborSpec spec;
  const peer::Session* session = nullptr;  // valid until the core loop runs on
};

// A dynamic-neighbor range (gobgpd's dynamic-neighbors): an incoming connection from an
// unknown address inside `prefix` creates a passive neighbor from `spec` (its peer address
// filled in); the neighbor is removed again when its session goes down.
struct DynamicRange {
  Prefix prefix;
  std::string peer_group;
  NeighborSpec spec;
};

class BgpServer : public peer::SessionHandler {
 public:
  explicit BgpServer(EventLoop& loop);
  ~BgpServer() override;
  BgpServer(const BgpServer&) = delete;
  BgpServer& operator=(const BgpServer&) = delete;

  // StartBgp: creates the Rib and starts listening. Fails if already started.
  absl::Status Start(const GlobalSpec& global);
  // StopBgp: every session is stopped with Cease/Peer De-configured, then everything freed.
  void Stop();
  bool started() const { return rib_ != nullptr; }
  const GlobalSpec& global() const { return global_; }
  // The bound BGP port (0 when not listening).
  uint16_t listen_port() const;

  // Fails with "can't overwrite the existing peer" (gobgpd's text) when the address is known.
  absl::Status AddNeighbor(NeighborSpec spec);
  absl::Status DeleteNeighbor(const IpAddress& address);
  // Replaces a neighbor's settings. `session_changed` false keeps the session up (only
  // descriptive or Rib-side options differ) — the caller (config reload) decides.
  absl::Status UpdateNeighbor(NeighborSpec spec, bool session_changed);
  // Hard reset (Cease/Administrative Reset, reconnect).
  absl::Status ResetNeighbor(const IpAddress& address, std::string message = "");
  // gobgpd's ShutdownPeer: Cease/Administrative Shutdown, then the session starts again.
  absl::Status ShutdownNeighbor(const IpAddress& address, std::string message = "");
  // admin-down: stop (Cease/Administrative Shutdown) and stay down; enable starts again.
  absl::Status DisableNeighbor(const IpAddress& address, std::string message = "");
  absl::Status EnableNeighbor(const IpAddress& address);

  // Replaces the routing policy (defined sets, policies, global and route-server-client
  // assignments). On a running server every route is re-evaluated (import from the kept
  // Adj-RIB-In, export against each Adj-RIB-Out) without resetting sessions. On error the
  // running policy stays.
  absl::Status SetPolicy(const policy::PolicyConfig& config);
  const policy::PolicyEngine& policy() const { return policy_; }

  // Soft reset inbound: import policy runs again on the kept Adj-RIB-In (no ROUTE-REFRESH is
  // needed). Outbound: the peer's whole table is sent again.
  absl::Status SoftResetIn(const IpAddress& address);
  absl::Status SoftResetOut(const IpAddress& address);

  // Dynamic-neighbor ranges. A range is keyed by (prefix, peer group).
  absl::Status AddDynamicRange(DynamicRange range);
  absl::Status DeleteDynamicRange(const Prefix& prefix, absl::string_view peer_group);
  const std::vector<DynamicRange>& dynamic_ranges() const { return dynamic_ranges_; }

  // Locally originated paths (the API's AddPath). `attrs` is interned in rib()->pool();
  // a path with the same (prefix, path_id) is replaced.
  absl::Status AddLocalPath(const Prefix& prefix, uint32_t path_id, const rib::AttrSet* attrs);
  absl::Status DeleteLocalPath(const Prefix& prefix, uint32_t path_id);
  // Every local path (of one family, if given). Returns how many went.
  size_t DeleteLocalPaths(std::optional<Family> family);

  // The policy last given to SetPolicy, and a counter that SetPolicy bumps, so a holder of a
  // derived view (the API's policy store) sees that a config reload replaced it.
  const policy::PolicyConfig& policy_config() const { return policy_config_; }
  uint64_t policy_generation() const { return policy_generation_; }

  // Observers for the API's WatchEvent, called on the core thread. The peer hook sees each
  // change of a neighbor's session state as the server learns it (added, Established, down,
  // deleted); the best-path hook sees, once per flush, every prefix whose best path or ECMP
  // set may have changed (d is null when the prefix has no path left).
  using PeerStateHook = std::function<void(const IpAddress& address, peer::State state)>;
  using BestPathHook = std::function<void(const Prefix& prefix, const rib::Destination* d)>;
  void set_peer_state_hook(PeerStateHook hook) { peer_state_hook_ = std::move(hook); }
  void set_best_path_hook(BestPathHook hook) { best_path_hook_ = std::move(hook); }
  // Observer for metrics (daemon/metrics), called on the core thread with the loop clock's
  // duration of each received UPDATE applied to the Rib (import policy and decision
  // included), and of each flush (export and UPDATE generation for every peer).
  enum class Timing { kUpdate, kFlush };
  using TimingHook = std::function<void(Timing what, std::chrono::nanoseconds took)>;
  void set_timing_hook(TimingHook hook) { timing_hook_ = std::move(hook); }

  // One pass over the table for all neighbors' route counts.
  std::vector<NeighborStatus> ListNeighbors() const;
  const peer::Session* FindSession(const IpAddress& address) const;
  // The neighbor's settings, or null; no table pass (ListNeighbors counts routes).
  const NeighborSpec* FindNeighborSpec(const IpAddress& address) const;
  // The neighbor's index in the Rib (0, the local peer, when unknown).
  rib::PeerId PeerIdOf(const IpAddress& address) const;
  rib::Rib* rib() { return rib_.get(); }

  // peer::SessionHandler
  void OnEstablished(peer::Session& session, const peer::Negotiated& negotiated) override;
  void OnUpdate(peer::Session& session, wire::Update&& update) override;
  void OnRouteRefresh(peer::Session& session, const wire::RouteRefresh& refresh) override;
  void OnDown(peer::Session& session, peer::DownReason reason, std::string detail) override;
  void OnWritable(peer::Session& session) override;

 private:
  struct Neighbor {
    NeighborSpec spec;
    std::unique_ptr<peer::Session> session;
    rib::PeerId rib_id = 0;
    // RFC 4724 receiving speaker: the peer's paths are stale while it restarts. The timer
    // first bounds the restart (the peer's Restart Time), then, once it is back, the wait for
    // its End-of-RIB (the same time again).
    bool gr_stale = false;
    std::unique_ptr<LoopTimer> gr_timer;
    bool dynamic = false;
    size_t last_advertised[2] = {0, 0};  // Adj-RIB-Out sizes when the session last went down
  };

  Neighbor* FindNeighbor(const IpAddress& address);
  Neighbor* NeighborOf(const peer::Session& session);
  std::unique_ptr<peer::Session> MakeSession(const NeighborSpec& spec);
  rib::PeerInfo MakePeerInfo(const NeighborSpec& spec) const;
  // RFC 4724 §4.2: whether this drop keeps the peer's routes as stale.
  bool GracefulDown(const Neighbor& n, peer::DownReason reason) const;
  void EndStale(Neighbor& n, std::optional<Family> family, absl::string_view why);
  void ScheduleFlush();
  void Flush();
  // The listener's hook for connections from unknown addresses (dynamic neighbors).
  bool OnUnknownPeer(const IpAddress& address, asio::ip::tcp::socket& socket);
  void NotifyPeerState(const IpAddress& address, peer::State state);

  EventLoop& loop_;
  GlobalSpec global_;
  // Declared before the Rib: the Rib's policy hooks point into it.
  policy::PolicyEngine policy_;
  std::unique_ptr<rib::Rib> rib_;
  std::unique_ptr<peer::Listener> listener_;
  absl::btree_map<IpAddress, std::unique_ptr<Neighbor>> neighbors_;
  bool flush_scheduled_ = false;
  std::vector<DynamicRange> dynamic_ranges_;
  policy::PolicyConfig policy_config_;
  uint64_t policy_generation_ = 0;
  PeerStateHook peer_state_hook_;
  BestPathHook best_path_hook_;
  TimingHook timing_hook_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kbgp::server

#endif  // KBGP_DAEMON_SERVER_SERVER_H_
