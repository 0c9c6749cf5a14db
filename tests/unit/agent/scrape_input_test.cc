#include "agent/inputs/scrape/scrape_input.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/unit/agent/relabel_rule.h"

namespace strata::agent::scrape {
namespace {

class RecordingSink : public SampleSink {
 public:
  void Push(common::SampleBatch batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    batches_.push_back(std::move(batch));
    cv_.notify_all();
  }
  common::SampleBatch WaitFirst() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return !batches_.empty(); });
    return batches_.empty() ? common::SampleBatch{} : batches_.front();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<common::SampleBatch> batches_;
};

const common::SeriesSample* Find(const common::SampleBatch& b, std::string_view name) {
  for (const auto& s : b) {
    if (s.labels.MetricName() == name) return &s;
  }
  return nullptr;
}

class ScrapeInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();  // polled, not slept
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  ScrapeConfig Config() {
    ScrapeConfig c;
    c.job_name = "test";
    c.scrape_interval_ms = 60000;
    c.scrape_timeout_ms = 2000;
    c.static_configs.push_back(
        StaticConfig{{"127.0.0.1:" + std::to_string(port_)}, {{"env", "t"}}});
    return c;
  }
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  common::SystemClock clock_;
  common::Registry registry_;
};

TEST_F(ScrapeInputTest, MalformedLineIsCountedAndTheRestKept) {
  server_.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("# TYPE a gauge\na 1\nthis is { not valid\nb{x=\"y\"} 2\n", "text/plain");
  });
  ScrapeInput input(Config(), clock_, registry_);
  RecordingSink sink;
  ASSERT_TRUE(input.Start(sink).ok());
  common::SampleBatch batch = sink.WaitFirst();
  input.Stop();
  ASSERT_NE(Find(batch, "a"), nullptr);
  ASSERT_NE(Find(batch, "b"), nullptr);
  EXPECT_EQ(Find(batch, "b")->sample.value, 2);
  EXPECT_EQ(Find(batch, "b")->labels.Get("x"), "y");
  EXPECT_EQ(Find(batch, "b")->labels.Get("job"), "test");
  EXPECT_EQ(Find(batch, "b")->labels.Get("env"), "t");
  EXPECT_EQ(Find(batch, "up")->sample.value, 1);
  EXPECT_EQ(Find(batch, "scrape_samples_scraped")->sample.value, 2);
  EXPECT_EQ(registry_.ValueOf("strata_agent_scrape_parse_errors_total", {{"job", "test"}}), 1);
}

TEST_F(ScrapeInputTest, FailedScrapeReportsUpZero) {
  server_.Get("/metrics",
              [](const httplib::Request&, httplib::Response& res) { res.status = 500; });
  ScrapeInput input(Config(), clock_, registry_);
  RecordingSink sink;
  ASSERT_TRUE(input.Start(sink).ok());
  common::SampleBatch batch = sink.WaitFirst();
  input.Stop();
  ASSERT_NE(Find(batch, "up"), nullptr);
  EXPECT_EQ(Find(batch, "up")->sample.value, 0);
  EXPECT_EQ(registry_.ValueOf("strata_agent_scrapes_failed_total", {{"job", "test"}}), 1);
}

// A scrape over sample_limit fails as a whole: up 0, none of its series kept.
TEST_F(ScrapeInputTest, SampleLimitFailsTheWholeScrape) {
  server_.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("a 1\nb 2\nc 3\n", "text/plain");
  });
  ScrapeConfig c = Config();
  c.sample_limit = 2;
  ScrapeInput input(c, clock_, registry_);
  RecordingSink sink;
  ASSERT_TRUE(input.Start(sink).ok());
  common::SampleBatch batch = sink.WaitFirst();
  input.Stop();
  EXPECT_EQ(Find(batch, "a"), nullptr);
  ASSERT_NE(Find(batch, "up"), nullptr);
  EXPECT_EQ(Find(batch, "up")->sample.value, 0);
  EXPECT_EQ(Find(batch, "scrape_samples_scraped")->sample.value, 3);
  EXPECT_EQ(registry_.ValueOf("strata_agent_scrapes_exceeded_limit_total", {{"job", "test"}}), 1);
}

