#include "agent/inputs/scrape/series_cache.h"

namespace strata::agent::scrape {

const common::Labels* SeriesCache::Touch(std::string_view series) {
  auto it = entries_.find(Key(series));
  if (it == entries_.end()) return nullptr;
  it->second.seen = generation_;
  return &it->second.labels;
}

void SeriesCache::Put(std::string_view series, const common::Labels& labels) {
  auto it = entries_.find(Key(series));
  if (it == entries_.end()) it = entries_.emplace(std::string(series), Entry{}).first;
  it->second.labels = labels;
  it->second.seen = generation_;
}

void SeriesCache::EvictUnseen() {
  absl::erase_if(entries_, [&](const auto& kv) { return kv.second.seen != generation_; });
}

}  // namespace strata::agent::scrape
