// Leader election on a coordination.k8s.io/v1 Lease (client-go leaderelection,
// controller-runtime defaults: 15 s lease, 10 s renew deadline, 2 s retry). Caches run on
// every replica; only the leader runs workers, and it stops them the moment it cannot renew.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <string>

#include "controller/common/clock.h"
#include "controller/common/result.h"
#include "controller/kube/client.h"

namespace tso::leader {

struct LeaseRecord {
  std::string holderIdentity;
  int leaseDurationSeconds = 0;
  std::string acquireTime;  // RFC 3339 with microseconds (MicroTime)
  std::string renewTime;
  int leaseTransitions = 0;
  std::string resourceVersion;  // for optimistic concurrency on update

  bool operator==(const LeaseRecord&) const = default;
};

// Where the record lives. get() is kNotFound when there is no lease yet; update() is
// kConflict when someone else wrote it since our get().
class LeaseLock {
 public:
  virtual ~LeaseLock() = default;
  virtual Result<LeaseRecord> get() = 0;
  virtual Result<LeaseRecord> create(const LeaseRecord& record) = 0;
  virtual Result<LeaseRecord> update(const LeaseRecord& record) = 0;
};

// A Lease object through the Kubernetes API.
class KubeLeaseLock final : public LeaseLock {
 public:
  KubeLeaseLock(kube::Client& client, std::string ns, std::string name);
  Result<LeaseRecord> get() override;
  Result<LeaseRecord> create(const LeaseRecord& record) override;
  Result<LeaseRecord> update(const LeaseRecord& record) override;

 private:
  kube::Client& client_;
  std::string ns_;
  std::string name_;
};

struct ElectorConfig {
  std::string identity;
  Clock::Duration leaseDuration = std::chrono::seconds(15);
  Clock::Duration renewDeadline = std::chrono::seconds(10);
  Clock::Duration retryPeriod = std::chrono::seconds(2);
  bool releaseOnCancel = true;  // hand over at once on a graceful stop
  std::function<void()> onStartedLeading;
  std::function<void()> onStoppedLeading;
  std::function<void(const std::string&)> onNewLeader;
};

class LeaderElector {
 public:
  LeaderElector(LeaseLock& lock, ElectorConfig config, Clock& clock = realClock());

  // Blocks: tries to acquire, then renews. Returns when leadership is lost (after calling
  // onStoppedLeading) or when stop() is called (releasing the lease if leading).
  void run();
  void stop();

  // One attempt, as client-go's tryAcquireOrRenew; public for tests.
  bool tryAcquireOrRenew();

  [[nodiscard]] bool isLeader() const { return leading_.load(); }
  [[nodiscard]] std::string observedLeader() const;

 private:
  void release();
  // Waits `d` on the clock; false if stop() was called meanwhile.
  bool sleepFor(Clock::Duration d);
  Clock::Duration jittered(Clock::Duration d);
  std::string nowText() const;

  LeaseLock& lock_;
  ElectorConfig config_;
  Clock& clock_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  LeaseRecord observed_;
  Clock::TimePoint observedTime_{};
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace tso::leader
