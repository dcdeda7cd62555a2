#include "controller/watch/informer.h"

namespace tso::watch {

Informer::Informer(kube::Api api, WatcherConfig config, Clock& clock)
    : watcher_(std::move(api), std::move(config), clock) {}

Informer::~Informer() { stop(); }

void Informer::start() {
  thread_ = std::thread([this] { watcher_.run([this](Event&& ev) { handle(std::move(ev)); }); });
}

void Informer::stop() {
  watcher_.stop();
  if (thread_.joinable()) thread_.join();
}

void Informer::notify(const std::vector<Handler>& handlers, const ObjectPtr& obj) {
  for (const auto& h : handlers) h(obj);
}

void Informer::handle(Event&& ev) {
  switch (ev.type) {
    case EventType::kInit:
      buffer_.clear();
      break;
    case EventType::kInitApply: {
      std::string key = ev.object->key();
      buffer_[key] = std::move(ev.object);
      break;
    }
    case EventType::kInitDone: {
      std::vector<ObjectPtr> listed;
      listed.reserve(buffer_.size());
      for (const auto& [key, obj] : buffer_) listed.push_back(obj);
      auto removed = store_.replace(buffer_);
      buffer_ = {};
      for (const auto& obj : removed) notify(deleteHandlers_, obj);
      // Level-based consumers re-check every object after a re-list.
      for (const auto& obj : listed) notify(applyHandlers_, obj);
      eventsApplied_ += listed.size();
      break;
    }
    case EventType::kApply:
      store_.apply(ev.object);
      notify(applyHandlers_, ev.object);
      ++eventsApplied_;
      break;
    case EventType::kDelete:
      store_.remove(ev.object->key());
      notify(deleteHandlers_, ev.object);
      ++eventsApplied_;
      break;
  }
}

}  // namespace tso::watch
