#pragma once

// The hot tier as the collector sees it: the WAL-backed in-memory head plus immutable on-disk
// blocks cut from it, behind one Appender and one StorageReader.
//
//   writes ──> Head (WAL + chunks) ──cut every block_range──> blocks/<name>/ (mmap, immutable)
//   reads  <── MergeReader over {head, newest block, ..., oldest block}
//
// Maintenance() (called once a minute by the collector) does three things in order:
//   1. cuts a block when the head spans more than 1.5 block ranges: the oldest whole range
//      [start, start + block_range) aligned to block_range is written with WriteBlock, opened,
//      added to the readers, and dropped from the head (which then refuses samples older than the
//      block's end as out of bounds);
//   2. deletes blocks entirely older than the retention;
//   3. writes a WAL checkpoint when more than wal_checkpoint_segments segments accumulated, so
//      start-up replays at most about one head's worth of data.
// Open() loads the blocks first (deleting unfinished *.tmp ones) and opens the head with
// min_valid_t = the newest block's end, so WAL records already persisted in blocks are skipped.
//
// Threads: appends and reads from any thread; Maintenance() from one thread at a time. The block
// list is swapped under a mutex and readers hold shared_ptrs, so a block deleted by retention stays
// mapped until the last query using it finishes.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collector/storage/hot/block/block.h"
#include "collector/storage/hot/head/head.h"
#include "collector/storage/merge_reader.h"
#include "collector/storage/storage.h"
#include "common/selfmon/metrics.h"

namespace strata::collector::hot {

struct HotStoreOptions {
  std::string dir;   // head WAL in dir/wal, blocks in dir/blocks
  HeadOptions head;  // head.dir is set from dir
  int64_t block_range_ms = 2LL * 3600 * 1000;
  int64_t retention_ms = 3LL * 24 * 3600 * 1000;
  int64_t wal_checkpoint_segments = 4;
};

class HotStore final : public Appender, public StorageReader {
 public:
  static absl::StatusOr<std::unique_ptr<HotStore>> Open(HotStoreOptions options,
                                                        common::Registry& registry);

  absl::StatusOr<AppendResult> Append(const common::Labels& labels,
                                      const std::vector<common::Sample>& samples) override {
    absl::StatusOr<AppendResult> r = head_->Append(labels, samples);
    NotifyIfCutDue();
    return r;
  }
  absl::StatusOr<AppendResult> AppendBatch(std::span<const SeriesAppend> batch) override {
    absl::StatusOr<AppendResult> r = head_->AppendBatch(batch);
    NotifyIfCutDue();
    return r;
  }

  // Called (from an appending thread, at most once until Maintenance() runs again) when the head
  // spans more than 1.5 block ranges: data arrives faster than the maintenance interval cuts it
  // (a backfill, an agent catching up), and the owner should run Maintenance() now instead of
  // letting the head's memory grow. Set before appends start.
  void SetCutDueCallback(std::function<void()> fn) { cut_due_ = std::move(fn); }

  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& matchers,
                                                 int64_t min_t_ms, int64_t max_t_ms) override {
    return reader_.Select(matchers, min_t_ms, max_t_ms);
  }
  absl::StatusOr<std::unique_ptr<SeriesCursor>> SelectCursor(
      const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) override {
    return reader_.SelectCursor(matchers, min_t_ms, max_t_ms);
  }
  absl::StatusOr<std::vector<common::Labels>> Series(const std::vector<LabelMatcher>& matchers,
                                                     int64_t min_t_ms, int64_t max_t_ms) override {
    return reader_.Series(matchers, min_t_ms, max_t_ms);
  }
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>& matchers,
                                                      int64_t min_t_ms, int64_t max_t_ms) override {
    return reader_.LabelNames(matchers, min_t_ms, max_t_ms);
  }
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<LabelMatcher>& matchers,
                                                       int64_t min_t_ms,
                                                       int64_t max_t_ms) override {
    return reader_.LabelValues(name, matchers, min_t_ms, max_t_ms);
  }

  // Block cutting, retention and WAL checkpoint as described above. `now_ms` is wall time.
  absl::Status Maintenance(int64_t now_ms);
  // Cuts every whole block range older than `before_ms` out of the head (Maintenance() uses
  // head max_t - block_range / 2). Exposed for tests and shutdown-free tools.
  absl::Status CutBlocksBefore(int64_t before_ms);

  // Graceful shutdown: runs Maintenance(now_ms), writes a WAL checkpoint (so the next start
  // replays the snapshot instead of every segment since the last one), then closes the WAL.
  absl::Status Shutdown(int64_t now_ms);
  absl::Status Close() { return head_->Close(); }
  const Head& head() const { return *head_; }
  size_t NumBlocks() const;

 private:
  HotStore(HotStoreOptions options, common::Registry& registry);
  void NotifyIfCutDue() {
    if (cut_due_ && head_->AppendedSpanMs() > options_.block_range_ms * 3 / 2 &&
        !cut_due_notified_.exchange(true, std::memory_order_relaxed)) {
      cut_due_();
    }
  }
  std::function<void()> cut_due_;
  std::atomic<bool> cut_due_notified_{false};
  absl::Status LoadBlocks();
  absl::Status CutBlock(int64_t start, int64_t end);
  std::vector<std::shared_ptr<StorageReader>> Sources() const;
  std::string BlocksDir() const { return options_.dir + "/blocks"; }

  HotStoreOptions options_;
  common::Registry& registry_;
  std::unique_ptr<Head> head_;
  std::shared_ptr<StorageReader> head_reader_;  // non-owning alias of head_
  mutable std::mutex blocks_mu_;
  // Sorted by min_t ascending; guarded by blocks_mu_.
  std::vector<std::pair<std::string, std::shared_ptr<Block>>> blocks_;
  MergeReader reader_;
  common::Counter& blocks_cut_;
  common::Counter& blocks_deleted_;
  common::Counter& maintenance_errors_;
};

}  // namespace strata::collector::hot
