// A Transport for unit tests that answers from a handler function and records every request.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "controller/kube/transport.h"

namespace tso::testing {

class ScriptedTransport : public kube::Transport {
 public:
  using Handler = std::function<Result<kube::HttpResponse>(const kube::HttpRequest&)>;
  explicit ScriptedTransport(Handler handler) : handler_(std::move(handler)) {}

  Result<kube::HttpResponse> send(const kube::HttpRequest& request, std::string_view token) override {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      tokens_.emplace_back(token);
    }
    return handler_(request);
  }

  // Streams the handler's body in 7-byte chunks, to exercise framing across chunk boundaries.
  Result<kube::HttpResponse> stream(const kube::HttpRequest& request, std::string_view token,
                                    const std::function<bool(std::string_view)>& onData, kube::Cancellation&) override {
    auto response = send(request, token);
    if (!response || response->status != 200) return response;
    std::string_view body = response->body;
    while (!body.empty()) {
      auto n = std::min<size_t>(7, body.size());
      if (!onData(body.substr(0, n))) break;
      body.remove_prefix(n);
    }
    return kube::HttpResponse{200, {}, 0};
  }

  std::vector<kube::HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<std::string> tokens() {
    std::lock_guard lock(mu_);
    return tokens_;
  }

 private:
  Handler handler_;
  std::mutex mu_;
  std::vector<kube::HttpRequest> requests_;
  std::vector<std::string> tokens_;
};

}  // namespace tso::testing
