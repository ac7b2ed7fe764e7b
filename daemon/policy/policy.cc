#include "daemon/policy/policy.h"

#include <algorithm>
#include <bitset>
#include <cinttypes>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "re2/re2.h"
#include "daemon/wire/gobgp_names.h"

namespace kbgp::policy {

namespace {

using rib::AsPathData;
using rib::AttrExtras;
using rib::AttrFields;
using rib::AttrPool;
using rib::AttrRef;
using rib::AttrSet;
using rib::Ref;
using rib::U32List;

// GoBGP's ASPATH_REGEXP_MAGIC: `_` in an AS-path expression is a boundary.
constexpr absl::string_view kAsPathBoundary = "(^|[,{}() ]|$)";

// Extended community subtypes (RFC 4360 §4, RFC 7153) GoBGP names in sets.
constexpr uint8_t kSubtypeRouteTarget = 0x02;
constexpr uint8_t kSubtypeRouteOrigin = 0x03;
// Extended community types (transitive).
constexpr uint8_t kTypeTwoOctetAs = 0x00;
constexpr uint8_t kTypeIPv4 = 0x01;
constexpr uint8_t kTypeFourOctetAs = 0x02;

std::optional<uint32_t> WellKnownValue(absl::string_view name) {
  return wire::WellKnownCommunityValue(std::string_view(name.data(), name.size()));
}

absl::StatusOr<std::unique_ptr<re2::RE2>> CompileRegex(const std::string& pattern,
                                                       absl::string_view what) {
  re2::RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, o);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid regular expression \"", what, "\": ", re->error()));
  }
  return re;
}

bool Search(const re2::RE2& re, const std::string& s) { return re2::RE2::PartialMatch(s, re); }

// "rt" / "soo" before the first ':'; the rest in *value.
absl::StatusOr<uint8_t> ExtSubtype(absl::string_view text, absl::string_view* value) {
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ext-community \"", text, "\": want rt:<value> or soo:<value>"));
  }
  const std::string kind = absl::AsciiStrToLower(text.substr(0, colon));
  *value = text.substr(colon + 1);
  if (kind == "rt") return kSubtypeRouteTarget;
  if (kind == "soo") return kSubtypeRouteOrigin;
  if (kind == "encap" || kind == "lb") {
    return absl::UnimplementedError(
        absl::StrCat("ext-community \"", text, "\": encap and lb are not supported by kbgp"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ext-community \"", text, "\": unknown subtype \"", kind, "\""));
}

}  // namespace

// ---- Parsers and string forms ----

PrefixEntryDef ExactPrefix(const Prefix& p) { return PrefixEntryDef{p, p.length(), p.length()}; }

// GoBGP's ParseCommunityRegexp.
std::string CommunityRegex(absl::string_view arg) {
  uint32_t n;
  if (absl::SimpleAtoi(arg, &n) && !arg.empty() && arg[0] != '+' && arg[0] != '-') {
    return absl::StrCat("^", n >> 16, ":", n & 0xffff, "$");
  }
  static const re2::RE2 kPlain(R"((\d+.)*\d+:\d+)");
  if (re2::RE2::FullMatch(re2::StringPiece(arg.data(), arg.size()), kPlain)) {
    return absl::StrCat("^", arg, "$");
  }
  std::string lower = absl::AsciiStrToLower(arg);
  absl::StrReplaceAll({{"_", "-"}}, &lower);
  if (std::optional<uint32_t> v = WellKnownValue(lower)) {
    return absl::StrCat("^", *v >> 16, ":", *v & 0xffff, "$");
  }
  return std::string(arg);
}

// GoBGP's ParseLargeCommunityRegexp.
std::string LargeCommunityRegex(absl::string_view arg) {
  static const re2::RE2 kPlain(R"(\d+:\d+:\d+)");
  if (re2::RE2::PartialMatch(re2::StringPiece(arg.data(), arg.size()), kPlain)) {
    return absl::StrCat("^", arg, "$");
  }
  return std::string(arg);
}

// Go's regexp/syntax error texts (ErrorCode.String()), for RE2's codes: the two libraries
// share the syntax, so a pattern fails in both or in neither.
absl::Status CheckRegex(absl::string_view pattern) {
  re2::RE2::Options o;
  o.set_log_errors(false);
  const re2::RE2 re(re2::StringPiece(pattern.data(), pattern.size()), o);
  if (re.ok()) return absl::OkStatus();
  absl::string_view code;
  switch (re.error_code()) {
    case re2::RE2::ErrorBadEscape: code = "invalid escape sequence"; break;
    case re2::RE2::ErrorBadCharClass: code = "invalid character class"; break;
    case re2::RE2::ErrorBadCharRange: code = "invalid character class range"; break;
    case re2::RE2::ErrorMissingBracket: code = "missing closing ]"; break;
    case re2::RE2::ErrorMissingParen: code = "missing closing )"; break;
    case re2::RE2::ErrorUnexpectedParen: code = "unexpected )"; break;
    case re2::RE2::ErrorTrailingBackslash: code = "trailing backslash at end of expression"; break;
    case re2::RE2::ErrorRepeatArgument: code = "missing argument to repetition operator"; break;
    case re2::RE2::ErrorRepeatSize: code = "invalid repeat count"; break;
    case re2::RE2::ErrorRepeatOp: code = "invalid nested repetition operator"; break;
    case re2::RE2::ErrorBadPerlOp: code = "invalid or unsupported Perl syntax"; break;
    case re2::RE2::ErrorBadUTF8: code = "invalid UTF-8"; break;
    case re2::RE2::ErrorBadNamedCapture: code = "invalid named capture"; break;
    case re2::RE2::ErrorPatternTooLarge: code = "expression too large"; break;
    default: code = "unexpected error"; break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("error parsing regexp: ", code, ": `", re.error_arg(), "`"));
}

