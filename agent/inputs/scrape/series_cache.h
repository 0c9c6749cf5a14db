#pragma once

// A target loop's cache of its series: for each series text of recent scrapes (as the exposition
// writes it, e.g. `node_cpu_seconds_total{cpu="0",mode="idle"}`), the labels it became after the
// target's labels, honor_labels and metric_relabel_configs, or "dropped" when relabeling dropped
// it. A scrape of a steady target then costs one hash lookup per line: the parser skips the
// labels of known series (text_parser.h, KnownSeries) and the loop reuses the final labels,
// which the queue, the staleness set and the exporter share instead of copying.
//
// Each scrape is a generation: StartScrape(), then Touch() or Put() per series, then
// EvictUnseen() drops what the scrape did not have, so the cache holds at most one scrape's
// series. It depends on the job's config, so it belongs to one loop and is never carried over a
// reload. Not thread-safe: the loop's thread owns it.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "agent/inputs/scrape/text_parser.h"
#include "common/base/absl_view.h"
#include "common/model/labels.h"

namespace strata::agent::scrape {

class SeriesCache final : public KnownSeries {
 public:
  bool Contains(std::string_view series) const override { return entries_.contains(Key(series)); }

  // The cached labels of `series`, marked seen by this scrape; null when not cached. Empty
  // labels mean relabeling dropped the series.
  const common::Labels* Touch(std::string_view series);
  // Caches what `series` became (empty: dropped), seen by this scrape.
  void Put(std::string_view series, const common::Labels& labels);

  void StartScrape() { ++generation_; }
  void EvictUnseen();
  void Clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    common::Labels labels;
    uint64_t seen = 0;  // generation of the last scrape that had the series
  };
  // Debian's Abseil has its own string_view, which the map's heterogeneous lookup wants.
  static absl::string_view Key(std::string_view s) { return common::AbslView(s); }
  absl::flat_hash_map<std::string, Entry> entries_;
  uint64_t generation_ = 0;
};

}  // namespace strata::agent::scrape
