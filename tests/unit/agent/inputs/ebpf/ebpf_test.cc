#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "agent/inputs/ebpf/cgroup_paths.h"
#include "agent/inputs/ebpf/ebpf_config.h"
#include "agent/inputs/ebpf/ebpf_input.h"
#include "agent/inputs/ebpf/log2_histogram.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::ebpf {
namespace {

TEST(Log2HistogramTest, CumulativeBucketsInSecondsWithInfAndSum) {
  Log2Histogram h;
  h.slots[0] = 3;      // < 2 us
  h.slots[3] = 2;      // [8, 16) us
  h.slots.back() = 1;  // beyond the last finite bound
  h.sum_ns = 1'500'000'000;
  common::SampleBatch out;
  AppendLog2Histogram("lat_seconds", h, {{"job", "j"}}, 42, out);
  std::map<std::string, double> by;
  for (const auto& s : out) {
    by[std::string(s.labels.MetricName()) + "|" + std::string(s.labels.Get("le"))] = s.sample.value;
    EXPECT_EQ(s.labels.Get("job"), "j");
    EXPECT_EQ(s.sample.timestamp_ms, 42);
  }
  EXPECT_EQ(out.size(), static_cast<size_t>(STRATA_HIST_SLOTS) + 2);  // buckets incl. +Inf
  EXPECT_EQ(by["lat_seconds_bucket|0.000002"], 3);
  EXPECT_EQ(by["lat_seconds_bucket|0.000008"], 3);
  EXPECT_EQ(by["lat_seconds_bucket|0.000016"], 5);
  EXPECT_EQ(by["lat_seconds_bucket|+Inf"], 6);
  EXPECT_EQ(by["lat_seconds_count|"], 6);
  EXPECT_DOUBLE_EQ(by["lat_seconds_sum|"], 1.5);
}

TEST(CgroupPathsTest, NamesDirectoriesByInodeAndRewalksForNewOnes) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("cgpaths-" + std::to_string(getpid()));
  fs::create_directories(root / "system.slice" / "ssh.service");
  auto inode = [](const fs::path& p) {
    struct stat st;
    EXPECT_EQ(stat(p.c_str(), &st), 0);
    return static_cast<uint64_t>(st.st_ino);
  };
  CgroupPaths paths(root.string());
  EXPECT_EQ(paths.Path(inode(root)), "/");
  EXPECT_EQ(paths.Path(inode(root / "system.slice" / "ssh.service")), "/system.slice/ssh.service");
  fs::create_directories(root / "docker" / "abc");
  EXPECT_EQ(paths.Path(inode(root / "docker" / "abc")), "");  // one walk per Refresh
  paths.Refresh();
  EXPECT_EQ(paths.Path(inode(root / "docker" / "abc")), "/docker/abc");
  fs::remove_all(root);
}

TEST(EbpfConfigTest, RejectsUnknownPrograms) {
  EbpfOptions o;
  YAML::Node n = YAML::Load("programs: [runqueue_latency, gpu_latency]");
  absl::Status s = EbpfOptionsSchema().Decode(n, "t.yaml", "ebpf", &o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("gpu_latency"), std::string::npos) << s.message();
}

TEST(EbpfInputTest, DisabledStartsNothing) {
  common::SystemClock clock;
  common::Registry registry;
  EbpfOptions o;
  o.enabled = false;
  EbpfInput input(o, clock, registry);
  struct NullSink final : SampleSink {
    void Push(common::SampleBatch) override {}
  } sink;
  ASSERT_TRUE(input.Start(sink).ok());
  EXPECT_EQ(input.LoadedCount(), 0u);
  EXPECT_TRUE(input.Collect().empty());
  input.Stop();
}

}  // namespace
}  // namespace strata::agent::ebpf
