#include "agent/inputs/host/host_input.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/inputs/host/statfs_prober.h"

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

size_t CountNamed(const SampleBatch& batch, std::string_view name) {
  size_t n = 0;
  for (const common::SeriesSample& s : batch) n += s.labels.MetricName() == name;
  return n;
}

// Stands in for statfs(2): ".../data" answers fixed numbers, ".../gone" ENOENT, ".../nfs" the
// same as data unless blocked, in which case it waits for Unblock() like a dead NFS server.
// Held by shared_ptr because an abandoned call may finish after the input is destroyed.
class FakeStatfs {
 public:
  static StatfsFn Fn(const std::shared_ptr<FakeStatfs>& fake) {
    return [fake](const std::string& path, FsUsage* out) { return fake->Call(path, out); };
  }
  void BlockNfs() {
    std::lock_guard lock(mu_);
    block_nfs_ = true;
  }
  void UnblockNfs() {
    {
      std::lock_guard lock(mu_);
      block_nfs_ = false;
    }
    cv_.notify_all();
  }
  int nfs_calls() {
    std::lock_guard lock(mu_);
    return nfs_calls_;
  }

 private:
  int Call(const std::string& path, FsUsage* out) {
    std::unique_lock lock(mu_);
    if (path.ends_with("/gone")) return ENOENT;
    if (path.ends_with("/nfs")) {
      ++nfs_calls_;
      cv_.wait(lock, [&] { return !block_nfs_; });
    }
    *out = FsUsage{4096, 1000, 600, 500, 64, 32};
    return 0;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool block_nfs_ = false;
  int nfs_calls_ = 0;
};

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
    WriteFile(root_ / "vmstat", "nr_free_pages 5\npgfault 1234\noom_kill 1\n");
    WriteFile(root_ / "pressure/cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=2500000\n");
    WriteFile(root_ / "pressure/io",
              "some avg10=0.00 avg60=0.00 avg300=0.00 total=3000000\n"
              "full avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n");
    WriteFile(root_ / "pressure/memory",
              "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
              "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    WriteFile(root_ / "self/mounts", MountsText());
  }

  // The fixture's mounts: one excluded, two that answer statfs.
  std::string MountsText() const {
    return "proc /proc proc rw,relatime 0 0\n"
           "/dev/vdb " +
           Mount("data") +
           " ext4 rw,relatime 0 0\n"
           "server:/x " +
           Mount("nfs") + " nfs4 ro,vers=4.2 0 0\n";
  }
  // Adds a mount whose statfs fails with ENOENT.
  void AddGoneMount() {
    WriteFile(root_ / "self/mounts", MountsText() + "/dev/vdc " + Mount("gone") + " xfs rw 0 0\n");
  }
  void TearDown() override {
    // A call abandoned by a test must not stay blocked past it.
    statfs_->UnblockNfs();
    fs::remove_all(root_);
  }

  // The mount point `name` as the fixture's mounts file lists it.
  std::string Mount(std::string_view name) const { return (root_ / "mnt" / name).string(); }

  HostOptions Options() const {
    HostOptions o;
    o.interval_ms = 50;
    o.proc_root = root_.string();
    o.job = "node";
    o.instance = "test-host:9100";
    o.statfs_timeout_ms = 5000;
    return o;
  }

  StatfsFn Statfs() const { return FakeStatfs::Fn(statfs_); }

