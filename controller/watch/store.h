// The informer cache (kube-rs reflector Store, client-go Indexer): one writer (the watcher
// thread), many concurrent readers. The initial list is buffered and swapped in under one write
// lock, so readers never see a half-listed cache; waitUntilReady() releases once that first swap
// is done.
//
// Objects are kept compact: the metadata decoded, the body as CBOR, about the size of its JSON
// text, where an nlohmann::json tree takes several times that. get() and list() decode a fresh
// copy; what a hot path looks up by a field goes through the index instead, which never decodes.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
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
  // An object's index values (e.g. "ns/Deployment/web" for the workload a service targets).
  using IndexFn = std::function<std::vector<std::string>(const kube::Object&)>;

  // Set before the first write (the informer's setIndex(), before start()).
  void setIndex(IndexFn index) { index_ = std::move(index); }

  [[nodiscard]] ObjectPtr get(const std::string& key) const;
  [[nodiscard]] std::vector<ObjectPtr> list() const;
  // Keys of the objects with `value` among their index values, without decoding any.
  [[nodiscard]] std::vector<std::string> keysByIndex(const std::string& value) const;
  [[nodiscard]] size_t size() const;
  [[nodiscard]] bool ready() const;
  // Blocks (real time) until the first full list has been swapped in; false on timeout.
  bool waitUntilReady(std::chrono::milliseconds timeout) const;

  // Writer side (the reflector).
  // Inserts or replaces; true when it replaced an object.
  bool apply(const ObjectPtr& obj);
  // Removes by key; returns the removed object, if any.
  ObjectPtr remove(const std::string& key);
  // Replaces the whole content atomically and marks the store ready; returns the objects
  // that were present before and are absent now (deleted while we were not watching).
  std::vector<ObjectPtr> replace(const std::unordered_map<std::string, ObjectPtr>& objects);

 private:
  struct Entry {
    kube::ObjectMeta meta;
    std::vector<std::uint8_t> body;  // CBOR
    std::vector<std::string> index;
  };
  [[nodiscard]] Entry encode(const kube::Object& obj) const;
  [[nodiscard]] static ObjectPtr decode(const Entry& e);

  IndexFn index_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> objects_;
  mutable std::mutex readyMu_;
  mutable std::condition_variable readyCv_;
  bool ready_ = false;
};

}  // namespace tso::watch
