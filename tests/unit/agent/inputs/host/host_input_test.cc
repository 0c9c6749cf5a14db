#include "agent/inputs/host/host_input.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace strata::agent::host {
namespace {

namespace fs = std::filesystem;
using common::Labels;
using common::SampleBatch;

constexpr int64_t kWallMs = 1700000000000;
constexpr auto kDeadline = std::chrono::seconds(10);

// Wall time is fixed so sample timestamps are exact; monotonic time is real so the input's
// interval pacing behaves as in production.
class FakeClock final : public common::Clock {
 public:
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonotonicMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void SetNowMs(int64_t ms) { now_ms_.store(ms); }

 private:
  std::atomic<int64_t> now_ms_{kWallMs};
};

class RecordingSink final : public SampleSink {
 public:
  void Push(SampleBatch batch) override {
    {
      std::lock_guard lock(mu_);
      batches_.push_back(std::move(batch));
    }
    cv_.notify_all();
  }

  // Waits until `done(batches)` holds or the deadline passes; returns whether it held.
  bool WaitFor(const std::function<bool(const std::vector<SampleBatch>&)>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return done(batches_); });
  }

  std::vector<SampleBatch> Batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SampleBatch> batches_;
};

// Polls `cond` until it holds or the deadline passes.
bool PollUntil(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

std::optional<double> Find(const SampleBatch& batch, const Labels& labels) {
  for (const common::SeriesSample& s : batch) {
    if (s.labels == labels) return s.sample.value;
  }
  return std::nullopt;
}

bool HasMetricPrefix(const SampleBatch& batch, std::string_view prefix) {
  for (const common::SeriesSample& s : batch) {
    if (s.labels.MetricName().starts_with(prefix)) return true;
  }
  return false;
}

void WriteFile(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  ASSERT_TRUE(f.good()) << path;
}

class HostInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) /
            ("host_input_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(root_);
    WriteFile(root_ / "stat",
              "cpu  300 0 100 1000 0 0 0 0 0 0\n"
              "cpu0 300 0 100 1000 0 0 0 0 0 0\n"
              "ctxt 777\n"
              "btime 1699990000\n");
    WriteFile(root_ / "meminfo", "MemTotal:  2048 kB\nActive(file):  16 kB\n");
    WriteFile(root_ / "loadavg", "0.25 0.50 0.75 1/100 4242\n");
    WriteFile(root_ / "net/dev",
              "Inter-|   Receive   |  Transmit\n"
              " face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs "
              "drop fifo colls carrier compressed\n"
              "  eth0: 4096 8 0 0 0 0 0 0 1024 2 0 0 0 0 0 0\n");
    WriteFile(root_ / "diskstats", "   8       0 sda 10 0 16 1500 0 0 0 0 0 20 30\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  HostOptions Options() const {
    HostOptions o;
    o.interval_ms = 50;
    o.proc_root = root_.string();
    o.job = "node";
    o.instance = "test-host:9100";
    return o;
  }

  static Labels WithTarget(std::initializer_list<common::Label> labels) {
    std::vector<common::Label> all(labels);
    all.push_back({"job", "node"});
    all.push_back({"instance", "test-host:9100"});
    return Labels::FromUnsorted(std::move(all));
  }

  fs::path root_;
  FakeClock clock_;
  common::Registry metrics_;
  RecordingSink sink_;
};

TEST_F(HostInputTest, FirstBatchHasEveryFileWithJobInstanceAndOneTimestamp) {
  HostInput input(Options(), clock_, metrics_);
  ASSERT_TRUE(input.Start(sink_).ok());
  ASSERT_TRUE(sink_.WaitFor([](const auto& b) { return !b.empty(); }));
  input.Stop();

  const SampleBatch first = sink_.Batches().front();
  ASSERT_FALSE(first.empty());
  for (const common::SeriesSample& s : first) {
    EXPECT_EQ(s.labels.Get("job"), "node") << s.labels.ToString();
    EXPECT_EQ(s.labels.Get("instance"), "test-host:9100") << s.labels.ToString();
    EXPECT_EQ(s.sample.timestamp_ms, kWallMs);
  }
  const double user_hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  EXPECT_EQ(
      Find(first,
           WithTarget({{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"mode", "user"}})),
      300 / user_hz);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_context_switches_total"}})), 777.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_memory_MemTotal_bytes"}})), 2097152.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_memory_Active_file_bytes"}})), 16384.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_load15"}})), 0.75);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_network_receive_bytes_total"},
                                    {"device", "eth0"}})),
            4096.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_disk_read_time_seconds_total"},
                                    {"device", "sda"}})),
            1.5);
  EXPECT_GE(metrics_.ValueOf("strata_agent_host_collections_total"), 1.0);
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", "meminfo"}}), 0.0);
}

