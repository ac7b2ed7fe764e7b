// Sessions over real loopback sockets on one EventLoop: two kbgp Sessions against each other,
// or a Session against a scripted raw-socket peer. Waits are conditions with timeouts.
#include "daemon/peer/session.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <memory>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "daemon/common/event_loop.h"
#include "daemon/common/log.h"
#include "daemon/peer/listener.h"
#include "daemon/wire/message.h"

namespace kbgp::peer {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

size_t OpenFds() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

struct Recorder : SessionHandler {
  int established = 0;
  int down = 0;
  int writable_calls = 0;
  std::optional<Negotiated> negotiated;
  std::vector<wire::Update> updates;
  std::vector<wire::RouteRefresh> refreshes;
  std::vector<DownReason> reasons;

  void OnEstablished(Session&, const Negotiated& n) override {
    ++established;
    negotiated = n;
  }
  void OnUpdate(Session&, wire::Update&& u) override { updates.push_back(std::move(u)); }
  void OnRouteRefresh(Session&, const wire::RouteRefresh& r) override { refreshes.push_back(r); }
  void OnDown(Session&, DownReason r, std::string) override {
    ++down;
    reasons.push_back(r);
  }
  void OnWritable(Session&) override { ++writable_calls; }
};

// A BGP speaker played by hand over a plain socket (non-blocking reads polled from the
// test's wait loop).
class RawPeer {
 public:
  ~RawPeer() {
    if (fd_ >= 0) close(fd_);
  }
  bool Connect(const IpAddress& local, uint16_t port, int rcvbuf = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf != 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in me{};
    me.sin_family = AF_INET;
    me.sin_addr.s_addr = htonl(local.v4());
    if (bind(fd_, reinterpret_cast<sockaddr*>(&me), sizeof(me)) != 0) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(0x7f000001);
    to.sin_port = htons(port);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) return false;
    fcntl(fd_, F_SETFL, O_NONBLOCK);
    return true;
  }
  void Send(const wire::Message& m) {
    Bytes b;
    ASSERT_TRUE(wire::EncodeMessage(m, wire::CodecOptions{}, &b).ok());
    SendBytes(b);
  }
  void SendBytes(const Bytes& b) { ASSERT_EQ(write(fd_, b.data(), b.size()), ssize_t(b.size())); }
  // Reads what is available; returns false once the peer closed.
  bool Poll() {
    uint8_t buf[8192];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n > 0) {
        in_.insert(in_.end(), buf, buf + n);
        continue;
      }
      if (n == 0) closed_ = true;
      break;
    }
    while (in_.size() >= wire::kHeaderLength) {
      size_t len = (size_t{in_[16]} << 8) | in_[17];
      if (in_.size() < len) break;
      absl::StatusOr<wire::Message> m =
          wire::DecodeMessage(ByteSpan(in_.data(), len), wire::CodecOptions{});
      if (m.ok()) messages_.push_back(std::move(*m));
      in_.erase(in_.begin(), in_.begin() + static_cast<long>(len));
    }
    return !closed_;
  }
  std::optional<wire::Notification> notification() const {
    for (const auto& m : messages_) {
      if (auto* n = std::get_if<wire::Notification>(&m)) return *n;
    }
    return std::nullopt;
  }
  bool Got(wire::MessageType t) const {
    for (const auto& m : messages_) {
      if (wire::TypeOf(m) == t) return true;
    }
    return false;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  Bytes in_;
  std::vector<wire::Message> messages_;
  bool closed_ = false;
};

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel(LogLevel::kDebug);
    // Asio creates its reactor's descriptors (epoll, eventfd, timerfd) on first use; make
    // them exist before the baseline.
    {
      asio::ip::tcp::socket warm(loop_.context());
      warm.open(asio::ip::tcp::v4());
      LoopTimer t(loop_);
      t.Start(milliseconds(0), [] {});
      loop_.RunUntil([&] { return !t.running(); }, seconds(1));
    }
    fds_before_ = OpenFds();
  }
  void TearDown() override {
    // Stop everything and check nothing stays open.
    for (auto& s : sessions_) s->Stop();
    EXPECT_TRUE(Wait([&] {
      for (auto& s : sessions_) {
        if (s->open_connections() != 0) return false;
      }
      return true;
    }, seconds(5)));
    for (size_t i = 0; i < sessions_.size(); ++i) listeners_[i]->RemoveSession(sessions_[i].get());
    sessions_.clear();
    listeners_.clear();
    loop_.RunUntil([] { return false; }, milliseconds(20));  // run posted cleanups
    EXPECT_EQ(OpenFds(), fds_before_) << "file descriptors leaked";
  }

  bool Wait(const std::function<bool()>& cond, std::chrono::milliseconds timeout = seconds(10)) {
    return loop_.RunUntil(cond, timeout);
  }

  static SessionOptions Options(const char* local, const char* peer, uint32_t local_as,
                                uint32_t peer_as, uint32_t id) {
    SessionOptions o;
    o.local_address = Ip(local);
    o.peer_address = Ip(peer);
    o.local_as = local_as;
    o.peer_as = peer_as;
    o.router_id = id;
    o.fsm.hold_time = 9;
    o.fsm.connect_retry_time = 1;
    o.fsm.idle_hold_time = 1;
    o.families = {FamilyOptions{wire::kIPv4Unicast}, FamilyOptions{wire::kIPv6Unicast}};
    return o;
  }

  // A listener on `o.local_address`, port 0.
  Listener& AddListener(const IpAddress& local) {
    listeners_.push_back(
        std::make_unique<Listener>(loop_, Listener::Options{{local}, /*port=*/0}));
    EXPECT_TRUE(listeners_.back()->Start().ok());
    return *listeners_.back();
  }

  // Two sessions A (127.0.0.1, AS 65001, ID 1.1.1.1) and B (127.0.0.2, AS 65002, 2.2.2.2),
  // each with a listener on its address. `edit` may change the options before creation.
  void MakePair(const std::function<void(SessionOptions&, SessionOptions&)>& edit = nullptr) {
    Listener& la = AddListener(Ip("127.0.0.1"));
    Listener& lb = AddListener(Ip("127.0.0.2"));
    SessionOptions a = Options("127.0.0.1", "127.0.0.2", 65001, 65002, 0x01010101);
    SessionOptions b = Options("127.0.0.2", "127.0.0.1", 65002, 65001, 0x02020202);
    a.peer_port = lb.port();
    b.peer_port = la.port();
    b.passive = true;
    if (edit) edit(a, b);
    sessions_.push_back(std::make_unique<Session>(loop_, ha_, a, [] { return 0.5; }));
    sessions_.push_back(std::make_unique<Session>(loop_, hb_, b, [] { return 0.5; }));
    ASSERT_TRUE(la.AddSession(sessions_[0].get()).ok());
    ASSERT_TRUE(lb.AddSession(sessions_[1].get()).ok());
  }
  Session& A() { return *sessions_[0]; }
  Session& B() { return *sessions_[1]; }

  bool BothEstablished() { return A().established() && B().established(); }

  // One session (A, 127.0.0.1, AS 65001) whose peer 127.0.0.3 (AS 65003) is a RawPeer.
  void MakeSingle(const std::function<void(SessionOptions&)>& edit = nullptr) {
    Listener& l = AddListener(Ip("127.0.0.1"));
    SessionOptions a = Options("127.0.0.1", "127.0.0.3", 65001, 65003, 0x01010101);
    a.passive = true;
    if (edit) edit(a);
    sessions_.push_back(std::make_unique<Session>(loop_, ha_, a, [] { return 0.5; }));
    ASSERT_TRUE(l.AddSession(sessions_[0].get()).ok());
    A().Start();
  }
  // Connects `raw` from 127.0.0.3 and brings the session up.
  void EstablishRaw(RawPeer& raw, uint16_t hold_time = 9, int rcvbuf = 0) {
    ASSERT_TRUE(raw.Connect(Ip("127.0.0.3"), listeners_[0]->port(), rcvbuf));
    wire::Open o;
    o.my_as = 65003;
    o.hold_time = hold_time;
    o.bgp_id = 0x03030303;
    o.capabilities = {wire::MultiprotocolCap{wire::kIPv4Unicast}, wire::FourOctetAsCap{65003}};
    raw.Send(o);
    raw.Send(wire::Keepalive{});
    ASSERT_TRUE(Wait([&] {
      raw.Poll();
      return A().established();
    }));
  }

  static wire::Update SampleUpdate() {
    wire::Update u;
    u.attrs.origin = wire::Origin::kIgp;
    u.attrs.as_path = wire::AsPath{{wire::AsSegmentType::kSequence, {65001}}};
    u.attrs.next_hop = Ip("127.0.0.1");
    u.nlri.push_back({*Prefix::Parse("10.1.0.0/24"), 0});
    return u;
  }

  EventLoop loop_;
  Recorder ha_, hb_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Session>> sessions_;
  size_t fds_before_ = 0;
};

