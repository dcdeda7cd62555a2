// Turns SIGTERM / SIGINT into a callback on an ordinary thread, so shutdown (stop intake,
// drain in-flight work, release the lease) runs as normal code rather than in a signal handler.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace tso {

class SignalWatcher {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread and every thread started after it, so
  // construct this first in main(). `onSignal` runs once, on the watcher's own thread.
  explicit SignalWatcher(std::function<void(int)> onSignal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // The signal received, or 0 while none has arrived.
  [[nodiscard]] int received() const { return received_.load(); }

 private:
  std::function<void(int)> onSignal_;
  std::atomic<bool> stop_{false};
  std::atomic<int> received_{0};
  std::thread thread_;
};

}  // namespace tso
