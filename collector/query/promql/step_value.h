#pragma once

// The value of an expression at every step of a range query's grid at once: what the step
// evaluator (step_evaluator.h) computes for the subtrees it has whole-grid kernels for, and what
// the per-step evaluator reads back one step at a time (Materialize) for the rest.
//
// A series carries its labels once, not once per step; `present[i]` says whether it has a value
// at step i. Aggregation results also remember, per step, the input index of their first member
// (`rank`), so that materialized vectors list groups in the order the per-step evaluator would.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "collector/query/promql/value.h"
#include "common/model/labels.h"

namespace strata::collector::promql {

// Evaluation times start_ms, start_ms + step_ms, ... (num_steps of them).
struct StepGrid {
  int64_t start_ms = 0;
  int64_t step_ms = 1;
  size_t num_steps = 0;

  int64_t At(size_t i) const { return start_ms + static_cast<int64_t>(i) * step_ms; }
  // The index of `t_ms` on the grid; false when it is not one of its times.
  bool IndexOf(int64_t t_ms, size_t* i) const;
};

struct StepSeries {
  common::Labels metric;
  std::vector<double> values;    // num_steps; meaningful where present
  std::vector<uint8_t> present;  // num_steps
  std::vector<uint32_t> rank;    // empty, or num_steps: the order key within a step
};

struct StepValue {
  bool is_scalar = false;
  std::vector<double> scalar;  // num_steps, when is_scalar
  std::vector<StepSeries> series;
};

// The instant value at step i (evaluation time t_ms): a Scalar, or a Vector of the series present
// there, in rank order when the series carry ranks.
Value Materialize(const StepValue& value, size_t i, int64_t t_ms);

// The range-query result: per series, the points where it is present (series with equal labels
// merged); a scalar gives one series without labels. `total_points` receives the point count.
Matrix StepValueToMatrix(StepValue value, const StepGrid& grid, int64_t* total_points);

}  // namespace strata::collector::promql
