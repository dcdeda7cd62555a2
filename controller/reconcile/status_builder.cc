#include "controller/reconcile/status_builder.h"

#include "controller/prom/response.h"
#include "controller/reconcile/status.h"
#include "controller/reconcile/units.h"

namespace tso::reconcile {

namespace {

using nlohmann::json;

// The previous status with its conditions, to be updated in place and stamped on the way out.
class StatusDraft {
 public:
  explicit StatusDraft(const StatusFrame& frame)
      : frame_(frame), status_(frame.previous.is_object() ? frame.previous : json::object()) {
    conditions_ = status_.contains("conditions") ? status_["conditions"] : json::array();
  }
  void set(const std::string& type, bool value, const std::string& reason, const std::string& message) {
    setCondition(conditions_, {type, value, reason, message}, frame_.generation, frame_.nowText);
  }
  // A field that may be absent is set to null, never left out: the status is a merge patch,
  // and the cache keeps only part of the previous status (runtime/manager.cc), so whether it
  // was written before cannot be told from it.
  json& operator[](const char* field) { return status_[field]; }
  json done() && {
    status_["observedGeneration"] = frame_.generation;
    status_["conditions"] = std::move(conditions_);
    return std::move(status_);
  }

 private:
  const StatusFrame& frame_;
  json status_;
  json conditions_;
};

json recommendationOf(const Decision& d, bool forecastUsable) {
  json r = {{"reactive", d.reactive}, {"scheduled", d.scheduled}, {"final", d.desired}, {"winner", d.winner}};
  // No forecast drives yet: "predicted: 0" would read as a forecast of nothing.
  r["predicted"] = forecastUsable ? json(d.predicted) : json(nullptr);
  return r;
}

json pointsOf(const Decision& d) {
  json points = json::array();
  for (const auto& p : d.points)
    points.push_back({{"time", formatRfc3339(p.time)}, {"value", p.value}, {"upper", p.upper}});
  return points;
}

// status.guard: the accuracy gate's state and what it judged on.
json guardOf(const GateReport& g, const GuardSpec& spec) {
  json r = {{"state", g.degraded ? "Degraded"
                      : g.judged ? "Trusted"
                                 : "Judging"},
            {"scored", g.scored},
            {"windowSeconds", spec.windowSeconds}};
  if (g.scored > 0) r["coverageP90"] = g.coverageP90;
  if (g.skill) {
    r["skill"] = *g.skill;
    r["baseline"] = g.baseline;
  }
  return r;
}

json accuracyOf(const std::optional<Accuracy>& a) {
  if (!a || a->scored < kMinScoredForAccuracy) return nullptr;
  return {{"wape", a->wape}, {"coverage", a->coverage}, {"windowSeconds", a->windowSeconds}};
}

// status.dependents: each one's replicas now and wanted, or why it could not be read or scaled.
json dependentsOf(const std::vector<DependentOutcome>* dependents) {
  if (dependents == nullptr || dependents->empty()) return nullptr;
  json list = json::array();
  for (const auto& o : *dependents) {
    json entry = {{"kind", o.target.kind}, {"name", o.target.name}, {"desiredReplicas", o.desired}};
    if (o.current) entry["currentReplicas"] = *o.current;
    if (!o.problem.empty()) entry["problem"] = o.problem;
    list.push_back(std::move(entry));
  }
  return list;
}

void setFields(StatusDraft& s, const StatusInput& in) {
  const Decision& d = *in.decision;
  s["currentReplicas"] = in.currentReplicas;
  s["desiredReplicas"] = d.desired;
  s["leadTimeSeconds"] = in.leadSeconds;
  if (in.demand) s["currentDemand"] = *in.demand;
  if (d.predictedDemand) s["predictedDemand"] = *d.predictedDemand;
  // currentDemand and predictedDemand are arrivals; the backlog's drain rate comes on top.
  if (in.spec->backlog && d.backlog) {
    s["backlog"] = {
        {"messages", *d.backlog}, {"drainWithinSeconds", in.spec->backlog->drainSeconds}, {"drainRate", d.backlogRate}};
  } else {
    s["backlog"] = nullptr;
  }
  s["recommendation"] = recommendationOf(d, in.forecast.usable && !in.gate.degraded);
  s["forecast"] = pointsOf(d);
  s["accuracy"] = accuracyOf(in.accuracy);
  if (d.lastForecastUntil) {
    s["lastForecastUntil"] = formatRfc3339(*d.lastForecastUntil);
  } else {
    s["lastForecastUntil"] = nullptr;
  }
  if (in.spec->guard.enabled) {
    s["guard"] = guardOf(in.gate, in.spec->guard);
  } else {
    s["guard"] = nullptr;
  }
  if (in.spec->cache && d.cacheBytes) {
    s["cache"] = {{"desiredBytes", *d.cacheBytes}};
    if (in.appliedCacheBytes) s["cache"]["appliedBytes"] = *in.appliedCacheBytes;
  } else {
    s["cache"] = nullptr;
  }
  s["dependents"] = dependentsOf(in.dependents);
  if (!in.lastScaleTime.empty()) s["lastScaleTime"] = in.lastScaleTime;
  if (in.missBudget) {
    s["missBudget"] = {{"budget", in.missBudget->budget},
                       {"missedShare", in.missBudget->missedShare},
                       {"quantile", in.missBudget->level},
                       {"z", in.missBudget->z}};
  } else {
    s["missBudget"] = nullptr;
  }
  if (in.headroomByHour) {
    s["headroomByHour"] = *in.headroomByHour;
  } else {
    s["headroomByHour"] = nullptr;
  }
}

json accountOf(const PolicyAccount& a) { return {{"missedRequests", a.missedRequests}, {"podSeconds", a.podSeconds}}; }

// status.shadow: both policies' account over the window, and the promotion.
void setShadow(StatusDraft& s, const StatusInput& in) {
  if (!in.shadow) {
    s["shadow"] = nullptr;
    return;
  }
  const ShadowSums& sums = in.shadow->sums;
  json r = {{"windowSeconds", in.shadow->windowSeconds},
            {"coveredSeconds", sums.coveredSeconds},
            {"requests", sums.requests},
            {"predictive", accountOf(sums.predictive)},
            {"actual", accountOf(sums.actual)},
            {"qualifies", in.shadow->qualifies}};
  r["historySeconds"] = in.shadow->historySeconds;
  r["historyNote"] = in.shadow->historyNote.empty() ? json(nullptr) : json(in.shadow->historyNote);
  if (!in.promotedAt.empty()) r["promotedAt"] = in.promotedAt;
  s["shadow"] = r;
}

void setForecastReady(StatusDraft& s, const ForecastHealth& f, const GateReport& gate, const GuardSpec& guard) {
  if (f.queryProblem) {
    s.set("ForecastReady", false, std::string(prom::problemReason(f.queryProblem->code)), f.queryProblem->message);
  } else if (f.hasModel && !f.usable) {
    s.set("ForecastReady", false, "WarmingUp",
          f.fitSummary + "; the forecast is used once " + std::to_string(f.samplesNeeded) +
              " samples were seen, until then replicas follow measured demand");
  } else if (gate.degraded) {
    s.set("ForecastReady", false, "Degraded", "the forecast lost to a simple baseline: " + gateMessage(gate, guard));
  } else if (f.hasModel && !f.modelsAside.empty()) {
    s.set("ForecastReady", true, "ModelSetAside", f.fitSummary + "; forecasting now with " + f.modelInUse);
  } else if (f.hasModel) {
    s.set("ForecastReady", true, "ModelFitted", f.fitSummary);
  } else {
    s.set("ForecastReady", false, "NoHistory", "waiting for demand history to fit a model");
  }
}

const char* readyReason(Mode inForce) {
  if (inForce == Mode::kAuto) return "Reconciled";
  return inForce == Mode::kShadow ? "Shadow" : "ForecastOnly";
}

void setConditions(StatusDraft& s, const StatusInput& in) {
  const Decision& d = *in.decision;
  s.set("InvalidSpec", false, "Valid", "the spec is valid");
  if (!in.prometheus.available)
    s.set("PrometheusAvailable", false, in.prometheus.reason, in.prometheus.message);
  else
    s.set("PrometheusAvailable", true, "QueryOK", "Prometheus at " + in.prometheus.address + " answers");
  setForecastReady(s, in.forecast, in.gate, in.spec->guard);
  s.set("Fallback", d.fallback, d.fallback ? d.fallbackReason : "DataFresh",
        d.fallback ? d.fallbackMessage
        : in.demandAgeSeconds
            ? "demand data is fresh: the newest sample is " + std::to_string(*in.demandAgeSeconds) + "s old"
            : "demand data is fresh");
  s.set("ScalingLimited", d.scalingLimited, d.scalingLimited ? d.limitedReason : "DesiredWithinRange",
        d.scalingLimited ? d.limitedMessage : "the desired replicas are within bounds and behavior");
  if (in.actionError)
    s.set("Ready", false, "ActionFailed", in.actionError->message);
  else if (d.fallback)
    s.set("Ready", false, d.fallbackReason, d.fallbackMessage);
  else
    s.set("Ready", true, readyReason(in.inForce), d.explanation);
}

}  // namespace

json buildStatus(const StatusFrame& frame, const StatusInput& in) {
  StatusDraft s(frame);
  setFields(s, in);
  setShadow(s, in);
  setConditions(s, in);
  return std::move(s).done();
}

json invalidSpecStatus(const StatusFrame& frame, const std::string& message) {
  StatusDraft s(frame);
  s.set("InvalidSpec", true, "InvalidSpec", message);
  s.set("Ready", false, "InvalidSpec", message);
  return std::move(s).done();
}

json pausedStatus(const StatusFrame& frame) {
  StatusDraft s(frame);
  s.set("InvalidSpec", false, "Valid", "the spec is valid");
  s.set("Ready", true, "Paused", "spec.mode is Paused: the operator touches nothing");
  return std::move(s).done();
}

json targetMissingStatus(const StatusFrame& frame, const ServiceSpec& spec, const std::string& ns) {
  StatusDraft s(frame);
  s.set("InvalidSpec", false, "Valid", "the spec is valid");
  s.set("Ready", false, "TargetNotFound", spec.target.kind + " " + ns + "/" + spec.target.name + " does not exist");
  return std::move(s).done();
}

}  // namespace tso::reconcile
