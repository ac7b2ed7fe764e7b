// Micro-benchmark of the UPDATE decoder on a real full table: the IPv4 routes of the 2002
// RIPE RIS dump (testdata/mrt/bview.20020722.2337.gz), packed into UPDATEs the way a speaker
// sends them (prefixes that share attributes in one message, up to 4096 bytes), then decoded
// again and again. Reports prefixes per second (items_per_second).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "daemon/mrt/mrt.h"
#include "daemon/wire/message.h"

namespace kbgp {
namespace {

struct Corpus {
  std::vector<Bytes> messages;
  size_t prefixes = 0;
  size_t bytes = 0;
};

// Packs the table's IPv4 unicast routes into UPDATEs. Every message is checked to decode.
const Corpus& TableAsUpdates() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    const std::string path = std::string(KBGP_MRT_DATA_DIR) + "/bview.20020722.2337.gz";
    auto reader = mrt::FileReader::Open(path);
    if (!reader.ok()) {
      std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
      std::abort();
    }
    mrt::Decoder decoder;
    mrt::RawRecord raw;
    wire::CodecOptions opts;  // 4-octet AS session
    // Group prefixes by their encoded attributes, in first-seen order.
    absl::flat_hash_map<std::string, size_t> index;
    std::vector<std::pair<wire::PathAttributes, std::vector<wire::Nlri>>> groups;
    while (true) {
      auto more = (*reader)->Next(&raw);
      if (!more.ok() || !*more) break;
      auto rec = decoder.Decode(raw);
      if (!rec.ok()) continue;
      auto* rib = std::get_if<mrt::Rib>(&*rec);
      if (rib == nullptr || rib->family != wire::kIPv4Unicast) continue;
      for (const mrt::RibEntry& e : rib->entries) {
        wire::PathAttributes attrs = e.attrs;
        attrs.mp_reach.reset();
        if (!attrs.next_hop) attrs.next_hop = e.peer.address;
        Bytes key;
        if (!wire::EncodePathAttributes(attrs, opts, &key).ok()) continue;
        auto [it, added] = index.try_emplace(std::string(key.begin(), key.end()), groups.size());
        if (added) groups.emplace_back(std::move(attrs), std::vector<wire::Nlri>{});
        groups[it->second].second.push_back(wire::Nlri{rib->prefix, 0});
      }
    }
    for (auto& [attrs, nlri] : groups) {
      size_t i = 0;
      while (i < nlri.size()) {
        wire::Update u;
        u.attrs = attrs;
        Bytes probe;
        if (!wire::EncodeMessage(u, opts, &probe).ok()) break;
        size_t room = wire::kMaxMessageLength - probe.size();
        while (i < nlri.size() && wire::NlriSize(nlri[i], false) <= room) {
          room -= wire::NlriSize(nlri[i], false);
          u.nlri.push_back(nlri[i++]);
        }
        Bytes msg;
        if (!wire::EncodeMessage(u, opts, &msg).ok() || !wire::DecodeMessage(msg, opts).ok()) {
          std::fprintf(stderr, "packing the table failed\n");
          std::abort();
        }
        c->prefixes += u.nlri.size();
        c->bytes += msg.size();
        c->messages.push_back(std::move(msg));
      }
    }
    return c;
  }();
  return *corpus;
}

void BM_DecodeFullTableUpdates(benchmark::State& state) {
  const Corpus& c = TableAsUpdates();
  wire::CodecOptions opts;
  size_t decoded = 0;
  for (auto _ : state) {
    for (const Bytes& m : c.messages) {
      auto msg = wire::DecodeMessage(m, opts);
      benchmark::DoNotOptimize(msg);
      decoded += std::get<wire::Update>(*msg).nlri.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(decoded));
  state.SetBytesProcessed(static_cast<int64_t>(c.bytes * state.iterations()));
  state.counters["updates"] = static_cast<double>(c.messages.size());
  state.counters["prefixes"] = static_cast<double>(c.prefixes);
}
BENCHMARK(BM_DecodeFullTableUpdates)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kbgp

BENCHMARK_MAIN();
