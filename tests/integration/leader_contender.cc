// A small process that contends for a Lease, for the two-process leader election test.
// Usage: leader_contender <namespace> <lease-name> <identity>
// Prints "LEADING <identity>" when it becomes leader and "STOPPED <identity>" when it stops
// leading; SIGTERM stops it gracefully (releasing the lease) and it exits 0.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "controller/common/signals.h"
#include "controller/kube/config.h"
#include "controller/leader/leader_election.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <namespace> <lease-name> <identity>\n", argv[0]);
    return 2;
  }
  std::string identity = argv[3];
  // Set by main, read by the signal thread (ThreadSanitizer caught the plain pointer).
  std::atomic<tso::leader::LeaderElector*> elector{nullptr};
  std::optional<tso::SignalWatcher> signals;
  signals.emplace([&](int) {
    if (auto* e = elector.load()) e->stop();
  });
  auto cfg = tso::kube::loadConfig({});
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().toString().c_str());
    return 2;
  }
  auto client = tso::kube::Client::connect(*cfg);
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().toString().c_str());
    return 2;
  }
  tso::leader::KubeLeaseLock lock(**client, argv[1], argv[2]);
  tso::leader::ElectorConfig ec;
  ec.identity = identity;
  ec.onStartedLeading = [&] {
    std::printf("LEADING %s\n", identity.c_str());
    std::fflush(stdout);
  };
  ec.onStoppedLeading = [&] {
    std::printf("STOPPED %s\n", identity.c_str());
    std::fflush(stdout);
  };
  tso::leader::LeaderElector le(lock, ec);
  elector.store(&le);
  if (signals->received() != 0) le.stop();  // a signal before the store found no elector
  le.run();
  signals.reset();  // joins the signal thread, which may still be inside le.stop()
  return 0;
}
