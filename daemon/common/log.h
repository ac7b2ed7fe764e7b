// Structured, level-filtered logging: one line per event, as text
//   2026-11-26T19:33:07.123Z INFO  peer up peer=192.0.2.2 as=65001
// or, with SetLogJson(true), as one JSON object per line
//   {"time":"2026-11-26T19:33:07.123Z","level":"info","msg":"peer up","peer":"192.0.2.2","as":"65001"}
// Safe to call from any thread (one mutex around the write). Writes to stderr by default.
#ifndef KBGP_DAEMON_COMMON_LOG_H_
#define KBGP_DAEMON_COMMON_LOG_H_

#include <cstdio>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace kbgp {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn"/"warning", "error" (gobgpd's -l also takes "trace", "fatal" and
// "panic": mapped to debug and error).
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void SetLogJson(bool json);
// Where lines go (default stderr); for tests.
void SetLogSink(std::FILE* sink);

inline bool LogEnabled(LogLevel level) { return level >= GetLogLevel(); }

// A key=value field. Values are strings; numbers via absl::StrCat at the call site.
struct LogField {
  absl::string_view key;
  std::string value;
  template <typename T>
  LogField(absl::string_view k, const T& v) : key(k), value(absl::StrCat(v)) {}
  LogField(absl::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  LogField(absl::string_view k, const char* v) : key(k), value(v) {}
};

void LogLine(LogLevel level, absl::string_view msg, std::initializer_list<LogField> fields);

inline void LogDebug(absl::string_view msg, std::initializer_list<LogField> f = {}) {
  if (LogEnabled(LogLevel::kDebug)) LogLine(LogLevel::kDebug, msg, f);
}
inline void LogInfo(absl::string_view msg, std::initializer_list<LogField> f = {}) {
  if (LogEnabled(LogLevel::kInfo)) LogLine(LogLevel::kInfo, msg, f);
}
inline void LogWarn(absl::string_view msg, std::initializer_list<LogField> f = {}) {
  if (LogEnabled(LogLevel::kWarn)) LogLine(LogLevel::kWarn, msg, f);
}
inline void LogError(absl::string_view msg, std::initializer_list<LogField> f = {}) {
  if (LogEnabled(LogLevel::kError)) LogLine(LogLevel::kError, msg, f);
}

}  // namespace kbgp

#endif  // KBGP_DAEMON_COMMON_LOG_H_
