#include "sidecar/kube/config.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace kbgp::sidecar {
namespace {

TEST(Kubeconfig, FakeKubeStyle) {
  auto c = ParseKubeconfig(R"(
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority: ca.crt
contexts:
- name: fake
  context: {cluster: fake, user: me}
current-context: fake
users:
- name: me
  user:
    token: abc.def
)", "/state");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->scheme, "https");
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 6443);
  EXPECT_EQ(c->ca_file, "/state/ca.crt");
  EXPECT_EQ(c->token, "abc.def");
  EXPECT_FALSE(c->insecure);
}

TEST(Kubeconfig, PicksTheCurrentContextAndDecodesCaData) {
  auto c = ParseKubeconfig(R"(
clusters:
- {name: a, cluster: {server: "https://a.example"}}
- {name: b, cluster: {server: "https://[2001:db8::1]:8443", certificate-authority-data: "UEVN"}}
contexts:
- {name: ca, context: {cluster: a, user: ua}}
- {name: cb, context: {cluster: b, user: ub}}
current-context: cb
users:
- {name: ua, user: {token: A}}
- {name: ub, user: {tokenFile: /var/tok}}
)", "/x");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "2001:db8::1");
  EXPECT_EQ(c->port, 8443);
  EXPECT_EQ(c->ca_pem, "PEM");
  EXPECT_EQ(c->token_file, "/var/tok");
  EXPECT_EQ(c->token, "");
}

TEST(Kubeconfig, Errors) {
  const char* bad[] = {
      "",
      "[1, 2]",
      "clusters: 5",
      "current-context: missing\ncontexts: []\n",
      "clusters:\n- {name: a, cluster: {}}\ncontexts:\n- {name: c, context: {cluster: a}}\ncurrent-context: c\n",
      "clusters:\n- {name: a, cluster: {server: ftp://x}}\ncontexts:\n- {name: c, context: {cluster: a}}\ncurrent-context: c\n",
      "clusters:\n- {name: a, cluster: {server: 'https://x:99999'}}\ncontexts:\n- {name: c, context: {cluster: a}}\ncurrent-context: c\n",
      "clusters:\n- {name: a, cluster: {server: 'https://x', certificate-authority-data: '@@'}}\ncontexts:\n- {name: c, context: {cluster: a}}\ncurrent-context: c\n",
      "clusters:\n- {name: a, cluster: {server: 'https://x'}}\ncontexts:\n- {name: c, context: {cluster: a, user: u}}\ncurrent-context: c\nusers:\n- {name: u, user: {client-certificate: c.crt, client-key: c.key}}\n",
      "{{{{",
  };
  for (const char* b : bad) {
    auto c = ParseKubeconfig(b, "/x");
    EXPECT_FALSE(c.ok()) << b;
  }
  EXPECT_FALSE(LoadKubeconfig("/nonexistent/kubeconfig").ok());
}

TEST(Kubeconfig, ServerUrl) {
  KubeConfig c;
  ASSERT_TRUE(ParseServerUrl("https://kube.example/", &c).ok());
  EXPECT_EQ(c.host, "kube.example");
  EXPECT_EQ(c.port, 443);
  ASSERT_TRUE(ParseServerUrl("http://127.0.0.1:8080", &c).ok());
  EXPECT_EQ(c.scheme, "http");
  EXPECT_EQ(c.port, 8080);
  EXPECT_FALSE(ParseServerUrl("https://", &c).ok());
  EXPECT_FALSE(ParseServerUrl("https://[::1", &c).ok());
  EXPECT_FALSE(ParseServerUrl("https://h:x", &c).ok());
}

TEST(Kubeconfig, InCluster) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(InClusterConfig("/sa").ok());
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto c = InClusterConfig("/sa");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "10.96.0.1");
  EXPECT_EQ(c->token_file, "/sa/token");
  EXPECT_EQ(c->ca_file, "/sa/ca.crt");
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  c = InClusterConfig("/sa");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "fd00::1");
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
}

}  // namespace
}  // namespace kbgp::sidecar
