#include "daemon/api_server/policy_store.h"

#include <algorithm>
#include <memory>
#include <cstdlib>
#include <iterator>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/wire/gobgp_names.h"

namespace kbgp::api_server {
namespace {

using apipb::DefinedType;
using google::protobuf::RepeatedPtrField;

constexpr int kImport = 0;
constexpr int kExport = 1;
constexpr absl::string_view kGlobal = "global";

// ---- Go-compatible value parsing ----

// strconv.ParseUint(s, 10, bits): digits only; a value out of range gives the largest
// value of the size (Go returns it with ErrRange, which GoBGP's callers here ignore).
bool ParseUintSaturating(absl::string_view s, int bits, uint64_t* out) {
  if (s.empty()) return false;
  const uint64_t max =
      bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  uint64_t v = 0;
  bool overflow = false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) overflow = true;
    if (!overflow) v = v * 10 + d;
  }
  *out = overflow ? max : v;
  return true;
}

// net.ParseCIDR: an address, '/', a decimal length; host bits are cleared.
absl::StatusOr<Prefix> ParseCidr(absl::string_view text) {
  const size_t slash = text.find('/');
  absl::StatusOr<IpAddress> addr = slash == absl::string_view::npos
                                       ? absl::InvalidArgumentError("")
                                       : IpAddress::Parse(text.substr(0, slash));
  uint64_t len = 0;
  if (!addr.ok() || !ParseUintSaturating(text.substr(slash + 1), 16, &len) ||
      len > static_cast<uint64_t>(addr->bit_length())) {
    return absl::InvalidArgumentError(absl::StrCat("invalid CIDR address: ", text));
  }
  return Prefix::Make(*addr, static_cast<uint8_t>(len));
}

bool IsV4Mapped(const IpAddress& a) {
  if (!a.is_v6()) return false;
  for (int i = 0; i < 10; ++i) {
    if (a.data()[i] != 0) return false;
  }
  return a.data()[10] == 0xff && a.data()[11] == 0xff;
}

// Go's net.IP.String(): an IPv4-mapped IPv6 address prints as IPv4.
std::string GoIpString(const IpAddress& a) {
  if (IsV4Mapped(a)) return IpAddress::V4Bytes(a.data() + 12).ToString();
  return a.ToString();
}

// Go's net.IPNet.String() for a prefix.
std::string GoNetString(const Prefix& p) {
  return absl::StrCat(GoIpString(p.addr()), "/", p.length());
}

// GoBGP's Prefix.PrefixString: IPv4-mapped IPv6 prefixes keep their "::FFFF:" form.
std::string PrefixString(const Prefix& p) {
  if (IsV4Mapped(p.addr())) {
    return absl::StrCat("::FFFF:", IpAddress::V4Bytes(p.addr().data() + 12).ToString(), "/",
                        p.length());
  }
  return p.ToString();
}

// A listed prefix-set entry's prefix (always valid: the store wrote it).
Prefix ListedPrefix(const std::string& text) {
  absl::string_view t = text;
  if (absl::StartsWith(t, "::FFFF:")) {
    std::string lower = absl::AsciiStrToLower(t);
    absl::StatusOr<Prefix> p = ParseCidr(lower);
    return p.ok() ? *p : Prefix();
  }
  absl::StatusOr<Prefix> p = ParseCidr(t);
  return p.ok() ? *p : Prefix();
}

