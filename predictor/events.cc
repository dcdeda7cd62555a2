#include "predictor/events.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "predictor/csv.h"

namespace tso::predictor {
namespace {

// Parses one cron field into `bits` over [lo, hi].
template <std::size_t N>
bool parseField(std::string_view f, int lo, int hi, std::bitset<N>& bits, bool& any) {
  any = f == "*";
  while (!f.empty()) {
    const auto comma = f.find(',');
    std::string_view part = f.substr(0, comma);
    f = comma == std::string_view::npos ? std::string_view{} : f.substr(comma + 1);
    int step = 1;
    if (const auto slash = part.find('/'); slash != std::string_view::npos) {
      const auto s = part.substr(slash + 1);
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc() || p != s.data() + s.size() || step <= 0) return false;
      part = part.substr(0, slash);
    }
    int a = lo, b = hi;
    if (part != "*") {
      const auto dash = part.find('-');
      const auto first = part.substr(0, dash);
      auto [p1, e1] = std::from_chars(first.data(), first.data() + first.size(), a);
      if (e1 != std::errc() || p1 != first.data() + first.size()) return false;
      b = a;
      if (dash != std::string_view::npos) {
        const auto second = part.substr(dash + 1);
        auto [p2, e2] = std::from_chars(second.data(), second.data() + second.size(), b);
        if (e2 != std::errc() || p2 != second.data() + second.size()) return false;
      } else if (step > 1) {
        b = hi;  // `a/step` means from a to the end
      }
    }
    if (a < lo || b > hi || a > b) return false;
    for (int v = a; v <= b; v += step) bits.set(static_cast<std::size_t>(v));
  }
  return true;
}

}  // namespace

Result<CronSchedule> CronSchedule::parse(std::string_view expr) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < expr.size()) {
    while (pos < expr.size() && expr[pos] == ' ') ++pos;
    const auto end = std::min(expr.find(' ', pos), expr.size());
    if (end > pos) fields.push_back(expr.substr(pos, end - pos));
    pos = end;
  }
  if (fields.size() != 5) return fail(ErrorCode::kInvalidArgument, "cron needs 5 fields: '" + std::string(expr) + "'");
  CronSchedule c;
  bool anyMin = false, anyHour = false, anyMonth = false;
  std::bitset<8> dow;
  if (!parseField(fields[0], 0, 59, c.minute_, anyMin) || !parseField(fields[1], 0, 23, c.hour_, anyHour) ||
      !parseField(fields[2], 1, 31, c.dom_, c.domAny_) || !parseField(fields[3], 1, 12, c.month_, anyMonth) ||
      !parseField(fields[4], 0, 7, dow, c.dowAny_)) {
    return fail(ErrorCode::kInvalidArgument, "bad cron expression '" + std::string(expr) + "'");
  }
  for (std::size_t d = 0; d < 7; ++d) c.dow_[d] = dow[d];
  if (dow[7]) c.dow_[0] = true;
  return c;
}

bool CronSchedule::matches(std::int64_t t) const {
  const std::int64_t days = (t >= 0 ? t : t - kSecondsPerDay + 1) / kSecondsPerDay;
  const std::int64_t sec = t - days * kSecondsPerDay;
  const auto minute = static_cast<std::size_t>((sec / 60) % 60);
  const auto hour = static_cast<std::size_t>(sec / 3600);
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const auto dom = static_cast<std::size_t>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<std::size_t>(mp < 10 ? mp + 3 : mp - 9);
  const auto dow = static_cast<std::size_t>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  if (!minute_[minute] || !hour_[hour] || !month_[month]) return false;
  const bool domOk = dom_[dom];
  const bool dowOk = dow_[dow];
  if (domAny_ || dowAny_) return domOk && dowOk;
  return domOk || dowOk;
}

double EventCalendar::multiplierAt(std::int64_t t) const {
  double m = 1.0;
  bool active = false;
  auto take = [&](double mult) {
    m = active ? std::max(m, mult) : mult;
    active = true;
  };
  for (const auto& e : oneOff_) {
    if (t >= e.start && t < e.start + e.durationSeconds) take(e.multiplier);
  }
  for (const auto& e : recurring_) {
    const std::int64_t span = std::min(e.durationSeconds, kSecondsPerDay);
    const std::int64_t minuteStart = t - ((t % 60) + 60) % 60;
    for (std::int64_t s = minuteStart; s > t - span; s -= 60) {
      if (e.schedule.matches(s)) {
        take(e.multiplier);
        break;
      }
    }
  }
  return m;
}

void EventCalendar::apply(Forecast& f, std::int64_t firstTime, std::int64_t step) const {
  if (empty()) return;
  for (std::size_t h = 0; h < f.point.size(); ++h) {
    const double m = multiplierAt(firstTime + static_cast<std::int64_t>(h) * step);
    if (m == 1.0) continue;
    f.point[h] *= m;
    for (auto& q : f.quantiles[h]) q *= m;
  }
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// One `start,duration,multiplier` line into the calendar.
Result<void> addEventLine(std::string_view line, std::size_t lineNo, EventCalendar& cal) {
  const auto c1 = line.find(',');
  const auto c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos) {
    return fail(ErrorCode::kParse, "want start,duration,multiplier", lineNo);
  }
  const auto start = trim(line.substr(0, c1));
  const auto duration = parseDuration(trim(line.substr(c1 + 1, c2 - c1 - 1)));
  const std::string multText(trim(line.substr(c2 + 1)));
  char* end = nullptr;
  const double mult = std::strtod(multText.c_str(), &end);
  if (!duration || *duration <= 0) return fail(ErrorCode::kParse, "duration must be positive, e.g. 2h", lineNo);
  if (multText.empty() || *end != '\0' || !(mult > 0)) {
    return fail(ErrorCode::kParse, "multiplier must be a number > 0", lineNo);
  }
  if (start.starts_with("cron:")) {
    auto cron = CronSchedule::parse(trim(start.substr(5)));
    if (!cron) return fail(ErrorCode::kParse, "bad cron schedule: " + cron.error().message, lineNo);
    if (*duration > kSecondsPerDay) return fail(ErrorCode::kParse, "a recurring event lasts at most a day", lineNo);
    cal.add(RecurringEvent{*cron, *duration, mult});
    return {};
  }
  const auto t = parseTimestamp(start);
  if (!t) return fail(ErrorCode::kParse, "start must be ISO-8601, unix seconds or cron:...", lineNo);
  cal.add(ScheduledEvent{*t, *duration, mult});
  return {};
}

}  // namespace

Result<EventCalendar> readEventsCsv(std::istream& in) {
  EventCalendar cal;
  std::string line;
  std::size_t lineNo = 0;
  bool first = true;  // the first line with content may be the header
  while (std::getline(in, line)) {
    ++lineNo;
    const auto text = trim(std::string_view(line).substr(0, line.find('#')));
    if (text.empty()) continue;
    const bool header = first && text.starts_with("start,");
    first = false;
    if (header) continue;
    if (auto st = addEventLine(text, lineNo, cal); !st) return std::unexpected(st.error());
  }
  return cal;
}

}  // namespace tso::predictor
