#include "daemon/config/yaml_reader.h"

#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace kbgp::config::internal {

void Context::Fail(int line, absl::string_view path, absl::string_view message) {
  if (!status_.ok()) return;
  std::string where = line > 0 ? absl::StrCat(file_, ":", line, ": ") : absl::StrCat(file_, ": ");
  status_ = absl::InvalidArgumentError(
      path.empty() ? absl::StrCat(where, message) : absl::StrCat(where, path, ": ", message));
}

void Context::Fail(absl::string_view path, absl::string_view message) {
  Fail(LineOf(path), path, message);
}

void Context::Visit(const std::string& path, int line, bool written) {
  lines_[path] = line;
  if (written) written_.insert(path);
}

int Context::LineOf(absl::string_view path) const {
  std::string p(path);
  while (!p.empty()) {
    auto it = lines_.find(p);
    if (it != lines_.end() && it->second > 0) return it->second;
    size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return 0;
}

int LineOf(const YAML::Node& node) {
  YAML::Mark m = node.Mark();
  return m.line >= 0 ? m.line + 1 : 0;
}

namespace {

// "routerId" and "router_id" -> "router-id", to suggest the key gobgpd expects.
std::string Kebab(absl::string_view key) {
  std::string out;
  for (char c : key) {
    if (absl::ascii_isupper(c)) {
      if (!out.empty() && out.back() != '-') out.push_back('-');
      out.push_back(absl::ascii_tolower(c));
    } else {
      out.push_back(c == '_' ? '-' : c);
    }
  }
  return out;
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

}  // namespace

MapReader::MapReader(Context* ctx, const YAML::Node& node, std::string path)
    : ctx_(ctx), path_(std::move(path)) {
  if (!ctx_->ok() || !node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    ctx_->Fail(LineOf(node), path_, "expected a mapping of keys to values");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    Entry e;
    e.key_node = it->first;
    e.value = it->second;
    if (!e.key_node.IsScalar()) {
      ctx_->Fail(LineOf(e.key_node), path_, "a key must be a plain string");
      return;
    }
    e.key = e.key_node.Scalar();
    e.lower = absl::AsciiStrToLower(e.key);
    for (const Entry& other : entries_) {
      if (other.lower == e.lower) {
        // gobgpd silently keeps the last one; a repeated key is almost always a mistake.
        ctx_->Fail(LineOf(e.key_node), PathOf(e.key),
                   absl::StrCat("key is repeated (first on line ", LineOf(other.key_node), ")"));
        return;
      }
    }
    entries_.push_back(std::move(e));
  }
}

MapReader::~MapReader() {
  if (!ctx_->ok()) return;
  for (const Entry& e : entries_) {
    if (e.used) continue;
    std::string msg = "unknown key";
    std::string kebab = Kebab(e.key);
    for (const std::string& known : asked_) {
      if (known == kebab) {
        msg = absl::StrCat("unknown key; gobgpd spells it ", Quote(known));
        break;
      }
    }
    if (msg == "unknown key" && !asked_.empty()) {
      msg = absl::StrCat("unknown key (expected one of: ", absl::StrJoin(asked_, ", "), ")");
    }
    ctx_->Fail(LineOf(e.key_node), PathOf(e.key), msg);
    return;
  }
}

std::string MapReader::PathOf(absl::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
}

MapReader::Entry* MapReader::Find(absl::string_view key) {
  asked_.emplace_back(key);
  for (Entry& e : entries_) {
    if (e.lower == key) {
      e.used = true;
      return &e;
    }
  }
  return nullptr;
}

std::optional<YAML::Node> MapReader::Take(absl::string_view key) {
  Entry* e = Find(key);
  if (e == nullptr) return std::nullopt;
  bool written = !e->value.IsNull();
  ctx_->Visit(PathOf(key), LineOf(e->key_node), written);
  if (!written) return std::nullopt;
  return e->value;
}

MapReader MapReader::Sub(absl::string_view key) {
  std::optional<YAML::Node> v = Take(key);
  return MapReader(ctx_, v ? *v : YAML::Node(), PathOf(key));
}

std::vector<std::pair<YAML::Node, std::string>> MapReader::List(absl::string_view key) {
  std::vector<std::pair<YAML::Node, std::string>> out;
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return out;
  if (!v->IsSequence()) {
    ctx_->Fail(LineOf(*v), PathOf(key), "expected a list");
    return out;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    std::string p = absl::StrCat(PathOf(key), "[", i, "]");
    YAML::Node item = (*v)[i];
    ctx_->Visit(p, LineOf(item), true);
    out.emplace_back(item, std::move(p));
  }
  return out;
}

void MapReader::Unsupported(absl::string_view key) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return;
  // An empty mapping or list is as good as absent.
  if ((v->IsMap() || v->IsSequence()) && v->size() == 0) return;
  ctx_->Fail(LineOf(*v), PathOf(key), "this gobgpd setting is not supported by kbgpd yet");
}

bool ScalarText(Context* ctx, const YAML::Node& node, const std::string& path, std::string* out) {
  if (!node.IsScalar()) {
    ctx->Fail(LineOf(node), path, "expected a single value, not a list or mapping");
    return false;
  }
  *out = node.Scalar();
  return true;
}

bool ParseBoolValue(Context* ctx, const YAML::Node& node, const std::string& path, bool* out) {
  std::string s;
  if (!ScalarText(ctx, node, path, &s)) return false;
  // Go's strconv.ParseBool, which gobgpd applies to strings...
  static const char* const kTrue[] = {"1", "t", "T", "true", "True", "TRUE"};
  static const char* const kFalse[] = {"0", "f", "F", "false", "False", "FALSE"};
  // ...and YAML 1.1 booleans, which gobgpd's YAML parser (yaml.v2) reads when unquoted.
  static const char* const kTrue11[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char* const kFalse11[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"};
  for (const char* t : kTrue)
    if (s == t) return *out = true, true;
  for (const char* f : kFalse)
    if (s == f) return *out = false, true;
  bool plain = node.Tag() == "?";
  if (plain) {
    for (const char* t : kTrue11)
      if (s == t) return *out = true, true;
    for (const char* f : kFalse11)
      if (s == f) return *out = false, true;
  }
  ctx->Fail(LineOf(node), path, absl::StrCat(Quote(s), " is not true or false"));
  return false;
}

bool ParsePrefixText(absl::string_view text, bool allow_address, Prefix* out) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    if (!allow_address) return false;
    absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
    if (!a.ok()) return false;
    *out = Prefix::Make(*a, static_cast<uint8_t>(a->bit_length()));
    return true;
  }
  absl::StatusOr<IpAddress> a = IpAddress::Parse(text.substr(0, slash));
  absl::string_view len_text = text.substr(slash + 1);
  int len = 0;
  if (!a.ok() || len_text.empty() || !absl::ascii_isdigit(len_text[0]) ||
      !absl::SimpleAtoi(len_text, &len) || len < 0 || len > a->bit_length()) {
    return false;
  }
  // Like Go's net.ParseCIDR (which gobgpd uses), host bits are allowed and cleared.
  *out = Prefix::Make(*a, static_cast<uint8_t>(len));
  return true;
}

bool MapReader::Bool(absl::string_view key, bool* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  return ParseBoolValue(ctx_, *v, PathOf(key), out);
}

bool MapReader::String(absl::string_view key, std::string* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  return ScalarText(ctx_, *v, PathOf(key), out);
}

bool MapReader::StringList(absl::string_view key, std::vector<std::string>* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  out->clear();
  if (v->IsScalar()) {  // mapstructure's weak typing: one value is a list of one
    out->push_back(v->Scalar());
    return true;
  }
  if (!v->IsSequence()) {
    ctx_->Fail(LineOf(*v), PathOf(key), "expected a list of values");
    return false;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    std::string s;
    if (!ScalarText(ctx_, (*v)[i], absl::StrCat(PathOf(key), "[", i, "]"), &s)) return false;
    out->push_back(std::move(s));
  }
  return true;
}

bool MapReader::Uint(absl::string_view key, uint64_t min, uint64_t max, absl::string_view what,
                     uint64_t* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  std::string s;
  if (!ScalarText(ctx_, *v, PathOf(key), &s)) return false;
  uint64_t n = 0;
  absl::string_view t = absl::StripAsciiWhitespace(s);
  if (t.empty() || !absl::ascii_isdigit(t[0]) || !absl::SimpleAtoi(t, &n) || n < min || n > max) {
    ctx_->Fail(LineOf(*v), PathOf(key), absl::StrCat(Quote(s), " is not ", what));
    return false;
  }
  *out = n;
  return true;
}

bool MapReader::Int(absl::string_view key, int64_t min, int64_t max, absl::string_view what,
                    int64_t* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  std::string s;
  if (!ScalarText(ctx_, *v, PathOf(key), &s)) return false;
  int64_t n = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(s), &n) || n < min || n > max) {
    ctx_->Fail(LineOf(*v), PathOf(key), absl::StrCat(Quote(s), " is not ", what));
    return false;
  }
  *out = n;
  return true;
}

