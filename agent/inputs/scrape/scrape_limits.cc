#include "agent/inputs/scrape/scrape_limits.h"

namespace strata::agent::scrape {
namespace {

std::string Trim(std::string_view s) { return std::string(s.substr(0, 50)); }

}  // namespace

std::string CheckScrapeLimits(const ScrapeLimits& limits, const common::SampleBatch& series) {
  if (limits.sample_limit > 0 && series.size() > static_cast<uint64_t>(limits.sample_limit)) {
    return "sample_limit exceeded (" + std::to_string(series.size()) + " series, limit " +
           std::to_string(limits.sample_limit) + ")";
  }
  if (limits.label_limit == 0 && limits.label_name_length_limit == 0 &&
      limits.label_value_length_limit == 0) {
    return "";
  }
  for (const common::SeriesSample& s : series) {
    const std::string metric = Trim(s.labels.MetricName());
    if (limits.label_limit > 0 && s.labels.size() > static_cast<uint64_t>(limits.label_limit)) {
      return "label_limit exceeded (metric: " + metric +
             ", number of labels: " + std::to_string(s.labels.size()) +
             ", limit: " + std::to_string(limits.label_limit) + ")";
    }
    for (const auto& l : s.labels) {
      if (limits.label_name_length_limit > 0 &&
          l.name.size() > static_cast<uint64_t>(limits.label_name_length_limit)) {
        return "label_name_length_limit exceeded (metric: " + metric +
               ", label name: " + Trim(l.name) + ", length: " + std::to_string(l.name.size()) +
               ", limit: " + std::to_string(limits.label_name_length_limit) + ")";
      }
      if (limits.label_value_length_limit > 0 &&
          l.value.size() > static_cast<uint64_t>(limits.label_value_length_limit)) {
        return "label_value_length_limit exceeded (metric: " + metric +
               ", label name: " + Trim(l.name) + ", length: " + std::to_string(l.value.size()) +
               ", limit: " + std::to_string(limits.label_value_length_limit) + ")";
      }
    }
  }
  return "";
}

}  // namespace strata::agent::scrape
