#include "controller/reconcile/service_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numbers>

namespace tso::reconcile {
namespace {

// `n` samples of 100 + 50 sin(2 pi t / period), plus uniform noise of +-`noise` from a fixed LCG.
std::vector<double> seasonal(std::size_t n, double period, double noise = 0) {
  std::vector<double> y(n);
  std::uint64_t state = 12345;
  for (std::size_t t = 0; t < n; ++t) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
    y[t] = 100 + 50 * std::sin(2 * std::numbers::pi * static_cast<double>(t) / period) + noise * (2 * u - 1);
  }
  return y;
}

bool mentions(const std::vector<std::string>& notes, const std::string& text) {
  for (const auto& n : notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ServiceModelTest, PeriodicUsesOnlyTheDetectedPeriodAndSaysWhenThereIsNone) {
  struct Case {
    const char* name;
    std::int64_t step;
    std::vector<double> history;
    const char* selects;  // a candidate the selection names; empty: none is found
  };
  const std::vector<Case> cases = {
      // A 90-minute cycle at 1-minute steps: neither a day nor a week.
      {"90 min cycle", 60, seasonal(3 * 1440, 90, 5), "periodic_90"},
      // A daily cycle at 5-minute steps: the period found is the day, still a periodic model.
      {"daily cycle", 300, seasonal(7 * 288, 288, 5), "periodic_288"},
      // Noise alone repeats nothing.
      {"noise", 60, seasonal(3 * 1440, 1e12, 40), ""},
  };
  for (const auto& c : cases) {
    ServiceModel model("Periodic", c.step, 48);
    const auto fit = model.fit(c.history);
    std::string notes;
    for (const auto& n : fit.notes) notes += n + "; ";
    if (*c.selects != '\0') {
      EXPECT_NE(fit.selection.find(c.selects), std::string::npos) << c.name << ": " << fit.selection;
      EXPECT_FALSE(mentions(fit.notes, "no period")) << c.name << ": " << notes;
    } else {
      EXPECT_TRUE(mentions(fit.notes, "periodic: no period found")) << c.name << ": " << notes;
      EXPECT_NE(fit.selection.find("naive"), std::string::npos) << c.name << ": " << fit.selection;
    }
    // Auto's other families (level, trend, regression, calendar seasons) are not candidates.
    for (const char* other : {"ewma", "linear_trend", "log_regression", "holt_winters", "seasonal_naive"}) {
      EXPECT_EQ(fit.selection.find(other), std::string::npos) << c.name << ": " << fit.selection;
    }
  }
}

TEST(ServiceModelTest, SeasonalNaiveRepeatsYesterdayAtShortSteps) {
  struct Case {
    std::int64_t step;
    std::size_t maxBytes;  // the per-service budget: Auto keeps ~5 KB, FleetRegression ~40 KB
  };
  for (const Case c : {Case{15, 16'384}, Case{30, 16'384}, Case{60, 16'384}}) {
    const std::size_t day = static_cast<std::size_t>(86400 / c.step);
    auto history = seasonal(5 * day, static_cast<double>(day));
    ServiceModel model("SeasonalNaive", c.step, 48);
    const auto fit = model.fit(history);
    EXPECT_NE(fit.selection.find("seasonal_naive_day"), std::string::npos) << c.step << ": " << fit.selection;
    predictor::Forecast f;
    model.forecast(f);
    ASSERT_EQ(f.point.size(), 48U);
    // A day ago, within the resolution the ring keeps (at most 43 s of a day-long sine:
    // 50 x 2 pi x 43 / 86400 = 0.16).
    for (std::size_t h = 1; h <= 48; ++h) {
      const double want =
          100 + 50 * std::sin(2 * std::numbers::pi * static_cast<double>(5 * day + h - 1) / static_cast<double>(day));
      EXPECT_NEAR(f.point[h - 1], want, 0.2) << c.step << " h=" << h;
    }
    EXPECT_LT(model.stateBytes(), c.maxBytes) << c.step;
  }
}

}  // namespace
}  // namespace tso::reconcile
