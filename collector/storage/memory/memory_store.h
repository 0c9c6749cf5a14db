#pragma once

// MemoryStore: the first-slice storage of the collector, everything in RAM. It implements both
// Appender (ingest) and StorageReader (queries); the hot tier (WAL + chunks) later replaces it
// behind the same interfaces.
//
// Layout: series are spread over kNumShards shards by MetricId(labels), each shard with its own
// mutex, so concurrent appends to different series rarely contend. A series keeps its Labels and
// its samples sorted by timestamp. An inverted index (label name -> value -> series refs) under
// its own mutex lets Select resolve matchers by walking label *values* instead of every series.
//
// Lock order: a shard mutex may be held while taking the index mutex (series creation and
// removal), never the reverse. Readers resolve refs under the index mutex, release it, then
// visit shards; a series removed in between is simply skipped.
//
// Threads: every method may be called concurrently from any thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "collector/storage/storage.h"

namespace strata::collector {

struct MemoryStoreOptions {
  // How much history DropExpired() keeps, relative to the time it is given.
  int64_t retention_ms = 3 * 60 * 60 * 1000;
  // A sample older than (newest sample of its series - out_of_order_window_ms) is rejected as
  // out_of_bounds; a younger out-of-order sample is inserted in timestamp order.
  int64_t out_of_order_window_ms = 10 * 60 * 1000;
  // Samples of a new series beyond this many series are rejected as series_limited.
  int64_t max_series = 1'000'000;
};

class MemoryStore final : public Appender, public StorageReader {
 public:
  explicit MemoryStore(MemoryStoreOptions options = {});
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Never fails; per-sample outcomes are counted in the result. A sample whose timestamp is
  // already stored in the series is a duplicate and the stored one wins. NaN values (including
  // the staleness marker) are stored bit for bit.
  absl::StatusOr<AppendResult> Append(const common::Labels& labels,
                                      const std::vector<common::Sample>& samples) override;

  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& matchers,
                                                 int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<common::Labels>> Series(const std::vector<LabelMatcher>& matchers,
                                                     int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>& matchers,
                                                      int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<LabelMatcher>& matchers,
                                                       int64_t min_t_ms, int64_t max_t_ms) override;

  // Removes samples with timestamp < min_t_ms and the series left empty (also from the index).
  // Later appends older than min_t_ms are rejected as out_of_bounds, so a dropped range does not
  // partially reappear.
  void DropBefore(int64_t min_t_ms);
  // DropBefore(now_ms - retention_ms).
  void DropExpired(int64_t now_ms) { DropBefore(now_ms - options_.retention_ms); }

  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t NumSamples() const { return num_samples_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kNumShards = 16;

  // A series' identity inside this store: (sequence << 4) | shard index. Refs are never reused,
  // which keeps posting lists free of ABA problems after DropBefore.
  using SeriesRef = uint64_t;
  using RefSet = std::set<SeriesRef>;

  struct MemSeries {
    SeriesRef ref;
    common::Labels labels;
    std::vector<common::Sample> samples;  // sorted by timestamp, unique timestamps
  };

  struct Shard {
    mutable absl::Mutex mu;
    // MetricId -> series with that id; more than one only on a 64-bit hash collision.
    absl::flat_hash_map<uint64_t, std::vector<std::unique_ptr<MemSeries>>> by_id
        ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<SeriesRef, MemSeries*> by_ref ABSL_GUARDED_BY(mu);
  };

  static int ShardOf(SeriesRef ref) { return static_cast<int>(ref % kNumShards); }

  // Inserts one sample, updating `result`. Called with the series' shard mutex held.
  void AppendOne(MemSeries& series, const common::Sample& sample, AppendResult& result);

  void IndexAdd(const MemSeries& series) ABSL_LOCKS_EXCLUDED(index_mu_);
  void IndexRemove(const MemSeries& series) ABSL_LOCKS_EXCLUDED(index_mu_);
  // Refs of the series matching all matchers (all series when empty), sorted.
  std::vector<SeriesRef> Resolve(const std::vector<LabelMatcher>& matchers)
      ABSL_LOCKS_EXCLUDED(index_mu_);

  // Calls fn(series) under the shard lock for each ref that still exists and has a sample in
  // [min_t_ms, max_t_ms].
  template <typename Fn>
  void ForEachInRange(const std::vector<SeriesRef>& refs, int64_t min_t_ms, int64_t max_t_ms,
                      Fn&& fn);

  const MemoryStoreOptions options_;
  std::array<Shard, kNumShards> shards_;
  std::atomic<uint64_t> next_sequence_{1};
  std::atomic<uint64_t> num_series_{0};
  std::atomic<uint64_t> num_samples_{0};
  // Oldest timestamp still accepted: the highest cut DropBefore was given.
  std::atomic<int64_t> min_valid_t_ms_{std::numeric_limits<int64_t>::min()};

  mutable absl::Mutex index_mu_;
  // Transparent comparators: lookups by the labels' string_views build no string.
  std::map<std::string, std::map<std::string, RefSet, std::less<>>, std::less<>> postings_
      ABSL_GUARDED_BY(index_mu_);
  RefSet all_refs_ ABSL_GUARDED_BY(index_mu_);
};

}  // namespace strata::collector
