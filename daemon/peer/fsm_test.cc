#include "daemon/peer/fsm.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/wire/constants.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kbgp::peer {

void PrintTo(const Action& a, std::ostream* os) { *os << ActionString(a); }

namespace {

namespace err = ::kbgp::wire::err;
using ::testing::ElementsAreArray;

using ActionList = std::vector<Action>;

ActionList ToList(const Actions& a) { return ActionList(a.begin(), a.end()); }

std::string Describe(const ActionList& a) {
  return absl::StrJoin(a, ", ", [](std::string* out, const Action& x) {
    out->append(ActionString(x));
  });
}

// ---- Shorthands for expected actions ----
Action St(Timer t, uint32_t s) { return Action::Start(t, s); }
Action Sp(Timer t) { return Action::Stop(t); }
Action Do(ActionType t) { return Action::Of(t); }
Action Notify(uint8_t code, uint8_t subcode) { return Action::Notify(code, subcode); }
const Action kConnectA = Action::Of(ActionType::kConnect);
const Action kDisc = Action::Of(ActionType::kDisconnect);
const Action kRel = Action::Of(ActionType::kReleaseResources);
const Action kDown = Action::Of(ActionType::kSessionDown);
const Action kSendOpen = Action::Of(ActionType::kSendOpen);
const Action kSendKa = Action::Of(ActionType::kSendKeepalive);

// The table's configuration: RFC/gobgpd defaults, no DelayOpen.
SessionConfig TableConfig() { return SessionConfig{}; }
SessionConfig DelayOpenConfig() {
  SessionConfig c;
  c.delay_open_time = 5;
  return c;
}

// The table runs every state from a mid-life FsmState: ConnectRetryCounter 2, and a previous
// idle hold wait of 60 s, so an automatic drop waits 120 s (doubling) and bumps the counter to 3.
constexpr uint32_t kCounter = 2;
constexpr uint32_t kPrevIdleHold = 60;
constexpr uint32_t kNextIdleHold = 120;

FsmState Base(State s) {
  FsmState f;
  f.state = s;
  f.started = true;
  f.passive = s == State::kActive;
  f.connect_retry_counter = kCounter;
  f.idle_hold_time = kPrevIdleHold;
  if (s == State::kOpenConfirm || s == State::kEstablished) {
    f.hold_time = 90;
    f.keepalive_time = 30;
  }
  return f;
}

// Events with realistic payloads: the peer's OPEN says Hold Time 60; header error Bad Message
// Length (1/2); OPEN error Bad Peer AS (2/2); UPDATE error Malformed Attribute List (3/1);
// AutomaticStop for Maximum Number of Prefixes Reached (Cease/1).
Event MakeEvent(EventType t) {
  switch (t) {
    case EventType::kBgpOpen:
      return Event::Open(60);
    case EventType::kBgpHeaderErr:
      return Event::WithNotification(t, err::kMessageHeader, err::kBadMessageLength);
    case EventType::kBgpOpenMsgErr:
      return Event::WithNotification(t, err::kOpenMessage, err::kBadPeerAs);
    case EventType::kUpdateMsgErr:
      return Event::WithNotification(t, err::kUpdateMessage, err::kMalformedAttributeList);
    case EventType::kAutomaticStop:
      return Event::WithNotification(t, err::kCease, err::kCeaseMaxPrefixes);
    case EventType::kNotifMsg:
      return Event::WithNotification(t, err::kCease, err::kCeaseAdminReset);
    case EventType::kNotifMsgVerErr:
      return Event::WithNotification(t, err::kOpenMessage, err::kUnsupportedVersionNumber);
    default:
      return Event::Of(t);
  }
}

struct Row {
  State from;
  EventType event;
  State to;
  ActionList actions;
  uint32_t counter;  // ConnectRetryCounter afterwards
};

// An automatic drop to Idle: [NOTIFICATION], drop, release, [routes], idle hold 120 s.
ActionList AutoDrop(State from, std::optional<Action> notify = std::nullopt) {
  ActionList a;
  if (notify) a.push_back(*notify);
  a.push_back(kDisc);
  a.push_back(kRel);
  if (from == State::kEstablished) a.push_back(kDown);
  a.push_back(St(Timer::kIdleHold, kNextIdleHold));
  return a;
}
// A TCP connection that failed before any OPEN (Connect or Active): retried after
// kConnectFailRetryTime, the backoff untouched.
ActionList ConnectFailDrop(State from) {
  ActionList a = AutoDrop(from);
  a.back() = St(Timer::kIdleHold, kConnectFailRetryTime);
  return a;
}
// ManualStop: no automatic restart.
ActionList ManualDrop(State from, std::optional<Action> notify = std::nullopt) {
  ActionList a;
  if (notify) a.push_back(*notify);
  a.push_back(kDisc);
  a.push_back(kRel);
  if (from == State::kEstablished) a.push_back(kDown);
  return a;
}

using E = EventType;
using S = State;

// Rows for the three states after TCP is up, where most events are alike.
void AddOpenStateRows(S s, uint8_t fsm_subcode, std::vector<Row>* rows) {
  auto fsm_error = [&](E e) {
    rows->push_back({s, e, S::kIdle, AutoDrop(s, Notify(err::kFsm, fsm_subcode)), kCounter + 1});
  };
  // "Events 1, 3-7 ... are ignored" (OpenSent, OpenConfirm, Established alike).
  for (E e : {E::kManualStart, E::kAutomaticStart, E::kManualStartPassive,
              E::kAutomaticStartPassive}) {
    rows->push_back({s, e, s, {}, kCounter});
  }
  // Event 2: Cease (Administrative Shutdown), counter to zero, no restart.
  rows->push_back({s, E::kManualStop, S::kIdle,
                   ManualDrop(s, Notify(err::kCease, err::kCeaseAdminShutdown)), 0});
  // Event 8: Cease with the caller's subcode, counter + 1, damping.
  rows->push_back({s, E::kAutomaticStop, S::kIdle,
                   AutoDrop(s, Notify(err::kCease, err::kCeaseMaxPrefixes)), kCounter + 1});
  // Event 9 is an FSM error in all three (RFC 6608 subcode per state).
  fsm_error(E::kConnectRetryTimerExpires);
  // Event 10: NOTIFICATION Hold Timer Expired (4/0).
  rows->push_back({s, E::kHoldTimerExpires, S::kIdle,
                   AutoDrop(s, Notify(err::kHoldTimerExpired, 0)), kCounter + 1});
  // Event 12: FSM error in all three.
  fsm_error(E::kDelayOpenTimerExpires);
  // Event 13, StableTimer outside Established: stale kbgp timers, ignored (fsm.h deviations).
  rows->push_back({s, E::kIdleHoldTimerExpires, s, {}, kCounter});
  if (s != S::kEstablished) rows->push_back({s, E::kStableTimerExpires, s, {}, kCounter});
  // Events 16, 17: a second connection, tracked by the caller (§6.8); no change here.
  rows->push_back({s, E::kTcpCrAcked, s, {}, kCounter});
  rows->push_back({s, E::kTcpConnectionConfirmed, s, {}, kCounter});
  // Event 21: NOTIFICATION with the header error (Established: §6.1, see fsm.h deviations).
  rows->push_back({s, E::kBgpHeaderErr, S::kIdle,
                   AutoDrop(s, Notify(err::kMessageHeader, err::kBadMessageLength)),
                   kCounter + 1});
  // Event 22: OpenSent/OpenConfirm send the OPEN error; Established lists 22 as FSM error.
  if (s == S::kEstablished) {
    fsm_error(E::kBgpOpenMsgErr);
  } else {
    rows->push_back({s, E::kBgpOpenMsgErr, S::kIdle,
                     AutoDrop(s, Notify(err::kOpenMessage, err::kBadPeerAs)), kCounter + 1});
  }
  // Event 23: Cease / Connection Collision Resolution (RFC 4486 subcode 7).
  rows->push_back({s, E::kOpenCollisionDump, S::kIdle,
                   AutoDrop(s, Notify(err::kCease, err::kCeaseCollisionResolution)),
                   kCounter + 1});
  // Event 24: OpenSent/OpenConfirm drop without counting; Established counts (with 18, 25).
  rows->push_back({s, E::kNotifMsgVerErr, S::kIdle, AutoDrop(s),
                   s == S::kEstablished ? kCounter + 1 : kCounter});
  // Event 25: drop, counter + 1, no NOTIFICATION back (OpenSent: fsm.h deviations).
  rows->push_back({s, E::kNotifMsg, S::kIdle, AutoDrop(s), kCounter + 1});
  // Event 29 (RFC 9687): only Established runs the SendHoldTimer; elsewhere "any other event".
  if (s != S::kEstablished) fsm_error(E::kSendHoldTimerExpires);
}

std::vector<Row> Table() {
  std::vector<Row> rows;

  // ---- RFC 4271 §8.2.2 Idle state (started, waiting for the idle hold timer) ----
  // Events 1, 3: "initializes all BGP resources, sets ConnectRetryCounter to zero, starts the
  // ConnectRetryTimer, initiates a TCP connection ..., changes its state to Connect".
  const ActionList start_active = {Sp(Timer::kIdleHold), St(Timer::kConnectRetry, 120),
                                   kConnectA};
  const ActionList start_passive = {Sp(Timer::kIdleHold), St(Timer::kConnectRetry, 120)};
  rows.push_back({S::kIdle, E::kManualStart, S::kConnect, start_active, 0});
  rows.push_back({S::kIdle, E::kAutomaticStart, S::kConnect, start_active, 0});
  // Events 4, 5: the same without initiating TCP, "changes its state to Active".
  rows.push_back({S::kIdle, E::kManualStartPassive, S::kActive, start_passive, 0});
  rows.push_back({S::kIdle, E::kAutomaticStartPassive, S::kActive, start_passive, 0});
  // Events 2, 8: "ignored in the Idle state"; ManualStop still cancels the pending restart.
  rows.push_back({S::kIdle, E::kManualStop, S::kIdle, {Sp(Timer::kIdleHold)}, 0});
  rows.push_back({S::kIdle, E::kAutomaticStop, S::kIdle, {}, kCounter});
  // Event 13 (implementation-specific damping): restart as the last start did; the counter
  // counts on.
  rows.push_back({S::kIdle, E::kIdleHoldTimerExpires, S::kConnect, start_active, kCounter});
  // "Any other event (Events 9-12, 15-28) received in the Idle state does not cause change".
  for (E e : {E::kConnectRetryTimerExpires, E::kHoldTimerExpires, E::kKeepaliveTimerExpires,
              E::kDelayOpenTimerExpires, E::kTcpCrAcked, E::kTcpConnectionConfirmed,
              E::kTcpConnectionFails, E::kBgpOpen, E::kBgpHeaderErr, E::kBgpOpenMsgErr,
              E::kOpenCollisionDump, E::kNotifMsgVerErr, E::kNotifMsg, E::kKeepAliveMsg,
              E::kUpdateMsg, E::kUpdateMsgErr, E::kSendHoldTimerExpires,
              E::kStableTimerExpires}) {
    rows.push_back({S::kIdle, e, S::kIdle, {}, kCounter});
  }

  // ---- §8.2.2 Connect and Active (DelayOpenTimer not running) ----
  for (S s : {S::kConnect, S::kActive}) {
    const bool active = s == S::kActive;
    // "Events 1, 3-7 ... are ignored in the Connect [Active] state."
    for (E e : {E::kManualStart, E::kAutomaticStart, E::kManualStartPassive,
                E::kAutomaticStartPassive}) {
      rows.push_back({s, e, s, {}, kCounter});
    }
    // Event 2: "drops the TCP connection, releases all BGP resources, sets ConnectRetryCounter
    // to zero, stops the ConnectRetryTimer, changes its state to Idle".
    rows.push_back({s, E::kManualStop, S::kIdle, ManualDrop(s), 0});
    // Event 9: Connect retries in place (drop, restart timer, connect); Active goes to Connect.
    if (active) {
      rows.push_back({s, E::kConnectRetryTimerExpires, S::kConnect,
                      {St(Timer::kConnectRetry, 120), kConnectA}, kCounter});
    } else {
      rows.push_back({s, E::kConnectRetryTimerExpires, S::kConnect,
                      {kDisc, St(Timer::kConnectRetry, 120), kConnectA}, kCounter});
    }
    // Events 16, 17 without DelayOpen: "stops the ConnectRetryTimer, completes BGP
    // initialization, sends an OPEN message, sets the HoldTimer to a large value (4 min),
    // changes its state to OpenSent".
    const ActionList to_open_sent = {Sp(Timer::kConnectRetry), kSendOpen,
                                     St(Timer::kHold, 240)};
    rows.push_back({s, E::kTcpCrAcked, S::kOpenSent, to_open_sent, kCounter});
    rows.push_back({s, E::kTcpConnectionConfirmed, S::kOpenSent, to_open_sent, kCounter});
    // Event 18: Connect "stops the ConnectRetryTimer, drops the TCP connection, releases all
    // BGP resources, changes its state to Idle" (no count); Active also counts and damps.
    rows.push_back({s, E::kTcpConnectionFails, S::kIdle, ConnectFailDrop(s),
                    active ? kCounter + 1 : kCounter});
    // Events 21, 22: "(optionally) If the SendNOTIFICATIONwithoutOPEN attribute is set to
    // TRUE, ... sends a NOTIFICATION message with the appropriate error code", counter + 1.
    rows.push_back({s, E::kBgpHeaderErr, S::kIdle,
                    AutoDrop(s, Notify(err::kMessageHeader, err::kBadMessageLength)),
                    kCounter + 1});
    rows.push_back({s, E::kBgpOpenMsgErr, S::kIdle,
                    AutoDrop(s, Notify(err::kOpenMessage, err::kBadPeerAs)), kCounter + 1});
    // Event 24 without DelayOpenTimer running: as any other failure, counter + 1.
    rows.push_back({s, E::kNotifMsgVerErr, S::kIdle, AutoDrop(s), kCounter + 1});
    // "In response to any other events (Events 8, 10-11, 13, 19, 23, 25-28)": drop, release,
    // counter + 1, damping, Idle — no NOTIFICATION (no OPEN exchanged). Event 12 without a
    // running DelayOpenTimer and Event 29 land here too.
    for (E e : {E::kAutomaticStop, E::kHoldTimerExpires, E::kKeepaliveTimerExpires,
                E::kDelayOpenTimerExpires, E::kBgpOpen, E::kOpenCollisionDump, E::kNotifMsg,
                E::kKeepAliveMsg, E::kUpdateMsg, E::kUpdateMsgErr,
                E::kSendHoldTimerExpires}) {
      rows.push_back({s, e, S::kIdle, AutoDrop(s), kCounter + 1});
    }
    // Stale kbgp timers (fsm.h deviations: 13 is not treated as an error).
    rows.push_back({s, E::kIdleHoldTimerExpires, s, {}, kCounter});
    rows.push_back({s, E::kStableTimerExpires, s, {}, kCounter});
  }

  // ---- §8.2.2 OpenSent ----
  AddOpenStateRows(S::kOpenSent, err::kFsmUnexpectedInOpenSent, &rows);
  // Event 18: "closes the BGP connection, restarts the ConnectRetryTimer, continues to listen
  // ..., changes its state to Active" (and stops the 240 s HoldTimer).
  rows.push_back({S::kOpenSent, E::kTcpConnectionFails, S::kActive,
                  {kDisc, Sp(Timer::kHold), St(Timer::kConnectRetry, 120)}, kCounter});
  // Event 19: "sets the ConnectRetryTimer to zero, sends a KEEPALIVE message, sets a
  // KeepaliveTimer, sets the HoldTimer according to the negotiated value, → OpenConfirm".
  // min(90, 60) = 60; keepalive 60 / 3 = 20.
  rows.push_back({S::kOpenSent, E::kBgpOpen, S::kOpenConfirm,
                  {Sp(Timer::kConnectRetry), kSendKa, St(Timer::kKeepalive, 20),
                   St(Timer::kHold, 60)},
                  kCounter});
  // "any other event (Events 9, 11-13, 20, 25-28)": FSM Error, RFC 6608 subcode 1.
  for (E e : {E::kKeepaliveTimerExpires, E::kKeepAliveMsg, E::kUpdateMsg, E::kUpdateMsgErr}) {
    rows.push_back({S::kOpenSent, e, S::kIdle,
                    AutoDrop(S::kOpenSent, Notify(err::kFsm, err::kFsmUnexpectedInOpenSent)),
                    kCounter + 1});
  }

  // ---- §8.2.2 OpenConfirm ----
  AddOpenStateRows(S::kOpenConfirm, err::kFsmUnexpectedInOpenConfirm, &rows);
  // Event 11: "sends a KEEPALIVE message, restarts the KeepaliveTimer".
  rows.push_back({S::kOpenConfirm, E::kKeepaliveTimerExpires, S::kOpenConfirm,
                  {kSendKa, St(Timer::kKeepalive, 30)}, kCounter});
  // Event 18: "sets the ConnectRetryTimer to zero, releases all BGP resources, drops the TCP
  // connection, increments the ConnectRetryCounter by 1, damping, → Idle".
  rows.push_back({S::kOpenConfirm, E::kTcpConnectionFails, S::kIdle, AutoDrop(S::kOpenConfirm),
                  kCounter + 1});
  // Event 26: "restarts the HoldTimer and changes its state to Established"; RFC 9687 §4.3
  // starts the SendHoldTimer (max(480, 2 * 90) = 480); kbgp starts the StableTimer.
  rows.push_back({S::kOpenConfirm, E::kKeepAliveMsg, S::kEstablished,
                  {St(Timer::kHold, 90), St(Timer::kSendHold, 480), St(Timer::kStable, 300),
                   Do(ActionType::kSessionEstablished)},
                  kCounter});
  // "any other event (Events 9, 12-13, 20, 27-28)": FSM Error, RFC 6608 subcode 2. A second
  // OPEN on this connection (19) is unexpected too: collisions come as Event 23.
  for (E e : {E::kBgpOpen, E::kUpdateMsg, E::kUpdateMsgErr}) {
    rows.push_back(
        {S::kOpenConfirm, e, S::kIdle,
         AutoDrop(S::kOpenConfirm, Notify(err::kFsm, err::kFsmUnexpectedInOpenConfirm)),
         kCounter + 1});
  }

  // ---- §8.2.2 Established ----
  AddOpenStateRows(S::kEstablished, err::kFsmUnexpectedInEstablished, &rows);
  const S est = S::kEstablished;
  // Event 11: "sends a KEEPALIVE message, and restarts its KeepaliveTimer".
  rows.push_back({est, E::kKeepaliveTimerExpires, est, {kSendKa, St(Timer::kKeepalive, 30)},
                  kCounter});
  // Events 18, 24, 25: "deletes all routes associated with this connection, releases all the
  // BGP resources, drops the TCP connection, increments the ConnectRetryCounter by 1".
  rows.push_back({est, E::kTcpConnectionFails, S::kIdle, AutoDrop(est), kCounter + 1});
  // Event 19: an OPEN on an Established connection is an FSM error (RFC 6608 subcode 3).
  rows.push_back({est, E::kBgpOpen, S::kIdle,
                  AutoDrop(est, Notify(err::kFsm, err::kFsmUnexpectedInEstablished)),
                  kCounter + 1});
  // Event 26: "restarts its HoldTimer, if the negotiated HoldTime value is non-zero".
  rows.push_back({est, E::kKeepAliveMsg, est, {St(Timer::kHold, 90)}, kCounter});
  // Event 27: "processes the message, restarts its HoldTimer".
  rows.push_back({est, E::kUpdateMsg, est,
                  {St(Timer::kHold, 90), Do(ActionType::kProcessUpdate)}, kCounter});
  // Event 28: "sends a NOTIFICATION message with an Update error".
  rows.push_back({est, E::kUpdateMsgErr, S::kIdle,
                  AutoDrop(est, Notify(err::kUpdateMessage, err::kMalformedAttributeList)),
                  kCounter + 1});
  // RFC 9687 §4.3 Event 29: NOTIFICATION Send Hold Timer Expired (8/0), drop, counter + 1.
  rows.push_back({est, E::kSendHoldTimerExpires, S::kIdle,
                  AutoDrop(est, Notify(err::kSendHoldTimerExpired, 0)), kCounter + 1});
  // kbgp StableTimer: no actions (the backoff reset is checked in a scenario).
  rows.push_back({est, E::kStableTimerExpires, est, {}, kCounter});
  return rows;
}

TEST(FsmTableTest, CoversEveryStateEventPairExactlyOnce) {
  std::map<std::pair<S, E>, int> seen;
  for (const Row& r : Table()) ++seen[{r.from, r.event}];
  for (int s = 0; s < kNumStates; ++s) {
    for (E e : kAllEvents) {
      EXPECT_EQ(seen[std::make_pair(static_cast<S>(s), e)], 1)
          << StateName(static_cast<S>(s)) << " x " << EventName(e);
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kNumStates) * std::size(kAllEvents));
}

TEST(FsmTableTest, EveryPairMatchesRfc4271) {
  const SessionConfig cfg = TableConfig();
  for (const Row& r : Table()) {
    SCOPED_TRACE(absl::StrCat(StateName(r.from), " x ", EventName(r.event)));
    const FsmState from = Base(r.from);
    const Transition t = Step(from, MakeEvent(r.event), cfg);
    EXPECT_EQ(t.next.state, r.to);
    EXPECT_THAT(ToList(t.actions), ElementsAreArray(r.actions))
        << "got: " << Describe(ToList(t.actions));
    EXPECT_EQ(t.next.connect_retry_counter, r.counter);
    // A drop to Idle says why; nothing else does.
    const bool dropped = r.from != S::kIdle && r.to == S::kIdle;
    EXPECT_EQ(t.reason != DownReason::kNone, dropped);
    if (r.to == S::kIdle && dropped) {
      EXPECT_EQ(t.next.hold_time, 0);
      EXPECT_FALSE(t.next.delay_open_running);
    }
    // An ignored event changes nothing at all.
    if (r.actions.empty() && r.to == r.from && r.event != E::kStableTimerExpires) {
      EXPECT_EQ(t.next, from);
    }
  }
}

// §8.2.2 Connect/Active rows that depend on a running DelayOpenTimer (Event 20 and the
// DelayOpen branches of Events 2, 9, 12, 16-18, 24).
TEST(FsmTableTest, DelayOpenRunningRows) {
  const SessionConfig cfg = DelayOpenConfig();
  struct DRow {
    S from;
    E event;
    S to;
    ActionList actions;
    uint32_t counter;
  };
  std::vector<DRow> rows;
  for (S s : {S::kConnect, S::kActive}) {
    const bool active = s == S::kActive;
    // Event 2 in Active: "If the DelayOpenTimer is running and SendNOTIFICATIONwithoutOPEN is
    // set, the local system sends a NOTIFICATION with a Cease" (Connect alike, fsm.h).
    rows.push_back({s, E::kManualStop, S::kIdle,
                    ManualDrop(s, Notify(err::kCease, err::kCeaseAdminShutdown)), 0});
    // Event 12: send OPEN, HoldTimer 4 min, → OpenSent.
    rows.push_back({s, E::kDelayOpenTimerExpires, S::kOpenSent,
                    {Sp(Timer::kConnectRetry), Sp(Timer::kDelayOpen), kSendOpen,
                     St(Timer::kHold, 240)},
                    kCounter});
    // Events 16, 17 with DelayOpen: "stops the ConnectRetryTimer, sets the DelayOpenTimer".
    rows.push_back({s, E::kTcpCrAcked, s,
                    {Sp(Timer::kConnectRetry), St(Timer::kDelayOpen, 5)}, kCounter});
    // Event 18: Connect → Active keeping the ConnectRetryTimer; Active → Idle.
    if (active) {
      rows.push_back({s, E::kTcpConnectionFails, S::kIdle, ConnectFailDrop(s), kCounter + 1});
    } else {
      rows.push_back({s, E::kTcpConnectionFails, S::kActive,
                      {kDisc, St(Timer::kConnectRetry, 120), Sp(Timer::kDelayOpen)}, kCounter});
      // Connect Event 9: "stops the DelayOpenTimer".
      rows.push_back({s, E::kConnectRetryTimerExpires, S::kConnect,
                      {kDisc, St(Timer::kConnectRetry, 120), Sp(Timer::kDelayOpen), kConnectA},
                      kCounter});
    }
    // Event 20: "stops the ConnectRetryTimer, stops and clears the DelayOpenTimer, sends an
    // OPEN message, sends a KEEPALIVE message, starts the KeepaliveTimer and resets the
    // HoldTimer to the negotiated value, → OpenConfirm".
    rows.push_back({s, E::kBgpOpen, S::kOpenConfirm,
                    {Sp(Timer::kConnectRetry), Sp(Timer::kDelayOpen), kSendOpen, kSendKa,
                     St(Timer::kKeepalive, 20), St(Timer::kHold, 60)},
                    kCounter});
    // Event 24 with the DelayOpenTimer running: drop without counting.
    rows.push_back({s, E::kNotifMsgVerErr, S::kIdle, AutoDrop(s), kCounter});
  }
  for (const DRow& r : rows) {
    SCOPED_TRACE(absl::StrCat(StateName(r.from), "+DelayOpen x ", EventName(r.event)));
    FsmState from = Base(r.from);
    from.delay_open_running = true;
    const Transition t = Step(from, MakeEvent(r.event), cfg);
    EXPECT_EQ(t.next.state, r.to);
    EXPECT_THAT(ToList(t.actions), ElementsAreArray(r.actions))
        << "got: " << Describe(ToList(t.actions));
    EXPECT_EQ(t.next.connect_retry_counter, r.counter);
    EXPECT_EQ(t.next.delay_open_running, r.to == r.from && r.event == E::kTcpCrAcked);
  }
}

// ---- Scenarios ----

// Runs events in order, checking the state after each.
class Driver {
 public:
  explicit Driver(SessionConfig cfg) : cfg_(cfg) {}
  Transition Feed(const Event& ev) {
    Transition t = Step(s_, ev, cfg_);
    s_ = t.next;
    return t;
  }
  Transition Feed(EventType e) { return Feed(Event::Of(e)); }
  const FsmState& state() const { return s_; }
  SessionConfig& cfg() { return cfg_; }

