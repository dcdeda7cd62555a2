// How to reach and authenticate to the API server: kubeconfig (KUBECONFIG, --kubeconfig,
// current-context or --context, file and inline *-data credentials, tokens) or in-cluster
// service-account config. Pure parsing; nothing here opens a connection.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "controller/common/clock.h"
#include "controller/common/result.h"

namespace tso::kube {

struct Config {
  std::string server;  // e.g. https://127.0.0.1:6443 (no trailing slash)
  std::string caPem;   // empty: the system trust store
  std::string clientCertPem;
  std::string clientKeyPem;
  std::string token;      // a static bearer token
  std::string tokenFile;  // a bearer token file, re-read so rotated tokens are picked up
  bool insecureSkipTlsVerify = false;
  std::string ns = "default";  // the context's (or pod's) namespace
  std::string contextName;     // empty for in-cluster
  std::chrono::milliseconds requestTimeout{30'000};
  double qps = 50;  // client-side rate limit; <= 0 disables it
  int burst = 100;
};

struct ConfigOptions {
  std::string kubeconfigPath;  // --kubeconfig; wins over $KUBECONFIG
  std::string context;         // --context; wins over current-context
};

// Parses kubeconfig text. Relative file paths resolve against `baseDir` (the file's directory).
// `source` names the file in error messages. Errors are kConfig and name the offending field.
Result<Config> parseKubeconfig(std::string_view yaml, const std::filesystem::path& baseDir,
                               std::string_view contextOverride, std::string_view source);

Result<Config> loadKubeconfigFile(const std::filesystem::path& path, std::string_view contextOverride);

// In-cluster config from KUBERNETES_SERVICE_HOST/PORT and the mounted service account.
// `saDir` is /var/run/secrets/kubernetes.io/serviceaccount in a pod (a parameter for tests).
Result<Config> inClusterConfig(const std::filesystem::path& saDir = "/var/run/secrets/kubernetes.io/serviceaccount");

// The usual precedence: --kubeconfig, then $KUBECONFIG (first existing entry of the
// colon-separated list), then in-cluster when KUBERNETES_SERVICE_HOST is set, then ~/.kube/config.
Result<Config> loadConfig(const ConfigOptions& options);

// Supplies the bearer token for each request. A token file is re-read at most once a minute
// (as client-go does), so a rotated projected service-account token is used without restart.
class TokenSource {
 public:
  TokenSource(std::string staticToken, std::string tokenFile, Clock& clock = realClock());
  // Empty string when the config has no token. Errors only when a token file cannot be read
  // and no earlier token is cached.
  Result<std::string> token();

  static constexpr std::chrono::seconds kRefresh{60};

 private:
  std::string static_;
  std::string file_;
  Clock& clock_;
  std::mutex mu_;
  std::string cached_;
  Clock::TimePoint readAt_{};
  bool haveCached_ = false;
};

}  // namespace tso::kube
