#include "collector/api/status_api.h"

#include <gtest/gtest.h>

#include <string>

#include "nlohmann/json.hpp"
#include "strata/version.h"

namespace strata::collector::api {
namespace {

using nlohmann::json;

class FakeClock final : public common::Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  int64_t MonotonicMs() const override { return now_ms; }
  int64_t now_ms = 1'767'225'600'250;  // 2026-01-01T00:00:00.25Z
};

StatusInfo TestInfo() {
  StatusInfo info;
  info.build = {"1.2.3", "abc123", "main", "me@host", "20260101-00:00:00", "GNU 12.2.0"};
  info.start_time_ms = 1'767'225'600'000;
  info.storage_retention_ms = 3LL * 24 * 3600 * 1000;
  info.flags = {{"log-level", "info"}, {"data-dir", "/var/lib/strata"}, {"config", ""}};
  info.config_yaml = "log_level: \"info\"\nstorage:\n  retention: 3d\n";
  return info;
}

ProcessFacts TestFacts() { return ProcessFacts{"/srv", "box", 17, 8}; }

class StatusApiTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  StatusApi api_{TestInfo(), clock_, TestFacts};
};

TEST_F(StatusApiTest, BuildInfoHasPrometheusKeysInOrder) {
  ApiResponse r = api_.Build();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"version":"1.2.3","revision":"abc123","branch":"main","buildUser":"me@host","buildDate":"20260101-00:00:00","goVersion":"GNU 12.2.0"}})");
}

TEST_F(StatusApiTest, RuntimeInfoHasPrometheusKeysInOrder) {
  ApiResponse r = api_.Runtime();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","data":{"startTime":"2026-01-01T00:00:00Z","CWD":"/srv","hostname":"box","serverTime":"2026-01-01T00:00:00.25Z","reloadConfigSuccess":true,"lastConfigTime":"2026-01-01T00:00:00Z","corruptionCount":0,"goroutineCount":17,"GOMAXPROCS":8,"GOMEMLIMIT":9223372036854775807,"GOGC":"","GODEBUG":"","storageRetention":"3d"}})");
}

TEST_F(StatusApiTest, FlagsAreAStringMapWithSortedKeys) {
  EXPECT_EQ(
      api_.Flags().body,
      R"({"status":"success","data":{"config":"","data-dir":"/var/lib/strata","log-level":"info"}})");
}

TEST_F(StatusApiTest, ConfigIsYamlUnderDataYaml) {
  ApiResponse r = api_.Config();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body),
            json({{"status", "success"}, {"data", {{"yaml", TestInfo().config_yaml}}}}));
}

TEST(StatusApiHelpersTest, FormatsTimesAsGoDoes) {
  EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Ms(1'767'225'600'123), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(FormatRfc3339Ms(1'767'225'600'120), "2026-01-01T00:00:00.12Z");
  EXPECT_EQ(FormatRfc3339Ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(StatusApiHelpersTest, StripsYamlCommentLinesOnly) {
  EXPECT_EQ(StripYamlComments("# doc\na: \"x # not a comment\"\n  # nested doc\n  b: 1\n\n"),
            "a: \"x # not a comment\"\n  b: 1\n");
}

TEST(StatusApiHelpersTest, CurrentBuildInfoReportsThisBuild) {
  const BuildInfo b = CurrentBuildInfo();
  EXPECT_EQ(b.version, kVersion);
  EXPECT_FALSE(b.compiler.empty());
  EXPECT_EQ(b.build_date.size(), std::string("20260101-00:00:00").size());
}

TEST(StatusApiHelpersTest, ReadsProcessFacts) {
  const ProcessFacts facts = ReadProcessFacts();
  EXPECT_FALSE(facts.cwd.empty());
  EXPECT_GE(facts.threads, 1);
  EXPECT_GE(facts.hardware_threads, 1);
}

}  // namespace
}  // namespace strata::collector::api
