// The watcher: an explicit state machine over list + watch (kube-rs runtime/watcher.rs).
//   kEmpty -> kListing (pages with continue) -> kListed(resourceVersion) -> kWatching(rv)
// A 410 Gone (expired resourceVersion or continue token) sends it back to kEmpty to re-list;
// any other error keeps the state and the last resourceVersion and is retried after a
// jittered exponential backoff. Bookmarks keep the resourceVersion fresh on quiet streams.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "controller/common/clock.h"
#include "controller/kube/api.h"
#include "controller/watch/backoff.h"
#include "controller/watch/store.h"

namespace tso::watch {

enum class EventType {
  kInit,       // a (re-)list starts: the consumer buffers until kInitDone
  kInitApply,  // one object of the list
  kInitDone,   // the list is complete: the buffer is the server's state
  kApply,      // added or modified while watching
  kDelete,     // deleted while watching
};

struct Event {
  EventType type = EventType::kApply;
  ObjectPtr object;  // null for kInit and kInitDone
};

struct WatcherConfig {
  std::string labelSelector;
  std::string fieldSelector;
  int pageSize = 500;
  int timeoutSeconds = 290;
  bool bookmarks = true;
  // Start by watching from this resourceVersion (e.g. one persisted before a restart)
  // instead of listing; if the server no longer has it (410), the watcher re-lists.
  std::string initialResourceVersion;
  Backoff::Options backoff{};
  // Applied to every object before it is emitted: by default drops managedFields, which
  // the cache never needs and which can be most of an object's size.
  std::function<void(kube::Object&)> transform = kube::stripManagedFields;
};

class Watcher {
 public:
  enum class State { kEmpty, kListing, kListed, kWatching };

  Watcher(kube::Api api, WatcherConfig config, Clock& clock = realClock());

  // Runs one transition, making at most one list request or one watch stream, and emits
  // the resulting events. An error leaves the state ready to be retried (or kEmpty on 410).
  Status step(const std::function<void(Event&&)>& emit);

  // Steps until stop(), sleeping a backoff delay after each failed step.
  void run(const std::function<void(Event&&)>& emit);
  // Thread-safe: ends run() promptly, aborting a blocked watch stream.
  void stop();

  [[nodiscard]] State state() const { return state_.load(); }
  [[nodiscard]] std::string resourceVersion() const;
  [[nodiscard]] uint64_t relists() const { return relists_.load(); }
  [[nodiscard]] uint64_t watchStarts() const { return watchStarts_.load(); }
  [[nodiscard]] uint64_t errors() const { return errors_.load(); }
  [[nodiscard]] Error lastError() const;

 private:
  Status listPage(const std::function<void(Event&&)>& emit);
  Status watchOnce(const std::function<void(Event&&)>& emit);
  ObjectPtr finish(kube::Object&& obj) const;
  void setResourceVersion(std::string rv);

  kube::Api api_;
  WatcherConfig config_;
  Clock& clock_;
  Backoff backoff_;
  std::atomic<State> state_{State::kEmpty};
  std::string continueToken_;
  mutable std::mutex mu_;  // guards resourceVersion_, lastError_, and the stop wait
  std::condition_variable stopCv_;
  std::string resourceVersion_;
  Error lastError_;
  std::atomic<bool> stopped_{false};
  kube::Cancellation cancel_;
  std::atomic<uint64_t> relists_{0};
  std::atomic<uint64_t> watchStarts_{0};
  std::atomic<uint64_t> errors_{0};
};

std::string_view stateName(Watcher::State s);

}  // namespace tso::watch
