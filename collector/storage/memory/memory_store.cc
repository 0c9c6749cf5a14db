#include "collector/storage/memory/memory_store.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/base/check.h"
#include "common/model/metric_id.h"

namespace strata::collector {
namespace {

std::vector<uint64_t> Intersect(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint64_t> Subtract(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

void SortUnique(std::vector<uint64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// True when `newest - t` exceeds `window`; computed in unsigned arithmetic so extreme timestamps
// cannot overflow.
bool OlderThanWindow(int64_t t, int64_t newest, int64_t window) {
  if (t >= newest) return false;
  return static_cast<uint64_t>(newest) - static_cast<uint64_t>(t) > static_cast<uint64_t>(window);
}

}  // namespace

MemoryStore::MemoryStore(MemoryStoreOptions options) : options_(options) {
  STRATA_CHECK(options_.out_of_order_window_ms >= 0) << "out_of_order_window_ms must be >= 0";
  STRATA_CHECK(options_.retention_ms > 0) << "retention_ms must be > 0";
  STRATA_CHECK(options_.max_series >= 0) << "max_series must be >= 0";
}

MemoryStore::~MemoryStore() = default;

absl::StatusOr<AppendResult> MemoryStore::Append(const common::Labels& labels,
                                                 const std::vector<common::Sample>& samples) {
  AppendResult result;
  if (samples.empty()) return result;
  const uint64_t id = common::MetricId(labels);
  const int shard_index = static_cast<int>(id % kNumShards);
  Shard& shard = shards_[shard_index];

  absl::MutexLock lock(&shard.mu);
  MemSeries* series = nullptr;
  auto chain_it = shard.by_id.find(id);
  if (chain_it != shard.by_id.end()) {
    for (const auto& s : chain_it->second) {
      if (s->labels == labels) {
        series = s.get();
        break;
      }
    }
  }

  if (series != nullptr) {
    for (const common::Sample& sample : samples) AppendOne(*series, sample, result);
    num_samples_.fetch_add(result.accepted, std::memory_order_relaxed);
    return result;
  }

  // A new series: reserve a slot under the limit first so concurrent creators cannot overshoot.
  uint64_t count = num_series_.load(std::memory_order_relaxed);
  do {
    if (count >= static_cast<uint64_t>(options_.max_series)) {
      result.series_limited = samples.size();
      return result;
    }
  } while (!num_series_.compare_exchange_weak(count, count + 1, std::memory_order_relaxed));

  auto created = std::make_unique<MemSeries>();
  created->ref = (next_sequence_.fetch_add(1, std::memory_order_relaxed) << 4) |
                 static_cast<uint64_t>(shard_index);
  created->labels = labels;
  for (const common::Sample& sample : samples) AppendOne(*created, sample, result);
  if (created->samples.empty()) {
    // Every sample was rejected: do not keep an empty series.
    num_series_.fetch_sub(1, std::memory_order_relaxed);
    return result;
  }
  num_samples_.fetch_add(result.accepted, std::memory_order_relaxed);
  shard.by_ref.emplace(created->ref, created.get());
  // Indexed before the shard lock is released, so a reader never finds a ref it cannot resolve
  // for a series whose Append has returned.
  IndexAdd(*created);
  shard.by_id[id].push_back(std::move(created));
  return result;
}

void MemoryStore::AppendOne(MemSeries& series, const common::Sample& sample, AppendResult& result) {
  const int64_t t = sample.timestamp_ms;
  if (t < min_valid_t_ms_.load(std::memory_order_relaxed)) {
    ++result.out_of_bounds;
    return;
  }
  std::vector<common::Sample>& samples = series.samples;
  if (samples.empty() || t > samples.back().timestamp_ms) {
    samples.push_back(sample);
    ++result.accepted;
    return;
  }
  if (OlderThanWindow(t, samples.back().timestamp_ms, options_.out_of_order_window_ms)) {
    ++result.out_of_bounds;
    return;
  }
  auto it =
      std::lower_bound(samples.begin(), samples.end(), t,
                       [](const common::Sample& s, int64_t ts) { return s.timestamp_ms < ts; });
  if (it != samples.end() && it->timestamp_ms == t) {
    ++result.duplicates;
    return;
  }
  samples.insert(it, sample);
  ++result.accepted;
}

void MemoryStore::IndexAdd(const MemSeries& series) {
  absl::MutexLock lock(&index_mu_);
  for (const auto& l : series.labels)
    postings_[std::string(l.name)][std::string(l.value)].insert(series.ref);
  all_refs_.insert(series.ref);
}

void MemoryStore::IndexRemove(const MemSeries& series) {
  absl::MutexLock lock(&index_mu_);
  for (const auto& l : series.labels) {
    auto name_it = postings_.find(l.name);
    if (name_it == postings_.end()) continue;
    auto value_it = name_it->second.find(l.value);
    if (value_it == name_it->second.end()) continue;
    value_it->second.erase(series.ref);
    if (value_it->second.empty()) name_it->second.erase(value_it);
    if (name_it->second.empty()) postings_.erase(name_it);
  }
  all_refs_.erase(series.ref);
}

std::vector<MemoryStore::SeriesRef> MemoryStore::Resolve(
    const std::vector<LabelMatcher>& matchers) {
  absl::MutexLock lock(&index_mu_);
  // Matchers that reject "" only select series carrying the label: their postings are the union
  // over matching values. They go first because they narrow the candidates the most.
  std::vector<SeriesRef> candidates;
  bool narrowed = false;
  for (const LabelMatcher& m : matchers) {
    if (m.MatchesEmpty()) continue;
    std::vector<SeriesRef> matched;
    auto name_it = postings_.find(m.name());
    if (name_it != postings_.end()) {
      const auto& values = name_it->second;
      if (m.op() == MatchOp::kEqual) {
        auto value_it = values.find(m.value());
        if (value_it != values.end())
          matched.assign(value_it->second.begin(), value_it->second.end());
      } else {
        for (const auto& [value, refs] : values) {
          if (m.Matches(value)) matched.insert(matched.end(), refs.begin(), refs.end());
        }
        SortUnique(matched);
      }
    }
    candidates = narrowed ? Intersect(candidates, matched) : std::move(matched);
    narrowed = true;
    if (candidates.empty()) return {};
  }
  if (!narrowed) candidates.assign(all_refs_.begin(), all_refs_.end());

  // A matcher accepting "" also accepts every series lacking the label, so it is evaluated as
  // "candidates minus the series whose value for the label does not match".
  for (const LabelMatcher& m : matchers) {
    if (!m.MatchesEmpty()) continue;
    auto name_it = postings_.find(m.name());
    if (name_it == postings_.end()) continue;  // no series has the label: all match
    const auto& values = name_it->second;
    std::vector<SeriesRef> rejected;
    if (m.op() == MatchOp::kNotEqual) {
      auto value_it = values.find(m.value());
      if (value_it != values.end())
        rejected.assign(value_it->second.begin(), value_it->second.end());
    } else {
      for (const auto& [value, refs] : values) {
        if (!m.Matches(value)) rejected.insert(rejected.end(), refs.begin(), refs.end());
      }
      SortUnique(rejected);
    }
    candidates = Subtract(candidates, rejected);
    if (candidates.empty()) return {};
  }
  return candidates;
}

template <typename Fn>
void MemoryStore::ForEachInRange(const std::vector<SeriesRef>& refs, int64_t min_t_ms,
                                 int64_t max_t_ms, Fn&& fn) {
  if (min_t_ms > max_t_ms) return;
  std::array<std::vector<SeriesRef>, kNumShards> by_shard;
  for (SeriesRef ref : refs) by_shard[ShardOf(ref)].push_back(ref);
  for (int i = 0; i < kNumShards; ++i) {
    if (by_shard[i].empty()) continue;
    Shard& shard = shards_[i];
    absl::ReaderMutexLock lock(&shard.mu);
    for (SeriesRef ref : by_shard[i]) {
      auto it = shard.by_ref.find(ref);
      if (it == shard.by_ref.end()) continue;  // dropped after Resolve
      const MemSeries& series = *it->second;
      auto first =
          std::lower_bound(series.samples.begin(), series.samples.end(), min_t_ms,
                           [](const common::Sample& s, int64_t ts) { return s.timestamp_ms < ts; });
      if (first == series.samples.end() || first->timestamp_ms > max_t_ms) continue;
      fn(series, first);
    }
  }
}

absl::StatusOr<std::vector<SeriesData>> MemoryStore::Select(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<SeriesData> out;
  ForEachInRange(Resolve(matchers), min_t_ms, max_t_ms, [&](const MemSeries& series, auto first) {
    SeriesData data;
    data.labels = series.labels;
    for (auto it = first; it != series.samples.end() && it->timestamp_ms <= max_t_ms; ++it) {
      data.samples.push_back(*it);
    }
    out.push_back(std::move(data));
  });
  std::sort(out.begin(), out.end(),
            [](const SeriesData& a, const SeriesData& b) { return a.labels < b.labels; });
  return out;
}

absl::StatusOr<std::vector<common::Labels>> MemoryStore::Series(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<common::Labels> out;
  ForEachInRange(Resolve(matchers), min_t_ms, max_t_ms,
                 [&](const MemSeries& series, auto) { out.push_back(series.labels); });
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<std::string>> MemoryStore::LabelNames(
    const std::vector<LabelMatcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::set<std::string> names;
  ForEachInRange(Resolve(matchers), min_t_ms, max_t_ms, [&](const MemSeries& series, auto) {
    for (const auto& l : series.labels) names.emplace(l.name);
  });
  return std::vector<std::string>(names.begin(), names.end());
}

absl::StatusOr<std::vector<std::string>> MemoryStore::LabelValues(
    const std::string& name, const std::vector<LabelMatcher>& matchers, int64_t min_t_ms,
    int64_t max_t_ms) {
  std::set<std::string> values;
  ForEachInRange(Resolve(matchers), min_t_ms, max_t_ms, [&](const MemSeries& series, auto) {
    std::string_view v = series.labels.Get(name);
    if (!v.empty()) values.emplace(v);
  });
  return std::vector<std::string>(values.begin(), values.end());
}

void MemoryStore::DropBefore(int64_t min_t_ms) {
  int64_t current = min_valid_t_ms_.load(std::memory_order_relaxed);
  while (current < min_t_ms &&
         !min_valid_t_ms_.compare_exchange_weak(current, min_t_ms, std::memory_order_relaxed)) {
  }
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    std::vector<MemSeries*> emptied;
    for (auto& [ref, series] : shard.by_ref) {
      auto& samples = series->samples;
      auto cut =
          std::lower_bound(samples.begin(), samples.end(), min_t_ms,
                           [](const common::Sample& s, int64_t ts) { return s.timestamp_ms < ts; });
      const auto removed = static_cast<uint64_t>(cut - samples.begin());
      if (removed == 0) continue;
      samples.erase(samples.begin(), cut);
      num_samples_.fetch_sub(removed, std::memory_order_relaxed);
      if (samples.empty()) emptied.push_back(series);
    }
    for (MemSeries* series : emptied) {
      IndexRemove(*series);
      shard.by_ref.erase(series->ref);
      const uint64_t id = common::MetricId(series->labels);
      auto chain_it = shard.by_id.find(id);
      STRATA_DCHECK(chain_it != shard.by_id.end());
      // Erasing the unique_ptr destroys `series`; nothing touches it afterwards.
      std::erase_if(chain_it->second, [&](const auto& s) { return s.get() == series; });
      if (chain_it->second.empty()) shard.by_id.erase(chain_it);
      num_series_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace strata::collector
