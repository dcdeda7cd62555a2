#include "controller/kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "controller/kube/base64.h"

namespace tso::kube {

namespace {

Result<std::string> readFile(const std::filesystem::path& path, std::string_view field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kConfig, std::string(field) + ": cannot read file " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Finds the entry `name` in a kubeconfig list such as `clusters:`; returns its inner map
// (`cluster:` / `user:` / `context:`).
Result<YAML::Node> findNamed(const YAML::Node& root, const std::string& list, const std::string& inner,
                             const std::string& name, const std::string& prefix) {
  const YAML::Node entries = root[list];
  if (entries && !entries.IsSequence()) {
    return fail(ErrorCode::kConfig, prefix + list + ": must be a list");
  }
  if (entries) {
    for (const auto& entry : entries) {
      if (!entry.IsMap()) return fail(ErrorCode::kConfig, prefix + list + ": entries must be maps");
      if (entry["name"] && entry["name"].IsScalar() && entry["name"].as<std::string>() == name) {
        YAML::Node body = entry[inner];
        if (!body || !body.IsMap()) {
          std::string what = prefix;
          what.append(list).append("[name=").append(name).append("].").append(inner);
          return fail(ErrorCode::kConfig, what.append(": missing or not a map"));
        }
        return body;
      }
    }
  }
  return fail(ErrorCode::kConfig, prefix + list + ": no entry named \"" + name + "\"");
}

// A string field; absent or null reads as empty (no field here means anything else).
Result<std::string> scalar(const YAML::Node& node, const std::string& key, const std::string& where) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return std::string{};
  if (!v.IsScalar()) return fail(ErrorCode::kConfig, where + "." + key + ": must be a string");
  return v.as<std::string>();
}

// Reads `<key>-data` (inline base64) or `<key>` (a file path), in that order like client-go.
Result<std::string> pemField(const YAML::Node& node, const std::string& key, const std::string& where,
                             const std::filesystem::path& baseDir) {
  auto data = scalar(node, key + "-data", where);
  if (!data) return std::unexpected(data.error());
  if (!data->empty()) {
    auto decoded = base64Decode(*data);
    if (!decoded) return fail(ErrorCode::kConfig, where + "." + key + "-data: " + decoded.error().message);
    return *decoded;
  }
  auto file = scalar(node, key, where);
  if (!file) return std::unexpected(file.error());
  if (!file->empty()) {
    std::filesystem::path p(*file);
    if (p.is_relative()) p = baseDir / p;
    return readFile(p, where + "." + key);
  }
  return std::string{};
}

Status readCluster(const YAML::Node& root, const std::string& name, const std::string& prefix,
                   const std::filesystem::path& baseDir, Config& cfg) {
  auto cluster = findNamed(root, "clusters", "cluster", name, prefix);
  if (!cluster) return std::unexpected(cluster.error());
  const std::string where = prefix + "clusters[name=" + name + "].cluster";
  auto server = scalar(*cluster, "server", where);
  if (!server) return std::unexpected(server.error());
  if (server->empty()) return fail(ErrorCode::kConfig, where + ".server: missing");
  cfg.server = *server;
  while (cfg.server.ends_with('/')) cfg.server.pop_back();
  if (!cfg.server.starts_with("https://") && !cfg.server.starts_with("http://")) {
    return fail(ErrorCode::kConfig, where + ".server: must start with https:// or http://, got \"" + cfg.server + "\"");
  }
  auto ca = pemField(*cluster, "certificate-authority", where, baseDir);
  if (!ca) return std::unexpected(ca.error());
  cfg.caPem = std::move(*ca);
  auto insecure = scalar(*cluster, "insecure-skip-tls-verify", where);
  if (!insecure) return std::unexpected(insecure.error());
  if (insecure->empty() || *insecure == "false") return {};
  if (*insecure != "true") return fail(ErrorCode::kConfig, where + ".insecure-skip-tls-verify: must be true or false");
  cfg.insecureSkipTlsVerify = true;
  return {};
}

Status readToken(const YAML::Node& user, const std::string& where, const std::filesystem::path& baseDir, Config& cfg) {
  auto token = scalar(user, "token", where);
  if (!token) return std::unexpected(token.error());
  cfg.token = *token;
  auto tokenFile = scalar(user, "tokenFile", where);
  if (!tokenFile) return std::unexpected(tokenFile.error());
  if (tokenFile->empty()) return {};
  std::filesystem::path p(*tokenFile);
  if (p.is_relative()) p = baseDir / p;
  cfg.tokenFile = p.string();
  auto first = readFile(p, where + ".tokenFile");
  if (!first) return std::unexpected(first.error());
  return {};
}

Status readUser(const YAML::Node& root, const std::string& name, const std::string& prefix,
                const std::filesystem::path& baseDir, Config& cfg) {
  auto user = findNamed(root, "users", "user", name, prefix);
  if (!user) return std::unexpected(user.error());
  const std::string where = prefix + "users[name=" + name + "].user";
  auto cert = pemField(*user, "client-certificate", where, baseDir);
  if (!cert) return std::unexpected(cert.error());
  auto key = pemField(*user, "client-key", where, baseDir);
  if (!key) return std::unexpected(key.error());
  if (cert->empty() != key->empty()) {
    return fail(ErrorCode::kConfig, where + ": client-certificate and client-key must be given together");
  }
  cfg.clientCertPem = std::move(*cert);
  cfg.clientKeyPem = std::move(*key);
  TSO_TRY(readToken(*user, where, baseDir, cfg));
  const bool plugin = user->operator[]("exec") || user->operator[]("auth-provider");
  if (plugin && cfg.token.empty() && cfg.tokenFile.empty() && cfg.clientCertPem.empty()) {
    return fail(ErrorCode::kConfig, where + ": exec and auth-provider plugins are not supported");
  }
  return {};
}

Result<std::string> contextNameOf(const YAML::Node& root, std::string_view contextOverride, const std::string& prefix) {
  if (!contextOverride.empty()) return std::string(contextOverride);
  auto current = scalar(root, "current-context", prefix.substr(0, prefix.size() - 2));
  if (!current) return std::unexpected(current.error());
  if (current->empty()) return fail(ErrorCode::kConfig, prefix + "current-context: not set and no --context given");
  return *current;
}

Result<Config> parseTree(const YAML::Node& root, const std::filesystem::path& baseDir, std::string_view contextOverride,
                         const std::string& prefix) {
  if (!root.IsMap()) return fail(ErrorCode::kConfig, prefix + "not a kubeconfig (expected a YAML map)");
  Config cfg;
  auto contextName = contextNameOf(root, contextOverride, prefix);
  if (!contextName) return std::unexpected(contextName.error());
  auto context = findNamed(root, "contexts", "context", *contextName, prefix);
  if (!context) {
    return fail(ErrorCode::kConfig, prefix + "context \"" + *contextName + "\" not found in contexts" +
                                        (contextOverride.empty() ? " (current-context)" : " (--context)"));
  }
  cfg.contextName = *contextName;
  const std::string ctxWhere = prefix + "contexts[name=" + *contextName + "].context";
  auto clusterName = scalar(*context, "cluster", ctxWhere);
  if (!clusterName) return std::unexpected(clusterName.error());
  if (clusterName->empty()) return fail(ErrorCode::kConfig, ctxWhere + ".cluster: missing");
  auto ns = scalar(*context, "namespace", ctxWhere);
  if (!ns) return std::unexpected(ns.error());
  if (!ns->empty()) cfg.ns = *ns;
  TSO_TRY(readCluster(root, *clusterName, prefix, baseDir, cfg));
  // A context may name no user (e.g. a local insecure port); then there is no credential.
  auto userName = scalar(*context, "user", ctxWhere);
  if (!userName) return std::unexpected(userName.error());
  if (!userName->empty()) TSO_TRY(readUser(root, *userName, prefix, baseDir, cfg));
  return cfg;
}

}  // namespace

Result<Config> parseKubeconfig(std::string_view yaml, const std::filesystem::path& baseDir,
                               std::string_view contextOverride, std::string_view source) {
  const std::string prefix = "kubeconfig " + std::string(source) + ": ";
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
    return parseTree(root, baseDir, contextOverride, prefix);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kConfig, prefix + "invalid YAML: " + e.what());
  }
}

