#include "controller/queue/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace tso::queue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A limiter that always says "zero delay", to test queue semantics apart from backoff. Workers
// call it concurrently, as they do the real limiters, so it locks as they do.
class NoDelay final : public RateLimiter {
 public:
  Duration when(const std::string& key) override {
    std::lock_guard lock(mu_);
    ++counts_[key];
    return Duration::zero();
  }
  void forget(const std::string& key) override {
    std::lock_guard lock(mu_);
    counts_.erase(key);
  }
  int numRequeues(const std::string& key) override {
    std::lock_guard lock(mu_);
    return counts_[key];
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> counts_;
};

TEST(WorkQueueTest, DeduplicatesQueuedKeysInFifoOrder) {
  ManualClock clock;
  WorkQueue q(clock, std::make_unique<NoDelay>());
  q.add("a");
  q.add("b");
  q.add("a");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(), "b");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueueTest, KeyAddedWhileProcessingIsRequeuedOnDoneOnlyOnce) {
  ManualClock clock;
  WorkQueue q(clock, std::make_unique<NoDelay>());
  q.add("a");
  auto key = q.get();
  ASSERT_EQ(key, "a");
  q.add("a");  // changed while a worker holds it
  q.add("a");
  EXPECT_EQ(q.len(), 0u) << "a key being processed must not be handed to a second worker";
  EXPECT_EQ(q.getFor(milliseconds(0)), std::nullopt);
  q.done("a");
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.get(), "a");
  q.done("a");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueueTest, AddAfterWaitsOnTheClockAndKeepsTheEarlierTime) {
  ManualClock clock;
  WorkQueue q(clock, std::make_unique<NoDelay>());
  q.addAfter("a", seconds(10));
  q.addAfter("a", seconds(5));   // earlier wins
  q.addAfter("a", seconds(30));  // later is ignored
  q.addAfter("b", seconds(7));
  EXPECT_EQ(q.waitingLen(), 2u);
  EXPECT_EQ(q.getFor(milliseconds(0)), std::nullopt);
  clock.advance(seconds(5));
  EXPECT_EQ(q.getFor(milliseconds(0)), "a");
  EXPECT_EQ(q.getFor(milliseconds(0)), std::nullopt);
  clock.advance(seconds(2));
  EXPECT_EQ(q.getFor(milliseconds(0)), "b");
  clock.advance(seconds(60));
  EXPECT_EQ(q.getFor(milliseconds(0)), std::nullopt) << "superseded entries must not fire again";
  q.addAfter("c", Duration::zero());
  EXPECT_EQ(q.len(), 1u);
}

TEST(WorkQueueTest, BlockedGetWakesWhenTheClockReachesADelayedKey) {
  ManualClock clock;
  WorkQueue q(clock, std::make_unique<NoDelay>());
  q.addAfter("late", seconds(3));
  std::optional<std::string> got;
  std::thread worker([&] { got = q.get(); });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(got.has_value());
  clock.advance(seconds(3));
  worker.join();
  EXPECT_EQ(got, "late");
}

TEST(WorkQueueTest, ShutdownHandsOutQueuedKeysThenStopsAndIgnoresAdds) {
  ManualClock clock;
  WorkQueue q(clock, std::make_unique<NoDelay>());
  q.add("a");
  q.addAfter("later", seconds(1));
  q.shutDown();
  q.add("b");
  EXPECT_TRUE(q.shuttingDown());
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(), std::nullopt);
  EXPECT_EQ(q.waitingLen(), 0u);
}

TEST(RateLimiterTest, ExponentialPerKeyDoublesFromBaseToMaxAndForgets) {
  ItemExponentialRateLimiter l(milliseconds(5), seconds(1000));
  EXPECT_EQ(l.when("a"), milliseconds(5));
  EXPECT_EQ(l.when("a"), milliseconds(10));
  EXPECT_EQ(l.when("a"), milliseconds(20));
  EXPECT_EQ(l.when("b"), milliseconds(5)) << "keys back off independently";
  EXPECT_EQ(l.numRequeues("a"), 3);
  for (int i = 0; i < 100; ++i) l.when("a");
  EXPECT_EQ(l.when("a"), seconds(1000)) << "saturates at max, never overflows";
  l.forget("a");
  EXPECT_EQ(l.numRequeues("a"), 0);
  EXPECT_EQ(l.when("a"), milliseconds(5));
}

