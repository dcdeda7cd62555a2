#include "controller/leader/leader_election.h"

#include "controller/kube/api.h"
#include "controller/kube/time_format.h"

namespace tso::leader {

namespace {

Result<LeaseRecord> decodeLease(const kube::Object& obj) {
  try {
    LeaseRecord r;
    r.resourceVersion = obj.meta.resourceVersion;
    auto spec = obj.body.find("spec");
    if (spec == obj.body.end() || !spec->is_object()) return r;
    auto str = [&](const char* k) {
      auto it = spec->find(k);
      return it != spec->end() && it->is_string() ? it->get<std::string>() : std::string{};
    };
    r.holderIdentity = str("holderIdentity");
    r.acquireTime = str("acquireTime");
    r.renewTime = str("renewTime");
    r.leaseDurationSeconds = spec->value("leaseDurationSeconds", 0);
    r.leaseTransitions = spec->value("leaseTransitions", 0);
    return r;
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kBadResponse, std::string("lease: ") + e.what());
  }
}

nlohmann::json encodeLease(const std::string& ns, const std::string& name, const LeaseRecord& r) {
  nlohmann::json spec = {{"holderIdentity", r.holderIdentity},
                         {"leaseDurationSeconds", r.leaseDurationSeconds},
                         {"leaseTransitions", r.leaseTransitions}};
  if (!r.acquireTime.empty()) spec["acquireTime"] = r.acquireTime;
  if (!r.renewTime.empty()) spec["renewTime"] = r.renewTime;
  nlohmann::json meta = {{"name", name}, {"namespace", ns}};
  if (!r.resourceVersion.empty()) meta["resourceVersion"] = r.resourceVersion;
  return {{"apiVersion", "coordination.k8s.io/v1"}, {"kind", "Lease"}, {"metadata", meta}, {"spec", spec}};
}

}  // namespace

KubeLeaseLock::KubeLeaseLock(kube::Client& client, std::string ns, std::string name)
    : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}

Result<LeaseRecord> KubeLeaseLock::get() {
  kube::Api api(client_, kube::kLeases, ns_);
  auto obj = api.get(name_);
  if (!obj) return std::unexpected(obj.error());
  return decodeLease(*obj);
}

Result<LeaseRecord> KubeLeaseLock::create(const LeaseRecord& record) {
  kube::Api api(client_, kube::kLeases, ns_);
  LeaseRecord fresh = record;
  fresh.resourceVersion.clear();
  auto obj = api.create(encodeLease(ns_, name_, fresh));
  if (!obj) return std::unexpected(obj.error());
  return decodeLease(*obj);
}

Result<LeaseRecord> KubeLeaseLock::update(const LeaseRecord& record) {
  kube::Api api(client_, kube::kLeases, ns_);
  auto obj = api.replace(name_, encodeLease(ns_, name_, record));
  if (!obj) return std::unexpected(obj.error());
  return decodeLease(*obj);
}

LeaderElector::LeaderElector(LeaseLock& lock, ElectorConfig config, Clock& clock)
    : lock_(lock), config_(std::move(config)), clock_(clock) {}

std::string LeaderElector::observedLeader() const {
  std::lock_guard l(mu_);
  return observed_.holderIdentity;
}

std::string LeaderElector::nowText() const { return kube::formatMicroTime(clock_.wallNow()); }

bool LeaderElector::tryAcquireOrRenew() {
  auto now = clock_.now();
  LeaseRecord desired;
  desired.holderIdentity = config_.identity;
  desired.leaseDurationSeconds =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(config_.leaseDuration).count());
  desired.acquireTime = nowText();
  desired.renewTime = desired.acquireTime;

  auto current = lock_.get();
  if (!current) {
    if (current.error().code != ErrorCode::kNotFound) return false;
    auto created = lock_.create(desired);
    if (!created) return false;
    std::lock_guard l(mu_);
    observed_ = *created;
    observedTime_ = now;
    return true;
  }
  std::string previousLeader;
  {
    std::lock_guard l(mu_);
    previousLeader = observed_.holderIdentity;
    // Expiry is judged by when *we* saw the record change, on our monotonic clock, so clock
    // skew between replicas cannot shorten a lease.
    if (!(*current == observed_)) {
      observed_ = *current;
      observedTime_ = now;
    }
  }
  if (config_.onNewLeader && current->holderIdentity != previousLeader && !current->holderIdentity.empty()) {
    config_.onNewLeader(current->holderIdentity);
  }
  auto held = std::chrono::seconds(current->leaseDurationSeconds);
  if (!current->holderIdentity.empty() && current->holderIdentity != config_.identity && observedTime_ + held > now) {
    return false;
  }
  if (current->holderIdentity == config_.identity) {
    desired.acquireTime = current->acquireTime;
    desired.leaseTransitions = current->leaseTransitions;
  } else {
    desired.leaseTransitions = current->leaseTransitions + 1;
  }
  desired.resourceVersion = current->resourceVersion;
  auto updated = lock_.update(desired);  // a 409 means another candidate won this round
  if (!updated) return false;
  std::lock_guard l(mu_);
  observed_ = *updated;
  observedTime_ = now;
  return true;
}

Clock::Duration LeaderElector::jittered(Clock::Duration d) {
  std::uniform_real_distribution<double> dist(1.0, 1.2);
  return std::chrono::duration_cast<Clock::Duration>(d * dist(rng_));
}

bool LeaderElector::sleepFor(Clock::Duration d) {
  std::unique_lock l(mu_);
  auto deadline = clock_.now() + d;
  while (!stopped_ && clock_.now() < deadline) clock_.waitUntil(l, cv_, deadline);
  return !stopped_;
}

void LeaderElector::run() {
  while (!stopped_) {
    if (tryAcquireOrRenew()) break;
    if (!sleepFor(jittered(config_.retryPeriod))) return;
  }
  if (stopped_) return;
  leading_ = true;
  if (config_.onStartedLeading) config_.onStartedLeading();
  while (!stopped_) {
    // Renew until the deadline; past it, another replica may take the lease any moment.
    auto deadline = clock_.now() + config_.renewDeadline;
    bool renewed = false;
    while (!stopped_ && clock_.now() < deadline) {
      if (tryAcquireOrRenew()) {
        renewed = true;
        break;
      }
      if (!sleepFor(config_.retryPeriod)) break;
    }
    if (stopped_) break;
    if (!renewed) {
      leading_ = false;
      if (config_.onStoppedLeading) config_.onStoppedLeading();
      return;
    }
    if (!sleepFor(config_.retryPeriod)) break;
  }
  leading_ = false;
  if (config_.releaseOnCancel) release();
  if (config_.onStoppedLeading) config_.onStoppedLeading();
}

void LeaderElector::release() {
  LeaseRecord current;
  {
    std::lock_guard l(mu_);
    current = observed_;
  }
  if (current.holderIdentity != config_.identity) return;
  LeaseRecord released = current;
  released.holderIdentity.clear();
  released.leaseDurationSeconds = 1;
  released.renewTime = nowText();
  released.acquireTime = released.renewTime;
  (void)lock_.update(released);  // best effort: if it fails the lease simply expires
}

void LeaderElector::stop() {
  {
    std::lock_guard l(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace tso::leader
