#include "controller/reconcile/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <utility>

namespace tso::reconcile {

namespace {

std::unexpected<Error> invalid(std::string_view what, std::string_view text) {
  return fail(ErrorCode::kInvalid, "\"" + std::string(text) + "\" is not " + std::string(what));
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

Result<std::int64_t> parseDurationMs(std::string_view text) {
  if (text.empty()) return invalid("a duration (e.g. 30s, 5m, 1h30m, 7d)", text);
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (isDigit(text[i]) || text[i] == '.')) ++i;
    if (i == start) return invalid("a duration (e.g. 30s, 5m, 1h30m, 7d)", text);
    double number = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + i, number);
    if (ec != std::errc() || ptr != text.data() + i) {
      return invalid("a duration (e.g. 30s, 5m, 1h30m, 7d)", text);
    }
    std::size_t unitStart = i;
    while (i < text.size() && !isDigit(text[i]) && text[i] != '.') ++i;
    std::string_view unit = text.substr(unitStart, i - unitStart);
    double ms = 0;
    if (unit == "ms")
      ms = 1;
    else if (unit == "s")
      ms = 1e3;
    else if (unit == "m")
      ms = 60e3;
    else if (unit == "h")
      ms = 3600e3;
    else if (unit == "d")
      ms = 86400e3;
    else if (unit == "w")
      ms = 7 * 86400e3;
    else
      return invalid("a duration: units are ms, s, m, h, d, w", text);
    double add = number * ms;
    if (add > 1e15) return invalid("a duration of a sensible length", text);
    total += static_cast<std::int64_t>(std::llround(add));
  }
  return total;
}

Result<std::int64_t> parseQuantityBytes(std::string_view text) {
  const std::string_view what = "a quantity (e.g. 64Mi, 4Gi, 500M)";
  std::size_t i = 0;
  while (i < text.size() && (isDigit(text[i]) || text[i] == '.' || text[i] == '+')) ++i;
  if (i == 0) return invalid(what, text);
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data() + (text[0] == '+' ? 1 : 0), text.data() + i, number);
  if (ec != std::errc() || ptr != text.data() + i) return invalid(what, text);
  std::string_view suffix = text.substr(i);
  static constexpr std::array<std::pair<std::string_view, double>, 13> kSuffixes = {{
      {"", 1},
      {"k", 1e3},
      {"M", 1e6},
      {"G", 1e9},
      {"T", 1e12},
      {"P", 1e15},
      {"E", 1e18},
      {"Ki", 1024.0},
      {"Mi", 1048576.0},
      {"Gi", 1073741824.0},
      {"Ti", 1099511627776.0},
      {"Pi", 1125899906842624.0},
      {"Ei", 1152921504606846976.0},
  }};
  double factor = 0;
  for (const auto& [s, f] : kSuffixes) {
    if (s == suffix) factor = f;
  }
  if (factor == 0 && suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    int exponent = 0;
    auto [p2, ec2] = std::from_chars(suffix.data() + 1, suffix.data() + suffix.size(), exponent);
    if (ec2 == std::errc() && p2 == suffix.data() + suffix.size() && exponent >= 0 && exponent <= 18) {
      factor = std::pow(10.0, exponent);
    }
  }
  if (factor == 0) return invalid(what, text);
  double bytes = std::ceil(number * factor);
  if (bytes > 9.0e18) return invalid("a quantity below 8Ei", text);
  return static_cast<std::int64_t>(bytes);
}

std::string formatQuantityBytes(std::int64_t bytes) {
  static constexpr std::array<std::pair<const char*, std::int64_t>, 5> kBinary = {{
      {"Pi", 1LL << 50},
      {"Ti", 1LL << 40},
      {"Gi", 1LL << 30},
      {"Mi", 1LL << 20},
      {"Ki", 1LL << 10},
  }};
  if (bytes > 0) {
    for (const auto& [suffix, unit] : kBinary) {
      if (bytes % unit == 0) return std::to_string(bytes / unit) + suffix;
    }
  }
  return std::to_string(bytes);
}

std::string formatRfc3339(std::int64_t unixSeconds) {
  std::time_t t = static_cast<std::time_t>(unixSeconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::int64_t> parseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > text.size()) return false;
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && p == text.data() + pos + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || !num(0, 4, y) || text[4] != '-' || !num(5, 2, mo) || text[7] != '-' || !num(8, 2, d) ||
      (text[10] != 'T' && text[10] != 't') || !num(11, 2, h) || text[13] != ':' || !num(14, 2, mi) || text[16] != ':' ||
      !num(17, 2, s)) {
    return invalid("an RFC 3339 time (e.g. 2026-12-01T09:00:00Z)", text);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return invalid("an RFC 3339 time (e.g. 2026-12-01T09:00:00Z)", text);
  }
  std::size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && isDigit(text[i])) ++i;
  }
  std::int64_t offset = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z') && i + 1 == text.size()) {
    offset = 0;
  } else if (i + 6 == text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh = 0, om = 0;
    if (!num(i + 1, 2, oh) || text[i + 3] != ':' || !num(i + 4, 2, om)) {
      return invalid("an RFC 3339 time (e.g. 2026-12-01T09:00:00Z)", text);
    }
    offset = (text[i] == '+' ? 1 : -1) * (std::int64_t{oh} * 3600 + std::int64_t{om} * 60);
  } else {
    return invalid("an RFC 3339 time (e.g. 2026-12-01T09:00:00Z)", text);
  }
  std::int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * 86400 + std::int64_t{h} * 3600 + std::int64_t{mi} * 60 + s - offset;
}

std::string formatDuration(std::int64_t seconds) {
  if (seconds <= 0) return "0s";
  std::string out;
  for (const auto& [unit, size] :
       {std::pair{"d", 86400}, std::pair{"h", 3600}, std::pair{"m", 60}, std::pair{"s", 1}}) {
    if (seconds >= size) out += std::to_string(seconds / size) + unit;
    seconds %= size;
  }
  return out;
}

}  // namespace tso::reconcile
