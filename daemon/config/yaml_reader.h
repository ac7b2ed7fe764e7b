// Private to config/: a strict reader over a yaml-cpp tree that records, for every key it
// visits, the line it was on and whether the file wrote it, so errors and gobgpd's
// "was this key set?" default rules can both be answered after parsing.
// Keys match case-insensitively, as in gobgpd (viper lower-cases every key); values are
// converted the way gobgpd's mapstructure does with WeaklyTypedInput ("90" is a number,
// 1 is true, a single value is a one-element list).
#ifndef KBGP_DAEMON_CONFIG_YAML_READER_H_
#define KBGP_DAEMON_CONFIG_YAML_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/common/ip.h"
#include "yaml-cpp/yaml.h"

namespace kbgp::config::internal {

// The state of one load: the first error, the lines of visited keys, the written keys.
class Context {
 public:
  explicit Context(std::string file) : file_(std::move(file)) {}

  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }

  // Records the first error only: later ones are usually consequences of it.
  void Fail(int line, absl::string_view path, absl::string_view message);
  // Uses the line recorded for `path` or its nearest parent.
  void Fail(absl::string_view path, absl::string_view message);

  void Visit(const std::string& path, int line, bool written);
  bool IsSet(const std::string& path) const { return written_.contains(path); }
  int LineOf(absl::string_view path) const;

 private:
  std::string file_;
  absl::Status status_;
  absl::flat_hash_map<std::string, int> lines_;
  absl::flat_hash_set<std::string> written_;
};

int LineOf(const YAML::Node& node);  // 1-based; 0 when unknown

// Reads one YAML mapping. Every key must be asked for (Take or a typed reader) before the
// reader is destroyed, or it is reported as an unknown key.
class MapReader {
 public:
  // `node` may be absent or null: then the map is empty.
  MapReader(Context* ctx, const YAML::Node& node, std::string path);
  ~MapReader();
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  Context* ctx() const { return ctx_; }
  const std::string& path() const { return path_; }
  std::string PathOf(absl::string_view key) const;

  // The value written for `key`, if any (null counts as not written, as in gobgpd).
  std::optional<YAML::Node> Take(absl::string_view key);
  // A nested mapping (empty if absent).
  MapReader Sub(absl::string_view key);
  // The elements of a list, with their paths ("neighbors[2]").
  std::vector<std::pair<YAML::Node, std::string>> List(absl::string_view key);
  // A gobgpd key kbgpd does not implement yet: an error if written.
  void Unsupported(absl::string_view key);

  bool Bool(absl::string_view key, bool* out);
  bool String(absl::string_view key, std::string* out);
  bool StringList(absl::string_view key, std::vector<std::string>* out);
  // An unsigned integer in [min, max]; `what` completes "... is not WHAT".
  bool Uint(absl::string_view key, uint64_t min, uint64_t max, absl::string_view what,
            uint64_t* out);
  template <typename T>
  bool Uint(absl::string_view key, uint64_t max, absl::string_view what, T* out) {
    uint64_t v = 0;
    if (!Uint(key, 0, max, what, &v)) return false;
    *out = static_cast<T>(v);
    return true;
  }
  bool Int(absl::string_view key, int64_t min, int64_t max, absl::string_view what,
           int64_t* out);
  bool Seconds(absl::string_view key, double max, double* out);
  bool Ip(absl::string_view key, std::optional<IpAddress>* out);
  // One of `names` (index into it); "" is index 0 when names[0] is "".
  bool Enum(absl::string_view key, const std::vector<absl::string_view>& names, int* out);

 private:
  struct Entry {
    std::string lower;
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool used = false;
  };
  Entry* Find(absl::string_view key);

  Context* ctx_;
  std::string path_;
  std::vector<Entry> entries_;
  std::vector<std::string> asked_;
};

// Scalar conversions; on failure they report through ctx and return false.
bool ScalarText(Context* ctx, const YAML::Node& node, const std::string& path, std::string* out);
bool ParseBoolValue(Context* ctx, const YAML::Node& node, const std::string& path, bool* out);
bool ParsePrefixText(absl::string_view text, bool allow_address, Prefix* out);

}  // namespace kbgp::config::internal

#endif  // KBGP_DAEMON_CONFIG_YAML_READER_H_
