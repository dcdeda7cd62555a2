// API objects as the client sees them: JSON bodies with their metadata decoded once, lists with
// their continue token, watch events and the newline framing of a watch stream. Decoding
// never throws: garbage, truncated JSON or a wrong type becomes a kBadResponse error.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "controller/common/result.h"

namespace tso::kube {

struct ObjectMeta {
  std::string name;
  std::string ns;
  std::string uid;
  std::string resourceVersion;
  int64_t generation = 0;
  bool deleting = false;  // metadata.deletionTimestamp is set
};

struct Object {
  ObjectMeta meta;
  nlohmann::json body;  // the whole object as the server sent it (minus stripped fields)

  // "namespace/name", or "name" for cluster-scoped objects: the store and work-queue key.
  [[nodiscard]] std::string key() const { return meta.ns.empty() ? meta.name : meta.ns + "/" + meta.name; }
};

struct ObjectList {
  std::vector<Object> items;
  std::string resourceVersion;
  std::string continueToken;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  Object object;  // for kBookmark only meta.resourceVersion is meaningful
  Error error;    // for kError: the Status the server sent (410 becomes kGone)
};

Result<Object> decodeObject(nlohmann::json body);
Result<Object> parseObject(std::string_view text);
Result<ObjectList> parseObjectList(std::string_view text);
Result<WatchEvent> parseWatchEvent(std::string_view line);

// Drops metadata.managedFields: large, and useless to a controller's cache.
void stripManagedFields(Object& obj);

// Maps an HTTP status and a (possibly Status-shaped) body to an error code:
// 404 kNotFound, 409 kConflict, 410 kGone, 400/422 kInvalid, 429 kThrottled, 401/403
// kUnauthorized, 5xx kTransient, anything else kBadResponse. The server's message is kept.
Error errorFromStatus(int httpStatus, std::string_view body, int retryAfterSeconds = 0);

// Splits a watch stream into lines (one JSON event per line) across arbitrary chunk
// boundaries. A line longer than maxLine is an error, so a broken server cannot grow memory
// without bound.
class LineFramer {
 public:
  explicit LineFramer(size_t maxLine = 64u << 20) : maxLine_(maxLine) {}
  // Calls onLine for each complete non-empty line; stops early (returning false) when onLine
  // returns false. Fails with kBadResponse on an oversized line.
  Result<bool> feed(std::string_view chunk, const std::function<bool(std::string_view)>& onLine);
  [[nodiscard]] size_t buffered() const { return partial_.size(); }

 private:
  size_t maxLine_;
  std::string partial_;
};

}  // namespace tso::kube
