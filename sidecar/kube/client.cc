#include "sidecar/kube/client.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace kbgp::sidecar {

KubeClient::KubeClient(KubeConfig config) : config_(std::move(config)) {
  ca_path_ = config_.ca_file;
  if (ca_path_.empty() && !config_.ca_pem.empty()) {
    // httplib loads CAs from a file: keep certificate-authority-data in a private one.
    char tmpl[] = "/tmp/kbgp-sync-ca-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) {
      ssize_t n = write(fd, config_.ca_pem.data(), config_.ca_pem.size());
      close(fd);
      if (n == static_cast<ssize_t>(config_.ca_pem.size())) ca_path_ = tmpl;
    }
  }
}

KubeClient::~KubeClient() {
  if (ca_path_ != config_.ca_file && !ca_path_.empty()) unlink(ca_path_.c_str());
}

std::string KubeClient::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (config_.token_file.empty() && !config_.kubeconfig_path.empty()) {
    // An inline token: take a rotated one from the kubeconfig when the file changes.
    struct stat st {};
    if (stat(config_.kubeconfig_path.c_str(), &st) == 0 &&
        (st.st_mtim.tv_sec != token_mtime_.tv_sec || st.st_mtim.tv_nsec != token_mtime_.tv_nsec)) {
      token_mtime_ = st.st_mtim;
      auto fresh = LoadKubeconfig(config_.kubeconfig_path);
      if (fresh.ok() && !fresh->token.empty()) config_.token = fresh->token;
    }
    return config_.token;
  }
  if (config_.token_file.empty()) return config_.token;
  struct stat st {};
  if (stat(config_.token_file.c_str(), &st) != 0) return token_;  // keep the last one
  if (token_path_ != config_.token_file || st.st_mtim.tv_sec != token_mtime_.tv_sec ||
      st.st_mtim.tv_nsec != token_mtime_.tv_nsec || token_.empty()) {
    std::ifstream in(config_.token_file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string t(absl::StripAsciiWhitespace(ss.str()));
    if (!t.empty()) {
      token_ = t;
      token_path_ = config_.token_file;
      token_mtime_ = st.st_mtim;
    }
  }
  return token_;
}

std::unique_ptr<httplib::Client> KubeClient::NewClient(int read_timeout_seconds) {
  std::string base = absl::StrCat(config_.scheme, "://",
                                  config_.host.find(':') != std::string::npos
                                      ? absl::StrCat("[", config_.host, "]")
                                      : config_.host,
                                  ":", config_.port);
  auto c = std::make_unique<httplib::Client>(base);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(read_timeout_seconds, 0);
  c->set_write_timeout(10, 0);
  c->set_keep_alive(false);
  if (config_.scheme == "https") {
    if (config_.insecure) {
      c->enable_server_certificate_verification(false);
    } else {
      c->enable_server_certificate_verification(true);
      if (!ca_path_.empty()) c->set_ca_cert_path(ca_path_);
    }
  }
  std::string token = Token();
  if (!token.empty()) c->set_bearer_token_auth(token);
  return c;
}

absl::StatusOr<nlohmann::json> KubeClient::GetJson(const std::string& path, int* http_status) {
  auto c = NewClient(30);
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.insert(c.get());
  }
  httplib::Result r = c->Get(path.c_str(), httplib::Headers{{"Accept", "application/json"}});
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(c.get());
  }
  if (!r) {
    return absl::UnavailableError(
        absl::StrCat("GET ", path, ": ", httplib::to_string(r.error())));
  }
  if (http_status != nullptr) *http_status = r->status;
  if (r->status < 200 || r->status > 299) {
    return absl::UnavailableError(
        absl::StrCat("GET ", path, ": HTTP ", r->status, ": ", r->body.substr(0, 200)));
  }
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat("GET ", path, ": the answer is not a JSON object"));
  }
  return j;
}

absl::Status KubeClient::Stream(const std::string& path, int read_timeout_seconds,
                                const std::function<bool(absl::string_view)>& on_chunk,
                                int* http_status) {
  auto c = NewClient(read_timeout_seconds);
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.insert(c.get());
  }
  int status = 0;
  std::string error_body;
  bool stopped_by_us = false;
  httplib::Result r = c->Get(
      path.c_str(), httplib::Headers{{"Accept", "application/json"}},
      [&](const httplib::Response& resp) {
        status = resp.status;
        return true;
      },
      [&](const char* data, size_t len) {
        if (status < 200 || status > 299) {
          if (error_body.size() < 200) error_body.append(data, std::min<size_t>(len, 200));
          return true;
        }
        if (!on_chunk(absl::string_view(data, len))) {
          stopped_by_us = true;
          return false;
        }
        return true;
      });
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(c.get());
  }
  if (http_status != nullptr) *http_status = status;
  if (stopped_by_us) return absl::OkStatus();
  if (status != 0 && (status < 200 || status > 299)) {
    return absl::UnavailableError(absl::StrCat("GET ", path, ": HTTP ", status, ": ", error_body));
  }
  if (!r) {
    return absl::UnavailableError(
        absl::StrCat("watch ", path, ": ", httplib::to_string(r.error())));
  }
  return absl::OkStatus();
}

void KubeClient::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (httplib::Client* c : active_) c->stop();
}

}  // namespace kbgp::sidecar
