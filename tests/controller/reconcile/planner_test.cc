#include "controller/reconcile/planner.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tso::reconcile {
namespace {

ServiceSpec specWith(const std::string& extraJson = "{}") {
  auto j = nlohmann::json::parse(R"J({
    "targetRef": {"name": "web"},
    "demand": {"query": "q", "step": "30s"},
    "capacity": {"perReplica": 100, "targetUtilization": 1.0},
    "replicas": {"min": 2, "max": 20},
    "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0}}})J");
  j.merge_patch(nlohmann::json::parse(extraJson));
  auto s = parseSpec(j);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return *s;
}

// A flat forecast of `level` with P90 = 1.2 x level, except a spike at step `spikeAt`.
predictor::Forecast forecastOf(int horizon, double level, int spikeAt = 0, double spike = 0) {
  predictor::Forecast f;
  for (int h = 1; h <= horizon; ++h) {
    double v = h == spikeAt ? spike : level;
    f.point.push_back(v);
    f.quantiles.push_back({v, v * 1.2, v * 1.3, v * 1.5});
  }
  return f;
}

Observed observed(std::int64_t now, int current, double demand) {
  Observed o;
  o.now = now;
  o.currentReplicas = current;
  o.demand = demand;
  o.demandTime = now;
  return o;
}

TEST(ReconcilePlannerTest, QuantileInterpolatesBetweenLevelsAndHonoursThoseOutside) {
  auto f = forecastOf(1, 100);  // P50 100, P90 120, P95 130, P99 150
  EXPECT_NEAR(quantileAt(f, 1, 0.9), 120, 1e-9);
  EXPECT_NEAR(quantileAt(f, 1, 0.7), 110, 1e-9);
  EXPECT_NEAR(quantileAt(f, 1, 0.97), 140, 1e-9);
  // Outside P50-P99 the nearest segment goes on instead of clamping: P50-P90 rises 50 per unit
  // of level, so P30 = 100 - 0.2 x 50; P95-P99 rises 500, so P99.9 = 150 + 0.009 x 500.
  EXPECT_NEAR(quantileAt(f, 1, 0.3), 90, 1e-9);
  EXPECT_NEAR(quantileAt(f, 1, 0.999), 154.5, 1e-9);
}

TEST(ReconcilePlannerTest, LeadWindowCoversLeadPlusTwoSteps) {
  EXPECT_EQ(leadSteps(90, 30), 5);
  EXPECT_EQ(leadSteps(100, 30), 6);
  EXPECT_EQ(leadSteps(0, 30), 2);
}

TEST(ReconcilePlannerTest, ScalesAheadOfAForecastSpikeWithinTheLeadWindow) {
  auto spec = specWith();
  predictor::Planner planner(plannerConfigOf(spec, true));
  const std::int64_t now = 1'000'020;
  // Spike of 1500 at step 4 (now + 90 s); lead 90 s covers it.
  auto f = forecastOf(10, 300, 4, 1500);
  ForecastView view{&f, now, 30, "test", std::nullopt};
  auto d = decide(spec, observed(now, 3, 300), &view, {}, 90, planner);
  EXPECT_EQ(d.reactive, 3);
  EXPECT_EQ(d.predicted, 18);  // ceil(1500 * 1.2 / 100)
  EXPECT_EQ(d.desired, 18);
  EXPECT_EQ(d.winner, "predicted");
  EXPECT_DOUBLE_EQ(d.predictedDemand.value(), 1800);
  EXPECT_FALSE(d.fallback);
  EXPECT_NE(d.explanation.find("P90 peak 1800"), std::string::npos) << d.explanation;
  ASSERT_EQ(d.points.size(), 10U);
  EXPECT_EQ(d.points[3].time, now + 90);
  EXPECT_DOUBLE_EQ(d.points[3].upper, 1800);
}

TEST(ReconcilePlannerTest, ABacklogAddsItsDrainRateToEverySource) {
  auto spec = specWith(R"({"demand": {"backlog": {"query": "b", "drainWithin": "1m"}}})");
  predictor::Planner planner(plannerConfigOf(spec, true));
  const std::int64_t now = 1'000'020;
  auto f = forecastOf(10, 300, 4, 1500);  // P90 peak 1800 within the lead window
  ForecastView view{&f, now, 30, "test", std::nullopt};
  Observed o = observed(now, 3, 300);
  o.backlog = 6000;  // drained within 60 s: 100/s on top of the arrivals
  auto d = decide(spec, o, &view, {}, 90, planner);
  EXPECT_EQ(d.reactive, 4);    // ceil((300 + 100) / 100)
  EXPECT_EQ(d.predicted, 19);  // ceil((1800 + 100) / 100)
  EXPECT_EQ(d.desired, 19);
  EXPECT_EQ(d.winner, "predicted");
  EXPECT_DOUBLE_EQ(d.predictedDemand.value(), 1800) << "the forecast is of arrivals";
  EXPECT_DOUBLE_EQ(d.backlog.value(), 6000);
  EXPECT_DOUBLE_EQ(d.backlogRate, 100);
  EXPECT_DOUBLE_EQ(d.provisionedDemand.value(), 1900) << "what spec.dependents are sized from";
  EXPECT_NE(d.explanation.find("demand 300 + a backlog of 6000 drained within 1m (100/s)"), std::string::npos)
      << d.explanation;

  // No forecast: the backlog alone raises the reactive count past the arrivals'.
  predictor::Planner reactive(plannerConfigOf(spec, false));
  o.backlog = 60'000;
  auto r = decide(spec, o, nullptr, {}, 90, reactive);
  EXPECT_EQ(r.reactive, 13);  // ceil((300 + 1000) / 100)
  EXPECT_EQ(r.desired, 13);
  EXPECT_EQ(r.winner, "reactive");
}

TEST(ReconcilePlannerTest, AnUnknownBacklogIsBlindAndHoldsTheCurrentReplicas) {
  auto spec = specWith(R"({"demand": {"backlog": {"query": "b", "drainWithin": "1m"}}})");
  predictor::Planner planner(plannerConfigOf(spec, true));
  Observed o = observed(10'000, 7, 50);
  o.backlogProblem = "the query returned no samples over the last two steps (is the metric scraped?)";
  auto d = decide(spec, o, nullptr, {}, 60, planner);
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.fallbackReason, "NoBacklogData");
  EXPECT_NE(d.fallbackMessage.find("spec.demand.backlog.query: the query returned no samples"), std::string::npos)
      << d.fallbackMessage;
  EXPECT_EQ(d.desired, 7);
  EXPECT_FALSE(d.backlog.has_value());
}

TEST(ReconcilePlannerTest, TimeOfDayHeadroomRaisesTheLevelOfTheHourItServes) {
  auto spec = specWith();
  predictor::Planner planner(plannerConfigOf(spec, true));
  const std::int64_t now = 1'000'020;  // 13:47 UTC; the spike at now + 90 s is in hour 13
  auto f = forecastOf(10, 300, 4, 1500);
  std::vector<double> byHour(24, 0.0);
  byHour[13] = predictor::zOfLevel(0.95) - predictor::zOfLevel(0.9);  // the P90 level becomes a P95 there
  const predictor::TimeOfDayHeadroom timeOfDay(predictor::TimeOfDayConfig{}, byHour);
  ForecastView view{&f, now, 30, "test", std::nullopt, &timeOfDay};
  auto d = decide(spec, observed(now, 3, 300), &view, {}, 90, planner);
  EXPECT_NEAR(d.predictedDemand.value(), 1950, 1e-6);  // the spike's P95
  EXPECT_EQ(d.predicted, 20);

  byHour[13] = 0;
  byHour[14] = 1.0;  // another hour's offset leaves this window alone
  const predictor::TimeOfDayHeadroom elsewhere(predictor::TimeOfDayConfig{}, byHour);
  view.timeOfDay = &elsewhere;
  EXPECT_NEAR(decide(spec, observed(now, 3, 300), &view, {}, 90, planner).predictedDemand.value(), 1800, 1e-6);
}

TEST(ReconcilePlannerTest, ABreakoutRaisesTheWindowByItsGapOverTheForecastMadeBeforeIt) {
  auto spec = specWith();
  predictor::Planner planner(plannerConfigOf(spec, true));
  const std::int64_t now = 1'000'020;
  auto f = forecastOf(10, 300);  // the forecast after the sample: P90 360 throughout
  // Before the sample the window was forecast at a P50 of 300 (P90 360); the sample came 250 above.
  const Breakout breakout{250, now, std::vector<predictor::Quantiles>(3, {300, 360, 390, 450})};
  ForecastView view{&f, now, 30, "test", std::nullopt, nullptr, &breakout};
  auto d = decide(spec, observed(now, 3, 550), &view, {}, 90, planner);
  EXPECT_DOUBLE_EQ(d.predictedDemand.value(), 610);  // 360 + 250
  EXPECT_EQ(d.predicted, 7);
  EXPECT_DOUBLE_EQ(d.breakoutGap.value(), 250);
  EXPECT_NE(d.explanation.find("raised by a breakout of 250"), std::string::npos) << d.explanation;
  EXPECT_DOUBLE_EQ(d.points[3].upper, 360) << "past the steps kept, the forecast alone";

  view.breakout = nullptr;
  const auto calm = decide(spec, observed(now, 3, 300), &view, {}, 90, planner);
  EXPECT_DOUBLE_EQ(calm.predictedDemand.value(), 360);
  EXPECT_FALSE(calm.breakoutGap.has_value());
}

TEST(ReconcilePlannerTest, SpikeBeyondTheLeadWindowIsNotProvisionedYet) {
  auto spec = specWith();
  predictor::Planner planner(plannerConfigOf(spec, true));
  const std::int64_t now = 1'000'020;
  auto f = forecastOf(20, 300, 15, 1500);  // at now + 420 s
  ForecastView view{&f, now, 30, "test", std::nullopt};
  auto d = decide(spec, observed(now, 4, 300), &view, {}, 90, planner);
  EXPECT_EQ(d.desired, 4);  // 300 * 1.2 / 100 = 3.6 -> 4
  EXPECT_DOUBLE_EQ(d.predictedDemand.value(), 360);
}

TEST(ReconcilePlannerTest, ScheduledEventWinsAndIsNamed) {
  auto spec =
      specWith(R"({"events":[{"name":"sale","start":"1970-01-12T13:47:30Z","duration":"10m","multiplier":3}]})");
  predictor::Planner planner(plannerConfigOf(spec, true));
  const std::int64_t now = 1'000'020;  // 1970-01-12T13:47:00Z; the event starts 30 s later
  auto f = forecastOf(10, 300);
  ForecastView view{&f, now, 30, "test", std::nullopt};
  auto d = decide(spec, observed(now, 4, 300), &view, calendarOf(spec), 60, planner);
  EXPECT_EQ(d.scheduled, 11);  // 360 * 3 / 100 = 10.8
  EXPECT_EQ(d.desired, 11);
  EXPECT_EQ(d.winner, "scheduled");
  EXPECT_DOUBLE_EQ(d.scheduledDemand.value(), 1080);
}

TEST(ReconcilePlannerTest, BoundsAreReportedAsScalingLimited) {
  auto spec = specWith();
  predictor::Planner planner(plannerConfigOf(spec, true));
  auto high = decide(spec, observed(1000, 10, 5000), nullptr, {}, 60, planner);
  EXPECT_EQ(high.desired, 20);
  EXPECT_EQ(high.winner, "max");
  EXPECT_TRUE(high.scalingLimited);
  EXPECT_EQ(high.limitedReason, "TooManyReplicas");
  EXPECT_NE(high.limitedMessage.find("needs 50 replicas; replicas.max is 20"), std::string::npos);

  predictor::Planner planner2(plannerConfigOf(spec, true));
  auto low = decide(spec, observed(1000, 2, 10), nullptr, {}, 60, planner2);
  EXPECT_EQ(low.desired, 2);
  EXPECT_EQ(low.winner, "min");
  EXPECT_EQ(low.limitedReason, "TooFewReplicas");
}

TEST(ReconcilePlannerTest, AForecastDipReleasesPodsAtOnceUnlessAScaleDownWindowIsSet) {
  struct Case {
    const char* name;
    const char* extra;    // spec patch
    bool forecastDriven;  // a usable forecast drives the decision
    int first;            // replicas at demand 1000 (and a forecast of it at P90: 1200)
    int want;             // 30 s after demand and forecast fell to 100
    const char* winner;
  };
  const Case cases[] = {
      // The lead window already sees the dip through the time a pod takes to come back.
      {"forecast, no window", "{}", true, 12, 2, "reactive"},
      {"forecast, window set", R"({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}})", true, 12, 12,
       "behavior"},
      // Measured demand alone keeps HPA's 300 s: a dip in a noisy metric is no forecast.
      {"reactive, no window", "{}", false, 10, 10, "behavior"},
  };
  for (const auto& c : cases) {
    auto spec = specWith(c.extra);
    predictor::Planner planner(plannerConfigOf(spec, c.forecastDriven));
    auto high = forecastOf(10, 1000);
    ForecastView highView{&high, 1000, 30, "test", std::nullopt};
    auto first = decide(spec, observed(1000, 12, 1000), c.forecastDriven ? &highView : nullptr, {}, 60, planner);
    EXPECT_EQ(first.desired, c.first) << c.name;
    auto dip = forecastOf(10, 100);
    ForecastView dipView{&dip, 1030, 30, "test", std::nullopt};
    auto second = decide(spec, observed(1030, 12, 100), c.forecastDriven ? &dipView : nullptr, {}, 60, planner);
    EXPECT_EQ(second.desired, c.want) << c.name;
    EXPECT_EQ(second.winner, c.winner) << c.name;
  }
}

TEST(ReconcilePlannerTest, BlindFallbackNeverScalesBelowCurrent) {
  auto spec = specWith();
  predictor::Planner planner(plannerConfigOf(spec, true));
  Observed o = observed(10'000, 7, 50);
  o.prometheusAvailable = false;
  o.prometheusProblem = "PrometheusUnreachable";
  o.prometheusMessage = "connection refused";
  auto d = decide(spec, o, nullptr, {}, 60, planner);
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.fallbackReason, "PrometheusUnavailable");
  EXPECT_NE(d.fallbackMessage.find("connection refused"), std::string::npos);
  EXPECT_EQ(d.desired, 7);
  EXPECT_EQ(d.winner, "fallback");

  Observed stale = observed(10'000, 7, 50);
  stale.demandTime = 10'000 - 301;
  auto s = decide(spec, stale, nullptr, {}, 60, planner);
  EXPECT_TRUE(s.fallback);
  EXPECT_EQ(s.fallbackReason, "StaleData");
  EXPECT_EQ(s.desired, 7);
}

TEST(ReconcilePlannerTest, BlindTheLastForecastIsProvisionedWhileItsHorizonCoversTheLeadWindow) {
  auto spec = specWith(R"({"fallback":{"behavior":"Static","replicas":9}})");
  predictor::Planner planner(plannerConfigOf(spec, true));
  // Made at 10,000 (step 1 at 10,030), 20 steps of 30 s: the horizon ends at 10,600. A spike of
  // 1,500 (P90 1,800) at step 8, 10,240.
  auto f = forecastOf(20, 300, 8, 1500);
  const ForecastView view{&f, 10'030, 30, "test", std::nullopt};
  Observed o = observed(10'180, 4, 300);
  o.prometheusAvailable = false;
  o.prometheusProblem = "PrometheusUnreachable";
  o.prometheusMessage = "connection refused";
  // Lead 60 s: the window [10,180, 10,300] holds the spike.
  auto d = decide(spec, o, &view, {}, 60, planner);
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.fallbackReason, "PrometheusUnavailable");
  EXPECT_EQ(d.desired, 18) << d.fallbackMessage;
  EXPECT_EQ(d.winner, "predicted");
  ASSERT_TRUE(d.lastForecastUntil.has_value());
  EXPECT_EQ(*d.lastForecastUntil, 10'600);
  EXPECT_NE(d.fallbackMessage.find("the last forecast asks for 18"), std::string::npos) << d.fallbackMessage;

  // After the spike the forecast's 360 (4 replicas) is under the 18 running: hold them.
  o.now = 10'400;
  o.currentReplicas = 18;
  EXPECT_EQ(decide(spec, o, &view, {}, 60, planner).desired, 18);
  // ...and with fewer running, the policy's 9 is the floor under the forecast's 4.
  o.currentReplicas = 2;
  const auto floor = decide(spec, o, &view, {}, 60, planner);
  EXPECT_EQ(floor.desired, 9);
  EXPECT_EQ(floor.winner, "fallback");
  EXPECT_TRUE(floor.lastForecastUntil.has_value());

  // A model that stepped over missing samples on its own forecast has seen nothing since the
  // newest real sample: its horizon counts from that one (9,800 + 20 x 30 = 10,400).
  Observed steppedOver = o;
  steppedOver.demandTime = 9'800;
  const auto over = decide(spec, steppedOver, &view, {}, 60, planner);
  EXPECT_FALSE(over.lastForecastUntil.has_value());
  EXPECT_EQ(over.desired, 9);

  // Past the horizon (the window would end after 10,600): spec.fallback, never below current.
  o.now = 10'500;
  o.currentReplicas = 4;
  auto past = decide(spec, o, &view, {}, 60, planner);
  EXPECT_FALSE(past.lastForecastUntil.has_value());
  EXPECT_EQ(past.desired, 9);
  EXPECT_EQ(past.winner, "fallback");

  // A degraded forecast is not trusted while blind either.
  ForecastView degraded = view;
  degraded.degraded = true;
  o.now = 10'180;
  EXPECT_EQ(decide(spec, o, &degraded, {}, 60, planner).desired, 9);
}

TEST(ReconcilePlannerTest, StaticAndSeasonalFallbacksOnlyRaise) {
  auto spec = specWith(R"({"fallback":{"behavior":"Static","replicas":9}})");
  predictor::Planner planner(plannerConfigOf(spec, true));
  Observed o = observed(10'000, 5, 50);
  o.demand.reset();
  EXPECT_EQ(decide(spec, o, nullptr, {}, 60, planner).desired, 9);
  o.currentReplicas = 12;
  EXPECT_EQ(decide(spec, o, nullptr, {}, 60, planner).desired, 12);

  auto seasonal = specWith(R"({"fallback":{"behavior":"SeasonalNaive"}})");
  Observed s = observed(10'000, 5, 50);
  s.prometheusAvailable = false;
  s.seasonalDemand = 1450;
  EXPECT_EQ(decide(seasonal, s, nullptr, {}, 60, planner).desired, 15);
}

TEST(ReconcilePlannerTest, KnownEventsAreStillProvisionedWhileBlind) {
  // A flash sale x3 from 10:00 for an hour; Prometheus goes down at 09:59.
  auto spec = specWith(R"({"events":[{"name":"sale","start":"2026-01-01T10:00:00Z","duration":"1h","multiplier":3}]})");
  predictor::Planner planner(plannerConfigOf(spec, true));
  const std::int64_t tenOClock = 1767261600;  // 2026-01-01T10:00:00Z
  Observed o = observed(tenOClock - 60, 4, 350);
  o.demandTime = tenOClock - 400;  // stale: the last sample, 350/s, is older than staleAfter
  auto d = decide(spec, o, nullptr, calendarOf(spec), 60, planner);
  EXPECT_TRUE(d.fallback);
  EXPECT_EQ(d.fallbackReason, "StaleData");
  EXPECT_EQ(d.desired, 11);  // 350 x 3 / 100 = 10.5
  EXPECT_EQ(d.winner, "scheduled");
  EXPECT_NE(d.fallbackMessage.find("scheduled event (x3)"), std::string::npos) << d.fallbackMessage;

  // No demand ever seen: the event scales what the current replicas serve, 4 x 100 x 3.
  Observed none = observed(tenOClock - 60, 4, 0);
  none.demand.reset();
  none.prometheusAvailable = false;
  EXPECT_EQ(decide(spec, none, nullptr, calendarOf(spec), 60, planner).desired, 12);

  // Outside the lead window the event changes nothing: hold the current replicas.
  Observed early = observed(tenOClock - 3600, 4, 350);
  early.prometheusAvailable = false;
  auto e = decide(spec, early, nullptr, calendarOf(spec), 60, planner);
  EXPECT_EQ(e.desired, 4);
  EXPECT_EQ(e.winner, "fallback");
}

TEST(ReconcilePlannerTest, EachToleranceHoldsItsOwnDirection) {
  struct Case {
    const char* name;
    const char* behavior;  // spec patch
    double demand;         // against 10 replicas of 100 at utilization 1
    int want;              // reactive replicas
  };
  const Case cases[] = {
      // A ratio above 1 is checked against scaleUp's tolerance, below 1 against scaleDown's.
      {"up 0.5 holds +20 %", R"({"behavior":{"scaleUp":{"tolerance":0.5},"scaleDown":{"tolerance":0}}})", 1200, 10},
      {"down 0 lets -10 % go", R"({"behavior":{"scaleUp":{"tolerance":0.5},"scaleDown":{"tolerance":0}}})", 900, 9},
      {"up 0 scales +20 %", R"({"behavior":{"scaleUp":{"tolerance":0},"scaleDown":{"tolerance":0.5}}})", 1200, 12},
      {"down 0.5 holds -40 %", R"({"behavior":{"scaleUp":{"tolerance":0},"scaleDown":{"tolerance":0.5}}})", 600, 10},
      {"down 0.5 lets -60 % go", R"({"behavior":{"scaleUp":{"tolerance":0},"scaleDown":{"tolerance":0.5}}})", 400, 4},
      {"default 0.1 holds +8 %", "{}", 1080, 10},
      {"default 0.1 lets +12 % go", "{}", 1120, 12},  // ceil(11.2)
      {"default 0.1 holds -8 %", "{}", 920, 10},
  };
  for (const auto& c : cases) {
    auto spec = specWith(c.behavior);
    predictor::Planner planner(plannerConfigOf(spec, false));
    auto d = decide(spec, observed(1000, 10, c.demand), nullptr, {}, 60, planner);
    EXPECT_EQ(d.reactive, c.want) << c.name;
  }
}

// A forecast whose every quantile is `level`.
predictor::Forecast flatForecast(int horizon, double level) {
  predictor::Forecast f;
  for (int h = 1; h <= horizon; ++h) {
    f.point.push_back(level);
    f.quantiles.push_back({level, level, level, level});
  }
  return f;
}

TEST(ReconcilePlannerTest, RoundingNoiseAboveWholeReplicasAddsNone) {
  struct Case {
    const char* name;
    double demand;
    std::optional<double> forecast;  // flat, every quantile
    bool event;                      // a x4 event is on now
    bool blind;                      // Prometheus down (the last demand seen is `demand`)
    int Decision::* field;
    int want;
  };
  // 100 per replica at utilization 1, 3 replicas now (so the HPA's tolerance band around the
  // current count plays no part): an excess over a whole number of replicas under a thousandth
  // of one replica is noise; anything larger is demand and gets its replica.
  const Case cases[] = {
      {"reactive noise", 100.002, std::nullopt, false, false, &Decision::reactive, 1},
      {"reactive excess", 100.5, std::nullopt, false, false, &Decision::reactive, 2},
      {"forecast noise", 50, 100.002, false, false, &Decision::predicted, 1},
      {"forecast excess", 50, 101, false, false, &Decision::predicted, 2},
      {"x4 event noise", 100.002, std::nullopt, true, false, &Decision::scheduled, 4},  // 400.008
      {"x4 event excess", 100.2, std::nullopt, true, false, &Decision::scheduled, 5},   // 400.8
      {"blind x4 event noise", 100.002, std::nullopt, true, true, &Decision::scheduled, 4},
      {"blind x4 event excess", 100.2, std::nullopt, true, true, &Decision::scheduled, 5},
  };
  const std::int64_t now = 1'000'020;  // 1970-01-12T13:47:00Z
  for (const auto& c : cases) {
    auto spec = specWith(c.event ? R"({"replicas":{"min":1},
                      "events":[{"name":"sale","start":"1970-01-12T13:45:00Z","duration":"10m","multiplier":4}]})"
                                 : R"({"replicas":{"min":1}})");
    predictor::Planner planner(plannerConfigOf(spec, true));
    Observed o = observed(now, 3, c.demand);
    o.prometheusAvailable = !c.blind;
    auto f = flatForecast(10, c.forecast.value_or(0));
    ForecastView view{&f, now, 30, "test", std::nullopt};
    auto d = decide(spec, o, c.forecast ? &view : nullptr, calendarOf(spec), 60, planner);
    EXPECT_EQ(d.*c.field, c.want) << c.name;
  }
}

TEST(ReconcilePlannerTest, CacheFollowsTheLargestDemandWithinBounds) {
  auto spec = specWith(
      R"({"cache":{"configMapRef":{"name":"c","key":"k"},"bytesPerDemandUnit":1048576,"min":"64Mi","max":"1Gi"}})");
  predictor::Planner planner(plannerConfigOf(spec, true));
  auto f = forecastOf(10, 500);
  ForecastView view{&f, 1000, 30, "test", std::nullopt};
  auto d = decide(spec, observed(1000, 5, 400), &view, {}, 60, planner);
  EXPECT_EQ(d.cacheBytes.value(), 600LL << 20);  // P90 600 x 1 MiB
  auto big = forecastOf(10, 5000);
  ForecastView bigView{&big, 1030, 30, "test", std::nullopt};
  EXPECT_EQ(decide(spec, observed(1030, 5, 400), &bigView, {}, 60, planner).cacheBytes.value(), 1LL << 30);
  EXPECT_EQ(decide(spec, observed(1060, 5, 1), nullptr, {}, 60, planner).cacheBytes.value(), 64LL << 20);
}

}  // namespace
}  // namespace tso::reconcile
