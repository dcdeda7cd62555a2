#include "controller/reconcile/spec.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "controller/reconcile/units.h"

namespace tso::reconcile {

namespace {

using nlohmann::json;

std::unexpected<Error> bad(const std::string& field, const std::string& why) {
  return fail(ErrorCode::kInvalid, "spec." + field + ": " + why);
}

// Typed accessors that never throw: a wrong JSON type is an error naming the field.
const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// An optional member of JSON type `T`; absent or null leaves `out` as it is.
template <typename T>
Status readScalar(const json& obj, const char* key, const std::string& field, T& out) {
  const json* v = member(obj, key);
  if (v == nullptr) return {};
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v->is_string()) return bad(field, "must be a string");
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v->is_boolean()) return bad(field, "must be true or false");
  } else {
    if (!v->is_number()) return bad(field, "must be a number");
  }
  out = v->get<T>();
  return {};
}

Status readString(const json& obj, const char* key, const std::string& field, std::string& out) {
  return readScalar(obj, key, field, out);
}
Status readNumber(const json& obj, const char* key, const std::string& field, double& out) {
  return readScalar(obj, key, field, out);
}
Status readBool(const json& obj, const char* key, const std::string& field, bool& out) {
  return readScalar(obj, key, field, out);
}

Status readInt(const json& obj, const char* key, const std::string& field, int& out) {
  const json* v = member(obj, key);
  if (v == nullptr) return {};
  if (!v->is_number_integer()) return bad(field, "must be an integer");
  auto value = v->get<std::int64_t>();
  if (value < 0 || value > 1'000'000) return bad(field, "must be between 0 and 1000000");
  out = static_cast<int>(value);
  return {};
}

Status readDurationSeconds(const json& obj, const char* key, const std::string& field, std::int64_t& outSeconds,
                           std::int64_t minMs) {
  std::string text;
  TSO_TRY(readString(obj, key, field, text));
  if (text.empty()) return {};
  auto ms = parseDurationMs(text);
  if (!ms) return bad(field, ms.error().message);
  if (*ms < minMs) return bad(field, "\"" + text + "\" is too short");
  outSeconds = (*ms + 999) / 1000;
  return {};
}

Status readRules(const json& obj, const char* key, const std::string& field, predictor::ScalingRules& rules,
                 std::optional<double>& tolerance) {
  const json* r = member(obj, key);
  if (r == nullptr) return {};
  if (!r->is_object()) return bad(field, "must be an object");
  int window = static_cast<int>(rules.stabilizationSeconds);
  TSO_TRY(readInt(*r, "stabilizationWindowSeconds", field + ".stabilizationWindowSeconds", window));
  rules.stabilizationSeconds = window;
  std::string select;
  TSO_TRY(readString(*r, "selectPolicy", field + ".selectPolicy", select));
  if (select == "Max")
    rules.select = predictor::SelectPolicy::kMax;
  else if (select == "Min")
    rules.select = predictor::SelectPolicy::kMin;
  else if (select == "Disabled")
    rules.select = predictor::SelectPolicy::kDisabled;
  else if (!select.empty())
    return bad(field + ".selectPolicy", "must be Max, Min or Disabled");
  if (member(*r, "tolerance") != nullptr) {
    double value = 0;
    TSO_TRY(readNumber(*r, "tolerance", field + ".tolerance", value));
    if (!(value >= 0 && value <= 1)) return bad(field + ".tolerance", "must be between 0 and 1");
    tolerance = value;
  }
  if (const json* policies = member(*r, "policies")) {
    if (!policies->is_array()) return bad(field + ".policies", "must be a list");
    rules.policies.clear();
    for (std::size_t i = 0; i < policies->size(); ++i) {
      std::string pf = field + ".policies[" + std::to_string(i) + "]";
      const json& p = (*policies)[i];
      predictor::ScalingPolicy policy;
      std::string type;
      TSO_TRY(readString(p, "type", pf + ".type", type));
      if (type == "Pods")
        policy.type = predictor::ScalingPolicy::Type::kPods;
      else if (type == "Percent")
        policy.type = predictor::ScalingPolicy::Type::kPercent;
      else
        return bad(pf + ".type", "must be Pods or Percent");
      int value = 0;
      int period = 0;
      TSO_TRY(readInt(p, "value", pf + ".value", value));
      TSO_TRY(readInt(p, "periodSeconds", pf + ".periodSeconds", period));
      if (value < 1 || period < 1) return bad(pf, "value and periodSeconds must be at least 1");
      policy.value = value;
      policy.periodSeconds = period;
      rules.policies.push_back(policy);
    }
  }
  return {};
}

