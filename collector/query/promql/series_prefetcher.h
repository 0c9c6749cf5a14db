#pragma once

// Reads a storage cursor on a thread of its own, a few series ahead of the evaluation that
// consumes them, so that decoding chunks (the storage side) and computing step values (the
// evaluator side) run on two cores at once. Order, filtering and errors are exactly those of
// reading the cursor in place: series come in cursor order, their points those of PointsInRange,
// series left without points skipped. The buffers the cursor decodes into circulate between it
// and the ring, so a series' samples are read where they were decoded.
//
// Memory is bounded by `depth` series. Destroying the prefetcher stops the reader thread and
// waits for it, so a consumer may stop early or unwind with an exception at any point.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "collector/query/promql/value.h"
#include "collector/storage/storage.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::collector::promql {

// A series' points: its samples inside [min_t, max_t], without staleness markers if asked. The
// span points into `samples`, which are compacted in place when markers are dropped: nothing is
// copied unless a marker is.
std::span<const Point> PointsInRange(std::vector<common::Sample>& samples, int64_t min_t,
                                     int64_t max_t, bool drop_stale);

class SeriesPrefetcher {
 public:
  struct Series {
    common::Labels labels;
    std::span<const Point> points;  // into `buffer`
    std::vector<Point> buffer;      // the samples as the cursor returned them
  };
  struct Filter {
    int64_t min_t = 0;
    int64_t max_t = 0;
    bool drop_stale = false;
  };

  // Starts reading `cursor`. Throws std::system_error when no thread can be started.
  SeriesPrefetcher(std::unique_ptr<SeriesCursor> cursor, Filter filter, size_t depth = 16);
  ~SeriesPrefetcher();
  SeriesPrefetcher(const SeriesPrefetcher&) = delete;
  SeriesPrefetcher& operator=(const SeriesPrefetcher&) = delete;

  // The next series with points, or null at the end of the cursor (then see status()). The
  // series stays valid until the next call.
  Series* Next();
  // The cursor's status; meaningful once Next() has returned null.
  absl::Status status() const;

 private:
  void Read();

  std::unique_ptr<SeriesCursor> cursor_;
  const Filter filter_;
  std::vector<Series> ring_;

  mutable std::mutex mu_;
  std::condition_variable filled_;  // the reader published a series or finished
  std::condition_variable freed_;   // the consumer released a slot, or asked the reader to stop
  size_t head_ = 0;       // the slot the consumer reads next (or holds); written by the consumer
  size_t count_ = 0;      // published slots from head_ on, including a held one
  bool holding_ = false;  // the consumer holds slot head_ (consumer only)
  bool finished_ = false;
  bool reader_waiting_ = false;    // the reader waits for free slots
  bool consumer_waiting_ = false;  // the consumer waits for a series
  bool stop_ = false;
  absl::Status status_;

  std::thread reader_;  // last: started once everything above is initialised
};

}  // namespace strata::collector::promql
