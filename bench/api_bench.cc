// api_bench: GoBGP API throughput of one daemon (kbgpd or gobgpd), as a gRPC client.
//
//   api_bench --target 127.0.0.1:50051 [--unary 100000] [--stream 1000000] [--batch 1000]
//             [--json]
//
// The full run (no mode flag): StartBgp if the daemon has not started (AS 65000, router id
// 10.0.0.1, listen port -1), then
//   1. AddPath, one call at a time, for --unary N distinct /32s (198.18.0.0 upwards);
//   2. DeletePath with only the family (every local IPv4 path), then GetTable must say 0;
//   3. AddPathStream of --stream M distinct /32s (100.64.0.0 upwards) in requests of --batch
//      paths, then GetTable must count M destinations;
//   4. ListPath of the global IPv4 table: every destination read and counted (must be M);
//   5. GetTable of the global IPv4 table.
// Each measurement prints one line (routes, seconds, routes/s); --json prints each as one JSON
// object per line instead (JSON Lines, flushed as it completes, so a run cut short by a
// timeout still shows what finished). The last line is the client's own CPU time.
//
// Modes for tests (they combine, in this order; none of them runs the full run):
//   --start         StartBgp if not started (every mode does that first)
//   --add-peer ADDR --peer-as N [--hold S] [--keepalive S]   AddPeer with these timers
//   --load M        AddPathStream of M routes (and GetTable must count at least M)
//   --list          ListPath; with --expect N the count must be N
// Exit status: 0 when every step worked and every count matched, 1 otherwise, 2 for usage.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/attribute.pb.h"
#include "api/gobgp.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string target;
  uint64_t unary = 100000;
  uint64_t stream = 1000000;
  uint64_t batch = 1000;
  bool json = false;
  uint32_t asn = 65000;
  std::string router_id = "10.0.0.1";
  std::string next_hop = "192.0.2.1";
  uint32_t prefix_len = 32;
  std::string unary_base = "198.18.0.0";
  std::string stream_base = "100.64.0.0";
  double timeout = 600;  // seconds, per RPC
  // Modes.
  std::string add_peer;
  uint32_t peer_as = 0;
  uint64_t hold = 90;
  uint64_t keepalive = 30;
  bool start = false;
  std::optional<uint64_t> load;
  bool list = false;
  std::optional<uint64_t> expect;
};

const char kUsage[] =
    "usage: api_bench --target HOST:PORT [--unary N] [--stream M] [--batch B] [--json]\n"
    "                 [--as N] [--router-id ID] [--next-hop ADDR] [--prefix-len 32|24]\n"
    "                 [--unary-base ADDR] [--stream-base ADDR] [--timeout SECONDS]\n"
    "       api_bench --target HOST:PORT [--start] [--add-peer ADDR --peer-as N [--hold S]\n"
    "                 [--keepalive S]] [--load M] [--list [--expect N]] [--json]\n";

bool ParseU64(const char* s, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') return false;
  *out = v;
  return true;
}

