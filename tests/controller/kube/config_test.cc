#include "controller/kube/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "controller/kube/base64.h"

namespace tso::kube {
namespace {

namespace fs = std::filesystem;

// "hello-ca" / "hello-cert" / "hello-key" in base64.
constexpr const char* kFull = R"(apiVersion: v1
kind: Config
clusters:
- name: a
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: aGVsbG8tY2E=
- name: b
  cluster:
    server: https://b.example:443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: aGVsbG8tY2VydA==
    client-key-data: aGVsbG8ta2V5
- name: bot
  user:
    token: s3cret
contexts:
- name: ctx-a
  context: {cluster: a, user: admin, namespace: team-a}
- name: ctx-b
  context: {cluster: b, user: bot}
current-context: ctx-a
)";

class TempDir {
 public:
  TempDir()
      : path_(fs::path(::testing::TempDir()) /
              ("kcfg-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(ConfigTest, CurrentContextWithInlineData) {
  auto cfg = parseKubeconfig(kFull, "/nowhere", "", "test");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().toString();
  EXPECT_EQ(cfg->server, "https://127.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(cfg->caPem, "hello-ca");
  EXPECT_EQ(cfg->clientCertPem, "hello-cert");
  EXPECT_EQ(cfg->clientKeyPem, "hello-key");
  EXPECT_EQ(cfg->ns, "team-a");
  EXPECT_EQ(cfg->contextName, "ctx-a");
  EXPECT_FALSE(cfg->insecureSkipTlsVerify);
}

TEST(ConfigTest, ContextOverrideSelectsTokenAndInsecure) {
  auto cfg = parseKubeconfig(kFull, "/nowhere", "ctx-b", "test");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().toString();
  EXPECT_EQ(cfg->server, "https://b.example:443");
  EXPECT_EQ(cfg->token, "s3cret");
  EXPECT_TRUE(cfg->insecureSkipTlsVerify);
  EXPECT_EQ(cfg->ns, "default");
  EXPECT_TRUE(cfg->clientCertPem.empty());
}

TEST(ConfigTest, UnknownContextNamesTheContextAndFlag) {
  auto cfg = parseKubeconfig(kFull, "/nowhere", "nope", "test");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().code, ErrorCode::kConfig);
  EXPECT_NE(cfg.error().message.find("context \"nope\" not found"), std::string::npos) << cfg.error().message;
  EXPECT_NE(cfg.error().message.find("--context"), std::string::npos);
}

TEST(ConfigTest, MalformedYamlIsAConfigError) {
  auto cfg = parseKubeconfig("clusters: [\n  - {name: a", "/", "", "broken.yaml");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().code, ErrorCode::kConfig);
  EXPECT_NE(cfg.error().message.find("broken.yaml"), std::string::npos);
  EXPECT_NE(cfg.error().message.find("invalid YAML"), std::string::npos);
}

TEST(ConfigTest, BadBase64NamesTheField) {
  std::string text = kFull;
  text.replace(text.find("aGVsbG8tY2VydA=="), 16, "not*base64*data");
  auto cfg = parseKubeconfig(text, "/", "", "t");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().code, ErrorCode::kConfig);
  EXPECT_NE(cfg.error().message.find("users[name=admin].user.client-certificate-data"), std::string::npos)
      << cfg.error().message;
}

TEST(ConfigTest, MissingServerAndWrongTypesNameTheField) {
  auto noServer = parseKubeconfig(
      "clusters: [{name: a, cluster: {}}]\ncontexts: [{name: c, context: {cluster: a}}]\ncurrent-context: c\n", "/", "",
      "t");
  ASSERT_FALSE(noServer.has_value());
  EXPECT_NE(noServer.error().message.find("clusters[name=a].cluster.server: missing"), std::string::npos)
      << noServer.error().message;

  auto listNotSeq = parseKubeconfig("clusters: 5\ncontexts: []\ncurrent-context: c\n", "/", "", "t");
  ASSERT_FALSE(listNotSeq.has_value());
  EXPECT_EQ(listNotSeq.error().code, ErrorCode::kConfig);

  auto noCurrent = parseKubeconfig("clusters: []\n", "/", "", "t");
  ASSERT_FALSE(noCurrent.has_value());
  EXPECT_NE(noCurrent.error().message.find("current-context"), std::string::npos);

  auto scalarRoot = parseKubeconfig("just a string", "/", "", "t");
  ASSERT_FALSE(scalarRoot.has_value());
  EXPECT_EQ(scalarRoot.error().code, ErrorCode::kConfig);

  auto badServer = parseKubeconfig(
      "clusters: [{name: a, cluster: {server: 127.0.0.1}}]\ncontexts: [{name: c, context: {cluster: a}}]\n"
      "current-context: c\n",
      "/", "", "t");
  ASSERT_FALSE(badServer.has_value());
  EXPECT_NE(badServer.error().message.find(".server: must start with https://"), std::string::npos);
}

TEST(ConfigTest, FilePathsResolveRelativeToTheKubeconfig) {
  TempDir dir;
  dir.write("ca.crt", "file-ca");
  dir.write("client.crt", "file-cert");
  dir.write("client.key", "file-key");
  dir.write("token", "tok-1\n");
  auto path = dir.write("config",
                        "clusters: [{name: a, cluster: {server: 'https://h:1', certificate-authority: ca.crt}}]\n"
                        "users: [{name: u, user: {client-certificate: client.crt, client-key: client.key, "
                        "tokenFile: token}}]\n"
                        "contexts: [{name: c, context: {cluster: a, user: u}}]\ncurrent-context: c\n");
  auto cfg = loadKubeconfigFile(path, "");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().toString();
  EXPECT_EQ(cfg->caPem, "file-ca");
  EXPECT_EQ(cfg->clientCertPem, "file-cert");
  EXPECT_EQ(cfg->clientKeyPem, "file-key");
  EXPECT_EQ(cfg->tokenFile, (dir.path() / "token").string());
}

TEST(ConfigTest, MissingFileAndMissingReferencedFile) {
  auto missing = loadKubeconfigFile("/definitely/not/here/config", "");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kConfig);
  EXPECT_NE(missing.error().message.find("file not found"), std::string::npos);

