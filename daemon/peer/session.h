// One BGP peer's connections over Asio, on the core thread (DESIGN.md "Data flow and
// threads"). The Session owns the TCP connection(s), the timers and the FsmState, feeds the
// pure FSM (fsm.h) real events and performs the actions it returns: it frames messages from
// the socket, builds and validates OPENs, negotiates capabilities, resolves connection
// collisions (RFC 4271 §6.8), queues writes with a high-water mark, and reports upward
// through SessionHandler.
//
// Invariants:
//  - Everything runs on the EventLoop thread; handler callbacks are never called from another
//    thread. A handler must not destroy the Session from inside a callback (Post it instead).
//  - At most two connections exist at once: the primary one (whose FsmState is the session's
//    state) and, during a collision, a second accepted connection with its own FsmState.
//    Only the primary ever reaches Established.
//  - Reads are bounded: one buffer of the largest message the session can accept
//    (4096 bytes, 65535 with RFC 8654 offered); a header is checked with wire::DecodeHeader
//    before its body is awaited.
//  - Writes are queued; the queue reports "backlogged" above the high-water mark and
//    OnWritable once it drains below the low-water mark. A peer that makes no write
//    progress for the Send Hold Time is dropped (RFC 9687), so the queue stays bounded as
//    long as the RIB layer honours writable().
//  - A dropped connection lingers briefly (at most kLingerTime) to flush a queued
//    NOTIFICATION and see the peer's FIN; it never delays the FSM.
#ifndef KBGP_DAEMON_PEER_SESSION_H_
#define KBGP_DAEMON_PEER_SESSION_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "asio/ip/tcp.hpp"
#include "daemon/common/bytes.h"
#include "daemon/common/event_loop.h"
#include "daemon/common/ip.h"
#include "daemon/peer/fsm.h"
#include "daemon/wire/message.h"

namespace kbgp::peer {

// Per address family configuration (gobgpd's afi-safis[]).
struct FamilyOptions {
  wire::AfiSafi family = wire::kIPv4Unicast;
  bool add_path_receive = false;  // RFC 7911
  bool add_path_send = false;
  bool gr_forwarding_state = false;  // RFC 4724 per-family F bit in our GR capability
  friend bool operator==(const FamilyOptions&, const FamilyOptions&) = default;
};

struct SessionOptions {
  IpAddress peer_address;
  uint16_t peer_port = 179;
  uint32_t peer_as = 0;
  uint32_t local_as = 0;
  uint32_t router_id = 0;  // our BGP Identifier, host order
  // Source address and port of our outgoing connections (unset / 0: the kernel picks).
  std::optional<IpAddress> local_address;
  uint16_t local_port = 0;
  bool passive = false;  // never connect; wait for the peer

  std::vector<FamilyOptions> families = {FamilyOptions{}};
  bool route_refresh = true;           // RFC 2918
  bool enhanced_route_refresh = true;  // RFC 7313
  bool four_octet_as = true;           // RFC 6793 (forced on when local_as > 65535)
  bool extended_message = false;       // RFC 8654
  bool extended_next_hop = false;      // RFC 8950: IPv4 unicast NLRI over IPv6 next hops
  bool graceful_restart = false;       // RFC 4724
  uint16_t gr_restart_time = 120;
  bool gr_notification = false;  // RFC 8538 N bit
  bool gr_restarting = false;    // R bit: we restarted (set by the server after a restart)
  std::string hostname;          // FQDN capability when nonempty
  std::string domain;

  SessionConfig fsm;  // timers (seconds), DelayOpen, Send Hold Timer, idle hold backoff
  // Nonzero: the ConnectRetryTimer runs at most this long (seconds), whatever fsm says.
  uint32_t connect_retry_cap = 0;

  std::string password;            // TCP MD5 (RFC 2385); empty: none
  uint8_t multihop_ttl = 0;        // ebgp-multihop TTL; 0: 1 for eBGP, 255 for iBGP
  uint8_t ttl_security_hops = 0;   // GTSM (RFC 5082): nonzero turns it on

  size_t write_high_water = 4 << 20;  // bytes queued before writable() turns false
  size_t write_low_water = 1 << 20;   // OnWritable once the queue drains below this

