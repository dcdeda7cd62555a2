#include "predictor/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tso::predictor {

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  const double u1 = std::max(uniform(), 1e-300);
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Series synthesize(const SyntheticSpec& spec) {
  Series s;
  s.start = spec.start;
  s.step = spec.step > 0 ? spec.step : 60;
  const auto n = static_cast<std::size_t>(std::max(0, spec.days)) * static_cast<std::size_t>(kSecondsPerDay / s.step);
  s.values.resize(n);
  Rng rng(spec.seed);

  struct Crowd {
    std::size_t at;
    std::size_t len;
  };
  std::vector<Crowd> crowds;
  const auto crowdLen =
      static_cast<std::size_t>(std::max<std::int64_t>(1, std::int64_t{spec.flashMinutes} * 60 / s.step));
  for (int i = 0; i < spec.flashCrowds && n > 0; ++i) {
    crowds.push_back({static_cast<std::size_t>(rng.uniform() * static_cast<double>(n)), crowdLen});
  }

  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = s.timeAt(i);
    const double dayPhase = static_cast<double>(((t % kSecondsPerDay) + kSecondsPerDay) % kSecondsPerDay) /
                            static_cast<double>(kSecondsPerDay);
    // Peak mid-afternoon, trough before dawn, with a second harmonic for a sharper morning ramp.
    const double daily = 1.0 + spec.dailyAmplitude * (0.8 * std::sin(2 * std::numbers::pi * (dayPhase - 0.375)) +
                                                      0.2 * std::sin(4 * std::numbers::pi * (dayPhase - 0.3)));
    const std::int64_t dayIndex = (t / kSecondsPerDay + 4) % 7;  // 0 = Sunday (1970-01-01 was a Thursday)
    const double weekly = (dayIndex == 0 || dayIndex == 6) ? spec.weekendFactor : 1.0;
    const double growth = std::pow(1.0 + spec.growthPerDay, static_cast<double>(i * static_cast<std::size_t>(s.step)) /
                                                                static_cast<double>(kSecondsPerDay));
    double mean = spec.base * std::max(0.0, daily) * weekly * growth;
    for (const auto& c : crowds) {
      if (i >= c.at && i < c.at + c.len) {
        const double frac = 1.0 - static_cast<double>(i - c.at) / static_cast<double>(c.len);
        mean *= 1.0 + (spec.flashMagnitude - 1.0) * frac;
      }
    }
    const auto day = static_cast<std::int64_t>(i) * s.step / kSecondsPerDay;
    if (spec.shiftDay >= 0 && day >= spec.shiftDay && (spec.shiftDays <= 0 || day < spec.shiftDay + spec.shiftDays)) {
      mean *= std::max(0.0, spec.shiftFactor);
    }
    double v = mean * (1.0 + spec.noise * rng.normal());
    if (spec.poisson) v += std::sqrt(std::max(0.0, v)) * rng.normal();
    s.values[i] = std::max(0.0, std::round(v));
  }
  return s;
}

}  // namespace tso::predictor