  TempDir dir;
  auto path = dir.write("config",
                        "clusters: [{name: a, cluster: {server: 'https://h:1', certificate-authority: gone.crt}}]\n"
                        "contexts: [{name: c, context: {cluster: a}}]\ncurrent-context: c\n");
  auto cfg = loadKubeconfigFile(path, "");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_NE(cfg.error().message.find("clusters[name=a].cluster.certificate-authority: cannot read file"),
            std::string::npos)
      << cfg.error().message;
}

TEST(ConfigTest, KubeconfigFlagWinsOverEnvironment) {
  TempDir dir;
  auto good = dir.write("good", kFull);
  ::setenv("KUBECONFIG", "/does/not/exist", 1);
  auto cfg = loadConfig({good.string(), "ctx-b"});
  ASSERT_TRUE(cfg.has_value()) << cfg.error().toString();
  EXPECT_EQ(cfg->contextName, "ctx-b");
  auto viaEnv = loadConfig({});
  ASSERT_FALSE(viaEnv.has_value());
  EXPECT_NE(viaEnv.error().message.find("KUBECONFIG=/does/not/exist"), std::string::npos);
  ::setenv("KUBECONFIG", ("/missing:" + good.string()).c_str(), 1);
  auto firstExisting = loadConfig({});
  ASSERT_TRUE(firstExisting.has_value()) << firstExisting.error().toString();
  EXPECT_EQ(firstExisting->contextName, "ctx-a");
  ::unsetenv("KUBECONFIG");
}

TEST(ConfigTest, InClusterReadsServiceAccountAndEnvironment) {
  TempDir dir;
  dir.write("ca.crt", "sa-ca");
  dir.write("token", "sa-token\n");
  dir.write("namespace", "ops\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto cfg = inClusterConfig(dir.path());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().toString();
  EXPECT_EQ(cfg->server, "https://10.0.0.1:443");
  EXPECT_EQ(cfg->caPem, "sa-ca");
  EXPECT_EQ(cfg->ns, "ops");
  EXPECT_EQ(cfg->tokenFile, (dir.path() / "token").string());

  auto noEnv = inClusterConfig(dir.path());
  ASSERT_FALSE(noEnv.has_value());
  EXPECT_EQ(noEnv.error().code, ErrorCode::kConfig);
}

TEST(TokenSourceTest, TokenFileIsReReadAfterRotation) {
  TempDir dir;
  auto file = dir.write("token", "first\n");
  ManualClock clock;
  TokenSource source("", file.string(), clock);
  EXPECT_EQ(source.token().value(), "first");
  dir.write("token", "second\n");
  EXPECT_EQ(source.token().value(), "first");  // cached within the refresh period
  clock.advance(TokenSource::kRefresh + std::chrono::seconds(1));
  EXPECT_EQ(source.token().value(), "second");
  std::filesystem::remove(file);
  clock.advance(TokenSource::kRefresh + std::chrono::seconds(1));
  EXPECT_EQ(source.token().value(), "second");  // a vanished file keeps the last good token
  TokenSource fixed("static", "", clock);
  EXPECT_EQ(fixed.token().value(), "static");
}

TEST(Base64Test, DecodesAndRejectsGarbage) {
  EXPECT_EQ(base64Decode("aGVsbG8=").value(), "hello");
  EXPECT_EQ(base64Decode("aGVs\nbG8").value(), "hello");  // line breaks and missing padding
  EXPECT_EQ(base64Decode("").value(), "");
  EXPECT_EQ(base64Decode("a$==").error().code, ErrorCode::kInvalid);
  EXPECT_EQ(base64Decode("aGVsbG8=x").error().code, ErrorCode::kInvalid);
  EXPECT_EQ(base64Decode("a").error().code, ErrorCode::kInvalid);
}

}  // namespace
}  // namespace tso::kube
