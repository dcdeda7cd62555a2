// An in-memory API server behind the Transport interface, for watcher, informer and leader
// tests: ConfigMap-like objects with resourceVersions, paged lists with continue tokens,
// watches that replay history from a resourceVersion and stay open, compaction (410 Gone),
// injected failures, and "restarts" that cut every open stream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/kube/transport.h"

namespace tso::testing {

class FakeApiServer : public kube::Transport {
 public:
  // Creates or updates ns/name with data {"v": value}.
  void upsert(const std::string& ns, const std::string& name, const std::string& value) {
    std::lock_guard lock(mu_);
    std::string key = ns + "/" + name;
    bool existed = objects_.contains(key);
    nlohmann::json obj = {{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata",
                           {{"name", name},
                            {"namespace", ns},
                            {"resourceVersion", std::to_string(++rv_)},
                            {"managedFields", nlohmann::json::array({{{"manager", "test"}}})}}},
                          {"data", {{"v", value}}}};
    objects_[key] = obj;
    history_.push_back({rv_, existed ? "MODIFIED" : "ADDED", obj});
    cv_.notify_all();
  }
  void erase(const std::string& ns, const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = objects_.find(ns + "/" + name);
    if (it == objects_.end()) return;
    nlohmann::json obj = it->second;
    obj["metadata"]["resourceVersion"] = std::to_string(++rv_);
    objects_.erase(it);
    history_.push_back({rv_, "DELETED", obj});
    cv_.notify_all();
  }
  // Forgets history: watches and continue tokens from before now get 410 Gone.
  void compact() {
    std::lock_guard lock(mu_);
    compactedRv_ = rv_;
    history_.clear();
  }
  // The next n requests (lists or watches) answer `status` without doing anything.
  void failNext(int n, int status = 503) {
    std::lock_guard lock(mu_);
    failures_ = n;
    failStatus_ = status;
  }
  // While down every request fails as a refused connection, and open streams end.
  void setDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
    ++generation_;
    cv_.notify_all();
  }
  void closeStreams() {
    std::lock_guard lock(mu_);
    ++generation_;
    cv_.notify_all();
  }
  void sendBookmark() {
    std::lock_guard lock(mu_);
    history_.push_back(
        {rv_, "BOOKMARK", {{"kind", "ConfigMap"}, {"metadata", {{"resourceVersion", std::to_string(rv_)}}}}});
    cv_.notify_all();
  }
  int listCalls() {
    std::lock_guard lock(mu_);
    return lists_;
  }
  int watchCalls() {
    std::lock_guard lock(mu_);
    return watches_;
  }
  std::vector<std::string> paths() {
    std::lock_guard lock(mu_);
    return paths_;
  }

  Result<kube::HttpResponse> send(const kube::HttpRequest& req, std::string_view) override {
    std::lock_guard lock(mu_);
    paths_.push_back(req.path);
    if (auto early = failure()) return *early;
    if (req.method != kube::Method::kGet) return kube::HttpResponse{405, "{}", 0};
    ++lists_;
    // Continue tokens are "offset:snapshotRv"; a snapshot older than compaction is gone.
    std::string cont = query(req.path, "continue");
    size_t offset = 0;
    int64_t snapshot = rv_;
    if (!cont.empty()) {
      auto colon = cont.find(':');
      offset = std::stoul(cont.substr(0, colon));
      snapshot = std::stoll(cont.substr(colon + 1));
      if (snapshot < compactedRv_) return gone();
    }
    std::string limitText = query(req.path, "limit");
    size_t limit = limitText.empty() ? objects_.size() : std::stoul(limitText);
    nlohmann::json items = nlohmann::json::array();
    size_t i = 0;
    for (const auto& [key, obj] : objects_) {
      if (i >= offset && i < offset + limit) items.push_back(obj);
      ++i;
    }
    nlohmann::json meta = {{"resourceVersion", std::to_string(snapshot)}};
    if (offset + limit < objects_.size())
      meta["continue"] = std::to_string(offset + limit) + ":" + std::to_string(snapshot);
    return kube::HttpResponse{200, nlohmann::json{{"metadata", meta}, {"items", items}}.dump(), 0};
  }

  Result<kube::HttpResponse> stream(const kube::HttpRequest& req, std::string_view,
                                    const std::function<bool(std::string_view)>& onData,
                                    kube::Cancellation& cancel) override {
    std::unique_lock lock(mu_);
    paths_.push_back(req.path);
    if (auto early = failure()) return *early;
    ++watches_;
    int64_t from = std::stoll(query(req.path, "resourceVersion").empty() ? "0" : query(req.path, "resourceVersion"));
    if (from < compactedRv_) {
      std::string line =
          R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version"}})";
      line += "\n";
      lock.unlock();
      onData(line);
      return kube::HttpResponse{200, {}, 0};
    }
    int gen = generation_;
    size_t next = 0;
    while (next < history_.size() && history_[next].rv <= from && history_[next].type != "BOOKMARK") ++next;
    // Bounded: a test that forgets to stop a watch ends within a minute.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    // Pending history is delivered before a close takes effect, as a real server flushes
    // what it has sent before the connection drops.
    while (!cancel.cancelled()) {
      while (next < history_.size()) {
        const auto& h = history_[next++];
        if (h.type != "BOOKMARK" && h.rv <= from) continue;
        std::string line = nlohmann::json{{"type", h.type}, {"object", h.object}}.dump() + "\n";
        lock.unlock();
        bool more = onData(line);
        lock.lock();
        if (!more) return kube::HttpResponse{200, {}, 0};
      }
      if (gen != generation_ || std::chrono::steady_clock::now() >= deadline) break;
      cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
    if (down_) return fail(ErrorCode::kTransient, "connection reset by peer");
    return kube::HttpResponse{200, {}, 0};
  }

 private:
  struct Change {
    int64_t rv;
    std::string type;
    nlohmann::json object;
  };

  static std::string query(const std::string& path, const std::string& key) {
    auto pos = path.find(key + "=");
    while (pos != std::string::npos && pos > 0 && path[pos - 1] != '?' && path[pos - 1] != '&') {
      pos = path.find(key + "=", pos + 1);
    }
    if (pos == std::string::npos) return {};
    auto start = pos + key.size() + 1;
    auto end = path.find('&', start);
    std::string raw = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string out;  // undo percent-encoding of ':' in continue tokens
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size()) {
        out.push_back(static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(raw[i]);
      }
    }
    return out;
  }

  static kube::HttpResponse gone() {
    return kube::HttpResponse{410, R"({"kind":"Status","code":410,"message":"continue token expired"})", 0};
  }

  std::optional<Result<kube::HttpResponse>> failure() {
    if (down_) return Result<kube::HttpResponse>(fail(ErrorCode::kTransient, "connection refused"));
    if (failures_ > 0) {
      --failures_;
      return Result<kube::HttpResponse>(kube::HttpResponse{failStatus_, R"({"message":"injected"})", 0});
    }
    return std::nullopt;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, nlohmann::json> objects_;
  std::vector<Change> history_;
  int64_t rv_ = 100;
  int64_t compactedRv_ = 0;
  int failures_ = 0;
  int failStatus_ = 503;
  bool down_ = false;
  int generation_ = 0;
  int lists_ = 0;
  int watches_ = 0;
  std::vector<std::string> paths_;
};

}  // namespace tso::testing