TEST(ScrapeLimitsTest, EachLimitFailsWithItsReason) {
  common::SampleBatch batch = {
      {common::Labels{{"__name__", "m"}, {"a", "1"}, {"long_name", "vvvvvvvv"}}, {1, 1}},
      {common::Labels{{"__name__", "n"}}, {1, 1}}};
  EXPECT_EQ(CheckScrapeLimits({}, batch), "");
  EXPECT_EQ(CheckScrapeLimits({2, 0, 0, 0}, batch), "");
  EXPECT_EQ(CheckScrapeLimits({1, 0, 0, 0}, batch), "sample_limit exceeded (2 series, limit 1)");
  EXPECT_EQ(CheckScrapeLimits({0, 2, 0, 0}, batch),
            "label_limit exceeded (metric: m, number of labels: 3, limit: 2)");
  EXPECT_EQ(CheckScrapeLimits({0, 3, 0, 0}, batch), "");
  EXPECT_EQ(CheckScrapeLimits({0, 0, 8, 0}, batch),
            "label_name_length_limit exceeded (metric: m, label name: long_name, length: 9, "
            "limit: 8)");
  EXPECT_EQ(CheckScrapeLimits({0, 0, 0, 7}, batch),
            "label_value_length_limit exceeded (metric: m, label name: long_name, length: 8, "
            "limit: 7)");
  EXPECT_EQ(CheckScrapeLimits({0, 0, 9, 8}, batch), "");
}

TEST_F(ScrapeInputTest, HangingTargetIsCutOffByTimeout) {
  server_.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
      sink.write("a 1\n", 4);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a slow, endless target
      return true;
    });
  });
  ScrapeConfig c = Config();
  c.scrape_timeout_ms = 300;
  ScrapeInput input(c, clock_, registry_);
  RecordingSink sink;
  ASSERT_TRUE(input.Start(sink).ok());
  common::SampleBatch batch = sink.WaitFirst();
  input.Stop();
  ASSERT_NE(Find(batch, "up"), nullptr);
  EXPECT_EQ(Find(batch, "up")->sample.value, 0);
}

TEST(AppendTargetSamplesTest, ConflictingLabelsAreRenamedUnlessHonored) {
  ParseResult parsed = ParseTextExposition("m{job=\"inner\"} 1 1234\n");
  ScrapeTarget target;
  target.address = "h:1";
  target.target_labels = common::Labels{{"job", "outer"}, {"instance", "h:1"}};
  ScrapeConfig config;
  const relabel::Relabeler none;
  common::SampleBatch out;
  EXPECT_EQ(AppendTargetSamples(parsed, target, config, none, 9999, &out), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.Get("job"), "outer");
  EXPECT_EQ(out[0].labels.Get("exported_job"), "inner");
  EXPECT_EQ(out[0].sample.timestamp_ms, 1234);  // honor_timestamps defaults to true

  config.honor_labels = true;
  config.honor_timestamps = false;
  out.clear();
  AppendTargetSamples(parsed, target, config, none, 9999, &out);
  EXPECT_EQ(out[0].labels.Get("job"), "inner");
  EXPECT_FALSE(out[0].labels.Has("exported_job"));
  EXPECT_EQ(out[0].sample.timestamp_ms, 9999);
}

using test_support::Rule;

// metric_relabel_configs run after the target labels are attached and can drop series or
// rewrite them, including the metric name.
TEST(AppendTargetSamplesTest, MetricRelabelingDropsAndRewritesSeries) {
  ParseResult parsed =
      ParseTextExposition("go_gc_duration_seconds 1\nnode_load1 2\nnode_cpu{cpu=\"0\"} 3\n");
  ScrapeTarget target;
  target.address = "h:1";
  target.target_labels = common::Labels{{"job", "node"}, {"instance", "h:1"}};
  ScrapeConfig config;
  auto relabeler = relabel::Relabeler::Create(
      {Rule("drop", {"__name__"}, "", "go_.*"),
       Rule("replace", {"__name__", "job"}, "__name__", "node_(.*);(.*)", "${2}_$1"),
       Rule("labeldrop", {}, "", "cpu")});
  ASSERT_TRUE(relabeler.ok()) << relabeler.status();
  common::SampleBatch out;
  EXPECT_EQ(AppendTargetSamples(parsed, target, config, *relabeler, 9999, &out), 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels,
            (common::Labels{{"__name__", "node_load1"}, {"job", "node"}, {"instance", "h:1"}}));
  EXPECT_EQ(out[1].labels,
            (common::Labels{{"__name__", "node_cpu"}, {"job", "node"}, {"instance", "h:1"}}));

  // A rewrite to an invalid metric name drops the series; a valid new name is kept.
  auto bad =
      relabel::Relabeler::Create({Rule("replace", {"__name__"}, "__name__", "node_load1", "1bad"),
                                  Rule("labelmap", {}, "", "(c)(pu)", "${2}_$1")});
  ASSERT_TRUE(bad.ok()) << bad.status();
  out.clear();
  EXPECT_EQ(AppendTargetSamples(parsed, target, config, *bad, 9999, &out), 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels.MetricName(), "go_gc_duration_seconds");
  EXPECT_EQ(out[1].labels.Get("pu_c"), "0");
}

