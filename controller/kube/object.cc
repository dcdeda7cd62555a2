#include "controller/kube/object.h"

namespace tso::kube {

namespace {

std::string stringField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

Result<nlohmann::json> parseJson(std::string_view text, std::string_view what) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return fail(ErrorCode::kBadResponse,
                std::string(what) + ": invalid JSON (" + std::to_string(text.size()) + " bytes)");
  }
  return j;
}

}  // namespace

Result<Object> decodeObject(nlohmann::json body) {
  if (!body.is_object()) return fail(ErrorCode::kBadResponse, "object: expected a JSON object");
  auto meta = body.find("metadata");
  if (meta == body.end() || !meta->is_object()) {
    return fail(ErrorCode::kBadResponse, "object: missing metadata");
  }
  Object obj;
  obj.meta.name = stringField(*meta, "name");
  obj.meta.ns = stringField(*meta, "namespace");
  obj.meta.uid = stringField(*meta, "uid");
  obj.meta.resourceVersion = stringField(*meta, "resourceVersion");
  if (auto g = meta->find("generation"); g != meta->end() && g->is_number_integer()) {
    obj.meta.generation = g->get<int64_t>();
  }
  obj.meta.deleting = meta->contains("deletionTimestamp") && !(*meta)["deletionTimestamp"].is_null();
  obj.body = std::move(body);
  return obj;
}

Result<Object> parseObject(std::string_view text) {
  auto j = parseJson(text, "object");
  if (!j) return std::unexpected(j.error());
  return decodeObject(std::move(*j));
}

Result<ObjectList> parseObjectList(std::string_view text) {
  auto j = parseJson(text, "list");
  if (!j) return std::unexpected(j.error());
  if (!j->is_object()) return fail(ErrorCode::kBadResponse, "list: expected a JSON object");
  ObjectList list;
  if (auto meta = j->find("metadata"); meta != j->end() && meta->is_object()) {
    list.resourceVersion = stringField(*meta, "resourceVersion");
    list.continueToken = stringField(*meta, "continue");
  }
  auto items = j->find("items");
  if (items == j->end() || items->is_null()) return list;  // an empty list may omit items
  if (!items->is_array()) return fail(ErrorCode::kBadResponse, "list: items is not an array");
  list.items.reserve(items->size());
  for (auto& item : *items) {
    auto obj = decodeObject(std::move(item));
    if (!obj) return fail(ErrorCode::kBadResponse, "list item: " + obj.error().message);
    list.items.push_back(std::move(*obj));
  }
  return list;
}

Result<WatchEvent> parseWatchEvent(std::string_view line) {
  auto j = parseJson(line, "watch event");
  if (!j) return std::unexpected(j.error());
  if (!j->is_object()) return fail(ErrorCode::kBadResponse, "watch event: expected a JSON object");
  std::string type = stringField(*j, "type");
  auto objIt = j->find("object");
  if (objIt == j->end() || !objIt->is_object()) {
    return fail(ErrorCode::kBadResponse, "watch event: missing object");
  }
  WatchEvent ev;
  if (type == "ERROR") {
    ev.type = WatchEventType::kError;
    int code = 0;
    if (auto c = objIt->find("code"); c != objIt->end() && c->is_number_integer()) code = c->get<int>();
    ev.error = errorFromStatus(code, objIt->dump());
    return ev;
  }
  if (type == "ADDED") {
    ev.type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    ev.type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    ev.type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    ev.type = WatchEventType::kBookmark;
  } else {
    return fail(ErrorCode::kBadResponse, "watch event: unknown type \"" + type + "\"");
  }
  auto obj = decodeObject(std::move(*objIt));
  if (!obj) return fail(ErrorCode::kBadResponse, "watch event: " + obj.error().message);
  ev.object = std::move(*obj);
  return ev;
}

void stripManagedFields(Object& obj) {
  if (auto meta = obj.body.find("metadata"); meta != obj.body.end() && meta->is_object()) {
    meta->erase("managedFields");
  }
}

Error errorFromStatus(int httpStatus, std::string_view body, int retryAfterSeconds) {
  std::string message;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    message = stringField(j, "message");
    if (message.empty()) message = stringField(j, "reason");
  }
  if (message.empty()) message = std::string(body.substr(0, 200));
  message = "HTTP " + std::to_string(httpStatus) + ": " + message;
  ErrorCode code = ErrorCode::kBadResponse;
  if (httpStatus == 404) {
    code = ErrorCode::kNotFound;
  } else if (httpStatus == 409) {
    code = ErrorCode::kConflict;
  } else if (httpStatus == 410) {
    code = ErrorCode::kGone;
  } else if (httpStatus == 400 || httpStatus == 422) {
    code = ErrorCode::kInvalid;
  } else if (httpStatus == 429) {
    code = ErrorCode::kThrottled;
  } else if (httpStatus == 401 || httpStatus == 403) {
    code = ErrorCode::kUnauthorized;
  } else if (httpStatus >= 500 && httpStatus <= 599) {
    code = ErrorCode::kTransient;
  }
  return Error{code, std::move(message), retryAfterSeconds};
}

Result<bool> LineFramer::feed(std::string_view chunk, const std::function<bool(std::string_view)>& onLine) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() + chunk.size() > maxLine_) {
        partial_.clear();
        return fail(ErrorCode::kBadResponse, "watch stream: line longer than " + std::to_string(maxLine_) + " bytes");
      }
      partial_.append(chunk);
      return true;
    }
    std::string_view line;
    if (partial_.empty()) {
      line = chunk.substr(0, nl);
    } else {
      if (partial_.size() + nl > maxLine_) {
        partial_.clear();
        return fail(ErrorCode::kBadResponse, "watch stream: line longer than " + std::to_string(maxLine_) + " bytes");
      }
      partial_.append(chunk.substr(0, nl));
      line = partial_;
    }
    chunk.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool keepGoing = line.empty() || onLine(line);
    partial_.clear();
    if (!keepGoing) return false;
  }
  return true;
}

}  // namespace tso::kube
