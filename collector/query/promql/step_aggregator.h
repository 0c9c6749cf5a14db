#pragma once

// The whole-grid form of an accumulator aggregation (sum, avg, count, group, min, max, stddev,
// stdvar with by/without): input series are added one at a time, in input-vector order, and
// folded into their group's accumulator at every step where they are present. Nothing of an
// input series is kept, so a selector or range function can feed it while streaming from
// storage (StepEvaluator's fused aggregation).
//
// Each group also records, per step, the order key of its first input series present there (the
// input's rank when it has one, else its index), which is the group's position in the output
// vector at that step, as the per-step evaluator orders it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/query/promql/aggregations.h"
#include "collector/query/promql/ast.h"
#include "collector/query/promql/step_value.h"
#include "common/model/labels.h"

namespace strata::collector::promql {

class StepAggregator {
 public:
  // `a` must be an accumulator operator without parameter; the accumulators (about four points'
  // worth each) may hold at most `max_points` points.
  StepAggregator(const Aggregate& a, size_t num_steps, size_t max_points);

  // Adds input series number `index`; false when a new group would exceed `max_points`.
  bool Add(const StepSeries& series, size_t index);

  // The groups with a value at some step, in order of first appearance, carrying order keys.
  StepValue Finish();

 private:
  static constexpr uint32_t kNoRank = UINT32_MAX;

  const Aggregate& a_;
  const size_t num_steps_;
  const size_t max_points_;
  std::unordered_map<std::string, uint32_t> group_index_;
  std::vector<common::Labels> group_labels_;
  std::vector<AggregateAccumulator> acc_;  // group * num_steps + step
  std::vector<uint32_t> first_;            // same layout; kNoRank while the group has no value
};

}  // namespace strata::collector::promql