// The neighbor-set and next-hop-in-list forms: a CIDR, or (config files, next hops) a bare
// address as a host prefix.
absl::StatusOr<Prefix> ParseCidrOrAddress(absl::string_view text) {
  absl::StatusOr<Prefix> p = ParseCidr(text);
  if (p.ok()) return p;
  if (text.find('/') == absl::string_view::npos) {
    absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
    if (a.ok()) {
      // Go masks an IPv4-mapped address with a /32 (To4() succeeds).
      if (IsV4Mapped(*a)) return Prefix::Make(IpAddress::V4Bytes(a->data() + 12), 32);
      return Prefix::Make(*a, static_cast<uint8_t>(a->bit_length()));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid address or prefix: ", text));
}

// GoBGP's address families (bgp.AddressFamilyNameMap), for afi-safi-in.
using FamilyName = wire::GoBgpFamilyName;

const FamilyName* FindFamily(int afi, int safi) {
  for (const FamilyName& f : wire::kGoBgpFamilyNames) {
    if (f.afi == afi && f.safi == safi) return &f;
  }
  return nullptr;
}

const FamilyName* FindFamily(absl::string_view name) {
  for (const FamilyName& f : wire::kGoBgpFamilyNames) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// How Go's %v prints an api.Family in gobgpd's error.
std::string FamilyText(const apipb::Family& f) {
  const std::string& afi = apipb::Family_Afi_Name(f.afi());
  const std::string& safi = apipb::Family_Safi_Name(f.safi());
  return absl::StrCat("afi:", afi.empty() ? absl::StrCat(static_cast<int>(f.afi())) : afi,
                      " safi:", safi.empty() ? absl::StrCat(static_cast<int>(f.safi())) : safi);
}

// ---- Defined-set entries in GoBGP's listed forms ----

// GoBGP's NewSingleAsPathMatch: "^N_", "_N$", "_N_", "^N$" (N decimal, saturated to 32 bits).
std::optional<std::string> SingleAsPath(absl::string_view x) {
  struct Form {
    absl::string_view head, tail;
  };
  constexpr Form kForms[] = {{"^", "_"}, {"_", "$"}, {"_", "_"}, {"^", "$"}};
  for (const Form& f : kForms) {
    if (x.size() <= f.head.size() + f.tail.size() || !absl::StartsWith(x, f.head) ||
        !absl::EndsWith(x, f.tail)) {
      continue;
    }
    uint64_t asn;
    if (ParseUintSaturating(x.substr(f.head.size(), x.size() - f.head.size() - f.tail.size()), 32,
                            &asn)) {
      return absl::StrCat(f.head, asn, f.tail);
    }
  }
  return std::nullopt;
}

absl::StatusOr<std::string> AsPathEntry(const std::string& x) {
  if (std::optional<std::string> single = SingleAsPath(x)) return *single;
  std::string re = policy::AsPathRegex(x);
  if (!policy::CheckRegex(re).ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid regular expression: ", x));
  }
  return re;
}

// GoBGP's ParseCommunityRegexp, as its compiled expression's String().
absl::StatusOr<std::string> CommunityEntry(absl::string_view x) {
  std::string re = policy::CommunityRegex(x);
  if (absl::Status s = policy::CheckRegex(re); !s.ok()) return s;
  return re;
}

// GoBGP's ParseExtCommunityRegexp and ExtCommunitySet.List(): "rt:" + the expression.
absl::StatusOr<std::string> ExtCommunityEntry(absl::string_view x) {
  const size_t colon = x.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError("invalid ext-community format([rt|soo|encap|lb]:<value>)");
  }
  const std::string kind = absl::AsciiStrToLower(x.substr(0, colon));
  if (kind == "encap" || kind == "lb") {
    return absl::UnimplementedError(
        absl::StrCat("ext-community \"", x, "\": encap and lb are not supported by kbgp"));
  }
  if (kind != "rt" && kind != "soo") {
    return absl::InvalidArgumentError(
        "unknown ext-community subtype. rt, soo, encap, lb is supported");
  }
  absl::StatusOr<std::string> re = CommunityEntry(x.substr(colon + 1));
  if (!re.ok()) return re.status();
  return absl::StrCat(kind, ":", *re);
}

absl::StatusOr<std::string> LargeCommunityEntry(absl::string_view x) {
  std::string re = policy::LargeCommunityRegex(x);
  if (absl::Status s = policy::CheckRegex(re); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid large-community format: ", s.message()));
  }
  return re;
}

// gobgp's config.ParseMaskLength checks, which gobgpd itself skips for API requests.
absl::Status CheckMaskRange(const Prefix& p, uint32_t min, uint32_t max) {
  const std::string range = absl::StrCat(min, "..", max);
  if (min > max)
    return absl::InvalidArgumentError(absl::StrCat("invalid mask length range: ", range));
  if (max > static_cast<uint32_t>(p.addr().bit_length())) {
    return absl::InvalidArgumentError(absl::StrCat(p.family() == Family::kIPv4 ? "ipv4" : "ipv6",
                                                   " mask length range outside scope :", range));
  }
  return absl::OkStatus();
}

// Sorts prefix entries in GoBGP's critbit walk order: by address bytes, then length; the
// sort is stable, so entries of one prefix keep the order they were added in.
void SortPrefixes(RepeatedPtrField<apipb::Prefix>* list) {
  std::vector<std::pair<Prefix, apipb::Prefix>> v;
  v.reserve(static_cast<size_t>(list->size()));
  for (apipb::Prefix& p : *list) v.emplace_back(ListedPrefix(p.ip_prefix()), std::move(p));
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  list->Clear();
  for (auto& [key, p] : v) *list->Add() = std::move(p);
}

bool IsAsPathSingle(const std::string& listed) { return SingleAsPath(listed).has_value(); }

// newDefinedSetFromApiStruct + New*Set: the set in its listed form.
absl::StatusOr<apipb::DefinedSet> ParseDefinedSet(const apipb::DefinedSet& in) {
  if (in.name().empty()) return absl::InvalidArgumentError("empty neighbor set name");
  apipb::DefinedSet out;
  out.set_defined_type(in.defined_type());
  out.set_name(in.name());
  switch (in.defined_type()) {
    case DefinedType::PREFIX: {
      bool v6 = false;
      for (int i = 0; i < in.prefixes_size(); ++i) {
        const apipb::Prefix& x = in.prefixes(i);
        absl::StatusOr<Prefix> p = ParseCidr(x.ip_prefix());
        if (!p.ok()) return p.status();
        const bool is_v6 = absl::StrContains(x.ip_prefix(), ":");
        if (i == 0) {
          v6 = is_v6;
        } else if (v6 != is_v6) {
          return absl::InvalidArgumentError("multiple families");
        }
        if (absl::Status s = CheckMaskRange(*p, x.mask_length_min(), x.mask_length_max()); !s.ok())
          return s;
        apipb::Prefix* e = out.add_prefixes();
        e->set_ip_prefix(PrefixString(*p));
        e->set_mask_length_min(x.mask_length_min());
        e->set_mask_length_max(x.mask_length_max());
      }
      SortPrefixes(out.mutable_prefixes());
      return out;
    }
    case DefinedType::NEIGHBOR:
      for (const std::string& x : in.list()) {
        absl::StatusOr<Prefix> p = ParseCidr(x);
        if (!p.ok())
          return absl::InvalidArgumentError(absl::StrCat("invalid address or prefix: ", x));
        out.add_list(GoNetString(*p));
      }
      return out;
    case DefinedType::AS_PATH: {
      std::vector<std::string> singles, regexes;
      for (const std::string& x : in.list()) {
        absl::StatusOr<std::string> e = AsPathEntry(x);
        if (!e.ok()) return e.status();
        (IsAsPathSingle(*e) ? singles : regexes).push_back(*std::move(e));
      }
      for (std::string& s : singles) out.add_list(std::move(s));
      for (std::string& s : regexes) out.add_list(std::move(s));
      return out;
    }
    case DefinedType::COMMUNITY:
    case DefinedType::EXT_COMMUNITY:
    case DefinedType::LARGE_COMMUNITY:
      for (const std::string& x : in.list()) {
        absl::StatusOr<std::string> e =
            in.defined_type() == DefinedType::COMMUNITY       ? CommunityEntry(x)
            : in.defined_type() == DefinedType::EXT_COMMUNITY ? ExtCommunityEntry(x)
                                                              : LargeCommunityEntry(x);
        if (!e.ok()) return e.status();
        out.add_list(*std::move(e));
      }
      return out;
    default: return absl::InvalidArgumentError("invalid defined type");
  }
}

// DefinedSet.Append.
absl::Status AppendSet(apipb::DefinedSet* lhs, const apipb::DefinedSet& rhs) {
  if (lhs->defined_type() == DefinedType::PREFIX) {
    if (rhs.prefixes_size() == 0) return absl::OkStatus();
    if (lhs->prefixes_size() != 0 && ListedPrefix(lhs->prefixes(0).ip_prefix()).family() !=
                                         ListedPrefix(rhs.prefixes(0).ip_prefix()).family()) {
      return absl::InvalidArgumentError("can't append different family");
    }
    for (const apipb::Prefix& p : rhs.prefixes()) *lhs->add_prefixes() = p;
    SortPrefixes(lhs->mutable_prefixes());
    return absl::OkStatus();
  }
  for (const std::string& x : rhs.list()) lhs->add_list(x);
  if (lhs->defined_type() == DefinedType::AS_PATH) {
    // Singles first, then expressions (GoBGP keeps two lists and lists them in that order).
    std::vector<std::string> v(lhs->list().begin(), lhs->list().end());
    std::stable_partition(v.begin(), v.end(), IsAsPathSingle);
    lhs->clear_list();
    for (std::string& s : v) lhs->add_list(std::move(s));
  }
  return absl::OkStatus();
}

// DefinedSet.Remove: entries equal to one of rhs's go.
void RemoveFromSet(apipb::DefinedSet* lhs, const apipb::DefinedSet& rhs) {
  if (lhs->defined_type() == DefinedType::PREFIX) {
    RepeatedPtrField<apipb::Prefix> keep;
    for (const apipb::Prefix& p : lhs->prefixes()) {
      const bool gone =
          std::any_of(rhs.prefixes().begin(), rhs.prefixes().end(), [&](const apipb::Prefix& r) {
            return r.ip_prefix() == p.ip_prefix() && r.mask_length_min() == p.mask_length_min() &&
                   r.mask_length_max() == p.mask_length_max();
          });
      if (!gone) *keep.Add() = p;
    }
    lhs->mutable_prefixes()->Swap(&keep);
    return;
  }
  RepeatedPtrField<std::string> keep;
  for (const std::string& x : lhs->list()) {
    if (std::find(rhs.list().begin(), rhs.list().end(), x) == rhs.list().end()) *keep.Add() = x;
  }
  lhs->mutable_list()->Swap(&keep);
}

// ---- Statements ----

// GoBGP's ConditionType and ActionType numbers, which its "already set" errors print.
enum Cond : int {
  kCondPrefix = 0,
  kCondNeighbor = 1,
  kCondAsPath = 2,
  kCondCommunity = 3,
  kCondExtCommunity = 4,
  kCondAsPathLength = 5,
  kCondRpki = 6,
  kCondRouteType = 7,
  kCondLargeCommunity = 8,
  kCondNextHop = 9,
  kCondAfiSafiIn = 10,
};
// The order GoBGP builds (and so checks) conditions in.
constexpr Cond kCondOrder[] = {kCondPrefix,    kCondNeighbor,     kCondAsPathLength,
                               kCondRpki,      kCondRouteType,    kCondAsPath,
                               kCondCommunity, kCondExtCommunity, kCondLargeCommunity,
                               kCondNextHop,   kCondAfiSafiIn};

enum Act : int {
  kActCommunity = 1,
  kActExtCommunity = 2,
  kActMed = 3,
  kActAsPrepend = 4,
  kActNexthop = 5,
  kActLocalPref = 6,
  kActLargeCommunity = 7,
};
constexpr Act kActOrder[] = {kActCommunity, kActExtCommunity, kActLargeCommunity, kActMed,
                             kActLocalPref, kActAsPrepend,    kActNexthop};

bool HasCond(const apipb::Conditions& c, Cond k) {
  switch (k) {
    case kCondPrefix: return c.has_prefix_set();
    case kCondNeighbor: return c.has_neighbor_set();
    case kCondAsPath: return c.has_as_path_set();
    case kCondCommunity: return c.has_community_set();
    case kCondExtCommunity: return c.has_ext_community_set();
    case kCondAsPathLength: return c.has_as_path_length();
    case kCondRpki: return c.rpki_result() != 0;
    case kCondRouteType: return c.route_type() != apipb::Conditions::ROUTE_TYPE_NONE;
    case kCondLargeCommunity: return c.has_large_community_set();
    case kCondNextHop: return c.next_hop_in_list_size() != 0;
    case kCondAfiSafiIn: return c.afi_safi_in_size() != 0;
  }
  return false;
}

// Copies field `name` of `from` into `to`, clearing it there when `from` lacks it.
void CopyField(const google::protobuf::Message& from, const char* name,
               google::protobuf::Message* to) {
  const google::protobuf::FieldDescriptor* f = from.GetDescriptor()->FindFieldByName(name);
  std::unique_ptr<google::protobuf::Message> tmp(from.New());
  tmp->CopyFrom(from);
  to->GetReflection()->SwapFields(tmp.get(), to, {f});
}

// The Conditions / Actions field of each kind, indexed by Cond / Act.
constexpr const char* kCondField[] = {
    "prefix_set",    "neighbor_set", "as_path_set",         "community_set",
    "ext_community_set", "as_path_length", "rpki_result", "route_type",
    "large_community_set", "next_hop_in_list", "afi_safi_in"};
constexpr const char* kActField[] = {"",           "community",  "ext_community",
                                     "med",        "as_prepend", "nexthop",
                                     "local_pref", "large_community"};

// Copies condition `k` from `from` (clears it when `from` lacks it).
void CopyCond(const apipb::Conditions& from, Cond k, apipb::Conditions* to) {
  CopyField(from, kCondField[k], to);
}

bool HasAct(const apipb::Actions& a, Act k) {
  switch (k) {
    case kActCommunity: return a.has_community();
    case kActExtCommunity: return a.has_ext_community();
    case kActMed: return a.has_med();
    case kActAsPrepend: return a.has_as_prepend();
    case kActNexthop: return a.has_nexthop();
    case kActLocalPref: return a.has_local_pref();
    case kActLargeCommunity: return a.has_large_community();
  }
  return false;
}

void CopyAct(const apipb::Actions& from, Act k, apipb::Actions* to) {
  CopyField(from, kActField[k], to);
}

// GoBGP's Statement.mod for ADD and REMOVE; the first conflict in GoBGP's order is the error.
absl::Status ModStatement(bool add, const apipb::Statement& rhs, apipb::Statement* lhs) {
  apipb::Statement out = *lhs;
  for (Cond k : kCondOrder) {
    if (!HasCond(rhs.conditions(), k)) continue;
    const bool set = HasCond(lhs->conditions(), k);
    if (add && set)
      return absl::InvalidArgumentError(absl::StrCat("condition ", k, " is already set"));
    if (!add && !set)
      return absl::InvalidArgumentError(absl::StrCat("condition ", k, " is not set"));
    CopyCond(add ? rhs.conditions() : apipb::Conditions(), k, out.mutable_conditions());
  }
  if (rhs.actions().route_action() != apipb::RouteAction::NONE) {
    const bool set = lhs->actions().route_action() != apipb::RouteAction::NONE;
    if (add && set) return absl::InvalidArgumentError("route action is already set");
    if (!add && !set) return absl::InvalidArgumentError("route action is not set");
    out.mutable_actions()->set_route_action(add ? rhs.actions().route_action()
                                                : apipb::RouteAction::NONE);
  }
  for (Act k : kActOrder) {
    if (!HasAct(rhs.actions(), k)) continue;
    const bool set = HasAct(lhs->actions(), k);
    if (add && set)
      return absl::InvalidArgumentError(absl::StrCat("action ", k, " is already set"));
    if (!add && !set) return absl::InvalidArgumentError(absl::StrCat("action ", k, " is not set"));
    CopyAct(add ? rhs.actions() : apipb::Actions(), k, out.mutable_actions());
  }
  *lhs = std::move(out);
  return absl::OkStatus();
}

bool MatchTypeValid(apipb::MatchSet::Type t) {
  return t == apipb::MatchSet::ANY || t == apipb::MatchSet::ALL || t == apipb::MatchSet::INVERT;
}

// The set conditions: where each lives and which set type it names.
struct SetCond {
  Cond kind;
  DefinedType type;
  absl::string_view what;  // validateCondition's "not found <what> <name>"
  const apipb::MatchSet& (apipb::Conditions::*get)() const;
  bool (apipb::Conditions::*has)() const;
  apipb::MatchSet* (apipb::Conditions::*mut)();
};
const SetCond kSetConds[] = {
    {kCondPrefix, DefinedType::PREFIX, "prefix set", &apipb::Conditions::prefix_set,
     &apipb::Conditions::has_prefix_set, &apipb::Conditions::mutable_prefix_set},
    {kCondNeighbor, DefinedType::NEIGHBOR, "neighbor set", &apipb::Conditions::neighbor_set,
     &apipb::Conditions::has_neighbor_set, &apipb::Conditions::mutable_neighbor_set},
    {kCondAsPath, DefinedType::AS_PATH, "as path set", &apipb::Conditions::as_path_set,
     &apipb::Conditions::has_as_path_set, &apipb::Conditions::mutable_as_path_set},
    {kCondCommunity, DefinedType::COMMUNITY, "community set", &apipb::Conditions::community_set,
     &apipb::Conditions::has_community_set, &apipb::Conditions::mutable_community_set},
    {kCondExtCommunity, DefinedType::EXT_COMMUNITY, "ext-community set",
     &apipb::Conditions::ext_community_set, &apipb::Conditions::has_ext_community_set,
     &apipb::Conditions::mutable_ext_community_set},
    {kCondLargeCommunity, DefinedType::LARGE_COMMUNITY, "large-community set",
     &apipb::Conditions::large_community_set, &apipb::Conditions::has_large_community_set,
     &apipb::Conditions::mutable_large_community_set},
};

const SetCond& SetCondOf(Cond k) {
  for (const SetCond& s : kSetConds) {
    if (s.kind == k) return s;
  }
  return kSetConds[0];
}

// GoBGP's New{Community,ExtCommunity,LargeCommunity}Action: the values in their listed
// forms, or nullopt when there is no action.
enum class CommKind { kStandard, kExtended, kLarge };
absl::StatusOr<std::optional<apipb::CommunityAction>> ParseCommunityAction(
    const apipb::CommunityAction& in, CommKind kind) {
  const auto type = in.type();
  if (type != apipb::CommunityAction::ADD && type != apipb::CommunityAction::REMOVE &&
      type != apipb::CommunityAction::REPLACE) {
    if (in.communities_size() == 0) return std::optional<apipb::CommunityAction>();
    return absl::InvalidArgumentError("invalid option name: ");
  }
  apipb::CommunityAction out;
  out.set_type(type);
  const bool remove = type == apipb::CommunityAction::REMOVE;
  for (const std::string& x : in.communities()) {
    absl::StatusOr<std::string> v;
    switch (kind) {
      case CommKind::kStandard:
        if (remove) {
          v = CommunityEntry(x);
        } else if (absl::StatusOr<uint32_t> c = policy::ParseCommunity(x); c.ok()) {
          v = policy::CommunityString(*c);
        } else {
          v = c.status();
        }
        break;
      case CommKind::kExtended:
        if (remove) {
          v = ExtCommunityEntry(x);
          break;
        }
        {
          // GoBGP's ParseExtCommunity: "<subtype>:<value>", the value as a route target.
          const size_t colon = x.find(':');
          const std::string sub = absl::AsciiStrToLower(absl::string_view(x).substr(0, colon));
          if (sub == "valid" || sub == "not-found" || sub == "invalid" || sub == "encap" ||
              sub == "lb") {
            v = absl::UnimplementedError(
                absl::StrCat("ext-community \"", x, "\" is not supported by kbgp"));
            break;
          }
          if (colon == std::string::npos || (sub != "rt" && sub != "soo")) {
            v = absl::InvalidArgumentError(
                "invalid ext-community (rt|soo|encap|lb):<value> | valid | not-found | invalid");
            break;
          }
          absl::StatusOr<uint64_t> e = policy::ParseExtCommunity(x);
          if (!e.ok()) {
            v = absl::InvalidArgumentError("failed to parse");
            break;
          }
          v = absl::StrCat(sub, ":", policy::ExtCommunityString(*e));
        }
        break;
      case CommKind::kLarge:
        if (remove) {
          v = LargeCommunityEntry(x);
        } else if (absl::StatusOr<wire::LargeCommunity> l = policy::ParseLargeCommunity(x);
                   l.ok()) {
          v = absl::StrCat(l->global_admin, ":", l->local1, ":", l->local2);
        } else {
          v = absl::InvalidArgumentError("invalid large community format");
        }
        break;
    }
    if (!v.ok()) return v.status();
    out.add_communities(*std::move(v));
  }
  return std::optional<apipb::CommunityAction>(std::move(out));
}

// MedAction.ToConfig: "+N" for a positive adjustment, else the signed number.
std::string MedString(const apipb::MedAction& m) {
  if (m.type() == apipb::MedAction::MOD && m.value() > 0) return absl::StrCat("+", m.value());
  return absl::StrCat(m.value());
}

// toStatementApi's reading of a set-med string: the first "[+-]?\d+" in it.
std::optional<apipb::MedAction> MedFromString(absl::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    size_t digits = i;
    if ((s[i] == '+' || s[i] == '-') && i + 1 < s.size() && absl::ascii_isdigit(s[i + 1])) {
      digits = i + 1;
    } else if (!absl::ascii_isdigit(s[i])) {
      continue;
    }
    size_t end = digits;
    while (end < s.size() && absl::ascii_isdigit(s[end])) ++end;
    int64_t v;
    if (!absl::SimpleAtoi(s.substr(i, end - i), &v)) return std::nullopt;
    apipb::MedAction m;
    m.set_type(digits != i ? apipb::MedAction::MOD : apipb::MedAction::REPLACE);
    m.set_value(v);
    return m;
  }
  return std::nullopt;
}

policy::MatchOption ToOption(apipb::MatchSet::Type t) {
  switch (t) {
    case apipb::MatchSet::ALL: return policy::MatchOption::kAll;
    case apipb::MatchSet::INVERT: return policy::MatchOption::kInvert;
    default: return policy::MatchOption::kAny;
  }
}

apipb::MatchSet::Type FromOption(policy::MatchOption o) {
  switch (o) {
    case policy::MatchOption::kAll: return apipb::MatchSet::ALL;
    case policy::MatchOption::kInvert: return apipb::MatchSet::INVERT;
    default: return apipb::MatchSet::ANY;
  }
}

policy::MatchSetDef ToMatchSetDef(const apipb::MatchSet& m) {
  return {m.name(), ToOption(m.type())};
}

policy::CommunityOp ToCommunityOp(apipb::CommunityAction::Type t) {
  switch (t) {
    case apipb::CommunityAction::ADD: return policy::CommunityOp::kAdd;
    case apipb::CommunityAction::REMOVE: return policy::CommunityOp::kRemove;
    default: return policy::CommunityOp::kReplace;
  }
}

apipb::CommunityAction::Type FromCommunityOp(policy::CommunityOp op) {
  switch (op) {
    case policy::CommunityOp::kRemove: return apipb::CommunityAction::REMOVE;
    case policy::CommunityOp::kReplace: return apipb::CommunityAction::REPLACE;
    default: return apipb::CommunityAction::ADD;  // GoBGP's map lookup of "" gives ADD
  }
}

policy::SetCommunitiesDef ToSetCommunitiesDef(const apipb::Actions& a, Act k) {
  policy::SetCommunitiesDef d;
  const apipb::CommunityAction& c = k == kActCommunity      ? a.community()
                                    : k == kActExtCommunity ? a.ext_community()
                                                            : a.large_community();
  if (!HasAct(a, k)) return d;
  d.op = ToCommunityOp(c.type());
  d.values.assign(c.communities().begin(), c.communities().end());
  return d;
}

apipb::RouteAction FromDisposition(policy::Disposition d) {
  switch (d) {
    case policy::Disposition::kAccept: return apipb::RouteAction::ACCEPT;
    case policy::Disposition::kReject: return apipb::RouteAction::REJECT;
    default: return apipb::RouteAction::NONE;
  }
}

// An assignment default as gobgpd evaluates it: none decides like reject.
policy::Disposition ToDefault(apipb::RouteAction a) {
  return a == apipb::RouteAction::ACCEPT ? policy::Disposition::kAccept
                                         : policy::Disposition::kReject;
}

// defaultRouteType: ACCEPT and REJECT; anything else leaves the default alone.
apipb::RouteAction RequestDefault(apipb::RouteAction a) {
  return a == apipb::RouteAction::ACCEPT || a == apipb::RouteAction::REJECT
             ? a
             : apipb::RouteAction::NONE;
}

}  // namespace

