#include "collector/query/promql/step_aggregator.h"

#include <tuple>
#include <utility>

#include "collector/query/promql/eval_helpers.h"

namespace strata::collector::promql {

StepAggregator::StepAggregator(const Aggregate& a, size_t num_steps, size_t max_points)
    : a_(a), num_steps_(num_steps), max_points_(max_points) {}

bool StepAggregator::Add(const StepSeries& s, size_t index) {
  const size_t n = num_steps_;
  auto [it, inserted] =
      group_index_.try_emplace(GroupingKey(s.metric, a_.grouping, !a_.without, true),
                               static_cast<uint32_t>(group_labels_.size()));
  if (inserted) {
    const size_t groups = group_labels_.size() + 1;
    if (groups * 4 * n > max_points_) return false;
    group_labels_.push_back(GroupingLabels(s.metric, a_.grouping, !a_.without, true));
    acc_.resize(groups * n);
    first_.resize(groups * n, kNoRank);
  }
  const size_t base = static_cast<size_t>(it->second) * n;
  AggregateAccumulator* acc = acc_.data() + base;
  uint32_t* first = first_.data() + base;
  if (a_.op == AggregateOp::kSum && s.rank.empty()) {
    // The common case, with AggregateAccumulator's sum inlined (the same arithmetic).
    const uint32_t key = static_cast<uint32_t>(index);
    for (size_t i = 0; i < n; ++i) {
      if (!s.present[i]) continue;
      if (first[i] == kNoRank) {
        first[i] = key;
        acc[i].First(AggregateOp::kSum, s.values[i]);
      } else {
        if (key < first[i]) first[i] = key;
        acc[i].count += 1;
        std::tie(acc[i].value, acc[i].kahan_c) =
            KahanSumInc(s.values[i], acc[i].value, acc[i].kahan_c);
      }
    }
    return true;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!s.present[i]) continue;
    const uint32_t key = s.rank.empty() ? static_cast<uint32_t>(index) : s.rank[i];
    if (first[i] == kNoRank) {
      first[i] = key;
      acc[i].First(a_.op, s.values[i]);
    } else {
      if (key < first[i]) first[i] = key;
      acc[i].Add(a_.op, s.values[i]);
    }
  }
  return true;
}

StepValue StepAggregator::Finish() {
  const size_t n = num_steps_;
  StepValue out;
  for (size_t g = 0; g < group_labels_.size(); ++g) {
    StepSeries series;
    series.metric = std::move(group_labels_[g]);
    series.values.assign(n, 0);
    series.present.assign(n, 0);
    series.rank.assign(n, 0);
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      const size_t k = g * n + i;
      if (first_[k] == kNoRank) continue;
      series.values[i] = acc_[k].Result(a_.op);
      series.present[i] = 1;
      series.rank[i] = first_[k];
      any = true;
    }
    if (any) out.series.push_back(std::move(series));
  }
  return out;
}

}  // namespace strata::collector::promql