  bool ibgp() const { return peer_as == local_as; }
  // Equal options: an update can keep the session up.
  friend bool operator==(const SessionOptions&, const SessionOptions&) = default;
};

// The outcome of capability negotiation, fixed when the peer's OPEN is accepted.
struct Negotiated {
  uint32_t peer_as = 0;
  uint32_t peer_bgp_id = 0;  // host order
  uint16_t hold_time = 0;
  uint16_t keepalive_time = 0;
  std::vector<wire::AfiSafi> families;  // advertised by both (RFC 4760)
  bool four_octet_as = false;
  bool extended_message = false;
  // ADD-PATH (RFC 7911 §4): we may send path identifiers for a family if we offered send and
  // the peer receive; we receive them if we offered receive and the peer send.
  std::vector<wire::AfiSafi> add_path_send;
  std::vector<wire::AfiSafi> add_path_receive;
  // RFC 8950: NLRI families that may carry an IPv6 next hop (both sides advertised it).
  std::vector<wire::AfiSafi> extended_next_hop;
  bool route_refresh = false;
  bool enhanced_route_refresh = false;
  // RFC 4724: the peer's graceful restart capability.
  bool peer_graceful_restart = false;
  uint16_t peer_restart_time = 0;
  bool peer_restarting = false;     // R bit
  bool peer_gr_notification = false;  // N bit (RFC 8538)
  std::vector<wire::GracefulRestartCap::Entry> peer_gr_families;  // with their F bits
  bool graceful_restart = false;  // both sides advertised GR
  std::string peer_hostname;
  std::string peer_domain;
  // Every capability of the peer's OPEN, in order (the API lists them as remote_cap).
  std::vector<wire::Capability> peer_capabilities;

  wire::CodecOptions decode;  // to decode the peer's messages
  wire::CodecOptions encode;  // to encode ours

  bool HasFamily(wire::AfiSafi f) const;
  bool AddPathSend(wire::AfiSafi f) const;
  bool AddPathReceive(wire::AfiSafi f) const;
  std::string FamiliesString() const;  // "ipv4-unicast,ipv6-unicast"
};

// Message counters per type, as GoBGP's bgp_*_total metrics count them.
struct MessageCounters {
  uint64_t open = 0;
  uint64_t update = 0;
  uint64_t notification = 0;
  uint64_t keepalive = 0;
  uint64_t refresh = 0;
  uint64_t withdraw_update = 0;  // UPDATEs that withdraw something
  uint64_t withdraw_prefix = 0;  // prefixes withdrawn (not counted for SendRaw UPDATEs)
  uint64_t discarded = 0;        // received and ignored (e.g. a refresh for a family not
                                 // negotiated)
  uint64_t total = 0;
};

class Session;

// Implemented by the server. Called on the core thread.
class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  virtual void OnEstablished(Session& session, const Negotiated& negotiated) = 0;
  // A decoded UPDATE; RFC 7606 treat-as-withdraw and attribute-discard are in update.report.
  virtual void OnUpdate(Session& session, wire::Update&& update) = 0;
  virtual void OnRouteRefresh(Session& session, const wire::RouteRefresh& refresh) = 0;
  // The session left Established (the peer's routes are to be withdrawn or kept stale).
  virtual void OnDown(Session& session, DownReason reason, std::string detail) = 0;
  // The output queue drained below the low-water mark after being backlogged.
  virtual void OnWritable(Session& session) = 0;
};

// Random numbers in [0, 1) for timer jitter (RFC 4271 §10).
using RandomSource = std::function<double()>;

class Session {
 public:
  // How long a dropped connection may linger to flush its last bytes.
  static constexpr std::chrono::milliseconds kLingerTime{2000};

  Session(EventLoop& loop, SessionHandler& handler, SessionOptions options,
          RandomSource random = nullptr);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // ManualStart (or ManualStart_with_PassiveTcpEstablishment when options.passive).
  void Start();
  // ManualStop: Cease with `cease_subcode` (Administrative Shutdown by default) and an
  // optional RFC 9003 shutdown communication.
  void Stop(uint8_t cease_subcode = wire::err::kCeaseAdminShutdown,
            std::string shutdown_message = "");
  // Stop with Cease/Administrative Reset, then start again at once.
  void Reset(std::string shutdown_message = "",
             uint8_t cease_subcode = wire::err::kCeaseAdminReset);

  // Called by the Listener with a connection from this peer's address.
  void Accept(asio::ip::tcp::socket socket);

  // Encodes and queues a message (Established only, except KEEPALIVE/NOTIFICATION).
  absl::Status Send(const wire::Message& message);
  // Queues one or more pre-encoded messages (UPDATEs from the RIB's packer); Established only.
  absl::Status SendRaw(Bytes bytes);

  State state() const;
  bool established() const { return state() == State::kEstablished; }
  // False while the output queue is above its high-water mark.
  bool writable() const;
  size_t queued_bytes() const;
  // Buffers waiting in the output queue (a message, or a batch of packed UPDATEs from
  // SendRaw): the closest thing to GoBGP's out queue length (bgp_peer_out_queue_count).
  size_t queued_writes() const;
  const SessionOptions& options() const { return options_; }
  const IpAddress& peer_address() const { return options_.peer_address; }
  uint32_t peer_as() const { return options_.peer_as; }
  // Valid once Established (and kept after a drop until the next OPEN).
  const Negotiated& negotiated() const { return negotiated_; }
  const MessageCounters& sent() const { return sent_; }
  const MessageCounters& received() const { return received_; }
  // Time since Established; zero when not Established.
  std::chrono::nanoseconds uptime() const;
  uint64_t flops() const { return flops_; }  // drops from Established, not by our stop
  // Zeroes the message counters (gobgpd does on `neighbor disable`).
  void ResetCounters() {
    sent_ = MessageCounters{};
    received_ = MessageCounters{};
  }
  // When the session last reached Established (kept after it drops; unset if it never did),
  // and when it was created or last left Established: gobgpd's uptime and downtime.
  std::optional<Clock::TimePoint> last_up_at() const { return last_up_at_; }
  Clock::TimePoint last_down_at() const { return last_down_at_; }
  const std::string& last_error() const { return last_error_; }
  DownReason last_down_reason() const { return last_down_reason_; }
  const std::optional<wire::Notification>& last_notification_received() const {
    return last_notification_received_;
  }
  // Local and remote endpoints of the primary connection (port 0 when none).
  std::optional<asio::ip::tcp::endpoint> local_endpoint() const;
  // The local endpoint of the last Established session (kept after it went down).
  const std::optional<asio::ip::tcp::endpoint>& last_local_endpoint() const {
    return last_local_endpoint_;
  }
  std::optional<asio::ip::tcp::endpoint> remote_endpoint() const;
  // Connections open now, lingering ones included (tests check for leaks).
  size_t open_connections() const;

