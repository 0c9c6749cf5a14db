#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "agent/discovery/file_sd.h"
#include "agent/discovery/http_sd.h"
#include "agent/discovery/target_group.h"
#include "agent/inputs/scrape/scrape_input.h"
#include "tests/fakes/fake_clock.h"

namespace strata::agent::discovery {
namespace {

using strata::fakes::FakeClock;

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

TEST(SplitUrlTest, TakesSchemeHostPortAndPath) {
  std::string scheme, host, path;
  int port = 0;
  ASSERT_TRUE(SplitUrl("http://sd.local:8080/targets?env=prod", &scheme, &host, &port, &path));
  EXPECT_EQ(scheme, "http");
  EXPECT_EQ(host, "sd.local");
  EXPECT_EQ(port, 8080);
  EXPECT_EQ(path, "/targets?env=prod");
  ASSERT_TRUE(SplitUrl("http://sd.local", &scheme, &host, &port, &path));
  EXPECT_EQ(port, 80);
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(SplitUrl("https://sd.local", &scheme, &host, &port, &path));
  EXPECT_EQ(scheme, "https");
  EXPECT_EQ(port, 443);
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(SplitUrl("http://[::1]:9/x", &scheme, &host, &port, &path));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 9);
  EXPECT_FALSE(SplitUrl("ftp://sd.local/", &scheme, &host, &port, &path));
  EXPECT_FALSE(SplitUrl("http://sd.local:0/", &scheme, &host, &port, &path));
  EXPECT_FALSE(SplitUrl("http://sd.local:x/", &scheme, &host, &port, &path));
  EXPECT_FALSE(SplitUrl("http:///x", &scheme, &host, &port, &path));
  EXPECT_FALSE(SplitUrl("http://user@sd.local/", &scheme, &host, &port, &path));
}

// A local HTTP SD endpoint whose answer the test sets.
class HttpSdServer {
 public:
  HttpSdServer() {
    server_.Get("/sd", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      refresh_header_ = req.get_header_value("X-Prometheus-Refresh-Interval-Seconds");
      res.status = status_;
      res.set_content(body_, type_);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HttpSdServer() {
    server_.stop();
    thread_.join();
  }
  void Answer(int status, std::string body, std::string type = "application/json") {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    body_ = std::move(body);
    type_ = std::move(type);
  }
  std::string RefreshHeader() {
    std::lock_guard<std::mutex> lock(mu_);
    return refresh_header_;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/sd"; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  int status_ = 200;
  std::string body_ = "[]";
  std::string type_ = "application/json";
  std::string refresh_header_;
};

TEST(HttpDiscovererTest, FetchesEveryRefreshIntervalAndKeepsTheLastGoodGroups) {
  HttpSdServer server;
  server.Answer(200, R"([{"targets": ["a:1"], "labels": {"env": "prod"}}])");
  FakeClock clock;
  common::Registry registry;
  common::Counter& errors = registry.GetCounter("errors", "", {});
  HttpSdConfig config;
  config.url = server.url();
  config.refresh_interval_ms = 30000;
  HttpDiscoverer d(config, clock, errors);
  auto first = d.Poll();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].labels.back(),
            (std::pair<std::string, std::string>{"__meta_url", server.url()}));
  EXPECT_EQ(server.RefreshHeader(), "30");
  // Not due yet; then due, but unchanged.
  server.Answer(200, R"([{"targets": ["b:2"]}])");
  EXPECT_FALSE(d.Poll().has_value());
  clock.now_ms += 30000;
  auto changed = d.Poll();
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ((*changed)[0].targets[0], "b:2");
  clock.now_ms += 30000;
  EXPECT_FALSE(d.Poll().has_value());
  // Failures keep the groups and are counted.
  for (auto [status, body, type] :
       {std::tuple<int, std::string, std::string>{500, "[]", "application/json"},
        {200, "[]", "text/plain"},
        {200, "[{\"targets\": 1}]", "application/json"}}) {
    server.Answer(status, body, type);
    clock.now_ms += 30000;
    EXPECT_FALSE(d.Poll().has_value()) << status << " " << type << " " << body;
  }
  EXPECT_EQ(errors.Value(), 3);
  // Back to good, and an empty list is a real answer: no targets.
  server.Answer(200, "[]");
  clock.now_ms += 30000;
  auto emptied = d.Poll();
  ASSERT_TRUE(emptied.has_value());
  EXPECT_TRUE(emptied->empty());
}

TEST(HttpDiscovererTest, AnUnreachableEndpointStartsWithNoTargets) {
  FakeClock clock;
  common::Registry registry;
  common::Counter& errors = registry.GetCounter("errors", "", {});
  HttpSdConfig config;
  config.url = "http://127.0.0.1:1/sd";  // nothing listens on port 1
  config.refresh_interval_ms = 1000;
  HttpDiscoverer d(config, clock, errors);
  auto first = d.Poll();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->empty());
  clock.now_ms += 1000;
  EXPECT_FALSE(d.Poll().has_value());
  EXPECT_EQ(errors.Value(), 2);
}

// A series that a scrape no longer returns gets one staleness marker, once.
TEST(StalenessTest, VanishedSeriesGetOneMarker) {
  using common::Labels;
  scrape::SeriesSet previous;
  common::SampleBatch first = {{Labels{{"__name__", "a"}}, {1, 1}},
                               {Labels{{"__name__", "b"}}, {1, 2}}};
  EXPECT_EQ(scrape::AppendStaleMarkers(first, 1, &previous), 2u);  // both new
  EXPECT_EQ(first.size(), 2u);
  common::SampleBatch second = {{Labels{{"__name__", "b"}}, {2, 3}},
                                {Labels{{"__name__", "c"}}, {2, 5}}};
  EXPECT_EQ(scrape::AppendStaleMarkers(second, 2, &previous), 1u);  // c
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[2].labels, (Labels{{"__name__", "a"}}));
  EXPECT_TRUE(common::IsStaleNaN(second[2].sample.value));
  EXPECT_EQ(second[2].sample.timestamp_ms, 2);
  common::SampleBatch third = {{Labels{{"__name__", "b"}}, {3, 4}}};
  EXPECT_EQ(scrape::AppendStaleMarkers(third, 3, &previous), 0u);
  ASSERT_EQ(third.size(), 2u);  // "a" was marked already; "c" is gone now
  EXPECT_EQ(third[1].labels, (Labels{{"__name__", "c"}}));
}

}  // namespace
}  // namespace strata::agent::discovery
