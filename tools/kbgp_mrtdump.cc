// kbgp-mrtdump: prints an MRT file (plain or gzip) one line per route, announcement,
// withdrawal or state change, in exactly the format of `bgpdump -m` (bgpdump 1.6.2), so the
// two can be diffed: integration/mrt_bgpdump_test.sh does that on the test dumps.
//
// bgpdump's quirks are reproduced on purpose, as the oracle prints them:
//  - IPv6 addresses use bgpdump's own formatter: any run of zero groups, even a single one,
//    becomes "::" (the first longest run); v4-mapped and v4-compatible addresses print as
//    "::ffff:a.b.c.d" / "::a.b.c.d".
//  - Missing attributes print as defaults: origin INCOMPLETE, next hop 255.255.255.255,
//    LOCAL_PREF and MED 0, empty AS path, communities and aggregator.
//  - MED and LOCAL_PREF of IPv4 routes in MP_REACH_NLRI print as signed 32-bit numbers.
//  - Only TABLE_DUMP_V2 unicast RIB subtypes are printed (bgpdump skips multicast/generic);
//    OPEN, NOTIFICATION, KEEPALIVE and ROUTE-REFRESH messages print nothing.
//  - Large and extended communities are not printed.
// Known difference: a record whose BGP message kbgp's strict decoder rejects (e.g. an NLRI
// field ending in a truncated prefix) prints nothing, and the reason goes to stderr; bgpdump
// prints what it could parse. Prefixes print with host bits cleared (RFC 4271 §4.3), where
// bgpdump prints the bits as they were on the wire.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/mrt/mrt.h"

namespace kbgp::mrt {
namespace {

void AppendV4(const uint8_t* b, std::string* out) {
  absl::StrAppend(out, b[0], ".", b[1], ".", b[2], ".", b[3]);
}

// bgpdump's fmt_ipv6 (inet_ntop.c), which differs from RFC 5952 in compressing a single
// zero group.
void AppendV6(const uint8_t* a, std::string* out) {
  bool zero96 = true;
  for (int i = 0; i < 12; ++i) zero96 &= a[i] == 0;
  bool mapped = true;
  for (int i = 0; i < 10; ++i) mapped &= a[i] == 0;
  mapped &= a[10] == 0xff && a[11] == 0xff;
  uint32_t low = (uint32_t{a[12]} << 24) | (uint32_t{a[13]} << 16) | (uint32_t{a[14]} << 8) | a[15];
  bool compat = zero96 && low > 1;
  if (mapped || compat) {
    out->append(mapped ? "::ffff:" : "::");
    AppendV4(a + 12, out);
    return;
  }
  uint16_t w[8];
  for (int i = 0; i < 8; ++i) w[i] = static_cast<uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
  // zr[i]: length of the zero run starting at i; the first longest one is compressed.
  int zr[8];
  int run = 0;
  for (int i = 7; i >= 0; --i) {
    run = w[i] == 0 ? run + 1 : 0;
    zr[i] = run;
  }
  int best = -1, best_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (zr[i] > best_len) {
      best = i;
      best_len = zr[i];
    }
  }
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      if (i == 0) out->push_back(':');
      out->push_back(':');
      i += best_len - 1;
      continue;
    }
    absl::StrAppendFormat(out, "%x", w[i]);
    if (i != 7) out->push_back(':');
  }
}

void AppendAddr(const IpAddress& a, std::string* out) {
  if (a.is_v4()) {
    AppendV4(a.data(), out);
  } else {
    AppendV6(a.data(), out);
  }
}

std::string Addr(const IpAddress& a) {
  std::string s;
  AppendAddr(a, &s);
  return s;
}

// bgpdump's process_attr_aspath_string.
std::string AsPathText(const wire::PathAttributes& attrs) {
  if (!attrs.as_path) return "";
  constexpr size_t kMax = 8000;
  auto delim = [](wire::AsSegmentType t, bool start) -> char {
    switch (t) {
      case wire::AsSegmentType::kSet: return start ? '{' : '}';
      case wire::AsSegmentType::kConfedSet: return start ? '[' : ']';
      case wire::AsSegmentType::kConfedSequence: return start ? '(' : ')';
      default: return ' ';
    }
  };
  std::string s;
  bool space = false;
  wire::AsSegmentType type = wire::AsSegmentType::kSequence;
  const wire::AsSegment* last = nullptr;
  for (const wire::AsSegment& seg : *attrs.as_path) {
    last = &seg;
    if (type != wire::AsSegmentType::kSequence) s.push_back(delim(type, false));
    if (space) s.push_back(' ');
    if (seg.type != wire::AsSegmentType::kSequence) s.push_back(delim(seg.type, true));
    space = false;
    bool set = seg.type == wire::AsSegmentType::kSet ||
               seg.type == wire::AsSegmentType::kConfedSet;
    for (uint32_t asn : seg.asns) {
      if (space) {
        s.push_back(set ? ',' : ' ');
      } else {
        space = true;
      }
      absl::StrAppend(&s, asn);
      if (s.size() > kMax - 100) return s + "...";
    }
    type = seg.type;
  }
  if (last != nullptr && last->type != wire::AsSegmentType::kSequence) {
    s.push_back(delim(last->type, false));
  }
  return s;
}

