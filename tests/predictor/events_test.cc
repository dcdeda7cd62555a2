#include "predictor/events.h"

#include <gtest/gtest.h>

#include "predictor/csv.h"

namespace tso::predictor {
namespace {

std::int64_t at(const char* iso) { return *parseTimestamp(iso); }

TEST(EventsTest, CronMatchesFields) {
  auto c = CronSchedule::parse("30 18 * * 1-5");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->matches(at("2024-01-02T18:30:00Z")));   // Tuesday
  EXPECT_FALSE(c->matches(at("2024-01-06T18:30:00Z")));  // Saturday
  EXPECT_FALSE(c->matches(at("2024-01-02T18:31:00Z")));
  auto every15 = CronSchedule::parse("*/15 * * * *");
  ASSERT_TRUE(every15);
  EXPECT_TRUE(every15->matches(at("2024-03-01T07:45:00Z")));
  EXPECT_FALSE(every15->matches(at("2024-03-01T07:46:00Z")));
  auto sunday = CronSchedule::parse("0 0 * * 7");
  ASSERT_TRUE(sunday);
  EXPECT_TRUE(sunday->matches(at("2024-01-07T00:00:00Z")));
}

TEST(EventsTest, BadCronIsInvalidArgument) {
  for (const char* bad : {"* * * *", "61 * * * *", "a b c d e", "5-1 * * * *", "*/0 * * * *"}) {
    auto c = CronSchedule::parse(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(EventsTest, CalendarScalesTheForecastInsideEvents) {
  EventCalendar cal;
  cal.add(ScheduledEvent{1000, 120, 3.0});
  cal.add(RecurringEvent{*CronSchedule::parse("0 12 * * *"), 3600, 2.0});
  EXPECT_EQ(cal.multiplierAt(999), 1.0);
  EXPECT_EQ(cal.multiplierAt(1000), 3.0);
  EXPECT_EQ(cal.multiplierAt(1120), 1.0);
  EXPECT_EQ(cal.multiplierAt(at("2024-01-02T12:59:00Z")), 2.0);
  EXPECT_EQ(cal.multiplierAt(at("2024-01-02T13:00:00Z")), 1.0);

  Forecast f;
  f.point = {10, 10, 10};
  f.quantiles = {Quantiles{10, 11, 12, 13}, Quantiles{10, 11, 12, 13}, Quantiles{10, 11, 12, 13}};
  cal.apply(f, 940, 60);  // steps at 940, 1000, 1060
  EXPECT_EQ(f.point[0], 10);
  EXPECT_EQ(f.point[1], 30);
  EXPECT_EQ(f.quantiles[2][kP99], 39);
}

}  // namespace
}  // namespace tso::predictor