TEST_F(SessionTest, EstablishesAndExchangesUpdate) {
  MakePair();
  B().Start();
  A().Start();
  ASSERT_TRUE(Wait([&] { return BothEstablished(); }));
  EXPECT_EQ(ha_.established, 1);
  EXPECT_EQ(hb_.established, 1);
  ASSERT_TRUE(ha_.negotiated.has_value());
  EXPECT_EQ(ha_.negotiated->peer_as, 65002u);
  EXPECT_EQ(ha_.negotiated->hold_time, 9);
  EXPECT_EQ(ha_.negotiated->keepalive_time, 3);
  EXPECT_THAT(ha_.negotiated->families,
              ::testing::ElementsAre(wire::kIPv4Unicast, wire::kIPv6Unicast));
  EXPECT_TRUE(ha_.negotiated->route_refresh);
  EXPECT_TRUE(ha_.negotiated->four_octet_as);

  ASSERT_TRUE(A().Send(SampleUpdate()).ok());
  ASSERT_TRUE(Wait([&] { return hb_.updates.size() == 1; }));
  EXPECT_EQ(hb_.updates[0].nlri, SampleUpdate().nlri);
  EXPECT_EQ(A().sent().update, 1u);
  EXPECT_EQ(B().received().update, 1u);
  EXPECT_EQ(A().sent().open, 1u);
  EXPECT_EQ(B().received().open, 1u);

  ASSERT_TRUE(B().Send(wire::RouteRefresh{wire::kIPv4Unicast}).ok());
  ASSERT_TRUE(Wait([&] { return ha_.refreshes.size() == 1; }));
  EXPECT_TRUE(A().uptime().count() >= 0);

  // A stop with a shutdown communication reaches the other side, which goes down.
  A().Stop(wire::err::kCeaseAdminShutdown, "maintenance");
  ASSERT_TRUE(Wait([&] { return hb_.down == 1; }));
  ASSERT_TRUE(B().last_notification_received().has_value());
  EXPECT_EQ(B().last_notification_received()->code, wire::err::kCease);
  EXPECT_EQ(B().last_notification_received()->subcode, wire::err::kCeaseAdminShutdown);
  EXPECT_THAT(B().last_error(), ::testing::HasSubstr("maintenance"));
  EXPECT_EQ(hb_.reasons[0], DownReason::kNotificationReceived);
  EXPECT_EQ(A().state(), State::kIdle);
  // Our own stop is not a flop; the peer that was stopped counts one.
  EXPECT_EQ(A().flops(), 0u);
  EXPECT_EQ(B().flops(), 1u);
}

