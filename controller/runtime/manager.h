// The manager: starts the caches (informers) and the HTTP endpoints on every replica, and the
// reconcile workers only while this replica leads (controller-runtime's manager). It maps
// watch events to ThroughputService keys, requeues each service every step, and on SIGTERM
// stops intake, drains in-flight reconciles and releases leadership.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "controller/common/result.h"
#include "controller/kube/config.h"

namespace tso::runtime {

struct ManagerOptions {
  kube::Config kube;
  std::vector<std::string> namespaces;  // empty: all namespaces
  std::string prometheusAddress;
  std::string metricsBindAddress = ":8080";
  bool leaderElect = false;
  std::string leaderElectionNamespace = "default";
  std::string leaderElectionId = "throughput-operator";
  std::string identity;  // leader identity; default hostname + pid
  int workers = 4;
};

// Runs until SIGTERM/SIGINT (or `stop` becomes true). Returns the process exit code.
int runManager(const ManagerOptions& options, std::atomic<bool>* stop = nullptr);

}  // namespace tso::runtime
