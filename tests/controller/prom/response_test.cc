#include "controller/prom/response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace tso::prom {
namespace {

TEST(ParseInstantTest, OneVectorSample) {
  auto r = parseInstant(200, R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"service":"checkout"},"value":[1700000000.5,"123.25"]}]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->time, 1700000000.5);
  EXPECT_DOUBLE_EQ(r->value, 123.25);
}

TEST(ParseInstantTest, ScalarResult) {
  auto r = parseInstant(200, R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->value, 42);
}

TEST(ParseInstantTest, EmptyVectorIsNoData) {
  auto r = parseInstant(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNoData);
  EXPECT_EQ(problemReason(r.error().code), "NoData");
}

TEST(ParseInstantTest, TwoSeriesAreRejectedNamingBoth) {
  auto r = parseInstant(200, R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"pod":"a"},"value":[1,"1"]},{"metric":{"pod":"b"},"value":[1,"2"]}]}})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kMultipleSeries);
  EXPECT_NE(r.error().message.find("2 series"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(R"("pod":"b")"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("sum("), std::string::npos);
}

TEST(ParseInstantTest, NaNAndInfAreNotFinite) {
  for (const char* v : {"NaN", "+Inf", "-Inf"}) {
    auto r = parseInstant(
        200, std::string(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,")") +
                 v + R"("]}]}})");
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFinite) << v;
  }
}

TEST(ParseInstantTest, ErrorStatusCarriesTypeAndMessage) {
  auto r = parseInstant(400, R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kQueryFailed);
  EXPECT_EQ(r.error().message, "bad_data: parse error at char 5");
}

TEST(ParseInstantTest, NonJsonErrorPageIsHttpError) {
  auto r = parseInstant(502, "<html>Bad Gateway</html>");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kTransient);
  EXPECT_NE(r.error().message.find("502"), std::string::npos);
}

TEST(ParseInstantTest, GarbageAndWrongShapesAreBadResponses) {
  const char* bodies[] = {
      "",
      "{",
      "null",
      "[]",
      R"({"status":"success"})",
      R"({"status":"success","data":{"resultType":"vector"}})",
      R"({"status":"success","data":{"resultType":"vector","result":{}}})",
      R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}})",
      R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,2]}]}})",
      R"({"status":"success","data":{"resultType":"vector","result":[{"value":["x","2"]}]}})",
      R"({"status":"success","data":{"resultType":"vector","result":[{"value":[1,"12abc"]}]}})",
      R"({"status":"success","data":{"resultType":"matrix","result":[]}})",
      R"({"status":"success","data":{"resultType":"string","result":[1,"a"]}})",
  };
  for (const char* body : bodies) {
    auto r = parseInstant(200, body);
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kBadResponse) << body << " -> " << r.error().message;
  }
}

TEST(ParseRangeTest, MatrixWithNonFiniteSamplesMasked) {
  auto r = parseRange(200, R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{},"values":[[100,"1"],[130,"NaN"],[160,"3.5"],[190,"+Inf"]]}]}})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->samples.size(), 4U);
  EXPECT_EQ(r->nonFinite, 2U);
  EXPECT_DOUBLE_EQ(r->samples[2].value, 3.5);
  EXPECT_TRUE(std::isnan(r->samples[1].value));
  EXPECT_TRUE(std::isnan(r->samples[3].value));
}

TEST(ParseRangeTest, EmptyMatrixIsAnEmptySeries) {
  auto r = parseRange(200, R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->samples.empty());
}

TEST(ParseRangeTest, TwoSeriesAndVectorsAreRejected) {
  auto two = parseRange(200, R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"a":"1"},"values":[[1,"1"]]},{"metric":{"a":"2"},"values":[[1,"1"]]}]}})");
  ASSERT_FALSE(two.has_value());
  EXPECT_EQ(two.error().code, ErrorCode::kMultipleSeries);
  auto vec = parseRange(200, R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_FALSE(vec.has_value());
  EXPECT_EQ(vec.error().code, ErrorCode::kBadResponse);
}

TEST(ParseRangeTest, ExtraKeysAnyOrderAndNumberFormsAreRead) {
  // Prometheus adds warnings/infos, labels and stats; key order is not fixed; times come as
  // integers or with decimals.
  auto r = parseRange(200, R"({"data":{"result":[{"values":[[1700000000,"1e3"],[1700000060.5,"-0.25"]],
    "metric":{"job":"web","nested":{"x":[1,2,{"y":null}]}},"histograms":[[1,{"count":"2"}]]}],
    "resultType":"matrix","stats":{"timings":{"evalTotalTime":0.1}}},"warnings":["w"],"infos":[],"status":"success"})");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->samples.size(), 2U);
  EXPECT_DOUBLE_EQ(r->samples[0].time, 1700000000);
  EXPECT_DOUBLE_EQ(r->samples[0].value, 1000);
  EXPECT_DOUBLE_EQ(r->samples[1].time, 1700000060.5);
  EXPECT_DOUBLE_EQ(r->samples[1].value, -0.25);
  EXPECT_EQ(r->nonFinite, 0U);
}

