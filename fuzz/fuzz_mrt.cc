// Arbitrary bytes as an MRT stream: every record is framed and decoded without a crash, and
// every TABLE_DUMP_V2 peer index table and (non-generic) RIB record survives write -> read
// unchanged (the writer must only emit what the reader decodes to the same value).
#include <cstddef>
#include <cstdint>
#include <variant>

#include "daemon/mrt/mrt.h"
#include "fuzz/fuzz_common.h"

namespace {

using namespace kbgp;

// Decodes the single record in `bytes` with `d`.
absl::StatusOr<mrt::Record> Reread(const Bytes& bytes, mrt::Decoder* d) {
  mrt::SpanReader r(bytes);
  mrt::RawRecord raw;
  absl::StatusOr<bool> more = r.Next(&raw);
  if (!more.ok() || !*more) fuzz::Fail("re-encoded MRT record does not frame");
  absl::StatusOr<bool> end = r.Next(&raw);
  if (!end.ok() || *end) fuzz::Fail("re-encoded MRT record is more than one record");
  return d->Decode(raw);
}

// Says which part of a RIB record a round trip changed, so a finding is quick to read.
void DescribeRibDifference(const mrt::Rib& a, const mrt::Rib& b) {
  if (!(a.header == b.header)) std::fprintf(stderr, "header differs\n");
  if (a.prefix != b.prefix) {
    std::fprintf(stderr, "prefix %s -> %s\n", a.prefix.ToString().c_str(),
                 b.prefix.ToString().c_str());
  }
  if (a.entries.size() != b.entries.size()) {
    std::fprintf(stderr, "entries %zu -> %zu\n", a.entries.size(), b.entries.size());
    return;
  }
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const wire::PathAttributes& x = a.entries[i].attrs;
    const wire::PathAttributes& y = b.entries[i].attrs;
    if (x == y) {
      if (!(a.entries[i] == b.entries[i])) std::fprintf(stderr, "entry %zu: not attrs\n", i);
      continue;
    }
#define KBGP_DIFF(f) \
  if (!(x.f == y.f)) std::fprintf(stderr, "entry %zu: " #f " differs\n", i);
    KBGP_DIFF(origin) KBGP_DIFF(as_path) KBGP_DIFF(next_hop) KBGP_DIFF(med)
    KBGP_DIFF(local_pref) KBGP_DIFF(atomic_aggregate) KBGP_DIFF(aggregator)
    KBGP_DIFF(communities) KBGP_DIFF(originator_id) KBGP_DIFF(cluster_list)
    KBGP_DIFF(mp_reach) KBGP_DIFF(mp_unreach) KBGP_DIFF(extended_communities)
    KBGP_DIFF(large_communities) KBGP_DIFF(as4_path) KBGP_DIFF(as4_aggregator)
    KBGP_DIFF(unknown)
#undef KBGP_DIFF
    if (x.mp_reach && y.mp_reach && !(x.mp_reach == y.mp_reach)) {
      for (const wire::MpReach* m : {&*x.mp_reach, &*y.mp_reach}) {
        std::fprintf(stderr, "  mp_reach afi %u safi %u nh %s ll %s nlri %zu opaque %zu\n",
                     m->family.afi, m->family.safi, m->next_hop.ToString().c_str(),
                     m->link_local_next_hop ? m->link_local_next_hop->ToString().c_str() : "-",
                     m->nlri.size(), m->opaque.size());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mrt::SpanReader reader(ByteSpan(data, size));
  mrt::Decoder decoder;
  mrt::RawRecord raw;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&raw);
    if (!more.ok() || !*more) break;
    absl::StatusOr<mrt::Record> rec = decoder.Decode(raw);
    if (!rec.ok()) continue;

    if (const auto* t = std::get_if<mrt::PeerIndexTable>(&*rec)) {
      Bytes out;
      if (!mrt::EncodePeerIndexTable(*t, &out).ok()) fuzz::Fail("peer index table not encodable");
      mrt::Decoder fresh;
      absl::StatusOr<mrt::Record> again = Reread(out, &fresh);
      if (!again.ok()) fuzz::Fail("re-encoded peer index table does not decode");
      if (!(*again == *rec)) fuzz::Fail("peer index table changed in a round trip");
      continue;
    }
    const auto* rib = std::get_if<mrt::Rib>(&*rec);
    if (rib == nullptr || rib->header.type != mrt::kTableDumpV2 ||
        rib->header.subtype == mrt::td2::kRibGeneric ||
        rib->header.subtype == mrt::td2::kRibGenericAddPath) {
      continue;
    }
    Bytes out;
    // An attribute set the encoder cannot represent (a field over its limit) is not a finding.
    if (!mrt::EncodeRib(*rib, &out).ok()) continue;
    // The decoder still holds the table this RIB was decoded with.
    absl::StatusOr<mrt::Record> again = Reread(out, &decoder);
    if (!again.ok()) {
      std::fprintf(stderr, "%s\n", std::string(again.status().message()).c_str());
      fuzz::Fail("re-encoded RIB record does not decode");
    }
    if (!(*again == *rec)) {
      DescribeRibDifference(*rib, std::get<mrt::Rib>(*again));
      fuzz::Fail("RIB record changed in a round trip");
    }
  }
  return 0;
}
