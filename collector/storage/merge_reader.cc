#include "collector/storage/merge_reader.h"

#include <algorithm>
#include <map>

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

std::vector<common::Sample> MergeSampleLists(std::vector<std::vector<common::Sample>>& lists) {
  if (lists.empty()) return {};
  if (lists.size() == 1) return std::move(lists[0]);
  // Time-disjoint lists (blocks and the head, the usual case) are concatenated in time order.
  std::vector<size_t> order(lists.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return lists[a].front().timestamp_ms < lists[b].front().timestamp_ms;
  });
  bool disjoint = true;
  size_t total = lists[order[0]].size();
  for (size_t k = 1; k < order.size() && disjoint; ++k) {
    disjoint = lists[order[k]].front().timestamp_ms > lists[order[k - 1]].back().timestamp_ms;
    total += lists[order[k]].size();
  }
  if (disjoint) {
    std::vector<common::Sample> out;
    out.reserve(total);
    for (size_t i : order) out.insert(out.end(), lists[i].begin(), lists[i].end());
    return out;
  }
  // Overlapping lists: fold in source order, so an earlier source wins on equal timestamps.
  std::vector<common::Sample> out = std::move(lists[0]);
  for (size_t i = 1; i < lists.size(); ++i) out = MergeSamples(out, lists[i]);
  return out;
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

absl::StatusOr<std::vector<SeriesData>> MergeReader::Select(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<std::shared_ptr<StorageReader>> sources = sources_();
  if (sources.size() == 1) return sources[0]->Select(matchers, min_t_ms, max_t_ms);
  // Every source's samples of a series first, then one merge per series: folding source by source
  // would copy a series' samples again for every block it spans.
  std::map<common::Labels, std::vector<std::vector<common::Sample>>> parts;
  for (const auto& source : sources) {
    absl::StatusOr<std::vector<SeriesData>> part = source->Select(matchers, min_t_ms, max_t_ms);
    if (!part.ok()) return part.status();
    for (SeriesData& s : *part) {
      if (s.samples.empty()) continue;
      parts[std::move(s.labels)].push_back(std::move(s.samples));
    }
  }
  std::vector<SeriesData> out;
  out.reserve(parts.size());
  for (auto& [labels, lists] : parts) out.push_back(SeriesData{labels, MergeSampleLists(lists)});
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
