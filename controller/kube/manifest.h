// Kubernetes manifests as users write them for `kubectl apply -f`: YAML, possibly several
// documents, read into JSON objects the typed decoders take. yaml-cpp's exceptions stop here.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "controller/common/result.h"

namespace tso::kube {

// Every non-empty document of `yaml` as JSON. Plain scalars become null, booleans, integers
// or numbers where YAML 1.2's core schema reads them so; quoted ones stay strings. kConfig
// with `source` and the line on invalid YAML.
Result<std::vector<nlohmann::json>> parseManifests(std::string_view yaml, std::string_view source);

}  // namespace tso::kube
