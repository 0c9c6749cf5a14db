#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/discovery/file_sd.h"
#include "agent/discovery/target_group.h"
#include "agent/inputs/scrape/scrape_input.h"

namespace strata::agent::discovery {
namespace {

class FakeClock final : public common::Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  int64_t MonotonicMs() const override { return now_ms; }
  int64_t now_ms = 1'000'000;
};

TEST(ParseTargetGroupsTest, ReadsJsonAndYamlWithTheSourceLabel) {
  auto json = ParseTargetGroups(
      R"([{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c:3"]}])",
      "__meta_filepath", "/etc/t.json");
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ(json->size(), 2u);
  EXPECT_EQ((*json)[0].targets, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ((*json)[0].labels, (std::vector<std::pair<std::string, std::string>>{
                                   {"env", "prod"}, {"__meta_filepath", "/etc/t.json"}}));
  EXPECT_EQ((*json)[1].labels.size(), 1u);
  auto yaml = ParseTargetGroups("- targets: [a:1]\n  labels: {env: prod}\n", "", "");
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_EQ((*yaml)[0].labels.size(), 1u);
  auto empty = ParseTargetGroups("", "", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseTargetGroupsTest, RejectsMalformedGroupsWithAReason) {
  auto reason = [](const std::string& text) {
    auto r = ParseTargetGroups(text, "", "");
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_EQ(reason(R"({"targets": ["a:1"]})"), "expected a list of target groups");
  EXPECT_EQ(reason(R"(["a:1"])"), "target group 0: expected a map with targets and labels");
  EXPECT_EQ(reason(R"([{"targets": "a:1"}])"), "target group 0: targets must be a list");
  EXPECT_EQ(reason(R"([{"targets": [["a"]]}])"), "target group 0: each target must be a string");
  EXPECT_EQ(reason(R"([{"targets": [], "lables": {}}])"), "target group 0: unknown key \"lables\"");
  EXPECT_EQ(reason(R"([{}, {"labels": {"a-b": "x"}}])"),
            "target group 1: invalid label name \"a-b\"");
  EXPECT_NE(reason(R"([{"targets": ["a:1"])").find("not valid JSON or YAML"), std::string::npos);
}

class FileDiscovererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-file-sd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // Written through a rename, as tools that generate target files do.
  void Write(const std::string& name, const std::string& text) {
    const std::string tmp = dir_ + "/." + name + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, dir_ + "/" + name);
  }
  std::string dir_;
  FakeClock clock_;
  common::Registry registry_;
  common::Counter& errors_ = registry_.GetCounter("errors", "", {});
};

TEST_F(FileDiscovererTest, ReadsGlobbedFilesAndReportsOnlyChanges) {
  Write("a.json", R"([{"targets": ["a:1"]}])");
  Write("b.yml", "- targets: [b:2]\n");
  Write("ignored.txt", "- targets: [x:9]\n");
  FileSdConfig config;
  config.files = {dir_ + "/*.json", dir_ + "/*.yml", dir_ + "/*.txt"};
  FileDiscoverer d(config, clock_, errors_);
  auto first = d.Poll();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].targets[0], "a:1");
  EXPECT_EQ((*first)[0].labels.back().second, dir_ + "/a.json");
  EXPECT_EQ((*first)[1].targets[0], "b:2");
  EXPECT_FALSE(d.Poll().has_value());  // nothing changed

  Write("a.json", R"([{"targets": ["a:1", "a:11"]}])");
  auto changed = d.Poll();
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ((*changed)[0].targets.size(), 2u);

  // A broken file keeps its previous groups and is counted.
  Write("a.json", R"([{"targets": ["a:1")");
  EXPECT_FALSE(d.Poll().has_value());
  EXPECT_EQ(errors_.Value(), 1);
  // A refresh re-reads it (and fails again) even without a change.
  clock_.now_ms += config.refresh_interval_ms;
  EXPECT_FALSE(d.Poll().has_value());
  EXPECT_EQ(errors_.Value(), 2);

  // A new file adds its groups; a removed one takes them away.
  Write("c.json", R"([{"targets": ["c:3"]}])");
  auto added = d.Poll();
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(added->size(), 3u);
  std::filesystem::remove(dir_ + "/b.yml");
  auto removed = d.Poll();
  ASSERT_TRUE(removed.has_value());
  ASSERT_EQ(removed->size(), 2u);
  EXPECT_EQ((*removed)[0].targets.size(), 2u);  // a.json's last good groups
  EXPECT_EQ((*removed)[1].targets[0], "c:3");
}

TEST_F(FileDiscovererTest, ConfigRefusesGlobbedDirectoriesAndOtherExtensions) {
  FileSdConfig c;
  c.files = {"/etc/*/targets.json"};
  const YAML::Node bad_dir = YAML::Load("files: [\"/etc/*/targets.json\"]");
  EXPECT_NE(FileSdConfigSchema()
                .Decode(bad_dir, "f", "file_sd_configs[0]", &c)
                .message()
                .find("only the last element may be a glob"),
            std::string::npos);
  const YAML::Node bad_ext = YAML::Load("files: [\"/etc/targets.txt\"]");
  EXPECT_NE(FileSdConfigSchema()
                .Decode(bad_ext, "f", "file_sd_configs[0]", &c)
                .message()
                .find("must end in .json, .yml or .yaml"),
            std::string::npos);
  const YAML::Node good = YAML::Load("files: [\"/etc/t/*.json\"]\nrefresh_interval: 1m\n");
  ASSERT_TRUE(FileSdConfigSchema().Decode(good, "f", "file_sd_configs[0]", &c).ok());
  EXPECT_EQ(c.refresh_interval_ms, 60000);
}

// A series that a scrape no longer returns gets one staleness marker, once.
TEST(StalenessTest, VanishedSeriesGetOneMarker) {
  using common::Labels;
  std::vector<Labels> previous;
  common::SampleBatch first = {{Labels{{"__name__", "a"}}, {1, 1}},
                               {Labels{{"__name__", "b"}}, {1, 2}}};
  scrape::AppendStaleMarkers(first, 1, &previous);
  EXPECT_EQ(first.size(), 2u);
  common::SampleBatch second = {{Labels{{"__name__", "b"}}, {2, 3}}};
  scrape::AppendStaleMarkers(second, 2, &previous);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[1].labels, (Labels{{"__name__", "a"}}));
  EXPECT_TRUE(common::IsStaleNaN(second[1].sample.value));
  EXPECT_EQ(second[1].sample.timestamp_ms, 2);
  common::SampleBatch third = {{Labels{{"__name__", "b"}}, {3, 4}}};
  scrape::AppendStaleMarkers(third, 3, &previous);
  EXPECT_EQ(third.size(), 1u);  // "a" was marked already
}

}  // namespace
}  // namespace strata::agent::discovery
