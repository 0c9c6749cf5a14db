#include "collector/storage/merge_reader.h"

#include <algorithm>

namespace strata::collector {
namespace {

// Merges sorted, de-duplicated string lists.
std::vector<std::string> UnionSorted(std::vector<std::vector<std::string>> lists) {
  std::vector<std::string> out;
  for (auto& l : lists)
    out.insert(out.end(), std::make_move_iterator(l.begin()), std::make_move_iterator(l.end()));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

void MergeSampleLists(std::span<const std::vector<common::Sample>* const> lists,
                      std::vector<common::Sample>* out) {
  out->clear();
  if (lists.empty()) return;
  std::vector<size_t> order(lists.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return lists[a]->front().timestamp_ms < lists[b]->front().timestamp_ms;
  });
  size_t total = 0;
  for (const auto* l : lists) total += l->size();
  out->reserve(total);
  // Lists are taken in time order, in clusters of lists whose ranges overlap (usually none: the
  // blocks and the head are disjoint, except while the head still holds a chunk that straddles
  // the last block's end). A single list is appended; a cluster is merged in source order, so
  // that an earlier source wins on equal timestamps, and only the cluster is copied more than
  // once.
  std::vector<size_t> cluster;
  for (size_t k = 0; k < order.size();) {
    cluster.assign(1, order[k]);
    int64_t end = lists[order[k]]->back().timestamp_ms;
    size_t next = k + 1;
    while (next < order.size() && lists[order[next]]->front().timestamp_ms <= end) {
      cluster.push_back(order[next]);
      end = std::max(end, lists[order[next]]->back().timestamp_ms);
      ++next;
    }
    if (cluster.size() == 1) {
      out->insert(out->end(), lists[cluster[0]]->begin(), lists[cluster[0]]->end());
    } else {
      std::sort(cluster.begin(), cluster.end());  // source order
      std::vector<common::Sample> merged = *lists[cluster[0]];
      for (size_t c = 1; c < cluster.size(); ++c) merged = MergeSamples(merged, *lists[cluster[c]]);
      out->insert(out->end(), merged.begin(), merged.end());
    }
    k = next;
  }
}

std::vector<common::Sample> MergeSamples(const std::vector<common::Sample>& first,
                                         const std::vector<common::Sample>& second) {
  std::vector<common::Sample> out;
  out.reserve(first.size() + second.size());
  size_t i = 0, j = 0;
  while (i < first.size() || j < second.size()) {
    if (j == second.size() ||
        (i < first.size() && first[i].timestamp_ms <= second[j].timestamp_ms)) {
      if (j < second.size() && first[i].timestamp_ms == second[j].timestamp_ms) ++j;
      out.push_back(first[i++]);
    } else {
      out.push_back(second[j++]);
    }
  }
  return out;
}

// Each source's cursor holds its current series; Next() takes the smallest label set among them,
// merges the samples of every source at that label set and advances those sources. The sources'
// shared_ptrs keep them alive as long as the cursor.
class MergeCursor final : public SeriesCursor {
 public:
  MergeCursor(std::vector<std::shared_ptr<StorageReader>> sources,
              std::vector<std::unique_ptr<SeriesCursor>> cursors)
      : sources_(std::move(sources)) {
    for (auto& c : cursors) children_.push_back(Child{std::move(c), {}, false});
  }

  bool Next(SeriesData* out) override {
    if (!started_) {
      started_ = true;
      for (Child& c : children_) {
        if (!Advance(c)) return false;
      }
    }
    const common::Labels* min = nullptr;
    for (const Child& c : children_) {
      if (c.valid && (min == nullptr || c.current.labels < *min)) min = &c.current.labels;
    }
    if (min == nullptr) return false;
    hits_.clear();
    for (size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].valid && children_[i].current.labels == *min) hits_.push_back(i);
    }
    Child& first = children_[hits_[0]];
    if (hits_.size() == 1) {
      // Swapping hands the caller's old buffer to the child, which refills it on Advance.
      std::swap(out->samples, first.current.samples);
    } else {
      lists_.clear();
      for (size_t i : hits_) lists_.push_back(&children_[i].current.samples);
      MergeSampleLists(lists_, &out->samples);
    }
    out->labels = std::move(first.current.labels);
    for (size_t i : hits_) {
      if (!Advance(children_[i])) return false;
    }
    return true;
  }

  absl::Status status() const override { return status_; }

 private:
  struct Child {
    std::unique_ptr<SeriesCursor> cursor;
    SeriesData current;
    bool valid;
  };

  // False on an error (kept in status_); the end of a source is not an error.
  bool Advance(Child& c) {
    c.valid = c.cursor->Next(&c.current);
    if (!c.valid && !c.cursor->status().ok()) {
      status_ = c.cursor->status();
      return false;
    }
    return true;
  }

  std::vector<std::shared_ptr<StorageReader>> sources_;
  std::vector<Child> children_;
  std::vector<size_t> hits_;
  std::vector<const std::vector<common::Sample>*> lists_;
  absl::Status status_;
  bool started_ = false;
};

absl::StatusOr<std::unique_ptr<SeriesCursor>> MergeReader::SelectCursor(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<std::shared_ptr<StorageReader>> sources = sources_();
  std::vector<std::unique_ptr<SeriesCursor>> cursors;
  cursors.reserve(sources.size());
  for (const auto& source : sources) {
    absl::StatusOr<std::unique_ptr<SeriesCursor>> c =
        source->SelectCursor(matchers, min_t_ms, max_t_ms);
    if (!c.ok()) return c.status();
    cursors.push_back(*std::move(c));
  }
  return std::make_unique<MergeCursor>(std::move(sources), std::move(cursors));
}

absl::StatusOr<std::vector<SeriesData>> MergeReader::Select(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  absl::StatusOr<std::unique_ptr<SeriesCursor>> cursor = SelectCursor(matchers, min_t_ms, max_t_ms);
  if (!cursor.ok()) return cursor.status();
  std::vector<SeriesData> out;
  SeriesData d;
  while ((*cursor)->Next(&d)) out.push_back(std::move(d));
  if (!(*cursor)->status().ok()) return (*cursor)->status();
  return out;
}

absl::StatusOr<std::vector<common::Labels>> MergeReader::Series(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<common::Labels> out;
  for (const auto& source : sources_()) {
    absl::StatusOr<std::vector<common::Labels>> part = source->Series(matchers, min_t_ms, max_t_ms);
    if (!part.ok()) return part.status();
    out.insert(out.end(), std::make_move_iterator(part->begin()),
               std::make_move_iterator(part->end()));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<std::vector<std::string>> MergeReader::LabelNames(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<std::vector<std::string>> lists;
  for (const auto& source : sources_()) {
    absl::StatusOr<std::vector<std::string>> part =
        source->LabelNames(matchers, min_t_ms, max_t_ms);
    if (!part.ok()) return part.status();
    lists.push_back(*std::move(part));
  }
  return UnionSorted(std::move(lists));
}

absl::StatusOr<std::vector<std::string>> MergeReader::LabelValues(
    const std::string& name, const std::vector<LabelMatcher>& matchers, int64_t min_t_ms,
    int64_t max_t_ms) {
  std::vector<std::vector<std::string>> lists;
  for (const auto& source : sources_()) {
    absl::StatusOr<std::vector<std::string>> part =
        source->LabelValues(name, matchers, min_t_ms, max_t_ms);
    if (!part.ok()) return part.status();
    lists.push_back(*std::move(part));
  }
  return UnionSorted(std::move(lists));
}

}  // namespace strata::collector
