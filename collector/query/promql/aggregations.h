#pragma once

// Aggregation operators (sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk,
// count_values, quantile, limitk, limit_ratio) over one instant vector, with Prometheus 3.x
// semantics:
//   - groups are formed by the `by` labels, or by all labels except the `without` ones and
//     __name__; the result of most operators carries only the grouping labels;
//   - topk, bottomk and limitk keep the input series' labels (including __name__); limit_ratio too;
//   - sum and avg use Neumaier-compensated summation, avg falls back to an incremental mean when
//     the sum would overflow; min/max ignore NaN unless every value is NaN; stddev/stdvar are the
//     population statistics; quantile interpolates between values (phi < 0 -> -Inf, > 1 -> +Inf).
// Output order: groups in order of their first input series (topk/bottomk: within a group,
// best first).

#include <cstdint>
#include <string>

#include "collector/query/promql/ast.h"
#include "collector/query/promql/value.h"

namespace strata::collector::promql {

// sum, avg, count, group, min, max, stddev and stdvar: operators that fold a group's values into
// one number with AggregateAccumulator.
bool IsAccumulatorOp(AggregateOp op);

// The running state of one group of an accumulator operator, fed the group's values in input
// order: First() with the first, Add() with each further one.
struct AggregateAccumulator {
  double value = 0;  // sum / min / max / Welford M2
  double kahan_c = 0;
  double mean = 0;
  double count = 0;
  bool incremental_mean = false;

  void First(AggregateOp op, double f);
  void Add(AggregateOp op, double f);
  double Result(AggregateOp op) const;
};

// topk/bottomk's k from its parameter, saturated to int64; throws for NaN (`op` names the
// operator in the error).
int64_t AggregateKParam(double param, const char* op);
// topk's (top) or bottomk's ordering: true when a ranks before b. NaN ranks after every number.
bool RanksBefore(double a, double b, bool top);

// `param` is the scalar parameter (k, phi or ratio; ignored otherwise), `label` the label name of
// count_values. Throws EvalError for an invalid count_values label or a NaN k.
Vector EvalAggregation(const Aggregate& node, Vector input, double param, const std::string& label);

}  // namespace strata::collector::promql
