// Splits a Kubernetes watch stream (one JSON object per line, arriving in chunks that split
// lines anywhere) into events. Hostile input — garbage, truncated JSON, wrong types, huge
// lines — gives error events or a failed Feed, never a crash.
#ifndef KBGP_SIDECAR_KUBE_WATCH_PARSER_H_
#define KBGP_SIDECAR_KUBE_WATCH_PARSER_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace kbgp::sidecar {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kError;
  nlohmann::json object;        // the object (for kError: the Status, may be empty)
  std::string resource_version; // object.metadata.resourceVersion, "" if absent
  int error_code = 0;           // kError: Status.code (410 = Expired / Gone)
};

class WatchStreamParser {
 public:
  explicit WatchStreamParser(size_t max_line = 64u << 20) : max_line_(max_line) {}

  // Feeds bytes; calls on_event for every complete, valid line. Returns an error (and the
  // parser is then unusable: the caller drops the connection) on a line that is not a valid
  // watch event or that exceeds max_line.
  absl::Status Feed(absl::string_view data, const std::function<void(WatchEvent&&)>& on_event);
  // Bytes of an incomplete last line.
  size_t pending() const { return buffer_.size(); }

  // Parses one line (without the newline).
  static absl::Status ParseLine(absl::string_view line, WatchEvent* out);

 private:
  size_t max_line_;
  std::string buffer_;
  bool failed_ = false;
};

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_KUBE_WATCH_PARSER_H_
