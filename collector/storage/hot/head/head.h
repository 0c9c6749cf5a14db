#pragma once

// The head of the hot tier: the in-memory, WAL-backed part of the embedded TSDB that holds the
// most recent raw samples and answers every recent query.
//
// Data: series keyed by metric_id in 16 shards, each series holding closed chunks in the block
// codec (closed_chunk.h), one open XOR chunk (collector/storage/hot/chunk) that in-order samples
// are appended to and that is re-encoded when it is full, and a small
// sorted buffer of out-of-order samples (accepted within out_of_order_window_ms of the series'
// newest sample) merged in at read time. Label lookups go through the Roaring postings index
// (collector/storage/index).
//
// Durability: AppendBatch() writes the batch to the WAL (collector/storage/hot/wal) — new series
// first, then every sample — under the configured fsync policy *before* applying it in memory,
// and returns only after both. The caller acknowledges after it returns, so an acknowledged
// sample survives kill -9: Open() replays the WAL (truncating a torn tail) and re-applies the
// same decisions (in-order, duplicate, out-of-order window) in the same order.
//
// Threads: every method is thread-safe. Appends to different shards proceed in parallel; a shard
// lock is never held while writing the WAL. Series ids are (sequence << 4 | shard) and are
// never reused while the WAL that names them exists.
//
// Batches: AppendBatch() hashes every series first, then visits each shard once (one lock for
// all of the batch's series in that shard) to find or create them, writes the WAL, and visits
// each shard once more to apply the samples. A series given as label views is copied into a
// Labels only when it is created.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "collector/storage/hot/chunk/xor_chunk.h"
#include "collector/storage/hot/head/closed_chunk.h"
#include "collector/storage/hot/wal/wal_reader.h"
#include "collector/storage/hot/wal/wal_writer.h"
#include "collector/storage/index/postings_index.h"
#include "collector/storage/storage.h"
#include "common/model/packed_labels.h"
#include "common/selfmon/metrics.h"

