// Typed verbs on one resource in one namespace (kube-rs Api<K>): get, list (with paging),
// watch, create, replace, merge patch, server-side apply, delete, and the status and scale
// subresources. Objects come back decoded; errors carry codes from errorFromStatus().
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "controller/common/result.h"
#include "controller/kube/client.h"
#include "controller/kube/object.h"
#include "controller/kube/request.h"
#include "controller/kube/resource.h"

namespace tso::kube {

// The scale subresource (autoscaling/v1 Scale) of a Deployment or StatefulSet.
struct Scale {
  std::string name;
  std::string resourceVersion;
  int specReplicas = 0;
  int statusReplicas = 0;
  std::string selector;
};

class Api {
 public:
  // An empty `ns` on a namespaced resource lists and watches across all namespaces.
  Api(Client& client, const Resource& resource, std::string ns);

  Result<Object> get(std::string_view name);
  Result<ObjectList> list(const ListParams& params = {});
  // Follows continue tokens until the list is complete; `pageSize` objects per request.
  // Returns the items and the resourceVersion of the (consistent) snapshot.
  Result<ObjectList> listAll(ListParams params = {}, int pageSize = 500);

  Result<Object> create(const nlohmann::json& body);
  // PUT: body must carry metadata.resourceVersion; a stale one is kConflict.
  Result<Object> replace(std::string_view name, const nlohmann::json& body);
  Result<Object> replaceStatus(std::string_view name, const nlohmann::json& body);
  Result<Object> patch(std::string_view name, const nlohmann::json& mergePatch, const PatchParams& params = {},
                       std::string_view subresource = {});
  // Server-side apply: `body` is the full intent of this field manager (needs apiVersion/kind).
  Result<Object> apply(std::string_view name, const nlohmann::json& body, const PatchParams& params = {},
                       std::string_view subresource = {});
  Status remove(std::string_view name, const DeleteParams& params = {});

  Result<Scale> getScale(std::string_view name);
  Result<Scale> setScale(std::string_view name, int replicas);

  // Streams watch events to onEvent until the server ends the watch, onEvent returns false,
  // or `cancel` fires. Stream-level failures (bad framing, undecodable event) are errors.
  Status watch(const WatchParams& params, const std::function<bool(WatchEvent&&)>& onEvent, Cancellation& cancel);

  [[nodiscard]] const Resource& resource() const { return resource_; }
  [[nodiscard]] const std::string& ns() const { return ns_; }
  [[nodiscard]] Client& client() const { return client_; }

 private:
  Result<Object> sendForObject(const HttpRequest& request);

  Client& client_;
  Resource resource_;
  std::string ns_;
};

// get -> mutate -> replace, retried on 409 Conflict (client-go's RetryOnConflict): the cache
// may be stale and another writer may win, so writes re-read and re-apply their change.
// `mutate` edits the fresh object in place; returning an error aborts without writing.
Result<Object> updateWithRetry(Api& api, std::string_view name, const std::function<Status(nlohmann::json&)>& mutate,
                               int attempts = 5);

Result<Scale> decodeScale(const nlohmann::json& body);

}  // namespace tso::kube
