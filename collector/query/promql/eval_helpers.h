#pragma once

// Small pieces shared by the evaluator's files: the error the evaluation throws internally (the
// engine catches it at its boundary, so no exception leaves the engine), label-set helpers, and
// Neumaier-compensated (Kahan) summation as Prometheus uses it for sum, avg and regressions.

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "collector/query/promql/ast.h"
#include "collector/query/promql/value.h"
#include "common/model/float_text.h"
#include "common/model/labels.h"

namespace strata::collector::promql {

// Thrown to abort an evaluation; carries the status the query returns.
struct EvalError {
  absl::Status status;
};

// An execution error (errorType "execution") with Prometheus' message.
[[noreturn]] inline void ThrowExecution(std::string message) {
  throw EvalError{absl::FailedPreconditionError(std::move(message))};
}

inline constexpr std::string_view kDuplicateLabelsetError =
    "vector cannot contain metrics with the same labelset";

// One step of Neumaier summation: returns the new (sum, compensation). The true sum is
// sum + compensation. An infinite sum resets the compensation (it would be NaN otherwise).
inline std::pair<double, double> KahanSumInc(double inc, double sum, double c) {
  const double t = sum + inc;
  if (std::isinf(t)) {
    c = 0;
  } else if (std::fabs(sum) >= std::fabs(inc)) {
    c += (sum - t) + inc;
  } else {
    c += (inc - t) + sum;
  }
  return {t, c};
}

// a - b, saturating at the int64 limits (times shifted by huge offsets).
inline int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return r;
}

// `e` without enclosing parentheses.
inline const Expr& Unparen(const Expr& e) {
  const Expr* cur = &e;
  while (const Paren* p = cur->Cast<Paren>()) cur = p->expr.get();
  return *cur;
}

inline common::Labels DropMetricName(const common::Labels& labels) {
  if (!labels.Has(common::kMetricNameLabel)) return labels;
  return common::LabelsBuilder(labels).Del(common::kMetricNameLabel).Build();
}

// A byte string identifying the values of `names` in `labels` (on=true) or of all labels except
// `names` and, when drop_name, __name__ (on=false). Equal keys mean equal label subsets; the
// separators cannot occur in valid UTF-8.
std::string GroupingKey(const common::Labels& labels, std::span<const std::string> names, bool on,
                        bool drop_name);
// The label subset GroupingKey describes, as Labels.
common::Labels GroupingLabels(const common::Labels& labels, std::span<const std::string> names,
                              bool on, bool drop_name);
// Full identity of a label set, for duplicate checks.
std::string LabelsKey(const common::Labels& labels);

// Throws kDuplicateLabelsetError when two elements have the same labels.
void CheckNoDuplicateLabelsets(const Vector& vector);

// Go's strconv.FormatFloat(v, 'f', -1, 64), with "NaN", "+Inf", "-Inf".
using common::FormatFloatPlain;

// Prometheus' quantile of a set of values (the values are sorted in place): phi < 0 gives -Inf,
// phi > 1 +Inf, NaN or no values NaN; between samples it interpolates linearly.
double Quantile(double phi, std::span<double> values);

}  // namespace strata::collector::promql

namespace strata::collector::promql {

// Go's labels.Labels.String(): {a="b", c="d"} with Go-quoted values (used in error messages).
std::string GoLabelsString(const common::Labels& labels);

}  // namespace strata::collector::promql
