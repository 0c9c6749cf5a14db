#include "collector/query/promql/step_selection.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "collector/query/promql/aggregations.h"
#include "collector/query/promql/eval_helpers.h"

namespace strata::collector::promql {

bool IsSelectionOp(AggregateOp op) {
  return op == AggregateOp::kTopk || op == AggregateOp::kBottomk || op == AggregateOp::kLimitk;
}

bool SelectAtSteps(const Aggregate& a, const StepValue& in, std::span<const double> k,
                   size_t num_steps, size_t max_points, StepValue* out) {
  const std::string op_name(AggregateOpString(a.op));
  const bool top = a.op == AggregateOp::kTopk;
  const bool sorted = a.op != AggregateOp::kLimitk;
  const size_t n_in = in.series.size();
  // Each input series' group, once.
  std::unordered_map<std::string, uint32_t> group_index;
  std::vector<uint32_t> group_of(n_in);
  for (size_t s = 0; s < n_in; ++s) {
    auto [it, inserted] =
        group_index.try_emplace(GroupingKey(in.series[s].metric, a.grouping, !a.without, true),
                                static_cast<uint32_t>(group_index.size()));
    group_of[s] = it->second;
  }
  const bool ranked = std::any_of(in.series.begin(), in.series.end(),
                                  [](const StepSeries& s) { return !s.rank.empty(); });
  std::vector<int32_t> out_of(n_in, -1);  // input series -> its output series
  out->is_scalar = false;
  out->series.clear();
  // Per step: the present inputs in materialized order, then per group its members.
  std::vector<std::pair<uint32_t, uint32_t>> present;  // (order key, input series)
  std::vector<std::vector<uint32_t>> members(group_index.size());
  std::vector<uint32_t> groups_seen;
  std::vector<uint32_t> order;  // a group's members by rank, reused across groups and steps
  for (size_t i = 0; i < num_steps; ++i) {
    const int64_t want = AggregateKParam(k[i], op_name.c_str());
    if (want < 1) continue;
    present.clear();
    for (size_t s = 0; s < n_in; ++s) {
      const StepSeries& series = in.series[s];
      if (!series.present[i]) continue;
      const uint32_t key = series.rank.empty() ? static_cast<uint32_t>(s) : series.rank[i];
      present.push_back({key, static_cast<uint32_t>(s)});
    }
    if (ranked) {
      std::stable_sort(present.begin(), present.end(),
                       [](const auto& x, const auto& y) { return x.first < y.first; });
    }
    groups_seen.clear();
    for (const auto& [key, s] : present) {
      std::vector<uint32_t>& m = members[group_of[s]];
      if (m.empty()) groups_seen.push_back(group_of[s]);
      m.push_back(s);
    }
    uint32_t position = 0;
    for (uint32_t g : groups_seen) {
      std::vector<uint32_t>& m = members[g];
      const size_t take = std::min<size_t>(m.size(), static_cast<size_t>(want));
      if (sorted) {
        // Members are in materialized order; ties keep it (the per-step evaluator's stable
        // sort), so order by value, then by that position.
        order.resize(m.size());
        for (size_t j = 0; j < m.size(); ++j) order[j] = static_cast<uint32_t>(j);
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take),
                          order.end(), [&](uint32_t x, uint32_t y) {
                            const double vx = in.series[m[x]].values[i];
                            const double vy = in.series[m[y]].values[i];
                            if (RanksBefore(vx, vy, top)) return true;
                            if (RanksBefore(vy, vx, top)) return false;
                            return x < y;
                          });
        for (size_t j = 0; j < take; ++j) order[j] = m[order[j]];
        m.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take));
      } else {
        m.resize(take);
      }
      for (uint32_t s : m) {
        if (out_of[s] < 0) {
          if ((out->series.size() + 1) * num_steps > max_points) return false;
          out_of[s] = static_cast<int32_t>(out->series.size());
          StepSeries o;
          o.metric = in.series[s].metric;
          o.values.assign(num_steps, 0);
          o.present.assign(num_steps, 0);
          o.rank.assign(num_steps, 0);
          out->series.push_back(std::move(o));
        }
        StepSeries& o = out->series[static_cast<size_t>(out_of[s])];
        o.values[i] = in.series[s].values[i];
        o.present[i] = 1;
        o.rank[i] = position++;
      }
      m.clear();
    }
  }
  return true;
}

}  // namespace strata::collector::promql
