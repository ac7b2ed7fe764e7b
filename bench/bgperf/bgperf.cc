// bgperf: the tester and the monitor of the bgperf-style benchmark (bench/bgperf/run.py runs
// them around a target daemon; see bench/README.md).
//
//   bgperf tester  --target IP --local-base IP [route set flags] [--start all|each] [--churn]
//   bgperf monitor (--connect IP | --listen IP) [--as N] [--strip-as N] [route set flags]
//
// The tester opens one eBGP session per peer (peer i from address local-base + i, AS
// as-base + i) to the target, encodes every UPDATE before it connects, and writes them as
// fast as TCP takes them (non-blocking sockets, epoll, large send buffers, Nagle on). The
// monitor holds one session to the target (or, with --listen, takes the tester's sessions
// itself: the null target), decodes what it receives with daemon/wire and keeps, per expected
// prefix, a fingerprint of the AS path it holds; it is complete when every prefix is held with
// the AS path the route set says the target must end up advertising.
//
// Both print events on stdout, one per line: "<event> <CLOCK_MONOTONIC ns> key=value ...".
// Tester: established_all, sent_all, churn_start, churn_sent. Monitor: established, complete
// <phase>, progress, phase <n>. Both read commands on stdin: "churn" (tester), "phase 1"
// (monitor), "quit"; end of input quits.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/bgperf/routes.h"
#include "daemon/wire/message.h"

namespace kbgp::bgperf {
namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "bgperf: %s\n", msg.c_str());
  std::exit(1);
}

void Event(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// ---- Flags: "--name value" and bare "--name" switches ----

class Flags {
 public:
  Flags(int argc, char** argv, int first, const std::vector<std::string>& switches) {
    for (int i = first; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) Die("unexpected argument '" + a + "'");
      a = a.substr(2);
      bool is_switch = false;
      for (const auto& s : switches) is_switch |= (s == a);
      if (is_switch) {
        values_[a] = "1";
      } else {
        if (i + 1 >= argc) Die("--" + a + " needs a value");
        values_[a] = argv[++i];
      }
    }
  }
  bool Has(const std::string& k) const { return values_.count(k) != 0; }
  std::string Str(const std::string& k, const std::string& def = "") const {
    auto it = values_.find(k);
    return it == values_.end() ? def : it->second;
  }
  uint64_t Num(const std::string& k, uint64_t def) const {
    auto it = values_.find(k);
    if (it == values_.end()) return def;
    uint64_t v;
    if (!absl::SimpleAtoi(it->second, &v)) Die("--" + k + ": not a number: " + it->second);
    return v;
  }
  IpAddress Ip(const std::string& k) const {
    auto it = values_.find(k);
    if (it == values_.end()) Die("--" + k + " is required");
    auto ip = IpAddress::Parse(it->second);
    if (!ip.ok() || !ip->is_v4()) Die("--" + k + ": not an IPv4 address: " + it->second);
    return *ip;
  }
  // Every flag given must be one of `known`.
  void Check(const std::vector<std::string>& known) const {
    for (const auto& [k, v] : values_) {
      bool ok = false;
      for (const auto& n : known) ok |= (n == k);
      if (!ok) Die("unknown flag --" + k);
    }
  }

 private:
  std::map<std::string, std::string> values_;
};

const std::vector<std::string> kRouteFlags = {"routes", "peers",     "prefixes",     "shared",
                                              "best-peer", "as-base", "churn-percent", "mrt",
                                              "seed"};

RouteSetSpec SpecFromFlags(const Flags& f) {
  RouteSetSpec s;
  s.kind = f.Str("routes", "synthetic");
  s.peers = static_cast<int>(f.Num("peers", 1));
  s.prefixes = static_cast<uint32_t>(f.Num("prefixes", 1000));
  s.shared = f.Has("shared");
  s.best_peer = f.Has("best-peer") ? static_cast<int>(f.Num("best-peer", 0)) : -1;
  s.as_base = static_cast<uint32_t>(f.Num("as-base", 100001));
  s.churn_percent = static_cast<uint32_t>(f.Num("churn-percent", 10));
  s.mrt_file = f.Str("mrt");
  s.seed = f.Num("seed", 1);
  if (s.peers > 60000) Die("--peers: at most 60000");
  return s;
}

