#pragma once

// Binary operators between scalars and instant vectors, as in Prometheus 3.x:
//   - arithmetic (+ - * / % ^ atan2) drops __name__ from vector results;
//   - comparisons filter (keeping the left-hand value and the metric name) or, with `bool`,
//     return 0/1 and drop __name__;
//   - vector/vector operations match series one-to-one on all labels but __name__ (or on(...)/
//     ignoring(...)), or many-to-one/one-to-many with group_left/group_right, failing with
//     Prometheus' messages when a side has duplicates;
//   - and/or/unless are many-to-many set operations on the matching labels.

#include <utility>

#include "collector/query/promql/ast.h"
#include "collector/query/promql/value.h"

namespace strata::collector::promql {

// The arithmetic or comparison result of l op r, and whether a filtering comparison keeps it.
std::pair<double, bool> ElementBinaryOp(BinaryOp op, double l, double r);

// scalar op scalar (comparisons must be `bool`; they yield 0 or 1).
double ScalarBinaryOp(BinaryOp op, double l, double r);

// vector op scalar (scalar_left false) or scalar op vector (scalar_left true).
Vector VectorScalarBinaryOp(BinaryOp op, Vector vector, double scalar, bool scalar_left,
                            bool return_bool);

// vector op vector with node.matching; throws EvalError on matching violations.
Vector VectorVectorBinaryOp(const Binary& node, Vector lhs, Vector rhs);

}  // namespace strata::collector::promql
