#include "controller/watch/store.h"

#include <algorithm>

namespace tso::watch {

Store::Entry Store::encode(const kube::Object& obj) const {
  Entry e;
  e.meta = obj.meta;
  e.body = nlohmann::json::to_cbor(obj.body);
  e.body.shrink_to_fit();
  if (index_) e.index = index_(obj);
  return e;
}

ObjectPtr Store::decode(const Entry& e) {
  auto obj = std::make_shared<kube::Object>();
  obj->meta = e.meta;
  // Our own encoding of a valid JSON value: it decodes. Without exceptions all the same (a
  // failure would leave a discarded value, never throw through a reader).
  obj->body = nlohmann::json::from_cbor(e.body, true, false);
  if (obj->body.is_discarded()) obj->body = nlohmann::json::object();
  return obj;
}

ObjectPtr Store::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : decode(it->second);
}

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [key, e] : objects_) out.push_back(decode(e));
  return out;
}

std::vector<std::string> Store::keysByIndex(const std::string& value) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [key, e] : objects_) {
    if (std::find(e.index.begin(), e.index.end(), value) != e.index.end()) out.push_back(key);
  }
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

bool Store::apply(const ObjectPtr& obj) {
  std::string key = obj->key();
  Entry e = encode(*obj);  // outside the lock
  std::unique_lock lock(mu_);
  auto [it, inserted] = objects_.insert_or_assign(std::move(key), std::move(e));
  return !inserted;
}

ObjectPtr Store::remove(const std::string& key) {
  Entry removed;
  {
    std::unique_lock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return nullptr;
    removed = std::move(it->second);
    objects_.erase(it);
  }
  return decode(removed);  // outside the lock
}

std::vector<ObjectPtr> Store::replace(const std::unordered_map<std::string, ObjectPtr>& objects) {
  std::unordered_map<std::string, Entry> fresh;
  fresh.reserve(objects.size());
  for (const auto& [key, obj] : objects) fresh.emplace(key, encode(*obj));
  std::vector<ObjectPtr> removed;
  {
    std::unique_lock lock(mu_);
    for (const auto& [key, e] : objects_) {
      if (!fresh.contains(key)) removed.push_back(decode(e));
    }
    objects_.swap(fresh);
  }
  // The old map (now in `fresh`) is freed here, outside the lock.
  {
    std::lock_guard lock(readyMu_);
    ready_ = true;
  }
  readyCv_.notify_all();
  return removed;
}

}  // namespace tso::watch