sockaddr_in SockAddr(const IpAddress& ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(ip.v4());
  return sa;
}

Bytes OpenMessage(uint32_t asn, uint32_t bgp_id, uint16_t hold) {
  wire::Open o;
  o.my_as = asn > 0xffff ? wire::kAsTrans : static_cast<uint16_t>(asn);
  o.hold_time = hold;
  o.bgp_id = bgp_id;
  o.capabilities.push_back(wire::MultiprotocolCap{wire::kIPv4Unicast});
  o.capabilities.push_back(wire::RouteRefreshCap{});
  o.capabilities.push_back(wire::FourOctetAsCap{asn});
  Bytes out;
  if (auto s = wire::EncodeMessage(o, wire::CodecOptions(), &out); !s.ok()) {
    Die("cannot encode OPEN: " + s.ToString());
  }
  return out;
}

Bytes KeepaliveMessage() {
  Bytes out;
  (void)wire::EncodeMessage(wire::Keepalive{}, wire::CodecOptions(), &out);
  return out;
}

// ---- One BGP session over a non-blocking socket ----

struct Session {
  enum State { kIdle, kConnecting, kOpenSent, kOpenConfirm, kEstablished };
  int index = 0;
  int fd = -1;
  State state = kIdle;
  IpAddress local;
  uint32_t asn = 0;
  Bytes in;
  size_t in_start = 0;
  struct Segment {
    const uint8_t* data;
    size_t len;
    Bytes own;  // small messages (OPEN, KEEPALIVE, End-of-RIB) own their bytes
    int mark = 0;  // nonzero: when fully written, report this mark
  };
  std::deque<Segment> out;
  size_t out_off = 0;
  uint16_t hold = 240;
  int64_t next_keepalive_ns = 0;
  int64_t retry_ns = 0;
  uint64_t rx_updates = 0;
  uint64_t rx_bytes = 0;
  bool four_octet_as = true;
  int pending_marks = 0;
};

constexpr size_t kReadChunk = 256 * 1024;

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void BigBuffers(int fd, int snd, int rcv) {
  // SO_*BUFFORCE (root) exceeds net.core.[rw]mem_max; fall back to the plain option.
  if (snd > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  }
  if (rcv > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  }
}

// The event loop shared by tester and monitor: sessions, epoll, stdin commands, timers.
class Loop {
 public:
  struct Handler {
    virtual ~Handler() = default;
    virtual void OnEstablished(Session* s) = 0;
    virtual void OnUpdate(Session* s, ByteSpan body) = 0;
    virtual void OnMark(Session* s, int mark) = 0;
    virtual void OnCommand(const std::string& line) = 0;
    virtual void OnTick(int64_t now) = 0;
    virtual void OnAccepted(Session* s) = 0;  // listen mode: a new session's socket
  };

