// In-memory stand-ins for the reconciler's peers in unit tests: a cluster that answers the
// executor's requests (workload /scale, owned HPA, cache ConfigMap, pods, the status
// subresource) and a Prometheus that answers range queries from a demand function. Both
// record what they were asked and can be told to fail. The real API server and Prometheus are
// exercised by tests/integration; these keep the reconcile's cases fast and exact.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/transport.h"

namespace tso::testing {

// Value of a query parameter in a path ("...?a=1&b=2"), undecoded; empty when absent.
inline std::string queryParam(const std::string& path, const std::string& key) {
  for (auto pos = path.find('?'); pos != std::string::npos; pos = path.find('&', pos + 1)) {
    if (path.compare(pos + 1, key.size() + 1, key + "=") != 0) continue;
    const auto start = pos + key.size() + 2;
    const auto end = path.find('&', start);
    return path.substr(start, end == std::string::npos ? std::string::npos : end - start);
  }
  return {};
}

class FakeCluster : public kube::Transport {
 public:
  struct Workload {
    int replicas = 1;
    std::string selector = "app=web";
  };
  struct Write {
    kube::Method method;
    std::string path;
    nlohmann::json body;
  };

  void setWorkload(const std::string& kind, const std::string& name, Workload w) {
    std::lock_guard lock(mu_);
    workloads_[kind + "/" + name] = w;
  }
  void removeWorkload(const std::string& kind, const std::string& name) {
    std::lock_guard lock(mu_);
    workloads_.erase(kind + "/" + name);
  }
  std::optional<Workload> workload(const std::string& kind, const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = workloads_.find(kind + "/" + name);
    if (it == workloads_.end()) return std::nullopt;
    return it->second;
  }
  void addPod(const nlohmann::json& pod) {
    std::lock_guard lock(mu_);
    pods_.push_back(pod);
  }
  void setConfigMap(const std::string& name, nlohmann::json data) {
    std::lock_guard lock(mu_);
    configMaps_[name] = std::move(data);
  }
  // The next n status writes answer `status` (e.g. 409 Conflict) without being recorded.
  void failStatusWrites(int n, int status = 409) {
    std::lock_guard lock(mu_);
    statusFailures_ = n;
    statusFailure_ = status;
  }
  // Every write (PATCH, PUT, DELETE), in order.
  std::vector<Write> writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }
  std::vector<Write> writesTo(const std::string& pathPart) {
    std::vector<Write> out;
    for (auto& w : writes())
      if (w.path.find(pathPart) != std::string::npos) out.push_back(w);
    return out;
  }
  // The last status written (the merge patch's .status), null before any.
  nlohmann::json lastStatus() {
    auto w = writesTo("/status");
    return w.empty() ? nlohmann::json() : w.back().body["status"];
  }
  int reads(const std::string& pathPart) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& p : reads_)
      if (p.find(pathPart) != std::string::npos) ++n;
    return n;
  }

  Result<kube::HttpResponse> send(const kube::HttpRequest& req, std::string_view) override {
    std::lock_guard lock(mu_);
    const std::string path = req.path.substr(0, req.path.find('?'));
    if (req.method == kube::Method::kGet) {
      reads_.push_back(req.path);
      return get(path);
    }
    const nlohmann::json body = req.body.empty() ? nlohmann::json() : nlohmann::json::parse(req.body);
    if (path.ends_with("/status") && statusFailures_ > 0) {
      --statusFailures_;
      return kube::HttpResponse{statusFailure_, R"({"kind":"Status","message":"injected"})", 0};
    }
    writes_.push_back({req.method, path, body});
    if (path.ends_with("/scale")) return setScale(path, body);
    if (req.method == kube::Method::kDelete) return kube::HttpResponse{404, R"({"kind":"Status","code":404})", 0};
    return ok(body.is_object() ? body : nlohmann::json::object());
  }
  Result<kube::HttpResponse> stream(const kube::HttpRequest&, std::string_view,
                                    const std::function<bool(std::string_view)>&, kube::Cancellation&) override {
    return kube::HttpResponse{405, "{}", 0};
  }

 private:
  static kube::HttpResponse ok(nlohmann::json body) {
    if (!body.contains("metadata")) body["metadata"] = {{"name", "x"}, {"resourceVersion", "1"}};
    return kube::HttpResponse{200, body.dump(), 0};
  }
  static kube::HttpResponse notFound() { return kube::HttpResponse{404, R"({"kind":"Status","code":404})", 0}; }

  // ".../deployments/web/scale" -> "Deployment/web"
  static std::string workloadKey(const std::string& path) {
    const auto end = path.rfind("/scale");
    const auto nameStart = path.rfind('/', end - 1) + 1;
    const auto kindStart = path.rfind('/', nameStart - 2) + 1;
    const std::string plural = path.substr(kindStart, nameStart - 1 - kindStart);
    const std::string kind = plural == "statefulsets" ? "StatefulSet" : "Deployment";
    return kind + "/" + path.substr(nameStart, end - nameStart);
  }
  nlohmann::json scaleOf(const std::string& key) const {
    const auto& w = workloads_.at(key);
    return {{"metadata", {{"name", key.substr(key.find('/') + 1)}, {"resourceVersion", "1"}}},
            {"spec", {{"replicas", w.replicas}}},
            {"status", {{"replicas", w.replicas}, {"selector", w.selector}}}};
  }
  kube::HttpResponse get(const std::string& path) const {
    if (path.ends_with("/scale")) {
      const auto key = workloadKey(path);
      return workloads_.contains(key) ? ok(scaleOf(key)) : notFound();
    }
    if (path.ends_with("/pods")) {
      return ok({{"metadata", {{"resourceVersion", "1"}}}, {"items", pods_}});
    }
    if (auto at = path.find("/configmaps/"); at != std::string::npos) {
      const auto it = configMaps_.find(path.substr(at + 12));
      if (it == configMaps_.end()) return notFound();
      return ok({{"metadata", {{"name", it->first}, {"resourceVersion", "1"}}}, {"data", it->second}});
    }
    return notFound();
  }
  kube::HttpResponse setScale(const std::string& path, const nlohmann::json& body) {
    const auto key = workloadKey(path);
    if (!workloads_.contains(key)) return notFound();
    workloads_[key].replicas = body["spec"]["replicas"].get<int>();
    return ok(scaleOf(key));
  }

  std::mutex mu_;
  std::map<std::string, Workload> workloads_;
  std::vector<nlohmann::json> pods_;
  std::map<std::string, nlohmann::json> configMaps_;
  std::vector<Write> writes_;
  std::vector<std::string> reads_;
  int statusFailures_ = 0;
  int statusFailure_ = 409;
};

