#include "daemon/peer/fsm.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "daemon/wire/constants.h"

namespace kbgp::peer {

namespace err = ::kbgp::wire::err;

bool operator==(const Action& a, const Action& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ActionType::kStartTimer:
      return a.timer == b.timer && a.seconds == b.seconds;
    case ActionType::kStopTimer:
      return a.timer == b.timer;
    case ActionType::kSendNotification:
      return a.notification == b.notification;
    default:
      return true;
  }
}

uint16_t NegotiateHoldTime(uint16_t ours, uint16_t peers) {
  // RFC 4271 §4.2: "use the smaller of its configured Hold Time and the Hold Time received".
  return std::min(ours, peers);
}

uint16_t KeepaliveTime(uint16_t negotiated_hold_time, uint16_t configured_keepalive) {
  if (negotiated_hold_time == 0) return 0;  // §4.4: Hold Time 0, no periodic KEEPALIVEs
  const uint16_t third = std::max<uint16_t>(negotiated_hold_time / 3, 1);
  if (configured_keepalive == 0) return third;
  return std::min(configured_keepalive, third);
}

uint32_t SendHoldTime(uint16_t negotiated_hold_time, const SessionConfig& config) {
  // RFC 9687 §4.3: stopped when "the negotiated HoldTime value is zero".
  if (!config.send_hold_timer || negotiated_hold_time == 0) return 0;
  // RFC 9687 §4.4: a configured SendHoldTime "MUST be greater than the value of HoldTime".
  if (config.send_hold_time > negotiated_hold_time) return config.send_hold_time;
  return std::max<uint32_t>(kMinDefaultSendHoldTime, 2u * negotiated_hold_time);
}

namespace {

// Builds one transition. Every drop to Idle goes through Drop(), so the invariants in fsm.h
// (order of actions, reason, idle hold) hold by construction.
class Builder {
 public:
  Builder(const FsmState& s, const SessionConfig& cfg) : from_(s), cfg_(cfg) { t_.next = s; }

  Builder& Add(Action a) {
    t_.actions.push_back(a);
    return *this;
  }
  Builder& To(State s) {
    t_.next.state = s;
    return *this;
  }
  FsmState& next() { return t_.next; }

  struct DropSpec {
    DownReason reason;
    bool notify = false;
    Notification notification;
    enum class Counter { kKeep, kIncrement, kZero } counter = Counter::kIncrement;
    bool manual_stop = false;  // ManualStop: no automatic restart, backoff cleared
  };

  // The common tail of §8.2.2's "drops the TCP connection, releases all BGP resources,
  // increments the ConnectRetryCounter, (optionally) performs peer oscillation damping, and
  // changes its state to Idle".
  Transition Drop(const DropSpec& d) {
    FsmState& n = t_.next;
    if (d.notify) {
      t_.actions.push_back(Action::Notify(d.notification.code, d.notification.subcode));
    }
    t_.actions.push_back(Action::Of(ActionType::kDisconnect));
    t_.actions.push_back(Action::Of(ActionType::kReleaseResources));
    if (from_.state == State::kEstablished) {
      t_.actions.push_back(Action::Of(ActionType::kSessionDown));
    }
    switch (d.counter) {
      case DropSpec::Counter::kKeep:
        break;
      case DropSpec::Counter::kIncrement:
        ++n.connect_retry_counter;
        break;
      case DropSpec::Counter::kZero:
        n.connect_retry_counter = 0;
        break;
    }
    n.state = State::kIdle;
    n.delay_open_running = false;
    n.hold_time = 0;
    n.keepalive_time = 0;
    if (d.manual_stop) {
      n.started = false;
      n.passive = false;
      n.idle_hold_time = 0;
    } else if ((from_.state == State::kConnect || from_.state == State::kActive) &&
               d.reason == DownReason::kTcpConnectionFailed) {
      // The TCP connection failed before any OPEN: not a flapping session but a peer not
      // (yet) reachable. Retry soon and keep the backoff as it was, as gobgpd retries
      // connections every few seconds.
      const uint32_t wait = std::min<uint32_t>(cfg_.idle_hold_time, kConnectFailRetryTime);
      n.idle_hold_time = from_.idle_hold_time;
      t_.actions.push_back(Action::Start(Timer::kIdleHold, wait));
    } else {
      // Idle hold backoff (fsm.h): base, then doubling up to the cap.
      const uint32_t cap = std::max(cfg_.idle_hold_time_max, cfg_.idle_hold_time);
      const uint32_t wait =
          from_.idle_hold_time == 0
              ? cfg_.idle_hold_time
              : static_cast<uint32_t>(
                    std::min<uint64_t>(2ull * from_.idle_hold_time, cap));
      n.idle_hold_time = wait;
      t_.actions.push_back(Action::Start(Timer::kIdleHold, wait));
    }
    t_.reason = d.reason;
    return Done();
  }

