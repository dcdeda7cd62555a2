#include "tests/integration/support/cluster_env.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace tso::testing {

CommandResult runCommand(const std::string& command) {
  CommandResult result;
  std::string full = command + " 2>&1";
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

CommandResult kubectl(const std::string& args) { return runCommand("kubectl " + args); }

CommandResult applyManifest(const std::string& ns, const std::string& yaml) {
  std::string path = ::testing::TempDir() + "manifest-" + std::to_string(std::random_device{}()) + ".yaml";
  {
    std::ofstream out(path);
    out << yaml;
  }
  auto result = kubectl("apply -n " + ns + " -f " + path);
  std::remove(path.c_str());
  return result;
}

std::string sourceDir() { return TSO_SOURCE_DIR; }

std::string operatorBinary() { return TSO_OPERATOR_BINARY; }

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string logPath) : logPath_(std::move(logPath)) {
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(logPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    pid_ = -1;
    return false;
  }
  return true;
}

int ChildProcess::stop() {
  if (pid_ <= 0) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status_, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  pid_ = -1;
  return -1;
}

std::string ChildProcess::log() const {
  std::ifstream in(logPath_);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string installCrds() {
  // Strict: an unknown field in the CRD itself (a YAML slip) is an error, not ignored.
  auto applied = kubectl("apply --validate=strict -f " + sourceDir() + "/crds/throughput.dev_throughputservices.yaml");
  if (applied.exitCode != 0) return "kubectl apply of the CRD failed: " + applied.output;
  auto established = kubectl("wait --for=condition=Established crd/throughputservices.throughput.dev --timeout=30s");
  if (established.exitCode != 0) return "CRD not Established: " + established.output;
  // Discovery lags Established by a moment; the API is usable once a list works.
  if (!waitFor([] { return kubectl("get tps -A").exitCode == 0; }, std::chrono::seconds(30))) {
    return "the tps resource never appeared in discovery";
  }
  return "";
}

bool waitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return predicate();
}

namespace {

bool inCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

}  // namespace

void PrometheusTest::SetUp() {
  const char* url = std::getenv("TSO_PROMETHEUS_URL");
  if (url == nullptr || *url == '\0') {
    if (inCi()) {
      FAIL() << "TSO_PROMETHEUS_URL is not set but CI=true: these tests must run against a real "
                "Prometheus (run them through scripts/integration.sh or `make integration`)";
    }
    GTEST_SKIP() << "no TSO_PROMETHEUS_URL: start one with `make integration` "
                    "(or eval \"$(e2e/prometheus/up.sh | tail -n 1)\")";
  }
  url_ = url;
}

void ClusterTest::SetUp() {
  const char* kubeconfig = std::getenv("KUBECONFIG");
  if (kubeconfig == nullptr || *kubeconfig == '\0') {
    if (inCi()) {
      FAIL() << "KUBECONFIG is not set but CI=true: integration tests must run against a real "
                "cluster (run them through scripts/integration.sh or `make integration`)";
    }
    GTEST_SKIP() << "no KUBECONFIG: start a cluster with `make integration` "
                    "(or eval \"$(e2e/cluster/up.sh | tail -n 1)\")";
  }
  std::random_device rd;
  namespace_ = "tso-it-" + std::to_string(rd() % 1000000);
  auto created = kubectl("create namespace " + namespace_);
  ASSERT_EQ(created.exitCode, 0) << created.output;
  // Pods are admitted only once the namespace's default ServiceAccount exists.
  ASSERT_TRUE(
      waitFor([&] { return kubectl("get sa default -n " + namespace_).exitCode == 0; }, std::chrono::seconds(30)))
      << "the default ServiceAccount never appeared in " << namespace_;
}

void ClusterTest::TearDown() {
  if (!namespace_.empty()) kubectl("delete namespace " + namespace_ + " --wait=false");
}

}  // namespace tso::testing