// Answers /api/v1/query_range with one series sampled from `demand(t)` on the request's grid,
// or with the scripted problem. A query that starts with a name given to setSeries answers
// from that series instead; kube-state-metrics' series ("kube_...") answer empty unless given.
class FakePrometheus : public kube::Transport {
 public:
  enum class Mode { kServe, kDown, kHttp500, kQueryError, kTwoSeries, kNaN, kEmpty };
  struct Query {
    std::int64_t start;
    std::int64_t end;
  };

  explicit FakePrometheus(std::function<double(std::int64_t)> demand) : demand_(std::move(demand)) {
    series_["kube_"] = nullptr;
  }
  // Queries starting with `prefix` (a metric name) sample `values`; without a function, none.
  void setSeries(const std::string& prefix, std::function<double(std::int64_t)> values) {
    std::lock_guard lock(mu_);
    series_[prefix] = std::move(values);
  }
  void setMode(Mode m) {
    std::lock_guard lock(mu_);
    mode_ = m;
  }
  // Samples exist from this time on (a service that is new).
  void setFirstSample(std::int64_t t) {
    std::lock_guard lock(mu_);
    firstSample_ = t;
  }
  std::vector<Query> queries() {
    std::lock_guard lock(mu_);
    return queries_;
  }

  Result<kube::HttpResponse> send(const kube::HttpRequest& req, std::string_view) override {
    std::lock_guard lock(mu_);
    const std::int64_t start = std::stoll(queryParam(req.path, "start"));
    const std::int64_t end = std::stoll(queryParam(req.path, "end"));
    const std::int64_t step = std::stoll(queryParam(req.path, "step"));
    queries_.push_back({start, end});
    const std::string query = queryParam(req.path, "query");
    const std::function<double(std::int64_t)>* answer = &demand_;
    for (const auto& [prefix, values] : series_) {
      if (query.starts_with(prefix)) answer = &values;  // the longest prefix given last (map order)
    }
    switch (mode_) {
      case Mode::kDown:
        return fail(ErrorCode::kTransient, "connection refused");
      case Mode::kHttp500:
        return kube::HttpResponse{500, "internal error", 0};
      case Mode::kQueryError:
        return kube::HttpResponse{400, R"({"status":"error","errorType":"bad_data","error":"parse error"})", 0};
      default:
        break;
    }
    nlohmann::json values = nlohmann::json::array();
    for (std::int64_t t = std::max(start, firstSample_); *answer && t <= end; t += step) {
      const double v = mode_ == Mode::kNaN ? std::nan("") : (*answer)(t);
      values.push_back({t, std::isnan(v) ? std::string("NaN") : std::to_string(v)});
    }
    nlohmann::json result = nlohmann::json::array();
    if (mode_ != Mode::kEmpty && !values.empty()) {
      result.push_back({{"metric", {{"job", "a"}}}, {"values", values}});
      if (mode_ == Mode::kTwoSeries) result.push_back({{"metric", {{"job", "b"}}}, {"values", values}});
    }
    const nlohmann::json body = {{"status", "success"}, {"data", {{"resultType", "matrix"}, {"result", result}}}};
    return kube::HttpResponse{200, body.dump(), 0};
  }
  Result<kube::HttpResponse> stream(const kube::HttpRequest&, std::string_view,
                                    const std::function<bool(std::string_view)>&, kube::Cancellation&) override {
    return kube::HttpResponse{405, "{}", 0};
  }

 private:
  std::mutex mu_;
  std::function<double(std::int64_t)> demand_;
  std::map<std::string, std::function<double(std::int64_t)>> series_;
  Mode mode_ = Mode::kServe;
  std::int64_t firstSample_ = 0;
  std::vector<Query> queries_;
};

}  // namespace tso::testing