  Transition Done() { return t_; }

 private:
  const FsmState& from_;
  const SessionConfig& cfg_;
  Transition t_;
};

using DropSpec = Builder::DropSpec;
using Counter = DropSpec::Counter;

Transition Ignore(const FsmState& s) { return Transition{s, {}, DownReason::kNone}; }

// The NOTIFICATION carried by an error event, defaulting to the event's own error code.
Notification ErrorOf(const Event& ev, uint8_t default_code) {
  if (ev.notification.code != 0) return ev.notification;
  return Notification{default_code, 0};
}

Notification CeaseOf(const Event& ev, uint8_t default_subcode) {
  return Notification{err::kCease,
                      ev.notification.subcode != 0 ? ev.notification.subcode : default_subcode};
}

uint8_t FsmErrorSubcode(State s) {
  switch (s) {
    case State::kOpenSent:
      return err::kFsmUnexpectedInOpenSent;  // RFC 6608 §3
    case State::kOpenConfirm:
      return err::kFsmUnexpectedInOpenConfirm;
    case State::kEstablished:
      return err::kFsmUnexpectedInEstablished;
    default:
      return 0;  // unspecified error (RFC 6608 §3)
  }
}

// RFC 4271 §6.2 / §4.2: a Hold Time of one or two seconds MUST be rejected. The caller
// validates OPENs, but the FSM does not rely on it for the one field it uses.
bool BadHoldTime(uint16_t t) { return t == 1 || t == 2; }

// Starting from Idle (§8.2.2 Idle, Events 1, 3, 4, 5, and IdleHoldTimer_Expires (13)):
// "starts the ConnectRetryTimer ..., initiates a TCP connection to the other BGP peer, listens
// for a connection ..., and changes its state to Connect" (Active for passive starts).
Transition StartFromIdle(const FsmState& s, const SessionConfig& cfg, bool passive,
                         bool reset_counters) {
  Builder b(s, cfg);
  b.next().started = true;
  b.next().passive = passive;
  if (reset_counters) b.next().connect_retry_counter = 0;
  b.Add(Action::Stop(Timer::kIdleHold));
  b.Add(Action::Start(Timer::kConnectRetry, cfg.connect_retry_time));
  if (passive) {
    b.To(State::kActive);
  } else {
    b.Add(Action::Of(ActionType::kConnect));
    b.To(State::kConnect);
  }
  return b.Done();
}

Transition Idle(const FsmState& s, const Event& ev, const SessionConfig& cfg) {
  switch (ev.type) {
    case EventType::kManualStart:
    case EventType::kAutomaticStart:
      return StartFromIdle(s, cfg, /*passive=*/false, /*reset_counters=*/true);
    case EventType::kManualStartPassive:
    case EventType::kAutomaticStartPassive:
      return StartFromIdle(s, cfg, /*passive=*/true, /*reset_counters=*/true);
    case EventType::kIdleHoldTimerExpires:
      // §8.2.2 Idle: Event 13 is left to the implementation; ours restarts the way the last
      // start did. Stale after a ManualStop: ignored.
      if (!s.started) return Ignore(s);
      return StartFromIdle(s, cfg, s.passive, /*reset_counters=*/false);
    case EventType::kManualStop:
    case EventType::kAutomaticStop:
      // "The ManualStop event and AutomaticStop event are ignored in the Idle state." ManualStop
      // still cancels a pending automatic restart.
      if (ev.type == EventType::kManualStop && s.started) {
        Builder b(s, cfg);
        b.next().started = false;
        b.next().passive = false;
        b.next().idle_hold_time = 0;
        b.next().connect_retry_counter = 0;
        b.Add(Action::Stop(Timer::kIdleHold));
        return b.Done();
      }
      return Ignore(s);
    default:
      // "Any other event (Events 9-12, 15-28) received in the Idle state does not cause
      // change in the state of the local system."
      return Ignore(s);
  }
}

// "Complete BGP initialization, send OPEN, set the HoldTimer to a large value, → OpenSent"
// (§8.2.2 Connect/Active, Events 12, 16, 17).
Transition SendOpenToOpenSent(const FsmState& s, const SessionConfig& cfg) {
  Builder b(s, cfg);
  b.Add(Action::Stop(Timer::kConnectRetry));
  if (s.delay_open_running) b.Add(Action::Stop(Timer::kDelayOpen));
  b.next().delay_open_running = false;
  b.Add(Action::Of(ActionType::kSendOpen));
  b.Add(Action::Start(Timer::kHold, kOpenSentHoldTime));
  b.To(State::kOpenSent);
  return b.Done();
}

// Connect and Active share most of §8.2.2; `active` marks the differences.
Transition ConnectOrActive(const FsmState& s, const Event& ev, const SessionConfig& cfg) {
  const bool active = s.state == State::kActive;
  Builder b(s, cfg);
  // §8.2.2 Connect/Active "any other event": "drops the TCP connection, releases all BGP
  // resources, increments the ConnectRetryCounter by 1, performs peer oscillation damping".
  auto fail = [&](DownReason reason) {
    return b.Drop(DropSpec{.reason = reason, .counter = Counter::kIncrement});
  };
  switch (ev.type) {
    case EventType::kManualStart:
    case EventType::kAutomaticStart:
    case EventType::kManualStartPassive:
    case EventType::kAutomaticStartPassive:
      return Ignore(s);  // "Events 1, 3-7 ... are ignored"
    case EventType::kManualStop: {
      // Active: "If the DelayOpenTimer is running and the SendNOTIFICATIONwithoutOPEN session
      // attribute is set, the local system sends a NOTIFICATION with a Cease".
      const bool notify = s.delay_open_running && cfg.send_notification_without_open;
      return b.Drop(DropSpec{.reason = DownReason::kManualStop,
                             .notify = notify,
                             .notification = CeaseOf(ev, err::kCeaseAdminShutdown),
                             .counter = Counter::kZero,
                             .manual_stop = true});
    }
    case EventType::kConnectRetryTimerExpires:
      if (active) {
        // Active Event 9: "restarts the ConnectRetryTimer, initiates a TCP connection,
        // continues to listen, changes its state to Connect".
        b.Add(Action::Start(Timer::kConnectRetry, cfg.connect_retry_time));
        b.Add(Action::Of(ActionType::kConnect));
        return b.To(State::kConnect).Done();
      }
      // Connect Event 9: "drops the TCP connection, restarts the ConnectRetryTimer, stops
      // the DelayOpenTimer, initiates a TCP connection, stays in the Connect state".
      b.Add(Action::Of(ActionType::kDisconnect));
      b.Add(Action::Start(Timer::kConnectRetry, cfg.connect_retry_time));
      if (s.delay_open_running) b.Add(Action::Stop(Timer::kDelayOpen));
      b.next().delay_open_running = false;
      b.Add(Action::Of(ActionType::kConnect));
      return b.Done();
    case EventType::kDelayOpenTimerExpires:
      // Event 12: send OPEN, HoldTimer large, → OpenSent. Without a running DelayOpenTimer the
      // event is stale; §8.2.2 handles it like any other unexpected event.
      if (!s.delay_open_running) return fail(DownReason::kFsmError);
      return SendOpenToOpenSent(s, cfg);
    case EventType::kTcpCrAcked:
    case EventType::kTcpConnectionConfirmed:
      if (cfg.delay_open_time != 0) {
        // Events 16, 17 with DelayOpen: "stops the ConnectRetryTimer, sets the DelayOpenTimer
        // to the initial value (DelayOpenTime), and stays in the [same] state".
        b.Add(Action::Stop(Timer::kConnectRetry));
        b.Add(Action::Start(Timer::kDelayOpen, cfg.delay_open_time));
        b.next().delay_open_running = true;
        return b.Done();
      }
      return SendOpenToOpenSent(s, cfg);
    case EventType::kTcpConnectionFails:
      if (active) {
        // Active Event 18: "restarts the ConnectRetryTimer, stops and clears the
        // DelayOpenTimer, releases all BGP resources, increments the ConnectRetryCounter by 1,
        // performs peer oscillation damping, and changes its state to Idle" (the restart is
        // moot in Idle: release stops it).
        return b.Drop(DropSpec{.reason = DownReason::kTcpConnectionFailed});
      }
      if (s.delay_open_running) {
        // Connect Event 18 with the DelayOpenTimer running: "restarts the ConnectRetryTimer,
        // stops the DelayOpenTimer, continues to listen, changes its state to Active".
        b.Add(Action::Of(ActionType::kDisconnect));
        b.Add(Action::Start(Timer::kConnectRetry, cfg.connect_retry_time));
        b.Add(Action::Stop(Timer::kDelayOpen));
        b.next().delay_open_running = false;
        return b.To(State::kActive).Done();
      }
      // Connect Event 18 otherwise: "stops the ConnectRetryTimer, drops the TCP connection,
      // releases all BGP resources, changes its state to Idle" (no counter increment).
      return b.Drop(DropSpec{.reason = DownReason::kTcpConnectionFailed,
                             .counter = Counter::kKeep});
    case EventType::kBgpOpen: {
      // Event 20 (BGPOpen with the DelayOpenTimer running); without it, an OPEN here is one
      // of the "other events" (19).
      if (!s.delay_open_running) return fail(DownReason::kFsmError);
      if (BadHoldTime(ev.peer_hold_time)) {
        return b.Drop(DropSpec{.reason = DownReason::kOpenError,
                               .notify = cfg.send_notification_without_open,
                               .notification = {err::kOpenMessage, err::kUnacceptableHoldTime}});
      }
      // "stops the ConnectRetryTimer, completes the BGP initialization, stops and clears the
      // DelayOpenTimer, sends an OPEN message, sends a KEEPALIVE message, if the HoldTimer
      // initial value is non-zero, starts the KeepaliveTimer and resets the HoldTimer to the
      // negotiated value, else resets both to zero, → OpenConfirm".
      const uint16_t hold = NegotiateHoldTime(cfg.hold_time, ev.peer_hold_time);
      const uint16_t keepalive = KeepaliveTime(hold, cfg.keepalive_time);
      b.Add(Action::Stop(Timer::kConnectRetry));
      b.Add(Action::Stop(Timer::kDelayOpen));
      b.Add(Action::Of(ActionType::kSendOpen));
      b.Add(Action::Of(ActionType::kSendKeepalive));
      if (hold != 0) {
        b.Add(Action::Start(Timer::kKeepalive, keepalive));
        b.Add(Action::Start(Timer::kHold, hold));
      }
      b.next().delay_open_running = false;
      b.next().hold_time = hold;
      b.next().keepalive_time = keepalive;
      return b.To(State::kOpenConfirm).Done();
    }
    case EventType::kBgpHeaderErr:
    case EventType::kBgpOpenMsgErr: {
      // Events 21, 22: "(optionally) If the SendNOTIFICATIONwithoutOPEN attribute is set to
      // TRUE, then the local system first sends a NOTIFICATION message with the appropriate
      // error code"; then the usual drop with counter increment and damping.
      const bool header = ev.type == EventType::kBgpHeaderErr;
      return b.Drop(DropSpec{
          .reason = header ? DownReason::kHeaderError : DownReason::kOpenError,
          .notify = cfg.send_notification_without_open,
          .notification = ErrorOf(ev, header ? err::kMessageHeader : err::kOpenMessage)});
    }
    case EventType::kNotifMsgVerErr:
      // Event 24: with the DelayOpenTimer running, drop without incrementing the counter
      // (the peer only rejected our version); otherwise as any other failure.
      return b.Drop(DropSpec{.reason = DownReason::kUnsupportedVersion,
                             .counter = s.delay_open_running ? Counter::kKeep
                                                             : Counter::kIncrement});
    case EventType::kIdleHoldTimerExpires:
    case EventType::kStableTimerExpires:
      return Ignore(s);  // stale kbgp-local timers (fsm.h: deviations)
    case EventType::kAutomaticStop:
      return fail(DownReason::kAutomaticStop);
    case EventType::kHoldTimerExpires:
      return fail(DownReason::kHoldTimerExpired);
    case EventType::kNotifMsg:
      return fail(DownReason::kNotificationReceived);
    case EventType::kOpenCollisionDump:
      return fail(DownReason::kCollision);
    case EventType::kSendHoldTimerExpires:
      return fail(DownReason::kSendHoldTimerExpired);
    case EventType::kKeepaliveTimerExpires:
    case EventType::kKeepAliveMsg:
    case EventType::kUpdateMsg:
    case EventType::kUpdateMsgErr:
      // "In response to any other events (Events 8, 10-11, 13, 19, 23, 25-28)".
      return fail(DownReason::kFsmError);
  }
  return fail(DownReason::kFsmError);
}

// The drop shared by OpenSent, OpenConfirm and Established for an unexpected event:
// NOTIFICATION FSM Error with the RFC 6608 subcode of the state, counter++, damping.
Transition FsmError(const FsmState& s, const SessionConfig& cfg) {
  Builder b(s, cfg);
  return b.Drop(DropSpec{.reason = DownReason::kFsmError,
                         .notify = true,
                         .notification = {err::kFsm, FsmErrorSubcode(s.state)}});
}

// Events handled alike in OpenSent, OpenConfirm and Established. Returns false for the
// events each state handles itself (or treats as an FSM error).
bool CommonOpenStates(const FsmState& s, const Event& ev, const SessionConfig& cfg,
                      Transition* out) {
  Builder b(s, cfg);
  switch (ev.type) {
    case EventType::kManualStart:
    case EventType::kAutomaticStart:
    case EventType::kManualStartPassive:
    case EventType::kAutomaticStartPassive:
      *out = Ignore(s);  // "Events 1, 3-7 ... are ignored"
      return true;
    case EventType::kTcpCrAcked:
    case EventType::kTcpConnectionConfirmed:
      // Events 14, 16, 17: "a second TCP connection may be in progress. This second TCP
      // connection is tracked per Connection Collision processing (Section 6.8)" — the
      // caller's job; this connection is unaffected.
      *out = Ignore(s);
      return true;
    case EventType::kIdleHoldTimerExpires:
    case EventType::kStableTimerExpires:
      *out = Ignore(s);  // stale kbgp-local timers (Established handles its StableTimer)
      return true;
    case EventType::kManualStop:
      // Event 2: "sends the NOTIFICATION with a Cease, sets the ConnectRetryTimer to zero,
      // [Established: deletes all routes,] releases all BGP resources, drops the TCP
      // connection, sets the ConnectRetryCounter to zero, → Idle".
      *out = b.Drop(DropSpec{.reason = DownReason::kManualStop,
                             .notify = true,
                             .notification = CeaseOf(ev, err::kCeaseAdminShutdown),
                             .counter = Counter::kZero,
                             .manual_stop = true});
      return true;
    case EventType::kAutomaticStop:
      // Event 8: as ManualStop but "increments the ConnectRetryCounter by 1" and damping.
      *out = b.Drop(DropSpec{.reason = DownReason::kAutomaticStop,
                             .notify = true,
                             .notification = CeaseOf(ev, 0)});
      return true;
    case EventType::kHoldTimerExpires:
      // Event 10: "sends a NOTIFICATION message with the Error Code Hold Timer Expired".
      *out = b.Drop(DropSpec{.reason = DownReason::kHoldTimerExpired,
                             .notify = true,
                             .notification = {err::kHoldTimerExpired, 0}});
      return true;
    case EventType::kOpenCollisionDump:
      // Event 23: "sends a NOTIFICATION with a Cease" — RFC 4486 subcode 7.
      *out = b.Drop(DropSpec{.reason = DownReason::kCollision,
                             .notify = true,
                             .notification = {err::kCease, err::kCeaseCollisionResolution}});
      return true;
    case EventType::kNotifMsgVerErr:
      // OpenSent/OpenConfirm Event 24: drop without incrementing the counter. Established
      // lists 24 with 18 and 25 (counter++).
      *out = b.Drop(DropSpec{.reason = DownReason::kUnsupportedVersion,
                             .counter = s.state == State::kEstablished ? Counter::kIncrement
                                                                      : Counter::kKeep});
      return true;
    case EventType::kNotifMsg:
      // OpenConfirm/Established Event 25 (OpenSent: see fsm.h deviations): drop, counter++.
      *out = b.Drop(DropSpec{.reason = DownReason::kNotificationReceived});
      return true;
    case EventType::kBgpOpenMsgErr:
      // Event 22: "sends a NOTIFICATION message with the appropriate error code".
      // Established lists 22 among the FSM errors: an OPEN there is unexpected.
      if (s.state == State::kEstablished) return false;
      *out = b.Drop(DropSpec{.reason = DownReason::kOpenError,
                             .notify = true,
                             .notification = ErrorOf(ev, err::kOpenMessage)});
      return true;
    case EventType::kBgpHeaderErr:
      // Event 21 (and in Established, per §6.1; see fsm.h deviations).
      *out = b.Drop(DropSpec{.reason = DownReason::kHeaderError,
                             .notify = true,
                             .notification = ErrorOf(ev, err::kMessageHeader)});
      return true;
    default:
      return false;
  }
}

Transition OpenSent(const FsmState& s, const Event& ev, const SessionConfig& cfg) {
  Builder b(s, cfg);
  switch (ev.type) {
    case EventType::kTcpConnectionFails:
      // Event 18: "closes the BGP connection, restarts the ConnectRetryTimer, continues to
      // listen for a connection that may be initiated by the remote BGP peer, and changes its
      // state to Active". The 240 s HoldTimer is stopped too (fsm.h: deviations).
      b.Add(Action::Of(ActionType::kDisconnect));
      b.Add(Action::Stop(Timer::kHold));
      b.Add(Action::Start(Timer::kConnectRetry, cfg.connect_retry_time));
      return b.To(State::kActive).Done();
    case EventType::kBgpOpen: {
      if (BadHoldTime(ev.peer_hold_time)) {
        return b.Drop(DropSpec{.reason = DownReason::kOpenError,
                               .notify = true,
                               .notification = {err::kOpenMessage, err::kUnacceptableHoldTime}});
      }
      // Event 19: "resets the DelayOpenTimer to zero, sets the BGP ConnectRetryTimer to zero,
      // sends a KEEPALIVE message, and sets a KeepaliveTimer ... sets the HoldTimer according
      // to the negotiated value (see Section 4.2), changes its state to OpenConfirm". With a
      // negotiated Hold Time of 0 "the HoldTimer and KeepaliveTimer are not started" — and the
      // 240 s HoldTimer of OpenSent is stopped.
      const uint16_t hold = NegotiateHoldTime(cfg.hold_time, ev.peer_hold_time);
      const uint16_t keepalive = KeepaliveTime(hold, cfg.keepalive_time);
      b.Add(Action::Stop(Timer::kConnectRetry));
      b.Add(Action::Of(ActionType::kSendKeepalive));
      if (hold != 0) {
        b.Add(Action::Start(Timer::kKeepalive, keepalive));
        b.Add(Action::Start(Timer::kHold, hold));
      } else {
        b.Add(Action::Stop(Timer::kHold));
      }
      b.next().hold_time = hold;
      b.next().keepalive_time = keepalive;
      return b.To(State::kOpenConfirm).Done();
    }
    case EventType::kNotifMsg:
      // Listed among the FSM errors (25) by §8.2.2, but the peer has closed already.
      return b.Drop(DropSpec{.reason = DownReason::kNotificationReceived});
    default: {
      Transition t;
      if (CommonOpenStates(s, ev, cfg, &t)) return t;
      // "In response to any other event (Events 9, 11-13, 20, 25-28), the local system sends
      // the NOTIFICATION with the Error Code Finite State Machine Error" — RFC 6608 subcode 1.
      return FsmError(s, cfg);
    }
  }
}

Transition OpenConfirm(const FsmState& s, const Event& ev, const SessionConfig& cfg) {
  Builder b(s, cfg);
  switch (ev.type) {
    case EventType::kKeepaliveTimerExpires:
      // Event 11: "sends a KEEPALIVE message, restarts the KeepaliveTimer, and remains in the
      // OpenConfirmed state".
      b.Add(Action::Of(ActionType::kSendKeepalive));
      if (s.keepalive_time != 0) b.Add(Action::Start(Timer::kKeepalive, s.keepalive_time));
      return b.Done();
    case EventType::kTcpConnectionFails:
      // Event 18: "sets the ConnectRetryTimer to zero, releases all BGP resources, drops the
      // TCP connection, increments the ConnectRetryCounter by 1, damping, → Idle".
      return b.Drop(DropSpec{.reason = DownReason::kTcpConnectionFailed});
    case EventType::kKeepAliveMsg: {
      // Event 26: "restarts the HoldTimer and changes its state to Established". RFC 9687
      // §4.3: "starts the SendHoldTimer if the SendHoldTime is non-zero".
      if (s.hold_time != 0) b.Add(Action::Start(Timer::kHold, s.hold_time));
      const uint32_t send_hold = SendHoldTime(s.hold_time, cfg);
      if (send_hold != 0) b.Add(Action::Start(Timer::kSendHold, send_hold));
      b.Add(Action::Start(Timer::kStable, cfg.idle_hold_stable_time));
      b.Add(Action::Of(ActionType::kSessionEstablished));
      return b.To(State::kEstablished).Done();
    }
    default: {
      Transition t;
      if (CommonOpenStates(s, ev, cfg, &t)) return t;
      // "In response to any other event (Events 9, 12-13, 20, 27-28), the local system sends
      // the NOTIFICATION with a code of Finite State Machine Error" — RFC 6608 subcode 2.
      // An OPEN (19) on this connection is unexpected too: collisions between connections
      // arrive as OpenCollisionDump from the caller.
      return FsmError(s, cfg);
    }
  }
}

Transition Established(const FsmState& s, const Event& ev, const SessionConfig& cfg) {
  Builder b(s, cfg);
  switch (ev.type) {
    case EventType::kKeepaliveTimerExpires:
      // Event 11: "sends a KEEPALIVE message, and restarts its KeepaliveTimer, unless the
      // negotiated HoldTime value is zero".
      b.Add(Action::Of(ActionType::kSendKeepalive));
      if (s.keepalive_time != 0) b.Add(Action::Start(Timer::kKeepalive, s.keepalive_time));
      return b.Done();
    case EventType::kTcpConnectionFails:
      // Events 18, 24, 25: "sets the ConnectRetryTimer to zero, deletes all routes associated
      // with this connection, releases all the BGP resources, drops the TCP connection,
      // increments the ConnectRetryCounter by 1, damping, → Idle".
      return b.Drop(DropSpec{.reason = DownReason::kTcpConnectionFailed});
    case EventType::kKeepAliveMsg:
      // Event 26: "restarts its HoldTimer, if the negotiated HoldTime value is non-zero".
      if (s.hold_time != 0) b.Add(Action::Start(Timer::kHold, s.hold_time));
      return b.Done();
    case EventType::kUpdateMsg:
      // Event 27: "processes the message, restarts its HoldTimer, if the negotiated HoldTime
      // value is non-zero".
      if (s.hold_time != 0) b.Add(Action::Start(Timer::kHold, s.hold_time));
      b.Add(Action::Of(ActionType::kProcessUpdate));
      return b.Done();
    case EventType::kUpdateMsgErr:
      // Event 28: "sends a NOTIFICATION message with an Update error" (the decoder's subcode).
      return b.Drop(DropSpec{.reason = DownReason::kUpdateError,
                             .notify = true,
                             .notification = ErrorOf(ev, err::kUpdateMessage)});
    case EventType::kSendHoldTimerExpires:
      // RFC 9687 §4.3 Event 29: "(optionally) sends a NOTIFICATION message with the BGP Error
      // Code 'Send Hold Timer Expired' if the local system can determine that doing so will not
      // delay the following actions", then the usual drop with counter++ and damping. Sending
      // is best effort (ActionType::kSendNotification).
      return b.Drop(DropSpec{.reason = DownReason::kSendHoldTimerExpired,
                             .notify = true,
                             .notification = {err::kSendHoldTimerExpired, 0}});
    case EventType::kStableTimerExpires:
      // kbgp: Established for idle_hold_stable_time; forget the idle hold backoff.
      b.next().idle_hold_time = 0;
      return b.Done();
    default: {
      Transition t;
      if (CommonOpenStates(s, ev, cfg, &t)) return t;
      // "In response to any other event (Events 9, 12-13, 20-22), the local system ... sends
      // a NOTIFICATION message with the Error Code Finite State Machine Error" — RFC 6608
      // subcode 3.
      return FsmError(s, cfg);
    }
  }
}

}  // namespace