absl::StatusOr<uint32_t> ParseCommunity(absl::string_view text) {
  uint32_t n;
  if (!text.empty() && text[0] != '+' && text[0] != '-' && absl::SimpleAtoi(text, &n)) return n;
  static const re2::RE2 kPair(R"((\d+):(\d+))");
  uint32_t hi, lo;
  if (re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), kPair, &hi, &lo)) {
    if (hi > 0xffff || lo > 0xffff) {
      return absl::InvalidArgumentError(absl::StrCat("community \"", text, "\" out of range"));
    }
    return hi << 16 | lo;
  }
  if (std::optional<uint32_t> v = WellKnownValue(text)) return *v;
  return absl::InvalidArgumentError(absl::StrCat("failed to parse ", text, " as community"));
}

absl::StatusOr<uint64_t> ParseExtCommunity(absl::string_view text) {
  absl::string_view value;
  absl::StatusOr<uint8_t> subtype = ExtSubtype(text, &value);
  if (!subtype.ok()) return subtype.status();
  const size_t colon = value.rfind(':');
  uint64_t local;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(value.substr(colon + 1), &local)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ext-community \"", text, "\""));
  }
  const absl::string_view admin = value.substr(0, colon);
  const uint64_t st = uint64_t{*subtype} << 48;
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(admin);
  if (ip.ok() && ip->is_v4() && admin.find('.') != absl::string_view::npos &&
      std::count(admin.begin(), admin.end(), '.') == 3) {
    if (local > 0xffff) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": local admin > 65535"));
    return uint64_t{kTypeIPv4} << 56 | st | uint64_t{ip->v4()} << 16 | local;
  }
  std::vector<absl::string_view> dotted = absl::StrSplit(admin, '.');
  uint32_t asn = 0;
  bool four = false;
  if (dotted.size() == 2) {  // "hi.lo": a 4-octet AS in asdot form
    uint32_t hi, lo;
    if (!absl::SimpleAtoi(dotted[0], &hi) || !absl::SimpleAtoi(dotted[1], &lo) || hi > 0xffff ||
        lo > 0xffff) {
      return absl::InvalidArgumentError(absl::StrCat("invalid ext-community \"", text, "\""));
    }
    asn = hi << 16 | lo;
    four = true;
  } else if (dotted.size() == 1 && absl::SimpleAtoi(admin, &asn)) {
    four = asn > 0xffff;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("invalid ext-community \"", text, "\""));
  }
  if (four) {
    if (local > 0xffff) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": local admin > 65535"));
    return uint64_t{kTypeFourOctetAs} << 56 | st | uint64_t{asn} << 16 | local;
  }
  if (local > 0xffffffff) return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": local admin too large"));
  return uint64_t{kTypeTwoOctetAs} << 56 | st | uint64_t{asn} << 32 | local;
}

absl::StatusOr<wire::LargeCommunity> ParseLargeCommunity(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  wire::LargeCommunity c;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &c.global_admin) ||
      !absl::SimpleAtoi(parts[1], &c.local1) || !absl::SimpleAtoi(parts[2], &c.local2)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid large community \"", text, "\""));
  }
  return c;
}

std::string AsPathRegex(absl::string_view entry) {
  return absl::StrReplaceAll(entry, {{"_", kAsPathBoundary}});
}

// GoBGP's bgp.AsPathString: segments joined by spaces; AS_SET "{a,b}", AS_CONFED_SEQUENCE
// "(a b)", AS_CONFED_SET "[a,b]".
std::string AsPathString(const AsPathData* path) {
  std::string s;
  if (path == nullptr) return s;
  auto w = path->values();
  size_t i = 0;
  bool first = true;
  while (i < w.size()) {
    const auto type = static_cast<wire::AsSegmentType>(w[i] >> 24);
    const size_t count = std::min<size_t>(w[i] & 0xffffff, w.size() - i - 1);
    ++i;
    if (!first) s += ' ';
    first = false;
    absl::string_view open, close, sep = " ";
    switch (type) {
      case wire::AsSegmentType::kConfedSequence: open = "("; close = ")"; break;
      case wire::AsSegmentType::kConfedSet: open = "["; close = "]"; sep = ","; break;
      case wire::AsSegmentType::kSet: open = "{"; close = "}"; sep = ","; break;
      default: break;
    }
    absl::StrAppend(&s, open);
    for (size_t k = 0; k < count; ++k) {
      if (k != 0) absl::StrAppend(&s, sep);
      absl::StrAppend(&s, w[i + k]);
    }
    absl::StrAppend(&s, close);
    i += count;
  }
  return s;
}

std::string CommunityString(uint32_t c) { return absl::StrCat(c >> 16, ":", c & 0xffff); }

std::string ExtCommunityString(uint64_t c) {
  const uint8_t type = static_cast<uint8_t>(c >> 56);
  switch (type) {
    case kTypeTwoOctetAs:
      return absl::StrCat((c >> 32) & 0xffff, ":", c & 0xffffffff);
    case kTypeIPv4:
      return absl::StrCat(IpAddress::V4(static_cast<uint32_t>(c >> 16)).ToString(), ":",
                          c & 0xffff);
    case kTypeFourOctetAs:
      return absl::StrCat((c >> 32) & 0xffff, ".", (c >> 16) & 0xffff, ":", c & 0xffff);
    default:
      return "";
  }
}

// ---- Compiled sets ----

class PrefixSet {
 public:
  std::string name;
  std::optional<Family> family;  // unset: empty set
  // Ranges by exact prefix; lengths_ says which prefix lengths occur (for the LPM probe).
  absl::flat_hash_map<Prefix, std::vector<std::pair<uint8_t, uint8_t>>> ranges;
  std::bitset<129> lengths;

  bool Match(const Prefix& p) const {
    if (!family || p.family() != *family) return false;
    for (int len = p.length(); len >= 0; --len) {
      if (!lengths[len]) continue;
      auto it = ranges.find(Prefix::Make(p.addr(), static_cast<uint8_t>(len)));
      if (it == ranges.end()) continue;
      // The longest containing prefix decides (GoBGP's critbit Match).
      for (auto [lo, hi] : it->second) {
        if (lo <= p.length() && p.length() <= hi) return true;
      }
      return false;
    }
    return false;
  }
};