  explicit Loop(Handler* h) : h_(h) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) Die(absl::StrCat("epoll_create1: ", std::strerror(errno)));
    SetNonBlocking(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kStdin;
    (void)epoll_ctl(ep_, EPOLL_CTL_ADD, 0, &ev);  // fails for /dev/null: no commands then
  }

  Session* Add() {
    sessions_.push_back(std::make_unique<Session>());
    sessions_.back()->index = static_cast<int>(sessions_.size() - 1);
    return sessions_.back().get();
  }
  std::vector<std::unique_ptr<Session>>& sessions() { return sessions_; }

  void Listen(const IpAddress& addr, uint16_t port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa = SockAddr(addr, port);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        listen(listen_fd_, 4096) != 0) {
      Die(absl::StrCat("listen on ", addr.ToString(), ":", port, ": ", std::strerror(errno)));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListen;
    epoll_ctl(ep_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }

  void Connect(Session* s, const IpAddress& remote, uint16_t port, bool bind_local) {
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) Die(absl::StrCat("socket: ", std::strerror(errno)));
    BigBuffers(s->fd, snd_buf_, rcv_buf_);
    if (bind_local) {
      sockaddr_in la = SockAddr(s->local, 0);
      if (bind(s->fd, reinterpret_cast<sockaddr*>(&la), sizeof la) != 0) {
        Die(absl::StrCat("bind ", s->local.ToString(), ": ", std::strerror(errno),
                         " (is the address on an interface?)"));
      }
    }
    sockaddr_in ra = SockAddr(remote, port);
    s->state = Session::kConnecting;
    Register(s);
    if (connect(s->fd, reinterpret_cast<sockaddr*>(&ra), sizeof ra) != 0 &&
        errno != EINPROGRESS) {
      Fail(s, std::strerror(errno));
    }
  }

  void Send(Session* s, Bytes msg, int mark = 0) {
    Session::Segment seg{nullptr, msg.size(), std::move(msg), mark};
    seg.data = seg.own.data();
    s->out.push_back(std::move(seg));
    if (mark) ++s->pending_marks;
    Flush(s);
  }
  void SendBulk(Session* s, const Bytes& data, int mark) {
    if (data.empty()) {
      Send(s, Bytes{}, mark);
      return;
    }
    s->out.push_back(Session::Segment{data.data(), data.size(), Bytes{}, mark});
    if (mark) ++s->pending_marks;
    Flush(s);
  }

  void set_buffers(int snd, int rcv) {
    snd_buf_ = snd;
    rcv_buf_ = rcv;
  }
  void set_reconnect(std::function<void(Session*)> f) { reconnect_ = std::move(f); }
  void set_open(std::function<Bytes(Session*)> f) { make_open_ = std::move(f); }
  void Quit() { quit_ = true; }

  void Run() {
    std::vector<epoll_event> evs(1024);
    int64_t next_tick = NowNs();
    while (!quit_) {
      int n = epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 100);
      if (n < 0 && errno != EINTR) Die(absl::StrCat("epoll_wait: ", std::strerror(errno)));
      for (int i = 0; i < n; ++i) {
        const uint64_t id = evs[i].data.u64;
        if (id == kStdin) {
          ReadStdin();
        } else if (id == kListen) {
          Accept();
        } else {
          Session* s = sessions_[id].get();
          if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) Writable(s);
          if (s->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) Readable(s);
        }
      }
      const int64_t now = NowNs();
      if (now >= next_tick) {
        next_tick = now + 200000000;  // 200 ms
        Timers(now);
        h_->OnTick(now);
      }
    }
  }

 private:
  static constexpr uint64_t kStdin = ~uint64_t{0};
  static constexpr uint64_t kListen = ~uint64_t{0} - 1;

  void Register(Session* s) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = static_cast<uint64_t>(s->index);
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, s->fd, &ev) != 0) {
      Die(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
    }
  }

  void Accept() {
    while (true) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      BigBuffers(fd, snd_buf_, rcv_buf_);
      Session* s = Add();
      s->fd = fd;
      s->state = Session::kOpenSent;
      Register(s);
      h_->OnAccepted(s);
      Send(s, make_open_(s));
    }
  }

  // A session that failed before Established retries after a second (the target may not
  // listen yet); one that fails later ends the run: the measurement is void.
  void Fail(Session* s, const std::string& why) {
    if (s->state == Session::kEstablished || s->state == Session::kOpenConfirm) {
      Die(absl::StrCat("session ", s->index, " (", s->local.ToString(), "): ", why));
    }
    epoll_ctl(ep_, EPOLL_CTL_DEL, s->fd, nullptr);
    close(s->fd);
    s->fd = -1;
    s->state = Session::kIdle;
    s->out.clear();
    s->out_off = 0;
    s->in.clear();
    s->in_start = 0;
    s->pending_marks = 0;
    s->retry_ns = NowNs() + 1000000000;
    if (!reconnect_) Die(absl::StrCat("session ", s->index, ": ", why));
  }

  void Writable(Session* s) {
    if (s->state == Session::kConnecting) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        Fail(s, std::strerror(err));
        return;
      }
      s->state = Session::kOpenSent;
      Send(s, make_open_(s));
      return;
    }
    Flush(s);
  }

  void Flush(Session* s) {
    if (s->fd < 0 || s->state == Session::kConnecting) return;
    while (!s->out.empty()) {
      Session::Segment& seg = s->out.front();
      while (s->out_off < seg.len) {
        ssize_t w = send(s->fd, seg.data + s->out_off, seg.len - s->out_off, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EAGAIN || errno == EINTR) return;
          Fail(s, absl::StrCat("send: ", std::strerror(errno)));
          return;
        }
        s->out_off += static_cast<size_t>(w);
      }
      const int mark = seg.mark;
      s->out.pop_front();
      s->out_off = 0;
      if (mark) {
        --s->pending_marks;
        h_->OnMark(s, mark);
      }
    }
  }

  void Readable(Session* s) {
    if (s->state == Session::kConnecting) return;
    while (true) {
      if (s->in_start > 0 && s->in_start == s->in.size()) {
        s->in.clear();
        s->in_start = 0;
      }
      const size_t old = s->in.size();
      s->in.resize(old + kReadChunk);
      ssize_t r = read(s->fd, s->in.data() + old, kReadChunk);
      if (r <= 0) {
        s->in.resize(old);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
        Fail(s, r == 0 ? "connection closed by the peer" : std::strerror(errno));
        return;
      }
      s->in.resize(old + static_cast<size_t>(r));
      s->rx_bytes += static_cast<uint64_t>(r);
      if (!Parse(s)) return;
    }
  }

  // Handles every whole message in the buffer; false when the session failed.
  bool Parse(Session* s) {
    while (s->in.size() - s->in_start >= wire::kHeaderLength) {
      const uint8_t* p = s->in.data() + s->in_start;
      const size_t len = (size_t{p[16]} << 8) | p[17];
      const uint8_t type = p[18];
      if (len < wire::kHeaderLength || len > wire::kMaxMessageLength) {
        Fail(s, absl::StrCat("bad message length ", len));
        return false;
      }
      if (s->in.size() - s->in_start < len) break;
      ByteSpan body(p + wire::kHeaderLength, len - wire::kHeaderLength);
      s->in_start += len;
      switch (type) {
        case 1: {  // OPEN
          auto o = wire::DecodeOpen(body);
          if (!o.ok()) {
            Fail(s, "bad OPEN: " + o.status().ToString());
            return false;
          }
          s->four_octet_as = false;
          for (const auto& c : o->capabilities) {
            if (std::holds_alternative<wire::FourOctetAsCap>(c)) s->four_octet_as = true;
          }
          if (o->hold_time != 0 && o->hold_time < s->hold) s->hold = o->hold_time;
          s->state = Session::kOpenConfirm;
          Send(s, KeepaliveMessage());
          s->next_keepalive_ns = NowNs() + int64_t{s->hold} * 1000000000 / 3;
          break;
        }
        case 4:  // KEEPALIVE
          if (s->state == Session::kOpenConfirm) {
            s->state = Session::kEstablished;
            h_->OnEstablished(s);
          }
          break;
        case 2:  // UPDATE
          ++s->rx_updates;
          h_->OnUpdate(s, body);
          break;
        case 3: {  // NOTIFICATION
          auto n = wire::DecodeNotification(body);
          std::string what = n.ok() ? absl::StrCat(wire::ErrorCodeName(n->code), " / ",
                                                   wire::ErrorSubcodeName(n->code, n->subcode))
                                    : "malformed";
          Fail(s, "NOTIFICATION received: " + what);
          return false;
        }
        default:
          break;  // ROUTE-REFRESH: nothing to resend that matters here
      }
    }
    return true;
  }

  void Timers(int64_t now) {
    for (auto& sp : sessions_) {
      Session* s = sp.get();
      if (s->state == Session::kIdle && s->retry_ns != 0 && now >= s->retry_ns && reconnect_) {
        s->retry_ns = 0;
        reconnect_(s);
      } else if (s->state == Session::kEstablished && now >= s->next_keepalive_ns) {
        s->next_keepalive_ns = now + int64_t{s->hold} * 1000000000 / 3;
        Send(s, KeepaliveMessage());
      }
    }
  }

  void ReadStdin() {
    char buf[4096];
    while (true) {
      ssize_t r = read(0, buf, sizeof buf);
      if (r == 0) {
        quit_ = true;  // the driver went away
        return;
      }
      if (r < 0) return;
      stdin_buf_.append(buf, static_cast<size_t>(r));
      size_t nl;
      while ((nl = stdin_buf_.find('\n')) != std::string::npos) {
        std::string line = stdin_buf_.substr(0, nl);
        stdin_buf_.erase(0, nl + 1);
        if (line == "quit") {
          quit_ = true;
          return;
        }
        h_->OnCommand(line);
      }
    }
  }

  Handler* h_;
  int ep_ = -1;
  int listen_fd_ = -1;
  bool quit_ = false;
  std::string stdin_buf_;
  int snd_buf_ = 0;
  int rcv_buf_ = 0;
  std::vector<std::unique_ptr<Session>> sessions_;
  std::function<void(Session*)> reconnect_;
  std::function<Bytes(Session*)> make_open_;
};

