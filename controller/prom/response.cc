#include "controller/prom/response.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tso::prom {

namespace {

using nlohmann::json;

std::string truncate(std::string_view s, std::size_t n = 200) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

// Prometheus encodes sample values as strings: "12.5", "NaN", "+Inf", "-Inf".
bool parseValue(const std::string& s, double& out) {
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
  return pair[1].is_string() && parseValue(pair[1].get_ref<const std::string&>(), out.value);
}

std::string labelsOf(const json& series) {
  if (!series.is_object() || !series.contains("metric") || !series["metric"].is_object()) {
    return "{}";
  }
  return truncate(series["metric"].dump(), 120);
}

// Checks the envelope and returns data.result, or the error the envelope carries.
Result<json> resultOf(int httpStatus, std::string_view body, std::string_view wantType, std::string& resultType) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    if (httpStatus < 200 || httpStatus > 299) {
      return fail(ErrorCode::kTransient, "HTTP " + std::to_string(httpStatus) + ": " + truncate(body));
    }
    return fail(ErrorCode::kBadResponse, "answer is not JSON: " + truncate(body));
  }
  auto status = doc.value("status", std::string());
  if (status == "error") {
    return fail(ErrorCode::kQueryFailed,
                doc.value("errorType", std::string("error")) + ": " + doc.value("error", std::string("(no message)")));
  }
  if (httpStatus < 200 || httpStatus > 299) {
    return fail(ErrorCode::kTransient, "HTTP " + std::to_string(httpStatus) + ": " + truncate(body));
  }
  if (status != "success" || !doc.contains("data") || !doc["data"].is_object()) {
    return fail(ErrorCode::kBadResponse, "answer has no status \"success\" with data");
  }
  const auto& data = doc["data"];
  resultType = data.value("resultType", std::string());
  if (!data.contains("result")) return fail(ErrorCode::kBadResponse, "answer has no data.result");
  if (!wantType.empty() && resultType != wantType) {
    return fail(ErrorCode::kBadResponse, "expected a " + std::string(wantType) + " result, got \"" + resultType + "\"");
  }
  return data["result"];
}

// The common answer to a range query, one series of [time, "value"] pairs, read straight into
// samples by nlohmann's SAX interface: as a JSON tree, a week of minute samples is tens of
// thousands of small allocations per service and refit; this reads it in the samples' own 16
// bytes each. Anything else (an error, a second series, a value that is not a pair) stops it,
// and parseRange() decodes that answer as a tree, which words the errors.
class RangeReader {
 public:
  using json = nlohmann::json;

  // Samples when the body is a successful one-series (or empty) matrix; nullopt otherwise.
  static std::optional<RangeSeries> read(std::string_view body) {
    RangeReader r;
    if (!json::sax_parse(body.begin(), body.end(), &r) || r.status_ != "success" || r.resultType_ != "matrix" ||
        !r.sawResult_ || r.series_ > 1 || (r.series_ == 1 && !r.sawValues_))
      return std::nullopt;
    return std::move(r.out_);
  }