// ---- Statements: parsing, listing, building ----

// newStatementFromApiStruct: GoBGP's parsed statement, which ToConfig lists.
absl::StatusOr<apipb::Statement> PolicyStore::ParseStatement(const apipb::Statement& in) {
  if (in.name().empty()) return absl::InvalidArgumentError("empty statement name");
  apipb::Statement out;
  out.set_name(in.name());
  apipb::Conditions* oc = out.mutable_conditions();
  apipb::Actions* oa = out.mutable_actions();
  if (in.has_conditions()) {
    const apipb::Conditions& c = in.conditions();
    for (Cond k : kCondOrder) {
      switch (k) {
        case kCondPrefix:
        case kCondNeighbor:
        case kCondAsPath:
        case kCondCommunity:
        case kCondExtCommunity:
        case kCondLargeCommunity: {
          const SetCond& sc = SetCondOf(k);
          if (!(c.*sc.has)()) break;
          const apipb::MatchSet& m = (c.*sc.get)();
          // Prefix and neighbor conditions know any and invert only.
          const bool restricted = k == kCondPrefix || k == kCondNeighbor;
          if (!MatchTypeValid(m.type()) || (restricted && m.type() == apipb::MatchSet::ALL)) {
            return absl::InvalidArgumentError("invalid match type");
          }
          if (!m.name().empty()) *(oc->*sc.mut)() = m;  // an empty name is no condition
          break;
        }
        case kCondAsPathLength: {
          if (!c.has_as_path_length()) break;
          const int t = static_cast<int>(c.as_path_length().type());
          const bool known = t >= 0 && t <= 5;  // GoBGP's attribute-eq..le, eq..le
          if (!known && c.as_path_length().length() == 0) break;
          if (!known) return absl::InvalidArgumentError("invalid as path length operator: ");
          oc->mutable_as_path_length()->set_type(static_cast<apipb::AsPathLength::Type>(t % 3));
          oc->mutable_as_path_length()->set_length(c.as_path_length().length());
          break;
        }
        case kCondRpki:
          if (c.rpki_result() >= 1 && c.rpki_result() <= 3) oc->set_rpki_result(c.rpki_result());
          break;
        case kCondRouteType: {
          const int t = static_cast<int>(c.route_type());
          if (t == 0) break;
          if (t < 0 || t > 3)
            return absl::InvalidArgumentError(absl::StrCat("invalid route type: ", t));
          oc->set_route_type(c.route_type());
          break;
        }
        case kCondNextHop: {
          // An unparsable list is no condition (GoBGP's NewNextHopCondition drops it).
          std::vector<std::string> list;
          for (const std::string& x : c.next_hop_in_list()) {
            absl::StatusOr<Prefix> p = ParseCidrOrAddress(x);
            if (!p.ok()) {
              list.clear();
              break;
            }
            list.push_back(GoNetString(*p));
          }
          for (std::string& x : list) oc->add_next_hop_in_list(std::move(x));
          break;
        }
        case kCondAfiSafiIn:
          for (const apipb::Family& f : c.afi_safi_in()) {
            const FamilyName* n = FindFamily(f.afi(), f.safi());
            if (n == nullptr) {
              return absl::InvalidArgumentError(
                  absl::StrCat("unknown afi-safi-in type value: ", FamilyText(f)));
            }
            apipb::Family* g = oc->add_afi_safi_in();
            g->set_afi(static_cast<apipb::Family::Afi>(n->afi));
            g->set_safi(static_cast<apipb::Family::Safi>(n->safi));
          }
          break;
      }
    }
  }
  if (in.has_actions()) {
    const apipb::Actions& a = in.actions();
    if (a.route_action() != apipb::RouteAction::NONE) {
      oa->set_route_action(a.route_action() == apipb::RouteAction::ACCEPT
                               ? apipb::RouteAction::ACCEPT
                               : apipb::RouteAction::REJECT);
    }
    for (Act k : kActOrder) {
      switch (k) {
        case kActCommunity:
        case kActExtCommunity:
        case kActLargeCommunity: {
          if (!HasAct(a, k)) break;
          const apipb::CommunityAction& c = k == kActCommunity      ? a.community()
                                            : k == kActExtCommunity ? a.ext_community()
                                                                    : a.large_community();
          auto parsed = ParseCommunityAction(c, k == kActCommunity      ? CommKind::kStandard
                                                : k == kActExtCommunity ? CommKind::kExtended
                                                                        : CommKind::kLarge);
          if (!parsed.ok()) return parsed.status();
          if (!parsed->has_value()) break;
          apipb::CommunityAction* dst = k == kActCommunity      ? oa->mutable_community()
                                        : k == kActExtCommunity ? oa->mutable_ext_community()
                                                                : oa->mutable_large_community();
          *dst = **std::move(parsed);
          break;
        }
        case kActMed:
          if (a.has_med()) *oa->mutable_med() = a.med();
          break;
        case kActLocalPref:
          if (a.has_local_pref() && a.local_pref().value() != 0)
            *oa->mutable_local_pref() = a.local_pref();
          break;
        case kActAsPrepend:
          if (a.has_as_prepend()) {
            apipb::AsPrependAction* p = oa->mutable_as_prepend();
            p->set_use_left_most(a.as_prepend().use_left_most());
            p->set_asn(a.as_prepend().use_left_most() ? 0 : a.as_prepend().asn());
            p->set_repeat(a.as_prepend().repeat() & 0xff);  // GoBGP keeps a uint8
          }
          break;
        case kActNexthop: {
          if (!a.has_nexthop()) break;
          const apipb::NexthopAction& n = a.nexthop();
          const std::string text = n.self() ? "self" : n.unchanged() ? "unchanged" : n.address();
          const std::string lower = absl::AsciiStrToLower(text);
          if (lower.empty()) break;
          if (lower == "self") {
            oa->mutable_nexthop()->set_self(true);
          } else if (lower == "unchanged") {
            oa->mutable_nexthop()->set_unchanged(true);
          } else {
            absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
            if (!ip.ok())
              return absl::InvalidArgumentError(absl::StrCat("invalid ip address format: ", text));
            oa->mutable_nexthop()->set_address(GoIpString(*ip));
          }
          break;
        }
      }
    }
  }
  return out;
}

