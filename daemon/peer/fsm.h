// The BGP finite state machine of RFC 4271 §8 (with RFC 6608 FSM Error subcodes and the
// RFC 9687 Send Hold Timer) as a pure function:
//
//   Transition Step(const FsmState& state, const Event& event, const SessionConfig& config);
//
// Step reads no clock, does no I/O and keeps no hidden state: everything it knows is in
// FsmState (the state plus counters and flags) and everything it wants done is in the returned
// Transition (the next FsmState plus an ordered list of Actions). The session owns the socket
// and the timers, feeds events in, performs the actions in order, and stores the new FsmState.
// Tests drive Step over every (state, event) pair without sockets or time.
//
// What the caller (session / listener) decides, so the FSM does not have to:
//  - OPEN validation (version, AS, BGP Identifier, capabilities, RFC 4271 §6.2): a valid OPEN
//    arrives as kBgpOpen with the peer's Hold Time; an invalid one as kBgpOpenMsgErr carrying
//    the NOTIFICATION the validator chose. (Step still rejects a Hold Time of 1 or 2 itself.)
//  - Connection collision detection (§6.8): the caller sees both connections, picks the loser
//    and sends it kOpenCollisionDump. During a collision each connection has its own FsmState.
//  - TcpConnection_Valid / Tcp_CR_Invalid (Events 14, 15): the listener refuses connections
//    from unconfigured or stopped peers before they reach an FSM, so these events are folded
//    into kTcpConnectionConfirmed (17).
//  - BGPOpen_with_DelayOpenTimer_running (Event 20) is not a separate input: Step knows whether
//    its DelayOpenTimer runs (FsmState::delay_open_running) and derives Event 20 from kBgpOpen.
//  - Jitter (RFC 4271 §10): actions carry nominal durations; the session applies jitter with
//    its injected random source.
//  - RFC 9687 §4.3 "each time the local system sends a BGP message it restarts the
//    SendHoldTimer" and §8.2.2 "each time the local system sends a KEEPALIVE or UPDATE it
//    restarts its KeepaliveTimer": the session does these on write progress, no event needed.
//
// Idle hold / peer oscillation damping (RFC 4271 §8.1.1 DampPeerOscillations; the method is
// left to implementations). Every automatic drop to Idle (anything but ManualStop) starts the
// IdleHoldTimer; its expiry restarts the connection the way the last start event did (active or
// passive). The wait doubles with each drop and resets after a stable Established period:
//   wait = idle_hold_time (30 s)      first drop after a start or a reset
//        = min(2 * previous, idle_hold_time_max (300 s))   each further drop
//   reset after the session has stayed Established for idle_hold_stable_time (300 s), signalled
//   by the kbgp StableTimer (an FSM-owned timer started on entering Established).
// So drops without a stable session wait 30, 60, 120, 240, 300, 300, ... seconds.
// The numbers: 30 s is gobgpd's idle-hold-time-after-reset default (GoBGP waits that constant
// time after every drop; gobgpd.yml's key maps onto idle_hold_time); the doubling, the 300 s
// cap and the 300 s "forget" period are BIRD's `error wait time 60, 300` / `error forget time
// 300`. idle_hold_time = 0 disables damping (restart at once; the timer still runs with 0 so
// the restart happens on the next loop turn, never re-entrantly). A ManualStart always starts
// at once; ManualStop clears the backoff and the ConnectRetryCounter.
//
// Invariants (checked by fsm_test over every reachable pair):
//  - state != kIdle implies started.
//  - delay_open_running implies state is kConnect or kActive.
//  - hold_time and keepalive_time are the negotiated values in kOpenConfirm and kEstablished
//    (hold_time 0 or >= 3; keepalive_time 0 iff hold_time 0, else 1..hold_time/3) and 0
//    elsewhere.
//  - Every transition from a non-Idle state to kIdle carries kDisconnect and kReleaseResources
//    and a DownReason other than kNone; from kEstablished also kSessionDown. Every automatic
//    drop (all but ManualStop) ends with StartTimer(kIdleHold).
//  - A NOTIFICATION, when sent, is the first action (it must leave before the TCP drop).
//  - Events that do not apply are ignored (no actions, state unchanged) only where RFC 4271
//    §8.2.2 says so (or for kbgp's own timers, below); every other unexpected event drops the
//    connection, with an RFC 6608 FSM Error NOTIFICATION in OpenSent/OpenConfirm/Established.
//
// Deliberate deviations from the letter of §8.2.2, each for a reason:
//  - IdleHoldTimer_Expires (13) and StableTimer_Expires outside Idle/Established are stale
//    local timers and are ignored (§8.2.2 lists 13 as an error in Connect/Active).
//  - NotifMsg (25) in OpenSent drops without answering with an FSM Error NOTIFICATION: the
//    peer has already closed (§6.4, §8.2.2 OpenConfirm does the same).
//  - BGPHeaderErr (21) in Established sends the header error's own code (§6.1), not FSM Error.
//  - TcpConnectionFails (18) in Active stops (not restarts) the ConnectRetryTimer before Idle,
//    and in OpenSent the 240 s HoldTimer is stopped on the way back to Active.
//  - SendNOTIFICATIONwithoutOPEN defaults to true (tell the peer why), and ManualStop in
//    Connect with the DelayOpenTimer running sends Cease like Active does.
#ifndef KBGP_DAEMON_PEER_FSM_H_
#define KBGP_DAEMON_PEER_FSM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"