// ---- Tester ----

class Tester : public Loop::Handler {
 public:
  enum Mark { kTableSent = 1, kChurnSent = 2 };

  explicit Tester(const Flags& f) : loop_(this) {
    f.Check([] {
      auto k = kRouteFlags;
      for (const char* x : {"target", "port", "local-base", "hold", "start", "churn", "sndbuf"}) {
        k.push_back(x);
      }
      return k;
    }());
    auto set = BuildRouteSet(SpecFromFlags(f));
    if (!set.ok()) Die(set.status().ToString());
    set_ = std::move(*set);
    target_ = f.Ip("target");
    port_ = static_cast<uint16_t>(f.Num("port", 179));
    const IpAddress base = f.Ip("local-base");
    hold_ = static_cast<uint16_t>(f.Num("hold", 240));
    const std::string start = f.Str("start", "all");
    if (start != "all" && start != "each") Die("--start: all or each");
    start_all_ = start == "all";
    const bool churn = f.Has("churn");
    const int64_t t0 = NowNs();
    size_t bytes = 0, updates = 0, prefixes = 0;
    feeds_.resize(static_cast<size_t>(set_.spec.peers));
    for (int i = 0; i < set_.spec.peers; ++i) {
      const IpAddress local = IpAddress::V4(base.v4() + static_cast<uint32_t>(i));
      auto feed = EncodeFeed(set_, i, local, churn);
      if (!feed.ok()) Die(feed.status().ToString());
      feeds_[i] = std::move(*feed);
      bytes += feeds_[i].table.size();
      updates += feeds_[i].updates;
      prefixes += feeds_[i].prefixes;
      Session* s = loop_.Add();
      s->local = local;
      s->asn = set_.spec.PeerAs(i);
      s->hold = hold_;
    }
    eor_ = EndOfRib();
    Event(absl::StrCat("encoded ", NowNs(), " peers=", set_.spec.peers, " updates=", updates,
                       " prefixes=", prefixes, " bytes=", bytes,
                       " seconds=", (NowNs() - t0) / 1e9));
    loop_.set_buffers(static_cast<int>(f.Num("sndbuf", 4 << 20)), 1 << 20);
    loop_.set_open([this](Session* s) { return OpenMessage(s->asn, s->local.v4(), hold_); });
    loop_.set_reconnect([this](Session* s) { loop_.Connect(s, target_, port_, true); });
  }