TEST_F(HostInputTest, CollectsAgainEveryIntervalWithTheClocksTime) {
  HostInput input(Options(), clock_, metrics_);
  ASSERT_TRUE(input.Start(sink_).ok());
  ASSERT_TRUE(sink_.WaitFor([](const auto& b) { return !b.empty(); }));
  clock_.SetNowMs(kWallMs + 60000);
  ASSERT_TRUE(sink_.WaitFor([](const auto& b) {
    return !b.empty() && b.back().front().sample.timestamp_ms == kWallMs + 60000;
  }));
  input.Stop();
  EXPECT_GE(metrics_.ValueOf("strata_agent_host_collections_total"), 2.0);
}

TEST_F(HostInputTest, MissingFileIsCountedWhileOtherFilesStillArrive) {
  HostInput input(Options(), clock_, metrics_);
  ASSERT_TRUE(input.Start(sink_).ok());
  ASSERT_TRUE(sink_.WaitFor([](const auto& b) { return !b.empty(); }));

  fs::remove(root_ / "meminfo");
  const auto read_errors = [&] {
    return metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", "meminfo"}});
  };
  // Counted on every collection, not just the first one that fails.
  ASSERT_TRUE(PollUntil([&] { return read_errors() >= 2; })) << read_errors();
  ASSERT_TRUE(sink_.WaitFor(
      [](const auto& b) { return !b.empty() && !HasMetricPrefix(b.back(), "node_memory_"); }));
  const SampleBatch last = sink_.Batches().back();
  EXPECT_EQ(Find(last, WithTarget({{"__name__", "node_load1"}})), 0.25);
  EXPECT_TRUE(HasMetricPrefix(last, "node_cpu_seconds_total"));
  EXPECT_TRUE(HasMetricPrefix(last, "node_network_"));
  EXPECT_TRUE(HasMetricPrefix(last, "node_disk_"));
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", "stat"}}), 0.0);

  // Once the file is back it is collected again.
  WriteFile(root_ / "meminfo", "MemTotal:  4096 kB\n");
  ASSERT_TRUE(sink_.WaitFor([&](const auto& b) {
    return !b.empty() &&
           Find(b.back(), WithTarget({{"__name__", "node_memory_MemTotal_bytes"}})) == 4194304.0;
  }));
  input.Stop();
}

TEST_F(HostInputTest, MalformedLinesAreCountedPerFile) {
  WriteFile(root_ / "loadavg", "garbage\n");
  HostInput input(Options(), clock_, metrics_);
  SampleBatch batch = input.Collect();
  EXPECT_FALSE(HasMetricPrefix(batch, "node_load"));
  EXPECT_TRUE(HasMetricPrefix(batch, "node_memory_"));
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_parse_errors_total", {{"file", "loadavg"}}), 1.0);
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_parse_errors_total", {{"file", "stat"}}), 0.0);
}

TEST_F(HostInputTest, MissingProcRootPushesNothingAndCountsEveryFile) {
  HostOptions o = Options();
  o.proc_root = (root_ / "does-not-exist").string();
  HostInput input(o, clock_, metrics_);
  EXPECT_TRUE(input.Collect().empty());
  for (const char* file : {"stat", "meminfo", "loadavg", "net/dev", "diskstats"}) {
    EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", file}}), 1.0)
        << file;
  }
}

TEST_F(HostInputTest, StopReturnsPromptlyDuringALongInterval) {
  HostOptions o = Options();
  o.interval_ms = 3600 * 1000;
  HostInput input(o, clock_, metrics_);
  ASSERT_TRUE(input.Start(sink_).ok());
  ASSERT_TRUE(sink_.WaitFor([](const auto& b) { return !b.empty(); }));
  const auto start = std::chrono::steady_clock::now();
  input.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(sink_.Batches().size(), 1u);
  input.Stop();  // Idempotent.
}

TEST_F(HostInputTest, StartTwiceFailsAndDisabledStartsNothing) {
  HostInput input(Options(), clock_, metrics_);
  ASSERT_TRUE(input.Start(sink_).ok());
  EXPECT_EQ(input.Start(sink_).code(), absl::StatusCode::kFailedPrecondition);
  input.Stop();

  HostOptions o = Options();
  o.enabled = false;
  HostInput disabled(o, clock_, metrics_);
  EXPECT_TRUE(disabled.Start(sink_).ok());
  disabled.Stop();
  EXPECT_EQ(disabled.Name(), "host");
}