const char* OriginText(const wire::PathAttributes& a) {
  if (a.origin == wire::Origin::kIgp) return "IGP";
  if (a.origin == wire::Origin::kEgp) return "EGP";
  return "INCOMPLETE";
}

// bgpdump's community string without its leading space.
std::string CommunitiesText(const wire::PathAttributes& a) {
  if (!a.communities) return "";
  std::string s;
  for (uint32_t c : *a.communities) {
    switch (c) {
      case 0xFFFFFF01: s += " no-export"; break;
      case 0xFFFFFF02: s += " no-advertise"; break;
      case 0xFFFFFF03: s += " local-AS"; break;
      default: absl::StrAppend(&s, " ", c >> 16, ":", c & 0xffff);
    }
  }
  return s.empty() ? s : s.substr(1);
}

// "...|comm|AG|aggregator|\n": the common tail of every route line.
void AppendTail(const wire::PathAttributes& a, std::string* out) {
  absl::StrAppend(out, CommunitiesText(a), "|", a.atomic_aggregate ? "AG" : "NAG", "|");
  if (a.aggregator && !(a.aggregator->address.is_v4() && a.aggregator->address.v4() == 0xffffffff)) {
    absl::StrAppend(out, a.aggregator->asn, " ", Addr(a.aggregator->address));
  }
  out->append("|\n");
}

std::string NextHopV4(const wire::PathAttributes& a) {
  return a.next_hop ? Addr(*a.next_hop) : "255.255.255.255";
}

// The next hop of a RIB entry: bgpdump takes MP_REACH's when there is an IPv6 one.
std::string RibNextHop(const wire::PathAttributes& a) {
  if (a.mp_reach && (a.mp_reach->family.afi == wire::kAfiIPv6 || a.mp_reach->next_hop.is_v6())) {
    return Addr(a.mp_reach->next_hop);
  }
  return NextHopV4(a);
}