namespace kbgp::peer {

enum class State : uint8_t {
  kIdle,
  kConnect,
  kActive,
  kOpenSent,
  kOpenConfirm,
  kEstablished,
};
inline constexpr int kNumStates = 6;

// Input events; the value is the RFC 4271 §8.1 event number (RFC 9687 for 29).
enum class EventType : uint8_t {
  kManualStart = 1,
  kManualStop = 2,
  kAutomaticStart = 3,
  kManualStartPassive = 4,     // ManualStart_with_PassiveTcpEstablishment
  kAutomaticStartPassive = 5,  // AutomaticStart_with_PassiveTcpEstablishment
  // 6, 7 (AutomaticStart_with_DampPeerOscillations[_and_PassiveTcpEstablishment]): folded;
  // damping is always on and runs through the IdleHoldTimer.
  kAutomaticStop = 8,
  kConnectRetryTimerExpires = 9,
  kHoldTimerExpires = 10,
  kKeepaliveTimerExpires = 11,
  kDelayOpenTimerExpires = 12,
  kIdleHoldTimerExpires = 13,
  // 14, 15 (TcpConnection_Valid, Tcp_CR_Invalid): decided by the listener, see above.
  kTcpCrAcked = 16,              // our outgoing connect() completed
  kTcpConnectionConfirmed = 17,  // we accepted the peer's connection
  kTcpConnectionFails = 18,
  kBgpOpen = 19,  // a valid OPEN; Event 20 is derived from FsmState::delay_open_running
  kBgpHeaderErr = 21,
  kBgpOpenMsgErr = 22,
  kOpenCollisionDump = 23,
  kNotifMsgVerErr = 24,  // NOTIFICATION 2/1 (Unsupported Version Number) received
  kNotifMsg = 25,        // any other NOTIFICATION received
  kKeepAliveMsg = 26,
  kUpdateMsg = 27,
  kUpdateMsgErr = 28,
  kSendHoldTimerExpires = 29,  // RFC 9687 §4.3
  kStableTimerExpires = 100,   // kbgp: Established long enough to forget the idle hold backoff
};

// Every EventType, in declaration order (for table tests and name lookups).
inline constexpr EventType kAllEvents[] = {
    EventType::kManualStart,           EventType::kManualStop,
    EventType::kAutomaticStart,        EventType::kManualStartPassive,
    EventType::kAutomaticStartPassive, EventType::kAutomaticStop,
    EventType::kConnectRetryTimerExpires, EventType::kHoldTimerExpires,
    EventType::kKeepaliveTimerExpires, EventType::kDelayOpenTimerExpires,
    EventType::kIdleHoldTimerExpires,  EventType::kTcpCrAcked,
    EventType::kTcpConnectionConfirmed, EventType::kTcpConnectionFails,
    EventType::kBgpOpen,               EventType::kBgpHeaderErr,
    EventType::kBgpOpenMsgErr,         EventType::kOpenCollisionDump,
    EventType::kNotifMsgVerErr,        EventType::kNotifMsg,
    EventType::kKeepAliveMsg,          EventType::kUpdateMsg,
    EventType::kUpdateMsgErr,          EventType::kSendHoldTimerExpires,
    EventType::kStableTimerExpires,
};

// A NOTIFICATION's error code and subcode (RFC 4271 §4.5). Data fields (§6) are the session's:
// it attaches the data of the error it reported.
struct Notification {
  uint8_t code = 0;
  uint8_t subcode = 0;
  friend bool operator==(const Notification&, const Notification&) = default;
};

struct Event {
  EventType type = EventType::kManualStart;
  // kBgpOpen: the Hold Time field of the peer's OPEN (validated: 0 or >= 3).
  uint16_t peer_hold_time = 0;
  // kBgpHeaderErr, kBgpOpenMsgErr, kUpdateMsgErr: the NOTIFICATION to send (code 0 means
  //   "the event's own error code, subcode 0").
  // kManualStop, kAutomaticStop: a Cease subcode (RFC 4486) in `subcode`; for ManualStop 0
  //   means Administrative Shutdown.
  // kNotifMsg, kNotifMsgVerErr: the NOTIFICATION received (only for logs).
  Notification notification;