// toStatementApi(Statement.ToConfig()): what gobgpd lists for a statement.
apipb::Statement PolicyStore::ToApi(const apipb::Statement& stored) {
  apipb::Statement out = stored;
  apipb::Conditions* c = out.mutable_conditions();
  if (c->rpki_result() == 0) c->set_rpki_result(-1);  // "" -> ToInt() == -1
  apipb::Actions* a = out.mutable_actions();
  // An empty community list is an action GoBGP applies but does not list.
  if (a->has_community() && a->community().communities_size() == 0) a->clear_community();
  if (a->has_ext_community() && a->ext_community().communities_size() == 0)
    a->clear_ext_community();
  if (a->has_large_community() && a->large_community().communities_size() == 0)
    a->clear_large_community();
  if (a->has_med()) {
    std::optional<apipb::MedAction> m = MedFromString(MedString(a->med()));
    if (m)
      *a->mutable_med() = *m;
    else
      a->clear_med();
  }
  return out;
}

namespace {

// A stored statement as kbgp's policy model.
policy::StatementDef ToStatementDef(const apipb::Statement& st) {
  policy::StatementDef d;
  d.name = st.name();
  const apipb::Conditions& c = st.conditions();
  policy::ConditionsDef& dc = d.conditions;
  if (c.has_prefix_set()) dc.prefix_set = ToMatchSetDef(c.prefix_set());
  if (c.has_neighbor_set()) dc.neighbor_set = ToMatchSetDef(c.neighbor_set());
  if (c.has_as_path_set()) dc.as_path_set = ToMatchSetDef(c.as_path_set());
  if (c.has_community_set()) dc.community_set = ToMatchSetDef(c.community_set());
  if (c.has_ext_community_set()) dc.ext_community_set = ToMatchSetDef(c.ext_community_set());
  if (c.has_large_community_set()) dc.large_community_set = ToMatchSetDef(c.large_community_set());
  if (c.has_as_path_length()) {
    dc.as_path_length.value = c.as_path_length().length();
    switch (c.as_path_length().type()) {
      case apipb::AsPathLength::GE: dc.as_path_length.op = policy::Comparison::kGe; break;
      case apipb::AsPathLength::LE: dc.as_path_length.op = policy::Comparison::kLe; break;
      default: dc.as_path_length.op = policy::Comparison::kEq; break;
    }
  }
  switch (c.route_type()) {
    case apipb::Conditions::ROUTE_TYPE_INTERNAL:
      dc.route_type = policy::RouteType::kInternal;
      break;
    case apipb::Conditions::ROUTE_TYPE_EXTERNAL:
      dc.route_type = policy::RouteType::kExternal;
      break;
    case apipb::Conditions::ROUTE_TYPE_LOCAL: dc.route_type = policy::RouteType::kLocal; break;
    default: break;
  }
  for (const std::string& x : c.next_hop_in_list()) {
    absl::StatusOr<Prefix> p = ParseCidr(x);
    if (p.ok()) dc.next_hop_in_list.push_back(*p);
  }
  for (const apipb::Family& f : c.afi_safi_in()) {
    if (const FamilyName* n = FindFamily(f.afi(), f.safi())) dc.afi_safi_in.emplace_back(n->name);
  }
  switch (c.rpki_result()) {
    case 1: dc.rpki = policy::RpkiState::kNotFound; break;
    case 2: dc.rpki = policy::RpkiState::kValid; break;
    case 3: dc.rpki = policy::RpkiState::kInvalid; break;
    default: break;
  }
  const apipb::Actions& a = st.actions();
  policy::ActionsDef& da = d.actions;
  switch (a.route_action()) {
    case apipb::RouteAction::ACCEPT: da.disposition = policy::Disposition::kAccept; break;
    case apipb::RouteAction::REJECT: da.disposition = policy::Disposition::kReject; break;
    default: break;
  }
  if (a.has_med()) da.set_med = MedString(a.med());
  if (a.has_local_pref()) da.set_local_pref = a.local_pref().value();
  if (a.has_as_prepend()) {
    da.prepend_last_as = a.as_prepend().use_left_most();
    da.prepend_as = a.as_prepend().asn();
    da.prepend_repeat = static_cast<uint8_t>(a.as_prepend().repeat());
  }
  da.set_community = ToSetCommunitiesDef(a, kActCommunity);
  da.set_ext_community = ToSetCommunitiesDef(a, kActExtCommunity);
  da.set_large_community = ToSetCommunitiesDef(a, kActLargeCommunity);
  if (a.has_nexthop()) {
    da.set_next_hop = a.nexthop().self()        ? "self"
                      : a.nexthop().unchanged() ? "unchanged"
                                                : a.nexthop().address();
  }
  return d;
}

// A config-file statement as gobgpd hands it to its API (table.toStatementApi over the
// config structs, before any parsing).
apipb::Statement ConfigStatementToApi(const policy::StatementDef& d) {
  apipb::Statement st;
  st.set_name(d.name);
  apipb::Conditions* c = st.mutable_conditions();
  const policy::ConditionsDef& dc = d.conditions;
  auto match = [](const policy::MatchSetDef& m, bool restricted, apipb::MatchSet* out) {
    out->set_name(m.name);
    out->set_type(restricted && m.option != policy::MatchOption::kInvert ? apipb::MatchSet::ANY
                                                                         : FromOption(m.option));
  };
  if (!dc.prefix_set.name.empty()) match(dc.prefix_set, true, c->mutable_prefix_set());
  if (!dc.neighbor_set.name.empty()) match(dc.neighbor_set, true, c->mutable_neighbor_set());
  if (!dc.as_path_set.name.empty()) match(dc.as_path_set, false, c->mutable_as_path_set());
  if (!dc.community_set.name.empty()) match(dc.community_set, false, c->mutable_community_set());
  if (!dc.ext_community_set.name.empty())
    match(dc.ext_community_set, false, c->mutable_ext_community_set());
  if (!dc.large_community_set.name.empty())
    match(dc.large_community_set, false, c->mutable_large_community_set());
  if (dc.as_path_length.op != policy::Comparison::kNone) {
    c->mutable_as_path_length()->set_length(dc.as_path_length.value);
    c->mutable_as_path_length()->set_type(
        dc.as_path_length.op == policy::Comparison::kGe   ? apipb::AsPathLength::GE
        : dc.as_path_length.op == policy::Comparison::kLe ? apipb::AsPathLength::LE
                                                          : apipb::AsPathLength::EQ);
  }
  switch (dc.route_type) {
    case policy::RouteType::kInternal:
      c->set_route_type(apipb::Conditions::ROUTE_TYPE_INTERNAL);
      break;
    case policy::RouteType::kExternal:
      c->set_route_type(apipb::Conditions::ROUTE_TYPE_EXTERNAL);
      break;
    case policy::RouteType::kLocal: c->set_route_type(apipb::Conditions::ROUTE_TYPE_LOCAL); break;
    default: break;
  }
  for (const Prefix& p : dc.next_hop_in_list) c->add_next_hop_in_list(GoNetString(p));
  for (const std::string& name : dc.afi_safi_in) {
    if (const FamilyName* n = FindFamily(name)) {
      apipb::Family* f = c->add_afi_safi_in();
      f->set_afi(static_cast<apipb::Family::Afi>(n->afi));
      f->set_safi(static_cast<apipb::Family::Safi>(n->safi));
    }
  }
  switch (dc.rpki) {
    case policy::RpkiState::kNotFound: c->set_rpki_result(1); break;
    case policy::RpkiState::kValid: c->set_rpki_result(2); break;
    case policy::RpkiState::kInvalid: c->set_rpki_result(3); break;
    default: c->set_rpki_result(-1); break;
  }
  apipb::Actions* a = st.mutable_actions();
  const policy::ActionsDef& da = d.actions;
  a->set_route_action(FromDisposition(da.disposition));
  auto comm = [](const policy::SetCommunitiesDef& s,
                 apipb::CommunityAction* (apipb::Actions::*mut)(), apipb::Actions* acts) {
    if (s.values.empty()) return;
    apipb::CommunityAction* ca = (acts->*mut)();
    ca->set_type(FromCommunityOp(s.op));
    for (const std::string& v : s.values) ca->add_communities(v);
  };
  comm(da.set_community, &apipb::Actions::mutable_community, a);
  comm(da.set_ext_community, &apipb::Actions::mutable_ext_community, a);
  comm(da.set_large_community, &apipb::Actions::mutable_large_community, a);
  if (!da.set_med.empty()) {
    if (std::optional<apipb::MedAction> m = MedFromString(da.set_med)) *a->mutable_med() = *m;
  }
  if (da.prepend_last_as || da.prepend_as != 0) {
    a->mutable_as_prepend()->set_use_left_most(da.prepend_last_as);
    a->mutable_as_prepend()->set_asn(da.prepend_last_as ? 0 : da.prepend_as);
    a->mutable_as_prepend()->set_repeat(da.prepend_repeat);
  }
  if (da.set_next_hop == "self") {
    a->mutable_nexthop()->set_self(true);
  } else if (da.set_next_hop == "unchanged") {
    a->mutable_nexthop()->set_unchanged(true);
  } else if (!da.set_next_hop.empty()) {
    a->mutable_nexthop()->set_address(da.set_next_hop);
  }
  if (da.set_local_pref && *da.set_local_pref != 0)
    a->mutable_local_pref()->set_value(*da.set_local_pref);
  return st;
}

// A config-file set as gobgpd hands it to its API (raw values).
std::vector<apipb::DefinedSet> ConfigSetsToApi(const policy::DefinedSetsDef& d) {
  std::vector<apipb::DefinedSet> out;
  for (const policy::PrefixSetDef& s : d.prefix_sets) {
    apipb::DefinedSet& a = out.emplace_back();
    a.set_defined_type(DefinedType::PREFIX);
    a.set_name(s.name);
    for (const policy::PrefixEntryDef& e : s.entries) {
      apipb::Prefix* p = a.add_prefixes();
      p->set_ip_prefix(PrefixString(e.prefix));
      p->set_mask_length_min(e.min_length);
      p->set_mask_length_max(e.max_length);
    }
  }
  for (const policy::NeighborSetDef& s : d.neighbor_sets) {
    apipb::DefinedSet& a = out.emplace_back();
    a.set_defined_type(DefinedType::NEIGHBOR);
    a.set_name(s.name);
    for (const Prefix& p : s.addresses) a.add_list(GoNetString(p));
  }
  auto strings = [&out](const std::vector<policy::StringSetDef>& sets, DefinedType type) {
    for (const policy::StringSetDef& s : sets) {
      apipb::DefinedSet& a = out.emplace_back();
      a.set_defined_type(type);
      a.set_name(s.name);
      for (const std::string& v : s.values) a.add_list(v);
    }
  };
  strings(d.as_path_sets, DefinedType::AS_PATH);
  strings(d.community_sets, DefinedType::COMMUNITY);
  strings(d.ext_community_sets, DefinedType::EXT_COMMUNITY);
  strings(d.large_community_sets, DefinedType::LARGE_COMMUNITY);
  return out;
}

}  // namespace

