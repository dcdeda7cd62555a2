#include "controller/cli/service_policy.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/kube/manifest.h"
#include "controller/kube/resource.h"

namespace tso::cli {
namespace {

Result<std::string> readText(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kConfig, path + ": cannot read the file");
  text << in.rdbuf();
  return text.str();
}

bool isThroughputService(const nlohmann::json& doc) {
  return doc.is_object() && doc.value("kind", std::string()) == kube::kThroughputServices.kind;
}

}  // namespace

Result<ServicePolicy> servicePolicyOf(const nlohmann::json& object) {
  ServicePolicy out;
  const auto meta = object.value("metadata", nlohmann::json::object());
  if (meta.is_object()) {
    out.name = meta.value("name", std::string());
    out.ns = meta.value("namespace", std::string());
  }
  if (!object.contains("spec")) return fail(ErrorCode::kInvalid, "spec: missing");
  auto spec = reconcile::parseSpec(object.at("spec"));
  if (!spec) return std::unexpected(spec.error());
  out.spec = std::move(*spec);
  return out;
}

Result<ServicePolicy> readServiceFile(const std::string& path, const std::optional<std::string>& name) {
  auto text = readText(path);
  if (!text) return std::unexpected(text.error());
  auto docs = kube::parseManifests(*text, path);
  if (!docs) return std::unexpected(docs.error());
  std::vector<const nlohmann::json*> found;
  for (const auto& d : *docs) {
    if (!isThroughputService(d)) continue;
    const auto meta = d.value("metadata", nlohmann::json::object());
    if (name && (!meta.is_object() || meta.value("name", std::string()) != *name)) continue;
    found.push_back(&d);
  }
  if (found.size() != 1) {
    const std::string which = name ? "named " + *name : "";
    return fail(ErrorCode::kConfig, path + ": " + std::to_string(found.size()) + " ThroughputServices " + which +
                                        (found.empty() ? "" : " (pick one with --name)"));
  }
  auto policy = servicePolicyOf(*found.front());
  if (!policy) return fail(ErrorCode::kInvalid, path + ": " + policy.error().message);
  return policy;
}

Result<predictor::Series> atStep(const predictor::Series& series, std::int64_t step) {
  if (step <= 0 || series.step % step != 0) {
    return fail(ErrorCode::kInvalid, "the trace's step (" + std::to_string(series.step) +
                                         "s) is not a multiple of spec.demand.step (" + std::to_string(step) + "s)");
  }
  const auto parts = series.step / step;
  if (parts == 1) return series;
  predictor::Series out;
  out.start = series.start;
  out.step = step;
  out.values.reserve(series.values.size() * static_cast<std::size_t>(parts));
  for (double v : series.values)
    out.values.insert(out.values.end(), static_cast<std::size_t>(parts), v / static_cast<double>(parts));
  return out;
}

}  // namespace tso::cli