// Returns an error text, or "" when the flags are good.
std::string ParseFlags(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](const char** v) {
      if (i + 1 >= argc) return false;
      *v = argv[++i];
      return true;
    };
    auto u64 = [&](uint64_t* dst) {
      const char* v = nullptr;
      return next(&v) && ParseU64(v, dst);
    };
    auto str = [&](std::string* dst) {
      const char* v = nullptr;
      if (!next(&v)) return false;
      *dst = v;
      return true;
    };
    uint64_t n = 0;
    bool ok = true;
    if (a == "--target") {
      ok = str(&o->target);
    } else if (a == "--unary") {
      ok = u64(&o->unary);
    } else if (a == "--stream") {
      ok = u64(&o->stream);
    } else if (a == "--batch") {
      ok = u64(&o->batch) && o->batch > 0;
    } else if (a == "--json") {
      o->json = true;
    } else if (a == "--as") {
      ok = u64(&n) && n > 0 && n <= UINT32_MAX;
      o->asn = static_cast<uint32_t>(n);
    } else if (a == "--router-id") {
      ok = str(&o->router_id);
    } else if (a == "--next-hop") {
      ok = str(&o->next_hop);
    } else if (a == "--prefix-len") {
      ok = u64(&n) && (n == 32 || n == 24);
      o->prefix_len = static_cast<uint32_t>(n);
    } else if (a == "--unary-base") {
      ok = str(&o->unary_base);
    } else if (a == "--stream-base") {
      ok = str(&o->stream_base);
    } else if (a == "--timeout") {
      ok = u64(&n) && n > 0;
      o->timeout = static_cast<double>(n);
    } else if (a == "--start") {
      o->start = true;
    } else if (a == "--add-peer") {
      ok = str(&o->add_peer);
    } else if (a == "--peer-as") {
      ok = u64(&n) && n > 0 && n <= UINT32_MAX;
      o->peer_as = static_cast<uint32_t>(n);
    } else if (a == "--hold") {
      ok = u64(&o->hold);
    } else if (a == "--keepalive") {
      ok = u64(&o->keepalive);
    } else if (a == "--load") {
      ok = u64(&n);
      o->load = n;
    } else if (a == "--list") {
      o->list = true;
    } else if (a == "--expect") {
      ok = u64(&n);
      o->expect = n;
    } else if (a == "-h" || a == "--help") {
      return "help";
    } else {
      return "unknown flag " + a;
    }
    if (!ok) return "bad or missing value for " + a;
  }
  if (o->target.empty()) return "--target is required";
  if (!o->add_peer.empty() && o->peer_as == 0) return "--add-peer needs --peer-as";
  return "";
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args);
    stub_ = apipb::GobgpApi::NewStub(channel_);
  }

  // Prints one measurement: name, routes, seconds, routes/s (and any extra JSON fields).
  void Report(const std::string& name, uint64_t routes, double secs, const std::string& extra = "",
              const std::string& extra_json = "") {
    double rate = secs > 0 ? static_cast<double>(routes) / secs : 0;
    if (o_.json) {
      std::printf(
          "{\"target\":\"%s\",\"measurement\":\"%s\",\"routes\":%llu,\"seconds\":%.3f,"
          "\"routes_per_s\":%.0f%s}\n",
          o_.target.c_str(), name.c_str(), static_cast<unsigned long long>(routes), secs, rate,
          extra_json.c_str());
    } else {
      std::printf("%-22s %9llu routes %9.3f s %10.0f routes/s%s\n", name.c_str(),
                  static_cast<unsigned long long>(routes), secs, rate, extra.c_str());
    }
    std::fflush(stdout);
  }

  void Fail(const std::string& what) {
    std::fprintf(stderr, "api_bench: %s\n", what.c_str());
    std::fflush(stderr);
    failed_ = true;
  }
  bool failed() const { return failed_; }

  std::unique_ptr<grpc::ClientContext> Ctx() const {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(o_.timeout * 1000)));
    return c;
  }

  static std::string Err(const grpc::Status& s) {
    return "status " + std::to_string(static_cast<int>(s.error_code())) + ": " + s.error_message();
  }

  // StartBgp unless the daemon runs already (GetBgp reports an AS once started).
  bool EnsureStarted() {
    // The daemon may still be binding its API port: wait for the channel (up to 30 s).
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30))) {
      Fail("cannot connect to " + o_.target);
      return false;
    }
    apipb::GetBgpResponse r;
    grpc::Status s = stub_->GetBgp(Ctx().get(), apipb::GetBgpRequest(), &r);
    if (s.ok() && r.global().asn() != 0) return true;
    apipb::StartBgpRequest req;
    req.mutable_global()->set_asn(o_.asn);
    req.mutable_global()->set_router_id(o_.router_id);
    req.mutable_global()->set_listen_port(-1);
    google::protobuf::Empty e;
    s = stub_->StartBgp(Ctx().get(), req, &e);
    if (!s.ok()) {
      Fail("StartBgp: " + Err(s));
      return false;
    }
    return true;
  }

  bool AddPeer() {
    apipb::AddPeerRequest req;
    apipb::Peer* p = req.mutable_peer();
    p->mutable_conf()->set_neighbor_address(o_.add_peer);
    p->mutable_conf()->set_peer_asn(o_.peer_as);
    p->mutable_timers()->mutable_config()->set_hold_time(o_.hold);
    p->mutable_timers()->mutable_config()->set_keepalive_interval(o_.keepalive);
    google::protobuf::Empty e;
    grpc::Status s = stub_->AddPeer(Ctx().get(), req, &e);
    if (!s.ok()) {
      Fail("AddPeer " + o_.add_peer + ": " + Err(s));
      return false;
    }
    if (!o_.json) {
      std::printf("AddPeer %s as %u hold %llu keepalive %llu: ok\n", o_.add_peer.c_str(),
                  o_.peer_as, static_cast<unsigned long long>(o_.hold),
                  static_cast<unsigned long long>(o_.keepalive));
      std::fflush(stdout);
    }
    return true;
  }

  static apipb::Family Ipv4() {
    apipb::Family f;
    f.set_afi(apipb::Family::AFI_IP);
    f.set_safi(apipb::Family::SAFI_UNICAST);
    return f;
  }

  // The i-th prefix from `base` (a /32 or /24 each).
  std::string PrefixAt(uint32_t base, uint64_t i) const {
    uint32_t step = o_.prefix_len == 32 ? 1u : 256u;
    uint32_t a = htonl(base + static_cast<uint32_t>(i) * step);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
  }

  // A path for `prefix`: origin IGP and a next hop, as the gobgp CLI sends one.
  apipb::Path MakePath(const std::string& prefix) const {
    apipb::Path p;
    apipb::IPAddressPrefix n;
    n.set_prefix(prefix);
    n.set_prefix_len(o_.prefix_len);
    p.mutable_nlri()->PackFrom(n);
    *p.mutable_family() = Ipv4();
    apipb::OriginAttribute origin;
    origin.set_origin(0);
    p.add_pattrs()->PackFrom(origin);
    apipb::NextHopAttribute nh;
    nh.set_next_hop(o_.next_hop);
    p.add_pattrs()->PackFrom(nh);
    return p;
  }

  // GetTable of the global IPv4 table; nullopt on error.
  std::optional<apipb::GetTableResponse> Table() {
    apipb::GetTableRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_family() = Ipv4();
    apipb::GetTableResponse r;
    grpc::Status s = stub_->GetTable(Ctx().get(), req, &r);
    if (!s.ok()) {
      Fail("GetTable: " + Err(s));
      return std::nullopt;
    }
    return r;
  }

  bool Unary(uint64_t n, uint32_t base) {
    auto t0 = Clock::now();
    for (uint64_t i = 0; i < n; ++i) {
      apipb::AddPathRequest req;
      req.set_table_type(apipb::GLOBAL);
      *req.mutable_path() = MakePath(PrefixAt(base, i));
      apipb::AddPathResponse resp;
      grpc::Status s = stub_->AddPath(Ctx().get(), req, &resp);
      if (!s.ok()) {
        Fail("AddPath #" + std::to_string(i) + ": " + Err(s));
        return false;
      }
    }
    Report("AddPath (unary)", n, Seconds(t0));
    return true;
  }

  bool DeleteAll(uint64_t held) {
    auto t0 = Clock::now();
    apipb::DeletePathRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_family() = Ipv4();
    google::protobuf::Empty e;
    grpc::Status s = stub_->DeletePath(Ctx().get(), req, &e);
    if (!s.ok()) {
      Fail("DeletePath (family): " + Err(s));
      return false;
    }
    // Done when the table is empty (a daemon may delete after answering).
    for (;;) {
      auto t = Table();
      if (!t) return false;
      if (t->num_destination() == 0) break;
      if (Seconds(t0) > o_.timeout) {
        Fail("DeletePath: " + std::to_string(t->num_destination()) + " destinations left");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Report("DeletePath (family)", held, Seconds(t0));
    return true;
  }

  // AddPathStream of m routes in requests of o_.batch paths. The request is built once and
  // only its prefixes are rewritten per batch, so the client spends little per path.
  bool Stream(uint64_t m, uint32_t base, uint64_t expect_at_least) {
    auto t0 = Clock::now();
    auto ctx = Ctx();
    google::protobuf::Empty e;
    auto writer = stub_->AddPathStream(ctx.get(), &e);
    apipb::AddPathStreamRequest req;
    req.set_table_type(apipb::GLOBAL);
    apipb::IPAddressPrefix n;
    n.set_prefix_len(o_.prefix_len);
    bool wrote = true;
    for (uint64_t done = 0; done < m && wrote;) {
      uint64_t k = std::min<uint64_t>(o_.batch, m - done);
      while (static_cast<uint64_t>(req.paths_size()) > k) req.mutable_paths()->RemoveLast();
      while (static_cast<uint64_t>(req.paths_size()) < k) *req.add_paths() = MakePath("0.0.0.0");
      for (uint64_t j = 0; j < k; ++j) {
        n.set_prefix(PrefixAt(base, done + j));
        req.mutable_paths(static_cast<int>(j))->mutable_nlri()->PackFrom(n);
      }
      wrote = writer->Write(req);
      done += k;
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    double stream_secs = Seconds(t0);
    if (!wrote || !s.ok()) {
      Fail("AddPathStream: " + (s.ok() ? std::string("write failed") : Err(s)));
      return false;
    }
    // The stream's end is not necessarily the table's: wait until GetTable counts them all.
    uint64_t dests = 0;
    for (;;) {
      auto t = Table();
      if (!t) return false;
      dests = t->num_destination();
      if (dests >= expect_at_least) break;
      if (Seconds(t0) > o_.timeout) {
        Fail("AddPathStream: the table holds " + std::to_string(dests) + " destinations, " +
             "expected " + std::to_string(expect_at_least));
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    double secs = Seconds(t0);
    char extra[160];
    std::snprintf(extra, sizeof extra, "  (stream closed after %.3f s, batches of %llu)",
                  stream_secs, static_cast<unsigned long long>(o_.batch));
    char extra_json[160];
    std::snprintf(extra_json, sizeof extra_json, ",\"stream_seconds\":%.3f,\"batch\":%llu",
                  stream_secs, static_cast<unsigned long long>(o_.batch));
    Report("AddPathStream", m, secs, extra, extra_json);
    return true;
  }

  // ListPath of the global IPv4 table; counts destinations and paths.
  bool List(std::optional<uint64_t> expect) {
    auto t0 = Clock::now();
    apipb::ListPathRequest req;
    req.set_table_type(apipb::GLOBAL);
    *req.mutable_family() = Ipv4();
    auto ctx = Ctx();
    auto reader = stub_->ListPath(ctx.get(), req);
    apipb::ListPathResponse r;
    uint64_t dests = 0, paths = 0;
    double first = -1;
    while (reader->Read(&r)) {
      if (first < 0) first = Seconds(t0);
      ++dests;
      paths += static_cast<uint64_t>(r.destination().paths_size());
    }
    grpc::Status s = reader->Finish();
    double secs = Seconds(t0);
    if (!s.ok()) {
      Fail("ListPath: " + Err(s) + " after " + std::to_string(dests) + " destinations");
      return false;
    }
    char extra[160];
    std::snprintf(extra, sizeof extra, "  (%llu paths, first after %.3f s)",
                  static_cast<unsigned long long>(paths), first < 0 ? 0.0 : first);
    char extra_json[160];
    std::snprintf(extra_json, sizeof extra_json, ",\"paths\":%llu,\"first_seconds\":%.3f",
                  static_cast<unsigned long long>(paths), first < 0 ? 0.0 : first);
    Report("ListPath", dests, secs, extra, extra_json);
    if (expect && dests != *expect) {
      Fail("ListPath: " + std::to_string(dests) + " destinations, expected " +
           std::to_string(*expect));
      return false;
    }
    return true;
  }

  bool GetTable(uint64_t expect) {
    auto t0 = Clock::now();
    auto t = Table();
    if (!t) return false;
    double secs = Seconds(t0);
    Report("GetTable", t->num_destination(), secs);
    if (t->num_destination() != expect) {
      Fail("GetTable: " + std::to_string(t->num_destination()) + " destinations, expected " +
           std::to_string(expect));
      return false;
    }
    return true;
  }

  void ReportCpu() {
    if (o_.json) {
      std::printf("{\"target\":\"%s\",\"client_cpu_seconds\":%.3f}\n", o_.target.c_str(),
                  CpuSeconds());
    } else {
      std::printf("client CPU: %.3f s\n", CpuSeconds());
    }
    std::fflush(stdout);
  }

  uint32_t Base(const std::string& addr) {
    in_addr a{};
    if (inet_pton(AF_INET, addr.c_str(), &a) != 1) {
      Fail("not an IPv4 address: " + addr);
      return 0;
    }
    return ntohl(a.s_addr);
  }

 private:
  Options o_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<apipb::GobgpApi::Stub> stub_;
  bool failed_ = false;
};

int RunModes(const Options& o, Bench& b) {
  if (!b.EnsureStarted()) return 1;
  if (!o.add_peer.empty() && !b.AddPeer()) return 1;
  if (o.load) {
    auto before = b.Table();
    if (!before) return 1;
    uint32_t base = b.Base(o.stream_base);
    if (b.failed() || !b.Stream(*o.load, base, before->num_destination() + *o.load)) return 1;
  }
  if (o.list && !b.List(o.expect)) return 1;
  b.ReportCpu();
  return b.failed() ? 1 : 0;
}

int RunAll(const Options& o, Bench& b) {
  if (!b.EnsureStarted()) return 1;
  uint32_t unary_base = b.Base(o.unary_base);
  uint32_t stream_base = b.Base(o.stream_base);
  if (b.failed()) return 1;
  auto before = b.Table();
  if (!before) return 1;
  if (before->num_destination() != 0) {
    // Not a fresh daemon: start from an empty table.
    if (!b.DeleteAll(before->num_destination())) return 1;
  }
  if (o.unary > 0) {
    if (!b.Unary(o.unary, unary_base)) return 1;
    if (!b.DeleteAll(o.unary)) return 1;
  }
  if (o.stream > 0) {
    if (!b.Stream(o.stream, stream_base, o.stream)) return 1;
    if (!b.List(o.stream)) return 1;
    if (!b.GetTable(o.stream)) return 1;
  }
  b.ReportCpu();
  return b.failed() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string err = ParseFlags(argc, argv, &o);
  if (err == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!err.empty()) {
    std::fprintf(stderr, "api_bench: %s\n%s", err.c_str(), kUsage);
    return 2;
  }
  Bench b(o);
  bool modes = o.start || !o.add_peer.empty() || o.load || o.list;
  return modes ? RunModes(o, b) : RunAll(o, b);
}
