#pragma once

// The values a PromQL expression evaluates to, as the evaluator and the engine's callers see them:
//
//   Scalar   one float (at the evaluation time)
//   String   one string (only a string literal at the top level produces one)
//   Vector   an instant vector: one float per series, all at the same evaluation time
//   Matrix   a range vector, or the result of a range query: per series, points in time order
//
// Values are plain owning structs; nothing refers into storage. Labels carry the metric name as
// `__name__` (common/model/labels.h).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::collector::promql {

// A sample as the evaluator sees it: {timestamp_ms, value}. The same type as storage returns, so
// a series' samples are evaluated in the buffer they were decoded into, without a copy.
using Point = common::Sample;

// One element of an instant vector. `t` is the evaluation time, except for elements coming
// straight from a vector selector, where it is the timestamp of the selected sample (only
// timestamp() looks at it).
struct VectorElement {
  common::Labels metric;
  double v = 0;
  int64_t t = 0;
};
using Vector = std::vector<VectorElement>;

struct Series {
  common::Labels metric;
  std::vector<Point> points;  // sorted by time
};
using Matrix = std::vector<Series>;

struct Scalar {
  double v = 0;
};

struct String {
  std::string v;
};

using Value = std::variant<Scalar, String, Vector, Matrix>;

}  // namespace strata::collector::promql
