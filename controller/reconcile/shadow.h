// Shadow mode: what the predictive policy would have provisioned, step by step, against the
// replicas that actually ran and the demand that came, over a rolling window; and whether the
// predictive policy has earned promotion to Auto. Pure: time comes in as arguments.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>

namespace tso::reconcile {

enum class Mode;

struct ShadowSpec {
  std::int64_t windowSeconds = 86400;
  bool autoPromote = false;   // promotion: Auto
  std::string replicasQuery;  // the ready replicas that ran; empty: kube-state-metrics' (shadow_history.h)
};

// One policy's account over the window.
struct PolicyAccount {
  double missedRequests = 0;  // demand beyond ready capacity x seconds
  double podSeconds = 0;      // pods alive (warming included) x seconds
};

struct ShadowSums {
  double requests = 0;
  double coveredSeconds = 0;
  PolicyAccount predictive;
  PolicyAccount actual;
};

// Promotion asks the predictive policy to miss at most this share of what ran missed...
inline constexpr double kPromoteMissShare = 0.2;
// ...at no more than this multiple of its pod-seconds, over a window covered this fully (of
// the window less one slice: where the newest slice ends).
inline constexpr double kPromoteCostRatio = 1.25;
inline constexpr double kPromoteCoverage = 0.95;
// Misses under this share of the requests count as none (rounding, a single late sample).
inline constexpr double kNegligibleMissShare = 1e-4;

struct ShadowReport {
  ShadowSums sums;
  std::int64_t windowSeconds = 0;
  bool qualifies = false;  // the promotion rule holds over a whole window
  // Of the window, what the first reconcile accounted from Prometheus history (shadow_history.h).
  std::int64_t historySeconds = 0;
  std::string historyNote;
};

// One reconcile: the demand seen (the query's unit, per second), what the predictive policy
// asks for, what ran (ready and all replicas), and what one replica serves.
struct ShadowStep {
  std::int64_t now = 0;
  double demand = 0;
  int predictive = 0;
  int ranReady = 0;
  int ranTotal = 0;
  double perReplica = 1;
  std::int64_t leadSeconds = 0;
  std::int64_t maxStepSeconds = 60;  // a longer gap since the last step is not counted
};

class ShadowLedger {
 public:
  void record(const ShadowStep& step, std::int64_t windowSeconds);
  [[nodiscard]] ShadowReport report(std::int64_t now, std::int64_t windowSeconds) const;
  // The predictive policy's replicas ready at `t`: pods it added come up a lead time later,
  // pods it removed go at once, so the least it asked for over the last lead time.
  [[nodiscard]] int predictiveReady(std::int64_t t, std::int64_t leadSeconds) const;

  static constexpr std::size_t kBuckets = 24;

 private:
  struct Bucket {
    std::int64_t start = std::numeric_limits<std::int64_t>::min();
    ShadowSums sums;
  };
  std::array<Bucket, kBuckets> buckets_{};
  std::deque<std::pair<std::int64_t, int>> asked_;  // (time, replicas) over the last lead time
  std::optional<std::int64_t> last_;
};

// Whether the mode in force writes replicas: Auto; Shadow once promoted; and Auto turns to
// Shadow while the accuracy gate has degraded the forecast and guard.onDegraded is Shadow.
Mode modeInForce(Mode spec, bool promoted, bool degraded, bool degradedToShadow);

// The Promoted Event's text: both policies' misses and pod-seconds over the window.
std::string promotionMessage(const ShadowReport& r);

}  // namespace tso::reconcile
