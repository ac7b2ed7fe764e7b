#include "cli/render.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/capability.pb.h"
#include "cli/gojson.h"
#include "daemon/wire/gobgp_names.h"

namespace kbgp::cli {

namespace {

template <typename T>
bool Unpack(const google::protobuf::Any& any, T* out) {
  return out->ParseFromString(any.value());
}

// The part of a type URL after the last '/': "apipb.OriginAttribute".
absl::string_view TypeName(const google::protobuf::Any& any) {
  absl::string_view url = any.type_url();
  size_t slash = url.rfind('/');
  return slash == absl::string_view::npos ? url : url.substr(slash + 1);
}

void PadRight(std::string* out, absl::string_view s, size_t width) {
  out->append(s.data(), s.size());
  if (s.size() < width) out->append(width - s.size(), ' ');
}
void PadLeft(std::string* out, absl::string_view s, size_t width) {
  if (s.size() < width) out->append(width - s.size(), ' ');
  out->append(s.data(), s.size());
}

const char* WellKnownCommunity(uint32_t v) {
  for (const wire::WellKnownCommunity& w : wire::kWellKnownCommunities) {
    if (w.value == v) return w.name.data();  // the table's names are string literals
  }
  return nullptr;
}

// AS path segments as GoBGP's AsPathString (the AS_PATH column).
void AsPathColumn(const google::protobuf::RepeatedPtrField<apipb::AsSegment>& segs,
                  std::string* out) {
  for (int i = 0; i < segs.size(); ++i) {
    const apipb::AsSegment& s = segs[i];
    if (i != 0) out->push_back(' ');
    const char* sep = " ";
    switch (s.type()) {
      case apipb::AsSegment::AS_CONFED_SEQUENCE:
        out->push_back('(');
        break;
      case apipb::AsSegment::AS_CONFED_SET:
        out->push_back('[');
        sep = ",";
        break;
      case apipb::AsSegment::AS_SET:
        out->push_back('{');
        sep = ",";
        break;
      default:
        break;
    }
    for (int j = 0; j < s.numbers_size(); ++j) {
      absl::StrAppend(out, s.numbers(j));
      if (j != s.numbers_size() - 1) out->append(sep);
    }
    switch (s.type()) {
      case apipb::AsSegment::AS_CONFED_SEQUENCE:
        out->push_back(')');
        break;
      case apipb::AsSegment::AS_CONFED_SET:
        out->push_back(']');
        break;
      case apipb::AsSegment::AS_SET:
        out->push_back('}');
        break;
      default:
        break;
    }
  }
}

void AsPathJson(int type, const google::protobuf::RepeatedPtrField<apipb::AsSegment>& segs,
                std::string* j) {
  absl::StrAppend(j, "{\"type\":", type, ",\"as_paths\":[");
  for (int i = 0; i < segs.size(); ++i) {
    if (i) j->push_back(',');
    absl::StrAppend(j, "{\"segment_type\":", static_cast<int>(segs[i].type()),
                    ",\"num\":", segs[i].numbers_size() & 0xff, ",\"asns\":");
    if (segs[i].numbers_size() == 0) {
      j->append("null");
    } else {
      j->push_back('[');
      j->append(absl::StrJoin(segs[i].numbers(), ","));
      j->push_back(']');
    }
    j->push_back('}');
  }
  j->append("]}");
}

// An NLRI Any as GoBGP prints it ("10.0.0.0/24") and its JSON ({"prefix":...}).
bool NlriString(const google::protobuf::Any& any, std::string* out) {
  if (TypeName(any) == "apipb.IPAddressPrefix") {
    apipb::IPAddressPrefix p;
    if (!Unpack(any, &p)) return false;
    absl::StrAppend(out, p.prefix(), "/", p.prefix_len());
    return true;
  }
  if (TypeName(any) == "apipb.LabeledIPAddressPrefix") {
    apipb::LabeledIPAddressPrefix p;
    if (!Unpack(any, &p)) return false;
    absl::StrAppend(out, p.prefix(), "/", p.prefix_len());
    return true;
  }
  return false;
}

// One extended community: its text (as in {Extcomms: [..]}) and JSON.
void ExtCommunity(const google::protobuf::Any& any, std::string* text, std::string* j) {
  absl::string_view t = TypeName(any);
  std::string value;
  int type = 0, subtype = 0;
  bool bytes_value = false;
  std::string raw;
  if (t == "apipb.TwoOctetAsSpecificExtended") {
    apipb::TwoOctetAsSpecificExtended e;
    Unpack(any, &e);
    type = e.is_transitive() ? 0x00 : 0x40;
    subtype = static_cast<int>(e.sub_type());
    value = absl::StrCat(e.asn(), ":", e.local_admin());
  } else if (t == "apipb.IPv4AddressSpecificExtended") {
    apipb::IPv4AddressSpecificExtended e;
    Unpack(any, &e);
    type = e.is_transitive() ? 0x01 : 0x41;
    subtype = static_cast<int>(e.sub_type());
    value = absl::StrCat(e.address(), ":", e.local_admin());
  } else if (t == "apipb.FourOctetAsSpecificExtended") {
    apipb::FourOctetAsSpecificExtended e;
    Unpack(any, &e);
    type = e.is_transitive() ? 0x02 : 0x42;
    subtype = static_cast<int>(e.sub_type());
    value = absl::StrCat(e.asn() >> 16, ".", e.asn() & 0xffff, ":", e.local_admin());
  } else if (t == "apipb.OpaqueExtended") {
    apipb::OpaqueExtended e;
    Unpack(any, &e);
    type = e.is_transitive() ? 0x03 : 0x43;
    raw = e.value();
    subtype = raw.empty() ? 0 : static_cast<uint8_t>(raw[0]);
    bytes_value = true;
  } else {
    apipb::UnknownExtended e;
    Unpack(any, &e);
    type = static_cast<int>(e.type());
    raw = e.value();
    subtype = raw.empty() ? 0 : static_cast<uint8_t>(raw[0]);
    bytes_value = true;
  }
  if (bytes_value) {
    uint64_t v = 0;
    for (size_t i = 0; i < raw.size() && i < 7; ++i) v = v << 8 | static_cast<uint8_t>(raw[i]);
    value = absl::StrCat(v);
  }
  text->append(value);
  absl::StrAppend(j, "{\"type\":", type, ",\"subtype\":", subtype, ",\"value\":");
  if (bytes_value) {
    j->push_back('"');
    AppendBase64(raw, j);
    j->push_back('"');
  } else {
    AppendJsonString(value, j);
  }
  j->push_back('}');
}

}  // namespace

std::string FormatTimedelta(int64_t now, int64_t t) {
  int64_t d = now - t;
  uint64_t u = d < 0 ? static_cast<uint64_t>(-d) : static_cast<uint64_t>(d);
  uint64_t secs = u % 60;
  u /= 60;
  uint64_t mins = u % 60;
  u /= 60;
  uint64_t hours = u % 24;
  uint64_t days = u / 24;
  char buf[48];
  int n = days == 0
              ? std::snprintf(buf, sizeof(buf), "%02llu:%02llu:%02llu",
                              static_cast<unsigned long long>(hours),
                              static_cast<unsigned long long>(mins),
                              static_cast<unsigned long long>(secs))
              : std::snprintf(
                    buf, sizeof(buf), "%llud %02llu:%02llu:%02llu",
                    static_cast<unsigned long long>(days), static_cast<unsigned long long>(hours),
                    static_cast<unsigned long long>(mins), static_cast<unsigned long long>(secs));
  return std::string(buf, static_cast<size_t>(n));
}

bool DecodeNlri(const google::protobuf::Any& nlri, std::string* out) {
  out->clear();
  return NlriString(nlri, out);
}

bool DecodePath(const apipb::Path& path, bool want_json, PathText* out, std::string* error) {
  if (!DecodeNlri(path.nlri(), &out->nlri)) {
    *error = absl::StrCat("cannot decode the NLRI ", path.nlri().type_url());
    return false;
  }
  return DecodeAttrs(path.pattrs(), want_json, out, error);
}

bool DecodeAttrs(const google::protobuf::RepeatedPtrField<google::protobuf::Any>& pattrs,
                 bool want_json, PathText* out, std::string* error) {
  bool have_nh = false;
  bool have_as = false;
  std::vector<std::string> column;
  std::string& j = out->attrs_json;
  j.clear();
  if (want_json) j.push_back('[');
  bool first_json = true;
  for (const google::protobuf::Any& any : pattrs) {
    absl::string_view t = TypeName(any);
    std::string text;
    std::string js;
    if (t == "apipb.OriginAttribute") {
      apipb::OriginAttribute a;
      if (!Unpack(any, &a)) goto bad;
      const char* o = a.origin() == 0 ? "i" : a.origin() == 1 ? "e" : a.origin() == 2 ? "?" : "-";
      text = absl::StrCat("{Origin: ", o, "}");
      js = absl::StrCat("{\"type\":1,\"value\":", a.origin() & 0xff, "}");
    } else if (t == "apipb.AsPathAttribute") {
      apipb::AsPathAttribute a;
      if (!Unpack(any, &a)) goto bad;
      if (!have_as) {
        out->as_path.clear();
        AsPathColumn(a.segments(), &out->as_path);
        have_as = true;
      }
      if (want_json) AsPathJson(2, a.segments(), &js);
    } else if (t == "apipb.As4PathAttribute") {
      apipb::As4PathAttribute a;
      if (!Unpack(any, &a)) goto bad;
      if (want_json) AsPathJson(17, a.segments(), &js);
    } else if (t == "apipb.NextHopAttribute") {
      apipb::NextHopAttribute a;
      if (!Unpack(any, &a)) goto bad;
      if (!have_nh) {
        out->next_hop = a.next_hop();
        have_nh = true;
      }
      if (want_json) {
        js = "{\"type\":3,\"nexthop\":";
        AppendJsonString(a.next_hop(), &js);
        js.push_back('}');
      }
    } else if (t == "apipb.MultiExitDiscAttribute") {
      apipb::MultiExitDiscAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = absl::StrCat("{Med: ", a.med(), "}");
      js = absl::StrCat("{\"type\":4,\"metric\":", a.med(), "}");
    } else if (t == "apipb.LocalPrefAttribute") {
      apipb::LocalPrefAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = absl::StrCat("{LocalPref: ", a.local_pref(), "}");
      js = absl::StrCat("{\"type\":5,\"value\":", a.local_pref(), "}");
    } else if (t == "apipb.AtomicAggregateAttribute") {
      text = "{AtomicAggregate}";
      js = "{\"type\":6}";
    } else if (t == "apipb.AggregatorAttribute") {
      apipb::AggregatorAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = absl::StrCat("{Aggregate: {AS: ", a.asn(), ", Address: ", a.address(), "}}");
      js = absl::StrCat("{\"type\":7,\"as\":", a.asn(), ",\"address\":");
      AppendJsonString(a.address(), &js);
      js.push_back('}');
    } else if (t == "apipb.As4AggregatorAttribute") {
      apipb::As4AggregatorAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = absl::StrCat("{As4Aggregator: {AS: ", a.asn(), ", Address: ", a.address(), "}}");
      js = absl::StrCat("{\"type\":18,\"as\":", a.asn(), ",\"address\":");
      AppendJsonString(a.address(), &js);
      js.push_back('}');
    } else if (t == "apipb.CommunitiesAttribute") {
      apipb::CommunitiesAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = "{Communities: ";
      for (int i = 0; i < a.communities_size(); ++i) {
        if (i) text.append(", ");
        uint32_t v = a.communities(i);
        if (const char* n = WellKnownCommunity(v)) {
          text.append(n);
        } else {
          absl::StrAppend(&text, v >> 16, ":", v & 0xffff);
        }
      }
      text.push_back('}');
      js = "{\"type\":8,\"communities\":";
      if (a.communities_size() == 0) {
        js.append("null");
      } else {
        absl::StrAppend(&js, "[", absl::StrJoin(a.communities(), ","), "]");
      }
      js.push_back('}');
    } else if (t == "apipb.OriginatorIdAttribute") {
      apipb::OriginatorIdAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = absl::StrCat("{Originator: ", a.id(), "}");
      js = "{\"type\":9,\"value\":";
      AppendJsonString(a.id(), &js);
      js.push_back('}');
    } else if (t == "apipb.ClusterListAttribute") {
      apipb::ClusterListAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = absl::StrCat("{ClusterList: [", absl::StrJoin(a.ids(), " "), "]}");
      js = "{\"type\":10,\"value\":[";
      for (int i = 0; i < a.ids_size(); ++i) {
        if (i) js.push_back(',');
        AppendJsonString(a.ids(i), &js);
      }
      js.append("]}");
    } else if (t == "apipb.MpReachNLRIAttribute") {
      apipb::MpReachNLRIAttribute a;
      if (!Unpack(any, &a)) goto bad;
      std::string nh = a.next_hops_size() > 0                       ? a.next_hops(0)
                       : a.family().afi() == apipb::Family::AFI_IP6 ? "::"
                                                                    : "0.0.0.0";
      if (!have_nh) {
        out->next_hop = nh;
        have_nh = true;
      }
      if (want_json) {
        js = "{\"type\":14,\"nexthop\":";
        AppendJsonString(nh, &js);
        absl::StrAppend(&js, ",\"afi\":", static_cast<int>(a.family().afi()),
                        ",\"safi\":", static_cast<int>(a.family().safi()), ",\"value\":");
        if (a.nlris_size() == 0) {
          js.append("null");
        } else {
          js.push_back('[');
          for (int i = 0; i < a.nlris_size(); ++i) {
            std::string p;
            NlriString(a.nlris(i), &p);
            if (i) js.push_back(',');
            js.append("{\"prefix\":");
            AppendJsonString(p, &js);
            js.push_back('}');
          }
          js.push_back(']');
        }
        js.push_back('}');
      }
    } else if (t == "apipb.MpUnreachNLRIAttribute") {
      apipb::MpUnreachNLRIAttribute a;
      if (!Unpack(any, &a)) goto bad;
      std::vector<std::string> ps;
      for (const auto& n : a.nlris()) {
        std::string p;
        NlriString(n, &p);
        ps.push_back(p);
      }
      std::string fam = FamilyName(a.family());
      text = ps.empty()
                 ? absl::StrCat("{MpUnreach(", fam, "): End-of-Rib}")
                 : absl::StrCat("{MpUnreach(", fam, "): {NLRIs: [", absl::StrJoin(ps, " "), "]}}");
      js = absl::StrCat("{\"type\":15,\"afi\":", static_cast<int>(a.family().afi()),
                        ",\"safi\":", static_cast<int>(a.family().safi()), ",\"value\":");
      if (ps.empty()) {
        js.append("null");
      } else {
        js.push_back('[');
        for (size_t i = 0; i < ps.size(); ++i) {
          if (i) js.push_back(',');
          js.append("{\"prefix\":");
          AppendJsonString(ps[i], &js);
          js.push_back('}');
        }
        js.push_back(']');
      }
      js.push_back('}');
    } else if (t == "apipb.ExtendedCommunitiesAttribute") {
      apipb::ExtendedCommunitiesAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = "{Extcomms: ";
      js = "{\"type\":16,\"value\":";
      if (a.communities_size() == 0)
        js.append("null");
      else
        js.push_back('[');
      for (int i = 0; i < a.communities_size(); ++i) {
        if (i) {
          text.append(", ");
          js.push_back(',');
        }
        text.push_back('[');
        ExtCommunity(a.communities(i), &text, &js);
        text.push_back(']');
      }
      if (a.communities_size() != 0) js.push_back(']');
      text.push_back('}');
      js.push_back('}');
    } else if (t == "apipb.LargeCommunitiesAttribute") {
      apipb::LargeCommunitiesAttribute a;
      if (!Unpack(any, &a)) goto bad;
      text = "{LargeCommunity: [ ";
      js = "{\"type\":32,\"value\":[";
      for (int i = 0; i < a.communities_size(); ++i) {
        const apipb::LargeCommunity& c = a.communities(i);
        if (i) {
          text.append(", ");
          js.push_back(',');
        }
        absl::StrAppend(&text, c.global_admin(), ":", c.local_data1(), ":", c.local_data2());
        absl::StrAppend(&js, "{\"ASN\":", c.global_admin(), ",\"LocalData1\":", c.local_data1(),
                        ",\"LocalData2\":", c.local_data2(), "}");
      }
      text.append("]}");
      js.append("]}");
    } else if (t == "apipb.UnknownAttribute") {
      apipb::UnknownAttribute a;
      if (!Unpack(any, &a)) goto bad;
      std::vector<std::string> flags;
      if (a.flags() & 0x10) flags.push_back("EXTENDED_LENGTH");
      if (a.flags() & 0x20) flags.push_back("PARTIAL");
      if (a.flags() & 0x40) flags.push_back("TRANSITIVE");
      if (a.flags() & 0x80) flags.push_back("OPTIONAL");
      std::vector<std::string> bytes;
      for (unsigned char c : a.value()) bytes.push_back(absl::StrCat(c));
      text = absl::StrCat("{Flags: ", absl::StrJoin(flags, "|"), ", Type: ", a.type(), ", Value: [",
                          absl::StrJoin(bytes, " "), "]}");
      js = absl::StrCat("{\"flags\":", a.flags(), ",\"type\":", a.type(), ",\"value\":");
      if (a.value().empty()) {
        js.append("null");
      } else {
        js.push_back('"');
        AppendBase64(a.value(), &js);
        js.push_back('"');
      }
      js.push_back('}');
    } else {
      // An attribute GoBGP's CLI knows but kbgp does not render: say so in the column
      // rather than dropping it silently.
      text = absl::StrCat("{", t, "}");
      js = absl::StrCat("{\"type_url\":");
      AppendJsonString(any.type_url(), &js);
      js.push_back('}');
    }
    if (!text.empty()) column.push_back(std::move(text));
    if (want_json && !js.empty()) {
      if (!first_json) j.push_back(',');
      first_json = false;
      j.append(js);
    }
    continue;
  bad:
    *error = absl::StrCat("cannot decode the path attribute ", any.type_url());
    return false;
  }
  if (!have_nh) out->next_hop = "fictitious";
  if (!have_as) out->as_path.clear();
  out->attrs = absl::StrCat("[", absl::StrJoin(column, " "), "]");
  if (want_json) j.push_back(']');
  return true;
}

void RouteTable::Add(const apipb::Path& path, const PathText& text, int64_t now) {
  Row r;
  r.offset = text_.size();
  auto put = [&](int f, absl::string_view v) {
    text_.append(v.data(), v.size());
    r.len[f] = static_cast<uint32_t>(v.size());
    width_[f] = std::max(width_[f], v.size());
  };
  char marker[8];
  size_t m = 0;
  if (path.stale()) marker[m++] = 'S';
  if (path.has_validation()) {
    switch (path.validation().state()) {
      case apipb::Validation::STATE_NOT_FOUND:
        marker[m++] = 'N';
        break;
      case apipb::Validation::STATE_VALID:
        marker[m++] = 'V';
        break;
      case apipb::Validation::STATE_INVALID:
        marker[m++] = 'I';
        break;
      default:
        break;
    }
  }
  if (o_.show_best) {
    marker[m++] = '*';
    marker[m++] = (path.best() && !path.is_nexthop_invalid()) ? '>' : ' ';
  }
  put(kMarker, absl::string_view(marker, m));
  if (o_.show_id == RouteTableOptions::Id::kReceive) {
    put(kId, absl::StrCat(path.identifier()));
  } else if (o_.show_id == RouteTableOptions::Id::kSend) {
    put(kId, absl::StrCat(path.local_identifier()));
  } else {
    put(kId, "");
  }
  put(kNetwork, text.nlri);
  put(kNextHop, text.next_hop);
  put(kAsPath, text.as_path);
  if (o_.show_age) {
    // Most paths of a big table share their age: format each distinct one once.
    if (path.age().seconds() != last_age_ || last_age_text_.empty()) {
      last_age_ = path.age().seconds();
      last_age_text_ = FormatTimedelta(now, last_age_);
    }
    put(kAge, last_age_text_);
  } else {
    put(kAge, "");
  }
  put(kAttrs, text.attrs);
  rows_.push_back(r);
}

absl::string_view RouteTable::Get(const Row& r, int f) const {
  uint64_t off = r.offset;
  for (int i = 0; i < f; ++i) off += r.len[i];
  return absl::string_view(text_.data() + off, r.len[f]);
}

void RouteTable::Reorder(const std::vector<uint32_t>& order) {
  std::vector<Row> rows;
  rows.reserve(rows_.size());
  for (uint32_t i : order) rows.push_back(rows_[i]);
  rows_.swap(rows);
}

void RouteTable::Render(std::string* out) const {
  size_t w_net = std::max<size_t>(20, width_[kNetwork]);
  size_t w_nh = std::max<size_t>(20, width_[kNextHop]);
  size_t w_as = std::max<size_t>(20, width_[kAsPath]);
  bool id = o_.show_id != RouteTableOptions::Id::kNone;
  auto line = [&](absl::string_view marker, absl::string_view idv, absl::string_view net,
                  absl::string_view nh, absl::string_view as, absl::string_view age,
                  absl::string_view attrs) {
    PadRight(out, marker, 3);
    if (id) {
      PadRight(out, idv, 3);
      out->push_back(' ');
    }
    PadRight(out, net, w_net);
    out->push_back(' ');
    PadRight(out, nh, w_nh);
    out->push_back(' ');
    PadRight(out, as, w_as);
    out->push_back(' ');
    if (o_.show_age) {
      PadRight(out, age, 10);
      out->push_back(' ');
    }
    out->append(attrs.data(), attrs.size());
    out->push_back('\n');
  };
  out->reserve(out->size() + text_.size() + rows_.size() * (w_net + w_nh + w_as + 24));
  line("", "ID", "Network", "Next Hop", "AS_PATH", "Age", "Attrs");
  for (const Row& r : rows_) {
    line(Get(r, kMarker), Get(r, kId), Get(r, kNetwork), Get(r, kNextHop), Get(r, kAsPath),
         Get(r, kAge), Get(r, kAttrs));
  }
}

void AppendPathJson(const apipb::Path& path, const PathText& text, std::string* out) {
  out->append("{\"nlri\":{\"prefix\":");
  AppendJsonString(text.nlri, out);
  absl::StrAppend(out, "},\"age\":", path.age().seconds(),
                  ",\"best\":", path.best() ? "true" : "false", ",\"attrs\":", text.attrs_json,
                  ",\"stale\":", path.stale() ? "true" : "false");
  if (path.is_withdraw()) out->append(",\"withdrawal\":true");
  // net.ParseIP of an empty or bad string is nil, which omitempty leaves out.
  auto ip = [&](const char* key, const std::string& s) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1) {
      absl::StrAppend(out, ",\"", key, "\":");
      AppendJsonString(s, out);
    }
  };
  ip("source-id", path.source_id());
  ip("neighbor-ip", path.neighbor_ip());
  out->push_back('}');
}