TEST(RateLimiterTest, BucketAllowsBurstThenSpacesAtQps) {
  ManualClock clock;
  BucketRateLimiter l(10.0, 100, clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(l.when("k" + std::to_string(i)), Duration::zero()) << i;
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(l.when("x")), milliseconds(100));
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(l.when("y")), milliseconds(200));
  clock.advance(seconds(1));  // 10 tokens refill, paying off the debt of 2
  EXPECT_EQ(l.when("z"), Duration::zero());
}

TEST(RateLimiterTest, DefaultControllerLimiterTakesTheMax) {
  ManualClock clock;
  auto l = defaultControllerRateLimiter(clock);
  EXPECT_EQ(l->when("a"), milliseconds(5));
  EXPECT_EQ(l->when("a"), milliseconds(10));
  for (int i = 0; i < 98; ++i) l->when("k" + std::to_string(i));  // drain the bucket's burst
  // Fresh key: exponential says 5 ms, but the bucket is empty so it says 100 ms.
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(l->when("fresh")), milliseconds(100));
}

TEST(WorkQueueTest, AddRateLimitedBacksOffPerFailureUntilForgotten) {
  ManualClock clock;
  WorkQueue q(clock, std::make_unique<ItemExponentialRateLimiter>(milliseconds(100), seconds(10)));
  q.addRateLimited("a");
  EXPECT_EQ(q.getFor(milliseconds(0)), std::nullopt);
  clock.advance(milliseconds(100));
  ASSERT_EQ(q.getFor(milliseconds(0)), "a");
  q.done("a");
  q.addRateLimited("a");
  clock.advance(milliseconds(100));
  EXPECT_EQ(q.getFor(milliseconds(0)), std::nullopt) << "second failure waits 200 ms";
  clock.advance(milliseconds(100));
  ASSERT_EQ(q.getFor(milliseconds(0)), "a");
  q.done("a");
  EXPECT_EQ(q.numRequeues("a"), 2);
  q.forget("a");
  EXPECT_EQ(q.numRequeues("a"), 0);
}

TEST(WorkerPoolTest, NeverRunsOneKeyOnTwoWorkersAndReprocessesChangedKeys) {
  WorkQueue q(realClock(), std::make_unique<NoDelay>());
  std::mutex mu;
  std::set<std::string> active;
  std::atomic<bool> overlap{false};
  std::map<std::string, int> runs;
  WorkerPool pool(q, 4, [&](const std::string& key) {
    {
      std::lock_guard lock(mu);
      if (!active.insert(key).second) overlap = true;
      ++runs[key];
    }
    std::this_thread::sleep_for(milliseconds(2));
    {
      std::lock_guard lock(mu);
      active.erase(key);
    }
    return HandlerResult::done();
  });
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 5; ++k) q.add("key-" + std::to_string(k));
    std::this_thread::sleep_for(milliseconds(1));
  }
  pool.stop();
  EXPECT_FALSE(overlap.load());
  std::lock_guard lock(mu);
  ASSERT_EQ(runs.size(), 5u);
  for (const auto& [key, n] : runs) {
    EXPECT_GE(n, 2) << key << ": adds during processing must lead to another run";
    EXPECT_LE(n, 50) << key << ": duplicates must be merged";
  }
}

TEST(WorkerPoolTest, StopDrainsInFlightWorkAndRetriesFollowResults) {
  ManualClock clock;
  WorkQueue q(clock, std::make_unique<ItemExponentialRateLimiter>(milliseconds(50), seconds(1)));
  std::atomic<int> attempts{0};
  std::atomic<bool> finished{false};
  std::atomic<bool> started{false};
  WorkerPool pool(q, 2, [&](const std::string& key) {
    if (key == "slow") {
      started = true;
      std::this_thread::sleep_for(milliseconds(50));
      finished = true;
      return HandlerResult::done();
    }
    return ++attempts < 3 ? HandlerResult::retry() : HandlerResult::requeueAfter(seconds(30));
  });
  q.add("flaky");
  for (int i = 0; i < 200 && attempts < 3; ++i) {
    clock.advance(milliseconds(50));
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(attempts.load(), 3);
  EXPECT_EQ(q.waitingLen(), 1u) << "requeueAfter puts the key back in the delayed set";
  EXPECT_EQ(q.numRequeues("flaky"), 0) << "requeueAfter forgets the failure history";
  q.add("slow");
  for (int i = 0; i < 500 && !started; ++i) std::this_thread::sleep_for(milliseconds(1));
  pool.stop();
  EXPECT_TRUE(finished.load()) << "stop() must wait for the in-flight handler";
}

}  // namespace
}  // namespace tso::queue
