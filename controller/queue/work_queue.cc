#include "controller/queue/work_queue.h"

namespace tso::queue {

WorkQueue::WorkQueue(Clock& clock, std::unique_ptr<RateLimiter> limiter)
    : clock_(clock), limiter_(limiter ? std::move(limiter) : defaultControllerRateLimiter(clock)) {}

WorkQueue::~WorkQueue() { shutDown(); }

void WorkQueue::addLocked(const std::string& key) {
  if (shuttingDown_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  // A key being processed stays out of the queue; done() puts it back because it is dirty.
  if (processing_.contains(key)) return;
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  addLocked(key);
}

void WorkQueue::addAfter(const std::string& key, Duration delay) {
  std::lock_guard lock(mu_);
  if (shuttingDown_) return;
  if (delay <= Duration::zero()) {
    addLocked(key);
    return;
  }
  auto readyAt = clock_.now() + delay;
  auto it = waitingReadyAt_.find(key);
  if (it != waitingReadyAt_.end() && it->second <= readyAt) return;
  // An earlier time replaces a later one; the stale heap entry is skipped when it surfaces.
  waitingReadyAt_[key] = readyAt;
  waiting_.push(Waiting{readyAt, seq_++, key});
  cv_.notify_all();  // a waiter may need to wake earlier than it planned
}

void WorkQueue::addRateLimited(const std::string& key) { addAfter(key, limiter_->when(key)); }

void WorkQueue::forget(const std::string& key) { limiter_->forget(key); }

int WorkQueue::numRequeues(const std::string& key) { return limiter_->numRequeues(key); }

void WorkQueue::promoteDueLocked() {
  auto now = clock_.now();
  while (!waiting_.empty() && waiting_.top().readyAt <= now) {
    Waiting w = waiting_.top();
    waiting_.pop();
    auto it = waitingReadyAt_.find(w.key);
    if (it == waitingReadyAt_.end() || it->second != w.readyAt) continue;  // superseded entry
    waitingReadyAt_.erase(it);
    addLocked(w.key);
  }
}

std::optional<std::string> WorkQueue::getUntil(std::optional<Clock::TimePoint> deadline) {
  std::unique_lock lock(mu_);
  while (true) {
    promoteDueLocked();
    if (!queue_.empty()) {
      std::string key = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (shuttingDown_) return std::nullopt;
    if (deadline && clock_.now() >= *deadline) return std::nullopt;
    // Capped so that no platform has to convert time_point::max() into a timespec.
    auto wakeAt = clock_.now() + std::chrono::hours(1);
    if (!waiting_.empty()) wakeAt = waiting_.top().readyAt;
    if (deadline) wakeAt = std::min(wakeAt, *deadline);
    clock_.waitUntil(lock, cv_, wakeAt);
  }
}

std::optional<std::string> WorkQueue::get() { return getUntil(std::nullopt); }

std::optional<std::string> WorkQueue::getFor(Duration timeout) { return getUntil(clock_.now() + timeout); }

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    // notify_all: the drain waiter shares the condition variable and must not absorb the
    // wake-up meant for a worker.
    cv_.notify_all();
  }
  if (draining_ && processing_.empty()) cv_.notify_all();
}

size_t WorkQueue::len() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t WorkQueue::waitingLen() {
  std::lock_guard lock(mu_);
  return waitingReadyAt_.size();
}

bool WorkQueue::shuttingDown() {
  std::lock_guard lock(mu_);
  return shuttingDown_;
}

void WorkQueue::shutDown() {
  std::lock_guard lock(mu_);
  shuttingDown_ = true;
  waiting_ = {};
  waitingReadyAt_.clear();
  cv_.notify_all();
}

void WorkQueue::shutDownWithDrain() {
  std::unique_lock lock(mu_);
  shuttingDown_ = true;
  draining_ = true;
  waiting_ = {};
  waitingReadyAt_.clear();
  cv_.notify_all();
  // Queued keys are still handed out by get(); wait for those and the in-flight ones.
  cv_.wait(lock, [this] { return processing_.empty() && queue_.empty(); });
}

WorkerPool::WorkerPool(WorkQueue& queue, int workers, Handler handler) : queue_(queue), handler_(std::move(handler)) {
  for (int i = 0; i < workers; ++i) {
    threads_.emplace_back([this] {
      while (auto key = queue_.get()) {
        HandlerResult r = handler_(*key);
        switch (r.kind) {
          case HandlerResult::Kind::kDone:
            queue_.forget(*key);
            break;
          case HandlerResult::Kind::kRetry:
            queue_.addRateLimited(*key);
            break;
          case HandlerResult::Kind::kRequeueAfter:
            queue_.forget(*key);
            queue_.addAfter(*key, r.after);
            break;
        }
        queue_.done(*key);
      }
    });
  }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::stop() {
  queue_.shutDownWithDrain();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace tso::queue