void RenderDestinationsJson(std::vector<JsonDestination>& dsts, std::string* out) {
  std::sort(dsts.begin(), dsts.end(),
            [](const JsonDestination& a, const JsonDestination& b) { return a.prefix < b.prefix; });
  out->push_back('{');
  for (size_t i = 0; i < dsts.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(dsts[i].prefix, out);
    out->push_back(':');
    out->append(dsts[i].paths_json);
  }
  out->append("}\n");
}

void RenderGlobal(const apipb::Global& g, std::string* out) {
  // Go's fmt.Println puts a space between its operands.
  absl::StrAppend(out, "AS:        ", g.asn(), "\n");
  absl::StrAppend(out, "Router-ID: ", g.router_id(), "\n");
  if (g.listen_addresses_size() > 0) {
    absl::StrAppend(out, "Listening Port: ", g.listen_port(),
                    ", Addresses: ", absl::StrJoin(g.listen_addresses(), ", "), "\n");
  }
  if (g.use_multiple_paths()) out->append("Multipath: enabled");
}

std::string FamilyName(const apipb::Family& f) {
  const char* name = wire::GoBgpFamilyNameOf(static_cast<uint32_t>(f.afi()),
                                              static_cast<uint32_t>(f.safi()));
  return name != nullptr ? name : "unknown";
}

