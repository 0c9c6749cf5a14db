#pragma once

// Reads a selector's series on several threads and computes each one's step values there, so
// that a range query over many series uses every core for decoding and the window kernels,
// while the caller sees the results one at a time, in label order, exactly as reading one
// cursor in place would give them (so sums and first-seen orders come out bit for bit the same).
//
// Each reader thread has a cursor of its own over all of the selector's series, and takes the
// series whose label hash falls into its shard: it reads their labels only to skip the others
// (the merge cursor's two-phase reading decodes no samples for them). A series gets its points
// filtered as PointsInRange does; one left without points is skipped, as is one `compute`
// reports empty. The consumer merges the shards by labels.
//
// Memory is bounded by `depth` results per thread. Destroying the reader stops the threads and
// waits for them, so a consumer may stop early or unwind with an exception at any point.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "collector/query/promql/step_value.h"
#include "collector/query/promql/value.h"
#include "collector/storage/storage.h"
#include "common/model/labels.h"

namespace strata::collector::promql {

class ParallelSeriesReader {
 public:
  // Runs on the reader threads, concurrently for different series: fills `out`'s values and
  // present flags from the series' points (its labels are the consumer's to set) and returns
  // whether any step has a value. It must touch nothing shared but read-only state.
  using ComputeFn =
      std::function<bool(const common::Labels&, std::span<const Point>, StepSeries& out)>;
  struct Filter {
    int64_t min_t = 0;
    int64_t max_t = 0;
    bool drop_stale = false;
  };
  struct Item {
    common::Labels labels;  // the input series' labels; the consumer may move from them
    StepSeries result;      // `compute`'s output; the consumer may move from it
    size_t num_points = 0;  // the series' points in range (for the samples limit)
  };

  // One thread per cursor; every cursor must read the same selection. Throws std::system_error
  // when a thread cannot be started.
  ParallelSeriesReader(std::vector<std::unique_ptr<SeriesCursor>> cursors, Filter filter,
                       ComputeFn compute, size_t depth = 32);
  ~ParallelSeriesReader();
  ParallelSeriesReader(const ParallelSeriesReader&) = delete;
  ParallelSeriesReader& operator=(const ParallelSeriesReader&) = delete;

  // The next series with a result, in label order, or null at the end (then see status()). The
  // item stays valid until the next call.
  Item* Next();
  // The first error of any reader; meaningful once Next() has returned null.
  absl::Status status() const;

  // The shard (of `count`) a series belongs to.
  static size_t ShardOf(const common::Labels& labels, size_t count);

 private:
  struct Shard {
    std::unique_ptr<SeriesCursor> cursor;
    std::vector<Item> ring;
    size_t head = 0;   // the slot the consumer reads next (or holds)
    size_t count = 0;  // published slots from head on, including a held one
    bool finished = false;
    bool waiting = false;  // the reader waits for free slots
    std::condition_variable freed;
  };

  void Read(size_t index);

  const Filter filter_;
  const ComputeFn compute_;
  std::vector<std::unique_ptr<Shard>> shards_;

  mutable std::mutex mu_;
  std::condition_variable filled_;  // a reader published enough or finished
  size_t held_ = SIZE_MAX;          // the shard whose head slot the consumer holds
  size_t consumer_waits_for_ = SIZE_MAX;
  bool stop_ = false;
  absl::Status status_;

  std::vector<std::thread> threads_;  // last: started once everything above is initialised
};

}  // namespace strata::collector::promql