  void Run() {
    connect_ns_ = NowNs();
    Event(absl::StrCat("connecting ", connect_ns_));
    for (auto& s : loop_.sessions()) loop_.Connect(s.get(), target_, port_, true);
    loop_.Run();
  }

  void OnEstablished(Session* s) override {
    ++established_;
    if (!start_all_) SendTable(s);
    if (established_ == loop_.sessions().size()) {
      Event(absl::StrCat("established_all ", NowNs(), " since_connect=",
                         (NowNs() - connect_ns_) / 1e9));
      if (start_all_) {
        for (auto& x : loop_.sessions()) SendTable(x.get());
      }
    }
  }
  void OnUpdate(Session*, ByteSpan) override {}  // the target's routes to us: drained
  void OnMark(Session*, int mark) override {
    if (mark == kTableSent && ++table_sent_ == loop_.sessions().size()) {
      Event(absl::StrCat("sent_all ", NowNs()));
    } else if (mark == kChurnSent && ++churn_sent_ == loop_.sessions().size()) {
      Event(absl::StrCat("churn_sent ", NowNs()));
    }
  }
  void OnCommand(const std::string& line) override {
    if (line == "churn") {
      if (feeds_.empty() || feeds_[0].churn_withdraw.empty()) {
        Event("error 0 no churn feed: start the tester with --churn");
        return;
      }
      churn_sent_ = 0;
      Event(absl::StrCat("churn_start ", NowNs()));
      for (auto& s : loop_.sessions()) {
        loop_.SendBulk(s.get(), feeds_[s->index].churn_withdraw, 0);
        loop_.SendBulk(s.get(), feeds_[s->index].churn_announce, kChurnSent);
      }
    } else if (line == "stats") {
      uint64_t u = 0, b = 0;
      for (auto& s : loop_.sessions()) {
        u += s->rx_updates;
        b += s->rx_bytes;
      }
      Event(absl::StrCat("stats ", NowNs(), " rx_updates=", u, " rx_bytes=", b));
    }
  }
  void OnTick(int64_t) override {}
  void OnAccepted(Session*) override {}

