#include "collector/query/promql/step_value.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

#include "collector/query/promql/eval_helpers.h"

namespace strata::collector::promql {

bool StepGrid::IndexOf(int64_t t_ms, size_t* i) const {
  if (num_steps == 0 || t_ms < start_ms || step_ms <= 0) return false;
  const int64_t d = t_ms - start_ms;
  if (d % step_ms != 0) return false;
  const auto index = static_cast<size_t>(d / step_ms);
  if (index >= num_steps) return false;
  *i = index;
  return true;
}

Value Materialize(const StepValue& value, size_t i, int64_t t_ms) {
  if (value.is_scalar) return Scalar{value.scalar[i]};
  Vector out;
  bool ranked = false;
  for (const StepSeries& s : value.series) {
    if (!s.present[i]) continue;
    out.push_back({s.metric, s.values[i], t_ms});
    ranked = ranked || !s.rank.empty();
  }
  if (!ranked) return out;
  std::vector<std::pair<uint32_t, size_t>> order;
  order.reserve(out.size());
  size_t k = 0;
  for (const StepSeries& s : value.series) {
    if (!s.present[i]) continue;
    order.push_back({s.rank.empty() ? 0 : s.rank[i], k++});
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Vector sorted;
  sorted.reserve(out.size());
  for (const auto& [rank, index] : order) sorted.push_back(std::move(out[index]));
  return sorted;
}

Matrix StepValueToMatrix(StepValue value, const StepGrid& grid, int64_t* total_points) {
  Matrix out;
  int64_t total = 0;
  if (value.is_scalar) {
    Series s;
    s.points.reserve(grid.num_steps);
    for (size_t i = 0; i < grid.num_steps; ++i) s.points.push_back({grid.At(i), value.scalar[i]});
    total = static_cast<int64_t>(s.points.size());
    out.push_back(std::move(s));
    *total_points = total;
    return out;
  }
  std::unordered_map<std::string, size_t> index;
  for (StepSeries& s : value.series) {
    size_t n = 0;
    for (uint8_t p : s.present) n += p;
    if (n == 0) continue;
    auto [it, inserted] = index.try_emplace(LabelsKey(s.metric), out.size());
    if (inserted) out.push_back({std::move(s.metric), {}});
    std::vector<Point>& points = out[it->second].points;
    const bool merge = !points.empty();
    points.reserve(points.size() + n);
    for (size_t i = 0; i < grid.num_steps; ++i) {
      if (s.present[i]) points.push_back({grid.At(i), s.values[i]});
    }
    if (merge) {
      std::stable_sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
        return a.timestamp_ms < b.timestamp_ms;
      });
    }
    total += static_cast<int64_t>(n);
  }
  *total_points = total;
  return out;
}

}  // namespace strata::collector::promql
