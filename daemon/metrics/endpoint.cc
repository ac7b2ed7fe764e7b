#include "daemon/metrics/endpoint.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "asio/ip/address.hpp"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"

namespace kbgp::metrics {

absl::StatusOr<std::string> ParseListenAddress(absl::string_view address) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad metrics address \"", address, "\": ", why,
                     " (want IPv4:PORT, [IPv6]:PORT or :PORT)"));
  };
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return bad("no port");
  absl::string_view host = address.substr(0, colon);
  absl::string_view port_text = address.substr(colon + 1);
  uint32_t port = 0;
  if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return bad("the port is not a number from 0 to 65535");
  }
  if (host.empty()) return absl::StrCat(port);  // CivetWeb: every IPv4 address
  std::error_code ec;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("unclosed [");
    asio::ip::make_address_v6(std::string(host.substr(1, host.size() - 2)), ec);
    if (ec) return bad("not an IPv6 address");
    return absl::StrCat(host, ":", port);
  }
  asio::ip::make_address_v4(std::string(host), ec);
  if (ec) return bad("not an IPv4 address (IPv6 goes in brackets)");
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<std::unique_ptr<Endpoint>> Endpoint::Start(const Options& options) {
  absl::StatusOr<std::string> listen = ParseListenAddress(options.address);
  if (!listen.ok()) return listen.status();
  if (options.path.empty() || options.path.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("bad metrics path \"", options.path, "\": it must start with /"));
  }
  std::unique_ptr<Endpoint> e(new Endpoint());
  e->path_ = options.path;
  e->registry_ = std::make_shared<prometheus::Registry>();
  try {
    // Two threads: a scrape waiting on a busy collector does not block a second one.
    e->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", *listen, "num_threads", "2"});
  } catch (const std::exception& ex) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", options.address,
                                               ": ", ex.what()));
  }
  std::vector<int> ports = e->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", options.address));
  }
  e->port_ = static_cast<uint16_t>(ports.front());
  e->exposer_->RegisterCollectable(e->registry_, e->path_);
  if (options.process_metrics) e->Add(std::make_shared<ProcessCollector>());
  return e;
}

Endpoint::~Endpoint() { exposer_.reset(); }

void Endpoint::Add(std::shared_ptr<prometheus::Collectable> collectable) {
  exposer_->RegisterCollectable(collectable, path_);
  collectables_.push_back(std::move(collectable));
}

// ---------------------------------------------------------------------------------------
// process_* from /proc/self (proc(5)).

namespace {

std::string ReadSmallFile(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

prometheus::MetricFamily Single(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

// System boot time in seconds since the epoch (/proc/stat "btime").
double BootTime() {
  std::string stat = ReadSmallFile("/proc/stat");
  for (absl::string_view line : absl::StrSplit(stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double t = 0;
      if (absl::SimpleAtod(line, &t)) return t;
    }
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));

  // /proc/self/stat: the command name (field 2) is in parentheses and may hold spaces, so the
  // fields are counted from the last ')': utime is field 14, stime 15, starttime 22.
  std::string stat = ReadSmallFile("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::vector<absl::string_view> f =
        absl::StrSplit(absl::string_view(stat).substr(close + 1), ' ', absl::SkipEmpty());
    // f[0] is field 3 (state), so field n is f[n - 3].
    double utime = 0, stime = 0, start = 0;
    if (f.size() > 19 && absl::SimpleAtod(f[11], &utime) && absl::SimpleAtod(f[12], &stime) &&
        absl::SimpleAtod(f[19], &start)) {
      out.push_back(Single("process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.",
                           MetricType::Counter, (utime + stime) / ticks));
      const double boot = BootTime();
      if (boot > 0) {
        out.push_back(Single("process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.",
                             MetricType::Gauge, boot + start / ticks));
      }
    }
  }
  // /proc/self/statm: size and resident, in pages.
  std::vector<std::string> statm =
      absl::StrSplit(ReadSmallFile("/proc/self/statm"), ' ', absl::SkipEmpty());
  double vsize = 0, rss = 0;
  if (statm.size() >= 2 && absl::SimpleAtod(statm[0], &vsize) &&
      absl::SimpleAtod(statm[1], &rss)) {
    out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge, vsize * page));
    out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::Gauge, rss * page));
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    int n = 0;
    while (dirent* ent = readdir(d)) {
      if (ent->d_name[0] != '.') ++n;
    }
    closedir(d);
    out.push_back(Single("process_open_fds", "Number of open file descriptors.",
                         MetricType::Gauge, n - 1));  // without the one opendir holds
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, static_cast<double>(lim.rlim_cur)));
  }
  return out;
}

}  // namespace kbgp::metrics
