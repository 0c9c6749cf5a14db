#include "common/config/schema.h"

#include <gtest/gtest.h>

namespace strata::common {
namespace {

struct Target {
  std::string url;
  int64_t interval_ms = 15000;
};

struct Options {
  std::string listen = "127.0.0.1:1";
  int64_t workers = 4;
  bool enabled = true;
  double ratio = 0.5;
  std::vector<double> quantiles = {0.5, 0.99};
  std::vector<Target> targets;
};

Schema<Options> MakeSchema() {
  Schema<Target> target;
  target.String("url", &Target::url, "URL to scrape")
      .DurationMs("interval", &Target::interval_ms, "scrape interval", 1000)
      .Check([](const Target& t) { return t.url.empty() ? "url is required" : ""; });
  Schema<Options> s;
  s.String("listen", &Options::listen, "address")
      .Int("workers", &Options::workers, "threads", 1, 64)
      .Bool("enabled", &Options::enabled, "on/off")
      .Double("ratio", &Options::ratio, "a ratio")
      .DoubleList("quantiles", &Options::quantiles, "some numbers")
      .ObjectList("targets", &Options::targets, target, "targets");
  return s;
}

absl::Status DecodeText(const std::string& yaml, Options* out) {
  return MakeSchema().Decode(YAML::Load(yaml), "test.yaml", "", out);
}

TEST(SchemaTest, KeepsDefaultsForMissingKeys) {
  Options o;
  ASSERT_TRUE(DecodeText("workers: 8\n", &o).ok());
  EXPECT_EQ(o.workers, 8);
  EXPECT_EQ(o.listen, "127.0.0.1:1");
  EXPECT_TRUE(o.enabled);
}

TEST(SchemaTest, EmptyDocumentIsDefaults) {
  Options o;
  EXPECT_TRUE(DecodeText("", &o).ok());
  EXPECT_EQ(o.workers, 4);
}

TEST(SchemaTest, UnknownKeyNamesFileLineAndKey) {
  Options o;
  absl::Status s = DecodeText("workers: 2\nlisten_addr: x\n", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("test.yaml:2:1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("\"listen_addr\""), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("unknown key"), std::string::npos) << s.message();
}

TEST(SchemaTest, WrongTypeNamesNestedPath) {
  Options o;
  absl::Status s = DecodeText("targets:\n  - url: http://x\n    interval: fast\n", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("test.yaml:3:15"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("targets[0].interval"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("duration"), std::string::npos) << s.message();
}

TEST(SchemaTest, RejectsOutOfRangeAndBadScalars) {
  Options o;
  EXPECT_FALSE(DecodeText("workers: 0\n", &o).ok());
  EXPECT_FALSE(DecodeText("workers: 2.5\n", &o).ok());
  EXPECT_FALSE(DecodeText("enabled: yes\n", &o).ok());
  EXPECT_FALSE(DecodeText("ratio: abc\n", &o).ok());
  EXPECT_FALSE(DecodeText("listen: [a, b]\n", &o).ok());
  EXPECT_FALSE(DecodeText("- a\n- b\n", &o).ok());
}

TEST(SchemaTest, RunsCrossFieldChecks) {
  Options o;
  absl::Status s = DecodeText("targets:\n  - interval: 5s\n", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("url is required"), std::string::npos) << s.message();
}

TEST(SchemaTest, DecodesListOfObjects) {
  Options o;
  ASSERT_TRUE(DecodeText("targets:\n  - url: a\n  - url: b\n    interval: 1m\n", &o).ok());
  ASSERT_EQ(o.targets.size(), 2u);
  EXPECT_EQ(o.targets[0].interval_ms, 15000);
  EXPECT_EQ(o.targets[1].url, "b");
  EXPECT_EQ(o.targets[1].interval_ms, 60000);
}

TEST(SchemaTest, DescribeRoundTripsDefaults) {
  Options defaults;
  defaults.targets.push_back(Target{"http://h/metrics", 30000});
  std::string text;
  MakeSchema().Describe(defaults, 0, &text);
  Options parsed;
  parsed.workers = 99;
  ASSERT_TRUE(DecodeText(text, &parsed).ok()) << text;
  EXPECT_EQ(parsed.workers, 4);
  ASSERT_EQ(parsed.targets.size(), 1u);
  EXPECT_EQ(parsed.targets[0].interval_ms, 30000);
  EXPECT_EQ(parsed.quantiles, (std::vector<double>{0.5, 0.99}));
  EXPECT_NE(text.find("# threads"), std::string::npos);
}

TEST(SchemaTest, DecodesListsOfNumbersAndNamesTheBadElement) {
  Options o;
  ASSERT_TRUE(DecodeText("quantiles: [0.25, 1e-3, 1]\n", &o).ok());
  EXPECT_EQ(o.quantiles, (std::vector<double>{0.25, 0.001, 1}));
  absl::Status s = DecodeText("quantiles: [0.5, fast]\n", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("\"quantiles[1]\": expected a number"), std::string::npos)
      << s.message();
  EXPECT_FALSE(DecodeText("quantiles: 0.5\n", &o).ok());
}

struct WithParams {
  std::vector<std::pair<std::string, std::vector<std::string>>> params;
};

TEST(SchemaTest, StringListMapKeepsOrderAndRoundTrips) {
  Schema<WithParams> schema;
  schema.StringListMap("params", &WithParams::params, "query parameters");
  WithParams w;
  ASSERT_TRUE(schema.Decode(YAML::Load("params: {z: [1, 2], \"a[]\": []}"), "t.yaml", "", &w).ok());
  ASSERT_EQ(w.params.size(), 2u);
  EXPECT_EQ(w.params[0], (std::pair<std::string, std::vector<std::string>>{"z", {"1", "2"}}));
  EXPECT_EQ(w.params[1].first, "a[]");
  EXPECT_TRUE(w.params[1].second.empty());
  std::string text;
  schema.Describe(w, 0, &text);
  WithParams back;
  ASSERT_TRUE(schema.Decode(YAML::Load(text), "t.yaml", "", &back).ok()) << text;
  EXPECT_EQ(back.params, w.params);
  const absl::Status s = schema.Decode(YAML::Load("params: {z: 1}"), "t.yaml", "", &w);
  EXPECT_NE(s.message().find("key \"params.z\": expected a list of strings"), std::string::npos)
      << s.message();
}

TEST(SchemaTest, YamlSyntaxErrorNamesLine) {
  std::string path = ::testing::TempDir() + "/bad.yaml";
  FILE* f = fopen(path.c_str(), "w");
  fputs("a: 1\nb: [unclosed\n", f);
  fclose(f);
  YAML::Node n;
  absl::Status s = LoadYamlFile(path, &n);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bad.yaml:"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace strata::common
