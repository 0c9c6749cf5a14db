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
#include <vector>

#include "collector/storage/storage.h"

namespace strata::collector {

class MergeReader final : public StorageReader {
 public:
  using SourceFn = std::function<std::vector<std::shared_ptr<StorageReader>>()>;
  explicit MergeReader(SourceFn sources) : sources_(std::move(sources)) {}

  absl::StatusOr<std::vector<SeriesData>> Select(const std::vector<LabelMatcher>& matchers,
                                                 int64_t min_t_ms, int64_t max_t_ms) override;
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

// Merges timestamp-sorted, non-empty sample lists given in source order (on equal timestamps the
// earlier list's sample is kept); the lists are consumed.
std::vector<common::Sample> MergeSampleLists(std::vector<std::vector<common::Sample>>& lists);

// Merges two timestamp-sorted sample lists; on equal timestamps keeps `first`'s sample.
std::vector<common::Sample> MergeSamples(const std::vector<common::Sample>& first,
                                         const std::vector<common::Sample>& second);

}  // namespace strata::collector
