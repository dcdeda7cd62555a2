#include "controller/prom/response.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace tso::prom {

namespace {

using nlohmann::json;

std::string truncate(std::string_view s, std::size_t n = 200) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

// Prometheus encodes sample values as strings: "12.5", "NaN", "+Inf", "-Inf".
bool parseValue(const json& v, double& out) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  if (s == "NaN") {
    out = std::nan("");
    return true;
  }
  if (s == "+Inf" || s == "Inf") {
    out = HUGE_VAL;
    return true;
  }
  if (s == "-Inf") {
    out = -HUGE_VAL;
    return true;
  }
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

bool parsePair(const json& pair, Sample& out) {
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number()) return false;
  out.time = pair[0].get<double>();
  return parseValue(pair[1], out.value);
}

std::string labelsOf(const json& series) {
  if (!series.is_object() || !series.contains("metric") || !series["metric"].is_object()) {
    return "{}";
  }
  return truncate(series["metric"].dump(), 120);
}

// Checks the envelope and returns data.result, or the error the envelope carries.
QueryResult<json> resultOf(int httpStatus, std::string_view body, std::string_view wantType, std::string& resultType) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    if (httpStatus < 200 || httpStatus > 299) {
      return queryFail(Problem::kHttpError, "HTTP " + std::to_string(httpStatus) + ": " + truncate(body));
    }
    return queryFail(Problem::kBadResponse, "answer is not JSON: " + truncate(body));
  }
  auto status = doc.value("status", std::string());
  if (status == "error") {
    return queryFail(Problem::kQueryError, doc.value("errorType", std::string("error")) + ": " +
                                               doc.value("error", std::string("(no message)")));
  }
  if (httpStatus < 200 || httpStatus > 299) {
    return queryFail(Problem::kHttpError, "HTTP " + std::to_string(httpStatus) + ": " + truncate(body));
  }
  if (status != "success" || !doc.contains("data") || !doc["data"].is_object()) {
    return queryFail(Problem::kBadResponse, "answer has no status \"success\" with data");
  }
  const auto& data = doc["data"];
  resultType = data.value("resultType", std::string());
  if (!data.contains("result")) return queryFail(Problem::kBadResponse, "answer has no data.result");
  if (!wantType.empty() && resultType != wantType) {
    return queryFail(Problem::kBadResponse,
                     "expected a " + std::string(wantType) + " result, got \"" + resultType + "\"");
  }
  return data["result"];
}

}  // namespace

std::string_view problemReason(Problem problem) {
  switch (problem) {
    case Problem::kUnreachable:
      return "PrometheusUnreachable";
    case Problem::kHttpError:
      return "PrometheusHTTPError";
    case Problem::kQueryError:
      return "QueryFailed";
    case Problem::kNoData:
      return "NoData";
    case Problem::kMultipleSeries:
      return "MultipleSeries";
    case Problem::kNotFinite:
      return "NotANumber";
    case Problem::kBadResponse:
      return "BadResponse";
  }
  return "Unknown";
}

QueryResult<Sample> parseInstant(int httpStatus, std::string_view body) {
  std::string type;
  auto result = resultOf(httpStatus, body, "", type);
  if (!result) return std::unexpected(result.error());
  Sample sample;
  if (type == "scalar") {
    if (!parsePair(*result, sample)) {
      return queryFail(Problem::kBadResponse, "scalar result is not [time, \"value\"]");
    }
  } else if (type == "vector") {
    if (!result->is_array()) return queryFail(Problem::kBadResponse, "vector result is not a list");
    if (result->empty()) {
      return queryFail(Problem::kNoData, "the query returned no series (is the metric scraped?)");
    }
    if (result->size() > 1) {
      return queryFail(Problem::kMultipleSeries, "the query returned " + std::to_string(result->size()) +
                                                     " series, e.g. " + labelsOf((*result)[0]) + " and " +
                                                     labelsOf((*result)[1]) + "; aggregate it, e.g. with sum(...)");
    }
    const auto& series = (*result)[0];
    if (!series.is_object() || !series.contains("value") || !parsePair(series["value"], sample)) {
      return queryFail(Problem::kBadResponse, "vector sample is not [time, \"value\"]");
    }
  } else {
    return queryFail(Problem::kBadResponse, "expected a vector or scalar result, got \"" + type + "\"");
  }
  if (!std::isfinite(sample.value)) {
    return queryFail(Problem::kNotFinite, "the query returned " +
                                              std::string(std::isnan(sample.value) ? "NaN" : "an infinite value") +
                                              " (a division by zero or an empty rate?)");
  }
  return sample;
}

QueryResult<RangeSeries> parseRange(int httpStatus, std::string_view body) {
  std::string type;
  auto result = resultOf(httpStatus, body, "matrix", type);
  if (!result) return std::unexpected(result.error());
  if (!result->is_array()) return queryFail(Problem::kBadResponse, "matrix result is not a list");
  RangeSeries out;
  if (result->empty()) return out;
  if (result->size() > 1) {
    return queryFail(Problem::kMultipleSeries, "the query returned " + std::to_string(result->size()) +
                                                   " series, e.g. " + labelsOf((*result)[0]) + " and " +
                                                   labelsOf((*result)[1]) + "; aggregate it, e.g. with sum(...)");
  }
  const auto& series = (*result)[0];
  if (!series.is_object() || !series.contains("values") || !series["values"].is_array()) {
    return queryFail(Problem::kBadResponse, "matrix series has no values list");
  }
  out.samples.reserve(series["values"].size());
  for (const auto& pair : series["values"]) {
    Sample s;
    if (!parsePair(pair, s)) {
      return queryFail(Problem::kBadResponse, "matrix sample is not [time, \"value\"]");
    }
    if (!std::isfinite(s.value)) {
      s.value = std::nan("");
      ++out.nonFinite;
    }
    out.samples.push_back(s);
  }
  return out;
}

}  // namespace tso::prom
