#include "agent/inputs/scrape/scrape_state_cache.h"

#include <utility>

namespace strata::agent::scrape {

common::SampleBatch StaleMarkersFor(const ScrapeTarget& target, const TargetState& state,
                                    int64_t ts) {
  common::SampleBatch out;
  out.reserve(state.series.size() + std::size(kSyntheticSeries));
  for (const auto& [id, labels] : state.series) {
    out.push_back(common::SeriesSample{labels, common::Sample{ts, common::StaleNaN()}});
  }
  for (const char* name : kSyntheticSeries) {
    out.push_back(common::SeriesSample{
        common::LabelsBuilder(target.target_labels).Set("__name__", name).Build(),
        common::Sample{ts, common::StaleNaN()}});
  }
  return out;
}

void ScrapeStateCache::Put(const std::string& key, ScrapeTarget target, TargetState state) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[key] = Entry{std::move(target), std::move(state)};
}

std::optional<TargetState> ScrapeStateCache::Take(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  TargetState state = std::move(it->second.state);
  entries_.erase(it);
  return state;
}

std::vector<ScrapeStateCache::Entry> ScrapeStateCache::TakeRest() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry> out;
  for (auto& [key, entry] : entries_) out.push_back(std::move(entry));
  entries_.clear();
  return out;
}

}  // namespace strata::agent::scrape