// Targets go through relabel_configs: dropped, readdressed, given labels from __ labels, with
// instance defaulting to the final address and the __ labels gone.
TEST(BuildTargetsTest, RelabelConfigsShapeTheTargets) {
  ScrapeConfig config;
  config.job_name = "node";
  StaticConfig group;
  group.targets = {"10.0.0.1:9100", "10.0.0.2:9100", "10.0.0.3:9100"};
  group.labels = {{"__meta_rack", "r7"}, {"env", "prod"}};
  auto relabeler = relabel::Relabeler::Create(
      {Rule("drop", {"__address__"}, "", "10\\.0\\.0\\.2:.*"),
       Rule("replace", {"__meta_rack"}, "rack"),
       Rule("replace", {"__address__"}, "__address__", "(.*):9100", "$1:19100"),
       Rule("replace", {"__address__"}, "__metrics_path__", "10\\.0\\.0\\.3:.*", "/probe")});
  ASSERT_TRUE(relabeler.ok()) << relabeler.status();
  BuiltTargets built = BuildTargets(config, *relabeler, {group});
  EXPECT_TRUE(built.errors.empty());
  EXPECT_EQ(built.dropped, 1u);
  ASSERT_EQ(built.targets.size(), 2u);
  EXPECT_EQ(built.targets[0].address, "10.0.0.1:19100");
  EXPECT_EQ(built.targets[0].metrics_path, "/metrics");
  EXPECT_EQ(built.targets[0].target_labels,
            (common::Labels{
                {"env", "prod"}, {"instance", "10.0.0.1:19100"}, {"job", "node"}, {"rack", "r7"}}));
  EXPECT_EQ(built.targets[0].discovered_labels.Get("__address__"), "10.0.0.1:9100");
  EXPECT_EQ(built.targets[0].discovered_labels.Get("__scrape_interval__"), "15s");
  EXPECT_EQ(built.targets[1].metrics_path, "/probe");

  // A relabeled address that is not an address leaves the target out with a reason.
  auto bad = relabel::Relabeler::Create({Rule("replace", {}, "__address__", "(.*)", "h:port")});
  ASSERT_TRUE(bad.ok());
  built = BuildTargets(config, *bad, {group});
  EXPECT_TRUE(built.targets.empty());
  ASSERT_EQ(built.errors.size(), 3u);
  EXPECT_EQ(built.errors[0],
            "target \"h:port\" is not a valid address (host, host:port or [ipv6]:port)");

  // A label name that relabeling made invalid leaves the target out too.
  auto odd = relabel::Relabeler::Create({Rule("labelmap", {}, "", "__meta_(.*)", "x$1")});
  ASSERT_TRUE(odd.ok());
  StaticConfig dashed;
  dashed.targets = {"10.0.0.9:9100"};
  dashed.labels = {{"__meta_rack", "r1"}};
  built = BuildTargets(config, *odd, {dashed});
  EXPECT_EQ(built.targets.size(), 1u);  // "xrack" is a fine name
  auto digit = relabel::Relabeler::Create({Rule("labelmap", {}, "", "__meta_(.*)", "$1")});
  ASSERT_TRUE(digit.ok());
  dashed.labels = {{"__meta_9x", "r1"}};  // maps to "9x"
  built = BuildTargets(config, *digit, {dashed});
  EXPECT_TRUE(built.targets.empty());
  ASSERT_EQ(built.errors.size(), 1u);
  EXPECT_EQ(built.errors[0],
            "target \"10.0.0.9:9100\": invalid label name \"9x\" after relabeling");
}

// The YAML shape is Prometheus': relabel_configs and metric_relabel_configs lists, validated
// with the file position in the error.
TEST(ScrapeConfigTest, DecodesRelabelConfigs) {
  const YAML::Node node = YAML::Load(R"yaml(
job_name: node
static_configs: [{targets: ["h:1"]}]
relabel_configs:
  - source_labels: [__address__]
    target_label: host
    regex: "(.*):.*"
metric_relabel_configs:
  - action: labeldrop
    regex: cpu
)yaml");
  ScrapeConfig c;
  ASSERT_TRUE(ScrapeConfigSchema().Decode(node, "a.yaml", "scrape_configs[0]", &c).ok());
  ASSERT_EQ(c.relabel_configs.size(), 1u);
  EXPECT_EQ(c.relabel_configs[0].target_label, "host");
  ASSERT_EQ(c.metric_relabel_configs.size(), 1u);
  EXPECT_EQ(c.metric_relabel_configs[0].action, "labeldrop");
  const YAML::Node bad =
      YAML::Load("job_name: node\nrelabel_configs:\n  - action: keep\n    regex: \"(\"\n");
  const absl::Status s = ScrapeConfigSchema().Decode(bad, "a.yaml", "scrape_configs[0]", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("relabel_configs[0]"), std::string::npos) << s;
  EXPECT_NE(s.message().find("invalid regex"), std::string::npos) << s;
}

}  // namespace
}  // namespace strata::agent::scrape