 private:
  void SendTable(Session* s) {
    if (first_send_ns_ == 0) {
      first_send_ns_ = NowNs();
      Event(absl::StrCat("first_send ", first_send_ns_));
    }
    loop_.SendBulk(s, feeds_[s->index].table, 0);
    loop_.Send(s, eor_, kTableSent);
  }

  Loop loop_;
  RouteSet set_;
  std::vector<PeerFeed> feeds_;
  Bytes eor_;
  IpAddress target_;
  uint16_t port_ = 179;
  uint16_t hold_ = 240;
  bool start_all_ = true;
  size_t established_ = 0;
  size_t table_sent_ = 0;
  size_t churn_sent_ = 0;
  int64_t connect_ns_ = 0;
  int64_t first_send_ns_ = 0;
};

// ---- Monitor ----

class Monitor : public Loop::Handler {
 public:
  explicit Monitor(const Flags& f) : loop_(this) {
    f.Check([] {
      auto k = kRouteFlags;
      for (const char* x : {"connect", "listen", "port", "as", "router-id", "strip-as", "hold"}) {
        k.push_back(x);
      }
      return k;
    }());
    if (f.Has("connect") == f.Has("listen")) Die("monitor: give --connect or --listen");
    auto set = BuildRouteSet(SpecFromFlags(f));
    if (!set.ok()) Die(set.status().ToString());
    set_ = std::move(*set);
    asn_ = static_cast<uint32_t>(f.Num("as", 65001));
    strip_as_ = static_cast<uint32_t>(f.Num("strip-as", 0));
    hold_ = static_cast<uint16_t>(f.Num("hold", 240));
    port_ = static_cast<uint16_t>(f.Num("port", 179));
    listen_ = f.Has("listen");
    remote_ = f.Ip(listen_ ? "listen" : "connect");
    router_id_ = f.Has("router-id") ? f.Ip("router-id").v4() : 0x0a0000fe;
    const int64_t t0 = NowNs();
    const size_t n = set_.DistinctPrefixes();
    index_.reserve(n);
    expected_.resize(n);
    held_.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const BaseRoute& r = set_.base[i];
      if (!index_.try_emplace(Key(r.prefix), static_cast<uint32_t>(i)).second) {
        Die("route set has a duplicate prefix " + r.prefix.ToString());
      }
    }
    SetExpected(0);
    Event(absl::StrCat("expect ", NowNs(), " prefixes=", n,
                       " seconds=", (NowNs() - t0) / 1e9));
    loop_.set_buffers(1 << 20, 8 << 20);
    loop_.set_open([this](Session*) { return OpenMessage(asn_, router_id_, hold_); });
  }

  void Run() {
    if (listen_) {
      loop_.Listen(remote_, port_);
      Event(absl::StrCat("listening ", NowNs()));
    } else {
      Session* s = loop_.Add();
      s->hold = hold_;
      loop_.set_reconnect([this](Session* x) { loop_.Connect(x, remote_, port_, false); });
      loop_.Connect(s, remote_, port_, false);
    }
    loop_.Run();
  }

  void OnEstablished(Session* s) override {
    if (!established_) Event(absl::StrCat("established ", NowNs()));
    established_ = true;
    loop_.Send(s, EndOfRib());
  }
  void OnAccepted(Session* s) override { s->hold = hold_; }
  void OnMark(Session*, int) override {}

  void OnUpdate(Session* s, ByteSpan body) override {
    ++updates_;
    wire::CodecOptions opts;
    opts.four_octet_as = s->four_octet_as;
    opts.external_peer = true;
    auto u = wire::DecodeUpdate(body, opts);
    if (!u.ok()) Die("undecodable UPDATE from the target: " + u.status().ToString());
    for (const wire::Nlri& n : u->withdrawn) Set(n.prefix, 0);
    if (u->attrs.mp_unreach && u->attrs.mp_unreach->family == wire::kIPv4Unicast) {
      for (const wire::Nlri& n : u->attrs.mp_unreach->withdrawn) Set(n.prefix, 0);
    }
    const bool reach = !u->nlri.empty() ||
                       (u->attrs.mp_reach && u->attrs.mp_reach->family == wire::kIPv4Unicast);
    if (!reach) return;
    if (u->report.action == wire::ErrorAction::kTreatAsWithdraw) {
      if (treat_as_withdraw_++ == 0) {
        std::fprintf(stderr, "bgperf monitor: an UPDATE treated as withdraw: %s\n",
                     u->report.errors.empty() ? "" : u->report.errors.front().reason.c_str());
      }
      for (const wire::Nlri& n : u->nlri) Set(n.prefix, 0);
      return;
    }
    wire::AsPath path = u->attrs.as_path.value_or(wire::AsPath{});
    if (strip_as_ != 0 && !path.empty() && path.front().type == wire::AsSegmentType::kSequence &&
        !path.front().asns.empty() && path.front().asns.front() == strip_as_) {
      path.front().asns.erase(path.front().asns.begin());
      if (path.front().asns.empty()) path.erase(path.begin());
    }
    const uint16_t mark = PathMark(path);
    for (const wire::Nlri& n : u->nlri) Set(n.prefix, mark);
    if (u->attrs.mp_reach && u->attrs.mp_reach->family == wire::kIPv4Unicast) {
      for (const wire::Nlri& n : u->attrs.mp_reach->nlri) Set(n.prefix, mark);
    }
    CheckComplete();
  }

  void OnCommand(const std::string& line) override {
    if (line == "phase 1" || line == "phase 0") {
      phase_ = line == "phase 1" ? 1 : 0;
      SetExpected(phase_);
      complete_ = false;
      Event(absl::StrCat("phase ", NowNs(), " ", phase_, " matched=", matched_));
      CheckComplete();
    }
  }

  void OnTick(int64_t now) override {
    if (now - last_progress_ < 1000000000) return;
    last_progress_ = now;
    Event(absl::StrCat("progress ", now, " matched=", matched_, " total=", expected_.size(),
                       " held=", held_count_, " unexpected=", unexpected_,
                       " updates=", updates_));
  }

 private:
  static uint64_t Key(const Prefix& p) {
    return (uint64_t{p.addr().v4()} << 8) | p.length();
  }

  // The AS path the target must end up advertising for every prefix, in `phase`.
  void SetExpected(int phase) {
    absl::flat_hash_map<uint64_t, uint16_t> cache;  // (owner, group, churned) -> mark
    const uint32_t per = set_.per_peer;
    matched_ = 0;
    for (size_t i = 0; i < expected_.size(); ++i) {
      const int owner = set_.spec.shared ? set_.spec.Best() : static_cast<int>(i / per);
      const uint32_t j = static_cast<uint32_t>(set_.spec.shared ? i : i % per);
      const bool churned = phase == 1 && set_.spec.Churned(j);
      const uint32_t g = set_.base[i].group;
      const uint64_t key = (uint64_t(owner) << 40) | (uint64_t{g} << 1) | (churned ? 1 : 0);
      auto [it, added] = cache.try_emplace(key, 0);
      if (added) it->second = PathMark(set_.PeerPath(owner, g, churned));
      expected_[i] = it->second;
      if (held_[i] == expected_[i]) ++matched_;
    }
  }

  void Set(const Prefix& p, uint16_t mark) {
    if (!p.addr().is_v4()) return;
    auto it = index_.find(Key(p));
    if (it == index_.end()) {
      if (mark != 0) ++unexpected_;
      return;
    }
    const uint32_t i = it->second;
    const uint16_t old = held_[i];
    if (old == mark) return;
    if (old == expected_[i]) --matched_;
    if (mark == expected_[i]) ++matched_;
    if (old == 0) ++held_count_;
    if (mark == 0) --held_count_;
    held_[i] = mark;
  }

  void CheckComplete() {
    if (!complete_ && matched_ == expected_.size()) {
      complete_ = true;
      Event(absl::StrCat("complete ", NowNs(), " phase=", phase_, " updates=", updates_,
                         " unexpected=", unexpected_));
    } else if (complete_ && matched_ != expected_.size()) {
      complete_ = false;
    }
  }

  Loop loop_;
  RouteSet set_;
  absl::flat_hash_map<uint64_t, uint32_t> index_;
  std::vector<uint16_t> expected_;
  std::vector<uint16_t> held_;
  size_t matched_ = 0;
  size_t held_count_ = 0;
  uint64_t unexpected_ = 0;
  uint64_t updates_ = 0;
  uint64_t treat_as_withdraw_ = 0;
  uint32_t asn_ = 65001;
  uint32_t strip_as_ = 0;
  uint32_t router_id_ = 0;
  uint16_t hold_ = 240;
  uint16_t port_ = 179;
  bool listen_ = false;
  IpAddress remote_;
  bool established_ = false;
  bool complete_ = false;
  int phase_ = 0;
  int64_t last_progress_ = 0;
};

int Main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  const std::string usage =
      "usage: bgperf tester --target IP --local-base IP [--port N] [--hold S] [--start all|each]\n"
      "                     [--churn] [--sndbuf BYTES] ROUTES\n"
      "       bgperf monitor (--connect IP | --listen IP) [--port N] [--as N] [--router-id IP]\n"
      "                     [--strip-as N] [--hold S] ROUTES\n"
      "ROUTES: [--routes synthetic|realistic|mrt] [--mrt FILE] [--peers N] [--prefixes N]\n"
      "        [--shared] [--best-peer I] [--as-base N] [--churn-percent P] [--seed N]\n";
  if (argc < 2) Die(usage);
  const std::string mode = argv[1];
  if (mode == "tester") {
    Flags f(argc, argv, 2, {"shared", "churn"});
    Tester t(f);
    t.Run();
  } else if (mode == "monitor") {
    Flags f(argc, argv, 2, {"shared"});
    Monitor m(f);
    m.Run();
  } else {
    Die(usage);
  }
  return 0;
}

}  // namespace
}  // namespace kbgp::bgperf

int main(int argc, char** argv) { return kbgp::bgperf::Main(argc, argv); }
