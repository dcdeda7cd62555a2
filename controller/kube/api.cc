#include "controller/kube/api.h"

namespace tso::kube {

Api::Api(Client& client, const Resource& resource, std::string ns)
    : client_(client), resource_(resource), ns_(std::move(ns)) {}

Result<Object> Api::sendForObject(const HttpRequest& request) {
  auto response = client_.send(request);
  if (!response) return std::unexpected(response.error());
  return parseObject(response->body);
}

Result<Object> Api::get(std::string_view name) { return sendForObject(getRequest(resource_, ns_, name)); }

Result<ObjectList> Api::list(const ListParams& params) {
  auto response = client_.send(listRequest(resource_, ns_, params));
  if (!response) return std::unexpected(response.error());
  return parseObjectList(response->body);
}

Result<ObjectList> Api::listAll(ListParams params, int pageSize) {
  params.limit = pageSize;
  params.continueToken.clear();
  ObjectList all;
  // Bounded: a server that keeps handing out continue tokens cannot loop us forever.
  for (int page = 0; page < 100000; ++page) {
    auto chunk = list(params);
    if (!chunk) return std::unexpected(chunk.error());
    if (all.items.empty()) {
      all.items = std::move(chunk->items);
    } else {
      all.items.insert(all.items.end(), std::make_move_iterator(chunk->items.begin()),
                       std::make_move_iterator(chunk->items.end()));
    }
    all.resourceVersion = chunk->resourceVersion;
    if (chunk->continueToken.empty()) return all;
    params.continueToken = chunk->continueToken;
  }
  return fail(ErrorCode::kBadResponse, "list: too many pages");
}

Result<Object> Api::create(const nlohmann::json& body) {
  return sendForObject(createRequest(resource_, ns_, body.dump()));
}

Result<Object> Api::replace(std::string_view name, const nlohmann::json& body) {
  return sendForObject(replaceRequest(resource_, ns_, name, body.dump()));
}

Result<Object> Api::replaceStatus(std::string_view name, const nlohmann::json& body) {
  return sendForObject(replaceRequest(resource_, ns_, name, body.dump(), "status"));
}

Result<Object> Api::patch(std::string_view name, const nlohmann::json& mergePatch, const PatchParams& params,
                          std::string_view subresource) {
  return sendForObject(patchRequest(resource_, ns_, name, PatchType::kMerge, mergePatch.dump(), params, subresource));
}

Result<Object> Api::apply(std::string_view name, const nlohmann::json& body, const PatchParams& params,
                          std::string_view subresource) {
  // JSON is valid YAML, so the apply body can be sent as JSON text.
  return sendForObject(patchRequest(resource_, ns_, name, PatchType::kApply, body.dump(), params, subresource));
}

Status Api::remove(std::string_view name, const DeleteParams& params) {
  auto response = client_.send(deleteRequest(resource_, ns_, name, params));
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<Scale> decodeScale(const nlohmann::json& body) {
  // Field access on foreign JSON can throw on a wrong type; this is the edge that catches it.
  try {
    Scale s;
    s.name = body.at("metadata").value("name", "");
    s.resourceVersion = body.at("metadata").value("resourceVersion", "");
    if (auto spec = body.find("spec"); spec != body.end()) s.specReplicas = spec->value("replicas", 0);
    if (auto status = body.find("status"); status != body.end()) {
      s.statusReplicas = status->value("replicas", 0);
      s.selector = status->value("selector", "");
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kBadResponse, std::string("scale: ") + e.what());
  }
}

Result<Scale> Api::getScale(std::string_view name) {
  auto obj = sendForObject(getRequest(resource_, ns_, name, "scale"));
  if (!obj) return std::unexpected(obj.error());
  return decodeScale(obj->body);
}

Result<Scale> Api::setScale(std::string_view name, int replicas) {
  nlohmann::json patchBody = {{"spec", {{"replicas", replicas}}}};
  auto obj = patch(name, patchBody, {}, "scale");
  if (!obj) return std::unexpected(obj.error());
  return decodeScale(obj->body);
}

Status Api::watch(const WatchParams& params, const std::function<bool(WatchEvent&&)>& onEvent, Cancellation& cancel) {
  LineFramer framer;
  Error streamError;
  bool failed = false;
  auto onData = [&](std::string_view chunk) {
    auto fed = framer.feed(chunk, [&](std::string_view line) {
      auto event = parseWatchEvent(line);
      if (!event) {
        streamError = event.error();
        failed = true;
        return false;
      }
      return onEvent(std::move(*event));
    });
    if (!fed) {
      streamError = fed.error();
      failed = true;
      return false;
    }
    return *fed;
  };
  auto status = client_.stream(watchRequest(resource_, ns_, params), onData, cancel);
  if (!status) return status;
  if (failed) return std::unexpected(streamError);
  return {};
}

Result<Object> updateWithRetry(Api& api, std::string_view name, const std::function<Status(nlohmann::json&)>& mutate,
                               int attempts) {
  Error last{ErrorCode::kConflict, "no attempt made", 0};
  for (int i = 0; i < attempts; ++i) {
    auto current = api.get(name);
    if (!current) return std::unexpected(current.error());
    auto changed = mutate(current->body);
    if (!changed) return std::unexpected(changed.error());
    auto written = api.replace(name, current->body);
    if (written) return written;
    if (written.error().code != ErrorCode::kConflict) return written;
    last = written.error();
  }
  return std::unexpected(last);
}

}  // namespace tso::kube
