#include "controller/kube/transport.h"

namespace tso::kube {

void Cancellation::cancel() {
  std::function<void()> abort;
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    abort = abort_;
  }
  if (abort) abort();
}

bool Cancellation::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void Cancellation::setAbort(const std::function<void()>& abort) {
  bool runNow = false;
  {
    std::lock_guard lock(mu_);
    abort_ = abort;
    runNow = cancelled_;
  }
  if (runNow && abort) abort();
}

void Cancellation::clearAbort() {
  std::lock_guard lock(mu_);
  abort_ = nullptr;
}

}  // namespace tso::kube
