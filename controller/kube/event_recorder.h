// Records core/v1 Events about objects (what `kubectl describe` shows). A repeat of the same
// event (object, type, reason, message) within the aggregation window patches the existing
// Event's count and lastTimestamp instead of creating a new one, as client-go's recorder
// does, so a reconcile loop that keeps failing does not flood etcd.
#pragma once

#include <chrono>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "controller/common/clock.h"
#include "controller/common/result.h"
#include "controller/kube/client.h"

namespace tso::kube {

struct ObjectReference {
  std::string apiVersion;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
};

enum class EventType { kNormal, kWarning };

class EventRecorder {
 public:
  EventRecorder(Client& client, std::string component, Clock& clock = realClock());

  // Creates or aggregates. Errors are returned, but callers usually only log them: an event
  // is never worth failing a reconcile for.
  Status record(const ObjectReference& object, EventType type, const std::string& reason, const std::string& message);

  static constexpr std::chrono::minutes kAggregationWindow{10};
  static constexpr size_t kMaxCached = 4096;  // bounded memory, least recently used dropped

 private:
  struct Seen {
    std::string eventName;
    std::string ns;
    int count = 0;
    Clock::TimePoint last;
    std::list<std::string>::iterator lru;
  };

  Status create(const std::string& key, const ObjectReference& object, EventType type, const std::string& reason,
                const std::string& message);

  Client& client_;
  std::string component_;
  Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Seen> seen_;
  std::list<std::string> lru_;  // most recent first
  uint64_t sequence_ = 0;
};

}  // namespace tso::kube