  // The node_filesystem_* series `name` of the fixture mount `mount`.
  static Labels Fs(std::string_view name, const std::string& device, const std::string& fstype,
                   const std::string& mountpoint) {
    return WithTarget({{"__name__", std::string(name)},
                       {"device", device},
                       {"fstype", fstype},
                       {"mountpoint", mountpoint}});
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
  std::shared_ptr<FakeStatfs> statfs_ = std::make_shared<FakeStatfs>();
};

TEST_F(HostInputTest, FirstBatchHasEveryFileWithJobInstanceAndOneTimestamp) {
  HostInput input(Options(), clock_, metrics_, Statfs());
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
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_vmstat_pgfault"}})), 1234.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_vmstat_oom_kill"}})), 1.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_pressure_cpu_waiting_seconds_total"}})),
            2.5);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_pressure_io_stalled_seconds_total"}})), 1.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_pressure_memory_waiting_seconds_total"}})),
            0.0);
  EXPECT_EQ(Find(first, Fs("node_filesystem_size_bytes", "/dev/vdb", "ext4", Mount("data"))),
            4096000.0);
  EXPECT_EQ(Find(first, WithTarget({{"__name__", "node_time_seconds"}})), kWallMs / 1000.0);
  EXPECT_EQ(CountNamed(first, "node_uname_info"), 1u);
  EXPECT_GE(metrics_.ValueOf("strata_agent_host_collections_total"), 1.0);
  for (const char* file : {"stat", "meminfo", "loadavg", "net/dev", "diskstats", "vmstat",
                           "pressure/cpu", "pressure/io", "pressure/memory", "self/mounts"}) {
    EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", file}}), 0.0)
        << file;
    EXPECT_EQ(metrics_.ValueOf("strata_agent_host_parse_errors_total", {{"file", file}}), 0.0)
        << file;
  }
}

TEST_F(HostInputTest, CollectsAgainEveryIntervalWithTheClocksTime) {
  HostInput input(Options(), clock_, metrics_, Statfs());
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
  HostInput input(Options(), clock_, metrics_, Statfs());
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
  HostInput input(Options(), clock_, metrics_, Statfs());
  SampleBatch batch = input.Collect();
  EXPECT_FALSE(HasMetricPrefix(batch, "node_load"));
  EXPECT_TRUE(HasMetricPrefix(batch, "node_memory_"));
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_parse_errors_total", {{"file", "loadavg"}}), 1.0);
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_parse_errors_total", {{"file", "stat"}}), 0.0);
}

TEST_F(HostInputTest, MissingProcRootPushesOnlyUnameAndTimeAndCountsEveryFile) {
  HostOptions o = Options();
  o.proc_root = (root_ / "does-not-exist").string();
  HostInput input(o, clock_, metrics_, Statfs());
  const SampleBatch batch = input.Collect();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(CountNamed(batch, "node_uname_info"), 1u);
  EXPECT_EQ(CountNamed(batch, "node_time_seconds"), 1u);
  for (const char* file :
       {"stat", "meminfo", "loadavg", "net/dev", "diskstats", "vmstat", "self/mounts"}) {
    EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", file}}), 1.0)
        << file;
  }
  // A kernel without PSI has no pressure files: that is not an error.
  for (const char* file : {"pressure/cpu", "pressure/io", "pressure/memory"}) {
    EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", file}}), 0.0)
        << file;
  }
}

TEST_F(HostInputTest, MissingPressureFilesAreSkippedQuietlyButUnreadableOnesCount) {
  fs::remove_all(root_ / "pressure");
  {
    HostInput input(Options(), clock_, metrics_, Statfs());
    const SampleBatch batch = input.Collect();
    EXPECT_FALSE(HasMetricPrefix(batch, "node_pressure_"));
    EXPECT_TRUE(HasMetricPrefix(batch, "node_vmstat_"));
    EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", "pressure/io"}}),
              0.0);
  }
  // A pressure path that exists but cannot be read (here a directory: EISDIR) is an error.
  fs::create_directories(root_ / "pressure/io");
  WriteFile(root_ / "pressure/cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n");
  HostInput input(Options(), clock_, metrics_, Statfs());
  const SampleBatch batch = input.Collect();
  EXPECT_EQ(Find(batch, WithTarget({{"__name__", "node_pressure_cpu_waiting_seconds_total"}})),
            1.0);
  EXPECT_FALSE(HasMetricPrefix(batch, "node_pressure_io_"));
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", "pressure/io"}}),
            1.0);
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_read_errors_total", {{"file", "pressure/memory"}}),
            0.0);
}