// ---- The store ----

PolicyStore::PolicyStore() = default;

absl::StatusOr<PolicyStore> PolicyStore::FromConfig(const policy::PolicyConfig& config) {
  PolicyStore store;
  std::vector<PolicyInput> policies;
  for (const policy::PolicyDef& p : config.policies) {
    PolicyInput& in = policies.emplace_back();
    in.name = p.name;
    for (const policy::StatementDef& sd : p.statements) {
      StoredStatement& s = in.statements.emplace_back();
      s.st = ConfigStatementToApi(sd);
      const policy::ConditionsDef& c = sd.conditions;
      s.extras =
          Extras{c.community_count, c.origin_eq, c.med_eq, c.local_pref_eq, sd.actions.set_origin};
    }
  }
  if (absl::Status s = store.ResetPolicies(ConfigSetsToApi(config.sets), std::move(policies));
      !s.ok()) {
    return s;
  }
  // assignGlobalpolicy: SetPolicyAssignment for each direction.
  const policy::AssignmentDef& g = config.global;
  const std::vector<std::string>* names[2] = {&g.import_policies, &g.export_policies};
  const policy::Disposition defaults[2] = {g.default_import, g.default_export};
  for (int dir : {kImport, kExport}) {
    apipb::SetPolicyAssignmentRequest req;
    apipb::PolicyAssignment* a = req.mutable_assignment();
    a->set_name(std::string(kGlobal));
    a->set_direction(dir == kImport ? apipb::PolicyDirection::IMPORT
                                    : apipb::PolicyDirection::EXPORT);
    a->set_default_action(defaults[dir] == policy::Disposition::kReject
                              ? apipb::RouteAction::REJECT
                              : apipb::RouteAction::ACCEPT);
    for (const std::string& n : *names[dir]) a->add_policies()->set_name(n);
    if (absl::Status s = store.SetPolicyAssignment(req); !s.ok()) return s;
  }
  for (const auto& [addr, apply] : config.route_server_clients) {
    if (absl::Status s = store.SetPeerPolicy(addr, apply); !s.ok()) return s;
  }
  return store;
}

