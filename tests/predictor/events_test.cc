#include "predictor/events.h"

#include <gtest/gtest.h>

#include <sstream>

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

TEST(EventsTest, ReadsOneOffAndRecurringEventsFromCsv) {
  std::istringstream in(
      "# a match schedule\n"
      "start,duration,multiplier\n"
      "1998-06-10T15:30:00Z,2h,1.5   # opening match\n"
      "\n"
      "cron:0 12 * * 6,90m,2\n");
  auto cal = readEventsCsv(in);
  ASSERT_TRUE(cal) << cal.error().toString();
  EXPECT_EQ(cal->multiplierAt(at("1998-06-10T15:29:00Z")), 1.0);
  EXPECT_EQ(cal->multiplierAt(at("1998-06-10T15:30:00Z")), 1.5);
  EXPECT_EQ(cal->multiplierAt(at("1998-06-10T17:29:59Z")), 1.5);
  EXPECT_EQ(cal->multiplierAt(at("1998-06-10T17:30:00Z")), 1.0);
  EXPECT_EQ(cal->multiplierAt(at("1998-06-13T13:29:00Z")), 2.0);  // a Saturday, 12:00 + 89 min
  EXPECT_EQ(cal->multiplierAt(at("1998-06-13T13:30:00Z")), 1.0);
}

TEST(EventsTest, BadEventLinesAreRejectedWithTheirLine) {
  struct Case {
    const char* text;
    std::size_t line;
    const char* says;
  };
  const Case cases[] = {
      {"start,duration,multiplier\nyesterday,2h,1.5\n", 2, "start must be"},
      {"1998-06-10T15:30:00Z,0,1.5\n", 1, "duration must be positive"},
      {"1998-06-10T15:30:00Z,2h,-1\n", 1, "multiplier must be"},
      {"1998-06-10T15:30:00Z,2h,x\n", 1, "multiplier must be"},
      {"1998-06-10T15:30:00Z,2h\n", 1, "want start,duration,multiplier"},
      {"# ok\ncron:61 * * * *,1h,2\n", 2, "bad cron schedule"},
      {"cron:0 12 * * *,2d,2\n", 1, "at most a day"},
  };
  for (const auto& c : cases) {
    std::istringstream in(c.text);
    auto cal = readEventsCsv(in);
    ASSERT_FALSE(cal) << c.text;
    EXPECT_EQ(cal.error().code, ErrorCode::kParse) << c.text;
    EXPECT_EQ(cal.error().line, c.line) << c.text;
    EXPECT_NE(cal.error().message.find(c.says), std::string::npos) << cal.error().message;
  }
}

}  // namespace
}  // namespace tso::predictor