class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  void Print(const Record& rec) {
    if (const Rib* rib = std::get_if<Rib>(&rec)) {
      PrintRib(*rib);
    } else if (const Bgp4mpMessage* m = std::get_if<Bgp4mpMessage>(&rec)) {
      PrintMessage(*m);
    } else if (const StateChange* sc = std::get_if<StateChange>(&rec)) {
      PrintState(*sc);
    }
  }

 private:
  void PrintRib(const Rib& rib) {
    std::string prefix = absl::StrCat(Addr(rib.prefix.addr()), "/", rib.prefix.length());
    if (rib.header.type == kTableDump) {
      const RibEntry& e = rib.entries[0];
      absl::StrAppend(out_, "TABLE_DUMP|", rib.header.timestamp, "|B|", Addr(e.peer.address), "|",
                      e.peer.asn, "|", prefix, "|");
      AppendRoute(e.attrs, RibNextHop(e.attrs), false);
      return;
    }
    uint16_t st = rib.header.subtype;
    if (st != td2::kRibIpv4Unicast && st != td2::kRibIpv6Unicast &&
        st != td2::kRibIpv4UnicastAddPath && st != td2::kRibIpv6UnicastAddPath) {
      return;
    }
    for (const RibEntry& e : rib.entries) {
      absl::StrAppend(out_, rib.add_path ? "TABLE_DUMP2_AP|" : "TABLE_DUMP2|",
                      rib.header.timestamp, "|B|", Addr(e.peer.address), "|", e.peer.asn, "|",
                      prefix, "|");
      if (rib.add_path) absl::StrAppend(out_, e.path_id, "|");
      AppendRoute(e.attrs, RibNextHop(e.attrs), false);
    }
  }

  // "aspath|origin|nexthop|lp|med|comm|AG|aggr|\n"
  void AppendRoute(const wire::PathAttributes& a, const std::string& next_hop, bool signed_nums) {
    uint32_t lp = a.local_pref.value_or(0);
    uint32_t med = a.med.value_or(0);
    absl::StrAppend(out_, AsPathText(a), "|", OriginText(a), "|", next_hop, "|");
    if (signed_nums) {
      absl::StrAppend(out_, static_cast<int32_t>(lp), "|", static_cast<int32_t>(med), "|");
    } else {
      absl::StrAppend(out_, lp, "|", med, "|");
    }
    AppendTail(a, out_);
  }

  std::string Time(const Header& h) {
    if (h.type == kBgp4mpEt) return absl::StrFormat("%d.%06d", h.timestamp, h.microseconds);
    return absl::StrCat(h.timestamp);
  }

  void PrintState(const StateChange& sc) {
    absl::StrAppend(out_, sc.header.type == kBgp4mpEt ? "BGP4MP_ET|" : "BGP4MP|", Time(sc.header),
                    "|STATE|", Addr(sc.peer_address), "|", sc.peer_as, "|", sc.old_state, "|",
                    sc.new_state, "\n");
  }

  void PrintMessage(const Bgp4mpMessage& m) {
    const wire::Update* u = std::get_if<wire::Update>(&m.message);
    if (u == nullptr) return;
    std::string lead = absl::StrCat(
        m.header.type == kBgp4mpEt ? "BGP4MP_ET" : "BGP4MP", m.local ? "_LOCAL" : "",
        m.add_path ? "_AP" : "", "|", Time(m.header), "|");
    std::string peer = absl::StrCat(Addr(m.peer_address), "|", m.peer_as, "|");
    auto withdraw = [&](const std::vector<wire::Nlri>& list) {
      for (const wire::Nlri& n : list) {
        absl::StrAppend(out_, lead, "W|", peer, Addr(n.prefix.addr()), "/", n.prefix.length());
        if (m.add_path) absl::StrAppend(out_, "|", n.path_id);
        out_->push_back('\n');
      }
    };
    const wire::PathAttributes& a = u->attrs;
    withdraw(u->withdrawn);
    if (a.mp_unreach) withdraw(a.mp_unreach->withdrawn);

    for (const wire::Nlri& n : u->nlri) {
      absl::StrAppend(out_, lead, "A|", peer, Addr(n.prefix.addr()), "/", n.prefix.length(), "|");
      if (m.add_path) absl::StrAppend(out_, n.path_id, "|");
      AppendRoute(a, NextHopV4(a), false);
    }
    if (a.mp_reach) {
      bool v4 = a.mp_reach->family.afi == wire::kAfiIPv4;
      for (const wire::Nlri& n : a.mp_reach->nlri) {
        absl::StrAppend(out_, lead, "A|", peer, Addr(n.prefix.addr()), "/", n.prefix.length(),
                        "|");
        if (m.add_path) absl::StrAppend(out_, n.path_id, "|");
        // bgpdump prints %d for the IPv4 MP_REACH case (table_line_announce_1).
        AppendRoute(a, Addr(a.mp_reach->next_hop), v4);
      }
    }
  }

  std::string* out_;
};

int Main(int argc, char** argv) {
  const char* path = nullptr;
  bool machine = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-m") == 0) {
      machine = true;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      std::fprintf(stderr, "kbgp-mrtdump: unknown option %s\n", argv[i]);
      return 2;
    } else if (path == nullptr) {
      path = argv[i];
    } else {
      path = nullptr;
      break;
    }
  }
  if (!machine || path == nullptr) {
    std::fprintf(stderr, "usage: kbgp-mrtdump -m FILE   (FILE: MRT, plain or gzip)\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<FileReader>> reader = FileReader::Open(path);
  if (!reader.ok()) {
    std::fprintf(stderr, "kbgp-mrtdump: %s\n", std::string(reader.status().message()).c_str());
    return 1;
  }
  Decoder decoder;
  std::string out;
  Printer printer(&out);
  RawRecord raw;
  int rc = 0;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&raw);
    if (!more.ok()) {
      std::fprintf(stderr, "kbgp-mrtdump: %s\n", std::string(more.status().message()).c_str());
      rc = 1;
      break;
    }
    if (!*more) break;
    absl::StatusOr<Record> rec = decoder.Decode(raw);
    if (!rec.ok()) {
      std::fprintf(stderr, "kbgp-mrtdump: record at offset %llu: %s\n",
                   static_cast<unsigned long long>(raw.offset),
                   std::string(rec.status().message()).c_str());
      continue;
    }
    printer.Print(*rec);
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0) return 1;
  return rc;
}

}  // namespace
}  // namespace kbgp::mrt

int main(int argc, char** argv) { return kbgp::mrt::Main(argc, argv); }