TEST_F(HostInputTest, ExportsFilesystemUsageAndDeviceErrorsPerMount) {
  AddGoneMount();
  HostInput input(Options(), clock_, metrics_, Statfs());
  const SampleBatch batch = input.Collect();
  const std::string data = Mount("data");
  EXPECT_EQ(Find(batch, Fs("node_filesystem_size_bytes", "/dev/vdb", "ext4", data)), 4096000.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_free_bytes", "/dev/vdb", "ext4", data)), 2457600.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_avail_bytes", "/dev/vdb", "ext4", data)), 2048000.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_files", "/dev/vdb", "ext4", data)), 64.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_files_free", "/dev/vdb", "ext4", data)), 32.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_readonly", "/dev/vdb", "ext4", data)), 0.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_device_error", "/dev/vdb", "ext4", data)), 0.0);
  const std::string nfs = Mount("nfs");
  EXPECT_EQ(Find(batch, Fs("node_filesystem_readonly", "server:/x", "nfs4", nfs)), 1.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_device_error", "server:/x", "nfs4", nfs)), 0.0);

  // A failed statfs leaves only device_error (1) and readonly for the mount.
  const std::string gone = Mount("gone");
  EXPECT_EQ(Find(batch, Fs("node_filesystem_device_error", "/dev/vdc", "xfs", gone)), 1.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_readonly", "/dev/vdc", "xfs", gone)), 0.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_size_bytes", "/dev/vdc", "xfs", gone)), std::nullopt);
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_statfs_errors_total", {{"reason", "error"}}), 1.0);

  // 7 series for each of two answering mounts, 2 for the failed one; /proc is excluded.
  size_t filesystem_series = 0;
  for (const common::SeriesSample& s : batch) {
    filesystem_series += s.labels.MetricName().starts_with("node_filesystem_");
  }
  EXPECT_EQ(filesystem_series, 16u);
}

TEST_F(HostInputTest, HungMountTimesOutOnceAndDoesNotStallLaterCollections) {
  AddGoneMount();
  HostOptions o = Options();
  o.statfs_timeout_ms = 100;
  HostInput input(o, clock_, metrics_, Statfs());
  statfs_->BlockNfs();
  const std::string nfs = Mount("nfs");
  SampleBatch batch = input.Collect();
  EXPECT_EQ(Find(batch, Fs("node_filesystem_device_error", "server:/x", "nfs4", nfs)), 1.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_size_bytes", "server:/x", "nfs4", nfs)), std::nullopt);
  // The mounts after the hung one are still collected.
  EXPECT_EQ(Find(batch, Fs("node_filesystem_device_error", "/dev/vdc", "xfs", Mount("gone"))), 1.0);
  EXPECT_EQ(Find(batch, Fs("node_filesystem_size_bytes", "/dev/vdb", "ext4", Mount("data"))),
            4096000.0);
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_statfs_errors_total", {{"reason", "timeout"}}),
            1.0);

  // While the call is stuck the mount is reported as failed without calling statfs again.
  batch = input.Collect();
  EXPECT_EQ(Find(batch, Fs("node_filesystem_device_error", "server:/x", "nfs4", nfs)), 1.0);
  EXPECT_EQ(statfs_->nfs_calls(), 1);
  EXPECT_EQ(metrics_.ValueOf("strata_agent_host_statfs_errors_total", {{"reason", "hung"}}), 1.0);

  // Once it returns, the mount is back.
  statfs_->UnblockNfs();
  ASSERT_TRUE(PollUntil([&] {
    return Find(input.Collect(), Fs("node_filesystem_device_error", "server:/x", "nfs4", nfs)) ==
           0.0;
  }));
  EXPECT_EQ(statfs_->nfs_calls(), 2);
}

