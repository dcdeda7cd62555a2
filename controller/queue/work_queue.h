// The controller work queue with client-go semantics (util/workqueue): keys are deduplicated
// while queued, a key is handed to one worker at a time, a key re-added while it is being
// processed is queued again when that worker calls done(), delayed and rate-limited adds,
// and a shutdown that stops intake and lets in-flight work finish.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "controller/common/clock.h"
#include "controller/queue/rate_limiter.h"

namespace tso::queue {

class WorkQueue {
 public:
  explicit WorkQueue(Clock& clock = realClock(), std::unique_ptr<RateLimiter> limiter = nullptr);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // No-op when the key is already queued; deferred until done() when it is being processed;
  // ignored after shutdown.
  void add(const std::string& key);
  // Adds once `delay` has passed on the clock; a key already waiting keeps the earlier time.
  void addAfter(const std::string& key, Duration delay);
  // addAfter with the rate limiter's delay for this key (one more failure).
  void addRateLimited(const std::string& key);
  void forget(const std::string& key);
  [[nodiscard]] int numRequeues(const std::string& key);

  // Blocks until a key is ready; nullopt once the queue is shut down and empty.
  std::optional<std::string> get();
  // Like get() but gives up after `timeout` on the clock (nullopt).
  std::optional<std::string> getFor(Duration timeout);
  // The worker finished `key`. Must pair with each key returned by get().
  void done(const std::string& key);

  [[nodiscard]] size_t len();
  [[nodiscard]] size_t waitingLen();  // keys in addAfter's wait
  [[nodiscard]] bool shuttingDown();

  // Stops intake; get() still hands out what is queued, then returns nullopt. Delayed keys
  // are dropped.
  void shutDown();
  // shutDown() and wait until every key handed out has been done().
  void shutDownWithDrain();

 private:
  struct Waiting {
    Clock::TimePoint readyAt;
    uint64_t seq;
    std::string key;
    bool operator>(const Waiting& o) const { return readyAt != o.readyAt ? readyAt > o.readyAt : seq > o.seq; }
  };

  void addLocked(const std::string& key);
  void promoteDueLocked();
  std::optional<std::string> getUntil(std::optional<Clock::TimePoint> deadline);

  Clock& clock_;
  std::unique_ptr<RateLimiter> limiter_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_set<std::string> processing_;
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> waiting_;
  std::unordered_map<std::string, Clock::TimePoint> waitingReadyAt_;
  uint64_t seq_ = 0;
  bool shuttingDown_ = false;
  bool draining_ = false;
};

// What a worker's handler asks the queue to do with its key, after controller-runtime's
// reconcile.Result: forget it, retry with rate-limited backoff, or look again after a delay.
struct HandlerResult {
  enum class Kind { kDone, kRetry, kRequeueAfter };
  Kind kind = Kind::kDone;
  Duration after{0};

  static HandlerResult done() { return {}; }
  static HandlerResult retry() { return {Kind::kRetry, {}}; }
  static HandlerResult requeueAfter(Duration d) { return {Kind::kRequeueAfter, d}; }
};

// N threads taking keys from a queue. stop() shuts the queue down with drain, so in-flight
// handlers finish, then joins the threads.
class WorkerPool {
 public:
  using Handler = std::function<HandlerResult(const std::string& key)>;
  WorkerPool(WorkQueue& queue, int workers, Handler handler);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  void stop();

 private:
  WorkQueue& queue_;
  Handler handler_;
  std::vector<std::thread> threads_;
};

}  // namespace tso::queue