class NeighborSet {
 public:
  std::string name;
  std::vector<Prefix> list;
  bool Contains(const IpAddress& a) const {
    const Prefix host = Prefix::Make(a, static_cast<uint8_t>(a.bit_length()));
    for (const Prefix& p : list) {
      if (p.family() == a.family() && p.Contains(host)) return true;
    }
    return false;
  }
};

class AsPathSet {
 public:
  enum class Mode : uint8_t { kInclude, kLeftMost, kOrigin, kOnly };
  struct Single {
    uint32_t asn;
    Mode mode;
  };
  std::string name;
  std::vector<Single> singles;
  std::vector<std::unique_ptr<re2::RE2>> regexes;
};

class RegexSet {  // community and large community sets, and "remove" action lists
 public:
  std::string name;
  std::vector<std::unique_ptr<re2::RE2>> regexes;
  bool AnyMatches(const std::string& s) const {
    for (const auto& re : regexes) {
      if (Search(*re, s)) return true;
    }
    return false;
  }
};

class ExtCommunitySet {
 public:
  std::string name;
  std::vector<std::pair<uint8_t, std::unique_ptr<re2::RE2>>> entries;  // (subtype, regex)
  bool AnyMatches(uint8_t subtype, const std::string& s) const {
    for (const auto& [st, re] : entries) {
      if (st == subtype && Search(*re, s)) return true;
    }
    return false;
  }
};

namespace {

absl::StatusOr<std::shared_ptr<PrefixSet>> MakePrefixSet(const PrefixSetDef& d) {
  auto s = std::make_shared<PrefixSet>();
  s->name = d.name;
  for (const PrefixEntryDef& e : d.entries) {
    if (s->family && *s->family != e.prefix.family()) {
      return absl::InvalidArgumentError(
          absl::StrCat("prefix-set ", d.name, ": multiple families"));
    }
    const int bits = e.prefix.addr().bit_length();
    if (e.min_length > e.max_length || e.max_length > bits) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prefix-set ", d.name, ": invalid masklength-range ", e.min_length, "..",
          e.max_length, " for ", e.prefix.ToString()));
    }
    s->family = e.prefix.family();
    s->ranges[e.prefix].emplace_back(e.min_length, e.max_length);
    s->lengths.set(e.prefix.length());
  }
  return s;
}

absl::StatusOr<std::shared_ptr<AsPathSet>> MakeAsPathSet(const StringSetDef& d) {
  auto s = std::make_shared<AsPathSet>();
  s->name = d.name;
  static const re2::RE2 kLeftMost(R"(\^([0-9]+)_)");
  static const re2::RE2 kOrigin(R"(_([0-9]+)\$)");
  static const re2::RE2 kInclude(R"(_([0-9]+)_)");
  static const re2::RE2 kOnly(R"(\^([0-9]+)\$)");
  for (const std::string& x : d.values) {
    uint32_t asn;
    if (re2::RE2::FullMatch(x, kLeftMost, &asn)) {
      s->singles.push_back({asn, AsPathSet::Mode::kLeftMost});
    } else if (re2::RE2::FullMatch(x, kOrigin, &asn)) {
      s->singles.push_back({asn, AsPathSet::Mode::kOrigin});
    } else if (re2::RE2::FullMatch(x, kInclude, &asn)) {
      s->singles.push_back({asn, AsPathSet::Mode::kInclude});
    } else if (re2::RE2::FullMatch(x, kOnly, &asn)) {
      s->singles.push_back({asn, AsPathSet::Mode::kOnly});
    } else {
      auto re = CompileRegex(AsPathRegex(x), x);
      if (!re.ok()) return absl::InvalidArgumentError(absl::StrCat("as-path-set ", d.name, ": ", re.status().message()));
      s->regexes.push_back(*std::move(re));
    }
  }
  return s;
}

absl::StatusOr<std::shared_ptr<RegexSet>> MakeRegexSet(const StringSetDef& d, bool large) {
  auto s = std::make_shared<RegexSet>();
  s->name = d.name;
  for (const std::string& x : d.values) {
    auto re = CompileRegex(large ? LargeCommunityRegex(x) : CommunityRegex(x), x);
    if (!re.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(large ? "large-community-set " : "community-set ", d.name, ": ", re.status().message()));
    }
    s->regexes.push_back(*std::move(re));
  }
  return s;
}

absl::StatusOr<std::shared_ptr<ExtCommunitySet>> MakeExtCommunitySet(const StringSetDef& d) {
  auto s = std::make_shared<ExtCommunitySet>();
  s->name = d.name;
  for (const std::string& x : d.values) {
    absl::string_view value;
    absl::StatusOr<uint8_t> st = ExtSubtype(x, &value);
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("ext-community-set ", d.name, ": ", st.status().message()));
    auto re = CompileRegex(CommunityRegex(value), x);
    if (!re.ok()) return absl::InvalidArgumentError(absl::StrCat("ext-community-set ", d.name, ": ", re.status().message()));
    s->entries.emplace_back(*st, *std::move(re));
  }
  return s;
}

}  // namespace

// ---- Statements ----

enum class MedOp : uint8_t { kNone, kSet, kAdjust };
enum class NextHopOp : uint8_t { kNone, kAddress, kSelf, kUnchanged };

struct Statement {
  std::string name;
  // Conditions (null / kNone / empty = not present).
  std::shared_ptr<const PrefixSet> prefix_set;
  MatchOption prefix_option = MatchOption::kAny;
  std::shared_ptr<const NeighborSet> neighbor_set;
  MatchOption neighbor_option = MatchOption::kAny;
  std::shared_ptr<const AsPathSet> as_path_set;
  MatchOption as_path_option = MatchOption::kAny;
  std::shared_ptr<const RegexSet> community_set;
  MatchOption community_option = MatchOption::kAny;
  std::shared_ptr<const ExtCommunitySet> ext_community_set;
  MatchOption ext_community_option = MatchOption::kAny;
  std::shared_ptr<const RegexSet> large_community_set;
  MatchOption large_community_option = MatchOption::kAny;
  CountDef as_path_length;
  CountDef community_count;
  RouteType route_type = RouteType::kNone;
  std::vector<Prefix> next_hop_in_list;
  bool has_afi_safi = false;
  bool afi_ipv4 = false;
  bool afi_ipv6 = false;
  std::optional<wire::Origin> origin_eq;
  std::optional<uint32_t> med_eq;
  std::optional<uint32_t> local_pref_eq;
  RpkiState rpki = RpkiState::kNone;

