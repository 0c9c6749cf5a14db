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

namespace {

// MergeSampleLists over copies of `segments` (of `samples`), taken in rank order.
std::vector<common::Sample> MergeSegmentCopies(const std::vector<common::Sample>& samples,
                                               std::span<const SampleSegment> segments) {
  std::vector<SampleSegment> by_rank(segments.begin(), segments.end());
  std::stable_sort(by_rank.begin(), by_rank.end(),
                   [](const SampleSegment& a, const SampleSegment& b) { return a.rank < b.rank; });
  std::vector<std::vector<common::Sample>> copies;
  std::vector<const std::vector<common::Sample>*> lists;
  copies.reserve(by_rank.size());
  for (const SampleSegment& seg : by_rank) {
    copies.emplace_back(samples.begin() + static_cast<ptrdiff_t>(seg.begin),
                        samples.begin() + static_cast<ptrdiff_t>(seg.end));
    lists.push_back(&copies.back());
  }
  std::vector<common::Sample> merged;
  MergeSampleLists(lists, &merged);
  return merged;
}

}  // namespace

void MergeAppendedSegments(std::vector<common::Sample>* samples,
                           std::span<const SampleSegment> segments) {
  std::vector<common::Sample>& s = *samples;
  std::vector<SampleSegment> parts;  // the non-empty segments, in layout order
  parts.reserve(segments.size());
  bool sorted = true;    // each part starts after the previous one ends: nothing to do
  bool by_front = true;  // parts start in time order: overlapping runs can be merged in place
  for (const SampleSegment& seg : segments) {
    if (seg.begin == seg.end) continue;
    if (!parts.empty()) {
      const SampleSegment& prev = parts.back();
      sorted = sorted && s[prev.end - 1].timestamp_ms < s[seg.begin].timestamp_ms;
      by_front = by_front && s[prev.begin].timestamp_ms <= s[seg.begin].timestamp_ms;
    }
    parts.push_back(seg);
  }
  if (sorted) return;
  if (!by_front) {
    // A source's hint put it out of time order (rare): merge everything from copies.
    s = MergeSegmentCopies(s, parts);
    return;
  }
  // Runs of parts that overlap are merged and written back at `w`, which never passes the run's
  // own start (a merge only drops samples); parts on their own move down to `w`.
  size_t w = parts.front().begin;
  for (size_t k = 0; k < parts.size();) {
    int64_t end = s[parts[k].end - 1].timestamp_ms;
    size_t next = k + 1;
    while (next < parts.size() && s[parts[next].begin].timestamp_ms <= end) {
      end = std::max(end, s[parts[next].end - 1].timestamp_ms);
      ++next;
    }
    if (next == k + 1) {
      const SampleSegment& part = parts[k];
      if (w != part.begin) {
        std::copy(s.begin() + static_cast<ptrdiff_t>(part.begin),
                  s.begin() + static_cast<ptrdiff_t>(part.end),
                  s.begin() + static_cast<ptrdiff_t>(w));
      }
      w += part.end - part.begin;
    } else {
      const std::vector<common::Sample> merged =
          MergeSegmentCopies(s, std::span<const SampleSegment>(parts).subspan(k, next - k));
      std::copy(merged.begin(), merged.end(), s.begin() + static_cast<ptrdiff_t>(w));
      w += merged.size();
    }
    k = next;
  }
  s.resize(w);
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

// Each source's cursor stands on its current series (labels only, through the two-phase
// NextLabels/AppendSamples); Next() takes the smallest label set among them, appends the samples
// of every source at that label set into the caller's buffer and advances those sources. The
// sources are laid out by their MinTimeHint, so their parts of a series (blocks in time order,
// then the head) usually come out in time order as they are and nothing is copied again;
// MergeAppendedSegments fixes up the rest. The sources' shared_ptrs keep them alive as long as
// the cursor.
class MergeCursor final : public SeriesCursor {
 public:
  MergeCursor(std::vector<std::shared_ptr<StorageReader>> sources,
              std::vector<std::unique_ptr<SeriesCursor>> cursors)
      : sources_(std::move(sources)) {
    for (size_t i = 0; i < cursors.size(); ++i) {
      children_.push_back(Child{std::move(cursors[i]), nullptr, i});
    }
    std::stable_sort(children_.begin(), children_.end(), [](const Child& a, const Child& b) {
      return a.cursor->MinTimeHint() < b.cursor->MinTimeHint();
    });
  }

  bool Next(SeriesData* out) override { return NextByParts(out); }

  // Two-phase: the next series' labels (the sources holding it are `hits_`), and then, only if
  // asked, their samples; a series whose samples are never asked for costs no decoding.
  common::Labels* NextLabels() override {
    if (!started_) {
      started_ = true;
      for (Child& c : children_) {
        if (!Advance(c)) return nullptr;
      }
    } else {
      for (size_t i : hits_) {
        if (!Advance(children_[i])) return nullptr;
      }
    }
    hits_.clear();
    // Usually every source holds the series (each block of the range, and the head): the
    // equality check, a memcmp, settles those without the pairwise ordering.
    const common::Labels* min = nullptr;
    for (const Child& c : children_) {
      if (c.labels == nullptr) continue;
      if (min == nullptr || (*c.labels != *min && *c.labels < *min)) min = c.labels;
    }
    if (min == nullptr) return nullptr;
    for (size_t i = 0; i < children_.size(); ++i) {
      const common::Labels* l = children_[i].labels;
      if (l != nullptr && (l == min || *l == *min)) hits_.push_back(i);
    }
    return children_[hits_[0]].labels;
  }

  bool AppendSamples(std::vector<common::Sample>* out) override {
    if (!out->empty() && hits_.size() > 1) {
      // The merge rewrites its whole buffer: the samples already there stay out of it.
      std::vector<common::Sample> own;
      if (!AppendSamples(&own)) return false;
      out->insert(out->end(), own.begin(), own.end());
      return true;
    }
    segments_.clear();
    for (size_t i : hits_) {
      Child& c = children_[i];
      const size_t begin = out->size();
      if (!c.cursor->AppendSamples(out)) {
        status_ = c.cursor->status();
        if (status_.ok()) status_ = absl::InternalError("a source failed to read a series");
        return false;
      }
      segments_.push_back(SampleSegment{begin, out->size(), c.rank});
    }
    if (hits_.size() > 1) MergeAppendedSegments(out, segments_);
    return true;
  }

  absl::Status status() const override { return status_; }

 private:
  struct Child {
    std::unique_ptr<SeriesCursor> cursor;
    common::Labels* labels;  // its current series; null past its end
    size_t rank;             // its position among the sources (a lower one wins a tie)
  };

  // False on an error (kept in status_); the end of a source is not an error.
  bool Advance(Child& c) {
    c.labels = c.cursor->NextLabels();
    if (c.labels == nullptr && !c.cursor->status().ok()) {
      status_ = c.cursor->status();
      return false;
    }
    return true;
  }

  std::vector<std::shared_ptr<StorageReader>> sources_;
  std::vector<Child> children_;
  std::vector<size_t> hits_;
  std::vector<SampleSegment> segments_;
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
