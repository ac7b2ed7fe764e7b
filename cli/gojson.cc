#include "cli/gojson.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace kbgp::cli {

namespace gp = google::protobuf;

void AppendJsonString(absl::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '<':
      case '>':
      case '&':
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xa8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
          // U+2028 / U+2029, which Go escapes too.
          out->append(static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029");
          i += 2;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendBase64(absl::string_view in, std::string* out) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                 static_cast<uint8_t>(in[i + 2]);
    out->push_back(kAlphabet[v >> 18]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(kAlphabet[(v >> 6) & 63]);
    out->push_back(kAlphabet[v & 63]);
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out->push_back(kAlphabet[v >> 18]);
    out->push_back(kAlphabet[(v >> 12) & 63]);
    out->push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out->push_back('=');
  }
}

void AppendGoFloat(double v, std::string* out) {
  if (!std::isfinite(v)) {  // encoding/json refuses these; print something parseable
    out->append("0");
    return;
  }
  char buf[64];
  double a = std::fabs(v);
  std::to_chars_result r;
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    // Go writes e-07 as e-07 and e+21 as e+21: the same two-digit minimum as C++.
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  }
  out->append(buf, r.ptr);
}

namespace {

bool IsZero(const gp::Message& m, const gp::FieldDescriptor* f) {
  const gp::Reflection* r = m.GetReflection();
  if (f->is_repeated()) return r->FieldSize(m, f) == 0;
  if (f->cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) return !r->HasField(m, f);
  if (f->containing_oneof() != nullptr && !r->HasField(m, f)) return true;
  switch (f->cpp_type()) {
    case gp::FieldDescriptor::CPPTYPE_INT32:
      return r->GetInt32(m, f) == 0;
    case gp::FieldDescriptor::CPPTYPE_INT64:
      return r->GetInt64(m, f) == 0;
    case gp::FieldDescriptor::CPPTYPE_UINT32:
      return r->GetUInt32(m, f) == 0;
    case gp::FieldDescriptor::CPPTYPE_UINT64:
      return r->GetUInt64(m, f) == 0;
    case gp::FieldDescriptor::CPPTYPE_DOUBLE:
      return r->GetDouble(m, f) == 0;
    case gp::FieldDescriptor::CPPTYPE_FLOAT:
      return r->GetFloat(m, f) == 0;
    case gp::FieldDescriptor::CPPTYPE_BOOL:
      return !r->GetBool(m, f);
    case gp::FieldDescriptor::CPPTYPE_ENUM:
      return r->GetEnumValue(m, f) == 0;
    case gp::FieldDescriptor::CPPTYPE_STRING:
      return r->GetString(m, f).empty();
    default:
      return false;
  }
}

void AppendValue(const gp::Message& m, const gp::FieldDescriptor* f, int index, std::string* out) {
  const gp::Reflection* r = m.GetReflection();
  bool rep = index >= 0;
  switch (f->cpp_type()) {
    case gp::FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(out, rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_DOUBLE:
      AppendGoFloat(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), out);
      break;
    case gp::FieldDescriptor::CPPTYPE_FLOAT:
      AppendGoFloat(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), out);
      break;
    case gp::FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false");
      break;
    case gp::FieldDescriptor::CPPTYPE_ENUM:
      absl::StrAppend(out, rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
      break;
    case gp::FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      if (f->type() == gp::FieldDescriptor::TYPE_BYTES) {
        out->push_back('"');
        AppendBase64(s, out);
        out->push_back('"');
      } else {
        AppendJsonString(s, out);
      }
      break;
    }
    case gp::FieldDescriptor::CPPTYPE_MESSAGE:
      AppendGoJson(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
      break;
  }
}

// A map field: an object with the keys sorted (as Go sorts map keys).
void AppendMap(const gp::Message& m, const gp::FieldDescriptor* f, std::string* out) {
  const gp::Reflection* r = m.GetReflection();
  const gp::FieldDescriptor* key = f->message_type()->map_key();
  const gp::FieldDescriptor* value = f->message_type()->map_value();
  std::vector<std::pair<std::string, int>> keys;
  for (int i = 0; i < r->FieldSize(m, f); ++i) {
    const gp::Message& e = r->GetRepeatedMessage(m, f, i);
    std::string k;
    if (key->cpp_type() == gp::FieldDescriptor::CPPTYPE_STRING) {
      k = e.GetReflection()->GetString(e, key);
    } else {
      std::string tmp;
      AppendValue(e, key, -1, &tmp);
      k = tmp;
    }
    keys.emplace_back(std::move(k), i);
  }
  std::sort(keys.begin(), keys.end());
  out->push_back('{');
  bool first = true;
  for (const auto& [k, i] : keys) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(k, out);
    out->push_back(':');
    AppendValue(r->GetRepeatedMessage(m, f, i), value, -1, out);
  }
  out->push_back('}');
}

std::string GoName(absl::string_view proto_name) {  // foo_bar -> FooBar
  std::string s;
  bool up = true;
  for (char c : proto_name) {
    if (c == '_') {
      up = true;
      continue;
    }
    s.push_back(up && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    up = false;
  }
  return s;
}

}  // namespace

void AppendGoJson(const gp::Message& m, std::string* out) {
  const gp::Descriptor* d = m.GetDescriptor();
  const gp::Reflection* r = m.GetReflection();
  std::vector<const gp::FieldDescriptor*> fields;
  for (int i = 0; i < d->field_count(); ++i) fields.push_back(d->field(i));
  std::sort(fields.begin(), fields.end(),
            [](auto* a, auto* b) { return a->number() < b->number(); });
  out->push_back('{');
  bool first = true;
  std::vector<const gp::OneofDescriptor*> oneofs_done;
  for (const gp::FieldDescriptor* f : fields) {
    const gp::OneofDescriptor* oneof = f->real_containing_oneof();
    if (oneof != nullptr) {
      // protoc-gen-go: an interface field named after the oneof (no json tag) holding a
      // wrapper struct whose one field has no json tag either: {"Oneof":{"Field":value}}.
      if (std::find(oneofs_done.begin(), oneofs_done.end(), oneof) != oneofs_done.end()) {
        continue;
      }
      oneofs_done.push_back(oneof);
      const gp::FieldDescriptor* set = r->GetOneofFieldDescriptor(m, oneof);
      if (set == nullptr) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendJsonString(GoName(oneof->name()), out);
      out->append(":{");
      AppendJsonString(GoName(set->name()), out);
      out->push_back(':');
      AppendValue(m, set, -1, out);
      out->push_back('}');
      continue;
    }
    if (IsZero(m, f)) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(f->name(), out);
    out->push_back(':');
    if (f->is_map()) {
      AppendMap(m, f, out);
    } else if (f->is_repeated()) {
      out->push_back('[');
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        if (i > 0) out->push_back(',');
        AppendValue(m, f, i, out);
      }
      out->push_back(']');
    } else {
      AppendValue(m, f, -1, out);
    }
  }
  out->push_back('}');
}

}  // namespace kbgp::cli
