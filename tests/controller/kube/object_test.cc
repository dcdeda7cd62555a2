#include "controller/kube/object.h"

#include <gtest/gtest.h>

#include <vector>

namespace tso::kube {
namespace {

TEST(ObjectTest, DecodesMetadataAndKeepsTheBody) {
  auto obj = parseObject(R"({"kind":"ConfigMap","metadata":{"name":"a","namespace":"n","uid":"u1",
    "resourceVersion":"17","generation":3,"managedFields":[{"manager":"x"}]},"data":{"k":"v"}})");
  ASSERT_TRUE(obj.has_value()) << obj.error().toString();
  EXPECT_EQ(obj->key(), "n/a");
  EXPECT_EQ(obj->meta.uid, "u1");
  EXPECT_EQ(obj->meta.resourceVersion, "17");
  EXPECT_EQ(obj->meta.generation, 3);
  EXPECT_FALSE(obj->meta.deleting);
  EXPECT_EQ(obj->body["data"]["k"], "v");
  stripManagedFields(*obj);
  EXPECT_FALSE(obj->body["metadata"].contains("managedFields"));
}

TEST(ObjectTest, GarbageTruncatedAndWrongTypesAreBadResponse) {
  for (const char* text : {"", "garbage", R"({"metadata":{"name":"a")", "[1,2]", R"({"metadata":5})", "null"}) {
    auto obj = parseObject(text);
    ASSERT_FALSE(obj.has_value()) << text;
    EXPECT_EQ(obj.error().code, ErrorCode::kBadResponse) << text;
  }
  // Wrong field types inside metadata are tolerated as absent rather than thrown.
  auto odd = parseObject(R"({"metadata":{"name":5,"generation":"x"}})");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->meta.name, "");
  EXPECT_EQ(odd->meta.generation, 0);
}

TEST(ObjectTest, ListCarriesContinueAndResourceVersion) {
  auto list = parseObjectList(R"({"metadata":{"resourceVersion":"99","continue":"tok"},
    "items":[{"metadata":{"name":"a","namespace":"n"}},{"metadata":{"name":"b","namespace":"n"}}]})");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->resourceVersion, "99");
  EXPECT_EQ(list->continueToken, "tok");
  auto empty = parseObjectList(R"({"metadata":{"resourceVersion":"1"},"items":null})");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->items.empty());
  EXPECT_EQ(parseObjectList(R"({"items":{}})").error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(parseObjectList(R"({"items":[{"metadata":1}]})").error().code, ErrorCode::kBadResponse);
}

TEST(ObjectTest, WatchEventsIncludingBookmarkAndGoneError) {
  auto added = parseWatchEvent(R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})");
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(added->type, WatchEventType::kAdded);
  EXPECT_EQ(added->object.meta.resourceVersion, "5");
  auto bookmark = parseWatchEvent(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}})");
  ASSERT_TRUE(bookmark.has_value());
  EXPECT_EQ(bookmark->type, WatchEventType::kBookmark);
  auto gone = parseWatchEvent(
      R"j({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (5)"}})j");
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(gone->type, WatchEventType::kError);
  EXPECT_EQ(gone->error.code, ErrorCode::kGone);
  EXPECT_NE(gone->error.message.find("too old resource version"), std::string::npos);
  EXPECT_EQ(parseWatchEvent(R"({"type":"WHAT","object":{"metadata":{}}})").error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(parseWatchEvent(R"({"type":"ADDED"})").error().code, ErrorCode::kBadResponse);
  EXPECT_EQ(parseWatchEvent(R"({"type":"ADDED","object":{"metadata":{"na)").error().code, ErrorCode::kBadResponse);
}

TEST(ObjectTest, StatusCodesMapToErrorCodes) {
  const std::string status = R"({"kind":"Status","message":"spec.replicas: Invalid value: -1"})";
  EXPECT_EQ(errorFromStatus(404, "").code, ErrorCode::kNotFound);
  EXPECT_EQ(errorFromStatus(409, "").code, ErrorCode::kConflict);
  EXPECT_EQ(errorFromStatus(410, "").code, ErrorCode::kGone);
  auto invalid = errorFromStatus(422, status);
  EXPECT_EQ(invalid.code, ErrorCode::kInvalid);
  EXPECT_EQ(invalid.message, "HTTP 422: spec.replicas: Invalid value: -1");  // the server's message kept
  auto throttled = errorFromStatus(429, "", 7);
  EXPECT_EQ(throttled.code, ErrorCode::kThrottled);
  EXPECT_EQ(throttled.retryAfterSeconds, 7);
  EXPECT_EQ(errorFromStatus(503, "<html>").code, ErrorCode::kTransient);
  EXPECT_EQ(errorFromStatus(401, "").code, ErrorCode::kUnauthorized);
  EXPECT_EQ(errorFromStatus(403, "").code, ErrorCode::kUnauthorized);
  EXPECT_EQ(errorFromStatus(302, "").code, ErrorCode::kBadResponse);
}

TEST(LineFramerTest, ReassemblesLinesAcrossChunks) {
  LineFramer framer;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  };
  ASSERT_TRUE(framer.feed("{\"a\":", collect).value());
  ASSERT_TRUE(framer.feed("1}\n{\"b\"", collect).value());
  ASSERT_TRUE(framer.feed(":2}\r\n\n{\"c\":3}\n", collect).value());
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(LineFramerTest, StopsWhenAskedAndRejectsOversizedLines) {
  LineFramer framer(8);
  int seen = 0;
  auto result = framer.feed("a\nb\nc\n", [&](std::string_view) { return ++seen < 2; });
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(*result);
  EXPECT_EQ(seen, 2);
  auto big = framer.feed("0123456789", [](std::string_view) { return true; });
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, ErrorCode::kBadResponse);
}

}  // namespace
}  // namespace tso::kube
