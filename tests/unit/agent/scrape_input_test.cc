#include "agent/inputs/scrape/scrape_input.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <mutex>
#include <thread>

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
  ScrapeTarget target{"h:1", common::Labels{{"job", "outer"}, {"instance", "h:1"}}};
  ScrapeConfig config;
  common::SampleBatch out;
  AppendTargetSamples(parsed, target, config, 9999, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels.Get("job"), "outer");
  EXPECT_EQ(out[0].labels.Get("exported_job"), "inner");
  EXPECT_EQ(out[0].sample.timestamp_ms, 1234);  // honor_timestamps defaults to true

  config.honor_labels = true;
  config.honor_timestamps = false;
  out.clear();
  AppendTargetSamples(parsed, target, config, 9999, &out);
  EXPECT_EQ(out[0].labels.Get("job"), "inner");
  EXPECT_FALSE(out[0].labels.Has("exported_job"));
  EXPECT_EQ(out[0].sample.timestamp_ms, 9999);
}

}  // namespace
}  // namespace strata::agent::scrape
