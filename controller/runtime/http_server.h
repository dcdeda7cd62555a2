// The operator's HTTP endpoints on --metrics-bind-address: /metrics (Prometheus text format),
// /healthz (the process is alive), /readyz (caches synced), /api/services (JSON for the
// built-in dashboard) and / (the dashboard page). The one file that includes civetweb.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "controller/common/result.h"

namespace tso::runtime {

struct HttpRoutes {
  std::function<std::string()> metrics;  // text exposition
  std::function<bool()> ready;           // /readyz: 200 when true, 503 otherwise
  // /api/services: JSON for the request's query string, or an error message (400).
  std::function<Result<std::string>(std::string_view query)> servicesJson;
  std::function<std::string()> page;  // / (text/html)
};

class HttpServer {
 public:
  // `bindAddress` is "host:port" or ":port" (all interfaces). Errors are kConfig naming it.
  static Result<std::unique_ptr<HttpServer>> start(const std::string& bindAddress, HttpRoutes routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // The port actually bound (useful with port 0 in tests).
  [[nodiscard]] int port() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tso::runtime
