// The informer cache (kube-rs reflector Store): one writer (the watcher thread), many cheap
// concurrent readers. The initial list is buffered and swapped in under one write lock, so
// readers never see a half-listed cache; waitUntilReady() releases once that first swap is done.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/kube/object.h"

namespace tso::watch {

using ObjectPtr = std::shared_ptr<const kube::Object>;

class Store {
 public:
  [[nodiscard]] ObjectPtr get(const std::string& key) const;
  [[nodiscard]] std::vector<ObjectPtr> list() const;
  [[nodiscard]] size_t size() const;
  [[nodiscard]] bool ready() const;
  // Blocks (real time) until the first full list has been swapped in; false on timeout.
  bool waitUntilReady(std::chrono::milliseconds timeout) const;

  // Writer side (the reflector).
  // Inserts or replaces; returns the previous object, if any.
  ObjectPtr apply(ObjectPtr obj);
  // Removes by key; returns the removed object, if any.
  ObjectPtr remove(const std::string& key);
  // Replaces the whole content atomically and marks the store ready; returns the objects
  // that were present before and are absent now (deleted while we were not watching).
  std::vector<ObjectPtr> replace(std::unordered_map<std::string, ObjectPtr> objects);

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, ObjectPtr> objects_;
  mutable std::mutex readyMu_;
  mutable std::condition_variable readyCv_;
  bool ready_ = false;
};

}  // namespace tso::watch
