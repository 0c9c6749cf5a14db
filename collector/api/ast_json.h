#pragma once

// A PromQL syntax tree as JSON, in the shape Prometheus 3.0's experimental /api/v1/parse_query
// returns (its web UI's tree view reads it). Every node is an object with a "type" and, as Go
// marshals maps, its keys in alphabetical order:
//
//   aggregation     expr, grouping ([] when none), op ("sum", "topk", ...), param (node|null),
//                   without
//   binaryExpr      bool, lhs, matching ({card, include, labels, on} between two instant
//                   vectors, else null; card is "one-to-one", "many-to-one", "one-to-many" or
//                   "many-to-many"), op ("+", "==", "and", "atan2", ...), rhs
//   call            args, func ({argTypes, name, returnType, variadic})
//   matrixSelector  matchers, name, offset, range, startOrEnd, timestamp
//   subquery        expr, offset, range, startOrEnd, step (0 = default interval), timestamp
//   numberLiteral   val (a string: "1", "0.5", "+Inf", "NaN"; never an exponent)
//   parenExpr       expr
//   stringLiteral   val
//   unaryExpr       expr, op ("-" or "+")
//   vectorSelector  matchers, name, offset, startOrEnd, timestamp
//
// Durations and offsets are integer milliseconds; `timestamp` is the @ time in milliseconds or
// null; `startOrEnd` is "start", "end" or null. A matcher is {name, type ("=", "!=", "=~", "!~"),
// value}; as in Prometheus, the `__name__` matcher of a name written before the braces comes
// last. Fields later 3.x releases added for experimental syntax Strata does not parse
// (anchored/smoothed selectors, fill values) are not emitted.

#include <string>

#include "collector/query/promql/ast.h"

namespace strata::collector::api {

// The tree as a JSON object (already serialized).
std::string AstJson(const promql::Expr& expr);

}  // namespace strata::collector::api
