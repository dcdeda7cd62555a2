#include "controller/prom/client.h"

#include <cstdio>
#include <utility>

#include "controller/kube/config.h"
#include "controller/kube/cpprest_transport.h"

namespace tso::prom {

namespace {

// Prometheus takes float seconds; print whole seconds without an exponent.
std::string formatTime(double t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", t);
  return buf;
}

std::string formatTimeout(std::chrono::milliseconds timeout) { return std::to_string(timeout.count()) + "ms"; }

}  // namespace

kube::HttpRequest instantRequest(std::string_view pathPrefix, std::string_view expr, double time,
                                 std::chrono::milliseconds timeout) {
  kube::HttpRequest r;
  r.method = kube::Method::kGet;
  r.path = std::string(pathPrefix) + "/api/v1/query?query=" + kube::urlEncode(expr) + "&time=" + formatTime(time) +
           "&timeout=" + formatTimeout(timeout);
  // The server-side timeout ends the evaluation; the client waits a little longer for the answer.
  r.timeout = timeout + std::chrono::milliseconds(1000);
  return r;
}

kube::HttpRequest rangeRequest(std::string_view pathPrefix, std::string_view expr, std::int64_t start, std::int64_t end,
                               std::int64_t step, std::chrono::milliseconds timeout) {
  kube::HttpRequest r;
  r.method = kube::Method::kGet;
  r.path = std::string(pathPrefix) + "/api/v1/query_range?query=" + kube::urlEncode(expr) +
           "&start=" + std::to_string(start) + "&end=" + std::to_string(end) + "&step=" + std::to_string(step) +
           "&timeout=" + formatTimeout(timeout);
  r.timeout = timeout + std::chrono::milliseconds(1000);
  return r;
}

Client::Client(std::unique_ptr<kube::Transport> transport, std::string pathPrefix)
    : transport_(std::move(transport)), pathPrefix_(std::move(pathPrefix)) {}

Result<std::unique_ptr<Client>> Client::connect(std::string_view address, std::chrono::milliseconds timeout) {
  auto scheme = address.find("://");
  if (scheme == std::string_view::npos ||
      (address.substr(0, scheme) != "http" && address.substr(0, scheme) != "https")) {
    return fail(ErrorCode::kUnreachable, "Prometheus address \"" + std::string(address) + "\" is not an http(s) URL");
  }
  auto pathStart = address.find('/', scheme + 3);
  std::string base(address.substr(0, pathStart));
  std::string prefix = pathStart == std::string_view::npos ? "" : std::string(address.substr(pathStart));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

  kube::Config config;
  config.server = base;
  config.requestTimeout = timeout;
  config.qps = 0;  // Prometheus is not the API server: no client-side rate limit
  auto transport = kube::makeCpprestTransport(config);
  if (!transport) {
    return fail(ErrorCode::kUnreachable, "cannot set up a client for " + base + ": " + transport.error().message);
  }
  return std::make_unique<Client>(std::move(*transport), std::move(prefix));
}

Result<kube::HttpResponse> Client::send(const kube::HttpRequest& request) {
  auto response = transport_->send(request, "");
  if (!response) return fail(ErrorCode::kUnreachable, response.error().message);
  return std::move(*response);
}

Result<Sample> Client::query(std::string_view expr, double time, std::chrono::milliseconds timeout) {
  auto response = send(instantRequest(pathPrefix_, expr, time, timeout));
  if (!response) return std::unexpected(response.error());
  return parseInstant(response->status, response->body);
}

Result<RangeSeries> Client::queryRange(std::string_view expr, std::int64_t start, std::int64_t end, std::int64_t step,
                                       std::chrono::milliseconds timeout) {
  if (step <= 0 || end < start) {
    return fail(ErrorCode::kQueryFailed, "invalid range: start " + std::to_string(start) + ", end " +
                                             std::to_string(end) + ", step " + std::to_string(step));
  }
  RangeSeries all;
  for (std::int64_t chunkStart = start; chunkStart <= end; chunkStart += kMaxPointsPerQuery * step) {
    std::int64_t chunkEnd = std::min(end, chunkStart + (kMaxPointsPerQuery - 1) * step);
    auto response = send(rangeRequest(pathPrefix_, expr, chunkStart, chunkEnd, step, timeout));
    if (!response) return std::unexpected(response.error());
    auto part = parseRange(response->status, response->body);
    if (!part) return std::unexpected(part.error());
    all.nonFinite += part->nonFinite;
    all.samples.insert(all.samples.end(), part->samples.begin(), part->samples.end());
  }
  return all;
}

}  // namespace tso::prom
