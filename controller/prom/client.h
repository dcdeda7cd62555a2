// Prometheus HTTP API client: instant and range queries for one demand expression, over the
// same Transport seam as the Kubernetes client (so tests swap in a fake and only one file
// touches cpprestsdk). Long ranges are split so no query asks for more than Prometheus'
// 11,000-points-per-series limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "controller/kube/request.h"
#include "controller/kube/transport.h"
#include "controller/prom/response.h"

namespace tso::prom {

// Points per range query; Prometheus refuses more than 11,000 per series.
inline constexpr std::int64_t kMaxPointsPerQuery = 10'000;

// Requests, built apart from the transport (unit-tested). `address` may carry a path prefix
// (http://host/prometheus); the transport is created for the scheme://host:port part.
kube::HttpRequest instantRequest(std::string_view pathPrefix, std::string_view expr, double time,
                                 std::chrono::milliseconds timeout);
kube::HttpRequest rangeRequest(std::string_view pathPrefix, std::string_view expr, std::int64_t start, std::int64_t end,
                               std::int64_t step, std::chrono::milliseconds timeout);

class Client {
 public:
  // `pathPrefix` is the part of the address after host:port, without a trailing slash.
  Client(std::unique_ptr<kube::Transport> transport, std::string pathPrefix);

  // A client over cpprestsdk for an http(s) address; kConfig-style errors as kBadResponse are
  // not possible here: a malformed address is reported as kUnreachable with the reason.
  static Result<std::unique_ptr<Client>> connect(std::string_view address, std::chrono::milliseconds timeout);

  // The value of `expr` at `time` (unix seconds): exactly one finite sample.
  Result<Sample> query(std::string_view expr, double time, std::chrono::milliseconds timeout);

  // Samples of `expr` at start, start+step, ... <= end (unix seconds), in chunks.
  Result<RangeSeries> queryRange(std::string_view expr, std::int64_t start, std::int64_t end, std::int64_t step,
                                 std::chrono::milliseconds timeout);

 private:
  Result<kube::HttpResponse> send(const kube::HttpRequest& request);

  std::unique_ptr<kube::Transport> transport_;
  std::string pathPrefix_;
};

}  // namespace tso::prom
