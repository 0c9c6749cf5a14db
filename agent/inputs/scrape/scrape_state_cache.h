#pragma once

// What each target's scrape loop remembers between scrapes (TargetState), kept across a config
// reload: the stopping loops of the old config leave their state here, the new config's loops
// for the same targets take it over, so a series the new config no longer produces still gets
// its staleness marker on the first scrape after the reload, and a target the new config
// dropped gets markers for all of its series from whoever reloads (TakeRest). Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/inputs/scrape/target_builder.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::agent::scrape {

// A target's series by common::MetricId: the scraped ones, not the synthetic ones.
using SeriesSet = std::unordered_map<uint64_t, common::Labels>;

struct TargetState {
  bool up = true;
  uint64_t parse_errors = 0;
  SeriesSet series;  // of the last scrape
};

// The synthetic series every scrape writes.
inline constexpr const char* kSyntheticSeries[] = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added"};

// Staleness markers at `ts` for a target that is gone: its last scrape's series and its
// synthetic series.
common::SampleBatch StaleMarkersFor(const ScrapeTarget& target, const TargetState& state,
                                    int64_t ts);

class ScrapeStateCache {
 public:
  struct Entry {
    ScrapeTarget target;
    TargetState state;
  };
  void Put(const std::string& key, ScrapeTarget target, TargetState state);
  std::optional<TargetState> Take(const std::string& key);
  // Everything not taken since it was put.
  std::vector<Entry> TakeRest();

 private:
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace strata::agent::scrape