TEST(ReadMatrixTest, StreamsTheCommonAnswerAndLeavesTheRestToTheTree) {
  const auto ok = readMatrix(R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"a":{"b":[1]}},"values":[[10,"1"],[20.5,"NaN"],[30,"-Inf"],[40,"2.5"]]}]},"warnings":["w"]})");
  ASSERT_TRUE(ok.has_value());
  ASSERT_EQ(ok->samples.size(), 4U);
  EXPECT_DOUBLE_EQ(ok->samples[1].time, 20.5);
  EXPECT_TRUE(std::isnan(ok->samples[2].value));
  EXPECT_DOUBLE_EQ(ok->samples[3].value, 2.5);
  EXPECT_EQ(ok->nonFinite, 2U);
  const auto empty = readMatrix(R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->samples.empty());
  for (const char* body : {
           R"({"status":"error","errorType":"bad_data","error":"x"})",
           R"({"status":"success","data":{"resultType":"vector","result":[]}})",
           R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[]},{"values":[]}]}})",
           R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{}}]}})",
           R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"2",3]]}]}})",
           R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,2]]}]}})",
           R"({"status":"success","data":{"resultType":"matrix"}})",
           R"([1,2])",
           R"({"status":"success","data":{"resultType":"matrix","result":[]}} trailing)",
       }) {
    EXPECT_FALSE(readMatrix(body).has_value()) << body;
  }
}

// The reference: what a JSON tree says the samples of a one-series matrix are (nullopt when
// the body is not one).
std::optional<std::vector<std::pair<double, std::string>>> treeSamples(const std::string& body) {
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("status", "") != "success") return std::nullopt;
  const auto data = doc.value("data", nlohmann::json::object());
  if (!data.is_object() || data.value("resultType", "") != "matrix" || !data.contains("result")) return std::nullopt;
  const auto& result = data["result"];
  if (!result.is_array() || result.size() > 1) return std::nullopt;
  std::vector<std::pair<double, std::string>> out;
  if (result.empty()) return out;
  if (!result[0].is_object() || !result[0].contains("values") || !result[0]["values"].is_array()) return std::nullopt;
  for (const auto& p : result[0]["values"]) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_string()) return std::nullopt;
    out.emplace_back(p[0].get<double>(), p[1].get<std::string>());
  }
  return out;
}

TEST(ReadMatrixTest, MutatedBodiesNeverCrashAndAgreeWithTheTreeWhenRead) {
  const std::string valid = R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},)"
                            R"("values":[[1700000000,"1.5"],[1700000060,"NaN"],[1700000120.25,"30"]]}]}})";
  const std::string alphabet = R"({}[]",:0123456789.-+eE aNInfstuvlr)";
  std::mt19937 rng(12345);  // fixed: the same 3,000 bodies every run
  std::size_t read = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string body = valid;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body.erase(at, 1 + rng() % 4);
          break;
        case 1:
          body.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          body[at] = alphabet[rng() % alphabet.size()];
      }
    }
    const auto fast = readMatrix(body);
    if (!fast) continue;  // parseRange() decodes it as a tree
    ++read;
    const auto tree = treeSamples(body);
    ASSERT_TRUE(tree.has_value()) << "read a body the tree rejects: " << body;
    ASSERT_EQ(fast->samples.size(), tree->size()) << body;
    for (std::size_t k = 0; k < tree->size(); ++k) {
      EXPECT_EQ(fast->samples[k].time, (*tree)[k].first) << body;
      const auto& text = (*tree)[k].second;
      const double v = text == "NaN" || text == "+Inf" || text == "-Inf" || text == "Inf"
                           ? std::nan("")
                           : std::strtod(text.c_str(), nullptr);
      if (std::isfinite(v)) {
        EXPECT_EQ(fast->samples[k].value, v) << body;
      } else {
        EXPECT_TRUE(std::isnan(fast->samples[k].value)) << "non-finite values are masked as NaN: " << body;
      }
    }
  }
  // Most single edits break the JSON, but some keep a readable matrix: both kinds were tried.
  EXPECT_GT(read, 50U);
  EXPECT_LT(read, 3000U);
}

TEST(ParseRangeTest, MalformedMatricesAreBadResponsesNamingTheShape) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{}}]}})", "no values list"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":5}]}})", "no values list"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"2",3]]}]}})",
       "not [time, \"value\"]"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[["1","2"]]}]}})",
       "not [time, \"value\"]"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"x2"]]}]}})",
       "not [time, \"value\"]"},
      {R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"2"]]}]})", "not JSON"},
      {R"({"status":"success","data":{"resultType":"matrix"}})", "no data.result"},
      {R"({"status":"success","data":{"resultType":"matrix","result":{"values":[]}}})", "not a list"},
  };
  for (const auto& [body, what] : cases) {
    auto r = parseRange(200, body);
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kBadResponse) << body;
    EXPECT_NE(r.error().message.find(what), std::string::npos) << body << " -> " << r.error().message;
  }
}

TEST(ParseRangeTest, ErrorsAndHttpFailuresKeepTheirReasons) {
  auto err = parseRange(422, R"({"status":"error","errorType":"execution","error":"too many samples"})");
  ASSERT_FALSE(err.has_value());
  EXPECT_EQ(err.error().code, ErrorCode::kQueryFailed);
  EXPECT_EQ(err.error().message, "execution: too many samples");
  // A well-formed matrix with a failing HTTP status is not taken as data.
  auto http = parseRange(503, R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
  ASSERT_FALSE(http.has_value());
  EXPECT_EQ(http.error().code, ErrorCode::kTransient);
}

}  // namespace
}  // namespace tso::prom
