#include "daemon/common/log.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace kbgp {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_json{false};
std::atomic<std::FILE*> g_sink{nullptr};
std::mutex g_mu;

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// A text value is quoted when it has spaces, quotes or '=' so the line stays parseable.
void AppendTextValue(std::string* out, absl::string_view s) {
  bool quote = s.empty();
  for (char c : s)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) quote = true;
  if (quote) {
    AppendJsonString(out, s);
  } else {
    out->append(s.data(), s.size());
  }
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  return absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  if (n == "debug" || n == "trace") return LogLevel::kDebug;
  if (n == "info") return LogLevel::kInfo;
  if (n == "warn" || n == "warning") return LogLevel::kWarn;
  if (n == "error" || n == "fatal" || n == "panic") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level \"", name, "\" (debug, info, warn, error)"));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }
void SetLogJson(bool json) { g_json = json; }
void SetLogSink(std::FILE* sink) { g_sink = sink; }

void LogLine(LogLevel level, absl::string_view msg, std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(128);
  if (g_json) {
    line.append("{\"time\":\"").append(Timestamp()).append("\",\"level\":\"");
    absl::StrAppend(&line, LogLevelName(level), "\",\"msg\":");
    AppendJsonString(&line, msg);
    for (const LogField& f : fields) {
      line.push_back(',');
      AppendJsonString(&line, f.key);
      line.push_back(':');
      AppendJsonString(&line, f.value);
    }
    line.append("}\n");
  } else {
    line.append(Timestamp()).push_back(' ');
    line.append(absl::AsciiStrToUpper(LogLevelName(level)));
    line.append(level == LogLevel::kInfo || level == LogLevel::kWarn ? "  " : " ");
    line.append(msg.data(), msg.size());
    for (const LogField& f : fields) {
      line.push_back(' ');
      line.append(f.key.data(), f.key.size()).push_back('=');
      AppendTextValue(&line, f.value);
    }
    line.push_back('\n');
  }
  std::FILE* sink = g_sink.load();
  if (sink == nullptr) sink = stderr;
  std::lock_guard<std::mutex> lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), sink);
  std::fflush(sink);
}

}  // namespace kbgp