namespace {

std::string FsmState(const apipb::PeerState& s) {
  switch (s.admin_state()) {
    case apipb::PeerState::DOWN:
      return "Idle(Admin)";
    case apipb::PeerState::PFX_CT:
      return "Idle(PfxCt)";
    default:
      break;
  }
  switch (s.session_state()) {
    case apipb::PeerState::UNKNOWN:
      return "Unknown";
    case apipb::PeerState::IDLE:
      return "Idle";
    case apipb::PeerState::CONNECT:
      return "Connect";
    case apipb::PeerState::ACTIVE:
      return "Active";
    case apipb::PeerState::OPENSENT:
      return "Sent";
    case apipb::PeerState::OPENCONFIRM:
      return "Confirm";
    case apipb::PeerState::ESTABLISHED:
      return "Establ";
    default:
      return absl::StrCat(static_cast<int>(s.session_state()));
  }
}

std::string Asn(const apipb::Peer& p) {
  return p.state().peer_asn() > 0 ? absl::StrCat(p.state().peer_asn()) : "*";
}

bool FamilyMatches(absl::string_view family, const apipb::Family& f) {
  if (family.empty()) return true;
  return FamilyName(f) == family;
}

void Counters(const apipb::Peer& p, absl::string_view family, uint64_t* received,
              uint64_t* accepted, uint64_t* advertised) {
  *received = *accepted = *advertised = 0;
  for (const apipb::AfiSafi& a : p.afi_safis()) {
    if (!FamilyMatches(family, a.state().family())) continue;
    *received += a.state().received();
    *accepted += a.state().accepted();
    *advertised += a.state().advertised();
  }
}

// cidr2prefix of GoBGP: the address as a string of bits, compared as strings.
std::string AddressBits(const std::string& addr) {
  unsigned char buf[16];
  int n = 0;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    n = 4;
  } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    n = 16;
  } else {
    return addr;
  }
  std::string bits;
  for (int i = 0; i < n; ++i) {
    for (int b = 7; b >= 0; --b) bits.push_back((buf[i] >> b) & 1 ? '1' : '0');
  }
  return bits;
}

}  // namespace

