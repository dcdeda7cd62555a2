// Manifests as `kubectl apply -f` reads them: YAML scalars typed by the core schema, quoted
// ones kept as strings, several documents, and invalid YAML as a kConfig error naming the file.
#include "controller/kube/manifest.h"

#include <gtest/gtest.h>

namespace tso::kube {
namespace {

using nlohmann::json;

struct ScalarCase {
  const char* yaml;
  json want;
};

class ManifestScalarTest : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(ManifestScalarTest, TypedAsTheCoreSchemaReadsIt) {
  auto docs = parseManifests(std::string("v: ") + GetParam().yaml, "t.yaml");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  ASSERT_EQ(docs->size(), 1U);
  EXPECT_EQ(docs->front().at("v"), GetParam().want) << GetParam().yaml;
}

INSTANTIATE_TEST_SUITE_P(Scalars, ManifestScalarTest,
                         ::testing::Values(ScalarCase{"42", 42}, ScalarCase{"-3", -3}, ScalarCase{"0.8", 0.8},
                                           ScalarCase{"1e3", 1000.0}, ScalarCase{"true", true},
                                           ScalarCase{"False", false}, ScalarCase{"~", nullptr},
                                           ScalarCase{"null", nullptr}, ScalarCase{"30s", "30s"},
                                           ScalarCase{"'42'", "42"}, ScalarCase{"\"true\"", "true"},
                                           ScalarCase{"0 20 * * 5", "0 20 * * 5"},
                                           ScalarCase{"2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"}));

TEST(ManifestTest, NestedMapsAndFlowSequences) {
  auto docs = parseManifests("spec:\n  capacity: {perReplica: 100}\n  list: [a, 2]\n", "t.yaml");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  EXPECT_EQ(docs->front(), json::parse(R"({"spec": {"capacity": {"perReplica": 100}, "list": ["a", 2]}})"));
}

TEST(ManifestTest, EveryNonEmptyDocument) {
  auto docs = parseManifests("---\nkind: A\n---\n---\nkind: B\n", "t.yaml");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  ASSERT_EQ(docs->size(), 2U);
  EXPECT_EQ(docs->at(0).at("kind"), "A");
  EXPECT_EQ(docs->at(1).at("kind"), "B");
}

TEST(ManifestTest, InvalidYamlNamesTheSource) {
  auto docs = parseManifests("spec: {capacity: [1, 2\n", "web.yaml");
  ASSERT_FALSE(docs.has_value());
  EXPECT_EQ(docs.error().code, ErrorCode::kConfig);
  EXPECT_NE(docs.error().message.find("web.yaml: invalid YAML"), std::string::npos) << docs.error().message;
}

}  // namespace
}  // namespace tso::kube
