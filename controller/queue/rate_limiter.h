// Requeue delays for failed work, after client-go's default_rate_limiters.go: per-key
// exponential backoff (5 ms doubling to 1000 s) combined with an overall token bucket
// (10 qps, burst 100), taking the larger delay, so one hot failing key backs off alone while
// a mass failure cannot flood the API server.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/common/clock.h"
#include "controller/common/token_bucket.h"

namespace tso::queue {

using Duration = Clock::Duration;

// Implementations are called by every worker at once and must be thread-safe.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // How long to wait before processing `key` again; counts as one more failure of the key.
  virtual Duration when(const std::string& key) = 0;
  // The key succeeded: reset its failure history.
  virtual void forget(const std::string& key) = 0;
  [[nodiscard]] virtual int numRequeues(const std::string& key) = 0;
};

class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  ItemExponentialRateLimiter(Duration base = std::chrono::milliseconds(5), Duration max = std::chrono::seconds(1000));
  Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int numRequeues(const std::string& key) override;

 private:
  Duration base_;
  Duration max_;
  std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
};

class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, Clock& clock);
  Duration when(const std::string& key) override;
  void forget(const std::string&) override {}
  int numRequeues(const std::string&) override { return 0; }

 private:
  TokenBucket bucket_;
};

class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int numRequeues(const std::string& key) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// client-go's DefaultControllerRateLimiter: max(exponential 5 ms..1000 s, bucket 10 qps / 100).
std::unique_ptr<RateLimiter> defaultControllerRateLimiter(Clock& clock = realClock());

}  // namespace tso::queue
