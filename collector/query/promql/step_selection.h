#pragma once

// The whole-grid form of topk, bottomk and limitk (with by/without): at every step, each group's
// k best input series (topk: highest, bottomk: lowest, NaN last; limitk: the first k), exactly
// as EvalAggregation picks them from the vector the per-step evaluator would materialize there.
// The result holds the input series that are picked at some step, with their own labels and a
// value only where picked; their ranks give the per-step output order (groups in order of first
// appearance, best first within a group).
//
// Without it a range query over topk materializes the input vector at every step, copying
// every label set once per step.

#include <cstddef>
#include <span>

#include "collector/query/promql/ast.h"
#include "collector/query/promql/step_value.h"

namespace strata::collector::promql {

// True for the operators SelectAtSteps computes.
bool IsSelectionOp(AggregateOp op);

// `k` is the parameter at each step (num_steps values). Throws Prometheus' error for a NaN k, at
// the first step with one, like the per-step evaluator. False (nothing computed) when the result
// would hold more than `max_points` points.
bool SelectAtSteps(const Aggregate& a, const StepValue& in, std::span<const double> k,
                   size_t num_steps, size_t max_points, StepValue* out);

}  // namespace strata::collector::promql
