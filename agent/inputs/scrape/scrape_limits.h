#pragma once

// The per-scrape limits of a scrape job, as Prometheus applies them after metric relabeling:
// more series than sample_limit, or a series with more labels than label_limit (the metric name
// counts), a label name longer than label_name_length_limit or a value longer than
// label_value_length_limit, fails the whole scrape (up 0, nothing from it is kept). 0 means no
// limit.

#include <cstdint>
#include <string>

#include "common/model/sample.h"

namespace strata::agent::scrape {

struct ScrapeLimits {
  int64_t sample_limit = 0;
  int64_t label_limit = 0;
  int64_t label_name_length_limit = 0;
  int64_t label_value_length_limit = 0;
};

// Why `series` (one scrape's series, before the synthetic ones) breaks `limits`, or "".
std::string CheckScrapeLimits(const ScrapeLimits& limits, const common::SampleBatch& series);

}  // namespace strata::agent::scrape