// A speaker in its idle hold after a failed connect still takes the peer's incoming
// connection at once (as BIRD, FRR and gobgpd do), instead of refusing it for 30 s.
TEST_F(SessionTest, IncomingConnectionEndsIdleHold) {
  MakePair([](SessionOptions& a, SessionOptions& b) {
    b.passive = false;
    a.fsm.idle_hold_time = 30;
    b.fsm.idle_hold_time = 30;
  });
  listeners_[0]->Stop();  // A does not listen: B's connect is refused at the TCP level
  B().Start();            // so B drops to Idle with a 30 s idle hold (RFC 4271 §8.2.2)
  ASSERT_TRUE(Wait([&] { return B().state() == State::kIdle && !B().last_error().empty(); }));
  A().Start();  // A connects to B, which accepts although its idle hold runs
  ASSERT_TRUE(Wait([&] { return BothEstablished(); }, std::chrono::seconds(5)));
}

TEST_F(SessionTest, NegotiatesFourOctetAsAddPathAndExtendedMessage) {
  MakePair([](SessionOptions& a, SessionOptions& b) {
    a.local_as = 4200000001;
    b.peer_as = 4200000001;
    a.extended_message = b.extended_message = true;
    a.families[0].add_path_send = true;
    b.families[0].add_path_receive = true;
    a.graceful_restart = true;
    a.gr_restart_time = 90;
    a.families[0].gr_forwarding_state = true;
    a.hostname = "node-a";
  });
  B().Start();
  A().Start();
  ASSERT_TRUE(Wait([&] { return BothEstablished(); }));
  const Negotiated& na = A().negotiated();
  const Negotiated& nb = B().negotiated();
  EXPECT_TRUE(nb.four_octet_as);
  EXPECT_EQ(nb.peer_as, 4200000001u);
  EXPECT_TRUE(na.extended_message);
  EXPECT_TRUE(nb.decode.extended_message);
  EXPECT_THAT(na.add_path_send, ::testing::ElementsAre(wire::kIPv4Unicast));
  EXPECT_TRUE(na.add_path_receive.empty());
  EXPECT_THAT(nb.add_path_receive, ::testing::ElementsAre(wire::kIPv4Unicast));
  EXPECT_TRUE(na.encode.add_path_ipv4);
  EXPECT_TRUE(nb.decode.add_path_ipv4);
  EXPECT_FALSE(nb.decode.add_path_ipv6);
  EXPECT_TRUE(nb.peer_graceful_restart);
  EXPECT_FALSE(nb.graceful_restart);  // B did not offer it
  EXPECT_EQ(nb.peer_restart_time, 90);
  ASSERT_EQ(nb.peer_gr_families.size(), 2u);
  EXPECT_EQ(nb.peer_gr_families[0].flags, wire::GracefulRestartCap::kForwardingState);
  EXPECT_EQ(nb.peer_hostname, "node-a");

  // An UPDATE with a path identifier and over 4096 bytes passes both ways of the codec.
  wire::Update u = SampleUpdate();
  u.nlri.clear();
  for (uint32_t i = 0; i < 1500; ++i) {
    u.nlri.push_back({Prefix::Make(IpAddress::V4(0x0a000000 + (i << 8)), 24), i + 1});
  }
  ASSERT_TRUE(A().Send(u).ok());
  ASSERT_TRUE(Wait([&] { return hb_.updates.size() == 1; }));
  EXPECT_EQ(hb_.updates[0].nlri.size(), 1500u);
  EXPECT_EQ(hb_.updates[0].nlri[7].path_id, 8u);
}