Status readTargetRef(const json& target, const std::string& field, TargetRef& out) {
  TSO_TRY(readString(target, "apiVersion", field + ".apiVersion", out.apiVersion));
  TSO_TRY(readString(target, "kind", field + ".kind", out.kind));
  TSO_TRY(readString(target, "name", field + ".name", out.name));
  if (out.name.empty()) return bad(field + ".name", "is required");
  if (out.kind != "Deployment" && out.kind != "StatefulSet") {
    return bad(field + ".kind", "\"" + out.kind + "\" is not Deployment or StatefulSet");
  }
  // Both kinds are scaled as apps/v1 resources; another version would be silently read as apps/v1.
  if (out.apiVersion != "apps/v1") {
    return bad(field + ".apiVersion", "\"" + out.apiVersion + "\" is not supported (only apps/v1)");
  }
  return {};
}

Status decodeTarget(const json& spec, ServiceSpec& out) {
  const json* target = member(spec, "targetRef");
  if (target == nullptr) return bad("targetRef", "is required");
  return readTargetRef(*target, "targetRef", out.target);
}

Status decodeMode(const json& spec, ServiceSpec& out) {
  std::string mode = "Auto";
  TSO_TRY(readString(spec, "mode", "mode", mode));
  if (mode == "Auto")
    out.mode = Mode::kAuto;
  else if (mode == "ForecastOnly")
    out.mode = Mode::kForecastOnly;
  else if (mode == "Paused")
    out.mode = Mode::kPaused;
  else if (mode == "Shadow")
    out.mode = Mode::kShadow;
  else
    return bad("mode", "\"" + mode + "\" is not Auto, Shadow, ForecastOnly or Paused");
  return {};
}

