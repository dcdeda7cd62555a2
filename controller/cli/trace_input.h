// Reading a trace file for the predictor commands: opens the file, runs the predictor's strict
// CSV reader and reports repairs; every failure is a message naming the file (and line).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "controller/common/result.h"
#include "predictor/csv.h"

namespace tso::cli {

// Reads `path` ("-" = stdin). Notes about repaired samples go to stderr.
Result<predictor::CsvTrace> readTraceFile(const std::string& path, std::optional<std::int64_t> step);

// Writes a fraction-done line to stderr when it is a terminal (long backtests, simulations).
void showProgress(const char* what, double fraction);

}  // namespace tso::cli
