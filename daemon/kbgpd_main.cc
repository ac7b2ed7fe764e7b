// kbgpd: the BGP daemon. Flags follow gobgpd's, so a gobgpd command line starts kbgpd:
//   kbgpd -f /etc/gobgpd.yml -t yaml -l info [--api-hosts 127.0.0.1:50051] [--log-json]
// SIGHUP reloads the config file and applies only the difference; SIGINT/SIGTERM stop every
// session with a Cease NOTIFICATION and exit. Prometheus metrics are served on
// --metrics-address (default 127.0.0.1:9179) at --metrics-path (default /metrics).
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "asio/signal_set.hpp"
#include "daemon/api_server/api_server.h"
#include "daemon/common/event_loop.h"
#include "daemon/common/log.h"
#include "daemon/config/apply.h"
#include "daemon/config/config.h"
#include "daemon/metrics/bgp_metrics.h"
#include "daemon/metrics/endpoint.h"
#include "daemon/server/server.h"

namespace kbgp {
namespace {

constexpr char kUsage[] =
    "usage: kbgpd [-f FILE] [-t yaml] [-l LEVEL] [--log-json] [--api-hosts ADDR,...] [-d]\n"
    "  -f, --config-file FILE   gobgpd YAML config (without it, kbgpd waits for StartBgp)\n"
    "  -t, --config-type TYPE   config format; only yaml is supported\n"
    "  -l, --log-level LEVEL    debug, info, warn, error (default info)\n"
    "      --log-json           one JSON object per log line\n"
    "      --api-hosts ADDRS    gRPC API addresses, comma-separated: IP:PORT, [IPv6]:PORT,\n"
    "                           :PORT (every address, gobgpd's default) or unix://PATH\n"
    "                           (default 127.0.0.1:50051); \"none\" serves no API\n"
    "      --tls                serve the API over TLS (needs the two files below)\n"
    "      --tls-cert-file FILE server certificate (PEM)\n"
    "      --tls-key-file FILE  server private key (PEM)\n"
    "      --tls-client-ca-file FILE  require client certificates signed by this CA (mTLS)\n"
    "      --metrics-address ADDR  Prometheus metrics address: IPv4:PORT, [IPv6]:PORT or\n"
    "                           :PORT (default 127.0.0.1:9179)\n"
    "      --metrics-path PATH  metrics URL path (default /metrics)\n"
    "      --no-metrics         serve no metrics\n"
    "  -d, --dry-run            check the config file and exit\n"
    "  -p, --log-plain, --pprof-disable, --disable-stdlog   accepted for gobgpd compatibility\n";

struct Flags {
  std::string config_file;
  std::string config_type = "yaml";
  std::string log_level = "info";
  bool log_json = false;
  bool dry_run = false;
  std::string api_hosts = "127.0.0.1:50051";
  bool tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  std::string metrics_address = "127.0.0.1:9179";
  std::string metrics_path = "/metrics";
  bool no_metrics = false;
};

// Accepts "-f X", "--config-file X" and "--config-file=X". Returns an error text or "".
std::string ParseFlags(int argc, char** argv, Flags* flags) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> inline_value;
    if (absl::StartsWith(arg, "--")) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
    }
    auto value = [&](std::string* out) -> bool {
      if (inline_value) {
        *out = *inline_value;
        return true;
      }
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    if (arg == "-f" || arg == "--config-file") {
      if (!value(&flags->config_file)) return absl::StrCat(arg, " needs a file name");
    } else if (arg == "-t" || arg == "--config-type") {
      if (!value(&flags->config_type)) return absl::StrCat(arg, " needs a type");
    } else if (arg == "-l" || arg == "--log-level") {
      if (!value(&flags->log_level)) return absl::StrCat(arg, " needs a level");
    } else if (arg == "--api-hosts") {
      if (!value(&flags->api_hosts)) return absl::StrCat(arg, " needs addresses");
    } else if (arg == "--tls") {
      flags->tls = true;
    } else if (arg == "--tls-cert-file") {
      if (!value(&flags->tls_cert_file)) return absl::StrCat(arg, " needs a file name");
    } else if (arg == "--tls-key-file") {
      if (!value(&flags->tls_key_file)) return absl::StrCat(arg, " needs a file name");
    } else if (arg == "--tls-client-ca-file") {
      if (!value(&flags->tls_client_ca_file)) return absl::StrCat(arg, " needs a file name");
    } else if (arg == "--metrics-address") {
      if (!value(&flags->metrics_address)) return absl::StrCat(arg, " needs an address");
    } else if (arg == "--metrics-path") {
      if (!value(&flags->metrics_path)) return absl::StrCat(arg, " needs a path");
    } else if (arg == "--no-metrics") {
      flags->no_metrics = true;
    } else if (arg == "--log-json") {
      flags->log_json = true;
    } else if (arg == "-d" || arg == "--dry-run") {
      flags->dry_run = true;
    } else if (arg == "-p" || arg == "--log-plain" || arg == "--pprof-disable" ||
               arg == "--disable-stdlog") {
      // gobgpd flags that have no meaning here.
    } else if (arg == "-h" || arg == "--help") {
      return "help";
    } else {
      return absl::StrCat("unknown flag \"", arg, "\"");
    }
  }
  return "";
}