namespace strata::collector::hot {

struct HeadOptions {
  std::string dir;  // the WAL lives in dir/wal
  WalOptions wal;
  int64_t out_of_order_window_ms = 10LL * 60 * 1000;
  int64_t max_series = 1'000'000;
  // Series one metric name may have (0 = no per-metric limit): a guard against one exploding
  // metric taking the whole series budget.
  int64_t max_series_per_metric = 0;
  // Samples older than this are refused (and skipped at replay): the hot store sets it to the end
  // of its newest on-disk block, whose data the WAL may still hold.
  int64_t min_valid_t_ms = std::numeric_limits<int64_t>::min();
  // A chunk is closed after this many samples (120 = 30 min at 15 s, where XOR compression has
  // reached its steady rate and a query decodes little it does not need).
  int max_samples_per_chunk = 120;
};

class Head final : public Appender, public StorageReader {
 public:
  // Replays dir/wal, then opens it for writing. Fails on WAL corruption before the tail (DataLoss,
  // with segment and offset) or I/O errors; a torn tail is cut and reported in replay_result().
  static absl::StatusOr<std::unique_ptr<Head>> Open(HeadOptions options,
                                                    common::Registry& registry);
  ~Head() override;
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  absl::StatusOr<AppendResult> Append(const common::Labels& labels,
                                      const std::vector<common::Sample>& samples) override;
  absl::StatusOr<AppendResult> AppendBatch(std::span<const SeriesAppend> batch) override;

  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& matchers,
                                                 int64_t min_t_ms, int64_t max_t_ms) override;
  // The cursor sorts the matching series' labels up front and decodes one series per Next()
  // under its shard lock; a series dropped in between is skipped.
  absl::StatusOr<std::unique_ptr<SeriesCursor>> SelectCursor(
      const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<common::Labels>> Series(const std::vector<LabelMatcher>& matchers,
                                                     int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>& matchers,
                                                      int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<LabelMatcher>& matchers,
                                                       int64_t min_t_ms, int64_t max_t_ms) override;

  // From now on rejects appends older than `min_t_ms` as out of bounds (never lowers the bound).
  // Returns once no batch that passed the old bound is still being applied, so a snapshot of the
  // range taken afterwards (a block being cut) sees every sample the head will ever acknowledge
  // there.
  void RejectBefore(int64_t min_t_ms);

  // RejectBefore(min_t_ms), then drops samples older than `min_t_ms` (whole chunks), and series
  // left without data.
  void DropBefore(int64_t min_t_ms);

  // Bounds WAL replay: seals the current WAL segment, writes everything the head holds into
  // wal/checkpoint.<seq> (WAL record format, written to a .tmp directory and renamed), then
  // deletes the older segments and checkpoints. Open() replays the newest checkpoint first, then
  // the segments. Appends continue while the snapshot is written (they go to newer segments).
  absl::Status Checkpoint();
  // Calls fn(id, labels) for every series with samples in [min_t, max_t], one shard at a time
  // (shard lock held during the calls: keep fn short, no calls back into the head). With
  // SeriesSamples, what cutting a block reads: all label sets first, then one series' samples at
  // a time.
  void ForEachSeriesIdInRange(
      int64_t min_t, int64_t max_t,
      const std::function<void(uint32_t id, const common::Labels&)>& fn) const;
  // Replaces *out with the samples of series `id` in [min_t, max_t], sorted by time; empty when
  // there are none or the series is gone.
  void SeriesSamples(uint32_t id, int64_t min_t, int64_t max_t,
                     std::vector<common::Sample>* out) const;
  // Oldest and newest sample time in the head; false when it is empty.
  bool TimeRange(int64_t* min_t, int64_t* max_t) const;

  // Newest accepted sample time minus the oldest one the head may still hold (the oldest accepted,
  // or min_valid_t once blocks were cut), in O(1): a cheap trigger for cutting blocks when data
  // arrives faster than the maintenance interval (a backfill, an agent catching up). Samples
  // dropped by DropBefore are not accounted for, so it may overestimate after retention.
  int64_t AppendedSpanMs() const;

  // WAL segments on disk (a cheap trigger for Checkpoint()).
  size_t NumWalSegments() const;

  // Flushes the WAL (Sync) and closes it; later appends fail with FailedPrecondition.
  absl::Status Close();

  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  uint64_t NumSamples() const { return num_samples_.load(std::memory_order_relaxed); }
  uint64_t NumChunks() const { return num_chunks_.load(std::memory_order_relaxed); }

  // What /api/v1/status/tsdb reports: head totals and the index's top-N cardinality lists.
  struct Stats {
    uint64_t num_series = 0;
    uint64_t num_chunks = 0;  // closed and open
    uint64_t num_samples = 0;
    int64_t min_t = 0;  // 0 when empty
    int64_t max_t = 0;
    index::PostingsIndex::Stats top;
  };
  Stats GetStats(size_t limit) const;
  const ReplayResult& replay_result() const { return replay_result_; }

 private:
  static constexpr int kNumShards = 16;

  struct MemSeries {
    uint32_t id = 0;
    uint64_t hash = 0;                    // metric_id
    MemSeries* next_same_hash = nullptr;  // chain for (rare) 64-bit metric_id collisions
    common::PackedLabels labels;
    bool wal_logged = false;  // its kSeries record is in the WAL
    std::vector<ClosedChunk> chunks;
    XorChunkAppender open;
    int64_t max_t = std::numeric_limits<int64_t>::min();  // newest sample overall
    std::vector<common::Sample> out_of_order;             // sorted, all < max_t
  };

  struct Shard {
    mutable absl::Mutex mu;
    // metric_id -> series, chained through next_same_hash on a 64-bit collision.
    absl::flat_hash_map<uint64_t, MemSeries*> by_hash ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<uint32_t, std::unique_ptr<MemSeries>> by_id ABSL_GUARDED_BY(mu);

    // The series with these labels (given as Labels or as canonical views), or null.
    MemSeries* Find(uint64_t hash, const SeriesAppend& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
    void Insert(std::unique_ptr<MemSeries> series) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
    // Unlinks the series from by_hash (not from by_id).
    void UnlinkHash(MemSeries* series) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  };

  Head(HeadOptions options, common::Registry& registry);

  class SelectionCursor;

  // Creates the series for `key` in `shard` (its lock held). Returns null when a series limit is
  // reached (counted).
  MemSeries* CreateLocked(Shard& shard, int shard_index, uint64_t hash, const SeriesAppend& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  // Creates a series with a known id during replay.
  void CreateFromWal(uint32_t id, const common::Labels& labels);
  // Applies one sample to a series; shard lock held. Counts the outcome in `result` only (the
  // caller adds result.accepted to num_samples_ once per batch).
  void AppendOne(MemSeries& s, const common::Sample& sample, AppendResult& result);
  // Prefetches the fields AppendOne reads and writes.
  static void PrefetchForAppend(const MemSeries& s) {
    __builtin_prefetch(&s.open);
    __builtin_prefetch(reinterpret_cast<const char*>(&s.open) + 64);
    __builtin_prefetch(&s.max_t);
  }
  bool HasSampleAt(const MemSeries& s, int64_t t) const;
  // Appends the samples of `s` within [min_t, max_t] to `out`, sorted; shard lock held.
  void CollectSamples(const MemSeries& s, int64_t min_t, int64_t max_t,
                      std::vector<common::Sample>* out) const;
  // s's oldest sample (int64 max when it has none). Callers hold its shard lock.
  static int64_t OldestSample(const MemSeries& s);
  bool HasDataIn(const MemSeries& s, int64_t min_t, int64_t max_t) const;
  absl::Status Replay();
  // Replays one WAL-format directory through the record callback shared by checkpoint and WAL.
  absl::Status ReplayDir(const std::string& dir, ReplayResult* result, uint64_t* applied);
  std::string WalDir() const { return options_.dir + "/wal"; }

  // Calls fn(series) under its shard lock for each id with data in [min_t, max_t].
  template <typename Fn>
  void ForEachInRange(const Roaring& ids, int64_t min_t, int64_t max_t, Fn&& fn) const;

  const HeadOptions options_;
  common::Registry& registry_;
  std::array<Shard, kNumShards> shards_;
  index::PostingsIndex index_;
  std::unique_ptr<WalWriter> wal_;
  ReplayResult replay_result_;

  std::atomic<uint32_t> next_sequence_{1};
  std::atomic<uint64_t> num_series_{0};
  std::atomic<uint64_t> num_samples_{0};
  std::atomic<uint64_t> num_chunks_{0};
  std::atomic<int64_t> min_valid_t_{std::numeric_limits<int64_t>::min()};
  std::atomic<int64_t> min_appended_t_{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> max_appended_t_{std::numeric_limits<int64_t>::min()};
  void NoteAppendedRange(int64_t min_t, int64_t max_t);
  // Appends hold it shared for the whole batch, DropBefore exclusively, so a series pointer taken
  // by an append stays valid until its samples are applied.
  absl::Mutex drop_mu_;
  // Raises min_valid_t_ to at least `min_t_ms`; drop_mu_ held exclusively.
  void RaiseMinValidLocked(int64_t min_t_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(drop_mu_);

  // Reserves room for one more series of `metric` under max_series_per_metric.
  bool ReserveMetricSeries(std::string_view metric);
  void ReleaseMetricSeries(std::string_view metric);

  absl::Mutex per_metric_mu_;
  absl::flat_hash_map<std::string, int64_t> series_per_metric_ ABSL_GUARDED_BY(per_metric_mu_);

  common::Counter& wal_failures_;
  common::Counter& global_limited_;
  common::Counter& replay_unknown_refs_;
};

}  // namespace strata::collector::hot
