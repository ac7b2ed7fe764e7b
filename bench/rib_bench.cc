// RIB load benchmark: UPDATE decode -> AttrSet interning -> Adj-RIB-In -> decision -> Loc-RIB.
//
// Scenarios (each in its own child process, so resident memory is measured cleanly):
//  mrt        the 2002 RIPE RIS full table (testdata/mrt/bview.20020722.2337.gz) offered by
//             10 eBGP peers (about 1.15M paths): each peer sends the table packed into UPDATEs
//             (prefixes sharing attributes in one message, as a speaker sends them), with its
//             own next hop and its AS prepended (every fourth peer prepends twice), so no
//             attribute set is shared between peers.
//  bgperf     bgperf's shape, the one BIRD's figure comes from: 10 peers x 100,000 distinct
//             /32s each (1M destinations, one path each).
//  single     1,000,000 distinct /32s from one peer (one AS path per 100 prefixes).
// The UPDATE bytes are built before the clock starts (that is the tester's work). Memory is
// VmRSS after minus VmRSS before the load (after malloc_trim, so freed heap is not reused
// silently), divided by the number of paths; VmHWM and the heap in use are printed too.
//
// RIB_BENCH_EXPORT=plain then times sending the whole table to one new eBGP peer (the
// initial table of a session) and the Adj-RIB-Out's memory; RIB_BENCH_EXPORT=addpath does
// the same with multipath on (relaxed) and ADD-PATH send towards the peer, so it gets every
// ECMP set.
//
// Usage: rib_bench [mrt|bgperf|single]...   (default: all three)
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daemon/mrt/mrt.h"
#include "daemon/rib/rib.h"
#include "daemon/wire/message.h"

namespace kbgp {
namespace {

struct PeerFeed {
  rib::PeerInfo info;
  std::vector<Bytes> messages;  // whole UPDATE messages
  size_t prefixes = 0;
};

long StatusKb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(f, line)) {
    if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n + 1);
  }
  return -1;
}

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "rib_bench: %s\n", msg.c_str());
  std::exit(1);
}

rib::PeerInfo MakePeer(int i) {
  rib::PeerInfo p;
  p.local_as = 65000;
  p.peer_as = 64700 + static_cast<uint32_t>(i);
  p.address = IpAddress::V4(0x0a000001 + static_cast<uint32_t>(i));
  p.router_id = 0x01000001 + static_cast<uint32_t>(i);
  p.local_router_id = 0x0a0a0a0a;
  p.local_address = IpAddress::V4(0x0a0000fe);
  return p;
}

// Packs (attributes, prefixes) groups into UPDATE messages of at most 4096 bytes.
void Pack(const wire::PathAttributes& attrs, const std::vector<wire::Nlri>& nlri,
          PeerFeed* feed) {
  const wire::CodecOptions opts;
  size_t i = 0;
  while (i < nlri.size()) {
    wire::Update u;
    u.attrs = attrs;
    Bytes probe;
    if (!wire::EncodeMessage(u, opts, &probe).ok()) Die("cannot encode attributes");
    size_t room = wire::kMaxMessageLength - probe.size();
    while (i < nlri.size() && wire::NlriSize(nlri[i], false) <= room) {
      room -= wire::NlriSize(nlri[i], false);
      u.nlri.push_back(nlri[i++]);
    }
    Bytes msg;
    if (!wire::EncodeMessage(u, opts, &msg).ok()) Die("cannot encode UPDATE");
    feed->prefixes += u.nlri.size();
    feed->messages.push_back(std::move(msg));
  }
}

