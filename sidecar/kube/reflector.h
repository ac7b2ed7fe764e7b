// A reflector keeps a local cache of one kind of object: list (in pages, limit/continue),
// then watch from the list's resourceVersion with bookmarks. 410 Gone (an ERROR event with
// code 410, or HTTP 410) -> relist; the new list replaces the cache in one step, so readers
// never see a half-filled cache (no flap). A dropped or failed watch -> watch again from the
// last resourceVersion after a capped, jittered backoff. A watch stream with garbage is
// dropped and watched again; the cache keeps what it had.
#ifndef KBGP_SIDECAR_KUBE_REFLECTOR_H_
#define KBGP_SIDECAR_KUBE_REFLECTOR_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/common/log.h"
#include "nlohmann/json.hpp"
#include "sidecar/kube/client.h"
#include "sidecar/kube/watch_parser.h"

namespace kbgp::sidecar {

struct ReflectorHooks {
  std::function<void()> changed;                  // the cache changed
  std::function<void(const std::string&)> relist;     // kind
  std::function<void(const std::string&)> watch_restart;  // kind
  std::function<void(const std::string&, bool)> api_call;  // kind, ok
};

// Backoff of reconnects: 200 ms doubling to 5 s, +-25 % jitter.
std::chrono::milliseconds NextBackoff(std::chrono::milliseconds current, std::mt19937* rng);

template <typename T>
class Reflector {
 public:
  using Parse = std::function<T(const nlohmann::json&)>;

  Reflector(KubeClient* client, std::string kind, std::string path, Parse parse,
            ReflectorHooks hooks, int watch_timeout_seconds = 300, int page_size = 500)
      : client_(client),
        kind_(std::move(kind)),
        path_(std::move(path)),
        parse_(std::move(parse)),
        hooks_(std::move(hooks)),
        watch_timeout_(watch_timeout_seconds),
        page_size_(page_size) {}
  ~Reflector() { Stop(); }

