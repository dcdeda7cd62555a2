// The forecaster behind one ThroughputService, chosen by spec.forecast.model: the
// auto-selecting Forecaster (Auto, or one model family forced), or the fleet regression
// (FleetRegression: predictor/fleet.h as a fleet of one). One interface for the reconciler, so
// it fits, feeds and reads either the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "predictor/fleet.h"
#include "predictor/forecaster.h"

namespace tso::reconcile {

// spec.forecast.model FleetRegression: the fleet regression instead of the Forecaster.
bool isFleetModel(const std::string& model);
// The Forecaster's onlyModels for spec.forecast.model (empty: Auto).
std::vector<std::string> forecasterModelsOf(const std::string& model);

class ServiceModel {
 public:
  struct Fit {
    std::string selection;           // what was chosen, e.g. "h1-48: log_regression"
    std::vector<std::string> notes;  // fallbacks, with the reason
  };

  // `model` is spec.forecast.model; `horizon` steps are forecast.
  ServiceModel(const std::string& model, std::int64_t step, int horizon);

  // Refits on `history` (repaired: finite), which ends with the newest sample.
  Fit fit(std::span<const double> history);
  void update(double y);  // the next sample (NaN = missing)
  void forecast(predictor::Forecast& out) const;
  [[nodiscard]] int horizon() const;
  // What forecasts the first step now, a stand-in named when the fitted model is set aside.
  [[nodiscard]] std::string selectedModel() const;
  [[nodiscard]] std::vector<std::string> modelsSetAside() const;
  [[nodiscard]] std::size_t stateBytes() const;

 private:
  std::unique_ptr<predictor::Forecaster> forecaster_;
  std::unique_ptr<predictor::Fleet> fleet_;
};

}  // namespace tso::reconcile
