// The endpoint on loopback: it binds, serves the path over real HTTP, names the address when
// it cannot bind, rejects bad addresses; the process collector reads sane values.
#include "daemon/metrics/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "prometheus/metric_family.h"

namespace kbgp::metrics {

// An HTTP/1.0 GET on 127.0.0.1:port; the whole response (status line, headers, body).
std::string HttpGet(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    const std::string req = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

namespace {

using ::testing::HasSubstr;

TEST(ParseListenAddress, AcceptsAndRejects) {
  EXPECT_EQ(*ParseListenAddress("127.0.0.1:9179"), "127.0.0.1:9179");
  EXPECT_EQ(*ParseListenAddress("[::1]:9179"), "[::1]:9179");
  EXPECT_EQ(*ParseListenAddress(":9179"), "9179");
  for (const char* bad : {"", "9179", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:x", "localhost:9179", "::1:9179", "[::1:9179",
                          "[10.0.0.1]:9179", "1.2.3:9179"}) {
    absl::StatusOr<std::string> r = ParseListenAddress(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(absl::StrCat("\"", bad, "\"")));
  }
}

TEST(Endpoint, ServesRegistryAndProcessMetrics) {
  auto ep = Endpoint::Start({"127.0.0.1:0", "/m"});
  ASSERT_TRUE(ep.ok()) << ep.status();
  Endpoint& e = **ep;
  ASSERT_GT(e.port(), 0);
  prometheus::BuildCounter().Name("test_things_total").Help("Things.").Register(e.registry())
      .Add({{"kind", "a"}})
      .Increment(3);
  std::string r = HttpGet(e.port(), "/m");
  EXPECT_THAT(r, HasSubstr("200 OK"));
  EXPECT_THAT(r, HasSubstr("# TYPE test_things_total counter"));
  EXPECT_THAT(r, HasSubstr("test_things_total{kind=\"a\"} 3"));
  EXPECT_THAT(r, HasSubstr("# TYPE process_cpu_seconds_total counter"));
  EXPECT_THAT(r, HasSubstr("# TYPE process_resident_memory_bytes gauge"));
  // Another path is not the metrics.
  EXPECT_THAT(HttpGet(e.port(), "/other"), HasSubstr("404"));
}

TEST(Endpoint, BindFailureNamesTheAddress) {
  auto first = Endpoint::Start({"127.0.0.1:0", "/metrics"});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string addr = absl::StrCat("127.0.0.1:", (*first)->port());
  auto second = Endpoint::Start({addr, "/metrics"});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("cannot listen for metrics on " + addr));
}

TEST(Endpoint, BadOptions) {
  EXPECT_EQ(Endpoint::Start({"nowhere", "/metrics"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Endpoint::Start({"127.0.0.1:0", "metrics"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& v,
                                     const std::string& name) {
  for (const auto& f : v) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(ProcessCollector, ValuesAreSane) {
  ProcessCollector c;
  std::vector<prometheus::MetricFamily> a = c.Collect();
  const auto* cpu = Find(a, "process_cpu_seconds_total");
  const auto* rss = Find(a, "process_resident_memory_bytes");
  const auto* vsz = Find(a, "process_virtual_memory_bytes");
  const auto* fds = Find(a, "process_open_fds");
  const auto* max = Find(a, "process_max_fds");
  const auto* start = Find(a, "process_start_time_seconds");
  for (const auto* f : {cpu, rss, vsz, fds, max, start}) ASSERT_NE(f, nullptr);
  EXPECT_EQ(cpu->type, prometheus::MetricType::Counter);
  EXPECT_EQ(rss->type, prometheus::MetricType::Gauge);
  EXPECT_GT(rss->metric[0].gauge.value, 1 << 20);  // a test binary with gtest: > 1 MiB
  EXPECT_GE(vsz->metric[0].gauge.value, rss->metric[0].gauge.value);
  EXPECT_GE(fds->metric[0].gauge.value, 3);  // stdin, stdout, stderr
  EXPECT_GE(max->metric[0].gauge.value, fds->metric[0].gauge.value);
  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(start->metric[0].gauge.value, now + 1);
  EXPECT_GT(start->metric[0].gauge.value, now - 3600);  // this test started within the hour

  // Burn 300 ms of CPU (by the process's own CPU clock, so a busy machine does not matter):
  // the counter moves by that, within the 10 ms clock tick of /proc.
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
  };
  const double before = cpu->metric[0].counter.value;
  const double start_cpu = cpu_now();
  volatile uint64_t x = 0;
  while (cpu_now() - start_cpu < 0.3) x = x + 1;
  std::vector<prometheus::MetricFamily> b = c.Collect();
  const double burnt = cpu_now() - start_cpu;
  const double after = Find(b, "process_cpu_seconds_total")->metric[0].counter.value;
  EXPECT_GE(after - before, burnt - 0.05);
  EXPECT_LE(after - before, burnt + 0.05);

  // Open one more file: open_fds moves by one.
  int fd = dup(0);
  ASSERT_GE(fd, 0);
  std::vector<prometheus::MetricFamily> c2 = c.Collect();
  EXPECT_EQ(Find(c2, "process_open_fds")->metric[0].gauge.value,
            fds->metric[0].gauge.value + 1);
  close(fd);
}

}  // namespace
}  // namespace kbgp::metrics
