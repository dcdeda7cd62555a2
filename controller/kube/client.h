// The Kubernetes API client: sends built requests through a Transport with the bearer token,
// the client-side QPS/burst limit and bounded retries of 429 (honouring Retry-After), and
// turns every non-2xx answer into an Error with a code. Typed verbs live in api.h.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "controller/common/clock.h"
#include "controller/common/result.h"
#include "controller/common/token_bucket.h"
#include "controller/kube/config.h"
#include "controller/kube/request.h"
#include "controller/kube/transport.h"

namespace tso::kube {

class Client {
 public:
  Client(std::unique_ptr<Transport> transport, const Config& config, Clock& clock = realClock());

  // A client over cpprestsdk for `config` (errors: kConfig for bad PEM data or server URL).
  static Result<std::unique_ptr<Client>> connect(const Config& config);

  // Returns the response for a 2xx status and an Error otherwise (see errorFromStatus).
  Result<HttpResponse> send(const HttpRequest& request);

  // Streams a watch: onData gets raw chunks. Errors as for send().
  Status stream(const HttpRequest& request, const std::function<bool(std::string_view)>& onData, Cancellation& cancel);

  [[nodiscard]] const Config& config() const { return config_; }
  [[nodiscard]] Clock& clock() const { return clock_; }

  // 429 answers are retried this many times before kThrottled is returned.
  void setMaxThrottleRetries(int n) { maxThrottleRetries_ = n; }

 private:
  std::unique_ptr<Transport> transport_;
  Config config_;
  Clock& clock_;
  TokenBucket limiter_;
  TokenSource tokens_;
  int maxThrottleRetries_ = 3;
};

}  // namespace tso::kube
