#include "controller/watch/store.h"

namespace tso::watch {

ObjectPtr Store::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, obj] : objects_) out.push_back(obj);
  return out;
}

size_t Store::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

bool Store::ready() const {
  std::lock_guard lock(readyMu_);
  return ready_;
}

bool Store::waitUntilReady(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(readyMu_);
  return readyCv_.wait_for(lock, timeout, [this] { return ready_; });
}

ObjectPtr Store::apply(ObjectPtr obj) {
  std::string key = obj->key();
  std::unique_lock lock(mu_);
  auto& slot = objects_[key];
  ObjectPtr previous = std::move(slot);
  slot = std::move(obj);
  return previous;
}

ObjectPtr Store::remove(const std::string& key) {
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr previous = std::move(it->second);
  objects_.erase(it);
  return previous;
}

std::vector<ObjectPtr> Store::replace(std::unordered_map<std::string, ObjectPtr> objects) {
  std::vector<ObjectPtr> removed;
  {
    std::unique_lock lock(mu_);
    for (const auto& [key, obj] : objects_) {
      if (!objects.contains(key)) removed.push_back(obj);
    }
    objects_.swap(objects);
  }
  // The old map (now in `objects`) is freed here, outside the lock.
  {
    std::lock_guard lock(readyMu_);
    ready_ = true;
  }
  readyCv_.notify_all();
  return removed;
}

}  // namespace tso::watch
