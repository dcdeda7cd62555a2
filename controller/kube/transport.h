// The one seam between the Kubernetes client and an HTTP library. Everything above this
// interface (client, watcher, leader election) is tested with a fake Transport; only
// cpprest_transport.cc talks to cpprestsdk and TLS.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "controller/common/result.h"
#include "controller/kube/request.h"

namespace tso::kube {

struct HttpResponse {
  int status = 0;
  std::string body;
  int retryAfterSeconds = 0;  // from a Retry-After header, 0 when absent
};

// Lets another thread abort a blocked streaming read (stopping a watch at shutdown).
class Cancellation {
 public:
  void cancel();
  [[nodiscard]] bool cancelled() const;
  // The transport registers how to abort its current read; runs at once if already cancelled.
  void setAbort(const std::function<void()>& abort);
  void clearAbort();

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::function<void()> abort_;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends one request and returns the full response whatever its HTTP status. Connection
  // failures and timeouts are kTransient errors; HTTP statuses are mapped by the Client.
  // `bearerToken` is sent as Authorization when not empty.
  virtual Result<HttpResponse> send(const HttpRequest& request, std::string_view bearerToken) = 0;

  // Sends a request whose body is a long-lived stream (a watch). `onData` gets each chunk as
  // it arrives; returning false stops reading. For a 2xx status the returned body is empty;
  // otherwise it holds the error body. Ends when the server closes the stream, on error, or
  // when `cancel` is cancelled.
  virtual Result<HttpResponse> stream(const HttpRequest& request, std::string_view bearerToken,
                                      const std::function<bool(std::string_view)>& onData, Cancellation& cancel) = 0;
};

}  // namespace tso::kube