// ---- Defined sets ----

absl::Status PolicyStore::AddDefinedSet(const apipb::AddDefinedSetRequest& req) {
  if (!req.has_defined_set()) return absl::InvalidArgumentError("nil request");
  absl::StatusOr<apipb::DefinedSet> set = ParseDefinedSet(req.defined_set());
  if (!set.ok()) return set.status();
  auto key = std::make_pair(static_cast<int>(set->defined_type()), set->name());
  auto it = sets_.find(key);
  if (it == sets_.end()) {
    sets_.emplace(std::move(key), *std::move(set));
    return absl::OkStatus();
  }
  return AppendSet(&it->second, *set);
}

absl::Status PolicyStore::DeleteDefinedSet(const apipb::DeleteDefinedSetRequest& req) {
  if (!req.has_defined_set()) return absl::InvalidArgumentError("nil request");
  absl::StatusOr<apipb::DefinedSet> set = ParseDefinedSet(req.defined_set());
  if (!set.ok()) return set.status();
  auto it = sets_.find(std::make_pair(static_cast<int>(set->defined_type()), set->name()));
  if (it == sets_.end())
    return absl::NotFoundError(absl::StrCat("not found defined-set: ", set->name()));
  if (!req.all()) {
    RemoveFromSet(&it->second, *set);
    return absl::OkStatus();
  }
  if (SetInUse(set->defined_type(), set->name())) {
    return absl::FailedPreconditionError(
        absl::StrCat("can't delete. defined-set ", set->name(), " is in use"));
  }
  sets_.erase(it);
  return absl::OkStatus();
}

absl::Status PolicyStore::ListDefinedSet(const apipb::ListDefinedSetRequest& req,
                                         std::vector<apipb::ListDefinedSetResponse>* out) const {
  const DefinedType t = req.defined_type();
  if (t != DefinedType::PREFIX && t != DefinedType::NEIGHBOR && t != DefinedType::AS_PATH &&
      t != DefinedType::COMMUNITY && t != DefinedType::EXT_COMMUNITY &&
      t != DefinedType::LARGE_COMMUNITY) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid defined-set type: ", static_cast<int>(t)));
  }
  for (auto it = sets_.lower_bound(std::make_pair(static_cast<int>(t), std::string()));
       it != sets_.end() && it->first.first == static_cast<int>(t); ++it) {
    if (!req.name().empty() && it->first.second != req.name()) continue;
    *out->emplace_back().mutable_defined_set() = it->second;
  }
  return absl::OkStatus();
}

bool PolicyStore::SetInUse(apipb::DefinedType type, const std::string& name) const {
  for (const auto& [pname, stmts] : policies_) {
    for (const std::string& sname : stmts) {
      auto it = statements_.find(sname);
      if (it == statements_.end()) continue;
      const apipb::Conditions& c = it->second.st.conditions();
      for (const SetCond& sc : kSetConds) {
        if (sc.type == type && (c.*sc.has)() && (c.*sc.get)().name() == name) return true;
      }
    }
  }
  return false;
}

absl::Status PolicyStore::CheckSetsExist(const apipb::Statement& st) const {
  const apipb::Conditions& c = st.conditions();
  for (Cond k : kCondOrder) {
    for (const SetCond& sc : kSetConds) {
      if (sc.kind != k || !(c.*sc.has)()) continue;
      const std::string& name = (c.*sc.get)().name();
      if (!sets_.contains(std::make_pair(static_cast<int>(sc.type), name))) {
        return absl::NotFoundError(absl::StrCat("not found ", sc.what, " ", name));
      }
    }
  }
  return absl::OkStatus();
}

// ---- Statements ----

absl::Status PolicyStore::AddStatement(const apipb::AddStatementRequest& req) {
  if (!req.has_statement()) return absl::InvalidArgumentError("nil request");
  absl::StatusOr<apipb::Statement> st = ParseStatement(req.statement());
  if (!st.ok()) return st.status();
  if (absl::Status s = CheckSetsExist(*st); !s.ok()) return s;
  auto it = statements_.find(st->name());
  if (it == statements_.end()) {
    std::string name = st->name();
    statements_.emplace(std::move(name), StoredStatement{*std::move(st), Extras()});
    return absl::OkStatus();
  }
  return ModStatement(true, *st, &it->second.st);
}

absl::Status PolicyStore::DeleteStatement(const apipb::DeleteStatementRequest& req) {
  if (!req.has_statement()) return absl::InvalidArgumentError("nil request");
  absl::StatusOr<apipb::Statement> st = ParseStatement(req.statement());
  if (!st.ok()) return st.status();
  auto it = statements_.find(st->name());
  if (it == statements_.end())
    return absl::NotFoundError(absl::StrCat("not found statement: ", st->name()));
  if (!req.all()) return ModStatement(false, *st, &it->second.st);
  if (StatementInUse(st->name())) {
    return absl::FailedPreconditionError(
        absl::StrCat("can't delete. statement ", st->name(), " is in use"));
  }
  statements_.erase(it);
  return absl::OkStatus();
}

absl::Status PolicyStore::ListStatement(const apipb::ListStatementRequest& req,
                                        std::vector<apipb::ListStatementResponse>* out) const {
  for (const auto& [name, s] : statements_) {
    if (!req.name().empty() && req.name() != name) continue;
    *out->emplace_back().mutable_statement() = ToApi(s.st);
  }
  return absl::OkStatus();
}

bool PolicyStore::StatementInUse(const std::string& name) const {
  for (const auto& [pname, stmts] : policies_) {
    if (std::find(stmts.begin(), stmts.end(), name) != stmts.end()) return true;
  }
  return false;
}

// ---- Policies ----

absl::Status PolicyStore::AddPolicy(const apipb::AddPolicyRequest& req) {
  if (!req.has_policy()) return absl::InvalidArgumentError("nil request");
  const apipb::Policy& p = req.policy();
  if (p.name().empty()) return absl::InvalidArgumentError("empty policy name");
  std::vector<apipb::Statement> parsed;
  for (int i = 0; i < p.statements_size(); ++i) {
    apipb::Statement x = p.statements(i);
    if (x.name().empty()) x.set_name(absl::StrCat(p.name(), "_stmt", i));
    absl::StatusOr<apipb::Statement> st = ParseStatement(x);
    if (!st.ok()) return st.status();
    parsed.push_back(*std::move(st));
  }
  for (const apipb::Statement& st : parsed) {
    if (absl::Status s = CheckSetsExist(st); !s.ok()) return s;
  }
  std::vector<std::string> names;
  if (req.refer_existing_statements()) {
    for (const apipb::Statement& st : parsed) {
      auto it = statements_.find(st.name());
      if (it == statements_.end())
        return absl::NotFoundError(absl::StrCat("not found statement ", st.name()));
      // The statement may name a set deleted while it was outside every policy.
      if (absl::Status s = CheckSetsExist(it->second.st); !s.ok()) return s;
      names.push_back(st.name());
    }
  } else {
    for (const apipb::Statement& st : parsed) {
      // A name twice in the request is "already defined" the second time, as in gobgpd.
      if (statements_.contains(st.name()) ||
          std::find(names.begin(), names.end(), st.name()) != names.end()) {
        return absl::AlreadyExistsError(absl::StrCat("statement ", st.name(), " already defined"));
      }
      names.push_back(st.name());
    }
    for (apipb::Statement& st : parsed) {
      std::string name = st.name();
      statements_.emplace(std::move(name), StoredStatement{std::move(st), Extras()});
    }
  }
  std::vector<std::string>& stmts = policies_[p.name()];
  stmts.insert(stmts.end(), names.begin(), names.end());
  return absl::OkStatus();
}