TEST_F(SessionTest, TwoOctetPeer) {
  MakePair([](SessionOptions&, SessionOptions& b) { b.four_octet_as = false; });
  B().Start();
  A().Start();
  ASSERT_TRUE(Wait([&] { return BothEstablished(); }));
  EXPECT_FALSE(A().negotiated().four_octet_as);
  EXPECT_FALSE(A().negotiated().decode.four_octet_as);
  EXPECT_EQ(A().negotiated().peer_as, 65002u);
}

TEST_F(SessionTest, BadPeerAsSendsOpenError) {
  MakePair([](SessionOptions& a, SessionOptions&) { a.peer_as = 65099; });
  B().Start();
  A().Start();
  ASSERT_TRUE(Wait([&] { return B().last_notification_received().has_value(); }));
  EXPECT_EQ(B().last_notification_received()->code, wire::err::kOpenMessage);
  EXPECT_EQ(B().last_notification_received()->subcode, wire::err::kBadPeerAs);
  EXPECT_EQ(A().last_down_reason(), DownReason::kOpenError);
  EXPECT_EQ(A().sent().notification, 1u);
  EXPECT_EQ(ha_.established, 0);
}

TEST_F(SessionTest, SameRouterIdOnIbgpIsBadBgpIdentifier) {
  MakePair([](SessionOptions& a, SessionOptions& b) {
    a.peer_as = b.local_as = 65001;
    b.router_id = a.router_id;
  });
  B().Start();
  A().Start();
  // Both reject the other's OPEN (and each NOTIFICATION crosses the other's).
  ASSERT_TRUE(Wait([&] { return A().last_down_reason() == DownReason::kOpenError; }));
  EXPECT_THAT(A().last_error(), ::testing::HasSubstr("BGP Identifier"));
  EXPECT_GE(A().sent().notification, 1u);
  EXPECT_EQ(ha_.established, 0);
}

