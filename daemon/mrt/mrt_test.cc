#include "daemon/mrt/mrt.h"

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kbgp::mrt {
namespace {

using ::testing::HasSubstr;

std::string DataFile(const std::string& name) {
  return std::string(KBGP_MRT_DATA_DIR) + "/" + name;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (std::to_string(::getpid()) + "_" + name)).string();
}

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
Prefix Pfx(const char* s) { return *Prefix::Parse(s); }

// Routes as bgpdump -m counts them: one per RIB entry of a unicast RIB record, one per
// announced or withdrawn NLRI of an UPDATE, one per state change.
size_t RouteCount(const Record& rec) {
  if (const Rib* rib = std::get_if<Rib>(&rec)) return rib->entries.size();
  if (std::holds_alternative<StateChange>(rec)) return 1;
  if (const Bgp4mpMessage* m = std::get_if<Bgp4mpMessage>(&rec)) {
    const wire::Update* u = std::get_if<wire::Update>(&m->message);
    if (u == nullptr) return 0;
    size_t n = u->withdrawn.size() + u->nlri.size();
    if (u->attrs.mp_reach) n += u->attrs.mp_reach->nlri.size();
    if (u->attrs.mp_unreach) n += u->attrs.mp_unreach->withdrawn.size();
    return n;
  }
  return 0;
}

struct FileStats {
  std::map<std::pair<int, int>, int> records;  // (type, subtype) -> count
  size_t routes = 0;
  int errors = 0;
};

FileStats ReadAll(const std::string& path, std::vector<Record>* keep = nullptr,
                  bool errors_expected = false) {
  FileStats st;
  absl::StatusOr<std::unique_ptr<FileReader>> r = FileReader::Open(path);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return st;
  Decoder d;
  RawRecord raw;
  while (true) {
    absl::StatusOr<bool> more = (*r)->Next(&raw);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    st.records[{raw.type, raw.subtype}]++;
    absl::StatusOr<Record> rec = d.Decode(raw);
    if (!rec.ok()) {
      if (!errors_expected) {
        ADD_FAILURE() << path << " offset " << raw.offset << ": " << rec.status();
      }
      ++st.errors;
      continue;
    }
    EXPECT_FALSE(std::holds_alternative<Unsupported>(*rec)) << raw.type << "/" << raw.subtype;
    st.routes += RouteCount(*rec);
    if (keep) keep->push_back(*std::move(rec));
  }
  return st;
}

// The uncompressed stream of a file, rebuilt from its records (which also checks that
// EncodeRawRecord is the inverse of the reader).
Bytes StreamOf(const std::string& path) {
  Bytes out;
  auto r = FileReader::Open(path);
  EXPECT_TRUE(r.ok());
  RawRecord raw;
  while (true) {
    absl::StatusOr<bool> more = (*r)->Next(&raw);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    EXPECT_TRUE(EncodeRawRecord(raw, &out).ok());
  }
  return out;
}

Bytes Gunzip(const std::string& path) {
  Bytes out;
  gzFile gz = gzopen(path.c_str(), "rb");
  uint8_t buf[65536];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(gz);
  return out;
}

// ---- Every test dump parses, with the counts bgpdump -m gives ----

struct Expect {
  const char* file;
  std::map<std::pair<int, int>, int> records;  // verified with a separate script
  size_t routes;                               // == bgpdump -m line count
  int errors = 0;                              // records the decoder rejects
};

class DataFileTest : public testing::TestWithParam<Expect> {};

TEST_P(DataFileTest, ParsesWithBgpdumpCounts) {
  const Expect& e = GetParam();
  FileStats st = ReadAll(DataFile(e.file), nullptr, e.errors > 0);
  EXPECT_EQ(st.errors, e.errors);
  EXPECT_EQ(st.records, e.records);
  EXPECT_EQ(st.routes, e.routes);
}

TEST_P(DataFileTest, StreamRebuildsByteForByte) {
  const Expect& e = GetParam();
  EXPECT_EQ(StreamOf(DataFile(e.file)), Gunzip(DataFile(e.file)));
}

INSTANTIATE_TEST_SUITE_P(
    Dumps, DataFileTest,
    testing::Values(
        Expect{"bview.20020722.2337.gz", {{{12, 1}, 115521}}, 115521},
        Expect{"bview.64k_stream_overflow.gz", {{{13, 1}, 1}, {{13, 4}, 1}}, 23},
        Expect{"bview.ipv4_unicast_add_path.gz", {{{13, 1}, 1}, {{13, 8}, 31}}, 62},
        Expect{"bview.ipv6_unicast_add_path.gz", {{{13, 1}, 1}, {{13, 10}, 31}}, 62},
        Expect{"updates.20160811.1600.gz", {{{16, 4}, 17384}, {{16, 5}, 22}}, 41234},
        Expect{"updates.et-header.2015.gz", {{{17, 1}, 1}, {{17, 4}, 89681}, {{17, 5}, 4}},
               577744},
        Expect{"updates.long_withdrawal.gz", {{{16, 4}, 1}}, 4096},
        // Its one UPDATE ends in a truncated NLRI prefix: bgpdump prints the complete one
        // (1 line), kbgp rejects the message (RFC 7606 §5.3); see integration/.
        Expect{"updates.nlri_mask_trailing_bits.gz", {{{16, 1}, 1}}, 0, 1}),
    [](const testing::TestParamInfo<Expect>& p) {
      std::string n = p.param.file;
      for (char& c : n) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

TEST(DataFileTest, EveryFileInTheDataDirParses) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(KBGP_MRT_DATA_DIR)) {
    std::string name = entry.path().filename().string();
    if (name.size() < 3 || name.substr(name.size() - 3) != ".gz") continue;
    SCOPED_TRACE(name);
    bool malformed = name == "updates.nlri_mask_trailing_bits.gz";
    FileStats st = ReadAll(entry.path().string(), nullptr, malformed);
    EXPECT_EQ(st.errors, malformed ? 1 : 0);
    if (!malformed) {
      EXPECT_GT(st.routes, 0u);
    }
    ++files;
  }
  EXPECT_GE(files, 8);
}

// ---- Decoded content, checked against bgpdump's lines ----

TEST(DecodeTest, TableDumpFirstRoute) {
  // TABLE_DUMP|1027381055|B|193.203.0.1|1853|3.0.0.0/8|1853 1239 80|IGP|193.203.0.1|0|0||NAG||
  auto r = FileReader::Open(DataFile("bview.20020722.2337.gz"));
  ASSERT_TRUE(r.ok());
  RawRecord raw;
  ASSERT_TRUE(*(*r)->Next(&raw));
  Decoder d;
  absl::StatusOr<Record> rec = d.Decode(raw);
  ASSERT_TRUE(rec.ok()) << rec.status();
  const Rib& rib = std::get<Rib>(*rec);
  EXPECT_EQ(rib.header.timestamp, 1027381055u);
  EXPECT_EQ(rib.prefix, Pfx("3.0.0.0/8"));
  ASSERT_EQ(rib.entries.size(), 1u);
  const RibEntry& e = rib.entries[0];
  EXPECT_EQ(e.peer.address, Ip("193.203.0.1"));
  EXPECT_EQ(e.peer.asn, 1853u);
  ASSERT_TRUE(e.attrs.as_path);
  EXPECT_EQ(wire::AsPathString(*e.attrs.as_path), "1853 1239 80");
  EXPECT_EQ(e.attrs.origin, wire::Origin::kIgp);
  EXPECT_EQ(e.attrs.next_hop, Ip("193.203.0.1"));
}

TEST(DecodeTest, AddPathIpv6Rib) {
  // TABLE_DUMP2_AP|1452169448|B|2001:db8:16::2|65017|2001:db8:28::/48|59|65017 ... 65028|IGP|
  std::vector<Record> recs;
  ReadAll(DataFile("bview.ipv6_unicast_add_path.gz"), &recs);
  ASSERT_GE(recs.size(), 2u);
  const PeerIndexTable& t = std::get<PeerIndexTable>(recs[0]);
  EXPECT_EQ(t.view_name, "master");
  const Rib& rib = std::get<Rib>(recs[1]);
  EXPECT_TRUE(rib.add_path);
  EXPECT_EQ(rib.family, wire::kIPv6Unicast);
  EXPECT_EQ(rib.prefix, Pfx("2001:db8:28::/48"));
  ASSERT_EQ(rib.entries.size(), 2u);
  EXPECT_EQ(rib.entries[0].path_id, 59u);
  EXPECT_EQ(rib.entries[1].path_id, 61u);
  EXPECT_EQ(rib.entries[0].peer.address, Ip("2001:db8:16::2"));
  EXPECT_EQ(rib.entries[0].peer.asn, 65017u);
  EXPECT_EQ(rib.entries[0].attrs.local_pref, 100u);
}

TEST(DecodeTest, FullFormMpReachInRibIsNormalised) {
  // This collector wrote RFC 4760 MP_REACH (with NLRI) into RIB entries.
  std::vector<Record> recs;
  ReadAll(DataFile("bview.64k_stream_overflow.gz"), &recs);
  ASSERT_EQ(recs.size(), 2u);
  const Rib& rib = std::get<Rib>(recs[1]);
  ASSERT_EQ(rib.entries.size(), 23u);
  const wire::PathAttributes& a = rib.entries[0].attrs;
  ASSERT_TRUE(a.mp_reach);
  EXPECT_EQ(a.mp_reach->family, wire::kIPv6Unicast);
  EXPECT_TRUE(a.mp_reach->nlri.empty());
  EXPECT_EQ(a.mp_reach->next_hop, Ip("::ffff:193.0.0.56"));
}

TEST(DecodeTest, Bgp4mpEtMicroseconds) {
  // BGP4MP_ET|1445565678.509481|STATE|206.220.231.55|3856|1|2
  auto r = FileReader::Open(DataFile("updates.et-header.2015.gz"));
  ASSERT_TRUE(r.ok());
  RawRecord raw;
  ASSERT_TRUE(*(*r)->Next(&raw));
  EXPECT_EQ(raw.microseconds, 509481u);
  Decoder d;
  absl::StatusOr<Record> rec = d.Decode(raw);
  ASSERT_TRUE(rec.ok()) << rec.status();
  const StateChange& sc = std::get<StateChange>(*rec);
  EXPECT_EQ(sc.header.microseconds, 509481u);
  EXPECT_EQ(sc.peer_address, Ip("206.220.231.55"));
  EXPECT_EQ(sc.peer_as, 3856u);
  EXPECT_EQ(sc.old_state, 1);
  EXPECT_EQ(sc.new_state, 2);
}

TEST(DecodeTest, CodecOptionsPerSubtype) {
  EXPECT_FALSE(Bgp4mpCodecOptions(bgp4mp::kMessage).four_octet_as);
  EXPECT_TRUE(Bgp4mpCodecOptions(bgp4mp::kMessageAs4).four_octet_as);
  EXPECT_TRUE(Bgp4mpCodecOptions(bgp4mp::kMessageAs4Local).four_octet_as);
  EXPECT_FALSE(Bgp4mpCodecOptions(bgp4mp::kMessageLocal).four_octet_as);
  EXPECT_FALSE(Bgp4mpCodecOptions(bgp4mp::kMessageAs4).add_path_ipv4);
  EXPECT_TRUE(Bgp4mpCodecOptions(bgp4mp::kMessageAddPath).add_path_ipv6);
  EXPECT_FALSE(Bgp4mpCodecOptions(bgp4mp::kMessageAddPath).four_octet_as);
  EXPECT_TRUE(Bgp4mpCodecOptions(bgp4mp::kMessageAs4LocalAddPath).four_octet_as);
  EXPECT_TRUE(Bgp4mpCodecOptions(bgp4mp::kMessage).extended_message);
}

TEST(DecodeTest, RibBeforePeerIndexTableIsAnError) {
  std::vector<Record> recs;
  Bytes stream = StreamOf(DataFile("bview.ipv4_unicast_add_path.gz"));
  SpanReader r(stream);
  RawRecord table, rib;
  ASSERT_TRUE(*r.Next(&table));
  ASSERT_TRUE(*r.Next(&rib));
  Decoder d;
  absl::StatusOr<Record> rec = d.Decode(rib);
  ASSERT_FALSE(rec.ok());
  EXPECT_THAT(rec.status().message(), HasSubstr("PEER_INDEX_TABLE"));
  ASSERT_TRUE(d.Decode(table).ok());
  EXPECT_TRUE(d.Decode(rib).ok());
  // A peer index past the table.
  rib.body[5 + 3 + 2] = 0x7f;  // seq(4) plen(1) prefix(3 for a /24) count(2): first entry
  rec = d.Decode(rib);
  ASSERT_FALSE(rec.ok());
  EXPECT_THAT(rec.status().message(), HasSubstr("peer index"));
}

// ---- Writer ----

PeerIndexTable SampleTable() {
  PeerIndexTable t;
  t.header.timestamp = 1700000000;
  t.header.type = kTableDumpV2;
  t.header.subtype = td2::kPeerIndexTable;
  t.collector_bgp_id = 0x0a000001;
  t.view_name = "kbgp";
  t.peers.push_back(MakePeer(0x0a000002, Ip("192.0.2.1"), 65001));
  t.peers.push_back(MakePeer(0x0a000003, Ip("2001:db8::1"), 4200000000u));
  return t;
}

wire::PathAttributes SampleAttrs(bool v6) {
  wire::PathAttributes a;
  a.origin = wire::Origin::kIgp;
  a.as_path = wire::AsPath{{wire::AsSegmentType::kSequence, {65001, 4200000000u}},
                           {wire::AsSegmentType::kSet, {1, 2}}};
  a.med = 10;
  a.local_pref = 200;
  a.communities = std::vector<uint32_t>{0xfde80001, 0xFFFFFF01};
  a.large_communities = std::vector<wire::LargeCommunity>{{4200000000u, 1, 2}};
  a.aggregator = wire::Aggregator{4200000000u, Ip("192.0.2.9")};
  if (v6) {
    wire::MpReach mp;
    mp.family = wire::kIPv6Unicast;
    mp.next_hop = Ip("2001:db8::1");
    mp.link_local_next_hop = Ip("fe80::1");
    a.mp_reach = mp;
  } else {
    a.next_hop = Ip("192.0.2.1");
  }
  return a;
}

Rib SampleRib(bool v6, bool add_path, uint32_t seq) {
  Rib rib;
  rib.header.timestamp = 1700000000;
  rib.header.type = kTableDumpV2;
  rib.header.subtype = v6 ? (add_path ? td2::kRibIpv6UnicastAddPath : td2::kRibIpv6Unicast)
                          : (add_path ? td2::kRibIpv4UnicastAddPath : td2::kRibIpv4Unicast);
  rib.sequence = seq;
  rib.family = v6 ? wire::kIPv6Unicast : wire::kIPv4Unicast;
  rib.add_path = add_path;
  rib.prefix = v6 ? Pfx("2001:db8:100::/40") : Pfx("198.51.100.0/24");
  PeerIndexTable t = SampleTable();
  for (uint16_t i = 0; i < 2; ++i) {
    RibEntry e;
    e.peer_index = i;
    e.peer = t.peers[i];
    e.originated_time = 1690000000 + i;
    e.path_id = add_path ? 7 + i : 0;
    e.attrs = SampleAttrs(v6);
    rib.entries.push_back(e);
  }
  return rib;
}

void WriteAndReadBack(bool gzip) {
  std::string path = TempPath(gzip ? "rt.mrt.gz" : "rt.mrt");
  std::vector<Record> written;
  {
    auto w = FileWriter::Open(path, gzip);
    ASSERT_TRUE(w.ok()) << w.status();
    PeerIndexTable t = SampleTable();
    ASSERT_TRUE((*w)->WritePeerIndexTable(t).ok());
    written.push_back(t);
    uint32_t seq = 0;
    for (bool v6 : {false, true}) {
      for (bool ap : {false, true}) {
        Rib rib = SampleRib(v6, ap, seq++);
        absl::Status s = (*w)->WriteRib(rib);
        ASSERT_TRUE(s.ok()) << s;
        written.push_back(rib);
      }
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  std::vector<Record> read;
  FileStats st = ReadAll(path, &read);
  EXPECT_EQ(st.errors, 0);
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < read.size(); ++i) EXPECT_TRUE(read[i] == written[i]) << "record " << i;
  // gzip output is compressed, plain output is not.
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  int b0 = std::fgetc(f), b1 = std::fgetc(f);
  std::fclose(f);
  EXPECT_EQ(gzip, b0 == 0x1f && b1 == 0x8b);
  std::filesystem::remove(path);
}

TEST(WriterTest, RoundTripPlain) { WriteAndReadBack(false); }
TEST(WriterTest, RoundTripGzip) { WriteAndReadBack(true); }

TEST(WriterTest, RealRibsRoundTrip) {
  for (const char* file : {"bview.ipv4_unicast_add_path.gz", "bview.ipv6_unicast_add_path.gz",
                           "bview.64k_stream_overflow.gz"}) {
    SCOPED_TRACE(file);
    std::vector<Record> recs;
    ReadAll(DataFile(file), &recs);
    Bytes stream;
    for (const Record& r : recs) {
      if (const PeerIndexTable* t = std::get_if<PeerIndexTable>(&r)) {
        ASSERT_TRUE(EncodePeerIndexTable(*t, &stream).ok());
      } else {
        absl::Status s = EncodeRib(std::get<Rib>(r), &stream);
        ASSERT_TRUE(s.ok()) << s;
      }
    }
    SpanReader reader(stream);
    Decoder d;
    RawRecord raw;
    size_t i = 0;
    while (*reader.Next(&raw)) {
      absl::StatusOr<Record> rec = d.Decode(raw);
      ASSERT_TRUE(rec.ok()) << rec.status();
      ASSERT_LT(i, recs.size());
      EXPECT_TRUE(*rec == recs[i]) << "record " << i;
      ++i;
    }
    EXPECT_EQ(i, recs.size());
  }
}

TEST(WriterTest, RejectsWhatItCannotWrite) {
  std::string path = TempPath("bad.mrt");
  auto w = FileWriter::Open(path, false);
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE((*w)->WriteRib(SampleRib(false, false, 0)).ok());  // no table yet
  ASSERT_TRUE((*w)->WritePeerIndexTable(SampleTable()).ok());
  Rib rib = SampleRib(false, false, 0);
  rib.entries[0].peer_index = 5;
  EXPECT_FALSE((*w)->WriteRib(rib).ok());
  rib = SampleRib(false, false, 0);
  rib.prefix = Pfx("2001:db8::/32");
  EXPECT_FALSE((*w)->WriteRib(rib).ok());
  PeerIndexTable t = SampleTable();
  t.peers[0].as4 = false;
  t.peers[0].asn = 70000;
  EXPECT_FALSE((*w)->WritePeerIndexTable(t).ok());
  EXPECT_TRUE((*w)->Close().ok());
  std::filesystem::remove(path);
}

// ---- Hostile input ----

TEST(HostileTest, TruncatedStreamsGiveErrorsNamingTheOffset) {
  Bytes stream = StreamOf(DataFile("bview.ipv4_unicast_add_path.gz"));
  ASSERT_GT(stream.size(), 300u);
  for (size_t cut = 0; cut < stream.size(); ++cut) {
    SpanReader r(ByteSpan(stream.data(), cut));
    RawRecord raw;
    absl::StatusOr<bool> more;
    int n = 0;
    while ((more = r.Next(&raw)).ok() && *more) ++n;
    if (more.ok()) {
      // Clean end: the cut fell on a record boundary.
      EXPECT_EQ(r.offset(), cut);
    } else {
      EXPECT_THAT(more.status().message(), HasSubstr("offset " + std::to_string(r.offset())));
      // Errors are sticky.
      EXPECT_FALSE(r.Next(&raw).ok());
    }
  }
}

TEST(HostileTest, HugeLengthIsRejectedBeforeAllocating) {
  Bytes b = {0, 0, 0, 1, 0, 13, 0, 2, 0xff, 0xff, 0xff, 0xff};
  SpanReader r(b);
  RawRecord raw;
  absl::StatusOr<bool> more = r.Next(&raw);
  ASSERT_FALSE(more.ok());
  EXPECT_THAT(more.status().message(), HasSubstr("offset 0"));
  EXPECT_THAT(more.status().message(), HasSubstr("limit"));

  std::string path = TempPath("huge.mrt");
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
  auto fr = FileReader::Open(path);
  ASSERT_TRUE(fr.ok());
  more = (*fr)->Next(&raw);
  ASSERT_FALSE(more.ok());
  EXPECT_THAT(more.status().message(), HasSubstr(path));
  std::filesystem::remove(path);

  // An ET record too short for its microsecond field.
  Bytes et = {0, 0, 0, 1, 0, 17, 0, 4, 0, 0, 0, 2, 0, 0};
  SpanReader r2(et);
  EXPECT_FALSE(r2.Next(&raw).ok());
}

TEST(HostileTest, TruncatedFilesGiveErrors) {
  Bytes stream = StreamOf(DataFile("updates.nlri_mask_trailing_bits.gz"));
  Bytes gz;
  {
    std::string full = TempPath("full.gz");
    gzFile g = gzopen(full.c_str(), "wb");
    gzwrite(g, stream.data(), static_cast<unsigned>(stream.size()));
    gzclose(g);
    FILE* f = std::fopen(full.c_str(), "rb");
    int c;
    while ((c = std::fgetc(f)) != EOF) gz.push_back(static_cast<uint8_t>(c));
    std::fclose(f);
    std::filesystem::remove(full);
  }
  for (bool compressed : {false, true}) {
    const Bytes& src = compressed ? gz : stream;
    for (size_t cut = 1; cut < src.size(); ++cut) {
      std::string path = TempPath("cut.mrt");
      FILE* f = std::fopen(path.c_str(), "wb");
      std::fwrite(src.data(), 1, cut, f);
      std::fclose(f);
      auto r = FileReader::Open(path);
      ASSERT_TRUE(r.ok());
      RawRecord raw;
      absl::StatusOr<bool> more = (*r)->Next(&raw);
      if (!compressed) {
        EXPECT_FALSE(more.ok()) << "cut " << cut;
      } else if (more.ok() && *more) {
        // zlib may hand out all the data before noticing the missing trailer; then the
        // next read must report it.
        EXPECT_FALSE((*r)->Next(&raw).ok()) << "cut " << cut;
      } else {
        EXPECT_FALSE(more.ok()) << "cut " << cut;
      }
      std::filesystem::remove(path);
    }
  }
}

TEST(HostileTest, TruncatedAndMutatedBodiesNeverCrash) {
  std::mt19937 rng(42);
  for (const char* file : {"bview.ipv4_unicast_add_path.gz", "bview.ipv6_unicast_add_path.gz",
                           "updates.20160811.1600.gz", "bview.64k_stream_overflow.gz"}) {
    Bytes stream = StreamOf(DataFile(file));
    SpanReader r(stream);
    std::vector<RawRecord> raws;
    RawRecord raw;
    while (*r.Next(&raw)) raws.push_back(raw);
    for (size_t i = 0; i < raws.size() && i < 4; ++i) {
      Decoder d;
      if (i > 0) {
        ASSERT_TRUE(d.Decode(raws[0]).ok());  // the peer index table, if any
      }
      const RawRecord& orig = raws[i];
      size_t step = orig.body.size() > 2000 ? 97 : 1;
      for (size_t cut = 0; cut < orig.body.size(); cut += step) {
        RawRecord t = orig;
        t.body.resize(cut);
        absl::StatusOr<Record> rec = d.Decode(t);
        // A cut body is an error (or, for the table, a table to decode the rest with).
        if (rec.ok() && !std::holds_alternative<PeerIndexTable>(*rec)) {
          ADD_FAILURE() << file << " record " << i << " cut at " << cut << " decoded";
        }
      }
      for (int k = 0; k < 300; ++k) {
        RawRecord t = orig;
        if (t.body.empty()) break;
        for (int flips = 0; flips < 3; ++flips) {
          t.body[rng() % t.body.size()] = static_cast<uint8_t>(rng());
        }
        (void)d.Decode(t);  // any result, no crash (ASan/UBSan builds check)
      }
    }
  }
}

TEST(HostileTest, RandomGarbageNeverCrashes) {
  std::mt19937 rng(7);
  for (int k = 0; k < 2000; ++k) {
    Bytes b(rng() % 200);
    for (uint8_t& c : b) c = static_cast<uint8_t>(rng());
    // Make some headers plausible so bodies get decoded.
    if (b.size() >= 12) {
      static const uint16_t kTypes[] = {12, 13, 16, 17};
      b[4] = 0;
      b[5] = static_cast<uint8_t>(kTypes[rng() % 4]);
      b[6] = 0;
      b[7] = static_cast<uint8_t>(rng() % 13);
      uint32_t len = static_cast<uint32_t>(b.size() - 12);
      b[8] = 0, b[9] = 0, b[10] = static_cast<uint8_t>(len >> 8), b[11] = static_cast<uint8_t>(len);
    }
    SpanReader r(b);
    Decoder d;
    RawRecord raw;
    absl::StatusOr<bool> more;
    while ((more = r.Next(&raw)).ok() && *more) (void)d.Decode(raw);
  }
}

TEST(FileReaderTest, MissingFile) {
  auto r = FileReader::Open("/nonexistent/kbgp.mrt");
  EXPECT_FALSE(r.ok());
}

TEST(FileReaderTest, PlainFileReadsLikeGzip) {
  Bytes stream = StreamOf(DataFile("bview.ipv6_unicast_add_path.gz"));
  std::string path = TempPath("plain.mrt");
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(stream.data(), 1, stream.size(), f);
  std::fclose(f);
  EXPECT_EQ(StreamOf(path), stream);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace kbgp::mrt
