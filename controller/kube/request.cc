#include "controller/kube/request.h"

#include <array>
#include <nlohmann/json.hpp>

namespace tso::kube {

std::string_view methodName(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string_view patchContentType(PatchType t) {
  switch (t) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::string urlEncode(std::string_view s) {
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

namespace {

// Accumulates "?a=1&b=2", skipping empty values.
class Query {
 public:
  void add(std::string_view key, std::string_view value) {
    if (value.empty()) return;
    text_ += text_.empty() ? '?' : '&';
    text_ += key;
    text_ += '=';
    text_ += urlEncode(value);
  }
  [[nodiscard]] const std::string& str() const { return text_; }

 private:
  std::string text_;
};

}  // namespace

std::string resourcePath(const Resource& r, std::string_view ns, std::string_view name, std::string_view subresource) {
  std::string path = r.group.empty() ? "/api/" + std::string(r.version)
                                     : "/apis/" + std::string(r.group) + "/" + std::string(r.version);
  if (r.namespaced && !ns.empty()) path += "/namespaces/" + urlEncode(ns);
  path += "/";
  path += r.plural;
  if (!name.empty()) path += "/" + urlEncode(name);
  if (!subresource.empty()) path += "/" + std::string(subresource);
  return path;
}

HttpRequest getRequest(const Resource& r, std::string_view ns, std::string_view name, std::string_view subresource) {
  return HttpRequest{Method::kGet, resourcePath(r, ns, name, subresource), {}, {}, {}};
}

HttpRequest listRequest(const Resource& r, std::string_view ns, const ListParams& p) {
  Query q;
  q.add("labelSelector", p.labelSelector);
  q.add("fieldSelector", p.fieldSelector);
  if (p.limit > 0) q.add("limit", std::to_string(p.limit));
  q.add("continue", p.continueToken);
  // resourceVersion is ignored by the server together with continue; leave it out then.
  if (p.continueToken.empty()) q.add("resourceVersion", p.resourceVersion);
  return HttpRequest{Method::kGet, resourcePath(r, ns) + q.str(), {}, {}, {}};
}

HttpRequest watchRequest(const Resource& r, std::string_view ns, const WatchParams& p) {
  Query q;
  q.add("watch", "true");
  q.add("labelSelector", p.labelSelector);
  q.add("fieldSelector", p.fieldSelector);
  q.add("resourceVersion", p.resourceVersion);
  if (p.allowWatchBookmarks) q.add("allowWatchBookmarks", "true");
  if (p.timeoutSeconds > 0) q.add("timeoutSeconds", std::to_string(p.timeoutSeconds));
  // The client must wait longer than the server holds the stream open, or every healthy
  // watch would end in a client-side timeout.
  std::chrono::milliseconds timeout =
      p.timeoutSeconds > 0 ? std::chrono::seconds(p.timeoutSeconds + 30) : std::chrono::minutes(10);
  return HttpRequest{Method::kGet, resourcePath(r, ns) + q.str(), {}, {}, timeout};
}

HttpRequest createRequest(const Resource& r, std::string_view ns, std::string body, std::string_view fieldManager) {
  Query q;
  q.add("fieldManager", fieldManager);
  return HttpRequest{Method::kPost, resourcePath(r, ns) + q.str(), std::move(body), "application/json", {}};
}

HttpRequest replaceRequest(const Resource& r, std::string_view ns, std::string_view name, std::string body,
                           std::string_view subresource, std::string_view fieldManager) {
  Query q;
  q.add("fieldManager", fieldManager);
  return HttpRequest{
      Method::kPut, resourcePath(r, ns, name, subresource) + q.str(), std::move(body), "application/json", {}};
}

HttpRequest patchRequest(const Resource& r, std::string_view ns, std::string_view name, PatchType type,
                         std::string body, const PatchParams& p, std::string_view subresource) {
  Query q;
  q.add("fieldManager", p.fieldManager);
  if (type == PatchType::kApply && p.force) q.add("force", "true");
  return HttpRequest{Method::kPatch,
                     resourcePath(r, ns, name, subresource) + q.str(),
                     std::move(body),
                     std::string(patchContentType(type)),
                     {}};
}

HttpRequest deleteRequest(const Resource& r, std::string_view ns, std::string_view name, const DeleteParams& p) {
  HttpRequest req{Method::kDelete, resourcePath(r, ns, name), {}, {}, {}};
  if (!p.propagationPolicy.empty() || !p.preconditionResourceVersion.empty()) {
    nlohmann::json opts = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    if (!p.propagationPolicy.empty()) opts["propagationPolicy"] = p.propagationPolicy;
    if (!p.preconditionResourceVersion.empty()) {
      opts["preconditions"] = {{"resourceVersion", p.preconditionResourceVersion}};
    }
    req.body = opts.dump();
    req.contentType = "application/json";
  }
  return req;
}

}  // namespace tso::kube
