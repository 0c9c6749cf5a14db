#include "agent/inputs/host/statfs_prober.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace strata::agent::host {
namespace {

using Outcome = StatfsProber::Outcome;

constexpr auto kDeadline = std::chrono::seconds(10);
// Long enough for an idle worker to answer on a loaded machine; only blocked calls wait it out.
constexpr int64_t kTimeoutMs = 200;

// Polls `cond` until it holds or the deadline passes.
bool PollUntil(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

// A fake statfs: paths in `blocked` wait until Release(); every path answers `usage_for` or
// ENOENT. Shared by pointer so a worker abandoned by a prober can still finish after the test
// body is done with it.
class FakeStatfs {
 public:
  StatfsFn Fn(std::shared_ptr<FakeStatfs> self) {
    return [self](const std::string& path, FsUsage* out) { return self->Call(path, out); };
  }

  void Block(const std::string& path) {
    std::lock_guard lock(mu_);
    blocked_[path] = true;
  }
  void Release(const std::string& path) {
    {
      std::lock_guard lock(mu_);
      blocked_[path] = false;
    }
    cv_.notify_all();
  }
  int calls(const std::string& path) {
    std::lock_guard lock(mu_);
    return calls_[path];
  }

 private:
  int Call(const std::string& path, FsUsage* out) {
    std::unique_lock lock(mu_);
    ++calls_[path];
    cv_.wait(lock, [&] { return !blocked_[path]; });
    if (path.starts_with("/missing")) return ENOENT;
    out->block_size = 4096;
    out->blocks = path.size();
    out->blocks_free = 2;
    out->blocks_avail = 1;
    out->files = 100;
    out->files_free = 50;
    return 0;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, bool> blocked_;
  std::map<std::string, int> calls_;
};

TEST(StatfsProberTest, ReturnsTheUsageOrTheError) {
  auto fake = std::make_shared<FakeStatfs>();
  StatfsProber prober(fake->Fn(fake), 5000);
  StatfsProber::Result ok = prober.Probe("/data");
  EXPECT_EQ(ok.outcome, Outcome::kOk);
  EXPECT_EQ(ok.error, 0);
  EXPECT_EQ(ok.usage.block_size, 4096u);
  EXPECT_EQ(ok.usage.blocks, 5u);
  EXPECT_EQ(ok.usage.blocks_free, 2u);
  EXPECT_EQ(ok.usage.blocks_avail, 1u);
  EXPECT_EQ(ok.usage.files, 100u);
  EXPECT_EQ(ok.usage.files_free, 50u);

  StatfsProber::Result failed = prober.Probe("/missing");
  EXPECT_EQ(failed.outcome, Outcome::kFailed);
  EXPECT_EQ(failed.error, ENOENT);
  // The same worker answers again after a failure.
  EXPECT_EQ(prober.Probe("/data").outcome, Outcome::kOk);
  EXPECT_EQ(prober.hung(), 0u);
}

TEST(StatfsProberTest, HungMountTimesOutOnceThenIsSkippedUntilItReturns) {
  auto fake = std::make_shared<FakeStatfs>();
  StatfsProber prober(fake->Fn(fake), kTimeoutMs);
  fake->Block("/nfs");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(prober.Probe("/nfs").outcome, Outcome::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(kTimeoutMs));
  EXPECT_EQ(prober.hung(), 1u);

  // Not called again while the first call is stuck; other mounts get a fresh worker.
  EXPECT_EQ(prober.Probe("/nfs").outcome, Outcome::kHung);
  EXPECT_EQ(fake->calls("/nfs"), 1);
  EXPECT_EQ(prober.Probe("/home").outcome, Outcome::kOk);

  // Once the stuck call returns, the mount is probed again.
  fake->Release("/nfs");
  ASSERT_TRUE(PollUntil([&] { return prober.hung() == 0; }));
  EXPECT_EQ(prober.Probe("/nfs").outcome, Outcome::kOk);
  EXPECT_EQ(fake->calls("/nfs"), 2);
}

TEST(StatfsProberTest, StopsTryingOnceTooManyCallsAreHung) {
  auto fake = std::make_shared<FakeStatfs>();
  StatfsProber prober(fake->Fn(fake), kTimeoutMs, /*max_hung=*/2);
  for (const char* path : {"/a", "/b", "/c"}) fake->Block(path);
  EXPECT_EQ(prober.Probe("/a").outcome, Outcome::kTimedOut);
  EXPECT_EQ(prober.Probe("/b").outcome, Outcome::kTimedOut);
  EXPECT_EQ(prober.Probe("/c").outcome, Outcome::kHung);
  EXPECT_EQ(prober.Probe("/ok").outcome, Outcome::kHung);
  EXPECT_EQ(fake->calls("/c"), 0);
  EXPECT_EQ(fake->calls("/ok"), 0);

  fake->Release("/a");
  ASSERT_TRUE(PollUntil([&] { return prober.hung() == 1; }));
  EXPECT_EQ(prober.Probe("/ok").outcome, Outcome::kOk);
  fake->Release("/b");
  fake->Release("/c");
  ASSERT_TRUE(PollUntil([&] { return prober.hung() == 0; }));
}

TEST(StatfsProberTest, DestructorDoesNotWaitForAHungCall) {
  auto fake = std::make_shared<FakeStatfs>();
  fake->Block("/nfs");
  auto prober = std::make_unique<StatfsProber>(fake->Fn(fake), kTimeoutMs);
  EXPECT_EQ(prober->Probe("/nfs").outcome, Outcome::kTimedOut);
  EXPECT_EQ(prober->Probe("/home").outcome, Outcome::kOk);
  const auto start = std::chrono::steady_clock::now();
  prober.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // The abandoned worker finishes on its own, after its prober is gone.
  fake->Release("/nfs");
  ASSERT_TRUE(PollUntil([&] { return fake.use_count() == 1; }));
}

TEST(StatfsProberTest, SystemStatfsMatchesStatvfs) {
  struct statvfs expected {};
  ASSERT_EQ(::statvfs("/", &expected), 0);
  FsUsage usage;
  ASSERT_EQ(SystemStatfs("/", &usage), 0);
  EXPECT_EQ(usage.block_size, expected.f_bsize);
  EXPECT_EQ(usage.blocks, expected.f_blocks);
  EXPECT_EQ(usage.files, expected.f_files);
  EXPECT_EQ(SystemStatfs("/does/not/exist", &usage), ENOENT);
}

}  // namespace
}  // namespace strata::agent::host
