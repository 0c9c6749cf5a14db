#pragma once

// Binary operators between scalars and instant vectors, as in Prometheus 3.x:
//   - arithmetic (+ - * / % ^ atan2) drops __name__ from vector results;
//   - comparisons filter (keeping the left-hand value and the metric name) or, with `bool`,
//     return 0/1 and drop __name__;
//   - vector/vector operations match series one-to-one on all labels but __name__ (or on(...)/
//     ignoring(...)), or many-to-one/one-to-many with group_left/group_right, failing with
//     Prometheus' messages when a side has duplicates;
//   - and/or/unless are many-to-many set operations on the matching labels.

#include <string>
#include <utility>

#include "collector/query/promql/ast.h"
#include "collector/query/promql/value.h"

namespace strata::collector::promql {

// Whether the vector result of op loses __name__: arithmetic, and comparisons with `bool`.
bool DropsMetricName(BinaryOp op, bool return_bool);

// The matching key of a series: the values of the on(...) labels, or of all labels except the
// ignoring(...) ones and __name__.
std::string Signature(const common::Labels& labels, const VectorMatching& m);

// The labels of the result of lhs op rhs for vector/vector operations (name dropping, on/ignoring
// for one-to-one, group_left/group_right's included labels).
common::Labels ResultMetric(const common::Labels& lhs, const common::Labels& rhs, BinaryOp op,
                            const VectorMatching& m, bool return_bool);

// The arithmetic or comparison result of l op r, and whether a filtering comparison keeps it.
std::pair<double, bool> ElementBinaryOp(BinaryOp op, double l, double r);

// l op r between vector elements: with `bool`, a comparison yields 0 or 1 and is always kept.
std::pair<double, bool> VectorElementOp(BinaryOp op, double l, double r, bool return_bool);

// vector op scalar (scalar_left false) or scalar op vector for one element; a filtering
// comparison keeps the vector's value on either side.
std::pair<double, bool> VectorScalarElementOp(BinaryOp op, double vector_value, double scalar,
                                              bool scalar_left, bool return_bool);

// scalar op scalar (comparisons must be `bool`; they yield 0 or 1).
double ScalarBinaryOp(BinaryOp op, double l, double r);

// vector op scalar (scalar_left false) or scalar op vector (scalar_left true).
Vector VectorScalarBinaryOp(BinaryOp op, Vector vector, double scalar, bool scalar_left,
                            bool return_bool);

// vector op vector with node.matching; throws EvalError on matching violations.
Vector VectorVectorBinaryOp(const Binary& node, Vector lhs, Vector rhs);

}  // namespace strata::collector::promql
