#include "sidecar/kube/watch_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace kbgp::sidecar {

absl::Status WatchStreamParser::ParseLine(absl::string_view line, WatchEvent* out) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("watch event is not a JSON object");
  }
  auto t = j.find("type");
  auto o = j.find("object");
  if (t == j.end() || !t->is_string()) {
    return absl::InvalidArgumentError("watch event without a string \"type\"");
  }
  const std::string type = t->get<std::string>();
  if (type == "ADDED") {
    out->type = WatchEvent::Type::kAdded;
  } else if (type == "MODIFIED") {
    out->type = WatchEvent::Type::kModified;
  } else if (type == "DELETED") {
    out->type = WatchEvent::Type::kDeleted;
  } else if (type == "BOOKMARK") {
    out->type = WatchEvent::Type::kBookmark;
  } else if (type == "ERROR") {
    out->type = WatchEvent::Type::kError;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown watch event type ", type.substr(0, 40)));
  }
  if (o == j.end() || !o->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(type, " event without an object"));
  }
  out->object = std::move(*o);
  out->resource_version.clear();
  out->error_code = 0;
  auto meta = out->object.find("metadata");
  if (meta != out->object.end() && meta->is_object()) {
    auto rv = meta->find("resourceVersion");
    if (rv != meta->end() && rv->is_string()) out->resource_version = rv->get<std::string>();
  }
  if (out->type == WatchEvent::Type::kError) {
    auto code = out->object.find("code");
    if (code != out->object.end() && code->is_number_integer()) {
      out->error_code = code->get<int>();
    }
  } else if (out->type != WatchEvent::Type::kBookmark) {
    // Objects must have a name to be cached.
    if (meta == out->object.end() || !meta->is_object() || !meta->contains("name") ||
        !(*meta)["name"].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(type, " event object without a name"));
    }
  }
  return absl::OkStatus();
}

absl::Status WatchStreamParser::Feed(absl::string_view data,
                                     const std::function<void(WatchEvent&&)>& on_event) {
  if (failed_) return absl::FailedPreconditionError("watch stream parser failed before");
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    if (nl == absl::string_view::npos) {
      if (buffer_.size() + (data.size() - start) > max_line_) {
        failed_ = true;
        return absl::ResourceExhaustedError(
            absl::StrCat("watch event line longer than ", max_line_, " bytes"));
      }
      buffer_.append(data.data() + start, data.size() - start);
      break;
    }
    absl::string_view piece = data.substr(start, nl - start);
    start = nl + 1;
    if (buffer_.size() + piece.size() > max_line_) {
      failed_ = true;
      return absl::ResourceExhaustedError(
          absl::StrCat("watch event line longer than ", max_line_, " bytes"));
    }
    std::string line;
    if (buffer_.empty()) {
      line.assign(piece.data(), piece.size());
    } else {
      buffer_.append(piece.data(), piece.size());
      line.swap(buffer_);
      buffer_.clear();
    }
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty()) continue;  // keep-alive blank lines
    WatchEvent ev;
    absl::Status st = ParseLine(trimmed, &ev);
    if (!st.ok()) {
      failed_ = true;
      return st;
    }
    on_event(std::move(ev));
  }
  return absl::OkStatus();
}

}  // namespace kbgp::sidecar