absl::Status PolicyStore::DeletePolicy(const apipb::DeletePolicyRequest& req) {
  if (!req.has_policy()) return absl::InvalidArgumentError("nil request");
  const apipb::Policy& p = req.policy();
  if (p.name().empty()) return absl::InvalidArgumentError("empty policy name");
  std::vector<std::string> names;
  for (int i = 0; i < p.statements_size(); ++i) {
    apipb::Statement x = p.statements(i);
    if (x.name().empty()) x.set_name(absl::StrCat(p.name(), "_stmt", i));
    absl::StatusOr<apipb::Statement> st = ParseStatement(x);
    if (!st.ok()) return st.status();
    names.push_back(st->name());
  }
  auto it = policies_.find(p.name());
  if (it == policies_.end())
    return absl::NotFoundError(absl::StrCat("not found policy: ", p.name()));
  std::vector<std::string> stmts;
  if (req.all()) {
    if (PolicyInUse(p.name())) {
      return absl::FailedPreconditionError(
          absl::StrCat("can't delete. policy ", p.name(), " is in use"));
    }
    stmts = std::move(it->second);
    policies_.erase(it);
  } else {
    std::vector<std::string>& cur = it->second;
    cur.erase(std::remove_if(cur.begin(), cur.end(),
                             [&](const std::string& s) {
                               return std::find(names.begin(), names.end(), s) != names.end();
                             }),
              cur.end());
    stmts = cur;  // gobgpd looks at what the policy still holds, all of which is in use
  }
  if (!req.preserve_statements()) {
    for (const std::string& s : stmts) {
      if (!StatementInUse(s)) statements_.erase(s);
    }
  }
  return absl::OkStatus();
}

absl::Status PolicyStore::ListPolicy(const apipb::ListPolicyRequest& req,
                                     std::vector<apipb::ListPolicyResponse>* out) const {
  for (const auto& [name, stmts] : policies_) {
    if (!req.name().empty() && req.name() != name) continue;
    *out->emplace_back().mutable_policy() = PolicyToApi(name);
  }
  return absl::OkStatus();
}

apipb::Policy PolicyStore::PolicyToApi(const std::string& name) const {
  apipb::Policy p;
  p.set_name(name);
  auto it = policies_.find(name);
  if (it == policies_.end()) return p;
  for (const std::string& s : it->second) {
    auto st = statements_.find(s);
    if (st != statements_.end()) *p.add_statements() = ToApi(st->second.st);
  }
  return p;
}

bool PolicyStore::PolicyInUse(const std::string& name) const {
  auto uses = [&](const Assignment& a) {
    for (const std::vector<std::string>& list : a.policies) {
      if (std::find(list.begin(), list.end(), name) != list.end()) return true;
    }
    return false;
  };
  if (uses(global_)) return true;
  for (const auto& [addr, a] : clients_) {
    if (uses(a)) return true;
  }
  return false;
}

absl::Status PolicyStore::SetPolicies(const apipb::SetPoliciesRequest& req) {
  std::vector<PolicyInput> policies;
  for (const apipb::Policy& p : req.policies()) {
    if (p.name().empty()) return absl::InvalidArgumentError("empty policy name");
    PolicyInput& in = policies.emplace_back();
    in.name = p.name();
    for (const apipb::Statement& st : p.statements())
      in.statements.push_back(StoredStatement{st, Extras()});
  }
  std::vector<apipb::DefinedSet> sets(req.defined_sets().begin(), req.defined_sets().end());
  return ResetPolicies(sets, std::move(policies));
}

// SetPolicies: newRoutingPolicyFromApiStruct (each statement parsed and listed), then
// RoutingPolicy.reload (parsed again) and the assignments put back by policy name.
absl::Status PolicyStore::ResetPolicies(const std::vector<apipb::DefinedSet>& sets,
                                        std::vector<PolicyInput> policies) {
  // First pass: newConfigPolicyFromApiStruct.
  for (PolicyInput& p : policies) {
    if (p.name.empty()) return absl::InvalidArgumentError("empty policy name");
    for (size_t i = 0; i < p.statements.size(); ++i) {
      apipb::Statement& x = p.statements[i].st;
      if (x.name().empty()) x.set_name(absl::StrCat(p.name, "_stmt", i));
      absl::StatusOr<apipb::Statement> st = ParseStatement(x);
      if (!st.ok()) return st.status();
      x = ToApi(*st);
    }
  }
  for (const apipb::DefinedSet& s : sets) {
    if (s.name().empty()) return absl::InvalidArgumentError("empty neighbor set name");
  }
  // reload.
  PolicyStore next;
  for (const apipb::DefinedSet& s : sets) {
    absl::StatusOr<apipb::DefinedSet> set = ParseDefinedSet(s);
    if (!set.ok()) return set.status();
    // A later set of the same type and name replaces an earlier one, as in gobgpd's map.
    next.sets_[std::make_pair(static_cast<int>(set->defined_type()), set->name())] =
        *std::move(set);
  }
  for (PolicyInput& p : policies) {
    if (next.policies_.contains(p.name)) {
      return absl::InvalidArgumentError("duplicated policy name. policy name must be unique");
    }
    std::vector<std::string>& names = next.policies_[p.name];
    for (StoredStatement& s : p.statements) {
      absl::StatusOr<apipb::Statement> st = ParseStatement(s.st);
      if (!st.ok()) return st.status();
      if (next.statements_.contains(st->name())) {
        return absl::InvalidArgumentError(
            "duplicated statement name. statement name must be unique");
      }
      names.push_back(st->name());
      std::string name = st->name();
      next.statements_.emplace(std::move(name), StoredStatement{*std::move(st), s.extras});
    }
  }
  for (const auto& [pname, names] : next.policies_) {
    for (const std::string& n : names) {
      if (absl::Status s = next.CheckSetsExist(next.statements_.at(n).st); !s.ok()) return s;
    }
  }
  // Assignments keep their policies by name when every one still exists; the default is
  // put back as accept unless it was reject. A global direction that cannot be put back
  // is empty with accept (reload's start), a client's is empty with none.
  auto restore = [&next](const Assignment& old, bool global) {
    Assignment a;
    for (int dir : {kImport, kExport}) {
      const bool all_exist =
          std::all_of(old.policies[dir].begin(), old.policies[dir].end(),
                      [&](const std::string& n) { return next.policies_.contains(n); });
      if (all_exist) {
        a.policies[dir] = old.policies[dir];
        a.defaults[dir] = old.defaults[dir] == apipb::RouteAction::REJECT
                              ? apipb::RouteAction::REJECT
                              : apipb::RouteAction::ACCEPT;
      } else {
        a.defaults[dir] = global ? apipb::RouteAction::ACCEPT : apipb::RouteAction::NONE;
      }
    }
    return a;
  };
  next.global_ = restore(global_, true);
  for (const auto& [addr, a] : clients_) next.clients_[addr] = restore(a, false);
  *this = std::move(next);
  return absl::OkStatus();
}

// ---- Assignments ----

absl::StatusOr<PolicyStore::AssignmentId> PolicyStore::ResolveAssignment(
    const std::string& name, apipb::PolicyDirection dir, const PeerLookup& peers) const {
  if (name.empty()) return absl::InvalidArgumentError("empty table name");
  AssignmentId id;
  if (name != kGlobal) {
    absl::StatusOr<IpAddress> addr = IpAddress::Parse(name);
    PeerKind kind = PeerKind::kUnknown;
    if (addr.ok()) {
      if (peers) {
        kind = peers(*addr);
      } else if (clients_.contains(*addr)) {
        kind = PeerKind::kRouteServerClient;
      }
    }
    if (kind == PeerKind::kUnknown)
      return absl::NotFoundError(absl::StrCat("not found peer ", name));
    if (kind == PeerKind::kPeer) {
      return absl::FailedPreconditionError(
          absl::StrCat("non-rs-client peer ", name, " doesn't have per peer policy"));
    }
    id.client = *addr;
  }
  switch (dir) {
    case apipb::PolicyDirection::IMPORT: id.dir = kImport; break;
    case apipb::PolicyDirection::EXPORT: id.dir = kExport; break;
    default: return absl::InvalidArgumentError("invalid policy type");
  }
  return id;
}

PolicyStore::Assignment* PolicyStore::FindAssignment(const AssignmentId& id) {
  return id.client ? &clients_[*id.client] : &global_;
}