int Main(int argc, char** argv) {
  Flags flags;
  std::string err = ParseFlags(argc, argv, &flags);
  if (err == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!err.empty()) {
    std::fprintf(stderr, "kbgpd: %s\n%s", err.c_str(), kUsage);
    return 2;
  }
  absl::StatusOr<LogLevel> level = ParseLogLevel(flags.log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "kbgpd: %s\n", std::string(level.status().message()).c_str());
    return 2;
  }
  SetLogLevel(*level);
  SetLogJson(flags.log_json);
  if (!flags.no_metrics) {
    absl::StatusOr<std::string> addr = metrics::ParseListenAddress(flags.metrics_address);
    if (!addr.ok()) {
      std::fprintf(stderr, "kbgpd: %s\n", std::string(addr.status().message()).c_str());
      return 2;
    }
  }

  std::optional<config::Config> cfg;
  if (!flags.config_file.empty()) {
    absl::StatusOr<config::Config> loaded = config::LoadFile(flags.config_file, flags.config_type);
    if (!loaded.ok()) {
      LogError("cannot load config", {{"error", std::string(loaded.status().message())}});
      return 1;
    }
    cfg = *std::move(loaded);
  }
  if (flags.dry_run) {
    if (!cfg) {
      std::fprintf(stderr, "kbgpd: --dry-run needs -f FILE\n");
      return 2;
    }
    std::fputs(config::Print(*cfg).c_str(), stdout);
    return 0;
  }

  api_server::ApiOptions api_options;
  const bool api_enabled = flags.api_hosts != "none";
  if (api_enabled) {
    auto hosts = api_server::ParseApiHosts(flags.api_hosts);
    if (!hosts.ok()) {
      std::fprintf(stderr, "kbgpd: %s\n", std::string(hosts.status().message()).c_str());
      return 2;
    }
    api_options.hosts = *std::move(hosts);
    api_options.tls = flags.tls;
    api_options.cert_file = flags.tls_cert_file;
    api_options.key_file = flags.tls_key_file;
    api_options.client_ca_file = flags.tls_client_ca_file;
    if (!flags.tls && (!flags.tls_cert_file.empty() || !flags.tls_client_ca_file.empty())) {
      std::fprintf(stderr, "kbgpd: TLS files given without --tls\n");
      return 2;
    }
  } else if (!cfg) {
    std::fprintf(stderr, "kbgpd: with --api-hosts none a config file (-f) is needed\n");
    return 2;
  }

  EventLoop loop;
  server::BgpServer server(loop);
  LogInfo("kbgpd starting", {{"config", flags.config_file.empty() ? "(none)" : flags.config_file},
                             {"api_hosts", flags.api_hosts}});
  // Metrics before the config (a bind failure starts no session) and the API (its
  // interceptor counts every call); destroyed after the API.
  std::unique_ptr<metrics::Endpoint> metrics_endpoint;
  std::unique_ptr<metrics::KbgpdMetrics> kbgpd_metrics;
  if (!flags.no_metrics) {
    absl::StatusOr<std::unique_ptr<metrics::Endpoint>> ep =
        metrics::Endpoint::Start({flags.metrics_address, flags.metrics_path});
    if (!ep.ok()) {
      LogError("cannot start the metrics endpoint", {{"error", std::string(ep.status().message())}});
      return 1;
    }
    metrics_endpoint = *std::move(ep);
    kbgpd_metrics = std::make_unique<metrics::KbgpdMetrics>(loop, server,
                                                            metrics_endpoint->shared_registry());
    kbgpd_metrics->StartLoopLag();
    metrics_endpoint->Add(std::make_shared<metrics::BgpCollector>(loop, server));
    api_options.interceptors = kbgpd_metrics->GrpcInterceptors();
    LogInfo("metrics listening", {{"address", flags.metrics_address},
                                  {"port", metrics_endpoint->port()},
                                  {"path", flags.metrics_path}});
  }
  if (cfg) {
    absl::Status s = config::ApplyInitial(server, *cfg);
    if (!s.ok()) {
      LogError("cannot apply config", {{"error", std::string(s.message())}});
      return 1;
    }
  } else {
    LogInfo("no config file: waiting for StartBgp on the API");
  }
  api_server::ApiServer api(loop, server);
  if (api_enabled) {
    absl::Status s = api.Start(api_options);
    if (!s.ok()) {
      LogError("cannot start the gRPC API", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  std::thread api_stopper;

  LoopTimer grace(loop);
  asio::signal_set signals(loop.context(), SIGINT, SIGTERM, SIGHUP);
  std::function<void(const std::error_code&, int)> on_signal;
  on_signal = [&](const std::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      if (!cfg) {
        LogWarn("SIGHUP without a config file: nothing to reload");
      } else {
        absl::StatusOr<config::Config> next = config::LoadFile(flags.config_file, flags.config_type);
        if (!next.ok()) {
          LogError("config reload failed; keeping the running config",
                   {{"error", std::string(next.status().message())}});
          if (kbgpd_metrics) kbgpd_metrics->ConfigReloaded(false);
        } else {
          absl::Status s = config::ApplyReload(server, *cfg, *next);
          if (kbgpd_metrics) kbgpd_metrics->ConfigReloaded(s.ok());
          if (s.ok()) {
            cfg = *std::move(next);
          } else {
            LogError("config reload failed; keeping the running config",
                     {{"error", std::string(s.message())}});
          }
        }
      }
      signals.async_wait(on_signal);
      return;
    }
    if (api_stopper.joinable()) return;  // a second signal while stopping
    LogInfo("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
    // The API's handlers wait on this loop, so the API stops on a thread of its own while
    // the loop still runs; then BGP stops and the Cease NOTIFICATIONs get a moment to leave.
    api_stopper = std::thread([&]() {
      api.Shutdown();
      loop.Post([&]() {
        server.Stop();
        grace.Start(std::chrono::milliseconds(200), [&loop]() { loop.Stop(); });
      });
    });
  };
  signals.async_wait(on_signal);
  loop.Run();
  if (api_stopper.joinable()) api_stopper.join();
  // Stop serving metrics first: a scrape now would wait on the stopped loop until its timeout.
  metrics_endpoint.reset();
  return 0;
}

}  // namespace
}  // namespace kbgp

int main(int argc, char** argv) { return kbgp::Main(argc, argv); }