TEST_F(HostInputTest, EmptyInstanceDefaultsToHostname) {
  HostOptions o = Options();
  o.instance.clear();
  HostInput input(o, clock_, metrics_);
  char hostname[256] = {};
  ASSERT_EQ(::gethostname(hostname, sizeof(hostname) - 1), 0);
  EXPECT_EQ(input.instance(), hostname);
  SampleBatch batch = input.Collect();
  ASSERT_FALSE(batch.empty());
  EXPECT_EQ(batch.front().labels.Get("instance"), hostname);
}

TEST(HostOptionsSchemaTest, DecodesEveryKey) {
  HostOptions o;
  absl::Status s = HostOptionsSchema().Decode(
      YAML::Load("enabled: false\ninterval: 30s\nproc_root: /host/proc\njob: host\n"
                 "instance: db1:9100\n"),
      "agent.yaml", "inputs.host", &o);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.interval_ms, 30000);
  EXPECT_EQ(o.proc_root, "/host/proc");
  EXPECT_EQ(o.job, "host");
  EXPECT_EQ(o.instance, "db1:9100");
}

TEST(HostOptionsSchemaTest, RejectsUnknownKeysTooShortIntervalsAndEmptyJob) {
  for (const char* yaml : {"intervall: 15s\n", "interval: 10ms\n", "job: \"\"\n"}) {
    HostOptions o;
    EXPECT_FALSE(HostOptionsSchema().Decode(YAML::Load(yaml), "agent.yaml", "host", &o).ok())
        << yaml;
  }
}

TEST(HostOptionsSchemaTest, ReferenceListsEveryKeyWithItsDefault) {
  std::string text;
  HostOptionsSchema().Describe(HostOptions{}, 0, &text);
  for (const char* line : {"enabled: true", "interval: 15s", "proc_root: \"/proc\"",
                           "job: \"node\"", "instance: \"\""}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
  }
}

// Reads this machine's /proc: checks the values are the kernel's, not just well-formed.
TEST(HostInputRealProcTest, MatchesTheRunningKernel) {
  std::ifstream meminfo("/proc/meminfo");
  if (!meminfo) GTEST_SKIP() << "no /proc/meminfo here";
  double mem_total_kb = 0;
  for (std::string line; std::getline(meminfo, line);) {
    if (line.starts_with("MemTotal:")) std::istringstream(line.substr(9)) >> mem_total_kb;
  }
  ASSERT_GT(mem_total_kb, 0);

  common::SystemClock clock;
  common::Registry metrics;
  HostOptions o;
  o.instance = "self";
  HostInput input(o, clock, metrics);
  SampleBatch batch = input.Collect();

  EXPECT_EQ(
      Find(batch,
           {{"__name__", "node_memory_MemTotal_bytes"}, {"job", "node"}, {"instance", "self"}}),
      mem_total_kb * 1024);
  auto idle = Find(batch, {{"__name__", "node_cpu_seconds_total"},
                           {"cpu", "0"},
                           {"mode", "idle"},
                           {"job", "node"},
                           {"instance", "self"}});
  ASSERT_TRUE(idle.has_value());
  EXPECT_GT(*idle, 0);
  auto boot =
      Find(batch, {{"__name__", "node_boot_time_seconds"}, {"job", "node"}, {"instance", "self"}});
  ASSERT_TRUE(boot.has_value());
  EXPECT_GT(*boot, 1e9);
  EXPECT_LT(*boot, static_cast<double>(clock.NowMs()) / 1000);
  EXPECT_TRUE(
      Find(batch, {{"__name__", "node_load1"}, {"job", "node"}, {"instance", "self"}}).has_value());
  EXPECT_TRUE(Find(batch, {{"__name__", "node_network_receive_bytes_total"},
                           {"device", "lo"},
                           {"job", "node"},
                           {"instance", "self"}})
                  .has_value());
  for (const char* file : {"stat", "meminfo", "loadavg", "net/dev"}) {
    EXPECT_EQ(metrics.ValueOf("strata_agent_host_read_errors_total", {{"file", file}}), 0.0)
        << file;
    EXPECT_EQ(metrics.ValueOf("strata_agent_host_parse_errors_total", {{"file", file}}), 0.0)
        << file;
  }
}

}  // namespace
}  // namespace strata::agent::host