std::vector<PeerFeed> MrtFeeds(int peers) {
  const std::string path = std::string(KBGP_MRT_DATA_DIR) + "/bview.20020722.2337.gz";
  auto reader = mrt::FileReader::Open(path);
  if (!reader.ok()) Die(reader.status().ToString());
  mrt::Decoder decoder;
  mrt::RawRecord raw;
  std::vector<std::pair<wire::PathAttributes, Prefix>> entries;
  while (true) {
    auto more = (*reader)->Next(&raw);
    if (!more.ok()) Die(more.status().ToString());
    if (!*more) break;
    auto rec = decoder.Decode(raw);
    if (!rec.ok()) continue;
    auto* r = std::get_if<mrt::Rib>(&*rec);
    if (r == nullptr || r->family != wire::kIPv4Unicast) continue;
    for (const mrt::RibEntry& e : r->entries) {
      wire::PathAttributes a = e.attrs;
      a.mp_reach.reset();
      entries.emplace_back(std::move(a), r->prefix);
    }
  }
  std::vector<PeerFeed> feeds(peers);
  for (int p = 0; p < peers; ++p) {
    PeerFeed& feed = feeds[p];
    feed.info = MakePeer(p);
    absl::flat_hash_map<std::string, size_t> index;
    std::vector<std::pair<wire::PathAttributes, std::vector<wire::Nlri>>> groups;
    const wire::CodecOptions opts;
    for (const auto& [attrs, prefix] : entries) {
      wire::PathAttributes a = attrs;
      a.next_hop = feed.info.address;
      if (!a.as_path) a.as_path.emplace();
      const int prepends = (p % 4 == 3) ? 2 : 1;
      for (int k = 0; k < prepends; ++k) {
        if (!a.as_path->empty() && a.as_path->front().type == wire::AsSegmentType::kSequence) {
          a.as_path->front().asns.insert(a.as_path->front().asns.begin(), feed.info.peer_as);
        } else {
          a.as_path->insert(a.as_path->begin(),
                            wire::AsSegment{wire::AsSegmentType::kSequence, {feed.info.peer_as}});
        }
      }
      Bytes key;
      if (!wire::EncodePathAttributes(a, opts, &key).ok()) continue;
      auto [it, added] = index.try_emplace(std::string(key.begin(), key.end()), groups.size());
      if (added) groups.emplace_back(std::move(a), std::vector<wire::Nlri>{});
      groups[it->second].second.push_back(wire::Nlri{prefix, 0});
    }
    for (const auto& [a, nlri] : groups) Pack(a, nlri, &feed);
  }
  return feeds;
}

// `peers` peers, each with `per_peer` distinct /32s (from 100.0.0.0 on, as bgperf), one AS
// path per `per_set` prefixes.
std::vector<PeerFeed> SyntheticFeeds(int peers, uint32_t per_peer, uint32_t per_set) {
  std::vector<PeerFeed> feeds(peers);
  uint32_t next = 0x64000000;
  for (int p = 0; p < peers; ++p) {
    PeerFeed& feed = feeds[p];
    feed.info = MakePeer(p);
    for (uint32_t start = 0; start < per_peer; start += per_set) {
      wire::PathAttributes a;
      a.origin = wire::Origin::kIgp;
      a.as_path = wire::AsPath{wire::AsSegment{
          wire::AsSegmentType::kSequence, {feed.info.peer_as, 3356, 10000 + start / per_set}}};
      a.next_hop = feed.info.address;
      std::vector<wire::Nlri> nlri;
      for (uint32_t k = start; k < per_peer && k < start + per_set; ++k) {
        nlri.push_back(wire::Nlri{Prefix::Make(IpAddress::V4(next++), 32), 0});
      }
      Pack(a, nlri, &feed);
    }
  }
  return feeds;
}