  bool null() { return scalar(); }
  bool boolean(bool /*v*/) { return scalar(); }
  bool number_integer(json::number_integer_t v) { return number(static_cast<double>(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return number(static_cast<double>(v)); }
  bool number_float(json::number_float_t v, const json::string_t& /*text*/) { return number(v); }
  bool binary(json::binary_t& /*v*/) { return scalar(); }

  bool string(json::string_t& v) {
    if (skip_ > 0) return true;
    switch (top()) {
      case Ctx::kRoot:
        if (key_ == "status") status_ = v;
        return true;
      case Ctx::kData:
        if (key_ == "resultType") resultType_ = v;
        return true;
      case Ctx::kPair:
        if (pairIndex_++ != 1 || !parseValue(v, sample_.value)) return false;
        return true;
      case Ctx::kSeries:
        return true;
      default:
        return false;  // a string where the matrix has none
    }
  }

  bool start_object(std::size_t /*n*/) {
    if (skip_ > 0 || entersSkipped()) {
      ++skip_;
      return true;
    }
    switch (top()) {
      case Ctx::kNone:
        return push(Ctx::kRoot);
      case Ctx::kRoot:
        if (key_ == "data") return push(Ctx::kData);
        ++skip_;
        return true;
      case Ctx::kResult:
        if (++series_ > 1) return false;  // parseRange() names both series
        return push(Ctx::kSeries);
      default:
        return false;
    }
  }
  bool key(json::string_t& k) {
    if (skip_ == 0) key_ = k;
    return true;
  }
  bool end_object() { return close(); }

  bool start_array(std::size_t /*n*/) {
    if (skip_ > 0 || entersSkipped()) {
      ++skip_;
      return true;
    }
    switch (top()) {
      case Ctx::kData:
        if (key_ != "result") {
          ++skip_;
          return true;
        }
        sawResult_ = true;
        return push(Ctx::kResult);
      case Ctx::kSeries:
        if (key_ != "values") {
          ++skip_;
          return true;
        }
        if (sawValues_) return false;  // a second "values": the tree decides
        sawValues_ = true;
        return push(Ctx::kValues);
      case Ctx::kValues:
        pairIndex_ = 0;
        return push(Ctx::kPair);
      case Ctx::kRoot:
        ++skip_;
        return true;
      default:
        return false;
    }
  }
  bool end_array() {
    if (skip_ == 0 && top() == Ctx::kPair) {
      if (pairIndex_ != 2) return false;
      if (!std::isfinite(sample_.value)) {
        sample_.value = std::nan("");
        ++out_.nonFinite;
      }
      out_.samples.push_back(sample_);
    }
    return close();
  }
  bool parse_error(std::size_t /*pos*/, const std::string& /*token*/, const nlohmann::detail::exception& /*e*/) {
    return false;
  }

 private:
  enum class Ctx { kNone, kRoot, kData, kResult, kSeries, kValues, kPair };

  [[nodiscard]] Ctx top() const { return stack_.empty() ? Ctx::kNone : stack_.back(); }
  bool push(Ctx c) {
    stack_.push_back(c);
    return true;
  }
  bool close() {
    if (skip_ > 0) {
      --skip_;
    } else if (!stack_.empty()) {
      stack_.pop_back();
    }
    return true;
  }
  // A value under a key the reader does not use (e.g. "metric", "warnings") is skipped whole.
  [[nodiscard]] bool entersSkipped() const { return top() == Ctx::kSeries && key_ != "values"; }
  bool scalar() { return skip_ > 0 || top() == Ctx::kRoot || top() == Ctx::kData || top() == Ctx::kSeries; }
  bool number(double v) {
    if (skip_ > 0) return true;
    if (top() == Ctx::kPair) {
      if (pairIndex_++ != 0) return false;
      sample_.time = v;
      return true;
    }
    return scalar();
  }

  std::vector<Ctx> stack_;
  std::size_t skip_ = 0;  // depth inside a skipped value
  std::string key_;       // the newest key of the innermost object read
  std::string status_;
  std::string resultType_;
  bool sawResult_ = false;
  bool sawValues_ = false;
  std::size_t series_ = 0;
  int pairIndex_ = 0;
  Sample sample_;
  RangeSeries out_;
};

}  // namespace

std::optional<RangeSeries> readMatrix(std::string_view body) { return RangeReader::read(body); }

std::string_view problemReason(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnreachable:
      return "PrometheusUnreachable";
    case ErrorCode::kTransient:
      return "PrometheusHTTPError";
    case ErrorCode::kNotFinite:
      return "NotANumber";
    default:
      return errorCodeName(code);
  }
}

bool isOutage(ErrorCode code) { return code == ErrorCode::kUnreachable || code == ErrorCode::kTransient; }

Result<Sample> parseInstant(int httpStatus, std::string_view body) {
  std::string type;
  auto result = resultOf(httpStatus, body, "", type);
  if (!result) return std::unexpected(result.error());
  Sample sample;
  if (type == "scalar") {
    if (!parsePair(*result, sample)) {
      return fail(ErrorCode::kBadResponse, "scalar result is not [time, \"value\"]");
    }
  } else if (type == "vector") {
    if (!result->is_array()) return fail(ErrorCode::kBadResponse, "vector result is not a list");
    if (result->empty()) {
      return fail(ErrorCode::kNoData, "the query returned no series (is the metric scraped?)");
    }
    if (result->size() > 1) {
      return fail(ErrorCode::kMultipleSeries, "the query returned " + std::to_string(result->size()) +
                                                  " series, e.g. " + labelsOf((*result)[0]) + " and " +
                                                  labelsOf((*result)[1]) + "; aggregate it, e.g. with sum(...)");
    }
    const auto& series = (*result)[0];
    if (!series.is_object() || !series.contains("value") || !parsePair(series["value"], sample)) {
      return fail(ErrorCode::kBadResponse, "vector sample is not [time, \"value\"]");
    }
  } else {
    return fail(ErrorCode::kBadResponse, "expected a vector or scalar result, got \"" + type + "\"");
  }
  if (!std::isfinite(sample.value)) {
    return fail(ErrorCode::kNotFinite, "the query returned " +
                                           std::string(std::isnan(sample.value) ? "NaN" : "an infinite value") +
                                           " (a division by zero or an empty rate?)");
  }
  return sample;
}

Result<RangeSeries> parseRange(int httpStatus, std::string_view body) {
  if (httpStatus >= 200 && httpStatus <= 299) {
    if (auto fast = readMatrix(body)) return std::move(*fast);
  }
  std::string type;
  auto result = resultOf(httpStatus, body, "matrix", type);
  if (!result) return std::unexpected(result.error());
  if (!result->is_array()) return fail(ErrorCode::kBadResponse, "matrix result is not a list");
  RangeSeries out;
  if (result->empty()) return out;
  if (result->size() > 1) {
    return fail(ErrorCode::kMultipleSeries, "the query returned " + std::to_string(result->size()) + " series, e.g. " +
                                                labelsOf((*result)[0]) + " and " + labelsOf((*result)[1]) +
                                                "; aggregate it, e.g. with sum(...)");
  }
  const auto& series = (*result)[0];
  if (!series.is_object() || !series.contains("values") || !series["values"].is_array()) {
    return fail(ErrorCode::kBadResponse, "matrix series has no values list");
  }
  out.samples.reserve(series["values"].size());
  for (const auto& pair : series["values"]) {
    Sample s;
    if (!parsePair(pair, s)) {
      return fail(ErrorCode::kBadResponse, "matrix sample is not [time, \"value\"]");
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
