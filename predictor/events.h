// Scheduled events (a launch, a sale, a match): known in advance, so their demand multiplier is
// applied to the forecast instead of being learned after the fact. One-off (start + duration)
// or recurring on a five-field cron schedule, all in UTC unix seconds.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <istream>
#include <string_view>
#include <vector>

#include "predictor/forecaster.h"
#include "predictor/series.h"

namespace tso::predictor {

// Standard five fields: minute hour day-of-month month day-of-week (0 or 7 = Sunday), each
// `*`, a number, `a-b`, a list `a,b`, and `/step`. Day-of-month and day-of-week combine as in
// cron: when both are restricted, either matching is enough.
class CronSchedule {
 public:
  static Result<CronSchedule> parse(std::string_view expr);
  [[nodiscard]] bool matches(std::int64_t unixSeconds) const;  // at that minute

 private:
  std::bitset<60> minute_;
  std::bitset<24> hour_;
  std::bitset<32> dom_;
  std::bitset<13> month_;
  std::bitset<7> dow_;
  bool domAny_ = true;
  bool dowAny_ = true;
};

struct ScheduledEvent {
  std::int64_t start = 0;
  std::int64_t durationSeconds = 0;
  double multiplier = 1.0;
};

struct RecurringEvent {
  CronSchedule schedule;
  std::int64_t durationSeconds = 0;  // at most a day (older starts are not searched)
  double multiplier = 1.0;
};

class EventCalendar {
 public:
  void add(ScheduledEvent e) { oneOff_.push_back(e); }
  void add(RecurringEvent e) { recurring_.push_back(e); }
  [[nodiscard]] bool empty() const { return oneOff_.empty() && recurring_.empty(); }
  // The largest multiplier of the events active at `t` (1 when none).
  [[nodiscard]] double multiplierAt(std::int64_t t) const;
  // Scales point and quantiles of a forecast whose step 1 starts at `firstTime`.
  void apply(Forecast& f, std::int64_t firstTime, std::int64_t step) const;

 private:
  std::vector<ScheduledEvent> oneOff_;
  std::vector<RecurringEvent> recurring_;
};

// Events as CSV lines `start,duration,multiplier` (a header line is allowed; `#` starts a
// comment): start is ISO-8601 or unix seconds for a one-off event, or `cron:M H DOM MON DOW`
// for a recurring one; duration as `2h`, `90m`, `3600`; multiplier > 0. Errors name the line.
Result<EventCalendar> readEventsCsv(std::istream& in);

}  // namespace tso::predictor