 private:
  SessionConfig cfg_;
  FsmState s_;
};

bool Has(const Transition& t, const Action& a) {
  for (const Action& x : t.actions) {
    if (x == a) return true;
  }
  return false;
}

TEST(FsmScenarioTest, ActiveOpenToEstablished) {
  Driver d{SessionConfig{}};
  Transition t = d.Feed(E::kManualStart);
  EXPECT_EQ(d.state().state, S::kConnect);
  EXPECT_TRUE(Has(t, kConnectA));
  t = d.Feed(E::kTcpCrAcked);
  EXPECT_EQ(d.state().state, S::kOpenSent);
  EXPECT_TRUE(Has(t, kSendOpen));
  t = d.Feed(Event::Open(180));  // ours is 90: negotiated 90, keepalive 30
  EXPECT_EQ(d.state().state, S::kOpenConfirm);
  EXPECT_EQ(d.state().hold_time, 90);
  EXPECT_EQ(d.state().keepalive_time, 30);
  EXPECT_TRUE(Has(t, kSendKa));
  t = d.Feed(E::kKeepAliveMsg);
  EXPECT_EQ(d.state().state, S::kEstablished);
  EXPECT_TRUE(Has(t, Do(ActionType::kSessionEstablished)));
  t = d.Feed(E::kUpdateMsg);
  EXPECT_THAT(ToList(t.actions),
              ElementsAreArray({St(Timer::kHold, 90), Do(ActionType::kProcessUpdate)}));
  t = d.Feed(E::kKeepaliveTimerExpires);
  EXPECT_THAT(ToList(t.actions), ElementsAreArray({kSendKa, St(Timer::kKeepalive, 30)}));
  EXPECT_EQ(d.state().state, S::kEstablished);
  EXPECT_EQ(d.state().connect_retry_counter, 0u);
}

TEST(FsmScenarioTest, PassiveOpenToEstablished) {
  Driver d{SessionConfig{}};
  Transition t = d.Feed(E::kManualStartPassive);
  EXPECT_EQ(d.state().state, S::kActive);
  EXPECT_FALSE(Has(t, kConnectA));  // passive: never connect(), only listen
  t = d.Feed(E::kTcpConnectionConfirmed);
  EXPECT_EQ(d.state().state, S::kOpenSent);
  d.Feed(Event::Open(90));
  d.Feed(E::kKeepAliveMsg);
  EXPECT_EQ(d.state().state, S::kEstablished);
  // After a drop, the idle hold restart is passive again.
  d.Feed(E::kTcpConnectionFails);
  EXPECT_EQ(d.state().state, S::kIdle);
  t = d.Feed(E::kIdleHoldTimerExpires);
  EXPECT_EQ(d.state().state, S::kActive);
  EXPECT_FALSE(Has(t, kConnectA));
  // Passive ConnectRetry expiry tries an outgoing connection (§8.2.2 Active Event 9).
  t = d.Feed(E::kConnectRetryTimerExpires);
  EXPECT_EQ(d.state().state, S::kConnect);
  EXPECT_TRUE(Has(t, kConnectA));
}

TEST(FsmScenarioTest, DelayOpenPeerSendsOpenFirst) {
  Driver d{DelayOpenConfig()};
  d.Feed(E::kManualStart);
  Transition t = d.Feed(E::kTcpCrAcked);
  EXPECT_EQ(d.state().state, S::kConnect);
  EXPECT_TRUE(d.state().delay_open_running);
  EXPECT_FALSE(Has(t, kSendOpen));  // OPEN is held back
  EXPECT_TRUE(Has(t, St(Timer::kDelayOpen, 5)));
  t = d.Feed(Event::Open(30));  // Event 20: OPEN and KEEPALIVE go out together
  EXPECT_EQ(d.state().state, S::kOpenConfirm);
  EXPECT_FALSE(d.state().delay_open_running);
  EXPECT_TRUE(Has(t, kSendOpen));
  EXPECT_TRUE(Has(t, kSendKa));
  EXPECT_EQ(d.state().hold_time, 30);
  EXPECT_EQ(d.state().keepalive_time, 10);
  d.Feed(E::kKeepAliveMsg);
  EXPECT_EQ(d.state().state, S::kEstablished);
}

TEST(FsmScenarioTest, DelayOpenTimerExpiresThenNormalExchange) {
  Driver d{DelayOpenConfig()};
  d.Feed(E::kManualStartPassive);
  d.Feed(E::kTcpConnectionConfirmed);
  EXPECT_EQ(d.state().state, S::kActive);
  EXPECT_TRUE(d.state().delay_open_running);
  Transition t = d.Feed(E::kDelayOpenTimerExpires);
  EXPECT_EQ(d.state().state, S::kOpenSent);
  EXPECT_TRUE(Has(t, kSendOpen));
  d.Feed(Event::Open(90));
  d.Feed(E::kKeepAliveMsg);
  EXPECT_EQ(d.state().state, S::kEstablished);
}

TEST(FsmScenarioTest, HoldTimerExpiryInEstablishedSendsNotification4AndGoesIdle) {
  Driver d{SessionConfig{}};
  d.Feed(E::kManualStart);
  d.Feed(E::kTcpCrAcked);
  d.Feed(Event::Open(90));
  d.Feed(E::kKeepAliveMsg);
  ASSERT_EQ(d.state().state, S::kEstablished);
  const Transition t = d.Feed(E::kHoldTimerExpires);
  EXPECT_EQ(d.state().state, S::kIdle);
  EXPECT_EQ(t.reason, DownReason::kHoldTimerExpired);
  EXPECT_EQ(ReasonName(t.reason), "hold timer expired");
  ASSERT_FALSE(t.actions.empty());
  EXPECT_EQ(t.actions.front(), Notify(err::kHoldTimerExpired, 0));  // first: before the drop
  EXPECT_TRUE(Has(t, kDown));
  EXPECT_TRUE(Has(t, St(Timer::kIdleHold, 30)));
  EXPECT_EQ(d.state().connect_retry_counter, 1u);
}

TEST(FsmScenarioTest, UnexpectedEventInOpenSentSendsFsmErrorSubcode1) {
  Driver d{SessionConfig{}};
  d.Feed(E::kManualStart);
  d.Feed(E::kTcpCrAcked);
  ASSERT_EQ(d.state().state, S::kOpenSent);
  const Transition t = d.Feed(E::kUpdateMsg);  // UPDATE before OPEN
  EXPECT_EQ(d.state().state, S::kIdle);
  EXPECT_EQ(t.reason, DownReason::kFsmError);
  ASSERT_FALSE(t.actions.empty());
  EXPECT_EQ(t.actions.front(), Notify(err::kFsm, err::kFsmUnexpectedInOpenSent));
  EXPECT_FALSE(Has(t, kDown));  // never Established: no routes to withdraw
}

// Reaches Established from Idle (active open) and returns the Established state.
void Establish(Driver& d) {
  if (d.state().state == S::kIdle) {
    d.Feed(d.state().started ? E::kIdleHoldTimerExpires : E::kManualStart);
  }
  d.Feed(E::kTcpCrAcked);
  d.Feed(Event::Open(90));
  d.Feed(E::kKeepAliveMsg);
  ASSERT_EQ(d.state().state, S::kEstablished);
}

uint32_t IdleHoldOf(const Transition& t) {
  for (const Action& a : t.actions) {
    if (a.type == ActionType::kStartTimer && a.timer == Timer::kIdleHold) return a.seconds;
  }
  return UINT32_MAX;
}

TEST(FsmScenarioTest, IdleHoldBacksOffAndResetsAfterStablePeriod) {
  Driver d{SessionConfig{}};
  std::vector<uint32_t> waits;
  for (int i = 0; i < 7; ++i) {
    Establish(d);
    waits.push_back(IdleHoldOf(d.Feed(E::kTcpConnectionFails)));
  }
  // 30 s (gobgpd's idle-hold-time-after-reset), doubling to BIRD's 300 s cap.
  EXPECT_THAT(waits, ElementsAreArray({30u, 60u, 120u, 240u, 300u, 300u, 300u}));

  // Established long enough: the StableTimer resets the backoff.
  Establish(d);
  d.Feed(E::kStableTimerExpires);
  EXPECT_EQ(d.state().idle_hold_time, 0u);
  EXPECT_EQ(IdleHoldOf(d.Feed(E::kNotifMsg)), 30u);
  // A connection attempt that fails before any OPEN (peer not reachable yet) is retried
  // after 5 s, as gobgpd retries, and leaves the backoff as it was.
  d.Feed(E::kIdleHoldTimerExpires);
  EXPECT_EQ(d.state().state, S::kConnect);
  EXPECT_EQ(IdleHoldOf(d.Feed(E::kTcpConnectionFails)), kConnectFailRetryTime);
  EXPECT_EQ(d.state().idle_hold_time, 30u);
  // The next drop of an established session doubles from there.
  d.Feed(E::kIdleHoldTimerExpires);
  Establish(d);
  EXPECT_EQ(IdleHoldOf(d.Feed(E::kNotifMsg)), 60u);
}

TEST(FsmScenarioTest, IdleHoldDisabledRestartsImmediately) {
  SessionConfig cfg;
  cfg.idle_hold_time = 0;
  Driver d{cfg};
  Establish(d);
  EXPECT_EQ(IdleHoldOf(d.Feed(E::kTcpConnectionFails)), 0u);
  Establish(d);
  EXPECT_EQ(IdleHoldOf(d.Feed(E::kTcpConnectionFails)), 0u);
}

TEST(FsmScenarioTest, ManualStopCancelsRestartAndClearsBackoff) {
  Driver d{SessionConfig{}};
  Establish(d);
  d.Feed(E::kHoldTimerExpires);  // waits 30 s, counter 1
  Establish(d);
  Transition t = d.Feed(E::kManualStop);
  EXPECT_EQ(d.state().state, S::kIdle);
  EXPECT_EQ(t.reason, DownReason::kManualStop);
  EXPECT_EQ(t.actions.front(), Notify(err::kCease, err::kCeaseAdminShutdown));
  EXPECT_EQ(IdleHoldOf(t), UINT32_MAX);  // no automatic restart
  EXPECT_FALSE(d.state().started);
  EXPECT_EQ(d.state().idle_hold_time, 0u);
  EXPECT_EQ(d.state().connect_retry_counter, 0u);
  // A late IdleHold expiry after ManualStop is ignored.
  t = d.Feed(E::kIdleHoldTimerExpires);
  EXPECT_EQ(d.state().state, S::kIdle);
  EXPECT_TRUE(t.actions.empty());
}

TEST(FsmScenarioTest, ManualStopWithCeaseSubcode) {
  Driver d{SessionConfig{}};
  Establish(d);
  const Transition t =
      d.Feed(Event::WithNotification(E::kManualStop, err::kCease, err::kCeasePeerDeconfigured));
  EXPECT_EQ(t.actions.front(), Notify(err::kCease, err::kCeasePeerDeconfigured));
}

TEST(FsmScenarioTest, ZeroHoldTimeMeansNoKeepalivesAndNoSendHold) {
  Driver d{SessionConfig{}};
  d.Feed(E::kManualStart);
  d.Feed(E::kTcpCrAcked);
  Transition t = d.Feed(Event::Open(0));
  EXPECT_EQ(d.state().hold_time, 0);
  EXPECT_EQ(d.state().keepalive_time, 0);
  // The 240 s OpenSent HoldTimer is stopped; no Keepalive/Hold timers start.
  EXPECT_THAT(ToList(t.actions),
              ElementsAreArray({Sp(Timer::kConnectRetry), kSendKa, Sp(Timer::kHold)}));
  t = d.Feed(E::kKeepAliveMsg);
  EXPECT_THAT(ToList(t.actions), ElementsAreArray({St(Timer::kStable, 300),
                                                   Do(ActionType::kSessionEstablished)}));
  t = d.Feed(E::kKeepAliveMsg);
  EXPECT_TRUE(t.actions.empty());
  t = d.Feed(E::kUpdateMsg);
  EXPECT_THAT(ToList(t.actions), ElementsAreArray({Do(ActionType::kProcessUpdate)}));
}

TEST(FsmScenarioTest, UnacceptableHoldTimeIsAnOpenError) {
  Driver d{SessionConfig{}};
  d.Feed(E::kManualStart);
  d.Feed(E::kTcpCrAcked);
  const Transition t = d.Feed(Event::Open(2));
  EXPECT_EQ(d.state().state, S::kIdle);
  EXPECT_EQ(t.reason, DownReason::kOpenError);
  EXPECT_EQ(t.actions.front(), Notify(err::kOpenMessage, err::kUnacceptableHoldTime));
}

TEST(FsmScenarioTest, ConnectionRefusedInConnectGoesIdleThenRetries) {
  Driver d{SessionConfig{}};
  d.Feed(E::kManualStart);
  Transition t = d.Feed(E::kTcpConnectionFails);
  EXPECT_EQ(d.state().state, S::kIdle);
  EXPECT_EQ(t.reason, DownReason::kTcpConnectionFailed);
  EXPECT_EQ(d.state().connect_retry_counter, 0u);  // §8.2.2 Connect Event 18 does not count
  t = d.Feed(E::kIdleHoldTimerExpires);
  EXPECT_EQ(d.state().state, S::kConnect);
  EXPECT_TRUE(Has(t, kConnectA));
}

TEST(FsmScenarioTest, SendHoldTimerExpiry) {
  Driver d{SessionConfig{}};
  Establish(d);
  const Transition t = d.Feed(E::kSendHoldTimerExpires);
  EXPECT_EQ(d.state().state, S::kIdle);
  EXPECT_EQ(t.reason, DownReason::kSendHoldTimerExpired);
  EXPECT_EQ(t.actions.front(), Notify(err::kSendHoldTimerExpired, 0));
  EXPECT_TRUE(Has(t, kDown));
}

TEST(FsmTimersTest, Negotiation) {
  EXPECT_EQ(NegotiateHoldTime(90, 180), 90);
  EXPECT_EQ(NegotiateHoldTime(90, 9), 9);
  EXPECT_EQ(NegotiateHoldTime(90, 0), 0);
  EXPECT_EQ(NegotiateHoldTime(0, 90), 0);
  EXPECT_EQ(KeepaliveTime(90, 0), 30);
  EXPECT_EQ(KeepaliveTime(90, 10), 10);   // configured, below a third
  EXPECT_EQ(KeepaliveTime(9, 30), 3);     // configured but above a third of the negotiated
  EXPECT_EQ(KeepaliveTime(3, 0), 1);
  EXPECT_EQ(KeepaliveTime(0, 30), 0);
  SessionConfig cfg;
  EXPECT_EQ(SendHoldTime(90, cfg), 480u);   // RFC 9687 §6: max(8 min, 2 x 90)
  EXPECT_EQ(SendHoldTime(300, cfg), 600u);
  EXPECT_EQ(SendHoldTime(0, cfg), 0u);      // §4.3: stopped with Hold Time 0
  cfg.send_hold_time = 100;
  EXPECT_EQ(SendHoldTime(90, cfg), 100u);   // configured and > Hold Time (§4.4)
  EXPECT_EQ(SendHoldTime(120, cfg), 480u);  // configured <= Hold Time: the default
  cfg.send_hold_timer = false;
  EXPECT_EQ(SendHoldTime(90, cfg), 0u);
}

// Explores every FsmState reachable from a fresh one under every event (with several
// configurations and payloads) and checks the invariants documented in fsm.h on every edge.
TEST(FsmInvariantTest, HoldOnEveryReachableTransition) {
  std::vector<SessionConfig> configs(3);
  configs[1].delay_open_time = 5;
  configs[2].hold_time = 0;
  configs[2].idle_hold_time = 0;
  std::vector<Event> events;
  for (E e : kAllEvents) events.push_back(MakeEvent(e));
  events.push_back(Event::Open(0));
  events.push_back(Event::Open(1));
  events.push_back(Event::Open(65535));
  events.push_back(Event::Of(E::kBgpHeaderErr));  // no code: defaults to 1/0

  int edges = 0;
  for (const SessionConfig& cfg : configs) {
    std::set<std::string> seen;
    std::vector<FsmState> work = {FsmState{}};
    auto key = [](const FsmState& s) {
      return absl::StrCat(static_cast<int>(s.state), s.started, s.passive,
                          s.delay_open_running, ",", s.connect_retry_counter, ",",
                          s.idle_hold_time, ",", s.hold_time, ",", s.keepalive_time);
    };
    while (!work.empty()) {
      const FsmState s = work.back();
      work.pop_back();
      // Bound the exploration: counters and backoff grow without limit otherwise.
      if (s.connect_retry_counter > 3 || !seen.insert(key(s)).second) continue;
      for (const Event& ev : events) {
        SCOPED_TRACE(absl::StrCat(StateName(s.state), " x ", EventName(ev.type)));
        const Transition t = Step(s, ev, cfg);
        const FsmState& n = t.next;
        ++edges;
        EXPECT_LT(t.actions.size(), Actions::kCapacity);
        EXPECT_TRUE(n.state == S::kIdle || n.started);
        if (n.delay_open_running) {
          EXPECT_TRUE(n.state == S::kConnect || n.state == S::kActive);
        }
        if (n.state == S::kOpenConfirm || n.state == S::kEstablished) {
          EXPECT_TRUE(n.hold_time == 0 || n.hold_time >= 3);
          if (n.hold_time == 0) {
            EXPECT_EQ(n.keepalive_time, 0);
          } else {
            EXPECT_GE(n.keepalive_time, 1);
            EXPECT_LE(n.keepalive_time, n.hold_time / 3);
          }
        } else {
          EXPECT_EQ(n.hold_time, 0);
          EXPECT_EQ(n.keepalive_time, 0);
        }
        const bool dropped = s.state != S::kIdle && n.state == S::kIdle;
        EXPECT_EQ(dropped, t.reason != DownReason::kNone);
        if (dropped) {
          EXPECT_TRUE(Has(t, kDisc));
          EXPECT_TRUE(Has(t, kRel));
          EXPECT_EQ(Has(t, kDown), s.state == S::kEstablished);
          const bool manual = ev.type == E::kManualStop;
          EXPECT_EQ(t.actions.back().type == ActionType::kStartTimer &&
                        t.actions.back().timer == Timer::kIdleHold,
                    !manual);
        } else {
          EXPECT_FALSE(Has(t, kDown));
        }
        for (size_t i = 0; i < t.actions.size(); ++i) {
          if (t.actions[i].type == ActionType::kSendNotification) {
            EXPECT_EQ(i, 0u);
          }
        }
        EXPECT_EQ(Has(t, Do(ActionType::kSessionEstablished)),
                  s.state != S::kEstablished && n.state == S::kEstablished);
        EXPECT_LE(n.idle_hold_time, std::max(cfg.idle_hold_time_max, cfg.idle_hold_time));
        work.push_back(n);
      }
    }
  }
  EXPECT_GT(edges, 1000);
}

TEST(FsmNamesTest, AllNamed) {
  for (int s = 0; s < kNumStates; ++s) EXPECT_NE(StateName(static_cast<S>(s)), "?");
  for (E e : kAllEvents) EXPECT_NE(EventName(e), "?");
  EXPECT_EQ(EventName(E::kTcpCrAcked), "Tcp_CR_Acked");
  EXPECT_EQ(static_cast<int>(E::kSendHoldTimerExpires), 29);
  EXPECT_EQ(ActionString(Notify(4, 0)), "SendNotification(4/0)");
  EXPECT_EQ(ActionString(St(Timer::kHold, 90)), "StartTimer(Hold, 90)");
}

}  // namespace
}  // namespace kbgp::peer