Result<Config> loadKubeconfigFile(const std::filesystem::path& path, std::string_view contextOverride) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(ErrorCode::kConfig, "kubeconfig " + path.string() + ": file not found");
  }
  auto text = readFile(path, "kubeconfig");
  if (!text) return std::unexpected(text.error());
  return parseKubeconfig(*text, path.parent_path(), contextOverride, path.string());
}

Result<Config> inClusterConfig(const std::filesystem::path& saDir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return fail(ErrorCode::kConfig, "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  Config cfg;
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
  cfg.server = "https://" + h + ":" + port;
  auto ca = readFile(saDir / "ca.crt", "in-cluster ca.crt");
  if (!ca) return std::unexpected(ca.error());
  cfg.caPem = std::move(*ca);
  cfg.tokenFile = (saDir / "token").string();
  auto token = readFile(cfg.tokenFile, "in-cluster token");
  if (!token) return std::unexpected(token.error());
  auto ns = readFile(saDir / "namespace", "in-cluster namespace");
  if (ns && !trimmed(*ns).empty()) cfg.ns = trimmed(*ns);
  return cfg;
}

Result<Config> loadConfig(const ConfigOptions& options) {
  if (!options.kubeconfigPath.empty()) return loadKubeconfigFile(options.kubeconfigPath, options.context);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    // client-go merges every file in the list; taking the first existing one covers the
    // common single-file case without merge rules.
    std::string list(env);
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      std::string entry = list.substr(start, end - start);
      std::error_code ec;
      if (!entry.empty() && std::filesystem::exists(entry, ec)) return loadKubeconfigFile(entry, options.context);
      start = end + 1;
    }
    return fail(ErrorCode::kConfig, "KUBECONFIG=" + list + ": no such file");
  }
  if (const char* host = std::getenv("KUBERNETES_SERVICE_HOST"); host != nullptr && *host != '\0') {
    if (!options.context.empty()) return fail(ErrorCode::kConfig, "--context: not valid in-cluster");
    return inClusterConfig();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr) {
    return loadKubeconfigFile(std::filesystem::path(home) / ".kube" / "config", options.context);
  }
  return fail(ErrorCode::kConfig, "no kubeconfig: set --kubeconfig or KUBECONFIG");
}

TokenSource::TokenSource(std::string staticToken, std::string tokenFile, Clock& clock)
    : static_(std::move(staticToken)), file_(std::move(tokenFile)), clock_(clock) {}

Result<std::string> TokenSource::token() {
  if (file_.empty()) return static_;
  std::lock_guard lock(mu_);
  auto now = clock_.now();
  if (haveCached_ && now - readAt_ < kRefresh) return cached_;
  auto text = readFile(file_, "tokenFile");
  if (!text) {
    if (haveCached_) return cached_;  // keep the last good token through a rotation race
    return std::unexpected(text.error());
  }
  cached_ = trimmed(std::move(*text));
  readAt_ = now;
  haveCached_ = true;
  return cached_;
}

}  // namespace tso::kube
