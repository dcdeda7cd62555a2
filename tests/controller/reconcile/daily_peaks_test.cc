#include "controller/reconcile/daily_peaks.h"

#include <gtest/gtest.h>

#include <limits>

namespace tso::reconcile {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMonday = 1'700'438'400;  // 2023-11-20 00:00 UTC

TEST(DailyPeaksTest, AnswersWithYesterdaysPeakInTheSameFiveMinutes) {
  DailyPeaks p(30);
  // Yesterday 10:00-10:05 demand 100..190, then 10:05 onwards 500.
  for (int i = 0; i < 10; ++i) p.add(static_cast<double>(kMonday + 36000 + 30 * i), 100.0 + 10 * i);
  p.add(static_cast<double>(kMonday + 36300), 500);
  EXPECT_EQ(p.dayBefore(kMonday + kDay + 36000 + 120), 190.0);
  EXPECT_EQ(p.dayBefore(kMonday + kDay + 36300), 500.0);
  // A slot yesterday never saw, and the day after tomorrow: unknown.
  EXPECT_EQ(p.dayBefore(kMonday + kDay + 40000), std::nullopt);
  EXPECT_EQ(p.dayBefore(kMonday + 2 * kDay + 36000), std::nullopt);
}

TEST(DailyPeaksTest, TodaysVisitDoesNotHideYesterday) {
  DailyPeaks p(60);
  p.add(static_cast<double>(kMonday + 600), 80);           // Monday 00:10
  p.add(static_cast<double>(kMonday + kDay + 610), 20);    // Tuesday 00:10, the same slot
  EXPECT_EQ(p.dayBefore(kMonday + kDay + 650), 80.0);      // asked on Tuesday: Monday's
  EXPECT_EQ(p.dayBefore(kMonday + 2 * kDay + 650), 20.0);  // asked on Wednesday: Tuesday's
  // An older day arriving late (a history read after new samples) fills in, not over.
  p.add(static_cast<double>(kMonday - kDay + 600), 999);
  EXPECT_EQ(p.dayBefore(kMonday + kDay + 650), 80.0);
}

TEST(DailyPeaksTest, IgnoresNonFiniteSamplesAndUsesLongStepsAsSlots) {
  DailyPeaks p(3600);  // hourly steps: 24 slots
  p.add(static_cast<double>(kMonday + 7200), std::numeric_limits<double>::quiet_NaN());
  p.add(static_cast<double>(kMonday + 7200), std::numeric_limits<double>::infinity());
  EXPECT_EQ(p.dayBefore(kMonday + kDay + 7200), std::nullopt);
  p.add(static_cast<double>(kMonday + 7200), 42);
  EXPECT_EQ(p.dayBefore(kMonday + kDay + 7200 + 3599), 42.0);
  EXPECT_EQ(p.memoryBytes(), 24 * 2 * 8u);
}

}  // namespace
}  // namespace tso::reconcile
