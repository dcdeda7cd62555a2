#include "controller/cli/trace_input.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

namespace tso::cli {

Result<predictor::CsvTrace> readTraceFile(const std::string& path, std::optional<std::int64_t> step) {
  predictor::CsvOptions options;
  options.step = step;
  predictor::Result<predictor::CsvTrace> trace;
  if (path == "-") {
    trace = predictor::readCsv(std::cin, options);
  } else {
    std::ifstream in(path);
    if (!in) return fail(ErrorCode::kConfig, path + ": cannot open");
    trace = predictor::readCsv(in, options);
  }
  if (!trace) return fail(ErrorCode::kConfig, path + ": " + trace.error().toString());
  if (trace->missing + trace->gapSamples > 0) {
    std::fprintf(stderr, "%s: %zu missing and %zu absent samples interpolated (first at line %zu)\n", path.c_str(),
                 trace->missing, trace->gapSamples, trace->firstRepairLine);
  }
  return std::move(*trace);
}

void showProgress(const char* what, double fraction) {
  static const bool tty = isatty(STDERR_FILENO) != 0;
  if (!tty) return;
  std::fprintf(stderr, "\r%s: %3.0f%%", what, fraction * 100.0);
  if (fraction >= 1.0) std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace tso::cli
