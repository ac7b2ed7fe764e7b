#include "daemon/peer/session.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "asio/connect.hpp"
#include "asio/write.hpp"
#include "daemon/common/log.h"
#include "daemon/common/status.h"
#include "daemon/peer/listener.h"

namespace kbgp::peer {

namespace {

constexpr size_t kNumTimers = static_cast<size_t>(Timer::kStable) + 1;

std::string FamilyName(wire::AfiSafi f) {
  std::string afi = f.afi == wire::kAfiIPv4   ? "ipv4"
                    : f.afi == wire::kAfiIPv6 ? "ipv6"
                                              : absl::StrCat("afi", f.afi);
  std::string safi = f.safi == wire::kSafiUnicast     ? "unicast"
                     : f.safi == wire::kSafiMulticast ? "multicast"
                                                      : absl::StrCat("safi", f.safi);
  return absl::StrCat(afi, "-", safi);
}

bool Contains(const std::vector<wire::AfiSafi>& v, wire::AfiSafi f) {
  return std::find(v.begin(), v.end(), f) != v.end();
}

EventType TimerEvent(Timer t) {
  switch (t) {
    case Timer::kConnectRetry: return EventType::kConnectRetryTimerExpires;
    case Timer::kHold: return EventType::kHoldTimerExpires;
    case Timer::kKeepalive: return EventType::kKeepaliveTimerExpires;
    case Timer::kDelayOpen: return EventType::kDelayOpenTimerExpires;
    case Timer::kIdleHold: return EventType::kIdleHoldTimerExpires;
    case Timer::kSendHold: return EventType::kSendHoldTimerExpires;
    case Timer::kStable: return EventType::kStableTimerExpires;
  }
  return EventType::kHoldTimerExpires;
}

std::string NotificationText(uint8_t code, uint8_t subcode) {
  return absl::StrCat(wire::ErrorCodeName(code), "/", wire::ErrorSubcodeName(code, subcode));
}

}  // namespace

// ---- Negotiated ----

bool Negotiated::HasFamily(wire::AfiSafi f) const { return Contains(families, f); }
bool Negotiated::AddPathSend(wire::AfiSafi f) const { return Contains(add_path_send, f); }
bool Negotiated::AddPathReceive(wire::AfiSafi f) const { return Contains(add_path_receive, f); }
std::string Negotiated::FamiliesString() const {
  return absl::StrJoin(families, ",", [](std::string* out, wire::AfiSafi f) {
    absl::StrAppend(out, FamilyName(f));
  });
}

// ---- Connections and FSM instances ----

// One TCP connection: socket, bounded read buffer, output queue. Shared with the asio
// handlers (which hold it weakly), so a closed connection's late completions find nothing.
struct Session::Conn {
  Conn(asio::io_context& io, size_t read_capacity) : socket(io), rbuf(read_capacity) {}
  asio::ip::tcp::socket socket;
  Fsm* owner = nullptr;  // null while connecting-aborted or lingering
  bool outgoing = false;
  bool connected = false;
  bool eof = false;     // the read side saw EOF or an error
  bool closed = false;
  Bytes rbuf;
  size_t rhead = 0;
  size_t rtail = 0;
  std::deque<Bytes> wqueue;
  size_t woffset = 0;  // bytes of wqueue.front() already written
  size_t wqueued = 0;  // bytes not yet written
  bool writing = false;
  std::unique_ptr<LoopTimer> linger;

  void Close() {
    if (closed) return;
    closed = true;
    std::error_code ec;
    socket.close(ec);
  }
};

// One FSM instance: the primary one, or a second accepted connection during a collision.
struct Session::Fsm {
  FsmState state;
  std::array<std::unique_ptr<LoopTimer>, kNumTimers> timers;
  std::array<uint32_t, kNumTimers> timer_ms{};  // last (jittered) duration, for restarts
  std::shared_ptr<Conn> conn;
  std::optional<wire::Open> peer_open;
  Negotiated negotiated;

