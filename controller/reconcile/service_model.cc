#include "controller/reconcile/service_model.h"

#include <array>
#include <cmath>

namespace tso::reconcile {
namespace {

constexpr const char* kFleetModel = "FleetRegression";
constexpr const char* kFleetName = "fleet_regression";

}  // namespace

bool isFleetModel(const std::string& model) { return model == kFleetModel; }

std::vector<std::string> forecasterModelsOf(const std::string& model) {
  if (model == "SeasonalNaive") return {"seasonal_naive_day", "seasonal_naive_week"};
  if (model == "EWMA") return {"ewma"};
  if (model == "LinearTrend") return {"linear_trend"};
  if (model == "HoltWinters") return {"holt_winters", "holt_winters_mult"};
  if (model == "DoubleSeasonalHoltWinters") return {"double_seasonal_hw", "double_seasonal_hw_mult"};
  if (model == "LogRegression") return {"log_regression"};
  // Holt-Winters on the period autocorrelation finds, whatever its length (a day included).
  if (model == "Periodic") return {std::string(predictor::kPeriodicFamily)};
  return {};  // Auto
}

ServiceModel::ServiceModel(const std::string& model, std::int64_t step, int horizon) {
  if (isFleetModel(model)) {
    predictor::FleetConfig cfg;
    cfg.step = step;
    cfg.horizon = horizon;
    fleet_ = std::make_unique<predictor::Fleet>(cfg);
    return;
  }
  predictor::ForecasterConfig cfg;
  cfg.step = step;
  cfg.horizon = horizon;
  cfg.onlyModels = forecasterModelsOf(model);
  // Parameter trials replay a day of warm-up, not the whole history, with early stopping: as
  // accurate on the traces (docs/benchmarks.md, the --fast-search tables).
  cfg.fastSearch = true;
  forecaster_ = std::make_unique<predictor::Forecaster>(cfg);
}

ServiceModel::Fit ServiceModel::fit(std::span<const double> history) {
  if (fleet_) {
    const std::array<std::span<const double>, 1> one = {history};
    auto report = fleet_->fit(one);
    if (!report) return {kFleetName, {std::string(kFleetName) + ": " + report.error().message}};
    return {report->naiveSeries > 0 ? "fleet_regression (shrunk to naive)" : kFleetName, report->notes};
  }
  auto report = forecaster_->fit(history);
  return {report.selection, report.notes};
}

void ServiceModel::update(double y) {
  if (fleet_) {
    const std::array<double, 1> sample = {y};
    (void)fleet_->tick(sample, [](std::size_t, const predictor::FleetForecast&) {});
    return;
  }
  forecaster_->update(y);
}

void ServiceModel::forecast(predictor::Forecast& out) const {
  if (fleet_) {
    if (fleet_->size() == 0) {
      out.point.clear();
      out.quantiles.clear();
      return;
    }
    fleet_->forecastNow([&out](std::size_t, const predictor::FleetForecast& f) { f.copyTo(out); });
    return;
  }
  forecaster_->forecast(out);
}

int ServiceModel::horizon() const { return fleet_ ? fleet_->config().horizon : forecaster_->horizon(); }

std::string ServiceModel::selectedModel() const {
  if (fleet_) return fleet_->isSetAside(0) ? "naive (fleet_regression set aside)" : kFleetName;
  return forecaster_->selectedModel(1);
}

std::vector<std::string> ServiceModel::modelsSetAside() const {
  if (fleet_) return fleet_->isSetAside(0) ? std::vector<std::string>{kFleetName} : std::vector<std::string>{};
  return forecaster_->modelsSetAside();
}

std::size_t ServiceModel::stateBytes() const {
  return sizeof(*this) + (fleet_ ? fleet_->stateBytes() : forecaster_->stateBytes());
}

}  // namespace tso::reconcile