const PolicyStore::Assignment* PolicyStore::FindAssignment(const AssignmentId& id) const {
  if (!id.client) return &global_;
  auto it = clients_.find(*id.client);
  return it == clients_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::vector<std::string>> PolicyStore::ResolvePolicies(
    const RepeatedPtrField<apipb::Policy>& policies) const {
  std::vector<std::string> names;
  for (const apipb::Policy& p : policies) {
    if (!policies_.contains(p.name()))
      return absl::NotFoundError(absl::StrCat("not found policy ", p.name()));
    if (std::find(names.begin(), names.end(), p.name()) != names.end()) {
      return absl::InvalidArgumentError(absl::StrCat("duplicated policy ", p.name()));
    }
    names.push_back(p.name());
  }
  return names;
}

absl::Status PolicyStore::AddPolicyAssignment(const apipb::AddPolicyAssignmentRequest& req,
                                              const PeerLookup& peers) {
  if (!req.has_assignment()) return absl::InvalidArgumentError("nil request");
  const apipb::PolicyAssignment& r = req.assignment();
  absl::StatusOr<AssignmentId> id = ResolveAssignment(r.name(), r.direction(), peers);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::vector<std::string>> names = ResolvePolicies(r.policies());
  if (!names.ok()) return names.status();
  Assignment* a = FindAssignment(*id);
  std::vector<std::string> list = a->policies[id->dir];
  for (std::string& n : *names) {
    if (std::find(list.begin(), list.end(), n) != list.end()) {
      return absl::InvalidArgumentError(absl::StrCat("duplicated policy ", n));
    }
    list.push_back(std::move(n));
  }
  a->policies[id->dir] = std::move(list);
  if (RequestDefault(r.default_action()) != apipb::RouteAction::NONE)
    a->defaults[id->dir] = r.default_action();
  return absl::OkStatus();
}

absl::Status PolicyStore::DeletePolicyAssignment(const apipb::DeletePolicyAssignmentRequest& req,
                                                 const PeerLookup& peers) {
  if (!req.has_assignment()) return absl::InvalidArgumentError("nil request");
  const apipb::PolicyAssignment& r = req.assignment();
  absl::StatusOr<AssignmentId> id = ResolveAssignment(r.name(), r.direction(), peers);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::vector<std::string>> names = ResolvePolicies(r.policies());
  if (!names.ok()) return names.status();
  Assignment* a = FindAssignment(*id);
  std::vector<std::string>& list = a->policies[id->dir];
  if (req.all()) {
    list.clear();
    a->defaults[id->dir] = apipb::RouteAction::NONE;
    return absl::OkStatus();
  }
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const std::string& n) {
                              return std::find(names->begin(), names->end(), n) != names->end();
                            }),
             list.end());
  return absl::OkStatus();
}

absl::Status PolicyStore::SetPolicyAssignment(const apipb::SetPolicyAssignmentRequest& req,
                                              const PeerLookup& peers) {
  if (!req.has_assignment()) return absl::InvalidArgumentError("nil request");
  const apipb::PolicyAssignment& r = req.assignment();
  absl::StatusOr<AssignmentId> id = ResolveAssignment(r.name(), r.direction(), peers);
  if (!id.ok()) return id.status();
  absl::StatusOr<std::vector<std::string>> names = ResolvePolicies(r.policies());
  if (!names.ok()) return names.status();
  Assignment* a = FindAssignment(*id);
  a->policies[id->dir] = *std::move(names);
  if (RequestDefault(r.default_action()) != apipb::RouteAction::NONE)
    a->defaults[id->dir] = r.default_action();
  return absl::OkStatus();
}

absl::Status PolicyStore::ListPolicyAssignment(
    const apipb::ListPolicyAssignmentRequest& req,
    std::vector<apipb::ListPolicyAssignmentResponse>* out, const PeerLookup& peers) const {
  std::vector<std::string> names;
  if (req.name().empty()) {
    names.emplace_back(kGlobal);
    for (const auto& [addr, a] : clients_) names.push_back(addr.ToString());
  } else {
    names.push_back(req.name());
  }
  std::vector<apipb::PolicyDirection> dirs;
  if (req.direction() == apipb::PolicyDirection::UNKNOWN) {
    dirs = {apipb::PolicyDirection::EXPORT, apipb::PolicyDirection::IMPORT};
  } else {
    dirs = {req.direction()};
  }
  std::vector<apipb::ListPolicyAssignmentResponse> list;
  const Assignment none;  // a client the server knows but the store has no entry for yet
  for (const std::string& name : names) {
    for (apipb::PolicyDirection dir : dirs) {
      absl::StatusOr<AssignmentId> id = ResolveAssignment(name, dir, peers);
      if (!id.ok()) return id.status();
      const Assignment* a = FindAssignment(*id);
      if (a == nullptr) a = &none;
      apipb::PolicyAssignment& pa = *list.emplace_back().mutable_assignment();
      pa.set_name(name);
      pa.set_direction(dir);
      pa.set_default_action(a->defaults[id->dir]);
      for (const std::string& p : a->policies[id->dir]) *pa.add_policies() = PolicyToApi(p);
    }
  }
  // Nothing is sent when a name fails, as gobgpd collects the whole answer first.
  out->insert(out->end(), std::make_move_iterator(list.begin()),
              std::make_move_iterator(list.end()));
  return absl::OkStatus();
}

absl::Status PolicyStore::SetPeerPolicy(const IpAddress& client,
                                        const policy::AssignmentDef& apply) {
  Assignment& a = clients_[client];
  const std::vector<std::string>* lists[2] = {&apply.import_policies, &apply.export_policies};
  const policy::Disposition defaults[2] = {apply.default_import, apply.default_export};
  absl::Status result;
  for (int dir : {kImport, kExport}) {
    std::vector<std::string> names;
    absl::Status st;
    for (const std::string& n : *lists[dir]) {
      if (!policies_.contains(n)) {
        st = absl::NotFoundError(absl::StrCat("not found policy ", n));
        break;
      }
      if (std::find(names.begin(), names.end(), n) != names.end()) {
        st = absl::InvalidArgumentError(absl::StrCat("duplicated policy ", n));
        break;
      }
      names.push_back(n);
    }
    if (!st.ok()) {
      result.Update(st);
      continue;
    }
    a.policies[dir] = std::move(names);
    a.defaults[dir] = defaults[dir] == policy::Disposition::kReject ? apipb::RouteAction::REJECT
                                                                    : apipb::RouteAction::ACCEPT;
  }
  return result;
}

void PolicyStore::RemovePeer(const IpAddress& client) { clients_.erase(client); }

// ---- Building ----

absl::StatusOr<policy::PolicyConfig> PolicyStore::Build() const {
  policy::PolicyConfig c;
  for (const auto& [key, set] : sets_) {
    switch (set.defined_type()) {
      case DefinedType::PREFIX: {
        policy::PrefixSetDef& d = c.sets.prefix_sets.emplace_back();
        d.name = set.name();
        for (const apipb::Prefix& p : set.prefixes()) {
          d.entries.push_back(policy::PrefixEntryDef{ListedPrefix(p.ip_prefix()),
                                                     static_cast<uint8_t>(p.mask_length_min()),
                                                     static_cast<uint8_t>(p.mask_length_max())});
        }
        break;
      }
      case DefinedType::NEIGHBOR: {
        policy::NeighborSetDef& d = c.sets.neighbor_sets.emplace_back();
        d.name = set.name();
        for (const std::string& x : set.list()) {
          absl::StatusOr<Prefix> p = ParseCidr(x);
          if (!p.ok()) return p.status();
          d.addresses.push_back(*p);
        }
        break;
      }
      case DefinedType::AS_PATH:
        c.sets.as_path_sets.push_back({set.name(), {set.list().begin(), set.list().end()}});
        break;
      case DefinedType::COMMUNITY:
        c.sets.community_sets.push_back({set.name(), {set.list().begin(), set.list().end()}});
        break;
      case DefinedType::EXT_COMMUNITY:
        c.sets.ext_community_sets.push_back({set.name(), {set.list().begin(), set.list().end()}});
        break;
      case DefinedType::LARGE_COMMUNITY:
        c.sets.large_community_sets.push_back({set.name(), {set.list().begin(), set.list().end()}});
        break;
      default: break;
    }
  }
  for (const auto& [name, stmts] : policies_) {
    policy::PolicyDef& p = c.policies.emplace_back();
    p.name = name;
    for (const std::string& sname : stmts) {
      auto it = statements_.find(sname);
      if (it == statements_.end()) {
        return absl::InternalError(
            absl::StrCat("policy ", name, ": statement ", sname, " is gone"));
      }
      policy::StatementDef d = ToStatementDef(it->second.st);
      const Extras& x = it->second.extras;
      d.conditions.community_count = x.community_count;
      d.conditions.origin_eq = x.origin_eq;
      d.conditions.med_eq = x.med_eq;
      d.conditions.local_pref_eq = x.local_pref_eq;
      d.actions.set_origin = x.set_origin;
      p.statements.push_back(std::move(d));
    }
  }
  auto assignment = [](const Assignment& a) {
    policy::AssignmentDef d;
    d.import_policies = a.policies[kImport];
    d.default_import = ToDefault(a.defaults[kImport]);
    d.export_policies = a.policies[kExport];
    d.default_export = ToDefault(a.defaults[kExport]);
    return d;
  };
  c.global = assignment(global_);
  for (const auto& [addr, a] : clients_) c.route_server_clients.emplace_back(addr, assignment(a));
  return c;
}

absl::Status PolicyStore::Update(
    absl::FunctionRef<absl::Status(PolicyStore&)> op,
    absl::FunctionRef<absl::Status(const policy::PolicyConfig&)> commit) {
  PolicyStore next = *this;
  if (absl::Status s = op(next); !s.ok()) return s;
  absl::StatusOr<policy::PolicyConfig> config = next.Build();
  if (!config.ok()) return config.status();
  if (absl::Status s = commit(*config); !s.ok()) return s;
  *this = std::move(next);
  return absl::OkStatus();
}

}  // namespace kbgp::api_server
