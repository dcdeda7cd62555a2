#include "predictor/forecaster.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <numeric>

#include "predictor/calibration.h"
#include "predictor/period.h"
#include "predictor/regression.h"
#include "predictor/simd.h"
#include "predictor/simple_models.h"
#include "predictor/smoothing.h"

namespace tso::predictor {
namespace {

constexpr double kScaleAlpha = kNoiseScaleAlpha;
constexpr double kScaleClip = kNoiseScaleClip;

// The noise unit: an EW mean of |y(t) - y(t-1)|, each step clipped at kScaleClip units. A
// spike's own steps would otherwise inflate the unit so much that the jump test misses the
// spike's end (WorldCup98: a 6-minute spike of 50x raised it 40-fold); clipped, the unit
// still grows 25 % a step when the noise really does grow.
double nextScale(double scale, double absStep) {
  const double cap = scale > 0 ? kScaleClip * scale : absStep;
  return scale + kScaleAlpha * (std::min(absStep, cap) - scale);
}
constexpr std::size_t kMaxValidationOrigins = 720;

// Bit c set: some horizon's choice uses candidate c.
template <typename Choices>
std::uint64_t usedMask(const Choices& choices) {
  std::uint64_t used = 0;
  for (const auto& ch : choices) {
    for (std::size_t j = 0; j < ch.count; ++j) used |= std::uint64_t{1} << ch.idx[j];
  }
  return used;
}
constexpr std::size_t kNq = kQuantileLevels.size();

// The quantiles of steps [0, n) from normalised error rows of kNq floats `stride` bytes apart
// from `rows` on (the quantile rows inside the Choice array, or a candidate's table). Rows are
// non-decreasing in k (fit() makes them so) and scale > 0, so the running max from 0 the
// quantiles need is a clamp at 0. With `median` the point becomes the P50: absolute error is
// the metric, and request counts are right-skewed (bursts), so the mean the models estimate
// sits above the median. Cloned for AVX2, as log_regression's exponential is: without FMA in
// the clone each product and sum rounds as in the default one, so forecasts do not depend on
// the machine.
TSO_AVX2_CLONES void quantileRows(const unsigned char* rows, std::size_t stride, std::size_t n, double scale,
                                  bool median, double* point, Quantiles* q) {
  for (std::size_t h = 0; h < n; ++h) {
    std::array<float, kNq> t{};
    std::memcpy(t.data(), rows + h * stride, sizeof(t));
    const double p = point[h];
    for (std::size_t k = 0; k < kNq; ++k) q[h][k] = std::max(0.0, p + scale * t[k]);
    if (median) point[h] = q[h][kP50];
  }
}

}  // namespace

Forecaster::Forecaster(ForecasterConfig config) : config_(std::move(config)) {
  config_.horizon = std::max(1, config_.horizon);
  if (config_.step <= 0) config_.step = 60;
}

Forecaster::~Forecaster() = default;
Forecaster::Forecaster(Forecaster&&) noexcept = default;
Forecaster& Forecaster::operator=(Forecaster&&) noexcept = default;

Forecaster::Forecaster(const Forecaster& other)
    : choice_(other.choice_),
      scale_(other.scale_),
      last_(other.last_),
      lastPoint1_(other.lastPoint1_),
      hasLast_(other.hasLast_),
      steps_(other.steps_),
      runEnd_(other.runEnd_),
      runs_(other.runs_),
      used_(other.used_),
      aside_(other.aside_),
      guard_(other.guard_),
      naiveErr_(other.naiveErr_),
      candidateTables_(other.candidateTables_),
      config_(other.config_),
      report_(other.report_) {
  models_.reserve(other.models_.size());
  for (const auto& m : other.models_) models_.push_back(m->clone());
  refreshHot();
}

void Forecaster::refreshHot() {
  hot_.fill(nullptr);
  for (std::size_t c = 0; c < std::min(kHot, models_.size()); ++c) hot_[c] = models_[c].get();
}

Forecaster& Forecaster::operator=(const Forecaster& other) {
  if (this != &other) {
    Forecaster copy(other);
    *this = std::move(copy);
  }
  return *this;
}

double Forecaster::scaleNow() const { return std::max(scale_, 1e-3 * std::abs(last_) + 1e-9); }

double empiricalQuantile(std::vector<double>& values, double level) {
  if (values.empty()) return 0.0;
  const double pos = std::clamp(level, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, values.size() - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(lo), values.end());
  const double a = values[lo];
  if (hi == lo) return a;
  const double b = *std::min_element(values.begin() + static_cast<long>(hi), values.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

double empiricalQuantileFrom(std::vector<double>& values, double level, std::size_t& from) {
  if (values.empty()) return 0.0;
  const double pos = std::clamp(level, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, values.size() - 1);
  if (lo >= from)
    std::nth_element(values.begin() + static_cast<long>(from), values.begin() + static_cast<long>(lo), values.end());
  from = std::max(from, lo + 1);
  const double a = values[lo];
  if (hi == lo) return a;
  const double b = *std::min_element(values.begin() + static_cast<long>(hi), values.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

void Forecaster::buildCandidates(std::size_t train, std::span<const double> history) {
  const Seasonality season = seasonalityFor(config_.step);
  const auto& only = config_.onlyModels;
  // onlyModels names candidates exactly, except kPeriodicFamily, which names the model on
  // whatever period is detected (periodic_<samples>).
  auto named = [&](const std::string& name) {
    return std::any_of(only.begin(), only.end(), [&](const std::string& m) {
      return m == name || (m == kPeriodicFamily && name.starts_with("periodic_"));
    });
  };
  auto wanted = [&](const std::string& name) { return only.empty() || named(name); };
  std::vector<std::unique_ptr<Model>> all;
  all.push_back(std::make_unique<NaiveModel>());
  all.push_back(std::make_unique<EwmaModel>());
  all.push_back(std::make_unique<LinearTrendModel>());
  all.push_back(std::make_unique<LogRegressionModel>(season.day, config_.horizon));
  if (season.day > 0) {
    // A seasonal naive whose ring does not fit is offered only when asked for by name, then
    // at a coarser phase (SeasonalNaiveModel's maxRing).
    const std::array<std::pair<int, const char*>, 2> naives = {
        {{season.day, "seasonal_naive_day"}, {season.week, "seasonal_naive_week"}}};
    for (const auto& [period, label] : naives) {
      if (static_cast<std::size_t>(period) <= config_.maxRingSamples || named(label)) {
        all.push_back(std::make_unique<SeasonalNaiveModel>(period, label, config_.maxRingSamples));
      }
    }
    all.push_back(
        std::make_unique<SmoothingModel>(SmoothingSpec{"holt_winters", SeasonalForm::kAdditive, true, season.day, 0}));
    all.push_back(std::make_unique<SmoothingModel>(
        SmoothingSpec{"holt_winters_mult", SeasonalForm::kMultiplicative, true, season.day, 0}));
    all.push_back(std::make_unique<SmoothingModel>(
        SmoothingSpec{"double_seasonal_hw", SeasonalForm::kAdditive, true, season.day, season.week}));
    all.push_back(std::make_unique<SmoothingModel>(
        SmoothingSpec{"double_seasonal_hw_mult", SeasonalForm::kMultiplicative, true, season.day, season.week}));
  }
  addPeriodic(train, history, all);
  for (auto& m : all) {
    const std::string name = m->name();
    if (!wanted(name)) continue;
    if (m->minHistory() > train) {
      report_.notes.push_back(name + " skipped: needs " + std::to_string(m->minHistory()) +
                              " samples of training history, have " + std::to_string(train));
      continue;
    }
    models_.push_back(std::move(m));
  }
}

void Forecaster::addPeriodic(std::size_t train, std::span<const double> history,
                             std::vector<std::unique_ptr<Model>>& all) {
  const Seasonality season = seasonalityFor(config_.step);
  const auto& only = config_.onlyModels;
  const bool periodicOnly = !only.empty() && std::all_of(only.begin(), only.end(), [](const std::string& m) {
    return m == kPeriodicFamily || m.starts_with("periodic_");
  });
  // A season that is neither a day nor a week (or any season when the step does not divide a
  // day) is found by autocorrelation on the training part: unless onlyModels rules it out,
  // since the search is a few percent of a refit.
  const bool periodicWanted = only.empty() || std::any_of(only.begin(), only.end(), [](const std::string& m) {
                                return m == kPeriodicFamily || m.starts_with("periodic_");
                              });
  if (!periodicWanted) return;
  std::optional<DetectedPeriod> p;
  if (train >= 64)
    p = detectPeriod(history.first(train), 4, static_cast<int>(std::min<std::size_t>(train / 3, 20'000)));
  if (!p) {
    if (periodicOnly) {
      report_.notes.push_back("periodic: no period found by autocorrelation in " + std::to_string(train) +
                              " samples of training history");
    }
    return;
  }
  // A day or a week is left to the calendar-season models; when only periodic models are
  // wanted, it is taken as the exact day or week (the lag found is within 2 % of it).
  auto near = [&](int target) { return target > 0 && std::abs(p->period - target) <= std::max(1, target / 50); };
  int period = p->period;
  if (near(season.day) || near(season.week)) {
    if (!periodicOnly) return;
    period = near(season.day) ? season.day : season.week;
  }
  all.push_back(std::make_unique<SmoothingModel>(
      SmoothingSpec{"periodic_" + std::to_string(period), SeasonalForm::kAdditive, true, period, 0}));
}

// Every candidate's forecast from each validation origin, and the noise unit there.
struct ValidationMatrix {
  std::span<const double> history;
  std::size_t candidates = 0;
  std::size_t horizon = 0;
  std::vector<std::size_t> origins;
  std::vector<double> originScale;
  std::vector<double> forecasts;  // [origin][candidate][h]
  double endScale = 0;            // the noise unit after the whole history

  [[nodiscard]] std::size_t size() const { return origins.size(); }
  [[nodiscard]] double at(std::size_t o, std::size_t c, std::size_t h) const {
    return forecasts[(o * candidates + c) * horizon + h];
  }
  // The sample forecast h + 1 steps after origin o, if the history has it.
  [[nodiscard]] const double* actual(std::size_t o, std::size_t h) const {
    const std::size_t idx = origins[o] + h;
    return idx < history.size() ? &history[idx] : nullptr;
  }
};

namespace {

// The search options every candidate fits with: the horizons that matter, scored on the last
// days of the training part.
FitOptions searchOptions(const ForecasterConfig& config, std::size_t train, std::size_t day) {
  std::vector<int> focus = config.focusHorizons;
  if (focus.empty()) focus = {1, std::max(1, config.horizon / 2), config.horizon};
  FitOptions fo;
  fo.horizons = focus;
  fo.scoreWindow = std::min(train, std::max<std::size_t>(3 * day, 1000));
  fo.stride = 3;
  if (config.fastSearch) {
    fo.warmup = std::max<std::size_t>(day, 500);
    fo.earlyStop = true;
  }
  return fo;
}

// Mean absolute error of `forecastAt(o)` against the actuals of horizon h, infinite when none.
template <typename ForecastAt>
double maeAt(const ValidationMatrix& m, std::size_t h, ForecastAt&& forecastAt) {
  double s = 0;
  std::size_t cnt = 0;
  for (std::size_t o = 0; o < m.size(); ++o) {
    if (const double* y = m.actual(o, h)) {
      s += std::abs(*y - forecastAt(o));
      ++cnt;
    }
  }
  return cnt > 0 ? s / static_cast<double>(cnt) : std::numeric_limits<double>::infinity();
}

// Validation MAE per candidate and horizon: mae[c * H + h].
std::vector<double> validationMae(const ValidationMatrix& m) {
  const std::size_t H = m.horizon;
  std::vector<double> mae(m.candidates * H, std::numeric_limits<double>::infinity());
  for (std::size_t c = 0; c < m.candidates; ++c) {
    for (std::size_t h = 0; h < H; ++h) mae[c * H + h] = maeAt(m, h, [&](std::size_t o) { return m.at(o, c, h); });
  }
  return mae;
}

// Each candidate's one-step error over the naive forecast's (y(t-1)) in validation: the level
// the guard in update() compares the candidate's recent one-step error with.
std::vector<double> oneStepRatios(const ValidationMatrix& m, const std::vector<double>& mae) {
  std::vector<double> ratio(m.candidates, 1.0);
  double naive = 0;
  std::size_t cnt = 0;
  for (std::size_t o = 0; o < m.size(); ++o) {
    if (const double* y = m.actual(o, 0)) {
      naive += std::abs(*y - m.history[m.origins[o] - 1]);
      ++cnt;
    }
  }
  if (cnt == 0 || !(naive > 0)) return ratio;
  naive /= static_cast<double>(cnt);
  for (std::size_t c = 0; c < m.candidates; ++c) {
    if (std::isfinite(mae[c * m.horizon])) ratio[c] = mae[c * m.horizon] / naive;
  }
  return ratio;
}

// The choice at horizon h: the best candidate or the mean of the best two or three, ranked on
// the MAE averaged over neighbouring horizons (one horizon alone is a noisy ranking). A
// combination must win clearly (0.5 %) to be preferred over fewer models.
HorizonChoice chooseAt(const ValidationMatrix& m, const std::vector<double>& mae, std::size_t h) {
  const std::size_t H = m.horizon;
  const std::size_t nc = m.candidates;
  const std::size_t lo = h >= 2 ? h - 2 : 0;
  const std::size_t hi = std::min(H - 1, h + 2);
  std::vector<double> smooth(nc, 0.0);
  for (std::size_t c = 0; c < nc; ++c) {
    for (std::size_t k = lo; k <= hi; ++k) smooth[c] += mae[c * H + k];
  }
  std::vector<std::size_t> order(nc);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return smooth[a] < smooth[b]; });
  HorizonChoice best;
  double bestErr = std::numeric_limits<double>::infinity();
  for (std::size_t k = 1; k <= std::min<std::size_t>(3, nc); ++k) {
    const double err = maeAt(m, h, [&](std::size_t o) {
      double f = 0;
      for (std::size_t j = 0; j < k; ++j) f += m.at(o, order[j], h);
      return f / static_cast<double>(k);
    });
    if (k == 1 || err < bestErr * 0.995) {
      bestErr = k == 1 ? err : std::min(bestErr, err);
      best = HorizonChoice{};
      best.count = static_cast<std::uint8_t>(k);
      for (std::size_t j = 0; j < k; ++j) best.idx[j] = static_cast<std::uint8_t>(order[j]);
    }
  }
  return best;
}

// Normalised error quantiles of `forecastAt(o, h)` per horizon: table[h * kNq + k].
template <typename ForecastAt>
std::vector<float> errorTable(const ValidationMatrix& m, ForecastAt&& forecastAt) {
  std::vector<float> t(m.horizon * kNq, 0.0F);
  std::vector<double> r;
  for (std::size_t h = 0; h < m.horizon; ++h) {
    r.clear();
    for (std::size_t o = 0; o < m.size(); ++o) {
      if (const double* y = m.actual(o, h)) r.push_back((*y - forecastAt(o, h)) / m.originScale[o]);
    }
    const auto q = calibration::conformalQuantiles(r);
    for (std::size_t k = 0; k < kNq; ++k) t[h * kNq + k] = static_cast<float>(q[k]);
  }
  return t;
}

// The error table of the chosen combinations: each horizon's mean of its chosen candidates.
std::vector<float> chosenErrorTable(const ValidationMatrix& m, const std::vector<HorizonChoice>& choices) {
  std::vector<double> comb(m.size() * m.horizon, 0.0);
  for (std::size_t h = 0; h < m.horizon; ++h) {
    for (std::size_t o = 0; o < m.size(); ++o) {
      double f = 0;
      for (std::size_t j = 0; j < choices[h].count; ++j) f += m.at(o, choices[h].idx[j], h);
      comb[o * m.horizon + h] = f / choices[h].count;
    }
  }
  return errorTable(m, [&](std::size_t o, std::size_t h) { return comb[o * m.horizon + h]; });
}

}  // namespace

FitReport Forecaster::fit(std::span<const double> fullHistory) {
  resetFit();
  const Seasonality season = seasonalityFor(config_.step);
  const auto day = static_cast<std::size_t>(std::max(season.day, 0));
  const std::size_t maxHistory =
      config_.maxHistory > 0 ? config_.maxHistory
                             : std::max<std::size_t>(3000, 3 * static_cast<std::size_t>(std::max(season.week, 0)));
  const auto history = fullHistory.last(std::min(fullHistory.size(), maxHistory));
  const std::size_t n = history.size();
  report_.historyUsed = n;
  std::size_t v = config_.validationSamples > 0 ? config_.validationSamples
                                                : std::max<std::size_t>(4 * static_cast<std::size_t>(season.day), 480);
  v = std::min(v, n / 3);
  const std::size_t train = n - v;

  const FitOptions fo = searchOptions(config_, train, day);
  fitCandidates(history, train, fo);
  const ValidationMatrix m = validate(history, train, day, fo);
  const auto mae = validationMae(m);
  const auto ratio = oneStepRatios(m, mae);
  choice_.assign(m.horizon, Choice{});
  for (std::size_t h = 0; h < m.horizon; ++h) choice_[h] = chooseAt(m, mae, h);
  const auto chosenTable = chosenErrorTable(m, choice_);
  refitChosenOnAll(history, fo);
  for (std::size_t h = 0; h < m.horizon; ++h)
    std::copy_n(chosenTable.begin() + static_cast<long>(h * kNq), kNq, choice_[h].q.begin());
  std::vector<double> keptRatio = ratio;
  if (config_.keepAllCandidates) {
    candidateTables_.resize(m.candidates);
    for (std::size_t c = 0; c < m.candidates; ++c)
      candidateTables_[c] = errorTable(m, [&](std::size_t o, std::size_t h) { return m.at(o, c, h); });
  } else {
    keptRatio = keepChosenOnly(ratio);
  }
  indexChoices();
  if (m.size() == 0)
    report_.notes.push_back("too little history to validate (" + std::to_string(n) +
                            " samples): first candidate used, quantiles collapse to the point");
  report_.selection = describeSelection();
  armGuard(keptRatio, m.endScale, history);
  return report_;
}

void Forecaster::resetFit() {
  report_ = {};
  models_.clear();
  hot_.fill(nullptr);
  candidateTables_.clear();
  choice_.clear();
  guard_.clear();
  aside_ = 0;
}

void Forecaster::fitCandidates(std::span<const double> history, std::size_t train, const FitOptions& fo) {
  buildCandidates(train, history);
  if (models_.empty()) {
    // onlyModels excluded everything usable: naive always works.
    models_.emplace_back(std::make_unique<NaiveModel>());
    report_.notes.emplace_back("no requested model could be fitted: naive used");
  }
  for (auto& m : models_) {
    m->fit(history.first(train), fo);
    report_.candidates.push_back(m->name());
  }
}

// Rolling-origin validation over the samples after `train`: every candidate forecasts from
// each origin with the parameters fitted on the training part, then consumes the sample.
ValidationMatrix Forecaster::validate(std::span<const double> history, std::size_t train, std::size_t day,
                                      const FitOptions& fo) {
  const std::size_t n = history.size();
  const std::size_t v = n - train;
  const auto H = static_cast<std::size_t>(config_.horizon);
  ValidationMatrix m{history, models_.size(), H, {}, {}, {}, 0};
  const std::size_t stride = std::max<std::size_t>(1, v / kMaxValidationOrigins);
  std::vector<double> buf(H);
  m.forecasts.reserve(((v + stride - 1) / stride) * m.candidates * H);
  double scale = 0;
  for (std::size_t i = 1; i < train; ++i) scale = nextScale(scale, std::abs(history[i] - history[i - 1]));
  // Models that adapt only through a fit are refitted as they would be in service (daily),
  // so validation scores them as deployed, not with a fit that grows days old.
  const std::size_t refitEvery = day > 0 ? day : std::max<std::size_t>(1, v / 4);
  for (std::size_t i = train; i < n; ++i) {
    if (i > train && (i - train) % refitEvery == 0) {
      for (auto& model : models_) {
        if (model->refitAfterValidation()) model->fit(history.first(i), fo);
      }
    }
    if ((i - train) % stride == 0) {
      m.origins.push_back(i);
      m.originScale.push_back(std::max(scale, 1e-3 * std::abs(history[i - 1]) + 1e-9));
      for (auto& model : models_) {
        model->forecast(buf);
        m.forecasts.insert(m.forecasts.end(), buf.begin(), buf.end());
      }
    }
    for (auto& model : models_) model->update(history[i]);
    if (i > 0) scale = nextScale(scale, std::abs(history[i] - history[i - 1]));
  }
  m.endScale = scale;
  return m;
}

// Validation scored fits that end where it began; models that adapt only through a fit are
// refitted on everything now (the others have been learning from the held-out samples).
void Forecaster::refitChosenOnAll(std::span<const double> history, const FitOptions& fo) {
  const std::uint64_t used = usedMask(choice_);
  for (std::size_t c = 0; c < models_.size(); ++c) {
    const bool kept = config_.keepAllCandidates || ((used >> c) & 1U);
    if (kept && models_[c]->refitAfterValidation()) models_[c]->fit(history, fo);
  }
}

// Keeps only the models some horizon uses (what the operator holds per service), renumbering
// the choices; returns the kept models' validated one-step ratios.
std::vector<double> Forecaster::keepChosenOnly(const std::vector<double>& ratio) {
  std::vector<double> keptRatio = ratio;
  std::vector<int> remap(models_.size(), -1);
  std::vector<std::unique_ptr<Model>> kept;
  for (auto& ch : choice_) {
    for (std::size_t j = 0; j < ch.count; ++j) {
      auto& r = remap[ch.idx[j]];
      if (r < 0) {
        r = static_cast<int>(kept.size());
        kept.push_back(std::move(models_[ch.idx[j]]));
        keptRatio[static_cast<std::size_t>(r)] = ratio[ch.idx[j]];
      }
      ch.idx[j] = static_cast<std::uint8_t>(r);
    }
  }
  models_ = std::move(kept);
  return keptRatio;
}

// The tick's indexes over the choices: hot pointers, the models in use, how far each hot model
// is read, and runs of steps with the same combination.
void Forecaster::indexChoices() {
  refreshHot();
  used_ = usedMask(choice_);
  steps_.fill(0);
  for (std::size_t h = 0; h < choice_.size(); ++h) {
    for (std::size_t j = 0; j < choice_[h].count; ++j) {
      if (choice_[h].idx[j] < kHot)
        steps_[choice_[h].idx[j]] = static_cast<std::uint16_t>(std::min<std::size_t>(h + 1, 0xFFFF));
    }
  }
  runs_ = 0;
  for (std::size_t h = 0; h < choice_.size(); ++h) {
    const Choice& ch = choice_[h];
    const bool same = h > 0 && ch.count == choice_[h - 1].count && ch.idx == choice_[h - 1].idx;
    if (same) {
      runEnd_[runs_ - 1U] = static_cast<std::uint16_t>(h + 1);
    } else if (runs_ < kRuns && h < 0xFFFF) {
      runEnd_[runs_++] = static_cast<std::uint16_t>(h + 1);
    } else {
      runs_ = 0;  // too many runs: step by step
      break;
    }
  }
}

// The selection, compactly: runs of horizons with the same choice ("h1-4: ewma; h5-30: ...").
std::string Forecaster::describeSelection() const {
  const auto H = choice_.size();
  std::string sel;
  for (std::size_t h = 0; h < H;) {
    std::size_t e = h;
    const std::string name = selectedModel(static_cast<int>(h + 1));
    while (e + 1 < H && selectedModel(static_cast<int>(e + 2)) == name) ++e;
    if (!sel.empty()) sel += "; ";
    // Appended piece by piece: g++ 12 at -O3 flags `"literal" + std::string` with a false
    // -Wrestrict (GCC bug 105329), which -Werror turns into a Release build failure.
    sel.append("h").append(std::to_string(h + 1));
    if (e > h) sel.append("-").append(std::to_string(e + 1));
    sel.append(": ").append(name);
    h = e + 1;
  }
  return sel;
}

// The guard's starting point (each kept model at its validated one-step ratio), the noise unit
// and the newest sample, then the one-step forecast the next update() compares with.
void Forecaster::armGuard(const std::vector<double>& keptRatio, double scale, std::span<const double> history) {
  scale_ = scale;
  aside_ = 0;
  naiveErr_ = static_cast<float>(scale);
  guard_.resize(models_.size());
  for (std::size_t c = 0; c < models_.size(); ++c) {
    const auto t = calibration::guardThresholds(keptRatio[c]);
    guard_[c] = {static_cast<float>(keptRatio[c] * scale), t.asideAt, t.backAt};
  }
  hasLast_ = !history.empty();
  last_ = history.empty() ? 0.0 : history.back();
  Forecast f;
  forecast(f);
  lastPoint1_ = f.point[0];
}

std::string Forecaster::selectedModel(int h) const {
  if (h < 1 || static_cast<std::size_t>(h) > choice_.size()) return "";
  const Choice& ch = choice_[static_cast<std::size_t>(h - 1)];
  std::string s = ch.count == 1 ? models_[ch.idx[0]]->name() : "mean(";
  if (ch.count > 1) {
    for (std::size_t j = 0; j < ch.count; ++j) {
      if (j) s += ",";
      s += models_[ch.idx[j]]->name();
    }
    s += ")";
  }
  // Between fits a choice may do without models set aside (always none right after fit()).
  std::string aside;
  for (std::size_t j = 0; j < ch.count; ++j) {
    if (isAside(ch.idx[j])) aside.append(aside.empty() ? "" : ",").append(models_[ch.idx[j]]->name());
  }
  if (aside.empty()) return s;
  bool any = false;
  for (std::size_t j = 0; j < ch.count; ++j) any = any || !isAside(ch.idx[j]);
  if (!any) {  // e.g. "naive (holt_winters set aside)"
    const int in = standIn();
    return (in >= 0 ? models_[static_cast<std::size_t>(in)]->name() : std::string("naive")) + " (" + s + " set aside)";
  }
  return s + " without " + aside + " (set aside)";  // e.g. "mean(a,b) without a (set aside)"
}

std::string Forecaster::candidateName(std::size_t i) const { return models_.at(i)->name(); }

void Forecaster::update(double y) {
  if (!std::isfinite(y)) y = lastPoint1_;  // missing (NaN) or a broken metric (Inf)
  // Each model tests its own one-step forecast: a model that followed a spike up must also
  // be brought back when the spike ends, even if the model chosen for the next step (the
  // combined forecast) expected the fall. Tested only through the combined forecast, an EWMA
  // that followed a one-minute spike would decay from it for an hour.
  const std::size_t nm = std::min({models_.size(), guard_.size(), std::size_t{64}});
  if (hasLast_) {
    // The one-step errors are clipped as the noise unit's steps are (a spike counts at most
    // kScaleClip units), so one spike does not set a model aside.
    const double cap = scale_ > 0 ? kScaleClip * scale_ : std::numeric_limits<double>::infinity();
    naiveErr_ += static_cast<float>(kScaleAlpha * (std::min(std::abs(y - last_), cap) - naiveErr_));
    const double unit = std::max<double>(naiveErr_, 1e-3 * std::abs(last_) + 1e-9);
    const double limit =
        config_.jumpThreshold > 0 ? config_.jumpThreshold * scaleNow() : std::numeric_limits<double>::infinity();
    for (std::size_t c = 0; c < models_.size(); ++c) {
      Model* m = model(c);
      const double e = std::abs(y - m->next());
      if (e > limit) m->absorbJump(y);
      if (c < nm) {
        Guard& g = guard_[c];
        g.err += static_cast<float>(kScaleAlpha * (std::min(e, cap) - g.err));
        const std::uint64_t bit = std::uint64_t{1} << c;
        if (aside_ & bit) {
          if (g.err <= g.backAt * unit) aside_ &= ~bit;
        } else if (g.err > g.asideAt * unit) {
          aside_ |= bit;
        }
      }
    }
    scale_ = nextScale(scale_, std::abs(y - last_));
  }
  for (std::size_t c = 0; c < models_.size(); ++c) model(c)->update(y);
  last_ = y;
  hasLast_ = true;
  // The combined one-step forecast: what a missing sample is replaced by.
  if (!choice_.empty()) {
    const Choice& ch = choice_[0];
    double f = 0;
    std::size_t k = 0;
    for (std::size_t j = 0; j < ch.count; ++j) {
      if (!isAside(ch.idx[j])) {
        f += model(ch.idx[j])->next();
        ++k;
      }
    }
    if (k > 0) {
      lastPoint1_ = f / static_cast<double>(k);
    } else {
      const int s = standIn();
      lastPoint1_ = s >= 0 ? model(static_cast<std::size_t>(s))->next() : y;
    }
  } else {
    lastPoint1_ = y;
  }
}

int Forecaster::standIn() const {
  int best = -1;
  float bestErr = naiveErr_;
  for (std::size_t c = 0; c < std::min(models_.size(), guard_.size()); ++c) {
    if (c < 64 && ((used_ >> c) & 1U) && !isAside(c) && guard_[c].err < bestErr) {
      best = static_cast<int>(c);
      bestErr = guard_[c].err;
    }
  }
  return best;
}

std::vector<std::string> Forecaster::modelsSetAside() const {
  std::vector<std::string> names;
  for (std::size_t c = 0; c < models_.size(); ++c) {
    if (isAside(c)) names.push_back(models_[c]->name());
  }
  return names;
}

void Forecaster::finishQuantiles(Forecast& out, const unsigned char* rows, std::size_t stride,
                                 std::size_t tableRows) const {
  const std::size_t H = out.point.size();
  const std::size_t covered = std::min(H, tableRows);
  quantileRows(rows, stride, covered, scaleNow(), config_.medianPoint, out.point.data(), out.quantiles.data());
  // Steps past the table (a candidate without one, or a fit without validation): every
  // quantile is the point.
  for (std::size_t h = covered; h < H; ++h) {
    out.quantiles[h].fill(std::max(0.0, out.point[h]));
    if (config_.medianPoint) out.point[h] = out.quantiles[h][kP50];
  }
}

// Only models some horizon uses are evaluated (keepAllCandidates keeps unused ones too), and
// only up to the last step that uses them; none set aside, and the one standing in for them
// (`in`, if any) over every step.
void Forecaster::forecastUsedModels(Forecast& out, int in) const {
  const auto H = static_cast<std::size_t>(config_.horizon);
  for (std::size_t c = 0; c < models_.size(); ++c) {
    if (isAside(c)) continue;
    std::size_t steps = 0;
    if (static_cast<int>(c) == in) {
      steps = H;
    } else if ((used_ >> c) & 1U) {
      steps = c < kHot ? std::min<std::size_t>(H, steps_[c]) : H;
    }
    if (steps > 0) model(c)->forecast(std::span<double>(out.scratch).subspan(c * H, steps));
  }
}

// The point per step as the mean of its chosen models, run by run (steps with the same
// choice): the same sums in the same order as combineByStep().
void Forecaster::combineByRun(Forecast& out) const {
  const auto H = static_cast<std::size_t>(config_.horizon);
  double* point = out.point.data();
  const double* sc = out.scratch.data();
  for (std::size_t r = 0, h = 0; r < runs_; ++r) {
    const Choice& ch = choice_[h];
    const std::size_t end = runEnd_[r];
    const double* s0 = sc + ch.idx[0] * H;
    const double* s1 = sc + ch.idx[ch.count > 1 ? 1 : 0] * H;
    const double* s2 = sc + ch.idx[ch.count > 2 ? 2 : 0] * H;
    if (ch.count == 1) {
      for (; h < end; ++h) point[h] = (0.0 + s0[h]) / 1.0;
    } else if (ch.count == 2) {
      for (; h < end; ++h) point[h] = ((0.0 + s0[h]) + s1[h]) / 2.0;
    } else {
      for (; h < end; ++h) point[h] = (((0.0 + s0[h]) + s1[h]) + s2[h]) / 3.0;
    }
  }
}

// The point per step as the mean of its chosen models not set aside; with all of them aside,
// the stand-in's forecast (`in`), or the newest sample.
void Forecaster::combineByStep(Forecast& out, int in) const {
  const auto H = static_cast<std::size_t>(config_.horizon);
  for (std::size_t h = 0; h < H; ++h) {
    const Choice& ch = choice_[h];
    double f = 0;
    std::size_t k = 0;
    for (std::size_t j = 0; j < ch.count; ++j) {
      if (!isAside(ch.idx[j])) {
        f += out.scratch[ch.idx[j] * H + h];
        ++k;
      }
    }
    out.point[h] = k > 0     ? f / static_cast<double>(k)
                   : in >= 0 ? out.scratch[static_cast<std::size_t>(in) * H + h]
                             : last_;
  }
}

void Forecaster::forecast(Forecast& out) const {
  const auto H = static_cast<std::size_t>(config_.horizon);
  out.point.assign(H, 0.0);
  out.quantiles.resize(H);
  if (models_.empty() || choice_.empty()) {
    std::fill(out.point.begin(), out.point.end(), last_);
    for (auto& q : out.quantiles) q.fill(last_);
    return;
  }
  out.scratch.resize(models_.size() * H);
  const int in = aside_ != 0 ? standIn() : -1;
  forecastUsedModels(out, in);
  if (aside_ == 0 && runs_ > 0 && choice_.size() == H) {
    combineByRun(out);
  } else {
    combineByStep(out, in);
  }
  const auto* rows =
      choice_.empty() ? nullptr : reinterpret_cast<const unsigned char*>(choice_.data()) + offsetof(Choice, q);
  finishQuantiles(out, rows, sizeof(Choice), choice_.size());
}

void Forecaster::forecastCandidate(std::size_t i, Forecast& out) const {
  const auto H = static_cast<std::size_t>(config_.horizon);
  out.point.assign(H, 0.0);
  out.quantiles.resize(H);
  models_.at(i)->forecast(out.point);
  const std::span<const float> table =
      i < candidateTables_.size() ? std::span<const float>(candidateTables_[i]) : std::span<const float>();
  finishQuantiles(out, reinterpret_cast<const unsigned char*>(table.data()), kNq * sizeof(float), table.size() / kNq);
}

std::size_t Forecaster::stateBytes() const {
  std::size_t b = sizeof(*this) + choice_.capacity() * sizeof(Choice) + guard_.capacity() * sizeof(Guard);
  b += models_.capacity() * sizeof(models_[0]);
  for (const auto& m : models_) b += m->stateBytes();
  for (const auto& t : candidateTables_) b += sizeof(std::vector<float>) + t.capacity() * sizeof(float);
  return b;
}

void Forecaster::prefetchObject() const {
  // The members every tick reads come first in the object (hot_ .. naiveErr_).
  prefetchBytes(this,
                reinterpret_cast<const char*>(&naiveErr_) + sizeof(naiveErr_) - reinterpret_cast<const char*>(this));
}

void Forecaster::prefetchHead() const {
  prefetchBytes(choice_.data(), choice_.size() * sizeof(Choice));
  // A model's object, up to kModelLines lines: its size is behind a virtual call (a load of
  // its first line), and a prefetch past its end never faults. Not the exact size: clones
  // allocate a model next to its vectors, so the lines past a small model's end are often
  // what the tick reads next.
  constexpr std::size_t kModelLines = 8;
  for (Model* m : hot_) {
    if (m != nullptr) prefetchBytes(m, kModelLines * 64);
  }
  if (models_.size() > kHot) prefetchBytes(models_.data(), models_.size() * sizeof(models_[0]));
  prefetchBytes(guard_.data(), guard_.size() * sizeof(Guard));
}

void Forecaster::prefetchModels() const {
  for (std::size_t c = 0; c < models_.size(); ++c) model(c)->prefetch();
}

double peakQuantile(const Forecast& f, int fromStep, int toStep, std::size_t k) {
  const int H = static_cast<int>(f.point.size());
  if (H == 0 || k >= kQuantileLevels.size()) return 0.0;
  fromStep = std::clamp(fromStep, 1, H);
  toStep = std::clamp(toStep, fromStep, H);
  double peak = 0;
  for (int h = fromStep; h <= toStep; ++h) peak = std::max(peak, f.quantiles[static_cast<std::size_t>(h - 1)][k]);
  return peak;
}

}  // namespace tso::predictor
