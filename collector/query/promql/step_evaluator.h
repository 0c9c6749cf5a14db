#pragma once

// Whole-grid evaluation for range queries. The per-step evaluator (evaluator.h) evaluates the
// tree once per step, building, hashing and copying label sets every time; dashboards' queries
// (selectors, rate and the *_over_time family, sum/avg/min/max/count by, topk/bottomk/limitk,
// arithmetic with scalars and one-to-one vector matching) need label work only once per series.
// For those subtrees the step evaluator computes the value at every step in one pass per series
// (two-pointer windows over the loaded samples, per-group accumulators per step) and hands the
// results to the evaluator, which then reads them instead of evaluating those subtrees
// (Evaluator::Eval).
//
// Semantics are the per-step evaluator's by construction: the kernels reuse its window functions
// (RangeFnValue), accumulators (AggregateAccumulator), element operators (ElementBinaryOp) and
// label rules (DropMetricName, Signature, ResultMetric). Wherever a per-step error could arise —
// two series that would end up with the same labels, a matching group with more than one series
// on a side — the node is left to the per-step evaluator, which raises Prometheus' error at the
// step it occurs, if it does. A node whose value would hold more than kMaxPoints points is also
// left to it, to bound memory.
//
// Selectors and range functions read storage one series at a time (Evaluator::StreamSeries) and
// hand each computed series on at once. Under an accumulator aggregation (sum/avg/... by) the
// aggregation consumes them directly (FusedAggregation), so neither the samples nor the step
// values of the input vector are ever held whole: memory is one series plus the groups.

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "collector/query/promql/ast.h"
#include "collector/query/promql/evaluator.h"
#include "collector/query/promql/step_value.h"

namespace strata::collector::promql {

class StepEvaluator {
 public:
  // Bound on one node's value (series x steps), about 9 bytes a point.
  static constexpr size_t kMaxPoints = 16 * 1024 * 1024;

  // `ev` must have been prepared for the whole grid.
  StepEvaluator(Evaluator& ev, const StepGrid& grid) : ev_(ev), grid_(grid) {}

  // Computes every subtree of `root` it can and stores the results in the evaluator (a parent's
  // kernel consumes its children's values). True when `root` itself was computed: take it with
  // Evaluator::TakePrecomputed(root).
  bool Precompute(const Expr& root) { return Visit(root); }

 private:
  bool Visit(const Expr& expr);

  // Receives each computed series of a streamed node as soon as it is ready; the kernel reuses
  // the series afterwards unless the sink moves from it. False from the sink ends the stream.
  using SeriesSink = absl::FunctionRef<bool(StepSeries& series)>;
  // A selector or a range function (over a matrix selector): the nodes read from storage.
  static bool IsStreamable(const Expr& expr);
  // Computes such a node (visiting its scalar arguments first) and streams its series to `sink`;
  // false when it is left to the per-step evaluator or the sink ended the stream.
  bool Stream(const Expr& expr, SeriesSink sink);
  bool StreamSelector(const VectorSelector& vs, SeriesSink sink);
  bool StreamRangeCall(const Call& call, SeriesSink sink);
  // Each computes `expr` from its already computed children (or from loaded data) and stores it;
  // false when this node is left to the per-step evaluator.
  // Stores the series `stream` produces as the value of `expr` (a selector or range function).
  bool Collect(const Expr& expr, absl::FunctionRef<bool(SeriesSink)> stream);
  bool Aggregation(const Aggregate& agg, const Expr& expr);
  // topk, bottomk or limitk of computed children (step_selection.h).
  bool Selection(const Aggregate& agg, const Expr& expr);
  // An accumulator aggregation of a streamable node, folding each series in as it is streamed.
  bool FusedAggregation(const Aggregate& agg, const Expr& expr);
  bool UnaryOp(const Unary& unary, const Expr& expr);
  bool BinaryOpNode(const Binary& binary, const Expr& expr);
  bool VectorVector(const Binary& binary, StepValue lhs, StepValue rhs, const Expr& expr);

  // A new vector series for this grid, everything absent.
  StepSeries NewSeries(common::Labels metric) const;
  // Makes `s` such a series again, reusing its buffers.
  void Reset(StepSeries& s, common::Labels metric) const;
  bool Fits(size_t series) const { return series * grid_.num_steps <= kMaxPoints; }

  Evaluator& ev_;
  const StepGrid grid_;
};

}  // namespace strata::collector::promql
