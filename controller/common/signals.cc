#include "controller/common/signals.h"

#include <pthread.h>
#include <signal.h>

#include <ctime>

namespace tso {

namespace {
sigset_t shutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> onSignal) : onSignal_(std::move(onSignal)) {
  sigset_t set = shutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] {
    sigset_t waitSet = shutdownSignals();
    // sigtimedwait in short slices so the destructor can stop the thread without a signal.
    timespec slice{0, 100'000'000};
    while (!stop_.load()) {
      int sig = sigtimedwait(&waitSet, nullptr, &slice);
      if (sig > 0) {
        received_.store(sig);
        onSignal_(sig);
        return;
      }
    }
  });
}

SignalWatcher::~SignalWatcher() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace tso