TEST_F(SessionTest, HoldTimerExpiresWhenPeerGoesSilent) {
  MakeSingle([](SessionOptions& a) { a.fsm.hold_time = 3; });
  RawPeer raw;
  EstablishRaw(raw, /*hold_time=*/3);
  // The raw peer never sends another KEEPALIVE: after 3 s A sends Hold Timer Expired.
  ASSERT_TRUE(Wait([&] { return !raw.Poll() || raw.notification().has_value(); }, seconds(8)));
  ASSERT_TRUE(raw.notification().has_value());
  EXPECT_EQ(raw.notification()->code, wire::err::kHoldTimerExpired);
  ASSERT_TRUE(Wait([&] { return ha_.down == 1; }));
  EXPECT_EQ(ha_.reasons[0], DownReason::kHoldTimerExpired);
  EXPECT_EQ(A().state(), State::kIdle);
}

TEST_F(SessionTest, KeepalivesHoldTheSessionUp) {
  MakePair([](SessionOptions& a, SessionOptions& b) { a.fsm.hold_time = b.fsm.hold_time = 3; });
  B().Start();
  A().Start();
  ASSERT_TRUE(Wait([&] { return BothEstablished(); }));
  // Three hold times pass; keepalives (every ~1 s) keep it up.
  EXPECT_FALSE(Wait([&] { return !BothEstablished(); }, seconds(7)));
  EXPECT_GE(A().received().keepalive, 4u);
  EXPECT_EQ(A().flops(), 0u);
}

TEST_F(SessionTest, CollisionLeavesExactlyOneSession) {
  MakePair([](SessionOptions&, SessionOptions& b) { b.passive = false; });
  A().Start();
  B().Start();
  ASSERT_TRUE(Wait([&] { return BothEstablished(); }));
  // Stays that way, on one and the same TCP connection.
  EXPECT_FALSE(Wait([&] { return !BothEstablished(); }, milliseconds(1500)));
  ASSERT_TRUE(A().local_endpoint() && B().remote_endpoint());
  EXPECT_EQ(*A().local_endpoint(), *B().remote_endpoint());
  EXPECT_EQ(*A().remote_endpoint(), *B().local_endpoint());
  EXPECT_EQ(ha_.established, 1);
  EXPECT_EQ(hb_.established, 1);
  EXPECT_EQ(ha_.down + hb_.down, 0);
  // Each side has only its one connection left.
  ASSERT_TRUE(Wait([&] { return A().open_connections() == 1 && B().open_connections() == 1; }));
}

TEST_F(SessionTest, SendHoldTimerDropsPeerThatStopsReading) {
  MakeSingle([](SessionOptions& a) {
    a.fsm.hold_time = 3;
    a.fsm.send_hold_time = 4;
    a.write_high_water = 256 << 10;
    a.write_low_water = 64 << 10;
  });
  RawPeer raw;
  EstablishRaw(raw, /*hold_time=*/3, /*rcvbuf=*/4096);
  // Fill the pipe: the raw peer reads nothing from now on, but keeps sending KEEPALIVEs so
  // its Hold Timer never fires on our side.
  wire::Update u = SampleUpdate();
  for (uint32_t i = 0; i < 400; ++i) {
    u.nlri.push_back({Prefix::Make(IpAddress::V4(0x0b000000 + (i << 8)), 24), 0});
  }
  Bytes one;
  ASSERT_TRUE(wire::EncodeMessage(u, wire::CodecOptions{}, &one).ok());
  bool saw_backlog = false;
  auto last_keepalive = std::chrono::steady_clock::now();
  const bool dropped = Wait([&]() -> bool {
    if (A().established() && A().writable()) {
      for (int i = 0; i < 64; ++i) EXPECT_TRUE(A().SendRaw(one).ok());
    }
    saw_backlog |= !A().writable();
    if (std::chrono::steady_clock::now() - last_keepalive > milliseconds(800)) {
      Bytes ka;
      (void)wire::EncodeMessage(wire::Keepalive{}, wire::CodecOptions{}, &ka);
      raw.SendBytes(ka);
      last_keepalive = std::chrono::steady_clock::now();
    }
    return ha_.down == 1;
  }, seconds(15));
  ASSERT_TRUE(dropped);
  EXPECT_TRUE(saw_backlog);
  EXPECT_EQ(ha_.reasons[0], DownReason::kSendHoldTimerExpired);
  EXPECT_EQ(A().last_down_reason(), DownReason::kSendHoldTimerExpired);
  // The queue is gone with the connection.
  ASSERT_TRUE(Wait([&] { return A().open_connections() == 0; }));
  EXPECT_EQ(A().queued_bytes(), 0u);
}

