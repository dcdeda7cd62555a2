#include "controller/watch/watcher.h"

namespace tso::watch {

std::string_view stateName(Watcher::State s) {
  switch (s) {
    case Watcher::State::kEmpty:
      return "Empty";
    case Watcher::State::kListing:
      return "Listing";
    case Watcher::State::kListed:
      return "Listed";
    case Watcher::State::kWatching:
      return "Watching";
  }
  return "?";
}

Watcher::Watcher(kube::Api api, WatcherConfig config, Clock& clock)
    : api_(std::move(api)), config_(std::move(config)), clock_(clock), backoff_(config_.backoff) {
  if (!config_.initialResourceVersion.empty()) {
    resourceVersion_ = config_.initialResourceVersion;
    state_ = State::kListed;
  }
}

std::string Watcher::resourceVersion() const {
  std::lock_guard lock(mu_);
  return resourceVersion_;
}

Error Watcher::lastError() const {
  std::lock_guard lock(mu_);
  return lastError_;
}

void Watcher::setResourceVersion(std::string rv) {
  std::lock_guard lock(mu_);
  resourceVersion_ = std::move(rv);
}

ObjectPtr Watcher::finish(kube::Object&& obj) const {
  if (config_.transform) config_.transform(obj);
  return std::make_shared<const kube::Object>(std::move(obj));
}

Status Watcher::listPage(const std::function<void(Event&&)>& emit) {
  kube::ListParams params;
  params.labelSelector = config_.labelSelector;
  params.fieldSelector = config_.fieldSelector;
  params.limit = config_.pageSize;
  params.continueToken = continueToken_;
  auto page = api_.list(params);
  if (!page) {
    if (page.error().code == ErrorCode::kGone) {
      // The continue token expired: the list must start over from a fresh snapshot.
      continueToken_.clear();
      state_ = State::kEmpty;
    }
    return std::unexpected(page.error());
  }
  for (auto& item : page->items) emit(Event{EventType::kInitApply, finish(std::move(item))});
  if (!page->continueToken.empty()) {
    continueToken_ = std::move(page->continueToken);
    return {};
  }
  continueToken_.clear();
  setResourceVersion(page->resourceVersion);
  state_ = State::kListed;
  emit(Event{EventType::kInitDone, nullptr});
  return {};
}

Status Watcher::watchOnce(const std::function<void(Event&&)>& emit) {
  kube::WatchParams params;
  params.labelSelector = config_.labelSelector;
  params.fieldSelector = config_.fieldSelector;
  params.resourceVersion = resourceVersion();
  params.allowWatchBookmarks = config_.bookmarks;
  params.timeoutSeconds = config_.timeoutSeconds;
  state_ = State::kWatching;
  ++watchStarts_;
  Error streamError;
  bool gotError = false;
  uint64_t events = 0;
  auto started = clock_.now();
  auto status = api_.watch(
      params,
      [&](kube::WatchEvent&& ev) {
        if (stopped_) return false;
        switch (ev.type) {
          case kube::WatchEventType::kError:
            streamError = ev.error;
            gotError = true;
            return false;
          case kube::WatchEventType::kBookmark:
            setResourceVersion(ev.object.meta.resourceVersion);
            break;
          case kube::WatchEventType::kAdded:
          case kube::WatchEventType::kModified: {
            std::string rv = ev.object.meta.resourceVersion;
            emit(Event{EventType::kApply, finish(std::move(ev.object))});
            setResourceVersion(std::move(rv));
            break;
          }
          case kube::WatchEventType::kDeleted: {
            std::string rv = ev.object.meta.resourceVersion;
            emit(Event{EventType::kDelete, finish(std::move(ev.object))});
            setResourceVersion(std::move(rv));
            break;
          }
        }
        ++events;
        return true;
      },
      cancel_);
  if (!status) {
    streamError = status.error();
    gotError = true;
  }
  if (gotError) {
    if (streamError.code == ErrorCode::kGone) state_ = State::kEmpty;  // too old: re-list
    return std::unexpected(streamError);
  }
  // A stream that ends at once with nothing in it, again and again, would spin; count it as
  // a failure so the backoff applies.
  if (events == 0 && clock_.now() - started < std::chrono::seconds(1) && !stopped_) {
    return fail(ErrorCode::kTransient, "watch ended immediately without events");
  }
  return {};
}

Status Watcher::step(const std::function<void(Event&&)>& emit) {
  switch (state_.load()) {
    case State::kEmpty:
      ++relists_;
      continueToken_.clear();
      state_ = State::kListing;
      emit(Event{EventType::kInit, nullptr});
      return listPage(emit);
    case State::kListing:
      return listPage(emit);
    case State::kListed:
    case State::kWatching:
      return watchOnce(emit);
  }
  return {};
}

void Watcher::run(const std::function<void(Event&&)>& emit) {
  while (!stopped_) {
    auto status = step(emit);
    if (stopped_) break;
    if (status) {
      backoff_.reset();
      continue;
    }
    ++errors_;
    {
      std::lock_guard lock(mu_);
      lastError_ = status.error();
    }
    auto delay = backoff_.next();
    if (status.error().code == ErrorCode::kThrottled && status.error().retryAfterSeconds > 0) {
      delay = std::max<Clock::Duration>(delay, std::chrono::seconds(status.error().retryAfterSeconds));
    }
    std::unique_lock lock(mu_);
    auto deadline = clock_.now() + delay;
    while (!stopped_ && clock_.now() < deadline) clock_.waitUntil(lock, stopCv_, deadline);
  }
}

void Watcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  stopCv_.notify_all();
  cancel_.cancel();
}

}  // namespace tso::watch
