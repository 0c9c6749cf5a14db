// Append throughput of the hot tier's WAL for both fsync policies, 1 and 4 appending threads, and
// two record shapes: a scrape-sized batch of 1000 samples (~10 KB) and a small batch of 10 samples.
// Each run appends for about `seconds` into a fresh directory, closes (final fsync included in the
// time) and reports records/s, samples/s and MB/s of frames written.
//
//   wal_bench [PARENT_DIR] [SECONDS]   runs in a new directory made under PARENT_DIR (default
//                                      /tmp) and removed at the end; put it on the disk that will
//                                      hold the real WAL.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "collector/storage/hot/wal/wal_record.h"
#include "collector/storage/hot/wal/wal_writer.h"

namespace {

using namespace strata::collector::hot;
using Clock = std::chrono::steady_clock;

struct Result {
  double records_per_s, samples_per_s, mb_per_s;
};

Result Run(const std::string& dir, FsyncPolicy policy, int threads, int batch, double seconds) {
  std::filesystem::remove_all(dir);
  WalOptions options;
  options.fsync = policy;
  options.sync_interval_ms = 1000;
  auto w = WalWriter::Open(dir, options);
  if (!w.ok()) {
    std::fprintf(stderr, "open: %s\n", w.status().ToString().c_str());
    std::exit(1);
  }
  std::atomic<uint64_t> records{0}, bytes{0};
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::vector<WalSample> samples(batch);
      std::string payload;
      int64_t ts_ms = 1'700'000'000'000;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < batch; ++i) {
          samples[i] = {static_cast<uint64_t>(t * 1'000'000 + i), ts_ms, 0.25 * i + ts_ms % 97};
        }
        ts_ms += 15'000;
        payload.clear();
        EncodeSamples(samples, &payload);
        if (!(*w)->Append(RecordType::kSamples, payload).ok()) std::exit(1);
        records.fetch_add(1, std::memory_order_relaxed);
        bytes.fetch_add(payload.size() + kRecordHeaderBytes, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : ts) th.join();
  if (!(*w)->Close().ok()) std::exit(1);
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::filesystem::remove_all(dir);
  return {records / s, records * static_cast<double>(batch) / s, bytes / s / 1e6};
}

}  // namespace

int main(int argc, char** argv) {
  // Always work in a fresh directory made here, never in (or deleting) the one given.
  const std::string parent = argc > 1 && argv[1][0] != '\0' ? argv[1] : "/tmp";
  std::string base = parent + "/wal_bench_XXXXXX";
  if (mkdtemp(base.data()) == nullptr) {
    std::perror(parent.c_str());
    return 1;
  }
  const double seconds = argc > 2 ? std::stod(argv[2]) : 2.0;
  std::printf("%-9s %7s %7s %12s %14s %9s\n", "fsync", "threads", "batch", "records/s", "samples/s",
              "MB/s");
  for (FsyncPolicy policy : {FsyncPolicy::kAlways, FsyncPolicy::kInterval}) {
    for (int threads : {1, 4}) {
      for (int batch : {1000, 10}) {
        const Result r = Run(base + "/wal", policy, threads, batch, seconds);
        std::printf("%-9s %7d %7d %12.0f %14.0f %9.1f\n",
                    policy == FsyncPolicy::kAlways ? "always" : "interval", threads, batch,
                    r.records_per_s, r.samples_per_s, r.mb_per_s);
      }
    }
  }
  std::filesystem::remove_all(base);
  return 0;
}
