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

// One source's part of a series inside a shared buffer: samples [begin, end), timestamp-sorted;
// `rank` is the source's position (a lower rank wins on equal timestamps).
struct SampleSegment {
  size_t begin = 0;
  size_t end = 0;
  size_t rank = 0;
};

// `samples` holds `segments` back to back, in that order; makes it one timestamp-sorted list
// with each timestamp once (the sample of the lowest-ranked segment holding it), the same as
// MergeSampleLists over the segments in rank order. Segments laid out in time order stay where
// they are; only runs of segments that overlap in time are merged, which copies just them.
void MergeAppendedSegments(std::vector<common::Sample>* samples,
                           std::span<const SampleSegment> segments);

// Merges two timestamp-sorted sample lists; on equal timestamps keeps `first`'s sample.
std::vector<common::Sample> MergeSamples(const std::vector<common::Sample>& first,
                                         const std::vector<common::Sample>& second);

}  // namespace strata::collector