  // Actions.
  Disposition disposition = Disposition::kNone;
  bool modifies = false;
  MedOp med_op = MedOp::kNone;
  int64_t med_value = 0;
  std::optional<uint32_t> local_pref;
  uint8_t prepend_repeat = 0;
  bool prepend_last_as = false;
  uint32_t prepend_as = 0;
  CommunityOp community_op = CommunityOp::kNone;
  std::vector<uint32_t> communities;
  std::shared_ptr<const RegexSet> community_remove;
  CommunityOp ext_op = CommunityOp::kNone;
  std::vector<uint64_t> ext_communities;
  std::shared_ptr<const ExtCommunitySet> ext_remove;
  CommunityOp large_op = CommunityOp::kNone;
  std::vector<wire::LargeCommunity> large_communities;
  std::shared_ptr<const RegexSet> large_remove;
  NextHopOp next_hop_op = NextHopOp::kNone;
  IpAddress next_hop;
  std::optional<wire::Origin> origin;
};

Policies::~Policies() = default;

const Assignment* Policies::client_import(const IpAddress& a) const {
  auto it = clients_.find(a);
  return it == clients_.end() ? nullptr : &it->second.import;
}
const Assignment* Policies::client_export(const IpAddress& a) const {
  auto it = clients_.find(a);
  return it == clients_.end() ? nullptr : &it->second.export_;
}
const Policy* Policies::FindPolicy(absl::string_view name) const {
  auto it = policies_.find(name);
  return it == policies_.end() ? nullptr : it->second.get();
}

namespace {

struct SetMaps {
  absl::flat_hash_map<std::string, std::shared_ptr<const PrefixSet>> prefix;
  absl::flat_hash_map<std::string, std::shared_ptr<const NeighborSet>> neighbor;
  absl::flat_hash_map<std::string, std::shared_ptr<const AsPathSet>> as_path;
  absl::flat_hash_map<std::string, std::shared_ptr<const RegexSet>> community;
  absl::flat_hash_map<std::string, std::shared_ptr<const ExtCommunitySet>> ext_community;
  absl::flat_hash_map<std::string, std::shared_ptr<const RegexSet>> large_community;
};

template <typename T>
absl::Status Lookup(const absl::flat_hash_map<std::string, std::shared_ptr<const T>>& m,
                    const MatchSetDef& d, absl::string_view kind, std::shared_ptr<const T>* out) {
  if (d.name.empty()) return absl::OkStatus();
  auto it = m.find(d.name);
  if (it == m.end()) {
    return absl::NotFoundError(absl::StrCat("not found ", kind, " ", d.name));
  }
  *out = it->second;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Statement>> MakeStatement(const StatementDef& d,
                                                               const SetMaps& sets) {
  auto s = std::make_shared<Statement>();
  s->name = d.name;
  const ConditionsDef& c = d.conditions;
  absl::Status st;
  if (!(st = Lookup(sets.prefix, c.prefix_set, "prefix-set", &s->prefix_set)).ok()) return st;
  if (!(st = Lookup(sets.neighbor, c.neighbor_set, "neighbor-set", &s->neighbor_set)).ok()) return st;
  if (!(st = Lookup(sets.as_path, c.as_path_set, "as-path-set", &s->as_path_set)).ok()) return st;
  if (!(st = Lookup(sets.community, c.community_set, "community-set", &s->community_set)).ok()) return st;
  if (!(st = Lookup(sets.ext_community, c.ext_community_set, "ext-community-set", &s->ext_community_set)).ok()) return st;
  if (!(st = Lookup(sets.large_community, c.large_community_set, "large-community-set", &s->large_community_set)).ok()) return st;
  // Prefix and neighbor conditions know only any and invert (GoBGP's restricted options).
  s->prefix_option = c.prefix_set.option == MatchOption::kInvert ? MatchOption::kInvert : MatchOption::kAny;
  s->neighbor_option = c.neighbor_set.option == MatchOption::kInvert ? MatchOption::kInvert : MatchOption::kAny;
  s->as_path_option = c.as_path_set.option;
  s->community_option = c.community_set.option;
  s->ext_community_option = c.ext_community_set.option;
  s->large_community_option = c.large_community_set.option;
  s->as_path_length = c.as_path_length;
  s->community_count = c.community_count;
  s->route_type = c.route_type;
  s->next_hop_in_list = c.next_hop_in_list;
  if (!c.afi_safi_in.empty()) {
    s->has_afi_safi = true;
    for (const std::string& f : c.afi_safi_in) {
      s->afi_ipv4 |= f == "ipv4-unicast";
      s->afi_ipv6 |= f == "ipv6-unicast";
    }
  }
  s->origin_eq = c.origin_eq;
  s->med_eq = c.med_eq;
  s->local_pref_eq = c.local_pref_eq;
  s->rpki = c.rpki;

  const ActionsDef& a = d.actions;
  s->disposition = a.disposition;
  if (!a.set_med.empty()) {
    const std::string& m = a.set_med;
    const bool adjust = m[0] == '+' || m[0] == '-';
    uint32_t v;
    if (!absl::SimpleAtoi(adjust ? absl::string_view(m).substr(1) : absl::string_view(m), &v) ||
        (adjust && m.size() > 1 && (m[1] == '+' || m[1] == '-'))) {
      return absl::InvalidArgumentError(absl::StrCat("statement ", d.name, ": invalid set-med \"", m, "\""));
    }
    s->med_op = adjust ? MedOp::kAdjust : MedOp::kSet;
    s->med_value = m[0] == '-' ? -int64_t{v} : int64_t{v};
  }
  s->local_pref = a.set_local_pref;
  if (a.prepend_repeat > 0 && (a.prepend_last_as || a.prepend_as != 0)) {
    s->prepend_repeat = a.prepend_repeat;
    s->prepend_last_as = a.prepend_last_as;
    s->prepend_as = a.prepend_as;
  }
  s->community_op = a.set_community.op;
  for (const std::string& v : a.set_community.values) {
    if (a.set_community.op == CommunityOp::kRemove) continue;
    absl::StatusOr<uint32_t> c32 = ParseCommunity(v);
    if (!c32.ok()) return absl::InvalidArgumentError(absl::StrCat("statement ", d.name, ": ", c32.status().message()));
    s->communities.push_back(*c32);
  }
  if (a.set_community.op == CommunityOp::kRemove) {
    auto r = MakeRegexSet(StringSetDef{"", a.set_community.values}, false);
    if (!r.ok()) return r.status();
    s->community_remove = *std::move(r);
  }
  s->ext_op = a.set_ext_community.op;
  if (a.set_ext_community.op == CommunityOp::kRemove) {
    auto r = MakeExtCommunitySet(StringSetDef{"", a.set_ext_community.values});
    if (!r.ok()) return r.status();
    s->ext_remove = *std::move(r);
  } else {
    for (const std::string& v : a.set_ext_community.values) {
      absl::StatusOr<uint64_t> e = ParseExtCommunity(v);
      if (!e.ok()) return absl::InvalidArgumentError(absl::StrCat("statement ", d.name, ": ", e.status().message()));
      s->ext_communities.push_back(*e);
    }
  }
  s->large_op = a.set_large_community.op;
  if (a.set_large_community.op == CommunityOp::kRemove) {
    auto r = MakeRegexSet(StringSetDef{"", a.set_large_community.values}, true);
    if (!r.ok()) return r.status();
    s->large_remove = *std::move(r);
  } else {
    for (const std::string& v : a.set_large_community.values) {
      absl::StatusOr<wire::LargeCommunity> l = ParseLargeCommunity(v);
      if (!l.ok()) return absl::InvalidArgumentError(absl::StrCat("statement ", d.name, ": ", l.status().message()));
      s->large_communities.push_back(*l);
    }
  }
  if (!a.set_next_hop.empty()) {
    const std::string nh = absl::AsciiStrToLower(a.set_next_hop);
    if (nh == "self") {
      s->next_hop_op = NextHopOp::kSelf;
    } else if (nh == "unchanged") {
      s->next_hop_op = NextHopOp::kUnchanged;
    } else {
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(a.set_next_hop);
      if (!ip.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("statement ", d.name, ": invalid ip address format: ", a.set_next_hop));
      }
      s->next_hop_op = NextHopOp::kAddress;
      s->next_hop = *ip;
    }
  }
  s->origin = a.set_origin;
  s->modifies = s->med_op != MedOp::kNone || s->local_pref || s->prepend_repeat > 0 ||
                s->community_op != CommunityOp::kNone || s->ext_op != CommunityOp::kNone ||
                s->large_op != CommunityOp::kNone || s->next_hop_op != NextHopOp::kNone ||
                s->origin;
  return std::shared_ptr<const Statement>(std::move(s));
}

absl::StatusOr<Assignment> MakeAssignment(
    const std::vector<std::string>& names, Disposition def,
    const absl::flat_hash_map<std::string, std::shared_ptr<const Policy>>& policies) {
  Assignment a;
  a.default_action = def == Disposition::kReject ? Disposition::kReject : Disposition::kAccept;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& n : names) {
    auto it = policies.find(n);
    if (it == policies.end()) return absl::NotFoundError(absl::StrCat("not found policy ", n));
    if (!seen.insert(n).second) return absl::InvalidArgumentError(absl::StrCat("duplicated policy ", n));
    a.policies.push_back(it->second);
  }
  return a;
}

