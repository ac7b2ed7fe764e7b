// Test helper: runs `promtool check metrics` (Debian's prometheus package) on a text
// exposition, as the metrics issue's acceptance asks of both endpoints. Header-only; used by
// the daemon's and kbgp-sync's metrics tests.
#ifndef KBGP_DAEMON_METRICS_PROMTOOL_CHECK_H_
#define KBGP_DAEMON_METRICS_PROMTOOL_CHECK_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

namespace kbgp::metrics {

struct PromtoolResult {
  int exit_code = -1;  // -1: promtool did not exit normally
  std::string output;  // stdout and stderr: its findings, one per line
};

inline constexpr const char kPromtool[] = "/usr/bin/promtool";

// Nothing when promtool is not installed or the exposition cannot be written to a temp file.
inline std::optional<PromtoolResult> PromtoolCheckMetrics(const std::string& text) {
  if (access(kPromtool, X_OK) != 0) return std::nullopt;
  char path[] = "/tmp/kbgp_promtool.XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return std::nullopt;
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written) {
    unlink(path);
    return std::nullopt;
  }
  const std::string cmd = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
  PromtoolResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    unlink(path);
    return std::nullopt;
  }
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) r.output.append(buf, n);
  const int status = pclose(p);
  unlink(path);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

}  // namespace kbgp::metrics

#endif  // KBGP_DAEMON_METRICS_PROMTOOL_CHECK_H_