// spec.shadow: Shadow mode's window and promotion (shadow.h).
Status decodeShadow(const json& spec, ServiceSpec& service) {
  ShadowSpec& out = service.shadow;
  const json* shadow = member(spec, "shadow");
  if (shadow == nullptr) return {};
  if (!shadow->is_object()) return bad("shadow", "must be an object");
  TSO_TRY(readDurationSeconds(*shadow, "window", "shadow.window", out.windowSeconds, 60'000));
  TSO_TRY(readString(*shadow, "replicasQuery", "shadow.replicasQuery", out.replicasQuery));
  std::string promotion = "Manual";
  TSO_TRY(readString(*shadow, "promotion", "shadow.promotion", promotion));
  if (promotion != "Manual" && promotion != "Auto")
    return bad("shadow.promotion", "\"" + promotion + "\" is not Manual or Auto");
  out.autoPromote = promotion == "Auto";
  return {};
}

Status decodeBacklog(const json& demand, ServiceSpec& out) {
  const json* backlog = member(demand, "backlog");
  if (backlog == nullptr) return {};
  if (!backlog->is_object()) return bad("demand.backlog", "must be an object");
  BacklogSpec b;
  TSO_TRY(readString(*backlog, "query", "demand.backlog.query", b.query));
  if (b.query.empty()) return bad("demand.backlog.query", "is required");
  TSO_TRY(readDurationSeconds(*backlog, "drainWithin", "demand.backlog.drainWithin", b.drainSeconds, 1000));
  if (b.drainSeconds <= 0) return bad("demand.backlog.drainWithin", "is required");
  out.backlog = std::move(b);
  return {};
}

Status decodeDemand(const json& spec, ServiceSpec& out) {
  const json* demand = member(spec, "demand");
  if (demand == nullptr) return bad("demand", "is required");
  if (const json* prom = member(*demand, "prometheus")) {
    TSO_TRY(readString(*prom, "address", "demand.prometheus.address", out.prometheusAddress));
    std::string timeoutText;
    TSO_TRY(readString(*prom, "timeout", "demand.prometheus.timeout", timeoutText));
    if (!timeoutText.empty()) {
      auto ms = parseDurationMs(timeoutText);
      if (!ms) return bad("demand.prometheus.timeout", ms.error().message);
      if (*ms < 100) return bad("demand.prometheus.timeout", "must be at least 100ms");
      out.queryTimeoutMs = *ms;
    }
  }
  TSO_TRY(readString(*demand, "query", "demand.query", out.query));
  if (out.query.empty()) return bad("demand.query", "is required");
  TSO_TRY(readDurationSeconds(*demand, "step", "demand.step", out.stepSeconds, 1000));
  TSO_TRY(readDurationSeconds(*demand, "history", "demand.history", out.historySeconds, 1000));
  if (out.historySeconds < 10 * out.stepSeconds) {
    return bad("demand.history", "must cover at least 10 steps (" + std::to_string(10 * out.stepSeconds) + "s)");
  }
  return decodeBacklog(*demand, out);
}

Status decodeCapacity(const json& spec, ServiceSpec& out) {
  const json* capacity = member(spec, "capacity");
  if (capacity == nullptr) return bad("capacity", "is required");
  out.perReplica = 0;
  TSO_TRY(readNumber(*capacity, "perReplica", "capacity.perReplica", out.perReplica));
  if (!(out.perReplica > 0)) return bad("capacity.perReplica", "must be greater than 0");
  TSO_TRY(readNumber(*capacity, "targetUtilization", "capacity.targetUtilization", out.targetUtilization));
  if (!(out.targetUtilization > 0 && out.targetUtilization <= 1)) {
    return bad("capacity.targetUtilization", "must be in (0, 1]");
  }
  return {};
}

// `field` (a replicas object: min, max) of `obj`, required; min keeps its default when absent.
Status readBounds(const json& obj, const std::string& field, int& min, int& max) {
  const json* replicas = member(obj, "replicas");
  if (replicas == nullptr) return bad(field, "is required");
  max = 0;
  TSO_TRY(readInt(*replicas, "min", field + ".min", min));
  TSO_TRY(readInt(*replicas, "max", field + ".max", max));
  if (max < 1) return bad(field + ".max", "must be at least 1");
  if (min > max) return bad(field + ".min", "must be less than or equal to " + field + ".max");
  return {};
}

Status decodeReplicas(const json& spec, ServiceSpec& out) {
  return readBounds(spec, "replicas", out.minReplicas, out.maxReplicas);
}

Status readDependent(const json& item, const std::string& field, const ServiceSpec& service, DependentSpec& out) {
  if (!item.is_object()) return bad(field, "must be an object");
  TSO_TRY(readTargetRef(item, field, out.target));
  if (out.target.kind == service.target.kind && out.target.name == service.target.name)
    return bad(field + ".name", "is the target itself");
  if (const json* v = member(item, "perReplica")) {
    if (!v->is_number() || !(v->get<double>() > 0)) return bad(field + ".perReplica", "must be a number above 0");
    out.perReplica = v->get<double>();
  }
  if (const json* v = member(item, "ratio")) {
    if (!v->is_number() || !(v->get<double>() > 0)) return bad(field + ".ratio", "must be a number above 0");
    out.ratio = v->get<double>();
  }
  if (out.perReplica.has_value() == out.ratio.has_value())
    return bad(field, "exactly one of perReplica and ratio must be set");
  out.targetUtilization = service.targetUtilization;
  TSO_TRY(readNumber(item, "targetUtilization", field + ".targetUtilization", out.targetUtilization));
  if (!(out.targetUtilization > 0 && out.targetUtilization <= 1))
    return bad(field + ".targetUtilization", "must be in (0, 1]");
  return readBounds(item, field + ".replicas", out.minReplicas, out.maxReplicas);
}

// After decodeTarget and decodeCapacity: a dependent's utilization defaults to the service's.
Status decodeDependents(const json& spec, ServiceSpec& out) {
  const json* list = member(spec, "dependents");
  if (list == nullptr) return {};
  if (!list->is_array()) return bad("dependents", "must be a list");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string field = "dependents[" + std::to_string(i) + "]";
    DependentSpec dep;
    TSO_TRY(readDependent((*list)[i], field, out, dep));
    for (const auto& other : out.dependents) {
      if (other.target.kind == dep.target.kind && other.target.name == dep.target.name)
        return bad(field + ".name", "\"" + dep.target.name + "\" is listed twice");
    }
    out.dependents.push_back(std::move(dep));
  }
  return {};
}

// "0.5%" -> 0.005. A budget of half the demand or more is no budget.
Status readMissBudget(const json& forecast, ServiceSpec& out) {
  std::string text;
  TSO_TRY(readString(forecast, "missBudget", "forecast.missBudget", text));
  if (text.empty()) return {};
  double percent = 0;
  const auto* end = text.data() + text.size() - 1;
  const auto parsed = std::from_chars(text.data(), end, percent);
  if (text.back() != '%' || parsed.ec != std::errc() || parsed.ptr != end || !(percent > 0 && percent < 50))
    return bad("forecast.missBudget", "\"" + text + "\" is not a percentage above 0% and under 50%, such as 0.5%");
  out.missBudget = percent / 100;
  return {};
}

// forecast.guard: the accuracy gate's window and thresholds (accuracy_gate.h).
Status readGuard(const json& forecast, GuardSpec& out) {
  const json* guard = member(forecast, "guard");
  if (guard == nullptr) return {};
  if (!guard->is_object()) return bad("forecast.guard", "must be an object");
  TSO_TRY(readBool(*guard, "enabled", "forecast.guard.enabled", out.enabled));
  TSO_TRY(readDurationSeconds(*guard, "window", "forecast.guard.window", out.windowSeconds, 60'000));
  int minScored = static_cast<int>(out.minScored);
  TSO_TRY(readInt(*guard, "minScored", "forecast.guard.minScored", minScored));
  if (minScored < 10) return bad("forecast.guard.minScored", "must be at least 10");
  out.minScored = static_cast<std::size_t>(minScored);
  TSO_TRY(readNumber(*guard, "maxSkill", "forecast.guard.maxSkill", out.maxSkill));
  if (!(out.maxSkill > 0)) return bad("forecast.guard.maxSkill", "must be above 0, such as 1 (lose to the baseline)");
  TSO_TRY(readNumber(*guard, "minCoverage", "forecast.guard.minCoverage", out.minCoverage));
  if (!(out.minCoverage >= 0 && out.minCoverage <= 1)) return bad("forecast.guard.minCoverage", "must be in [0, 1]");
  std::string onDegraded = "Reactive";
  TSO_TRY(readString(*guard, "onDegraded", "forecast.guard.onDegraded", onDegraded));
  if (onDegraded != "Reactive" && onDegraded != "Shadow")
    return bad("forecast.guard.onDegraded", "\"" + onDegraded + "\" is not Reactive or Shadow");
  out.onDegradedShadow = onDegraded == "Shadow";
  return {};
}

Status decodeForecast(const json& spec, ServiceSpec& out) {
  if (const json* forecast = member(spec, "forecast")) {
    TSO_TRY(readString(*forecast, "model", "forecast.model", out.model));
    TSO_TRY(readNumber(*forecast, "quantile", "forecast.quantile", out.quantile));
    if (!(out.quantile > 0 && out.quantile < 1)) return bad("forecast.quantile", "must be in (0, 1)");
    std::string lead = "Auto";
    TSO_TRY(readString(*forecast, "leadTime", "forecast.leadTime", lead));
    if (lead != "Auto" && !lead.empty()) {
      auto ms = parseDurationMs(lead);
      if (!ms) return bad("forecast.leadTime", ms.error().message);
      out.leadTimeSeconds = (*ms + 999) / 1000;
    }
    TSO_TRY(readMissBudget(*forecast, out));
    TSO_TRY(readBool(*forecast, "headroomByTimeOfDay", "forecast.headroomByTimeOfDay", out.headroomByTimeOfDay));
    TSO_TRY(readNumber(*forecast, "breakoutQuantile", "forecast.breakoutQuantile", out.breakoutQuantile));
    if (!(out.breakoutQuantile == 0 || (out.breakoutQuantile >= 0.5 && out.breakoutQuantile < 1)))
      return bad("forecast.breakoutQuantile", "must be 0 (off) or in [0.5, 1), such as 0.9");
    TSO_TRY(readGuard(*forecast, out.guard));
  }
  return {};
}

Result<EventSpec> decodeEvent(const json& e, const std::string& ef) {
  EventSpec ev;
  TSO_TRY(readString(e, "name", ef + ".name", ev.name));
  std::string schedule;
  std::string start;
  TSO_TRY(readString(e, "schedule", ef + ".schedule", schedule));
  TSO_TRY(readString(e, "start", ef + ".start", start));
  if (schedule.empty() == start.empty()) return bad(ef, "exactly one of schedule and start must be set");
  if (!schedule.empty()) {
    auto cron = predictor::CronSchedule::parse(schedule);
    if (!cron) return bad(ef + ".schedule", cron.error().message);
    ev.schedule = *cron;
  } else {
    auto t = parseRfc3339(start);
    if (!t) return bad(ef + ".start", t.error().message);
    ev.start = *t;
  }
  TSO_TRY(readDurationSeconds(e, "duration", ef + ".duration", ev.durationSeconds, 1000));
  if (ev.durationSeconds <= 0) return bad(ef + ".duration", "is required");
  if (ev.schedule && ev.durationSeconds > 86400) {
    return bad(ef + ".duration", "a recurring event lasts at most 1d");
  }
  TSO_TRY(readNumber(e, "multiplier", ef + ".multiplier", ev.multiplier));
  if (!(ev.multiplier > 0)) return bad(ef + ".multiplier", "must be greater than 0");
  return ev;
}

Status decodeEvents(const json& spec, ServiceSpec& out) {
  if (const json* events = member(spec, "events")) {
    if (!events->is_array()) return bad("events", "must be a list");
    for (std::size_t i = 0; i < events->size(); ++i) {
      auto ev = decodeEvent((*events)[i], "events[" + std::to_string(i) + "]");
      if (!ev) return std::unexpected(ev.error());
      out.events.push_back(std::move(*ev));
    }
  }
  return {};
}

Status decodeBehavior(const json& spec, ServiceSpec& out) {
  if (const json* behavior = member(spec, "behavior")) {
    TSO_TRY(readRules(*behavior, "scaleUp", "behavior.scaleUp", out.behavior.scaleUp, out.scaleUpTolerance));
    TSO_TRY(readRules(*behavior, "scaleDown", "behavior.scaleDown", out.behavior.scaleDown, out.scaleDownTolerance));
    const json* down = member(*behavior, "scaleDown");
    out.scaleDownWindowSet = down != nullptr && member(*down, "stabilizationWindowSeconds") != nullptr;
  }
  return {};
}

Status decodeHpa(const json& spec, ServiceSpec& out) {
  if (const json* hpa = member(spec, "hpa")) {
    TSO_TRY(readBool(*hpa, "enabled", "hpa.enabled", out.hpaEnabled));
    if (const json* metrics = member(*hpa, "metrics")) {
      if (!metrics->is_array()) return bad("hpa.metrics", "must be a list");
      out.hpaMetricsJson = metrics->dump();
    }
    // An HPA's minReplicas cannot be 0: the owned HPA would silently keep one replica.
    if (out.hpaEnabled && out.minReplicas < 1) {
      return bad("replicas.min", "must be at least 1 when hpa.enabled (an HPA's minReplicas cannot be 0)");
    }
  }
  return {};
}

Status decodeCache(const json& spec, ServiceSpec& out) {
  if (const json* cache = member(spec, "cache")) {
    CacheSpec c;
    const json* ref = member(*cache, "configMapRef");
    if (ref == nullptr) return bad("cache.configMapRef", "is required");
    TSO_TRY(readString(*ref, "name", "cache.configMapRef.name", c.configMapName));
    TSO_TRY(readString(*ref, "key", "cache.configMapRef.key", c.key));
    if (c.configMapName.empty() || c.key.empty()) return bad("cache.configMapRef", "name and key are required");
    TSO_TRY(readNumber(*cache, "bytesPerDemandUnit", "cache.bytesPerDemandUnit", c.bytesPerDemandUnit));
    if (!(c.bytesPerDemandUnit > 0)) return bad("cache.bytesPerDemandUnit", "must be greater than 0");
    std::string minText;
    std::string maxText;
    TSO_TRY(readString(*cache, "min", "cache.min", minText));
    TSO_TRY(readString(*cache, "max", "cache.max", maxText));
    if (!minText.empty()) {
      auto b = parseQuantityBytes(minText);
      if (!b) return bad("cache.min", b.error().message);
      c.minBytes = *b;
    }
    if (!maxText.empty()) {
      auto b = parseQuantityBytes(maxText);
      if (!b) return bad("cache.max", b.error().message);
      c.maxBytes = *b;
      if (*c.maxBytes < c.minBytes) return bad("cache.min", "must be less than or equal to cache.max");
    }
    out.cache = std::move(c);
  }
  return {};
}

Status decodeFallback(const json& spec, ServiceSpec& out) {
  if (const json* fallback = member(spec, "fallback")) {
    TSO_TRY(readDurationSeconds(*fallback, "staleAfter", "fallback.staleAfter", out.staleAfterSeconds, 1000));
    std::string behavior = "HoldCurrent";
    TSO_TRY(readString(*fallback, "behavior", "fallback.behavior", behavior));
    if (behavior == "HoldCurrent")
      out.fallback = FallbackBehavior::kHoldCurrent;
    else if (behavior == "SeasonalNaive")
      out.fallback = FallbackBehavior::kSeasonalNaive;
    else if (behavior == "Static")
      out.fallback = FallbackBehavior::kStatic;
    else
      return bad("fallback.behavior", "\"" + behavior + "\" is not HoldCurrent, SeasonalNaive or Static");
    out.fallbackReplicas = -1;
    TSO_TRY(readInt(*fallback, "replicas", "fallback.replicas", out.fallbackReplicas));
    if (out.fallback == FallbackBehavior::kStatic && out.fallbackReplicas < 0) {
      return bad("fallback.replicas", "is required when fallback.behavior is Static");
    }
    if (out.fallbackReplicas < 0) out.fallbackReplicas = 0;
  }
  return {};
}

}  // namespace

Result<ServiceSpec> parseSpec(const json& spec) {
  if (!spec.is_object()) return fail(ErrorCode::kInvalid, "spec: must be an object");
  ServiceSpec out;
  // Scale-up is not rate limited unless asked: the forecast already looks ahead, and HPA's
  // max(4 pods, 100%) per 15 s would spend the lead time ramping up. Scale-down's window is
  // chosen by plannerConfigOf unless behavior gives one.
  out.behavior.scaleUp.policies.clear();
  for (auto* decode :
       {decodeTarget, decodeMode, decodeDemand, decodeCapacity, decodeReplicas, decodeForecast, decodeEvents,
        decodeBehavior, decodeHpa, decodeCache, decodeFallback, decodeShadow, decodeDependents}) {
    TSO_TRY(decode(spec, out));
  }
  return out;
}

std::int64_t refitIntervalSeconds(const ServiceSpec& spec) {
  return std::clamp<std::int64_t>(spec.historySeconds / 7, 3600, 86400);
}

predictor::EventCalendar calendarOf(const ServiceSpec& spec) {
  predictor::EventCalendar calendar;
  for (const auto& e : spec.events) {
    if (e.schedule) {
      calendar.add(predictor::RecurringEvent{*e.schedule, e.durationSeconds, e.multiplier});
    } else if (e.start) {
      calendar.add(predictor::ScheduledEvent{*e.start, e.durationSeconds, e.multiplier});
    }
  }
  return calendar;
}

}  // namespace tso::reconcile