  void Start() { thread_ = std::thread([this] { Run(); }); }
  // Marks the reflector as stopping (no warnings for the streams Stop() cuts); call it on
  // every reflector sharing a client before Stop() on any of them.
  void RequestStop() { stop_ = true; }
  void Stop() {
    stop_ = true;
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      wake_.notify_all();
    }
    if (thread_.joinable()) {
      client_->CancelAll();
      thread_.join();
    }
  }
  bool synced() const { return synced_; }
  std::vector<std::shared_ptr<const T>> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(items_.size());
    for (const auto& [k, v] : items_) out.push_back(v.object);
    return out;
  }
  std::string resource_version() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rv_;
  }

 private:
  struct Entry {
    std::string rv;
    std::shared_ptr<const T> object;
  };

  static std::string Key(const nlohmann::json& obj) {
    auto meta = obj.find("metadata");
    if (meta == obj.end() || !meta->is_object()) return "";
    std::string ns, name;
    auto n = meta->find("namespace");
    if (n != meta->end() && n->is_string()) ns = n->template get<std::string>();
    auto m = meta->find("name");
    if (m != meta->end() && m->is_string()) name = m->template get<std::string>();
    if (name.empty()) return "";
    return ns + "/" + name;
  }
  static std::string Rv(const nlohmann::json& obj) {
    auto meta = obj.find("metadata");
    if (meta == obj.end() || !meta->is_object()) return "";
    auto rv = meta->find("resourceVersion");
    return rv != meta->end() && rv->is_string() ? rv->template get<std::string>() : "";
  }

  void Sleep(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_.wait_for(lock, d, [this] { return stop_.load(); });
  }

  // Lists everything; on success swaps the cache. Returns false on failure.
  bool List() {
    std::map<std::string, Entry> fresh;
    std::string cont;
    std::string list_rv;
    for (int page = 0; !stop_; ++page) {
      std::string p = absl::StrCat(path_, "?limit=", page_size_);
      if (!cont.empty()) p += "&continue=" + cont;
      int http = 0;
      auto j = client_->GetJson(p, &http);
      if (hooks_.api_call) hooks_.api_call(kind_, j.ok());
      if (!j.ok()) {
        if (http == 410 && !cont.empty()) {  // the continue token expired: start over
          fresh.clear();
          cont.clear();
          continue;
        }
        LogWarn("kube list failed", {{"kind", kind_}, {"error", j.status().message()}});
        return false;
      }
      auto items = j->find("items");
      if (items != j->end() && items->is_array()) {
        for (const nlohmann::json& it : *items) {
          std::string key = Key(it);
          if (key.empty()) continue;
          fresh[key] = Entry{Rv(it), std::make_shared<const T>(parse_(it))};
        }
      }
      const nlohmann::json& meta = (*j)["metadata"];
      if (meta.is_object()) {
        if (meta.contains("resourceVersion") && meta["resourceVersion"].is_string()) {
          list_rv = meta["resourceVersion"].template get<std::string>();
        }
        cont = meta.contains("continue") && meta["continue"].is_string()
                   ? meta["continue"].template get<std::string>()
                   : "";
      } else {
        cont.clear();
      }
      if (cont.empty()) break;
    }
    if (stop_) return false;
    bool changed = false;
    size_t count = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fresh.size() != items_.size()) {
        changed = true;
      } else {
        for (const auto& [k, e] : fresh) {
          auto it = items_.find(k);
          if (it == items_.end() || it->second.rv != e.rv || e.rv.empty()) {
            changed = true;
            break;
          }
        }
      }
      if (changed) items_.swap(fresh);
      rv_ = list_rv;
      count = items_.size();
    }
    // The first list completes the cache even when it is empty or equal to nothing: the
    // main loop waits for every kind's first sync, so it must hear about it.
    bool first_sync = !synced_.exchange(true);
    LogInfo("kube list", {{"kind", kind_}, {"items", count}, {"rv", list_rv},
                          {"changed", changed ? "yes" : "no"}});
    if ((changed || first_sync) && hooks_.changed) hooks_.changed();
    return true;
  }

  enum class WatchEnd { kTimeout, kGone, kError };

  WatchEnd Watch() {
    std::string rv = resource_version();
    std::string p = absl::StrCat(path_, "?watch=1&allowWatchBookmarks=true&resourceVersion=", rv,
                                 "&timeoutSeconds=", watch_timeout_);
    WatchStreamParser parser;
    bool gone = false;
    absl::Status bad;
    int http = 0;
    absl::Status st = client_->Stream(
        p, watch_timeout_ + 15,
        [&](absl::string_view chunk) {
          absl::Status fs = parser.Feed(chunk, [&](WatchEvent&& ev) { Apply(std::move(ev), &gone); });
          if (!fs.ok()) {
            bad = fs;
            return false;
          }
          return !gone && !stop_;
        },
        &http);
    if (hooks_.api_call) hooks_.api_call(kind_, st.ok() && bad.ok() && http != 410);
    last_watch_connected_ = http == 200;
    if (gone || http == 410) return WatchEnd::kGone;
    if (!bad.ok()) {
      LogWarn("kube watch stream rejected", {{"kind", kind_}, {"error", bad.message()}});
      return WatchEnd::kError;
    }
    if (!st.ok()) {
      if (!stop_) LogWarn("kube watch failed", {{"kind", kind_}, {"error", st.message()}});
      return WatchEnd::kError;
    }
    return WatchEnd::kTimeout;
  }

  void Apply(WatchEvent&& ev, bool* gone) {
    using Type = WatchEvent::Type;
    if (ev.type == Type::kError) {
      if (ev.error_code == 410) {
        *gone = true;
      } else {
        LogWarn("kube watch error event", {{"kind", kind_}, {"code", ev.error_code}});
      }
      return;
    }
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!ev.resource_version.empty()) rv_ = ev.resource_version;
      if (ev.type == Type::kBookmark) return;
      std::string key = Key(ev.object);
      if (key.empty()) return;
      if (ev.type == Type::kDeleted) {
        changed = items_.erase(key) > 0;
      } else {
        items_[key] = Entry{ev.resource_version, std::make_shared<const T>(parse_(ev.object))};
        changed = true;
      }
    }
    if (changed && hooks_.changed) hooks_.changed();
  }

  void Run() {
    std::mt19937 rng(std::random_device{}());
    std::chrono::milliseconds backoff(0);
    bool need_list = true;
    while (!stop_) {
      if (need_list) {
        if (!List()) {
          backoff = NextBackoff(backoff, &rng);
          Sleep(backoff);
          continue;
        }
        if (hooks_.relist) hooks_.relist(kind_);
        need_list = false;
        backoff = std::chrono::milliseconds(0);
      }
      WatchEnd end = Watch();
      if (stop_) break;
      if (end == WatchEnd::kGone) {
        LogInfo("kube watch expired (410), relisting", {{"kind", kind_}});
        need_list = true;
        continue;
      }
      if (hooks_.watch_restart) hooks_.watch_restart(kind_);
      if (end == WatchEnd::kError) {
        // A watch that was established and then dropped starts the backoff over.
        if (last_watch_connected_) backoff = std::chrono::milliseconds(0);
        backoff = NextBackoff(backoff, &rng);
        Sleep(backoff);
      } else {
        backoff = std::chrono::milliseconds(0);
      }
    }
  }

  KubeClient* client_;
  std::string kind_;
  std::string path_;
  Parse parse_;
  ReflectorHooks hooks_;
  int watch_timeout_;
  int page_size_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> synced_{false};
  bool last_watch_connected_ = false;
  mutable std::mutex mu_;
  std::map<std::string, Entry> items_;
  std::string rv_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace kbgp::sidecar

#endif  // KBGP_SIDECAR_KUBE_REFLECTOR_H_
