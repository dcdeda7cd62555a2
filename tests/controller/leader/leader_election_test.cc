#include "controller/leader/leader_election.h"

#include <gtest/gtest.h>

#include <thread>

#include "controller/kube/time_format.h"

namespace tso::leader {
namespace {

using std::chrono::seconds;

// One Lease shared by candidates, with resourceVersion checks like the API server.
class MemoryLease final : public LeaseLock {
 public:
  Result<LeaseRecord> get() override {
    std::lock_guard l(mu_);
    if (!exists_) return fail(ErrorCode::kNotFound, "no lease");
    if (failing_) return fail(ErrorCode::kTransient, "apiserver down");
    return record_;
  }
  Result<LeaseRecord> create(const LeaseRecord& r) override {
    std::lock_guard l(mu_);
    if (exists_) return fail(ErrorCode::kConflict, "exists");
    exists_ = true;
    record_ = r;
    record_.resourceVersion = std::to_string(++rv_);
    return record_;
  }
  Result<LeaseRecord> update(const LeaseRecord& r) override {
    std::lock_guard l(mu_);
    if (failing_) return fail(ErrorCode::kTransient, "apiserver down");
    if (r.resourceVersion != record_.resourceVersion) return fail(ErrorCode::kConflict, "stale");
    record_ = r;
    record_.resourceVersion = std::to_string(++rv_);
    return record_;
  }
  LeaseRecord record() {
    std::lock_guard l(mu_);
    return record_;
  }
  void setFailing(bool f) {
    std::lock_guard l(mu_);
    failing_ = f;
  }

 private:
  std::mutex mu_;
  bool exists_ = false;
  bool failing_ = false;
  int rv_ = 0;
  LeaseRecord record_;
};

ElectorConfig named(const std::string& id) {
  ElectorConfig c;
  c.identity = id;
  return c;
}

TEST(LeaderElectionTest, FirstCandidateCreatesOthersWaitForExpiry) {
  ManualClock clock;
  MemoryLease lease;
  LeaderElector a(lease, named("a"), clock);
  LeaderElector b(lease, named("b"), clock);
  EXPECT_TRUE(a.tryAcquireOrRenew());
  EXPECT_EQ(lease.record().holderIdentity, "a");
  EXPECT_EQ(lease.record().leaseDurationSeconds, 15);
  EXPECT_FALSE(b.tryAcquireOrRenew());
  EXPECT_EQ(b.observedLeader(), "a");
  clock.advance(seconds(10));
  EXPECT_TRUE(a.tryAcquireOrRenew()) << "the holder renews";
  EXPECT_FALSE(b.tryAcquireOrRenew()) << "b saw the renewal change the record: the 15 s restart";
  clock.advance(seconds(14));
  EXPECT_FALSE(b.tryAcquireOrRenew());
  clock.advance(seconds(2));  // 16 s without a change observed by b: expired
  EXPECT_TRUE(b.tryAcquireOrRenew());
  EXPECT_EQ(lease.record().holderIdentity, "b");
  EXPECT_EQ(lease.record().leaseTransitions, 1);
  EXPECT_FALSE(a.tryAcquireOrRenew()) << "a sees b's fresh record and must not take it back";
}

TEST(LeaderElectionTest, ReleasedLeaseIsTakenAtOnce) {
  ManualClock clock;
  MemoryLease lease;
  ElectorConfig ca = named("a");
  ca.retryPeriod = std::chrono::milliseconds(100);
  LeaderElector a(lease, ca, clock);
  std::atomic<bool> started{false};
  std::atomic<bool> stoppedLeading{false};
  ElectorConfig cfg = ca;
  cfg.onStartedLeading = [&] { started = true; };
  cfg.onStoppedLeading = [&] { stoppedLeading = true; };
  LeaderElector leader(lease, cfg, clock);
  std::thread t([&] { leader.run(); });
  for (int i = 0; i < 2000 && !started; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(started.load());
  EXPECT_TRUE(leader.isLeader());
  leader.stop();
  t.join();
  EXPECT_TRUE(stoppedLeading.load());
  EXPECT_FALSE(leader.isLeader());
  EXPECT_EQ(lease.record().holderIdentity, "") << "a graceful stop releases the lease";
  LeaderElector b(lease, named("b"), clock);
  EXPECT_TRUE(b.tryAcquireOrRenew()) << "no need to wait for expiry after a release";
}

TEST(LeaderElectionTest, LeaderThatCannotRenewWithinDeadlineStopsLeading) {
  ManualClock clock;
  MemoryLease lease;
  std::atomic<bool> started{false};
  std::atomic<bool> lost{false};
  ElectorConfig cfg = named("a");
  cfg.onStartedLeading = [&] { started = true; };
  cfg.onStoppedLeading = [&] { lost = true; };
  LeaderElector a(lease, cfg, clock);
  std::thread t([&] { a.run(); });
  for (int i = 0; i < 2000 && !started; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(started.load());
  lease.setFailing(true);
  for (int i = 0; i < 2000 && !lost; ++i) {
    clock.advance(std::chrono::milliseconds(500));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  t.join();
  EXPECT_TRUE(lost.load());
  EXPECT_FALSE(a.isLeader());
}

TEST(LeaderElectionTest, LeaseTimesAreMicroTimeInUtc) {
  auto t = std::chrono::sys_days{std::chrono::year{2025} / 3 / 4} + std::chrono::hours(5) + std::chrono::minutes(6) +
           std::chrono::seconds(7) + std::chrono::microseconds(89);
  EXPECT_EQ(kube::formatMicroTime(t), "2025-03-04T05:06:07.000089Z");
  EXPECT_EQ(kube::formatTime(t), "2025-03-04T05:06:07Z");
}

}  // namespace
}  // namespace tso::leader
