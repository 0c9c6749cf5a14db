#pragma once

// MergeReader: one StorageReader over several, e.g. the hot tier's head plus its on-disk blocks
// today, and hot + warm + cold tiers in the query router later.
//
// Select merges series with equal label sets: samples are combined in timestamp order and a
// timestamp present in several sources appears once (the source listed first wins), so a series
// crossing a block boundary, or overlapping ranges during compaction, is stitched without gaps or
// double counts. Series/LabelNames/LabelValues are sorted unions.
//
// The sources are fetched per call through `sources`, so readers can come and go (blocks are
// cut and deleted) without locking here; a shared_ptr keeps each alive for the call.

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "collector/storage/storage.h"

namespace strata::collector {

class MergeReader final : public StorageReader {
 public:
  using SourceFn = std::function<std::vector<std::shared_ptr<StorageReader>>()>;
  explicit MergeReader(SourceFn sources) : sources_(std::move(sources)) {}

  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& matchers,
                                                 int64_t min_t_ms, int64_t max_t_ms) override;
  // A k-way merge by labels over every source's cursor: one series in memory per source.
  absl::StatusOr<std::unique_ptr<SeriesCursor>> SelectCursor(
      const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<common::Labels>> Series(const std::vector<LabelMatcher>& matchers,
                                                     int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelNames(const std::vector<LabelMatcher>& matchers,
                                                      int64_t min_t_ms, int64_t max_t_ms) override;
  absl::StatusOr<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<LabelMatcher>& matchers,
                                                       int64_t min_t_ms, int64_t max_t_ms) override;

 private:
  SourceFn sources_;
};

// Merges timestamp-sorted, non-empty sample lists given in source order into `out` (on equal
// timestamps the earlier list's sample is kept). Time-disjoint lists, the usual case (blocks and
// the head), are concatenated in time order.
void MergeSampleLists(std::span<const std::vector<common::Sample>* const> lists,
                      std::vector<common::Sample>* out);

// Merges two timestamp-sorted sample lists; on equal timestamps keeps `first`'s sample.
std::vector<common::Sample> MergeSamples(const std::vector<common::Sample>& first,
                                         const std::vector<common::Sample>& second);

}  // namespace strata::collector