template <typename M>
absl::Status CheckUnique(const M& m, const std::string& name, absl::string_view kind) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", kind, " name"));
  if (m.contains(name)) return absl::InvalidArgumentError(absl::StrCat("duplicate ", kind, " ", name));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Policies>> Compile(const PolicyConfig& config) {
  SetMaps sets;
  auto out = std::make_shared<Policies>();
  const DefinedSetsDef& d = config.sets;
  absl::Status st;
  for (const PrefixSetDef& p : d.prefix_sets) {
    if (!(st = CheckUnique(sets.prefix, p.name, "prefix-set")).ok()) return st;
    auto s = MakePrefixSet(p);
    if (!s.ok()) return s.status();
    sets.prefix[p.name] = *s;
    out->sets_.push_back(*s);
  }
  for (const NeighborSetDef& n : d.neighbor_sets) {
    if (!(st = CheckUnique(sets.neighbor, n.name, "neighbor-set")).ok()) return st;
    auto s = std::make_shared<NeighborSet>();
    s->name = n.name;
    s->list = n.addresses;
    sets.neighbor[n.name] = s;
    out->sets_.push_back(s);
  }
  for (const StringSetDef& a : d.as_path_sets) {
    if (!(st = CheckUnique(sets.as_path, a.name, "as-path-set")).ok()) return st;
    auto s = MakeAsPathSet(a);
    if (!s.ok()) return s.status();
    sets.as_path[a.name] = *s;
    out->sets_.push_back(*s);
  }
  for (const StringSetDef& c : d.community_sets) {
    if (!(st = CheckUnique(sets.community, c.name, "community-set")).ok()) return st;
    auto s = MakeRegexSet(c, false);
    if (!s.ok()) return s.status();
    sets.community[c.name] = *s;
    out->sets_.push_back(*s);
  }
  for (const StringSetDef& c : d.ext_community_sets) {
    if (!(st = CheckUnique(sets.ext_community, c.name, "ext-community-set")).ok()) return st;
    auto s = MakeExtCommunitySet(c);
    if (!s.ok()) return s.status();
    sets.ext_community[c.name] = *s;
    out->sets_.push_back(*s);
  }
  for (const StringSetDef& c : d.large_community_sets) {
    if (!(st = CheckUnique(sets.large_community, c.name, "large-community-set")).ok()) return st;
    auto s = MakeRegexSet(c, true);
    if (!s.ok()) return s.status();
    sets.large_community[c.name] = *s;
    out->sets_.push_back(*s);
  }
  for (const PolicyDef& p : config.policies) {
    if (!(st = CheckUnique(out->policies_, p.name, "policy")).ok()) return st;
    auto policy = std::make_shared<Policy>();
    policy->name = p.name;
    for (size_t i = 0; i < p.statements.size(); ++i) {
      StatementDef sd = p.statements[i];
      if (sd.name.empty()) sd.name = absl::StrCat(p.name, "_stmt", i);  // GoBGP's naming
      auto s = MakeStatement(sd, sets);
      if (!s.ok()) {
        return absl::Status(s.status().code(),
                            absl::StrCat("policy ", p.name, ": ", s.status().message()));
      }
      policy->statements.push_back(*std::move(s));
    }
    out->policies_[p.name] = std::move(policy);
  }
  auto gi = MakeAssignment(config.global.import_policies, config.global.default_import, out->policies_);
  if (!gi.ok()) return gi.status();
  auto ge = MakeAssignment(config.global.export_policies, config.global.default_export, out->policies_);
  if (!ge.ok()) return ge.status();
  out->global_import_ = *std::move(gi);
  out->global_export_ = *std::move(ge);
  for (const auto& [addr, a] : config.route_server_clients) {
    auto ci = MakeAssignment(a.import_policies, a.default_import, out->policies_);
    if (!ci.ok()) return ci.status();
    auto ce = MakeAssignment(a.export_policies, a.default_export, out->policies_);
    if (!ce.ok()) return ce.status();
    // A client whose assignment accepts everything unchanged needs no entry (and then no
    // export hook when nothing else is assigned).
    if (ci->trivial() && ce->trivial()) continue;
    Policies::Client& c = out->clients_[addr];
    c.import = *std::move(ci);
    c.export_ = *std::move(ce);
  }
  return std::shared_ptr<const Policies>(std::move(out));
}

