// How `simulate` and `replay` print a simulation: the table and the JSON document.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "predictor/simulator.h"

namespace tso::cli {

nlohmann::json reportJson(const std::string& input, const predictor::SimulationConfig& cfg,
                          const predictor::SimulationReport& r);
void printReportTable(const predictor::SimulationConfig& cfg, const predictor::SimulationReport& r);

}  // namespace tso::cli
