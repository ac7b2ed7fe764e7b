#include "sidecar/flags.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kbgp::sidecar {
namespace {

absl::Status Parse(std::vector<std::string> args, SidecarFlags* f) {
  std::vector<char*> argv;
  std::string prog = "kbgp-sync";
  argv.push_back(prog.data());
  for (auto& a : args) argv.push_back(a.data());
  return ParseSidecarFlags(static_cast<int>(argv.size()), argv.data(), f);
}

TEST(Flags, KubeRouterNames) {
  SidecarFlags f;
  ASSERT_TRUE(Parse({"--cluster-asn=65010", "--nodes-full-mesh=false", "--peer-router-ips",
                     "10.0.0.100,10.0.0.101", "--peer-router-asns=65001,65002",
                     "--advertise-loadbalancer-ip", "--advertise-pod-cidr=false",
                     "--bgp-holdtime=30s", "--routes-sync-period", "1m30s", "--api",
                     "unix:///run/kbgpd.sock", "--bgp-graceful-restart"},
                    &f).ok());
  EXPECT_EQ(f.options.cluster_asn, 65010u);
  EXPECT_FALSE(f.options.nodes_full_mesh);
  EXPECT_EQ(f.options.peer_router_ips.size(), 2u);
  EXPECT_EQ(f.options.peer_router_asns, (std::vector<uint32_t>{65001, 65002}));
  EXPECT_TRUE(f.options.advertise_loadbalancer_ip);
  EXPECT_FALSE(f.options.advertise_pod_cidr);
  EXPECT_EQ(f.options.bgp_holdtime, 30u);
  EXPECT_DOUBLE_EQ(f.resync_period, 90);
  EXPECT_EQ(f.api, "unix:///run/kbgpd.sock");
  EXPECT_TRUE(f.options.bgp_graceful_restart);
}

TEST(Flags, Errors) {
  const std::vector<std::vector<std::string>> bad = {
      {"--nope=1"}, {"--cluster-asn=x"}, {"--bgp-port=0"}, {"--bgp-port=70000"},
      {"--bgp-holdtime=1s"}, {"--peer-router-asns=1,x"}, {"--advertise-cluster-ip=maybe"},
      {"--kubeconfig"}, {"positional"}, {"--resync-period=10parsecs"},
      {"--bgp-graceful-restart-time=5000s"}, {"--config=/nonexistent.yaml"}};
  for (const auto& b : bad) {
    SidecarFlags f;
    EXPECT_FALSE(Parse(b, &f).ok()) << b[0];
  }
}

TEST(Flags, ConfigFileThenCommandLine) {
  char path[] = "/tmp/kbgp-sync-flags-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string yaml =
      "cluster-asn: 65020\npeer-router-ips: [10.0.0.100, 10.0.0.101]\n"
      "peer-router-asns: [65001, 65002]\nadvertise-cluster-ip: true\nresync-period: 10s\n";
  ASSERT_EQ(write(fd, yaml.data(), yaml.size()), static_cast<ssize_t>(yaml.size()));
  close(fd);
  SidecarFlags f;
  ASSERT_TRUE(Parse({"--config", path, "--cluster-asn=65030"}, &f).ok());
  EXPECT_EQ(f.options.cluster_asn, 65030u);  // the command line wins
  EXPECT_EQ(f.options.peer_router_ips, (std::vector<std::string>{"10.0.0.100", "10.0.0.101"}));
  EXPECT_TRUE(f.options.advertise_cluster_ip);
  EXPECT_DOUBLE_EQ(f.resync_period, 10);
  FILE* fp = std::fopen(path, "w");
  std::fputs("cluster-asn: {a: 1}\n", fp);
  std::fclose(fp);
  SidecarFlags g;
  EXPECT_FALSE(Parse({"--config", path}, &g).ok());
  fp = std::fopen(path, "w");
  std::fputs("unknown-key: 1\n", fp);
  std::fclose(fp);
  SidecarFlags h;
  EXPECT_FALSE(Parse({"--config", path}, &h).ok());
  unlink(path);
}

}  // namespace
}  // namespace kbgp::sidecar