int RunScenario(const std::string& name) {
  std::vector<PeerFeed> feeds;
  if (name == "mrt") {
    feeds = MrtFeeds(10);
  } else if (name == "bgperf") {
    feeds = SyntheticFeeds(10, 100000, 100000);
  } else if (name == "single") {
    feeds = SyntheticFeeds(1, 1000000, 100);
  } else {
    Die("unknown scenario " + name);
  }
  size_t messages = 0, offered = 0;
  for (const PeerFeed& f : feeds) {
    messages += f.messages.size();
    offered += f.prefixes;
  }
  // The decoder alone, for the breakdown (not part of the load below).
  const wire::CodecOptions opts;
  double decode_secs = 0;
  {
    const auto d0 = std::chrono::steady_clock::now();
    size_t n = 0;
    for (const PeerFeed& f : feeds) {
      for (const Bytes& m : f.messages) {
        auto u = wire::DecodeUpdate(ByteSpan(m).subspan(wire::kHeaderLength), opts);
        if (!u.ok()) Die(u.status().ToString());
        n += u->nlri.size();
      }
    }
    decode_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - d0).count();
    if (n != offered) Die("decode lost prefixes");
  }
  malloc_trim(0);
  const long rss0 = StatusKb("VmRSS:");
  const size_t heap0 = mallinfo2().uordblks;

  const auto t0 = std::chrono::steady_clock::now();
  const char* export_mode = std::getenv("RIB_BENCH_EXPORT");  // "plain" or "addpath"
  const bool addpath = export_mode != nullptr && std::strcmp(export_mode, "addpath") == 0;
  rib::DecisionOptions decision;
  decision.multipath = decision.multipath_relax = addpath;
  auto* table = new rib::Rib(rib::RibOptions{65000, 0x0a0a0a0a, decision});
  for (const PeerFeed& f : feeds) {
    const rib::PeerId id = table->AddPeer(f.info);
    for (const Bytes& m : f.messages) {
      auto u = wire::DecodeUpdate(ByteSpan(m).subspan(wire::kHeaderLength), opts);
      if (!u.ok()) Die(u.status().ToString());
      table->ApplyUpdate(id, *u);
    }
  }
  table->Flush();  // no established peers: only clears the dirty list
  const auto t1 = std::chrono::steady_clock::now();

  const long rss1 = StatusKb("VmRSS:");
  const long hwm = StatusKb("VmHWM:");
  const size_t heap1 = mallinfo2().uordblks;
  const double secs = std::chrono::duration<double>(t1 - t0).count();
  const size_t paths = table->path_count();
  const size_t dests = table->destination_count(Family::kIPv4);
  std::printf(
      "%-7s peers=%zu messages=%zu offered=%zu paths=%zu destinations=%zu attr_sets=%zu "
      "as_paths=%zu\n"
      "        load %.3f s (%.0f ns/path; of which UPDATE decoding alone takes %.3f s)\n"
      "        RSS %+.1f MiB = %.1f B/path (total %.1f MiB, "
      "HWM %.1f MiB)  heap %.1f B/path\n",
      name.c_str(), feeds.size(), messages, offered, paths, dests, table->pool().set_count(),
      table->pool().as_path_count(), secs, secs * 1e9 / static_cast<double>(paths), decode_secs,
      (rss1 - rss0) / 1024.0, (rss1 - rss0) * 1024.0 / static_cast<double>(paths),
      rss1 / 1024.0, hwm / 1024.0,
      static_cast<double>(heap1 - heap0) / static_cast<double>(paths));
  std::fflush(stdout);
  if (export_mode != nullptr) {
    // The whole table to one new eBGP peer, as its session's initial table (export rules,
    // Adj-RIB-Out, packing into UPDATEs). "addpath": multipath (relaxed across neighbor ASes)
    // was on for the load and the peer has ADD-PATH send, so it gets every ECMP set.
    rib::PeerInfo m = MakePeer(1000);
    m.peer_as = 64999;
    m.add_path_send_ipv4 = addpath;
    const rib::PeerId id = table->AddPeer(m);
    table->PeerEstablished(id);
    malloc_trim(0);
    const long e_rss0 = StatusKb("VmRSS:");
    const auto e0 = std::chrono::steady_clock::now();
    std::vector<rib::PeerUpdates> out = table->Flush();
    const auto e1 = std::chrono::steady_clock::now();
    size_t updates = 0, nlri = 0;
    for (const rib::PeerUpdates& pu : out) {
      updates += pu.updates.size();
      for (const wire::Update& u : pu.updates) nlri += u.nlri.size();
    }
    out.clear();
    out.shrink_to_fit();
    malloc_trim(0);
    const long e_rss1 = StatusKb("VmRSS:");
    const size_t sent = table->adj_rib_out(id).size();
    std::printf(
        "        export (%s) %.3f s: %zu UPDATEs, %zu NLRI; Adj-RIB-Out %zu paths, "
        "RSS %+.1f MiB = %.1f B/path sent\n",
        export_mode, std::chrono::duration<double>(e1 - e0).count(), updates, nlri, sent,
        (e_rss1 - e_rss0) / 1024.0,
        (e_rss1 - e_rss0) * 1024.0 / static_cast<double>(sent ? sent : 1));
    std::fflush(stdout);
  }
  if (std::getenv("RIB_BENCH_NO_FREE") == nullptr) {
    const auto t2 = std::chrono::steady_clock::now();
    delete table;
    const auto t3 = std::chrono::steady_clock::now();
    std::printf("        teardown %.3f s\n", std::chrono::duration<double>(t3 - t2).count());
  }
  return 0;
}

}  // namespace
}  // namespace kbgp

int main(int argc, char** argv) {
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) names.emplace_back(argv[i]);
  if (names.empty()) names = {"mrt", "bgperf", "single"};
  if (names.size() == 1) return kbgp::RunScenario(names[0]);
  int rc = 0;
  for (const std::string& n : names) {
    // A child per scenario: resident memory is per process.
    const pid_t pid = fork();
    if (pid == 0) _exit(kbgp::RunScenario(n));
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) rc = 1;
  }
  return rc;
}