// ---- Evaluation ----

namespace {

// GoBGP's GetAsSeqList: the ASNs of AS_SEQUENCE segments, a 0 for every other segment.
std::vector<uint32_t> AsSeqList(const AsPathData* path) {
  std::vector<uint32_t> out;
  if (path == nullptr) return out;
  auto w = path->values();
  size_t i = 0;
  while (i < w.size()) {
    const auto type = static_cast<wire::AsSegmentType>(w[i] >> 24);
    const size_t count = std::min<size_t>(w[i] & 0xffffff, w.size() - i - 1);
    ++i;
    if (type == wire::AsSegmentType::kSequence) {
      out.insert(out.end(), w.begin() + i, w.begin() + i + count);
    } else {
      out.push_back(0);
    }
    i += count;
  }
  return out;
}

bool SingleMatch(const AsPathSet::Single& m, const std::vector<uint32_t>& path) {
  if (path.empty()) return false;
  switch (m.mode) {
    case AsPathSet::Mode::kInclude:
      return std::find(path.begin(), path.end(), m.asn) != path.end();
    case AsPathSet::Mode::kLeftMost:
      return path.front() == m.asn;
    case AsPathSet::Mode::kOrigin:
      return path.back() == m.asn;
    case AsPathSet::Mode::kOnly:
      return path.size() == 1 && path.front() == m.asn;
  }
  return false;
}

// GoBGP's AsPathCondition.Evaluate.
bool MatchAsPath(const AsPathSet& set, MatchOption opt, const AttrSet& a) {
  if (!set.singles.empty()) {
    const std::vector<uint32_t> seq = AsSeqList(a.as_path());
    for (const AsPathSet::Single& m : set.singles) {
      const bool r = SingleMatch(m, seq);
      if (opt == MatchOption::kAll && !r) return false;
      if (opt == MatchOption::kAny && r) return true;
      if (opt == MatchOption::kInvert && r) return false;
    }
  }
  if (!set.regexes.empty()) {
    const std::string s = AsPathString(a.as_path());
    for (const auto& re : set.regexes) {
      const bool r = Search(*re, s);
      if (opt == MatchOption::kAll && !r) return false;
      if (opt == MatchOption::kAny && r) return true;
      if (opt == MatchOption::kInvert && r) return false;
    }
  }
  return opt != MatchOption::kAny;
}

// GoBGP's CommunityCondition / LargeCommunityCondition.Evaluate: every set entry is looked
// for among the route's values.
template <typename Strings>
bool MatchRegexSet(const RegexSet& set, MatchOption opt, const Strings& values) {
  bool result = false;
  for (const auto& re : set.regexes) {
    result = false;
    for (const std::string& v : values) {
      if (Search(*re, v)) {
        result = true;
        break;
      }
    }
    if (opt == MatchOption::kAll && !result) break;
    if ((opt == MatchOption::kAny || opt == MatchOption::kInvert) && result) break;
  }
  return opt == MatchOption::kInvert ? !result : result;
}

std::vector<std::string> CommunityStrings(const AttrSet& a) {
  std::vector<std::string> out;
  if (a.communities()) {
    for (uint32_t c : a.communities()->values()) out.push_back(CommunityString(c));
  }
  return out;
}

std::vector<std::string> LargeStrings(const AttrSet& a) {
  std::vector<std::string> out;
  if (a.extras()) {
    for (const wire::LargeCommunity& l : a.extras()->large_communities) {
      out.push_back(absl::StrCat(l.global_admin, ":", l.local1, ":", l.local2));
    }
  }
  return out;
}

// GoBGP's ExtCommunityCondition.Evaluate, which loops over the route's communities: "any"
// is one of them in the set, "all" every one of them; invert negates the result of the
// last community looked at (GoBGP does not stop early for invert).
bool MatchExtSet(const ExtCommunitySet& set, MatchOption opt, const AttrSet& a) {
  bool result = false;
  if (a.extras()) {
    for (uint64_t x : a.extras()->extended_communities) {
      result = false;
      const uint8_t type = static_cast<uint8_t>(x >> 56);
      if (type >= 0x3f) continue;  // transitive ones only (RFC 7153)
      const uint8_t subtype = static_cast<uint8_t>(x >> 48);
      result = set.AnyMatches(subtype, ExtCommunityString(x));
      if (opt == MatchOption::kAll && !result) break;
      if (opt == MatchOption::kAny && result) break;
    }
  }
  return opt == MatchOption::kInvert ? !result : result;
}

bool Compare(Comparison op, uint32_t actual, uint32_t value) {
  switch (op) {
    case Comparison::kEq: return actual == value;
    case Comparison::kGe: return actual >= value;
    case Comparison::kLe: return actual <= value;
    case Comparison::kNone: return true;
  }
  return true;
}

// Our address on the session with `p`, for routes of `family`.
IpAddress SelfAddress(const rib::PeerInfo& p, Family family) {
  if (family == Family::kIPv6 && !p.local_address.is_v6() && !p.local_address_v6.IsUnspecified()) {
    return p.local_address_v6;
  }
  return p.local_address;
}

bool Matches(const Statement& s, const RouteContext& ctx, const AttrSet& a) {
  if (s.prefix_set) {
    // GoBGP returns false for a route of another family before looking at invert.
    if (!s.prefix_set->family || *s.prefix_set->family != ctx.prefix.family()) return false;
    bool r = s.prefix_set->Match(ctx.prefix);
    if (s.prefix_option == MatchOption::kInvert) r = !r;
    if (!r) return false;
  }
  if (s.neighbor_set && !s.neighbor_set->list.empty()) {
    // Import: the peer the route came from; export: the peer it goes to.
    const rib::PeerInfo* p = ctx.direction == Direction::kExport ? ctx.to : ctx.from;
    if (p == nullptr || p->local) return false;  // a local route has no neighbor
    bool r = s.neighbor_set->Contains(p->address);
    if (s.neighbor_option == MatchOption::kInvert) r = !r;
    if (!r) return false;
  }
  if (s.as_path_set && !MatchAsPath(*s.as_path_set, s.as_path_option, a)) return false;
  if (s.community_set &&
      !MatchRegexSet(*s.community_set, s.community_option, CommunityStrings(a))) {
    return false;
  }
  if (s.ext_community_set && !MatchExtSet(*s.ext_community_set, s.ext_community_option, a)) {
    return false;
  }
  if (s.large_community_set &&
      !MatchRegexSet(*s.large_community_set, s.large_community_option, LargeStrings(a))) {
    return false;
  }
  if (!s.next_hop_in_list.empty()) {
    std::optional<IpAddress> nh;
    if (a.has_next_hop()) nh = a.next_hop();
    if (ctx.original_next_hop && !ctx.original_next_hop->IsUnspecified()) nh = ctx.original_next_hop;
    if (!nh) return false;
    const Prefix host = Prefix::Make(*nh, static_cast<uint8_t>(nh->bit_length()));
    bool found = false;
    for (const Prefix& p : s.next_hop_in_list) found |= p.family() == nh->family() && p.Contains(host);
    if (!found) return false;
  }
  if (s.as_path_length.op != Comparison::kNone &&
      !Compare(s.as_path_length.op, a.as_path() ? a.as_path()->length() : 0, s.as_path_length.value)) {
    return false;
  }
  if (s.community_count.op != Comparison::kNone &&
      !Compare(s.community_count.op, a.communities() ? static_cast<uint32_t>(a.communities()->size()) : 0,
               s.community_count.value)) {
    return false;
  }
  if (s.route_type != RouteType::kNone) {
    const bool local = ctx.from == nullptr || ctx.from->local;
    const bool ibgp = !local && ctx.from->ibgp();
    switch (s.route_type) {
      case RouteType::kLocal: if (!local) return false; break;
      case RouteType::kInternal: if (local || !ibgp) return false; break;
      case RouteType::kExternal: if (local || ibgp) return false; break;
      case RouteType::kNone: break;
    }
  }
  if (s.has_afi_safi) {
    if (!(ctx.prefix.family() == Family::kIPv4 ? s.afi_ipv4 : s.afi_ipv6)) return false;
  }
  if (s.origin_eq && (!a.has_origin() || a.origin() != *s.origin_eq)) return false;
  if (s.med_eq && (!a.has_med() || a.med() != *s.med_eq)) return false;
  if (s.local_pref_eq && (!a.has_local_pref() || a.local_pref() != *s.local_pref_eq)) return false;
  // No RPKI in kbgp: every route is "not-found".
  if (s.rpki != RpkiState::kNone && s.rpki != RpkiState::kNotFound) return false;
  return true;
}

// GoBGP's PrependAsn: fill the first AS_SEQUENCE up to 255, the rest in a new segment.
wire::AsPath Prepend(const AsPathData* path, uint32_t asn, int repeat) {
  wire::AsPath p = path ? path->ToWire() : wire::AsPath{};
  if (!p.empty() && p.front().type == wire::AsSegmentType::kSequence) {
    std::vector<uint32_t>& first = p.front().asns;
    const int room = std::max(0, 255 - static_cast<int>(first.size()));
    const int n = std::min(repeat, room);
    first.insert(first.begin(), static_cast<size_t>(n), asn);
    repeat -= n;
  }
  if (repeat > 0) {
    p.insert(p.begin(), wire::AsSegment{wire::AsSegmentType::kSequence,
                                        std::vector<uint32_t>(static_cast<size_t>(repeat), asn)});
  }
  return p;
}

// Applies a statement's modifying actions to `*cur` (null: still `in`).
void ApplyActions(const Statement& s, AttrPool* pool, const RouteContext& ctx,
                  const AttrSet& in, AttrRef* cur) {
  const AttrSet& a = *cur ? **cur : in;
  AttrFields f = a.fields();
  Ref<AsPathData> new_path;
  Ref<U32List> new_communities;
  Ref<AttrExtras> new_extras;
  std::optional<AttrExtras> extras;  // a copy, made when an action changes the extras
  auto edit_extras = [&]() -> AttrExtras& {
    if (!extras) extras = a.extras() ? *a.extras() : AttrExtras();
    return *extras;
  };

  // MED: "+N"/"-N" adjust the current value (0 when absent); out of range leaves it.
  if (s.med_op == MedOp::kSet) {
    f.med = static_cast<uint32_t>(s.med_value);
    f.set(AttrFields::kHasMed, true);
  } else if (s.med_op == MedOp::kAdjust) {
    const int64_t v = int64_t{a.has_med() ? a.med() : 0} + s.med_value;
    if (v >= 0 && v <= int64_t{std::numeric_limits<uint32_t>::max()}) {
      f.med = static_cast<uint32_t>(v);
      f.set(AttrFields::kHasMed, true);
    }
  }
  if (s.local_pref) {
    f.local_pref = *s.local_pref;
    f.set(AttrFields::kHasLocalPref, true);
  }
  if (s.prepend_repeat > 0) {
    uint32_t asn = s.prepend_as;
    if (s.prepend_last_as) {
      const std::vector<uint32_t> seq = AsSeqList(a.as_path());
      asn = seq.empty() ? 0 : seq.front();
    }
    if (asn != 0) {
      new_path = pool->InternAsPath(Prepend(a.as_path(), asn, s.prepend_repeat));
      f.as_path = new_path.get();
    }
  }
  if (s.community_op != CommunityOp::kNone) {
    std::vector<uint32_t> list;
    if (s.community_op == CommunityOp::kAdd && a.communities()) {
      auto v = a.communities()->values();
      list.assign(v.begin(), v.end());
    }
    if (s.community_op == CommunityOp::kRemove) {
      if (a.communities()) {
        for (uint32_t c : a.communities()->values()) {
          if (!s.community_remove->AnyMatches(CommunityString(c))) list.push_back(c);
        }
      }
    } else {
      list.insert(list.end(), s.communities.begin(), s.communities.end());
    }
    if (list.empty()) {
      f.communities = nullptr;  // GoBGP drops an emptied COMMUNITIES attribute
    } else {
      new_communities = pool->InternCommunities(list);
      f.communities = new_communities.get();
    }
  }
  if (s.ext_op != CommunityOp::kNone) {
    AttrExtras& e = edit_extras();
    std::vector<uint64_t> list;
    if (s.ext_op == CommunityOp::kAdd) list = e.extended_communities;
    if (s.ext_op == CommunityOp::kRemove) {
      for (uint64_t x : e.extended_communities) {
        const uint8_t type = static_cast<uint8_t>(x >> 56);
        const bool match = type < 0x3f &&
                           s.ext_remove->AnyMatches(static_cast<uint8_t>(x >> 48), ExtCommunityString(x));
        if (!match) list.push_back(x);
      }
    } else {
      list.insert(list.end(), s.ext_communities.begin(), s.ext_communities.end());
    }
    e.extended_communities = std::move(list);
    e.has_extended_communities = !e.extended_communities.empty();
  }
  if (s.large_op != CommunityOp::kNone) {
    AttrExtras& e = edit_extras();
    std::vector<wire::LargeCommunity> list;
    if (s.large_op == CommunityOp::kAdd) list = e.large_communities;
    if (s.large_op == CommunityOp::kRemove) {
      for (const wire::LargeCommunity& l : e.large_communities) {
        if (!s.large_remove->AnyMatches(absl::StrCat(l.global_admin, ":", l.local1, ":", l.local2))) {
          list.push_back(l);
        }
      }
    } else {
      list.insert(list.end(), s.large_communities.begin(), s.large_communities.end());
    }
    e.large_communities = std::move(list);
    e.has_large_communities = !e.large_communities.empty();
  }
  switch (s.next_hop_op) {
    case NextHopOp::kAddress:
      f.next_hop = s.next_hop;
      f.set(AttrFields::kHasNextHop, true);
      break;
    case NextHopOp::kSelf: {
      // Our address on the session: towards the receiving peer on export, the sending
      // peer on import (GoBGP's options.Info.LocalAddress).
      const rib::PeerInfo* p = ctx.direction == Direction::kExport ? ctx.to : ctx.from;
      if (p != nullptr && !p->local) {
        const IpAddress self = SelfAddress(*p, ctx.prefix.family());
        if (!self.IsUnspecified()) {
          f.next_hop = self;
          f.set(AttrFields::kHasNextHop, true);
        }
      }
      break;
    }
    case NextHopOp::kUnchanged:
      if (ctx.original_next_hop) {
        f.next_hop = *ctx.original_next_hop;
        f.set(AttrFields::kHasNextHop, true);
      }
      break;
    case NextHopOp::kNone:
      break;
  }
  if (s.origin) {
    f.origin = *s.origin;
    f.set(AttrFields::kHasOrigin, true);
  }
  if (extras) {
    new_extras = pool->InternExtras(*extras);  // null when now empty
    f.extras = new_extras.get();
  }
  if (f == a.fields()) return;
  f.parent = ctx.parent;
  *cur = pool->Intern(f);
}

}  // namespace

rib::PolicyResult Evaluate(const Assignment& assignment, AttrPool* pool, const RouteContext& ctx,
                           const AttrSet& in) {
  rib::PolicyResult result;
  Disposition d = Disposition::kNone;
  AttrRef cur;
  for (const auto& policy : assignment.policies) {
    for (const auto& stmt : policy->statements) {
      if (!Matches(*stmt, ctx, cur ? *cur : in)) continue;
      if (stmt->modifies) ApplyActions(*stmt, pool, ctx, in, &cur);
      if (stmt->disposition != Disposition::kNone) {
        d = stmt->disposition;
        break;
      }
    }
    if (d != Disposition::kNone) break;
  }
  if (d == Disposition::kNone) d = assignment.default_action;
  result.accept = d != Disposition::kReject;
  if (result.accept && cur && cur.get() != &in) result.attrs = std::move(cur);
  return result;
}

}  // namespace kbgp::policy
