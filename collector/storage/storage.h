#pragma once

// The storage interfaces of the collector: Appender (ingest writes) and StorageReader (queries
// read). The in-memory store implements both today; the hot tier (WAL + chunks + blocks) replaces
// it behind the same interfaces, and the warm and cold tiers implement StorageReader so the query
// router can merge tiers.
//
// Threads: both interfaces are called concurrently from many threads (gRPC ingest, HTTP
// remote-write, HTTP queries); implementations synchronize internally.

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collector/storage/label_matcher.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::collector {

// One series selected by a query, with its samples inside [min_t, max_t] in timestamp order.
struct SeriesData {
  common::Labels labels;
  std::vector<common::Sample> samples;
};

// Result of appending samples: how many were stored and how many rejected, by reason.
struct AppendResult {
  uint64_t accepted = 0;
  uint64_t duplicates = 0;      // same series and timestamp already stored (kept the first)
  uint64_t out_of_bounds = 0;   // older than the accepted window
  uint64_t series_limited = 0;  // dropped because a series limit was reached

  AppendResult& operator+=(const AppendResult& o) {
    accepted += o.accepted;
    duplicates += o.duplicates;
    out_of_bounds += o.out_of_bounds;
    series_limited += o.series_limited;
    return *this;
  }
};

// One series' samples inside an AppendBatch call; everything is borrowed for the call. The series
// is given either as `labels` or, when that is null, as `label_views` in canonical form
// (common::IsCanonical: sorted, unique names, no empty value). Views let a request decoder hand
// over labels that point into its buffer: storage copies them only for a series it has not seen.
struct SeriesAppend {
  const common::Labels* labels = nullptr;
  std::span<const common::LabelView> label_views;
  std::span<const common::Sample> samples;
};

class Appender {
 public:
  virtual ~Appender() = default;
  // Stores the samples of many series as one unit of durability: when it returns OK every
  // accepted sample is as durable as the store promises (one WAL write and sync for the whole
  // batch in the hot tier), so the caller may acknowledge the batch. On error nothing may be
  // assumed stored and the caller must not acknowledge (a retry is safe: duplicates are
  // deduplicated). The default stores series one by one through Append().
  virtual absl::StatusOr<AppendResult> AppendBatch(std::span<const SeriesAppend> batch) {
    AppendResult total;
    for (const SeriesAppend& s : batch) {
      const std::vector<common::Sample> samples(s.samples.begin(), s.samples.end());
      absl::StatusOr<AppendResult> r =
          s.labels != nullptr ? Append(*s.labels, samples)
                              : Append(common::Labels::FromCanonicalViews(s.label_views), samples);
      if (!r.ok()) return r.status();
      total += *r;
    }
    return total;
  }
  // Stores samples of one series. Returns an error only when storage cannot accept writes at all
  // (e.g. closed); per-sample rejections are reported in the result.
  virtual absl::StatusOr<AppendResult> Append(const common::Labels& labels,
                                              const std::vector<common::Sample>& samples) = 0;
};

// A pull cursor over the series a selection matched, in label order, one at a time: a query can
// decode, evaluate and drop each series before the next is read, so its memory is one series'
// samples rather than all of them. Not thread-safe; the reader that made it must outlive it.
class SeriesCursor {
 public:
  virtual ~SeriesCursor() = default;
  // Moves to the next series and fills `out` (its buffers are reused: pass the same one back).
  // False at the end, or on an error, which status() then reports.
  virtual bool Next(SeriesData* out) = 0;
  virtual absl::Status status() const { return absl::OkStatus(); }

  // Two-phase reading, for a merge that stitches several sources' parts of a series into one
  // buffer without copying them: NextLabels() moves to the next series and returns its labels
  // (null at the end or on an error; the caller may move from them until the next call), and
  // AppendSamples() appends that series' samples in range to `out`, in timestamp order, false on
  // an error. A series may turn out to have no samples here. Read a cursor either with Next()
  // or with these. The defaults go through Next(), and copy.
  virtual common::Labels* NextLabels() {
    if (!Next(&staged_)) return nullptr;
    return &staged_.labels;
  }
  virtual bool AppendSamples(std::vector<common::Sample>* out) {
    out->insert(out->end(), staged_.samples.begin(), staged_.samples.end());
    return true;
  }
  // Samples this cursor returns are usually no older than this (a hint: a merge lays its
  // sources' parts out in this order, and only reorders when it was wrong).
  virtual int64_t MinTimeHint() const { return std::numeric_limits<int64_t>::min(); }

 protected:
  // Next() by way of the two phases, for cursors that implement those: skips series without
  // samples in range.
  bool NextByParts(SeriesData* out) {
    for (;;) {
      common::Labels* labels = NextLabels();
      if (labels == nullptr) return false;
      out->samples.clear();
      if (!AppendSamples(&out->samples)) return false;
      if (out->samples.empty()) continue;
      out->labels = std::move(*labels);
      return true;
    }
  }

 private:
  SeriesData staged_;  // the defaults' current series
};

// A cursor over series already in memory (sorted by labels), e.g. Select()'s result.
class VectorSeriesCursor final : public SeriesCursor {
 public:
  explicit VectorSeriesCursor(std::vector<SeriesData> series) : series_(std::move(series)) {}
  bool Next(SeriesData* out) override {
    if (next_ == series_.size()) return false;
    *out = std::move(series_[next_++]);
    return true;
  }

 private:
  std::vector<SeriesData> series_;
  size_t next_ = 0;
};

class StorageReader {
 public:
  virtual ~StorageReader() = default;
  // Series matching all `matchers` that have at least one sample in [min_t_ms, max_t_ms], each
  // with those samples. Sorted by labels.
  virtual absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& matchers,
                                                         int64_t min_t_ms, int64_t max_t_ms) = 0;
  // The same series as Select, through a cursor that reads them one at a time. The default
  // selects everything first; readers with compressed data decode series by series.
  virtual absl::StatusOr<std::unique_ptr<SeriesCursor>> SelectCursor(
      const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
    absl::StatusOr<std::vector<SeriesData>> all = Select(matchers, min_t_ms, max_t_ms);
    if (!all.ok()) return all.status();
    return std::make_unique<VectorSeriesCursor>(*std::move(all));
  }
  // Label sets of matching series (no samples) with data in [min_t_ms, max_t_ms]; sorted.
  virtual absl::StatusOr<std::vector<common::Labels>> Series(
      const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) = 0;
  // Sorted distinct label names (values) over series matching `matchers` (all series when
  // empty) with data in the range.
  virtual absl::StatusOr<std::vector<std::string>> LabelNames(
      const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) = 0;
  virtual absl::StatusOr<std::vector<std::string>> LabelValues(
      const std::string& name, const std::vector<LabelMatcher>& matchers, int64_t min_t_ms,
      int64_t max_t_ms) = 0;
};

}  // namespace strata::collector