  // The OPEN this session sends (tests and the API's "neighbor" view).
  wire::Open BuildOpen() const;

 private:
  struct Conn;
  struct Fsm;

  struct PendingEvent {
    Fsm* fsm = nullptr;
    Event event;
    Bytes data;          // data of the NOTIFICATION this event may send
    std::string detail;  // why, for logs and last_error()
  };
  void Feed(Fsm* f, const Event& ev, Bytes data = {}, std::string detail = "");
  void Apply(Fsm* f, const Transition& t, const PendingEvent& pe);
  void Perform(Fsm* f, const Action& a, DownReason reason, const PendingEvent& pe,
               const std::string& detail);
  void StartTimer(Fsm* f, Timer t, uint32_t seconds);
  void OnTimer(Fsm* f, Timer t);
  void StartConnect(Fsm* f);
  void OnConnected(const std::shared_ptr<Conn>& c, const std::error_code& ec);
  void Adopt(Fsm* f, std::shared_ptr<Conn> c);
  void StartRead(const std::shared_ptr<Conn>& c);
  void OnRead(const std::shared_ptr<Conn>& c, const std::error_code& ec, size_t n);
  void ProcessFrames(const std::shared_ptr<Conn>& c);
  void Dispatch(Fsm* f, ByteSpan message);
  void HandleOpen(Fsm* f, ByteSpan body);
  void HandleUpdate(Fsm* f, ByteSpan body);
  void HandleNotification(Fsm* f, ByteSpan body);
  void HandleRouteRefresh(Fsm* f, ByteSpan body);
  void FeedError(Fsm* f, EventType type, const absl::Status& status);
  absl::Status ValidateOpen(const wire::Open& open) const;
  Negotiated Negotiate(const wire::Open& ours, const wire::Open& peers) const;
  // RFC 4271 §6.8 with the peer's BGP ID known; returns false when `f` lost.
  bool ResolveCollision(Fsm* f);
  void DumpConnection(Fsm* loser);
  void Promote(const FsmState& prior);
  void Retire(std::unique_ptr<Fsm> f);
  void Enqueue(Fsm* f, Bytes bytes);
  void StartWrite(const std::shared_ptr<Conn>& c);
  void OnWrite(const std::shared_ptr<Conn>& c, const std::error_code& ec, size_t n);
  void Disconnect(Fsm* f);
  void FinishLinger(Conn* c);
  void CountSent(ByteSpan bytes);
  absl::Status SetSocketOptions(asio::ip::tcp::socket& s, bool before_connect);
  uint32_t Jitter(Timer t, uint32_t seconds);
  std::string PeerName() const;
  bool IsLive(const Fsm* f) const { return f != nullptr && (f == main_.get() || f == second_.get()); }

  EventLoop& loop_;
  SessionHandler& handler_;
  const SessionOptions options_;
  RandomSource random_;

  std::unique_ptr<Fsm> main_;
  std::unique_ptr<Fsm> second_;  // an accepted connection during a collision
  std::vector<std::unique_ptr<Fsm>> retired_;  // freed on the next loop turn
  std::list<std::shared_ptr<Conn>> lingering_;

  // Events raised while actions are being performed (a handler calling Stop, ...) wait here.
  bool feeding_ = false;
  std::deque<PendingEvent> pending_events_;
  std::optional<wire::Update> pending_update_;

  Negotiated negotiated_;
  MessageCounters sent_;
  MessageCounters received_;
  uint64_t flops_ = 0;
  std::optional<asio::ip::tcp::endpoint> last_local_endpoint_;
  std::string last_error_;
  DownReason last_down_reason_ = DownReason::kNone;
  std::optional<wire::Notification> last_notification_received_;
  std::optional<Clock::TimePoint> established_at_;
  std::optional<Clock::TimePoint> last_up_at_;
  Clock::TimePoint last_down_at_;
  bool backlogged_ = false;
  std::shared_ptr<bool> alive_;  // for callbacks posted to the loop
};

}  // namespace kbgp::peer

#endif  // KBGP_DAEMON_PEER_SESSION_H_
