// A minimal Kubernetes API client over cpp-httplib: GET of JSON documents (lists) and
// streaming GETs (watches), with the bearer token re-read from its file when it changes and
// the server certificate verified against the cluster CA.
#ifndef KBGP_SIDECAR_KUBE_CLIENT_H_
#define KBGP_SIDECAR_KUBE_CLIENT_H_

#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "sidecar/kube/config.h"

namespace httplib {
class Client;
}

namespace kbgp::sidecar {

class KubeClient {
 public:
  explicit KubeClient(KubeConfig config);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  // GET path (with query); the body parsed as a JSON object. A non-2xx answer is an error
  // whose message has the HTTP status ("HTTP 410: ...").
  absl::StatusOr<nlohmann::json> GetJson(const std::string& path, int* http_status = nullptr);
  // Streaming GET: on_chunk gets the body as it arrives; returning false ends the stream.
  // Returns when the server ends the stream, on an error, or after Cancel().
  absl::Status Stream(const std::string& path, int read_timeout_seconds,
                      const std::function<bool(absl::string_view)>& on_chunk,
                      int* http_status = nullptr);
  // Ends every request in flight (from another thread); later requests work again.
  void CancelAll();

 private:
  std::unique_ptr<httplib::Client> NewClient(int read_timeout_seconds);
  std::string Token();

  KubeConfig config_;
  std::string ca_path_;
  std::mutex mu_;
  std::set<httplib::Client*> active_;
  std::string token_;
  std::string token_path_;
  timespec token_mtime_{};
};

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_KUBE_CLIENT_H_