void RenderNeighbors(std::vector<apipb::Peer> m, absl::string_view family, int64_t now, bool quiet,
                     std::string* out) {
  if (quiet) {
    for (const apipb::Peer& p : m) absl::StrAppend(out, p.state().neighbor_address(), "\n");
    return;
  }
  std::stable_sort(m.begin(), m.end(), [](const apipb::Peer& a, const apipb::Peer& b) {
    const std::string& p1 = a.conf().neighbor_address();
    const std::string& p2 = b.conf().neighbor_address();
    bool v4a = p1.find(':') == std::string::npos, v4b = p2.find(':') == std::string::npos;
    if (v4a != v4b) return v4a;
    return AddressBits(p1) < AddressBits(p2);
  });
  size_t maxaddr = 0, maxas = 2, maxtime = 7;
  std::vector<std::string> times;
  for (const apipb::Peer& n : m) {
    if (size_t i = n.conf().neighbor_interface().size(); i > maxaddr) {
      maxaddr = i;
    } else if (size_t k = n.state().neighbor_address().size(); k > maxaddr) {
      maxaddr = k;
    }
    maxas = std::max(maxas, Asn(n).size());
    std::string t = "never";
    if (n.timers().state().has_uptime()) {
      int64_t s = n.timers().state().downtime().seconds();
      if (n.state().session_state() == apipb::PeerState::ESTABLISHED) {
        s = n.timers().state().uptime().seconds();
      }
      t = FormatTimedelta(now, s);
    }
    maxtime = std::max(maxtime, t.size());
    times.push_back(t);
  }
  auto line = [&](absl::string_view a, absl::string_view b, absl::string_view c,
                  absl::string_view d, absl::string_view e, absl::string_view f) {
    PadRight(out, a, maxaddr);
    out->push_back(' ');
    PadLeft(out, b, maxas);
    out->push_back(' ');
    PadLeft(out, c, maxtime);
    out->push_back(' ');
    PadRight(out, d, 11);
    out->append(" |");
    PadLeft(out, e, 9);
    out->push_back(' ');
    PadLeft(out, f, 9);
    out->push_back('\n');
  };
  line("Peer", "AS", "Up/Down", "State", "#Received", "Accepted");
  for (size_t i = 0; i < m.size(); ++i) {
    const apipb::Peer& n = m[i];
    std::string neigh = n.conf().neighbor_interface().empty() ? n.state().neighbor_address()
                                                              : n.conf().neighbor_interface();
    uint64_t rcv, acc, adv;
    Counters(n, family, &rcv, &acc, &adv);
    line(neigh, Asn(n), times[i], FsmState(n.state()), absl::StrCat(rcv), absl::StrCat(acc));
  }
}

