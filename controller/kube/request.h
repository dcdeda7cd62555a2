// Builds API requests (method, path, query, body, content type) as plain values, apart from
// any transport, so paths, query strings and patch bodies are unit-tested without a network
// (the kube-rs kube-core/request.rs split).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "controller/kube/resource.h"

namespace tso::kube {

enum class Method { kGet, kPost, kPut, kPatch, kDelete };
std::string_view methodName(Method m);

enum class PatchType { kMerge, kStrategicMerge, kJson, kApply };
std::string_view patchContentType(PatchType t);

struct HttpRequest {
  Method method = Method::kGet;
  std::string path;  // absolute path with query string, e.g. /api/v1/namespaces/a/pods?limit=5
  std::string body;
  std::string contentType;  // empty when there is no body
  // Zero: the transport's default. Watches set it above their server-side timeout.
  std::chrono::milliseconds timeout{0};
};

struct ListParams {
  std::string labelSelector;
  std::string fieldSelector;
  int limit = 0;  // 0: no paging
  std::string continueToken;
  std::string resourceVersion;  // "0": any cached version is fine (cheap for the server)
};

struct WatchParams {
  std::string labelSelector;
  std::string fieldSelector;
  std::string resourceVersion;
  bool allowWatchBookmarks = true;
  int timeoutSeconds = 290;  // below 5 minutes, as kube-rs does, so proxies never cut it first
};

struct PatchParams {
  std::string fieldManager = "throughput-operator";
  bool force = false;  // server-side apply: take ownership of conflicting fields
};

struct DeleteParams {
  std::string propagationPolicy;  // "Foreground", "Background", "Orphan" or empty
  std::string preconditionResourceVersion;
};

// Percent-encodes one query component (RFC 3986 unreserved characters pass through).
std::string urlEncode(std::string_view s);

// /api/v1[/namespaces/ns]/plural[/name[/subresource]]. An empty ns on a namespaced resource
// addresses all namespaces (lists and watches).
std::string resourcePath(const Resource& r, std::string_view ns, std::string_view name = {},
                         std::string_view subresource = {});

HttpRequest getRequest(const Resource& r, std::string_view ns, std::string_view name,
                       std::string_view subresource = {});
HttpRequest listRequest(const Resource& r, std::string_view ns, const ListParams& p);
HttpRequest watchRequest(const Resource& r, std::string_view ns, const WatchParams& p);
HttpRequest createRequest(const Resource& r, std::string_view ns, std::string body,
                          std::string_view fieldManager = "throughput-operator");
// PUT: the body must carry metadata.resourceVersion for optimistic concurrency.
HttpRequest replaceRequest(const Resource& r, std::string_view ns, std::string_view name, std::string body,
                           std::string_view subresource = {}, std::string_view fieldManager = "throughput-operator");
HttpRequest patchRequest(const Resource& r, std::string_view ns, std::string_view name, PatchType type,
                         std::string body, const PatchParams& p, std::string_view subresource = {});
HttpRequest deleteRequest(const Resource& r, std::string_view ns, std::string_view name, const DeleteParams& p = {});

}  // namespace tso::kube