bool MapReader::Seconds(absl::string_view key, double max, double* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  std::string s;
  if (!ScalarText(ctx_, *v, PathOf(key), &s)) return false;
  double d = 0;
  absl::string_view t = absl::StripAsciiWhitespace(s);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(d) || d < 0 || d > max) {
    ctx_->Fail(LineOf(*v), PathOf(key),
               absl::StrCat(Quote(s), " is not a number of seconds from 0 to ", max));
    return false;
  }
  *out = d;
  return true;
}

bool MapReader::Ip(absl::string_view key, std::optional<IpAddress>* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  std::string s;
  if (!ScalarText(ctx_, *v, PathOf(key), &s)) return false;
  if (s.empty()) return false;
  absl::StatusOr<IpAddress> a = IpAddress::Parse(s);
  if (!a.ok()) {
    std::string msg = absl::StrCat(Quote(s), " is not an IP address");
    if (s.find('%') != std::string::npos) {
      absl::StrAppend(&msg, " (a %zone suffix is not supported yet; use neighbor-interface)");
    }
    ctx_->Fail(LineOf(*v), PathOf(key), msg);
    return false;
  }
  *out = *a;
  return true;
}

bool MapReader::Enum(absl::string_view key, const std::vector<absl::string_view>& names,
                     int* out) {
  std::optional<YAML::Node> v = Take(key);
  if (!v || !ctx_->ok()) return false;
  std::string s;
  if (!ScalarText(ctx_, *v, PathOf(key), &s)) return false;
  if (s.empty()) {  // gobgpd's "not set"
    *out = 0;
    return true;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (s == names[i]) {
      *out = static_cast<int>(i);
      return true;
    }
  }
  std::vector<std::string> shown;
  for (absl::string_view n : names)
    if (!n.empty()) shown.emplace_back(n);
  ctx_->Fail(LineOf(*v), PathOf(key),
             absl::StrCat(Quote(s), " is not one of: ", absl::StrJoin(shown, ", ")));
  return false;
}

}  // namespace kbgp::config::internal