namespace {

struct Cap {
  int code = 0;
  std::string mp;  // multiprotocol: the family name
  google::protobuf::Any any;
};

int CapCode(absl::string_view t) {
  if (t == "apipb.MultiProtocolCapability") return 1;
  if (t == "apipb.RouteRefreshCapability") return 2;
  if (t == "apipb.CarryingLabelInfoCapability") return 4;
  if (t == "apipb.ExtendedNexthopCapability") return 5;
  if (t == "apipb.GracefulRestartCapability") return 64;
  if (t == "apipb.FourOctetASNCapability") return 65;
  if (t == "apipb.AddPathCapability") return 69;
  if (t == "apipb.EnhancedRouteRefreshCapability") return 70;
  if (t == "apipb.LongLivedGracefulRestartCapability") return 71;
  if (t == "apipb.FqdnCapability") return 73;
  if (t == "apipb.RouteRefreshCiscoCapability") return 128;
  return -1;
}

std::string CapName(int code) {
  switch (code) {
    case 1:
      return "multiprotocol";
    case 2:
      return "route-refresh";
    case 4:
      return "carrying-label-info";
    case 5:
      return "extended-nexthop";
    case 64:
      return "graceful-restart";
    case 65:
      return "4-octet-as";
    case 69:
      return "add-path";
    case 70:
      return "enhanced-route-refresh";
    case 71:
      return "long-lived-graceful-restart";
    case 73:
      return "fqdn";
    case 128:
      return "cisco-route-refresh";
    default:
      return absl::StrCat("UnknownCapability(", code, ")");
  }
}

std::vector<Cap> Caps(const google::protobuf::RepeatedPtrField<google::protobuf::Any>& l) {
  std::vector<Cap> out;
  for (const auto& any : l) {
    Cap c;
    c.code = CapCode(TypeName(any));
    if (c.code < 0) {
      apipb::UnknownCapability u;
      Unpack(any, &u);
      c.code = static_cast<int>(u.code());
    }
    if (c.code == 1) {
      apipb::MultiProtocolCapability mp;
      Unpack(any, &mp);
      c.mp = FamilyName(mp.family());
    }
    c.any = any;
    out.push_back(std::move(c));
  }
  return out;
}

const Cap* Lookup(const Cap& v, const std::vector<Cap>& l) {
  for (const Cap& c : l) {
    if (c.code != v.code) continue;
    if (c.code == 1 && c.mp != v.mp) continue;
    return &c;
  }
  return nullptr;
}

std::string GrString(const apipb::GracefulRestartCapability& g) {
  std::string s;
  if (g.tuples_size() > 0) s += absl::StrCat("restart time ", g.time(), " sec");
  if (g.flags() & 0x08) {
    if (!s.empty()) s += ", ";
    s += "restart flag set";
  }
  if (g.flags() & 0x04) {
    if (!s.empty()) s += ", ";
    s += "notification flag set";
  }
  if (!s.empty()) s += "\n";
  for (const auto& t : g.tuples()) {
    s += absl::StrCat("\t    ", FamilyName(t.family()));
    if (t.flags() == 0x80) s += ", forward flag set";
    s += "\n";
  }
  return s;
}

std::string AddPathMode(int m) {
  switch (m) {
    case 0:
      return "none";
    case 1:
      return "receive";
    case 2:
      return "send";
    case 3:
      return "receive/send";
    default:
      return absl::StrCat("unknown(", m, ")");
  }
}

}  // namespace

