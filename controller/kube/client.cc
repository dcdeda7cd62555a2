#include "controller/kube/client.h"

#include <algorithm>
#include <condition_variable>

#include "controller/kube/cpprest_transport.h"
#include "controller/kube/object.h"

namespace tso::kube {

namespace {
void sleepOn(Clock& clock, Clock::Duration d) {
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock lock(m);
  auto deadline = clock.now() + d;
  while (clock.now() < deadline) clock.waitUntil(lock, cv, deadline);
}
}  // namespace

Client::Client(std::unique_ptr<Transport> transport, const Config& config, Clock& clock)
    : transport_(std::move(transport)),
      config_(config),
      clock_(clock),
      limiter_(config.qps, config.burst, clock),
      tokens_(config.token, config.tokenFile, clock) {}

Result<std::unique_ptr<Client>> Client::connect(const Config& config) {
  auto transport = makeCpprestTransport(config);
  if (!transport) return std::unexpected(transport.error());
  return std::make_unique<Client>(std::move(*transport), config);
}

Result<HttpResponse> Client::send(const HttpRequest& request) {
  for (int attempt = 0;; ++attempt) {
    limiter_.acquire();
    auto token = tokens_.token();
    if (!token) return std::unexpected(token.error());
    auto response = transport_->send(request, *token);
    if (!response) return std::unexpected(response.error());
    if (response->status >= 200 && response->status < 300) return response;
    Error err = errorFromStatus(response->status, response->body, response->retryAfterSeconds);
    if (err.code != ErrorCode::kThrottled || attempt >= maxThrottleRetries_) return std::unexpected(err);
    // The server asked us to slow down: wait what it says (1..10 s) and try again.
    sleepOn(clock_, std::chrono::seconds(std::clamp(response->retryAfterSeconds, 1, 10)));
  }
}

Status Client::stream(const HttpRequest& request, const std::function<bool(std::string_view)>& onData,
                      Cancellation& cancel) {
  limiter_.acquire();
  auto token = tokens_.token();
  if (!token) return std::unexpected(token.error());
  auto response = transport_->stream(request, *token, onData, cancel);
  if (!response) return std::unexpected(response.error());
  if (response->status >= 200 && response->status < 300) return {};
  return std::unexpected(errorFromStatus(response->status, response->body, response->retryAfterSeconds));
}

}  // namespace tso::kube
