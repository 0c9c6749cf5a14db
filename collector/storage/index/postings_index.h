#pragma once

// PostingsIndex: the hot tier's inverted index, label name -> label value -> the set of series
// ids carrying that pair ("postings"), each set a Roaring bitmap (Chambi, Lemire et al., "Better
// bitmap performance with Roaring bitmaps", 2016). Selectors resolve by walking label *values*
// and combining bitmaps, never by visiting every series.
//
// Ids: the caller (the head) assigns each series a uint32 id, densely and never reusing one
// while the index lives; dense ids keep the bitmaps compact. The index stores no per-series
// strings: each distinct name and each distinct (name, value) pair is held once, as a map key.
//
// Threads: every method may be called concurrently from any thread. Add/Remove take the lock
// exclusively; queries share it, so they run in parallel with each other and wait only for
// writers.
//
// Matcher semantics are Prometheus': =, !=, =~ and !~ (RE2, fully anchored), and an absent label
// has the value "", so a matcher that accepts "" also selects series lacking the label.

#include <cstddef>
#include <cstdint>
#include <roaring/roaring.hh>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "collector/storage/label_matcher.h"
#include "common/model/labels.h"

namespace strata::collector::index {

class PostingsIndex {
 public:
  PostingsIndex() = default;
  PostingsIndex(const PostingsIndex&) = delete;
  PostingsIndex& operator=(const PostingsIndex&) = delete;

  // Indexes series `id` under each of its labels. Adding an id twice with the same labels is a
  // no-op. Labels with an empty value are ignored (an empty value means "absent").
  void Add(uint32_t id, const common::Labels& labels) ABSL_LOCKS_EXCLUDED(mu_);
  // Unindexes series `id`; `labels` must be the ones it was added with. Values left without
  // series, and names left without values, are dropped so they stop showing up in LabelNames,
  // LabelValues and TopStats. Removing an unknown id is a no-op.
  void Remove(uint32_t id, const common::Labels& labels) ABSL_LOCKS_EXCLUDED(mu_);

  // Ids of the series matching all matchers; all series when `matchers` is empty.
  ::Roaring Select(const std::vector<LabelMatcher>& matchers) const ABSL_LOCKS_EXCLUDED(mu_);

  // Sorted distinct label names (values) carried by at least one series, counting only series
  // in `restrict_to` unless it is nullptr.
  std::vector<std::string> LabelNames(const ::Roaring* restrict_to) const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<std::string> LabelValues(std::string_view name, const ::Roaring* restrict_to) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Number of distinct ids currently indexed.
  uint64_t NumSeries() const ABSL_LOCKS_EXCLUDED(mu_);

  // Cardinality statistics in the shape of Prometheus' /api/v1/status/tsdb. Each list holds at
  // most `limit` entries, sorted by value descending, ties by name ascending (for pairs: by label
  // name, then label value).
  struct Stat {
    std::string name;
    uint64_t value;
    bool operator==(const Stat&) const = default;
  };
  struct Stats {
    std::vector<Stat> series_count_by_metric_name;       // __name__ value -> series
    std::vector<Stat> label_value_count_by_label_name;   // name -> distinct values
    std::vector<Stat> series_count_by_label_value_pair;  // "name=value" -> series
    // name -> approximate bytes: name and value strings plus the bitmaps' sizes.
    std::vector<Stat> memory_in_bytes_by_label_name;
  };
  Stats TopStats(size_t limit) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Keys are the interned strings; flat_hash_map's transparent hashing lets lookups use
  // string_view without building a std::string.
  using ValuePostings = absl::flat_hash_map<std::string, ::Roaring>;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, ValuePostings> postings_ ABSL_GUARDED_BY(mu_);
  ::Roaring all_ ABSL_GUARDED_BY(mu_);  // every indexed id, the start of selectors with no
                                        // matcher that rejects ""
};

}  // namespace strata::collector::index