void RenderNeighbor(const apipb::Peer& p, absl::string_view family, int64_t now, std::string* out) {
  absl::StrAppend(out, "BGP neighbor is ", p.state().neighbor_address(), ", remote AS ", Asn(p));
  if (p.route_reflector().route_reflector_client()) {
    out->append(", route-reflector-client\n");
  } else if (p.route_server().route_server_client()) {
    out->append(", route-server-client\n");
  } else {
    out->append("\n");
  }
  std::string id = p.state().router_id().empty() ? "unknown" : p.state().router_id();
  absl::StrAppend(out, "  BGP version 4, remote router ID ", id, "\n");
  absl::StrAppend(out,
                  "  BGP state = ", apipb::PeerState::SessionState_Name(p.state().session_state()));
  if (p.timers().state().has_uptime()) {
    absl::StrAppend(out, ", up for ", FormatTimedelta(now, p.timers().state().uptime().seconds()),
                    "\n");
  } else {
    out->append("\n");
  }
  absl::StrAppend(out, "  BGP OutQ = ", p.state().queues().output(),
                  ", Flops = ", p.state().flops(), "\n");
  absl::StrAppend(out, "  Hold time is ", p.timers().state().negotiated_hold_time(),
                  ", keepalive interval is ", p.timers().state().keepalive_interval(),
                  " seconds\n");
  absl::StrAppend(out, "  Configured hold time is ", p.timers().config().hold_time(),
                  ", keepalive interval is ", p.timers().config().keepalive_interval(),
                  " seconds\n");
  std::vector<std::string> elems;
  if (p.conf().allow_own_asn() > 0) {
    elems.push_back(absl::StrCat("Allow Own AS: ", p.conf().allow_own_asn()));
  }
  if (p.conf().remove_private() == apipb::REMOVE_ALL) elems.push_back("Remove private AS: all");
  if (p.conf().remove_private() == apipb::REPLACE) {
    elems.push_back("Remove private AS: replace");
  }
  if (p.conf().replace_peer_asn()) elems.push_back("Replace peer AS: enabled");
  absl::StrAppend(out, "  ", absl::StrJoin(elems, ", "), "\n");
  out->append("  Neighbor capabilities:\n");
  std::vector<Cap> lcaps = Caps(p.state().local_cap());
  std::vector<Cap> rcaps = Caps(p.state().remote_cap());
  std::vector<Cap> caps = lcaps;
  for (const Cap& c : rcaps) {
    if (Lookup(c, caps) == nullptr) caps.push_back(c);
  }
  std::stable_sort(caps.begin(), caps.end(),
                   [](const Cap& a, const Cap& b) { return a.code < b.code; });
  bool first_mp = true;
  for (const Cap& c : caps) {
    const Cap* l = Lookup(c, lcaps);
    const Cap* r = Lookup(c, rcaps);
    std::string support;
    if (l) support += "advertised";
    if (r) {
      if (!support.empty()) support += " and ";
      support += "received";
    }
    std::string name = CapName(c.code);
    switch (c.code) {
      case 1:
        if (first_mp) {
          absl::StrAppend(out, "    ", name, ":\n");
          first_mp = false;
        }
        absl::StrAppend(out, "        ", c.mp, ":\t", support, "\n");
        break;
      case 64: {
        absl::StrAppend(out, "    ", name, ":\t", support, "\n");
        apipb::GracefulRestartCapability g;
        if (l && Unpack(l->any, &g)) {
          if (std::string s = GrString(g); !s.empty()) absl::StrAppend(out, "        Local: ", s);
        }
        if (r && Unpack(r->any, &g)) {
          if (std::string s = GrString(g); !s.empty()) absl::StrAppend(out, "        Remote: ", s);
        }
        break;
      }
      case 71: {
        absl::StrAppend(out, "    ", name, ":\t", support, "\n");
        auto str = [](const apipb::LongLivedGracefulRestartCapability& g) {
          std::string s;
          for (const auto& t : g.tuples()) {
            s +=
                absl::StrCat("\t    ", FamilyName(t.family()), ", restart time ", t.time(), " sec");
            if (t.flags() == 0x80) s += ", forward flag set";
            s += "\n";
          }
          return s;
        };
        apipb::LongLivedGracefulRestartCapability g;
        if (l && Unpack(l->any, &g)) {
          if (std::string s = str(g); !s.empty()) absl::StrAppend(out, "        Local:\n", s);
        }
        if (r && Unpack(r->any, &g)) {
          if (std::string s = str(g); !s.empty()) absl::StrAppend(out, "        Remote:\n", s);
        }
        break;
      }
      case 5: {
        absl::StrAppend(out, "    ", name, ":\t", support, "\n");
        auto str = [](const apipb::ExtendedNexthopCapability& e) {
          std::vector<std::string> lines;
          for (const auto& t : e.tuples()) {
            int nh = t.nexthop_family().afi();
            std::string nhafi = nh == 1 ? "ipv4" : nh == 2 ? "ipv6" : absl::StrCat(nh);
            lines.push_back(
                absl::StrCat("nlri: ", FamilyName(t.nlri_family()), ", nexthop: ", nhafi));
          }
          return absl::StrJoin(lines, "\n");
        };
        apipb::ExtendedNexthopCapability e;
        if (l && Unpack(l->any, &e)) {
          if (std::string s = str(e); !s.empty()) absl::StrAppend(out, "        Local:  ", s, "\n");
        }
        if (r && Unpack(r->any, &e)) {
          if (std::string s = str(e); !s.empty()) absl::StrAppend(out, "        Remote: ", s, "\n");
        }
        break;
      }
      case 69: {
        absl::StrAppend(out, "    ", name, ":\t", support, "\n");
        apipb::AddPathCapability a;
        if (l && Unpack(l->any, &a)) {
          out->append("      Local:\n");
          for (const auto& t : a.tuples()) {
            absl::StrAppend(out, "         ", FamilyName(t.family()), ":\t", AddPathMode(t.mode()),
                            "\n");
          }
        }
        if (r && Unpack(r->any, &a)) {
          out->append("      Remote:\n");
          for (const auto& t : a.tuples()) {
            absl::StrAppend(out, "         ", FamilyName(t.family()), ":\t", AddPathMode(t.mode()),
                            "\n");
          }
        }
        break;
      }
      case 73: {
        absl::StrAppend(out, "    ", name, ":\t", support, "\n");
        apipb::FqdnCapability f;
        if (l && Unpack(l->any, &f)) {
          absl::StrAppend(out, "      Local:\n         name: ", f.host_name(),
                          ", domain: ", f.domain_name(), "\n");
        }
        if (r && Unpack(r->any, &f)) {
          absl::StrAppend(out, "      Remote:\n         name: ", f.host_name(),
                          ", domain: ", f.domain_name(), "\n");
        }
        break;
      }
      default:
        absl::StrAppend(out, "    ", name, ":\t", support, "\n");
    }
  }
  uint64_t rcv, acc, adv;
  Counters(p, family, &rcv, &acc, &adv);
  const apipb::Messages& m = p.state().messages();
  out->append("  Message statistics:\n");
  out->append("                         Sent       Rcvd\n");
  auto row = [&](const char* name, uint64_t a, uint64_t b) {
    absl::StrAppend(out, absl::StrFormat("    %-15s%10d %10d\n", name, a, b));
  };
  row("Opens:", m.sent().open(), m.received().open());
  row("Notifications:", m.sent().notification(), m.received().notification());
  row("Updates:", m.sent().update(), m.received().update());
  row("Keepalives:", m.sent().keepalive(), m.received().keepalive());
  row("Route Refresh:", m.sent().refresh(), m.received().refresh());
  row("Discarded:", m.sent().discarded(), m.received().discarded());
  row("Total:", m.sent().total(), m.received().total());
  out->append("  Route statistics:\n");
  absl::StrAppend(out, absl::StrFormat("    Advertised:    %10d\n", adv));
  absl::StrAppend(out, absl::StrFormat("    Received:      %10d\n", rcv));
  absl::StrAppend(out, absl::StrFormat("    Accepted:      %10d\n", acc));
  bool first = true;
  for (const apipb::AfiSafi& a : p.afi_safis()) {
    const apipb::PrefixLimit& limit = a.prefix_limits();
    if (a.has_prefix_limits() && limit.max_prefixes() > 0) {
      if (first) {
        out->append("  Prefix Limits:\n");
        first = false;
      }
      absl::StrAppend(out, "    ", FamilyName(limit.family()), ":\tMaximum prefixes allowed ",
                      limit.max_prefixes());
      if (limit.shutdown_threshold_pct() > 0) {
        absl::StrAppend(out, ", Threshold for warning message ", limit.shutdown_threshold_pct(),
                        "%\n");
      } else {
        out->append("\n");
      }
    }
  }
}

