// An informer: a Watcher on its own thread feeding a Store and event handlers (client-go
// SharedInformer, kube-rs reflector). After every (re-)list the store equals the server's
// list and handlers see deletes for objects that vanished while the watch was down.
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "controller/watch/store.h"
#include "controller/watch/watcher.h"

namespace tso::watch {

class Informer {
 public:
  using Handler = std::function<void(const ObjectPtr&)>;

  Informer(kube::Api api, WatcherConfig config = {}, Clock& clock = realClock());
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Register before start(). Handlers run on the informer's thread: keep them short (e.g.
  // add a key to a work queue).
  void onApply(Handler h) { applyHandlers_.push_back(std::move(h)); }
  void onDelete(Handler h) { deleteHandlers_.push_back(std::move(h)); }
  // The store's index (Store::keysByIndex); set before start().
  void setIndex(Store::IndexFn index) { store_.setIndex(std::move(index)); }

  void start();
  void stop();

  [[nodiscard]] const Store& store() const { return store_; }
  [[nodiscard]] const Watcher& watcher() const { return watcher_; }
  [[nodiscard]] uint64_t eventsApplied() const { return eventsApplied_.load(); }

  // Applies one watcher event to the store and handlers. Public so that the reflector logic
  // is unit-testable without a thread.
  void handle(Event&& ev);

 private:
  void notify(const std::vector<Handler>& handlers, const ObjectPtr& obj);

  Watcher watcher_;
  Store store_;
  std::vector<Handler> applyHandlers_;
  std::vector<Handler> deleteHandlers_;
  // The list being buffered between kInit and kInitDone.
  std::unordered_map<std::string, ObjectPtr> buffer_;
  std::atomic<uint64_t> eventsApplied_{0};
  std::thread thread_;
};

}  // namespace tso::watch