Transition Step(const FsmState& state, const Event& event, const SessionConfig& config) {
  switch (state.state) {
    case State::kIdle:
      return Idle(state, event, config);
    case State::kConnect:
    case State::kActive:
      return ConnectOrActive(state, event, config);
    case State::kOpenSent:
      return OpenSent(state, event, config);
    case State::kOpenConfirm:
      return OpenConfirm(state, event, config);
    case State::kEstablished:
      return Established(state, event, config);
  }
  return Ignore(state);
}

absl::string_view StateName(State s) {
  switch (s) {
    case State::kIdle: return "Idle";
    case State::kConnect: return "Connect";
    case State::kActive: return "Active";
    case State::kOpenSent: return "OpenSent";
    case State::kOpenConfirm: return "OpenConfirm";
    case State::kEstablished: return "Established";
  }
  return "?";
}

absl::string_view EventName(EventType e) {
  switch (e) {
    case EventType::kManualStart: return "ManualStart";
    case EventType::kManualStop: return "ManualStop";
    case EventType::kAutomaticStart: return "AutomaticStart";
    case EventType::kManualStartPassive: return "ManualStart_with_PassiveTcpEstablishment";
    case EventType::kAutomaticStartPassive:
      return "AutomaticStart_with_PassiveTcpEstablishment";
    case EventType::kAutomaticStop: return "AutomaticStop";
    case EventType::kConnectRetryTimerExpires: return "ConnectRetryTimer_Expires";
    case EventType::kHoldTimerExpires: return "HoldTimer_Expires";
    case EventType::kKeepaliveTimerExpires: return "KeepaliveTimer_Expires";
    case EventType::kDelayOpenTimerExpires: return "DelayOpenTimer_Expires";
    case EventType::kIdleHoldTimerExpires: return "IdleHoldTimer_Expires";
    case EventType::kTcpCrAcked: return "Tcp_CR_Acked";
    case EventType::kTcpConnectionConfirmed: return "TcpConnectionConfirmed";
    case EventType::kTcpConnectionFails: return "TcpConnectionFails";
    case EventType::kBgpOpen: return "BGPOpen";
    case EventType::kBgpHeaderErr: return "BGPHeaderErr";
    case EventType::kBgpOpenMsgErr: return "BGPOpenMsgErr";
    case EventType::kOpenCollisionDump: return "OpenCollisionDump";
    case EventType::kNotifMsgVerErr: return "NotifMsgVerErr";
    case EventType::kNotifMsg: return "NotifMsg";
    case EventType::kKeepAliveMsg: return "KeepAliveMsg";
    case EventType::kUpdateMsg: return "UpdateMsg";
    case EventType::kUpdateMsgErr: return "UpdateMsgErr";
    case EventType::kSendHoldTimerExpires: return "SendHoldTimer_Expires";
    case EventType::kStableTimerExpires: return "StableTimer_Expires";
  }
  return "?";
}