void RenderTableSummary(const apipb::Family& f, uint64_t destinations, uint64_t paths,
                        std::string* out) {
  // Go's %s of a protobuf message is its text format.
  std::string fam = absl::StrCat("afi:", apipb::Family::Afi_Name(f.afi()));
  if (f.safi() != 0) absl::StrAppend(&fam, " safi:", apipb::Family::Safi_Name(f.safi()));
  absl::StrAppend(out, "Table ", fam, "\n");
  absl::StrAppend(out, "Destination: ", destinations, ", Path: ", paths, "\n");
}

void RenderDefinedSets(const std::vector<apipb::DefinedSet>& list, absl::string_view typ,
                       std::string* out) {
  if (list.empty()) {
    out->append("Nothing defined yet\n");
    return;
  }
  size_t w = 4;  // len("NAME")
  for (const auto& s : list) w = std::max(w, s.name().size());
  auto line = [&](absl::string_view name, absl::string_view v) {
    PadRight(out, name, w);
    absl::StrAppend(out, "  ", v, "\n");
  };
  line("NAME", typ);
  // GoBGP's _regexpCommunity `\^\^(\S+)\$\$` replaced by its group: "^^X$$" prints as X.
  auto strip = [&](const std::string& x) {
    if (typ != "COMMUNITY" && typ != "EXT-COMMUNITY" && typ != "LARGE-COMMUNITY") return x;
    static const std::regex re(R"(\^\^(\S+)\$\$)");
    return std::regex_replace(x, re, "$1");
  };
  for (const auto& s : list) {
    if (typ == "PREFIX") {
      if (s.prefixes_size() == 0) line(s.name(), "");
      for (int i = 0; i < s.prefixes_size(); ++i) {
        const auto& x = s.prefixes(i);
        std::string v =
            absl::StrCat(x.ip_prefix(), " ", x.mask_length_min(), "..", x.mask_length_max());
        line(i == 0 ? s.name() : "", v);
      }
    } else {
      if (s.list_size() == 0) line(s.name(), "");
      for (int i = 0; i < s.list_size(); ++i) line(i == 0 ? s.name() : "", strip(s.list(i)));
    }
  }
}

namespace {

std::string MatchSetString(const apipb::MatchSet& m) {
  const char* t = m.type() == apipb::MatchSet::ALL      ? "all"
                  : m.type() == apipb::MatchSet::ANY    ? "any"
                  : m.type() == apipb::MatchSet::INVERT ? "invert"
                                                        : "";
  return absl::StrCat(t, " ", m.name());
}

std::string CommunityActionString(const apipb::CommunityAction& a) {
  std::string l = absl::StrJoin(a.communities(), ", ");
  l.erase(std::remove_if(l.begin(), l.end(), [](char c) { return c == '^' || c == '$'; }), l.end());
  const char* t = a.type() == apipb::CommunityAction::ADD       ? "add"
                  : a.type() == apipb::CommunityAction::REMOVE  ? "remove"
                  : a.type() == apipb::CommunityAction::REPLACE ? "replace"
                                                                : "";
  return absl::StrCat(t, "[", l, "]");
}

}  // namespace

