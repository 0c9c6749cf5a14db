#pragma once

// The PromQL parser: query text in, a type-checked syntax tree (ast.h) out. This is the whole
// Prometheus 3 expression grammar: selectors with = != =~ !~ matchers (and the quoted UTF-8
// forms `{"metric.name", "label.name"="v"}`), range selectors, subqueries, offset (negative
// too) and @ (a timestamp, start() or end()) modifiers, number, duration and string literals,
// unary and binary operators with Prometheus' precedence and `bool`/on/ignoring/group_left/
// group_right modifiers, aggregations with by/without before or after the arguments, function
// calls checked against the function table (functions.h), and `#` comments.
//
// Precedence, lowest first: `or`; `and` `unless`; `==` `!=` `<=` `<` `>=` `>`; `+` `-`;
// `*` `/` `%` `atan2`; `^` (right-associative). Unary `+`/`-` binds like `*`, so `-2^2` is -4
// and `-a * b` is (-a) * b. `offset`, `@` and `[...]` bind to the expression right before them.
// Numbers and durations are interchangeable as in Prometheus 3: `1h` is the scalar 3600 and
// `foo[90]` is `foo[1m30s]`.
//
// After parsing, the tree is type-checked as Prometheus does (function argument types and
// counts, aggregation parameters, scalar comparisons need `bool`, set operators only between
// instant vectors, selectors need a matcher that does not match the empty string, ...).
//
// Errors: InvalidArgument whose message is Prometheus' text, prefixed with the 1-based
// line:column (byte column) of the offending token, e.g.
//   1:8: parse error: unexpected end of input
//   1:6: parse error: expected type range vector in call to function "rate", got instant vector
// Only the first error is reported. Hostile input cannot exhaust the stack: parentheses, unary
// operators and call/aggregation arguments nest at most kMaxNestingDepth levels and the tree is
// at most kMaxTreeDepth (ast.h) deep; deeper input is rejected with an error. At those limits a
// parse needs about half a megabyte of stack in an unoptimized build, far less when optimized.
//
// ParseExpr is a pure function of its input and safe to call from any thread.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "collector/query/promql/ast.h"

namespace strata::collector::promql {

inline constexpr int kMaxNestingDepth = 256;

// Parses and type-checks one PromQL expression.
absl::StatusOr<ExprPtr> ParseExpr(std::string_view input);

// Parses a Prometheus duration ("1h30m", "500ms", "1y2w"; units y w d h m s ms, largest first,
// each at most once) into milliseconds. Errors use Prometheus' wording ("not a valid duration
// string: \"1x\"", "duration out of range"), without a position.
absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

}  // namespace strata::collector::promql