TEST_F(SessionTest, MalformedUpdateGetsUpdateMessageError) {
  MakeSingle();
  RawPeer raw;
  EstablishRaw(raw);
  // Total Path Attribute Length 200, but only 4 bytes follow: Malformed Attribute List.
  Bytes bad;
  Writer w(&bad);
  w.PutU64(~uint64_t{0});
  w.PutU64(~uint64_t{0});
  w.PutU16(wire::kHeaderLength + 8);
  w.PutU8(2);
  w.PutU16(0);    // withdrawn routes length
  w.PutU16(200);  // total path attribute length: runs past the message
  w.PutU32(0x40010100);  // ORIGIN IGP
  raw.SendBytes(bad);
  ASSERT_TRUE(Wait([&] { return !raw.Poll() || raw.notification().has_value(); }));
  ASSERT_TRUE(raw.notification().has_value());
  EXPECT_EQ(raw.notification()->code, wire::err::kUpdateMessage);
  EXPECT_EQ(raw.notification()->subcode, wire::err::kMalformedAttributeList);
  ASSERT_TRUE(Wait([&] { return ha_.down == 1; }));
  EXPECT_EQ(ha_.reasons[0], DownReason::kUpdateError);
}

TEST_F(SessionTest, BadHeaderGetsMessageHeaderError) {
  MakeSingle();
  RawPeer raw;
  EstablishRaw(raw);
  Bytes bad;
  Writer w(&bad);
  w.PutU64(~uint64_t{0});
  w.PutU64(~uint64_t{0});
  w.PutU16(19);
  w.PutU8(9);  // type 9 does not exist
  raw.SendBytes(bad);
  ASSERT_TRUE(Wait([&] { return !raw.Poll() || raw.notification().has_value(); }));
  ASSERT_TRUE(raw.notification().has_value());
  EXPECT_EQ(raw.notification()->code, wire::err::kMessageHeader);
  EXPECT_EQ(raw.notification()->subcode, wire::err::kBadMessageType);
  EXPECT_EQ(raw.notification()->data, Bytes{9});
}

TEST_F(SessionTest, UnknownPeerIsRefused) {
  MakeSingle();
  RawPeer stranger;
  ASSERT_TRUE(stranger.Connect(Ip("127.0.0.9"), listeners_[0]->port()));
  ASSERT_TRUE(Wait([&] { return !stranger.Poll(); }));
  EXPECT_EQ(listeners_[0]->refused(), 1u);
  EXPECT_EQ(A().state(), State::kActive);
}

TEST(EventLoopTest, PostFromAnotherThreadAndTimers) {
  EventLoop loop(EventLoop::Options{.timer_scale = 0.01});
  int fired = 0;
  LoopTimer t(loop), stopped(loop);
  t.Start(seconds(1), [&] { ++fired; });  // 10 ms scaled
  stopped.Start(milliseconds(1), [&] { fired += 100; });
  stopped.Stop();
  std::atomic<bool> posted{false};
  std::thread other([&] { loop.Post([&] { posted = true; }); });
  EXPECT_TRUE(loop.RunUntil([&] { return fired == 1 && posted; }, seconds(5)));
  other.join();
  EXPECT_FALSE(t.running());
  EXPECT_EQ(fired, 1);

  FakeClock clock;
  const auto t0 = clock.Now();
  clock.Advance(seconds(3));
  EXPECT_EQ(clock.Now() - t0, seconds(3));
}

}  // namespace
}  // namespace kbgp::peer