  static Event Of(EventType type) { return Event{type}; }
  static Event Open(uint16_t peer_hold_time) {
    return Event{EventType::kBgpOpen, peer_hold_time};
  }
  static Event WithNotification(EventType type, uint8_t code, uint8_t subcode) {
    return Event{type, 0, Notification{code, subcode}};
  }
};

// The RFC 4271 §8 session attributes that shape transitions. Durations in seconds.
struct SessionConfig {
  uint32_t connect_retry_time = 120;  // §10 suggests 120 s; gobgpd's connect-retry default
  uint16_t hold_time = 90;            // our OPEN's Hold Time (0 or >= 3); gobgpd default 90
  uint16_t keepalive_time = 0;        // 0: a third of the negotiated Hold Time
  uint32_t delay_open_time = 0;       // §8.1.1 DelayOpenTime; 0 turns DelayOpen off
  bool send_notification_without_open = true;  // §8.1.1 SendNOTIFICATIONwithoutOPEN
  bool send_hold_timer = true;  // RFC 9687 §6: RECOMMENDED on by default
  uint32_t send_hold_time = 0;  // RFC 9687; 0 (or <= Hold Time): max(480, 2 * Hold Time)
  uint32_t idle_hold_time = 30;         // first restart delay after a drop; 0 disables damping
  uint32_t idle_hold_time_max = 300;    // cap of the doubling
  uint32_t idle_hold_stable_time = 300;  // Established this long resets the backoff
  friend bool operator==(const SessionConfig&, const SessionConfig&) = default;
};

// §8.2.2 OpenSent: "the HoldTimer is set to a large value ... A HoldTimer value of 4 minutes
// is suggested".
inline constexpr uint16_t kOpenSentHoldTime = 240;
// The wait before reconnecting after a TCP connection attempt failed (Connect or Active
// dropped to Idle), at most the idle hold time.
inline constexpr uint32_t kConnectFailRetryTime = 5;
// RFC 9687 §6: "the greater of: 8 minutes or 2 times the negotiated HoldTime".
inline constexpr uint32_t kMinDefaultSendHoldTime = 480;

struct FsmState {
  State state = State::kIdle;
  bool started = false;  // a start event was seen and no ManualStop since
  bool passive = false;  // that start was a *_with_PassiveTcpEstablishment
  bool delay_open_running = false;
  uint32_t connect_retry_counter = 0;  // §8.1.1 ConnectRetryCounter
  uint32_t idle_hold_time = 0;  // the last automatic restart's wait; 0 = no backoff yet
  uint16_t hold_time = 0;       // negotiated (OpenConfirm, Established)
  uint16_t keepalive_time = 0;  // derived from hold_time (OpenConfirm, Established)
  friend bool operator==(const FsmState&, const FsmState&) = default;
};

enum class Timer : uint8_t {
  kConnectRetry,
  kHold,
  kKeepalive,
  kDelayOpen,
  kIdleHold,
  kSendHold,  // RFC 9687
  kStable,    // kbgp: resets the idle hold backoff
};

enum class ActionType : uint8_t {
  kStartTimer,        // (re)arm `timer` for `seconds`; starting a running timer restarts it
  kStopTimer,         // disarm `timer`; stopping a stopped timer is a no-op
  kConnect,           // initiate the outgoing TCP connection (the listener always listens)
  kDisconnect,        // drop the TCP connection (after flushing what is queued, best effort)
  kSendOpen,
  kSendKeepalive,
  kSendNotification,  // `notification`; best effort, never delays the drop (RFC 9687 §4.3)
  kReleaseResources,  // stop every timer but IdleHold, free the connection's buffers
  kProcessUpdate,     // hand the UPDATE just received to the RIB
  kSessionEstablished,
  kSessionDown,  // left Established: withdraw the peer's routes (or keep them stale, RFC 4724)
};

struct Action {
  ActionType type = ActionType::kStartTimer;
  Timer timer = Timer::kConnectRetry;  // kStartTimer, kStopTimer
  uint32_t seconds = 0;                // kStartTimer
  Notification notification;          // kSendNotification

