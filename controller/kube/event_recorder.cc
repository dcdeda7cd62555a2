#include "controller/kube/event_recorder.h"

#include <cstdio>

#include "controller/kube/api.h"
#include "controller/kube/time_format.h"

namespace tso::kube {

EventRecorder::EventRecorder(Client& client, std::string component, Clock& clock)
    : client_(client), component_(std::move(component)), clock_(clock) {}

Status EventRecorder::record(const ObjectReference& object, EventType type, const std::string& reason,
                             const std::string& message) {
  const std::string typeName = type == EventType::kWarning ? "Warning" : "Normal";
  const std::string key = object.uid + "\x1f" + object.kind + "\x1f" + object.ns + "\x1f" + object.name + "\x1f" +
                          typeName + "\x1f" + reason + "\x1f" + message;
  std::unique_lock lock(mu_);
  auto now = clock_.now();
  auto it = seen_.find(key);
  if (it != seen_.end() && now - it->second.last < kAggregationWindow) {
    Seen& s = it->second;
    s.count += 1;
    s.last = now;
    lru_.splice(lru_.begin(), lru_, s.lru);
    std::string name = s.eventName;
    std::string ns = s.ns;
    int count = s.count;
    lock.unlock();
    Api api(client_, kEvents, ns);
    auto patched = api.patch(name, {{"count", count}, {"lastTimestamp", formatTime(clock_.wallNow())}});
    if (patched) return {};
    if (patched.error().code != ErrorCode::kNotFound) return std::unexpected(patched.error());
    // The Event expired on the server (1 h TTL by default): start a new one.
    lock.lock();
  }
  return create(key, object, type, reason, message);
}

Status EventRecorder::create(const std::string& key, const ObjectReference& object, EventType type,
                             const std::string& reason, const std::string& message) {
  // Called with mu_ held through record()'s unique_lock; the name needs the sequence only.
  char suffix[40];
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.wallNow().time_since_epoch()).count();
  std::snprintf(suffix, sizeof suffix, ".%llx%llx", static_cast<unsigned long long>(nanos),
                static_cast<unsigned long long>(sequence_++ & 0xFFFF));
  std::string name = object.name + suffix;
  std::string ns = object.ns.empty() ? "default" : object.ns;
  std::string stamp = formatTime(clock_.wallNow());
  nlohmann::json event = {{"apiVersion", "v1"},
                          {"kind", "Event"},
                          {"metadata", {{"name", name}, {"namespace", ns}}},
                          {"involvedObject",
                           {{"apiVersion", object.apiVersion},
                            {"kind", object.kind},
                            {"namespace", object.ns},
                            {"name", object.name},
                            {"uid", object.uid}}},
                          {"type", type == EventType::kWarning ? "Warning" : "Normal"},
                          {"reason", reason},
                          {"message", message},
                          {"count", 1},
                          {"firstTimestamp", stamp},
                          {"lastTimestamp", stamp},
                          {"source", {{"component", component_}}},
                          {"reportingComponent", component_}};
  auto& s = seen_[key];
  if (s.count == 0) {
    lru_.push_front(key);
    s.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, s.lru);
  }
  s.eventName = name;
  s.ns = ns;
  s.count = 1;
  s.last = clock_.now();
  while (seen_.size() > kMaxCached) {
    seen_.erase(lru_.back());
    lru_.pop_back();
  }
  Api api(client_, kEvents, ns);
  auto created = api.create(event);
  if (!created) return std::unexpected(created.error());
  return {};
}

}  // namespace tso::kube
