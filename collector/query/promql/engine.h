#pragma once

// The PromQL engine: parses a query, reads the series it needs from a StorageReader, and
// evaluates it at one time (InstantQuery) or at every step of a range (RangeQuery), with the
// semantics of Prometheus 3.x (left-open lookback and range windows, staleness markers, offset and
// @ modifiers, subqueries aligned to absolute multiples of their step).
//
// How a query runs: each selector of the query reads storage once, for the whole time span the
// query can look at (every step, every subquery step, minus offsets, minus the lookback or range
// window); then the tree is evaluated step by step over that data with moving windows.
//
// Errors come back as absl::Status; ErrorTypeOf() maps them to the Prometheus API's errorType:
//   InvalidArgument     bad_data   (parse errors, invalid parameters)
//   DeadlineExceeded    timeout    (the query ran longer than its timeout)
//   Cancelled           canceled
//   anything else       execution  (e.g. duplicate series in a binary operation, too many
//                                   samples, storage failures)
//
// Threads: an Engine is immutable after construction; any number of queries may run on it
// concurrently. It borrows the storage and the clock, which must outlive it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/query/promql/value.h"
#include "collector/storage/storage.h"
#include "common/base/clock.h"

namespace strata::collector::promql {

struct EngineOptions {
  // An instant selector at t takes the newest sample in (t - lookback_delta_ms, t].
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Wall time one query may take before it fails with a timeout.
  int64_t timeout_ms = 2 * 60 * 1000;
  // Samples a query may load from storage or hold in its result; beyond this it fails.
  int64_t max_samples = 50'000'000;
  // Step of a subquery without one (`x[1h:]`) inside an instant query. In a range query the
  // default is the query's step, as in Prometheus.
  int64_t default_evaluation_interval_ms = 60 * 1000;
  // Measures the timeout (MonotonicMs); null means the system clock.
  const common::Clock* clock = nullptr;
  // Range queries evaluate the subtrees that have whole-grid kernels in one pass over all steps
  // (step_evaluator.h). Off, every step is evaluated on its own; the results are the same, which
  // the engine's tests check by running both.
  bool step_evaluation = true;
  // The step evaluator reads storage on a second thread, a few series ahead, so that chunk
  // decoding and evaluation overlap (series_prefetcher.h). Off, both run on the query's thread.
  bool read_ahead = true;
  // With read-ahead, range functions and selectors streamed into the step evaluator are read
  // and computed by this many threads, each over a shard of the series
  // (parallel_series_reader.h); 1 keeps one reader thread (the prefetcher).
  int read_threads = 2;
};

enum class ErrorType { kBadData, kExecution, kTimeout, kCanceled };

// "bad_data", "execution", "timeout", "canceled".
std::string_view ErrorTypeName(ErrorType type);
ErrorType ErrorTypeOf(const absl::Status& status);

inline constexpr std::string_view kTooManySamplesError =
    "query processing would load too many samples into memory in query execution";

struct QueryResult {
  // A Vector for instant queries of instant-vector expressions, a Matrix for range queries (and
  // instant queries of range-vector expressions), a Scalar or a String otherwise.
  Value value;
  std::vector<std::string> warnings;
};

class Engine {
 public:
  Engine(StorageReader& storage, EngineOptions options = {});

  // Evaluates `query` at `t_ms`. A non-positive timeout_ms uses the engine's.
  absl::StatusOr<QueryResult> InstantQuery(std::string_view query, int64_t t_ms,
                                           int64_t timeout_ms = 0) const;
  // Evaluates `query` at start_ms, start_ms + step_ms, ... <= end_ms. The query must be a scalar
  // or an instant vector; the result is a Matrix sorted by labels, series without points left
  // out, a scalar becoming one series without labels. Requires step_ms > 0, end_ms >= start_ms.
  absl::StatusOr<QueryResult> RangeQuery(std::string_view query, int64_t start_ms, int64_t end_ms,
                                         int64_t step_ms, int64_t timeout_ms = 0) const;

  const EngineOptions& options() const { return options_; }

 private:
  StorageReader& storage_;
  const EngineOptions options_;
};

}  // namespace strata::collector::promql