  static Action Start(Timer t, uint32_t seconds) {
    return Action{ActionType::kStartTimer, t, seconds};
  }
  static Action Stop(Timer t) { return Action{ActionType::kStopTimer, t}; }
  static Action Notify(uint8_t code, uint8_t subcode) {
    return Action{ActionType::kSendNotification, Timer::kConnectRetry, 0,
                  Notification{code, subcode}};
  }
  static Action Of(ActionType type) { return Action{type}; }

  // Only the fields that `type` uses take part in equality.
  friend bool operator==(const Action& a, const Action& b);
};

// The ordered actions of one transition: a fixed-capacity list (the longest transition,
// §8.2.2 Event 20, has six), so Step never allocates, even for each UPDATE and KEEPALIVE.
class Actions {
 public:
  static constexpr size_t kCapacity = 8;
  Actions() = default;
  Actions(std::initializer_list<Action> list) {
    for (const Action& a : list) push_back(a);
  }
  // Exceeding kCapacity is a bug in Step (fsm_test bounds every transition); it aborts.
  void push_back(const Action& a) {
    if (size_ == kCapacity) std::abort();
    items_[size_++] = a;
  }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Action& operator[](size_t i) const { return items_[i]; }
  const Action& front() const { return items_[0]; }
  const Action& back() const { return items_[size_ - 1]; }
  const Action* begin() const { return items_.data(); }
  const Action* end() const { return items_.data() + size_; }

 private:
  std::array<Action, kCapacity> items_{};
  size_t size_ = 0;
};

// Why a connection was dropped; logged and shown as the peer's last error.
enum class DownReason : uint8_t {
  kNone,
  kManualStop,
  kAutomaticStop,
  kTcpConnectionFailed,
  kHoldTimerExpired,
  kSendHoldTimerExpired,
  kNotificationReceived,
  kUnsupportedVersion,  // NOTIFICATION 2/1 received
  kHeaderError,
  kOpenError,
  kUpdateError,
  kCollision,
  kFsmError,  // an event the state does not expect
};

struct Transition {
  FsmState next;
  Actions actions;
  DownReason reason = DownReason::kNone;  // set iff a non-Idle state went to Idle
};

Transition Step(const FsmState& state, const Event& event, const SessionConfig& config);

// Negotiated timers (RFC 4271 §4.2, §10): Hold Time is the smaller of ours and the peer's
// (0 if either is 0: no keepalives, no hold timer); the keepalive interval is the configured one
// but never more than a third of the negotiated Hold Time, and at least 1 s.
uint16_t NegotiateHoldTime(uint16_t ours, uint16_t peers);
uint16_t KeepaliveTime(uint16_t negotiated_hold_time, uint16_t configured_keepalive);
// RFC 9687 §4.4, §6: the configured SendHoldTime if it exceeds the Hold Time, else
// max(480, 2 * Hold Time). 0 means the SendHoldTimer is not used (disabled or Hold Time 0).
uint32_t SendHoldTime(uint16_t negotiated_hold_time, const SessionConfig& config);

absl::string_view StateName(State s);  // "Idle", "Connect", ... (RFC 4271 names)
absl::string_view EventName(EventType e);
absl::string_view TimerName(Timer t);
absl::string_view ReasonName(DownReason r);  // for logs: "hold timer expired", ...
std::string ActionString(const Action& a);   // "StartTimer(Hold, 90)", "SendNotification(4/0)"

}  // namespace kbgp::peer

#endif  // KBGP_DAEMON_PEER_FSM_H_