  explicit Fsm(EventLoop& loop) {
    for (auto& t : timers) t = std::make_unique<LoopTimer>(loop);
  }
  LoopTimer& timer(Timer t) { return *timers[static_cast<size_t>(t)]; }
  void StopAll(bool keep_idle_hold) {
    for (size_t i = 0; i < kNumTimers; ++i) {
      if (keep_idle_hold && i == static_cast<size_t>(Timer::kIdleHold)) continue;
      timers[i]->Stop();
    }
  }
};

// ---- Session ----

Session::Session(EventLoop& loop, SessionHandler& handler, SessionOptions options,
                 RandomSource random)
    : loop_(loop),
      handler_(handler),
      options_(std::move(options)),
      random_(std::move(random)),
      main_(std::make_unique<Fsm>(loop)),
      last_down_at_(loop.clock().Now()),
      alive_(std::make_shared<bool>(true)) {
  if (!random_) {
    auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
  }
}

Session::~Session() {
  *alive_ = false;
  for (Fsm* f : {main_.get(), second_.get()}) {
    if (f != nullptr && f->conn != nullptr) {
      f->conn->owner = nullptr;
      f->conn->Close();
    }
  }
  for (auto& c : lingering_) c->Close();
  lingering_.clear();
}

std::string Session::PeerName() const { return options_.peer_address.ToString(); }

State Session::state() const { return main_->state.state; }

bool Session::writable() const { return !backlogged_; }

size_t Session::queued_bytes() const {
  return main_->conn != nullptr ? main_->conn->wqueued : 0;
}

size_t Session::queued_writes() const {
  return main_->conn != nullptr ? main_->conn->wqueue.size() : 0;
}

std::chrono::nanoseconds Session::uptime() const {
  if (!established_at_) return std::chrono::nanoseconds(0);
  return loop_.clock().Now() - *established_at_;
}

std::optional<asio::ip::tcp::endpoint> Session::local_endpoint() const {
  if (main_->conn == nullptr || !main_->conn->connected) return std::nullopt;
  std::error_code ec;
  auto ep = main_->conn->socket.local_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}

std::optional<asio::ip::tcp::endpoint> Session::remote_endpoint() const {
  if (main_->conn == nullptr || !main_->conn->connected) return std::nullopt;
  std::error_code ec;
  auto ep = main_->conn->socket.remote_endpoint(ec);
  if (ec) return std::nullopt;
  return ep;
}

size_t Session::open_connections() const {
  size_t n = 0;
  for (const Fsm* f : {main_.get(), second_.get()}) {
    if (f != nullptr && f->conn != nullptr && !f->conn->closed) ++n;
  }
  for (const auto& c : lingering_) n += c->closed ? 0 : 1;
  return n;
}

void Session::Start() {
  Feed(main_.get(), Event::Of(options_.passive ? EventType::kManualStartPassive
                                                : EventType::kManualStart));
}

void Session::Stop(uint8_t cease_subcode, std::string shutdown_message) {
  Bytes data;
  // RFC 9003 §2: Shutdown Communication for Administrative Shutdown and Reset: a length
  // octet and up to 255 octets of UTF-8.
  if (!shutdown_message.empty() && (cease_subcode == wire::err::kCeaseAdminShutdown ||
                                    cease_subcode == wire::err::kCeaseAdminReset)) {
    if (shutdown_message.size() > 255) shutdown_message.resize(255);
    data.push_back(static_cast<uint8_t>(shutdown_message.size()));
    data.insert(data.end(), shutdown_message.begin(), shutdown_message.end());
  }
  const Event ev = Event::WithNotification(EventType::kManualStop, wire::err::kCease,
                                           cease_subcode);
  const std::string detail =
      absl::StrCat("stopped: ", NotificationText(wire::err::kCease, cease_subcode));
  if (second_ != nullptr) Feed(second_.get(), ev, data, detail);
  Feed(main_.get(), ev, data, detail);
}

void Session::Reset(std::string shutdown_message, uint8_t cease_subcode) {
  Stop(cease_subcode, std::move(shutdown_message));
  Start();
}

// ---- FSM driving ----

void Session::Feed(Fsm* f, const Event& ev, Bytes data, std::string detail) {
  pending_events_.push_back(PendingEvent{f, ev, std::move(data), std::move(detail)});
  if (feeding_) return;  // the outer Feed runs it after the current transition
  feeding_ = true;
  while (!pending_events_.empty()) {
    PendingEvent pe = std::move(pending_events_.front());
    pending_events_.pop_front();
    if (!IsLive(pe.fsm)) continue;
    const Transition t = Step(pe.fsm->state, pe.event, options_.fsm);
    Apply(pe.fsm, t, pe);
  }
  feeding_ = false;
}

void Session::Apply(Fsm* f, const Transition& t, const PendingEvent& pe) {
  const FsmState before = f->state;
  f->state = t.next;
  const bool is_main = f == main_.get();
  if (before.state != t.next.state && LogEnabled(LogLevel::kDebug)) {
    LogDebug("fsm state change", {{"peer", PeerName()},
                                  {"from", StateName(before.state)},
                                  {"to", StateName(t.next.state)},
                                  {"event", EventName(pe.event.type)},
                                  {"connection", is_main ? "primary" : "second"}});
  }
  std::string detail;
  if (t.reason != DownReason::kNone) {
    detail = pe.detail.empty() ? std::string(ReasonName(t.reason)) : pe.detail;
    if (is_main) {
      last_error_ = detail;
      last_down_reason_ = t.reason;
    }
    if (before.state != State::kEstablished) {
      LogDebug("connection dropped", {{"peer", PeerName()},
                                      {"state", StateName(before.state)},
                                      {"reason", ReasonName(t.reason)},
                                      {"detail", detail}});
    }
  }
  for (const Action& a : t.actions) {
    if (!IsLive(f)) break;
    Perform(f, a, t.reason, pe, detail);
  }
  if (!IsLive(f)) return;
  if (f->state.state == State::kIdle) {
    if (f == second_.get()) {
      Retire(std::move(second_));
    } else if (second_ != nullptr && second_->conn != nullptr) {
      // The primary connection failed while a second one is up: carry on with that one.
      Promote(before);
    }
  }
}

void Session::Perform(Fsm* f, const Action& a, DownReason reason, const PendingEvent& pe,
                      const std::string& detail) {
  switch (a.type) {
    case ActionType::kStartTimer:
      // options_.connect_retry_cap: retry connections sooner than the ConnectRetryTime the
      // FSM (and the API's listing) carries, as gobgpd does.
      StartTimer(f, a.timer,
                 a.timer == Timer::kConnectRetry && options_.connect_retry_cap != 0
                     ? std::min(a.seconds, options_.connect_retry_cap)
                     : a.seconds);
      break;
    case ActionType::kStopTimer:
      f->timer(a.timer).Stop();
      break;
    case ActionType::kConnect:
      StartConnect(f);
      break;
    case ActionType::kDisconnect:
      Disconnect(f);
      break;
    case ActionType::kSendOpen: {
      Bytes out;
      absl::Status st = wire::EncodeMessage(BuildOpen(), wire::CodecOptions{}, &out);
      if (!st.ok()) {
        LogError("cannot encode OPEN", {{"peer", PeerName()}, {"error", st.message()}});
        break;
      }
      Enqueue(f, std::move(out));
      break;
    }
    case ActionType::kSendKeepalive: {
      Bytes out;
      (void)wire::EncodeMessage(wire::Keepalive{}, wire::CodecOptions{}, &out);
      Enqueue(f, std::move(out));
      break;
    }
    case ActionType::kSendNotification: {
      wire::Notification n{a.notification.code, a.notification.subcode, pe.data};
      Bytes out;
      if (!wire::EncodeMessage(n, wire::CodecOptions{}, &out).ok()) {
        n.data.clear();
        out.clear();
        (void)wire::EncodeMessage(n, wire::CodecOptions{}, &out);
      }
      LogWarn("notification sent", {{"peer", PeerName()},
                                    {"code", n.code},
                                    {"subcode", n.subcode},
                                    {"error", NotificationText(n.code, n.subcode)},
                                    {"message", wire::ShutdownCommunication(n)},
                                    {"reason", detail}});
      Enqueue(f, std::move(out));
      break;
    }
    case ActionType::kReleaseResources:
      f->StopAll(/*keep_idle_hold=*/true);
      f->peer_open.reset();
      pending_update_.reset();
      break;
    case ActionType::kProcessUpdate:
      if (pending_update_) {
        wire::Update u = std::move(*pending_update_);
        pending_update_.reset();
        handler_.OnUpdate(*this, std::move(u));
      }
      break;
    case ActionType::kSessionEstablished:
      negotiated_ = f->negotiated;
      established_at_ = loop_.clock().Now();
      last_up_at_ = established_at_;
      last_local_endpoint_ = local_endpoint();
      LogInfo("peer up", {{"peer", PeerName()},
                          {"as", negotiated_.peer_as},
                          {"router_id", IpAddress::V4(negotiated_.peer_bgp_id).ToString()},
                          {"families", negotiated_.FamiliesString()},
                          {"hold_time", negotiated_.hold_time},
                          {"four_octet_as", negotiated_.four_octet_as ? "yes" : "no"},
                          {"extended_message", negotiated_.extended_message ? "yes" : "no"}});
      handler_.OnEstablished(*this, negotiated_);
      break;
    case ActionType::kSessionDown: {
      // A flop is the session going down on its own; our own stop or reset is not one
      // (gobgpd's count stays 0 across `neighbor reset` and `disable`).
      if (reason != DownReason::kManualStop) ++flops_;
      std::chrono::nanoseconds up = uptime();
      established_at_.reset();
      last_down_at_ = loop_.clock().Now();
      LogInfo("peer down", {{"peer", PeerName()},
                            {"as", options_.peer_as},
                            {"reason", ReasonName(reason)},
                            {"detail", detail},
                            {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(up)
                                             .count()}});
      handler_.OnDown(*this, reason, detail);
      break;
    }
  }
}

uint32_t Session::Jitter(Timer t, uint32_t seconds) {
  uint64_t ms = uint64_t{seconds} * 1000;
  // RFC 4271 §10: "jitter ... ConnectRetryTimer, KeepaliveTimer ...: each time the timer is
  // started, the initial value is set to be a random value in the range 0.75 to 1.0 times
  // the base value". The idle hold wait is jittered too, so peers do not retry in lockstep.
  if (t == Timer::kConnectRetry || t == Timer::kKeepalive || t == Timer::kIdleHold) {
    const double r = std::clamp(random_(), 0.0, 1.0);
    ms = static_cast<uint64_t>(static_cast<double>(ms) * (0.75 + 0.25 * r));
  }
  return static_cast<uint32_t>(std::min<uint64_t>(ms, UINT32_MAX));
}

void Session::StartTimer(Fsm* f, Timer t, uint32_t seconds) {
  const uint32_t ms = Jitter(t, seconds);
  f->timer_ms[static_cast<size_t>(t)] = ms;
  f->timer(t).Start(std::chrono::milliseconds(ms), [this, f, t] { OnTimer(f, t); });
}

void Session::OnTimer(Fsm* f, Timer t) {
  if (!IsLive(f)) return;
  std::string detail;
  if (t == Timer::kSendHold) {
    detail = absl::StrCat("send hold timer expired with ",
                          f->conn != nullptr ? f->conn->wqueued : 0, " bytes queued");
    LogWarn("send hold timer expired", {{"peer", PeerName()}, {"detail", detail}});
  } else if (t == Timer::kHold) {
    detail = "hold timer expired";
  }
  Feed(f, Event::Of(TimerEvent(t)), {}, std::move(detail));
}

// ---- Connections ----

namespace {
size_t ReadCapacity(const SessionOptions& o) {
  return o.extended_message ? wire::kMaxExtendedMessageLength : wire::kMaxMessageLength;
}
}  // namespace

absl::Status Session::SetSocketOptions(asio::ip::tcp::socket& s, bool before_connect) {
  const int fd = s.native_handle();
  int ttl;
  int min_ttl = 0;
  if (options_.ttl_security_hops != 0) {
    // RFC 5082 GTSM: send with TTL 255, accept only TTL >= 256 - hops.
    ttl = 255;
    min_ttl = 256 - options_.ttl_security_hops;
  } else if (options_.multihop_ttl != 0) {
    ttl = options_.multihop_ttl;
  } else {
    ttl = options_.ibgp() ? 255 : 1;  // as gobgpd: directly connected eBGP, any iBGP
  }
  absl::Status st = SetTtl(fd, options_.peer_address, ttl, min_ttl);
  if (!st.ok()) {
    LogWarn("cannot set TTL", {{"peer", PeerName()}, {"error", st.message()}});
  }
  if (before_connect && !options_.password.empty()) {
    // An accepted socket inherits the listener's key; an outgoing one needs its own, and
    // connecting without it would only be rejected by the peer.
    return SetTcpMd5(fd, options_.peer_address, options_.password);
  }
  return absl::OkStatus();
}

void Session::StartConnect(Fsm* f) {
  if (f->conn != nullptr) Disconnect(f);
  auto c = std::make_shared<Conn>(loop_.context(), ReadCapacity(options_));
  c->owner = f;
  c->outgoing = true;
  f->conn = c;
  const asio::ip::tcp::endpoint remote(ToAsio(options_.peer_address), options_.peer_port);
  std::error_code ec;
  c->socket.open(remote.protocol(), ec);
  if (!ec && (options_.local_address || options_.local_port != 0)) {
    c->socket.set_option(asio::socket_base::reuse_address(true), ec);
    asio::ip::address local = options_.local_address
                                  ? ToAsio(*options_.local_address)
                                  : (remote.address().is_v4()
                                         ? asio::ip::address(asio::ip::address_v4::any())
                                         : asio::ip::address(asio::ip::address_v6::any()));
    if (!ec) c->socket.bind(asio::ip::tcp::endpoint(local, options_.local_port), ec);
  }
  std::string error = ec ? ec.message() : "";
  if (!ec) {
    absl::Status st = SetSocketOptions(c->socket, /*before_connect=*/true);
    if (!st.ok()) error = std::string(st.message());
  }
  if (!error.empty()) {
    LogWarn("connect failed", {{"peer", PeerName()}, {"error", error}});
    c->owner = nullptr;
    c->Close();
    f->conn.reset();
    Feed(f, Event::Of(EventType::kTcpConnectionFails), {}, absl::StrCat("connect: ", error));
    return;
  }
  std::weak_ptr<Conn> weak = c;
  c->socket.async_connect(remote, [this, weak](const std::error_code& e) {
    if (auto conn = weak.lock()) OnConnected(conn, e);
  });
}

void Session::OnConnected(const std::shared_ptr<Conn>& c, const std::error_code& ec) {
  Fsm* f = c->owner;
  if (f == nullptr || f->conn != c || c->closed) {
    c->Close();
    return;
  }
  if (ec) {
    LogDebug("connect failed", {{"peer", PeerName()}, {"error", ec.message()}});
    c->owner = nullptr;
    c->Close();
    f->conn.reset();
    Feed(f, Event::Of(EventType::kTcpConnectionFails), {}, absl::StrCat("connect: ", ec.message()));
    return;
  }
  c->connected = true;
  LogDebug("connected", {{"peer", PeerName()}});
  StartRead(c);
  Feed(f, Event::Of(EventType::kTcpCrAcked));
}

void Session::Accept(asio::ip::tcp::socket socket) {
  auto c = std::make_shared<Conn>(loop_.context(), ReadCapacity(options_));
  c->socket = std::move(socket);
  c->connected = true;
  (void)SetSocketOptions(c->socket, /*before_connect=*/false);
  auto refuse = [&](absl::string_view why) {
    LogInfo("connection refused", {{"peer", PeerName()}, {"reason", why}});
    c->Close();
  };
  if (!main_->state.started) return refuse("peer not started");
  if (main_->state.state == State::kIdle) {
    // The idle hold after an error damps *our* reconnect attempts (RFC 4271 §8.1.1
    // DampPeerOscillations). A peer that connects to us is taken at once, as BIRD, FRR and
    // gobgpd do; otherwise two speakers that start together wait out each other's idle hold.
    // The restart is passive for this once only: our own retries keep their mode.
    const bool passive = main_->state.passive;
    Feed(main_.get(), Event::Of(EventType::kAutomaticStartPassive));
    main_->state.passive = passive;
    if (main_->state.state != State::kActive || main_->conn != nullptr) {
      return refuse("idle hold");
    }
  }
  const State s = main_->state.state;
  if (s == State::kEstablished) {
    // RFC 4271 §6.8: a collision with an Established connection closes the new one.
    return refuse("session already established");
  }
  if (main_->conn == nullptr) {
    // Active (or Connect between attempts): this becomes the connection.
    Adopt(main_.get(), c);
    Feed(main_.get(), Event::Of(EventType::kTcpConnectionConfirmed));
    return;
  }
  if (second_ != nullptr) {
    // A third connection: the peer is retrying while two are open. Keep the newest pair.
    return refuse("collision already in progress");
  }
  // A connection (ours connecting, or one in OpenSent/OpenConfirm) exists: track the new one
  // with its own FSM until the peer's BGP Identifier settles the collision (§6.8).
  second_ = std::make_unique<Fsm>(loop_);
  second_->state.state = State::kActive;
  second_->state.started = true;
  second_->state.passive = true;
  Adopt(second_.get(), c);
  Feed(second_.get(), Event::Of(EventType::kTcpConnectionConfirmed));
}

void Session::Adopt(Fsm* f, std::shared_ptr<Conn> c) {
  c->owner = f;
  f->conn = c;
  StartRead(c);
}

void Session::Disconnect(Fsm* f) {
  std::shared_ptr<Conn> c = std::move(f->conn);
  f->conn.reset();
  if (c == nullptr) return;
  c->owner = nullptr;
  if (f == main_.get() && backlogged_) backlogged_ = false;
  if (!c->connected || c->eof || c->closed) {
    c->Close();
    return;
  }
  // Linger: flush what is queued (the NOTIFICATION), half-close, wait for the peer's FIN,
  // so the NOTIFICATION is not lost to a reset. Bounded by kLingerTime.
  lingering_.push_back(c);
  c->linger = std::make_unique<LoopTimer>(loop_);
  std::weak_ptr<Conn> weak = c;
  c->linger->Start(kLingerTime, [this, weak] {
    if (auto conn = weak.lock()) FinishLinger(conn.get());
  });
  if (!c->writing) {
    if (c->wqueue.empty()) {
      std::error_code ec;
      c->socket.shutdown(asio::socket_base::shutdown_send, ec);
    } else {
      StartWrite(c);
    }
  }
}

void Session::FinishLinger(Conn* c) {
  c->Close();
  if (c->linger) c->linger->Stop();
  lingering_.remove_if([c](const std::shared_ptr<Conn>& p) { return p.get() == c; });
}

// ---- Reading ----

void Session::StartRead(const std::shared_ptr<Conn>& c) {
  if (c->closed || c->eof) return;
  if (c->rtail == c->rbuf.size()) {
    // Cannot happen: DecodeHeader bounds a message to the buffer size. Drop rather than spin.
    c->rhead = c->rtail = 0;
  }
  std::weak_ptr<Conn> weak = c;
  c->socket.async_read_some(
      asio::buffer(c->rbuf.data() + c->rtail, c->rbuf.size() - c->rtail),
      [this, weak](const std::error_code& ec, size_t n) {
        if (auto conn = weak.lock()) OnRead(conn, ec, n);
      });
}

void Session::OnRead(const std::shared_ptr<Conn>& c, const std::error_code& ec, size_t n) {
  if (c->closed) return;
  if (c->owner == nullptr) {  // lingering: discard until the peer closes
    if (ec) {
      FinishLinger(c.get());
    } else {
      c->rhead = c->rtail = 0;
      StartRead(c);
    }
    return;
  }
  Fsm* f = c->owner;
  if (ec) {
    c->eof = true;
    const std::string detail = ec == asio::error::eof
                                   ? "connection closed by peer"
                                   : absl::StrCat("read: ", ec.message());
    Feed(f, Event::Of(EventType::kTcpConnectionFails), {}, detail);
    return;
  }
  c->rtail += n;
  ProcessFrames(c);
  StartRead(c);
}

void Session::ProcessFrames(const std::shared_ptr<Conn>& c) {
  while (c->owner != nullptr && !c->closed) {
    Fsm* f = c->owner;
    const size_t avail = c->rtail - c->rhead;
    if (avail < wire::kHeaderLength) break;
    const ByteSpan span(c->rbuf.data() + c->rhead, avail);
    // Extended messages (RFC 8654) only once both OPENs said so.
    const wire::CodecOptions opts = f->peer_open ? f->negotiated.decode : wire::CodecOptions{};
    absl::StatusOr<wire::Header> h = wire::DecodeHeader(span, opts);
    if (!h.ok()) {
      ++received_.total;
      FeedError(f, EventType::kBgpHeaderErr, h.status());
      break;
    }
    if (avail < h->length) break;
    c->rhead += h->length;
    Dispatch(f, span.subspan(0, h->length));
  }
  if (c->owner == nullptr) {
    c->rhead = c->rtail = 0;  // lingering: the rest is discarded
  } else if (c->rhead != 0) {
    std::memmove(c->rbuf.data(), c->rbuf.data() + c->rhead, c->rtail - c->rhead);
    c->rtail -= c->rhead;
    c->rhead = 0;
  }
}

void Session::FeedError(Fsm* f, EventType type, const absl::Status& status) {
  std::optional<BgpErrorInfo> info = GetBgpError(status);
  Event ev = Event::Of(type);
  Bytes data;
  if (info) {
    ev.notification = Notification{info->code, info->subcode};
    data = std::move(info->data);
  }
  LogWarn("bad message from peer", {{"peer", PeerName()}, {"error", status.message()}});
  Feed(f, ev, std::move(data), std::string(status.message()));
}

void Session::Dispatch(Fsm* f, ByteSpan message) {
  ++received_.total;
  const auto type = static_cast<wire::MessageType>(message[18]);
  const ByteSpan body = message.subspan(wire::kHeaderLength);
  switch (type) {
    case wire::MessageType::kOpen:
      ++received_.open;
      HandleOpen(f, body);
      break;
    case wire::MessageType::kUpdate:
      ++received_.update;
      HandleUpdate(f, body);
      break;
    case wire::MessageType::kNotification:
      ++received_.notification;
      HandleNotification(f, body);
      break;
    case wire::MessageType::kKeepalive:
      ++received_.keepalive;
      Feed(f, Event::Of(EventType::kKeepAliveMsg));
      break;
    case wire::MessageType::kRouteRefresh:
      ++received_.refresh;
      HandleRouteRefresh(f, body);
      break;
  }
}

absl::Status Session::ValidateOpen(const wire::Open& open) const {
  // RFC 6793 §4.1: with the 4-octet AS capability the peer's AS is the one it carries.
  uint32_t peer_as = open.my_as;
  bool has_as4 = false;
  for (const wire::Capability& cap : open.capabilities) {
    if (const auto* as4 = std::get_if<wire::FourOctetAsCap>(&cap)) {
      peer_as = as4->asn;
      has_as4 = true;
    }
  }
  // RFC 4271 §6.2: "If the Autonomous System field of the OPEN message is unacceptable, then
  // the Error Subcode MUST be set to Bad Peer AS." A 4-octet peer AS without the capability
  // (AS_TRANS in My AS) cannot match the configuration.
  if (peer_as != options_.peer_as) {
    return BgpError(wire::err::kOpenMessage, wire::err::kBadPeerAs,
                    absl::StrCat("peer AS ", peer_as, has_as4 ? "" : " (2-octet)",
                                 ", expected ", options_.peer_as));
  }
  // RFC 6286 §2.2: for iBGP the peer's BGP Identifier must differ from ours (zero is
  // rejected by the decoder).
  if (options_.ibgp() && open.bgp_id == options_.router_id) {
    return BgpError(wire::err::kOpenMessage, wire::err::kBadBgpIdentifier,
                    "BGP Identifier equals ours on an iBGP session");
  }
  // RFC 4271 §6.2: "If one of the Optional Parameters in the OPEN message is not recognized,
  // then the Error Subcode MUST be set to Unsupported Optional Parameters."
  if (!open.other_parameters.empty()) {
    return BgpError(wire::err::kOpenMessage, wire::err::kUnsupportedOptionalParameter,
                    absl::StrCat("unsupported optional parameter ",
                                 open.other_parameters.front().type));
  }
  return absl::OkStatus();
}

namespace {
// Appending variant temporaries directly trips GCC 12's -Wmaybe-uninitialized (a known false
// positive with std::variant of vectors); a non-inlined helper avoids it.
[[gnu::noinline]] void AddCap(wire::Open& o, wire::Capability c) {
  o.capabilities.push_back(std::move(c));
}
}  // namespace

wire::Open Session::BuildOpen() const {
  wire::Open o;
  o.version = 4;
  o.my_as = options_.local_as > 0xffff ? wire::kAsTrans
                                       : static_cast<uint16_t>(options_.local_as);
  o.hold_time = options_.fsm.hold_time;
  o.bgp_id = options_.router_id;
  for (const FamilyOptions& f : options_.families) {
    AddCap(o, wire::MultiprotocolCap{f.family});
  }
  if (options_.route_refresh) AddCap(o, wire::RouteRefreshCap{});
  if (options_.enhanced_route_refresh) AddCap(o, wire::EnhancedRouteRefreshCap{});
  if (options_.extended_next_hop) {
    wire::ExtendedNextHopCap enh;
    for (const FamilyOptions& f : options_.families) {
      if (f.family.afi == wire::kAfiIPv4) enh.entries.push_back({f.family, wire::kAfiIPv6});
    }
    if (!enh.entries.empty()) AddCap(o, std::move(enh));
  }
  if (options_.graceful_restart) {
    wire::GracefulRestartCap gr;
    gr.flags = static_cast<uint8_t>(
        (options_.gr_restarting ? wire::GracefulRestartCap::kRestartState : 0) |
        (options_.gr_notification ? wire::GracefulRestartCap::kNotification : 0));
    gr.restart_time = std::min<uint16_t>(options_.gr_restart_time, 4095);
    for (const FamilyOptions& f : options_.families) {
      gr.entries.push_back(
          {f.family, static_cast<uint8_t>(f.gr_forwarding_state
                                              ? wire::GracefulRestartCap::kForwardingState
                                              : 0)});
    }
    AddCap(o, std::move(gr));
  }
  if (options_.four_octet_as || options_.local_as > 0xffff) {
    AddCap(o, wire::FourOctetAsCap{options_.local_as});
  }
  wire::AddPathCap ap;
  for (const FamilyOptions& f : options_.families) {
    const uint8_t sr = static_cast<uint8_t>((f.add_path_receive ? wire::AddPathCap::kReceive : 0) |
                                            (f.add_path_send ? wire::AddPathCap::kSend : 0));
    if (sr != 0) ap.entries.push_back({f.family, sr});
  }
  if (!ap.entries.empty()) AddCap(o, std::move(ap));
  if (options_.extended_message) AddCap(o, wire::ExtendedMessageCap{});
  if (!options_.hostname.empty()) {
    AddCap(o, wire::FqdnCap{options_.hostname, options_.domain});
  }
  return o;
}

Negotiated Session::Negotiate(const wire::Open& ours, const wire::Open& peers) const {
  Negotiated n;
  n.peer_as = peers.my_as;
  n.peer_bgp_id = peers.bgp_id;
  n.hold_time = NegotiateHoldTime(ours.hold_time, peers.hold_time);
  n.keepalive_time = KeepaliveTime(n.hold_time, options_.fsm.keepalive_time);

  std::vector<wire::AfiSafi> our_families, peer_families;
  bool our_as4 = false, peer_as4 = false, our_rr = false, peer_rr = false;
  bool our_err = false, peer_err = false, our_em = false, peer_em = false;
  std::vector<wire::AddPathCap::Entry> our_ap, peer_ap;
  std::vector<wire::ExtendedNextHopCap::Entry> our_enh, peer_enh;
  bool our_gr = false;
  for (const wire::Capability& cap : ours.capabilities) {
    if (auto* mp = std::get_if<wire::MultiprotocolCap>(&cap)) our_families.push_back(mp->family);
    if (std::holds_alternative<wire::FourOctetAsCap>(cap)) our_as4 = true;
    if (std::holds_alternative<wire::RouteRefreshCap>(cap)) our_rr = true;
    if (std::holds_alternative<wire::EnhancedRouteRefreshCap>(cap)) our_err = true;
    if (std::holds_alternative<wire::ExtendedMessageCap>(cap)) our_em = true;
    if (std::holds_alternative<wire::GracefulRestartCap>(cap)) our_gr = true;
    if (auto* ap = std::get_if<wire::AddPathCap>(&cap)) our_ap = ap->entries;
    if (auto* enh = std::get_if<wire::ExtendedNextHopCap>(&cap)) our_enh = enh->entries;
  }
  n.peer_capabilities = peers.capabilities;
  bool peer_mp = false;
  for (const wire::Capability& cap : peers.capabilities) {
    if (auto* mp = std::get_if<wire::MultiprotocolCap>(&cap)) {
      peer_mp = true;
      peer_families.push_back(mp->family);
    }
    if (auto* as4 = std::get_if<wire::FourOctetAsCap>(&cap)) {
      peer_as4 = true;
      n.peer_as = as4->asn;
    }
    if (std::holds_alternative<wire::RouteRefreshCap>(cap)) peer_rr = true;
    if (std::holds_alternative<wire::EnhancedRouteRefreshCap>(cap)) peer_err = true;
    if (std::holds_alternative<wire::ExtendedMessageCap>(cap)) peer_em = true;
    if (auto* ap = std::get_if<wire::AddPathCap>(&cap)) {
      peer_ap.insert(peer_ap.end(), ap->entries.begin(), ap->entries.end());
    }
    if (auto* enh = std::get_if<wire::ExtendedNextHopCap>(&cap)) {
      peer_enh.insert(peer_enh.end(), enh->entries.begin(), enh->entries.end());
    }
    if (auto* gr = std::get_if<wire::GracefulRestartCap>(&cap)) {
      n.peer_graceful_restart = true;
      n.peer_restart_time = gr->restart_time;
      n.peer_restarting = (gr->flags & wire::GracefulRestartCap::kRestartState) != 0;
      n.peer_gr_notification = (gr->flags & wire::GracefulRestartCap::kNotification) != 0;
      n.peer_gr_families = gr->entries;
    }
    if (auto* fqdn = std::get_if<wire::FqdnCap>(&cap)) {
      n.peer_hostname = fqdn->hostname;
      n.peer_domain = fqdn->domain;
    }
  }
  // RFC 4760 §8 / RFC 4271: a peer without any Multiprotocol capability speaks IPv4
  // unicast only.
  if (!peer_mp) peer_families.push_back(wire::kIPv4Unicast);
  for (wire::AfiSafi f : our_families) {
    if (Contains(peer_families, f)) n.families.push_back(f);
  }
  n.four_octet_as = our_as4 && peer_as4;
  n.route_refresh = our_rr && (peer_rr || peer_err);
  n.enhanced_route_refresh = our_err && peer_err;
  n.extended_message = our_em && peer_em;  // RFC 8654 §3: both must advertise it
  n.graceful_restart = our_gr && n.peer_graceful_restart;
  // RFC 7911 §4: "the Send/Receive field ... indicates whether the sender is (a) willing to
  // receive multiple paths from its peer, (b) would like to send multiple paths".
  for (const auto& e : our_ap) {
    if (!Contains(n.families, e.family)) continue;
    for (const auto& p : peer_ap) {
      if (p.family != e.family) continue;
      if ((e.send_receive & wire::AddPathCap::kSend) && (p.send_receive & wire::AddPathCap::kReceive)) {
        n.add_path_send.push_back(e.family);
      }
      if ((e.send_receive & wire::AddPathCap::kReceive) && (p.send_receive & wire::AddPathCap::kSend)) {
        n.add_path_receive.push_back(e.family);
      }
    }
  }
  for (const auto& e : our_enh) {
    if (std::find(peer_enh.begin(), peer_enh.end(), e) != peer_enh.end() &&
        !Contains(n.extended_next_hop, e.nlri_family)) {
      n.extended_next_hop.push_back(e.nlri_family);
    }
  }
  n.decode.four_octet_as = n.four_octet_as;
  n.decode.extended_message = n.extended_message;
  n.decode.add_path_ipv4 = n.AddPathReceive(wire::kIPv4Unicast);
  n.decode.add_path_ipv6 = n.AddPathReceive(wire::kIPv6Unicast);
  n.decode.external_peer = !options_.ibgp();
  n.encode = n.decode;
  n.encode.add_path_ipv4 = n.AddPathSend(wire::kIPv4Unicast);
  n.encode.add_path_ipv6 = n.AddPathSend(wire::kIPv6Unicast);
  return n;
}

void Session::HandleOpen(Fsm* f, ByteSpan body) {
  absl::StatusOr<wire::Open> open = wire::DecodeOpen(body);
  if (!open.ok()) {
    FeedError(f, EventType::kBgpOpenMsgErr, open.status());
    return;
  }
  absl::Status valid = ValidateOpen(*open);
  if (!valid.ok()) {
    FeedError(f, EventType::kBgpOpenMsgErr, valid);
    return;
  }
  const State s = f->state.state;
  if (s == State::kOpenSent || s == State::kConnect || s == State::kActive) {
    f->negotiated = Negotiate(BuildOpen(), *open);
    f->peer_open = *open;
    if (!ResolveCollision(f)) return;  // this connection lost
  }
  Feed(f, Event::Open(open->hold_time));
}

bool Session::ResolveCollision(Fsm* f) {
  Fsm* other = f == main_.get() ? second_.get() : main_.get();
  if (other == nullptr || other->conn == nullptr) return true;
  Fsm* loser;
  std::string why;
  if (other->state.state == State::kEstablished) {
    loser = f;  // §6.8: the Established connection stays
    why = "existing session established";
  } else if (f->conn->outgoing == other->conn->outgoing) {
    // Two connections from the peer: it restarted; the older one is stale.
    loser = main_.get();
    why = "newer connection from peer";
  } else {
    // RFC 4271 §6.8: "If the value of the local BGP Identifier is less than the remote one,
    // the local system closes the BGP connection that already exists (the one initiated by
    // the local system)" — i.e. the connection initiated by the higher Identifier survives.
    // RFC 6286 §2.3: equal Identifiers (eBGP): the one initiated by the larger AS survives.
    const uint32_t local = options_.router_id;
    const uint32_t remote = f->peer_open->bgp_id;
    const bool keep_ours = local != remote ? local > remote : options_.local_as > options_.peer_as;
    Fsm* ours = f->conn->outgoing ? f : other;
    Fsm* theirs = f->conn->outgoing ? other : f;
    loser = keep_ours ? theirs : ours;
    why = keep_ours ? "keeping our connection (higher BGP ID)"
                    : "keeping peer's connection (higher BGP ID)";
  }
  LogInfo("connection collision", {{"peer", PeerName()},
                                   {"resolution", why},
                                   {"closing", loser->conn->outgoing ? "outgoing" : "incoming"}});
  DumpConnection(loser);
  return loser != f;
}

void Session::DumpConnection(Fsm* loser) {
  if (loser->conn != nullptr && !loser->conn->connected) {
    // Still connecting: nothing to tell the peer; just abandon the attempt.
    loser->conn->owner = nullptr;
    loser->conn->Close();
    loser->conn.reset();
    if (loser == main_.get()) {
      Promote(main_->state);
    } else {
      Retire(std::move(second_));
    }
    return;
  }
  // Cease / Connection Collision Resolution (RFC 4486), then Idle; Apply promotes the
  // survivor when the loser was the primary.
  Feed(loser, Event::Of(EventType::kOpenCollisionDump), {}, "connection collision");
}

void Session::Promote(const FsmState& prior) {
  if (second_ == nullptr) return;
  std::unique_ptr<Fsm> old = std::move(main_);
  main_ = std::move(second_);
  // The session-wide parts of the state stay with the session, not the connection.
  main_->state.started = prior.started;
  main_->state.passive = prior.passive;
  main_->state.connect_retry_counter = prior.connect_retry_counter;
  main_->state.idle_hold_time = prior.idle_hold_time;
  if (old->conn != nullptr) Disconnect(old.get());
  Retire(std::move(old));
}

void Session::Retire(std::unique_ptr<Fsm> f) {
  if (f == nullptr) return;
  f->StopAll(/*keep_idle_hold=*/false);
  if (f->conn != nullptr) Disconnect(f.get());
  retired_.push_back(std::move(f));
  // Freed on the next loop turn: we may be inside one of its timers' callbacks.
  std::weak_ptr<bool> alive = alive_;
  loop_.Post([this, alive] {
    if (!alive.expired()) retired_.clear();
  });
}

void Session::HandleUpdate(Fsm* f, ByteSpan body) {
  if (f->state.state != State::kEstablished) {
    // §8.2.2: an UPDATE before Established is an FSM error.
    Feed(f, Event::Of(EventType::kUpdateMsg));
    return;
  }
  absl::StatusOr<wire::Update> u = wire::DecodeUpdate(body, f->negotiated.decode);
  if (!u.ok()) {
    FeedError(f, EventType::kUpdateMsgErr, u.status());
    return;
  }
  size_t withdrawn = u->withdrawn.size();
  if (u->attrs.mp_unreach) withdrawn += u->attrs.mp_unreach->withdrawn.size();
  if (withdrawn != 0) {
    ++received_.withdraw_update;
    received_.withdraw_prefix += withdrawn;
  }
  if (u->report.action != wire::ErrorAction::kNone) {
    for (const wire::AttributeError& e : u->report.errors) {
      LogWarn("malformed attribute (RFC 7606)", {{"peer", PeerName()},
                                                 {"attribute", wire::AttributeName(e.type)},
                                                 {"action", static_cast<int>(e.action)},
                                                 {"reason", e.reason}});
    }
  }
  pending_update_ = std::move(*u);
  Feed(f, Event::Of(EventType::kUpdateMsg));
}

void Session::HandleNotification(Fsm* f, ByteSpan body) {
  absl::StatusOr<wire::Notification> decoded = wire::DecodeNotification(body);
  wire::Notification n;
  if (decoded.ok()) {
    n = std::move(*decoded);
  } else if (body.size() >= 2) {
    n.code = body[0];
    n.subcode = body[1];
  }
  const std::string text = NotificationText(n.code, n.subcode);
  const std::string shutdown = wire::ShutdownCommunication(n);
  LogWarn("notification received", {{"peer", PeerName()},
                                    {"code", n.code},
                                    {"subcode", n.subcode},
                                    {"error", text},
                                    {"message", shutdown}});
  std::string detail = absl::StrCat("notification received: ", text);
  if (!shutdown.empty()) absl::StrAppend(&detail, ": ", shutdown);
  last_notification_received_ = n;
  const bool version = n.code == wire::err::kOpenMessage &&
                       n.subcode == wire::err::kUnsupportedVersionNumber;
  Feed(f,
       Event::WithNotification(version ? EventType::kNotifMsgVerErr : EventType::kNotifMsg,
                               n.code, n.subcode),
       {}, std::move(detail));
}

void Session::HandleRouteRefresh(Fsm* f, ByteSpan body) {
  if (f->state.state != State::kEstablished || !f->negotiated.route_refresh) {
    // RFC 2918 §4 / RFC 7313: not negotiated (or not yet usable): ignored.
    ++received_.discarded;
    return;
  }
  absl::StatusOr<wire::RouteRefresh> rr = wire::DecodeRouteRefresh(body);
  if (!rr.ok()) {
    // RFC 7313 §5: a bad length is a ROUTE-REFRESH Message Error; the decoder attached it.
    FeedError(f, EventType::kUpdateMsgErr, rr.status());
    return;
  }
  if (!f->negotiated.HasFamily(rr->family)) {
    // RFC 2918 §4: "If a BGP speaker receives from its peer a ROUTE-REFRESH message with the
    // <AFI, SAFI> that the speaker didn't advertise to the peer ..., the speaker MUST ignore
    // such a message."
    ++received_.discarded;
    return;
  }
  handler_.OnRouteRefresh(*this, *rr);
}

// ---- Writing ----

void Session::CountSent(ByteSpan bytes) {
  // `bytes` holds whole messages (SendRaw may carry several).
  while (bytes.size() >= wire::kHeaderLength) {
    const size_t len = (size_t{bytes[16]} << 8) | bytes[17];
    if (len < wire::kHeaderLength || len > bytes.size()) break;
    ++sent_.total;
    switch (static_cast<wire::MessageType>(bytes[18])) {
      case wire::MessageType::kOpen: ++sent_.open; break;
      case wire::MessageType::kUpdate:
        ++sent_.update;
        if (len >= 21 && (bytes[19] != 0 || bytes[20] != 0)) ++sent_.withdraw_update;
        break;
      case wire::MessageType::kNotification: ++sent_.notification; break;
      case wire::MessageType::kKeepalive: ++sent_.keepalive; break;
      case wire::MessageType::kRouteRefresh: ++sent_.refresh; break;
    }
    bytes = bytes.subspan(len);
  }
}

void Session::Enqueue(Fsm* f, Bytes bytes) {
  std::shared_ptr<Conn> c = f->conn;
  if (c == nullptr || !c->connected || c->closed || bytes.empty()) return;
  CountSent(bytes);
  const auto type = static_cast<wire::MessageType>(bytes[18]);
  const bool was_idle = c->wqueue.empty();
  c->wqueued += bytes.size();
  c->wqueue.push_back(std::move(bytes));
  // RFC 4271 §8.2.2 / fsm.h: sending a KEEPALIVE or UPDATE restarts the KeepaliveTimer.
  if ((type == wire::MessageType::kKeepalive || type == wire::MessageType::kUpdate) &&
      f->timer(Timer::kKeepalive).running()) {
    const uint32_t ms = Jitter(Timer::kKeepalive, f->state.keepalive_time);
    f->timer_ms[static_cast<size_t>(Timer::kKeepalive)] = ms;
    f->timer(Timer::kKeepalive).Start(std::chrono::milliseconds(ms),
                                      [this, f] { OnTimer(f, Timer::kKeepalive); });
  }
  // RFC 9687: the SendHoldTimer measures time without write progress; an idle queue made
  // none because it had nothing to write, so restart it when the queue fills again.
  if (was_idle && f->timer(Timer::kSendHold).running()) {
    f->timer(Timer::kSendHold)
        .Start(std::chrono::milliseconds(f->timer_ms[static_cast<size_t>(Timer::kSendHold)]),
               [this, f] { OnTimer(f, Timer::kSendHold); });
  }
  if (f == main_.get() && !backlogged_ && c->wqueued > options_.write_high_water) {
    backlogged_ = true;
    LogDebug("output backlogged", {{"peer", PeerName()}, {"queued", c->wqueued}});
  }
  if (!c->writing) StartWrite(c);
}

void Session::StartWrite(const std::shared_ptr<Conn>& c) {
  if (c->wqueue.empty() || c->closed) return;
  c->writing = true;
  const Bytes& front = c->wqueue.front();
  std::weak_ptr<Conn> weak = c;
  c->socket.async_write_some(
      asio::buffer(front.data() + c->woffset, front.size() - c->woffset),
      [this, weak](const std::error_code& ec, size_t n) {
        if (auto conn = weak.lock()) OnWrite(conn, ec, n);
      });
}

void Session::OnWrite(const std::shared_ptr<Conn>& c, const std::error_code& ec, size_t n) {
  c->writing = false;
  if (c->closed) return;
  if (ec) {
    if (c->owner == nullptr) {
      FinishLinger(c.get());
    } else if (!c->eof) {
      c->eof = true;
      Feed(c->owner, Event::Of(EventType::kTcpConnectionFails), {},
           absl::StrCat("write: ", ec.message()));
    }
    return;
  }
  c->woffset += n;
  c->wqueued -= n;
  if (c->woffset == c->wqueue.front().size()) {
    c->wqueue.pop_front();
    c->woffset = 0;
  }
  if (Fsm* f = c->owner; f != nullptr) {
    // RFC 9687: write progress restarts the SendHoldTimer.
    if (n != 0 && f->timer(Timer::kSendHold).running()) {
      f->timer(Timer::kSendHold)
          .Start(std::chrono::milliseconds(f->timer_ms[static_cast<size_t>(Timer::kSendHold)]),
                 [this, f] { OnTimer(f, Timer::kSendHold); });
    }
    if (f == main_.get() && backlogged_ && c->wqueued <= options_.write_low_water) {
      backlogged_ = false;
      handler_.OnWritable(*this);
      if (c->closed || c->owner != f) return;
    }
  }
  if (!c->wqueue.empty()) {
    StartWrite(c);
  } else if (c->owner == nullptr) {
    std::error_code ignored;
    c->socket.shutdown(asio::socket_base::shutdown_send, ignored);
  }
}

absl::Status Session::Send(const wire::Message& message) {
  const wire::MessageType type = wire::TypeOf(message);
  if (!established() && type != wire::MessageType::kKeepalive) {
    return absl::FailedPreconditionError(
        absl::StrCat("peer ", PeerName(), " is ", StateName(state()), ", not Established"));
  }
  Bytes out;
  absl::Status st = wire::EncodeMessage(message, negotiated_.encode, &out);
  if (!st.ok()) return st;
  if (const auto* u = std::get_if<wire::Update>(&message)) {
    const size_t mp = u->attrs.mp_unreach ? u->attrs.mp_unreach->withdrawn.size() : 0;
    if (u->withdrawn.empty() && mp != 0) ++sent_.withdraw_update;  // CountSent missed it
    sent_.withdraw_prefix += u->withdrawn.size() + mp;
  }
  Enqueue(main_.get(), std::move(out));
  return absl::OkStatus();
}

absl::Status Session::SendRaw(Bytes bytes) {
  if (!established()) {
    return absl::FailedPreconditionError(
        absl::StrCat("peer ", PeerName(), " is ", StateName(state()), ", not Established"));
  }
  if (bytes.size() < wire::kHeaderLength) return absl::InvalidArgumentError("short message");
  Enqueue(main_.get(), std::move(bytes));
  return absl::OkStatus();
}

}  // namespace kbgp::peer
