#include "collector/api/tsdb_status.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace strata::collector::api {
namespace {

nlohmann::json StatList(const std::vector<index::PostingsIndex::Stat>& stats) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : stats) out.push_back({{"name", s.name}, {"value", s.value}});
  return out;
}

}  // namespace

ApiResponse TsdbStatus(const hot::Head& head, const ApiRequest& request) {
  size_t limit = 10;
  if (auto it = request.params.find("limit"); it != request.params.end()) {
    const std::string& v = it->second;
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size() || n < 1 || n > 10000) {
      return BadData("limit must be a positive number up to 10000");
    }
    limit = static_cast<size_t>(n);
  }
  hot::Head::Stats stats = head.GetStats(limit);
  nlohmann::json data = {
      {"headStats",
       {{"numSeries", stats.num_series},
        {"chunkCount", stats.num_chunks},
        {"numSamples", stats.num_samples},
        {"minTime", stats.min_t},
        {"maxTime", stats.max_t}}},
      {"seriesCountByMetricName", StatList(stats.top.series_count_by_metric_name)},
      {"labelValueCountByLabelName", StatList(stats.top.label_value_count_by_label_name)},
      {"memoryInBytesByLabelName", StatList(stats.top.memory_in_bytes_by_label_name)},
      {"seriesCountByLabelValuePair", StatList(stats.top.series_count_by_label_value_pair)}};
  nlohmann::json body = {{"status", "success"}, {"data", data}};
  return ApiResponse{200, body.dump()};
}

}  // namespace strata::collector::api
