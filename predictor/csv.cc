#include "predictor/csv.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace tso::predictor {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
    s.remove_suffix(1);
  }
  return s;
}

bool parseInt(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Reads a fixed-width decimal field at `pos`, advancing it.
bool field(std::string_view s, std::size_t& pos, std::size_t width, int& out) {
  if (pos + width > s.size()) return false;
  if (!parseInt(s.substr(pos, width), out)) return false;
  pos += width;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

std::optional<std::int64_t> parseIso(std::string_view s) {
  std::size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!field(s, pos, 4, y) || !expect(s, pos, '-') || !field(s, pos, 2, mo) || !expect(s, pos, '-') ||
      !field(s, pos, 2, d)) {
    return std::nullopt;
  }
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!field(s, pos, 2, h) || !expect(s, pos, ':') || !field(s, pos, 2, mi)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!field(s, pos, 2, sec)) return std::nullopt;
    }
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {  // fractions are dropped
      ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    }
  }
  std::int64_t offset = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      ++pos;
      int oh = 0, om = 0;
      if (!field(s, pos, 2, oh)) return std::nullopt;
      if (pos < s.size() && s[pos] == ':') ++pos;
      if (pos < s.size() && !field(s, pos, 2, om)) return std::nullopt;
      offset = sign * (std::int64_t{oh} * 3600 + std::int64_t{om} * 60);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const auto days = sys_days{ymd}.time_since_epoch().count();
  return static_cast<std::int64_t>(days) * kSecondsPerDay + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + sec -
         offset;
}

std::optional<double> parseNumber(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool isMissingToken(std::string_view s) {
  return s.empty() || s == "NaN" || s == "nan" || s == "NAN" || s == "null" || s == "NA";
}

struct Row {
  std::int64_t t;
  double v;
  std::size_t line;
};

}  // namespace

std::optional<std::int64_t> parseTimestamp(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (auto iso = parseIso(text)) return iso;
  if (auto num = parseNumber(text); num && std::isfinite(*num) && std::abs(*num) < 1e15) {
    return static_cast<std::int64_t>(std::floor(*num));
  }
  return std::nullopt;
}

std::optional<std::int64_t> parseDuration(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  std::int64_t unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = kSecondsPerDay;
      text.remove_suffix(1);
      break;
    case 'w':
      unit = 7 * kSecondsPerDay;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n < 0) return std::nullopt;
  if (n > std::numeric_limits<std::int64_t>::max() / unit) return std::nullopt;
  return n * unit;
}

namespace {

// The row of one line, or nullopt for a blank line, a comment or the header (a first line
// whose timestamp is not a time). `rows`: those before it, which it must follow in time.
Result<std::optional<Row>> parseRow(std::string_view line, std::size_t lineNo, const std::vector<Row>& rows) {
  if (line.empty() || line.front() == '#') return std::nullopt;
  const auto comma = line.find(',');
  if (comma == std::string_view::npos) {
    return fail(ErrorCode::kParse, "expected `timestamp,value`, got '" + std::string(line) + "'", lineNo);
  }
  const std::string_view ts = trim(line.substr(0, comma));
  std::string_view val = trim(line.substr(comma + 1));
  if (const auto extra = val.find(','); extra != std::string_view::npos) {
    return fail(ErrorCode::kParse, "more than two columns", lineNo);
  }
  const auto t = parseTimestamp(ts);
  if (!t) {
    if (rows.empty() && lineNo == 1) return std::nullopt;
    return fail(ErrorCode::kParse, "bad timestamp '" + std::string(ts) + "'", lineNo);
  }
  double v = std::numeric_limits<double>::quiet_NaN();
  if (!isMissingToken(val)) {
    const auto num = parseNumber(val);
    if (!num || std::isinf(*num)) return fail(ErrorCode::kParse, "bad value '" + std::string(val) + "'", lineNo);
    v = *num;
    if (v < 0) return fail(ErrorCode::kNegative, "negative value " + std::string(val), lineNo);
  }
  if (!rows.empty() && *t == rows.back().t) {
    return fail(ErrorCode::kDuplicate, "duplicate timestamp (also on line " + std::to_string(rows.back().line) + ")",
                lineNo);
  }
  if (!rows.empty() && *t < rows.back().t) {
    return fail(ErrorCode::kNonMonotonic,
                "timestamp goes back in time (line " + std::to_string(rows.back().line) + " is later)", lineNo);
  }
  return Row{*t, v, lineNo};
}

Result<std::vector<Row>> readRows(std::istream& in) {
  std::vector<Row> rows;
  std::string raw;
  std::size_t lineNo = 0;
  while (std::getline(in, raw)) {
    ++lineNo;
    auto row = parseRow(trim(raw), lineNo, rows);
    if (!row) return std::unexpected(row.error());
    if (const std::optional<Row>& r = *row) rows.push_back(*r);
  }
  if (rows.empty()) return fail(ErrorCode::kEmpty, "no samples in the input");
  return rows;
}

// The step: the option's, or the smallest gap among the first rows (60 s for a single row).
Result<std::int64_t> stepOf(const std::vector<Row>& rows, const CsvOptions& options) {
  if (options.step) {
    if (*options.step <= 0) return fail(ErrorCode::kInvalidArgument, "step must be positive");
    return *options.step;
  }
  if (rows.size() == 1) return 60;
  std::int64_t step = rows[1].t - rows[0].t;
  for (std::size_t i = 2; i < rows.size() && i < 64; ++i) step = std::min(step, rows[i].t - rows[i - 1].t);
  return step;
}

// The rows on a grid of `step` seconds from the first, gaps and missing values repaired and
// counted.
Result<CsvTrace> onGrid(const std::vector<Row>& rows, std::int64_t step) {
  CsvTrace out;
  out.series.start = rows.front().t;
  out.series.step = step;
  const std::int64_t span = rows.back().t - rows.front().t;
  // A trace longer than ~100 million samples is a mistake (wrong step), not data.
  if (span / step > 100'000'000) return fail(ErrorCode::kInvalidArgument, "too many samples for this step");
  out.series.values.assign(static_cast<std::size_t>(span / step) + 1, std::numeric_limits<double>::quiet_NaN());
  for (const auto& r : rows) {
    const std::int64_t off = r.t - out.series.start;
    if (off % step != 0) {
      return fail(ErrorCode::kOffGrid,
                  "timestamp is not a whole number of " + std::to_string(step) + " s steps after the first", r.line);
    }
    out.series.values[static_cast<std::size_t>(off / step)] = r.v;
    if (std::isnan(r.v)) {
      ++out.missing;
      if (out.firstRepairLine == 0) out.firstRepairLine = r.line;
    }
  }
  out.gapSamples = out.series.values.size() - rows.size();
  for (std::size_t i = 1; out.gapSamples > 0 && out.firstRepairLine == 0 && i < rows.size(); ++i) {
    if (rows[i].t - rows[i - 1].t != step) out.firstRepairLine = rows[i].line;
  }
  fillMissing(out.series.values);
  return out;
}

}  // namespace

Result<CsvTrace> readCsv(std::istream& in, const CsvOptions& options) {
  const auto rows = readRows(in);
  if (!rows) return std::unexpected(rows.error());
  const auto step = stepOf(*rows, options);
  if (!step) return std::unexpected(step.error());
  return onGrid(*rows, *step);
}

}  // namespace tso::predictor
