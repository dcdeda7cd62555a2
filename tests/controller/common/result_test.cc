#include "controller/common/result.h"

#include <gtest/gtest.h>

namespace tso {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return fail(ErrorCode::kInvalid, "must be positive, got " + std::to_string(v));
  return v;
}

TEST(ResultTest, CarriesValueOrCodedError) {
  auto ok = parsePositive(3);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 3);

  auto bad = parsePositive(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().toString(), "Invalid: must be positive, got -1");
}

TEST(ResultTest, EveryCodeHasADistinctName) {
  EXPECT_EQ(errorCodeName(ErrorCode::kGone), "Gone");
  EXPECT_EQ(errorCodeName(ErrorCode::kThrottled), "Throttled");
  EXPECT_NE(errorCodeName(ErrorCode::kConflict), errorCodeName(ErrorCode::kTransient));
}

}  // namespace
}  // namespace tso
