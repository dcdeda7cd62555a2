#include "controller/kube/time_format.h"

#include <cstdio>
#include <ctime>

namespace tso::kube {

namespace {
std::string format(Clock::WallTime t, bool micro) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  if (secs > t) secs -= std::chrono::seconds(1);  // floor, also before the epoch
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];  // generous: the compiler cannot bound the tm fields
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, static_cast<size_t>(n));
  if (micro) {
    std::snprintf(buf, sizeof buf, ".%06ld", static_cast<long>(micros));
    out += buf;
  }
  return out + "Z";
}
}  // namespace

std::string formatTime(Clock::WallTime t) { return format(t, false); }
std::string formatMicroTime(Clock::WallTime t) { return format(t, true); }

}  // namespace tso::kube