void RenderStatement(int indent, const apipb::Statement& s, std::string* out) {
  std::string in(indent, ' ');
  std::string ind(indent + 4, ' ');
  absl::StrAppend(out, in, "StatementName ", s.name(), ":\n");
  absl::StrAppend(out, std::string(indent + 2, ' '), "Conditions:\n");
  const apipb::Conditions& c = s.conditions();
  if (c.has_prefix_set())
    absl::StrAppend(out, ind, "PrefixSet: ", MatchSetString(c.prefix_set()), " \n");
  if (c.has_neighbor_set()) {
    absl::StrAppend(out, ind, "NeighborSet: ", MatchSetString(c.neighbor_set()), "\n");
  }
  if (c.has_as_path_set()) {
    absl::StrAppend(out, ind, "AsPathSet: ", MatchSetString(c.as_path_set()), " \n");
  }
  if (c.has_community_set()) {
    absl::StrAppend(out, ind, "CommunitySet: ", MatchSetString(c.community_set()), "\n");
  }
  if (c.has_ext_community_set()) {
    absl::StrAppend(out, ind, "ExtCommunitySet: ", MatchSetString(c.ext_community_set()), "\n");
  }
  if (c.has_large_community_set()) {
    absl::StrAppend(out, ind, "LargeCommunitySet: ", MatchSetString(c.large_community_set()), "\n");
  }
  if (c.next_hop_in_list_size() > 0) {
    absl::StrAppend(out, ind, "NextHopInList: [ ", absl::StrJoin(c.next_hop_in_list(), ", "),
                    " ]\n");
  }
  if (c.has_as_path_length()) {
    const auto& l = c.as_path_length();
    const char* t = l.type() == apipb::AsPathLength::EQ   ? "="
                    : l.type() == apipb::AsPathLength::GE ? ">="
                    : l.type() == apipb::AsPathLength::LE ? "<="
                                                          : "";
    absl::StrAppend(out, ind, "AsPathLength: ", t, l.length(), "\n");
  }
  if (c.rpki_result() != -1) {
    std::string v =
        apipb::Validation::State_Name(static_cast<apipb::Validation::State>(c.rpki_result()));
    if (v.rfind("STATE_", 0) == 0) v = v.substr(6);
    if (v.empty()) v = absl::StrCat(c.rpki_result());
    absl::StrAppend(out, ind, "RPKI result: ", v, "\n");
  }
  if (c.route_type() != apipb::Conditions::ROUTE_TYPE_NONE) {
    const char* t = c.route_type() == apipb::Conditions::ROUTE_TYPE_EXTERNAL   ? "external"
                    : c.route_type() == apipb::Conditions::ROUTE_TYPE_INTERNAL ? "internal"
                    : c.route_type() == apipb::Conditions::ROUTE_TYPE_LOCAL    ? "local"
                                                                               : "unknown";
    absl::StrAppend(out, ind, "Route Type: ", t, "\n");
  }
  if (c.afi_safi_in_size() > 0) {
    std::vector<std::string> fams;
    for (const auto& f : c.afi_safi_in()) {
      fams.push_back(absl::StrCat("afi:", apipb::Family::Afi_Name(f.afi()),
                                  " safi:", apipb::Family::Safi_Name(f.safi())));
    }
    absl::StrAppend(out, ind, "AFI SAFI In: [", absl::StrJoin(fams, " "), "]\n");
  }
  absl::StrAppend(out, std::string(indent + 2, ' '), "Actions:\n");
  const apipb::Actions& a = s.actions();
  // fmt.Println(ind, "X: ", v): operands joined by one space.
  auto println = [&](absl::string_view k, absl::string_view v) {
    absl::StrAppend(out, ind, " ", k, "  ", v, "\n");
  };
  if (a.has_community()) println("Community:", CommunityActionString(a.community()));
  if (a.has_ext_community()) println("ExtCommunity:", CommunityActionString(a.ext_community()));
  if (a.has_large_community()) {
    println("LargeCommunity:", CommunityActionString(a.large_community()));
  }
  if (a.has_med()) {
    std::string v = a.med().type() == apipb::MedAction::MOD && a.med().value() > 0
                        ? absl::StrCat("+", a.med().value())
                        : absl::StrCat(a.med().value());
    println("MED:", v);
  }
  if (a.has_local_pref()) println("LocalPref:", absl::StrCat(a.local_pref().value()));
  if (a.has_as_prepend()) {
    println("ASPathPrepend:",
            absl::StrCat("prepend ", a.as_prepend().asn(), " ", a.as_prepend().repeat(), " times"));
  }
  if (a.has_nexthop()) {
    std::string v = a.nexthop().self()        ? "self"
                    : a.nexthop().unchanged() ? "unchanged"
                                              : a.nexthop().address();
    println("Nexthop:", v);
  }
  if (a.route_action() != apipb::NONE) {
    absl::StrAppend(out, ind, " ", a.route_action() == apipb::REJECT ? "reject" : "accept", "\n");
  }
}

void RenderPolicy(int indent, const apipb::Policy& p, std::string* out) {
  for (const auto& s : p.statements()) RenderStatement(indent, s, out);
}

void RenderAssignment(absl::string_view direction, int indent, const apipb::PolicyAssignment& a,
                      std::string* out) {
  std::string title(direction);
  if (!title.empty() && title[0] >= 'a' && title[0] <= 'z') title[0] = title[0] - 'a' + 'A';
  std::string in(indent, ' ');
  absl::StrAppend(out, title, " policy:\n");
  absl::StrAppend(out, in, "Default: ", apipb::RouteAction_Name(a.default_action()), "\n");
  for (const auto& p : a.policies()) {
    absl::StrAppend(out, in, "Name ", p.name(), ":\n");
    RenderPolicy(indent + 4, p, out);
  }
}

void RenderMonitorPath(absl::string_view time, bool withdraw, const PathText& text,
                       std::string* out) {
  absl::StrAppend(out, time, " [", withdraw ? "DELROUTE" : "ROUTE", "] ", text.nlri, " via ",
                  text.next_hop, " aspath [", text.as_path, "] attrs ", text.attrs, "\n");
}

}  // namespace kbgp::cli