TEST_F(HostInputTest, StopReturnsPromptlyDuringALongInterval) {
  HostOptions o = Options();
  o.interval_ms = 3600 * 1000;
  HostInput input(o, clock_, metrics_, Statfs());
  ASSERT_TRUE(input.Start(sink_).ok());
  ASSERT_TRUE(sink_.WaitFor([](const auto& b) { return !b.empty(); }));
  const auto start = std::chrono::steady_clock::now();
  input.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(sink_.Batches().size(), 1u);
  input.Stop();  // Idempotent.
}

TEST_F(HostInputTest, StartTwiceFailsAndDisabledStartsNothing) {
  HostInput input(Options(), clock_, metrics_, Statfs());
  ASSERT_TRUE(input.Start(sink_).ok());
  EXPECT_EQ(input.Start(sink_).code(), absl::StatusCode::kFailedPrecondition);
  input.Stop();

  HostOptions o = Options();
  o.enabled = false;
  HostInput disabled(o, clock_, metrics_, Statfs());
  EXPECT_TRUE(disabled.Start(sink_).ok());
  disabled.Stop();
  EXPECT_EQ(disabled.Name(), "host");
}

TEST_F(HostInputTest, EmptyInstanceDefaultsToHostname) {
  HostOptions o = Options();
  o.instance.clear();
  HostInput input(o, clock_, metrics_, Statfs());
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
                 "instance: db1:9100\nstatfs_timeout: 2s\n"),
      "agent.yaml", "inputs.host", &o);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(o.enabled);
  EXPECT_EQ(o.interval_ms, 30000);
  EXPECT_EQ(o.proc_root, "/host/proc");
  EXPECT_EQ(o.job, "host");
  EXPECT_EQ(o.instance, "db1:9100");
  EXPECT_EQ(o.statfs_timeout_ms, 2000);
}

TEST(HostOptionsSchemaTest, RejectsUnknownKeysTooShortIntervalsAndEmptyJob) {
  for (const char* yaml :
       {"intervall: 15s\n", "interval: 10ms\n", "job: \"\"\n", "statfs_timeout: 0s\n"}) {
    HostOptions o;
    EXPECT_FALSE(HostOptionsSchema().Decode(YAML::Load(yaml), "agent.yaml", "host", &o).ok())
        << yaml;
  }
}

TEST(HostOptionsSchemaTest, ReferenceListsEveryKeyWithItsDefault) {
  std::string text;
  HostOptionsSchema().Describe(HostOptions{}, 0, &text);
  for (const char* line : {"enabled: true", "interval: 15s", "proc_root: \"/proc\"",
                           "job: \"node\"", "instance: \"\"", "statfs_timeout: 5s"}) {
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
  EXPECT_TRUE(
      Find(batch, {{"__name__", "node_vmstat_pgfault"}, {"job", "node"}, {"instance", "self"}})
          .has_value());
  if (fs::exists("/proc/pressure/cpu")) {
    EXPECT_TRUE(Find(batch, {{"__name__", "node_pressure_cpu_waiting_seconds_total"},
                             {"job", "node"},
                             {"instance", "self"}})
                    .has_value());
  }
  struct utsname u {};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(Find(batch, {{"__name__", "node_uname_info"},
                         {"sysname", u.sysname},
                         {"release", u.release},
                         {"version", u.version},
                         {"machine", u.machine},
                         {"nodename", u.nodename},
                         {"domainname", u.domainname},
                         {"job", "node"},
                         {"instance", "self"}}),
            1.0);
  for (const char* file : {"stat", "meminfo", "loadavg", "net/dev", "vmstat", "self/mounts"}) {
    EXPECT_EQ(metrics.ValueOf("strata_agent_host_read_errors_total", {{"file", file}}), 0.0)
        << file;
    EXPECT_EQ(metrics.ValueOf("strata_agent_host_parse_errors_total", {{"file", file}}), 0.0)
        << file;
  }
}

}  // namespace
}  // namespace strata::agent::host