absl::string_view TimerName(Timer t) {
  switch (t) {
    case Timer::kConnectRetry: return "ConnectRetry";
    case Timer::kHold: return "Hold";
    case Timer::kKeepalive: return "Keepalive";
    case Timer::kDelayOpen: return "DelayOpen";
    case Timer::kIdleHold: return "IdleHold";
    case Timer::kSendHold: return "SendHold";
    case Timer::kStable: return "Stable";
  }
  return "?";
}

absl::string_view ReasonName(DownReason r) {
  switch (r) {
    case DownReason::kNone: return "none";
    case DownReason::kManualStop: return "administratively stopped";
    case DownReason::kAutomaticStop: return "automatically stopped";
    case DownReason::kTcpConnectionFailed: return "TCP connection failed";
    case DownReason::kHoldTimerExpired: return "hold timer expired";
    case DownReason::kSendHoldTimerExpired: return "send hold timer expired";
    case DownReason::kNotificationReceived: return "NOTIFICATION received";
    case DownReason::kUnsupportedVersion: return "peer does not support BGP version 4";
    case DownReason::kHeaderError: return "message header error";
    case DownReason::kOpenError: return "OPEN message error";
    case DownReason::kUpdateError: return "UPDATE message error";
    case DownReason::kCollision: return "connection collision resolution";
    case DownReason::kFsmError: return "unexpected event (FSM error)";
  }
  return "?";
}

std::string ActionString(const Action& a) {
  switch (a.type) {
    case ActionType::kStartTimer:
      return absl::StrFormat("StartTimer(%s, %d)", TimerName(a.timer), a.seconds);
    case ActionType::kStopTimer:
      return absl::StrFormat("StopTimer(%s)", TimerName(a.timer));
    case ActionType::kConnect: return "Connect";
    case ActionType::kDisconnect: return "Disconnect";
    case ActionType::kSendOpen: return "SendOpen";
    case ActionType::kSendKeepalive: return "SendKeepalive";
    case ActionType::kSendNotification:
      return absl::StrFormat("SendNotification(%d/%d)", a.notification.code,
                             a.notification.subcode);
    case ActionType::kReleaseResources: return "ReleaseResources";
    case ActionType::kProcessUpdate: return "ProcessUpdate";
    case ActionType::kSessionEstablished: return "SessionEstablished";
    case ActionType::kSessionDown: return "SessionDown";
  }
  return "?";
}

}  // namespace kbgp::peer
