#include "collector/query/promql/functions.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>

namespace strata::collector::promql {
namespace {

constexpr ValueType kS = ValueType::kScalar;
constexpr ValueType kV = ValueType::kVector;
constexpr ValueType kM = ValueType::kMatrix;
constexpr ValueType kStr = ValueType::kString;

struct Options {
  int variadic = 0;
  bool experimental = false;
};

constexpr Function Fn(std::string_view name, std::initializer_list<ValueType> args, ValueType ret,
                      Options options = {}) {
  Function f;
  f.name = name;
  for (ValueType t : args) f.arg_type_storage[f.num_arg_types++] = t;
  f.variadic = options.variadic;
  f.return_type = ret;
  f.experimental = options.experimental;
  return f;
}

// Sorted by name (checked in a test) so FindFunction can binary-search.
constexpr Function kFunctions[] = {
    Fn("abs", {kV}, kV),
    Fn("absent", {kV}, kV),
    Fn("absent_over_time", {kM}, kV),
    Fn("acos", {kV}, kV),
    Fn("acosh", {kV}, kV),
    Fn("asin", {kV}, kV),
    Fn("asinh", {kV}, kV),
    Fn("atan", {kV}, kV),
    Fn("atanh", {kV}, kV),
    Fn("avg_over_time", {kM}, kV),
    Fn("ceil", {kV}, kV),
    Fn("changes", {kM}, kV),
    Fn("clamp", {kV, kS, kS}, kV),
    Fn("clamp_max", {kV, kS}, kV),
    Fn("clamp_min", {kV, kS}, kV),
    Fn("cos", {kV}, kV),
    Fn("cosh", {kV}, kV),
    Fn("count_over_time", {kM}, kV),
    Fn("day_of_month", {kV}, kV, {.variadic = 1}),
    Fn("day_of_week", {kV}, kV, {.variadic = 1}),
    Fn("day_of_year", {kV}, kV, {.variadic = 1}),
    Fn("days_in_month", {kV}, kV, {.variadic = 1}),
    Fn("deg", {kV}, kV),
    Fn("delta", {kM}, kV),
    Fn("deriv", {kM}, kV),
    Fn("double_exponential_smoothing", {kM, kS, kS}, kV, {.experimental = true}),
    Fn("exp", {kV}, kV),
    Fn("floor", {kV}, kV),
    Fn("histogram_avg", {kV}, kV),
    Fn("histogram_count", {kV}, kV),
    Fn("histogram_fraction", {kS, kS, kV}, kV),
    Fn("histogram_quantile", {kS, kV}, kV),
    Fn("histogram_stddev", {kV}, kV),
    Fn("histogram_stdvar", {kV}, kV),
    Fn("histogram_sum", {kV}, kV),
    Fn("hour", {kV}, kV, {.variadic = 1}),
    Fn("idelta", {kM}, kV),
    Fn("increase", {kM}, kV),
    Fn("irate", {kM}, kV),
    Fn("label_join", {kV, kStr, kStr, kStr}, kV, {.variadic = -1}),
    Fn("label_replace", {kV, kStr, kStr, kStr, kStr}, kV),
    Fn("last_over_time", {kM}, kV),
    Fn("ln", {kV}, kV),
    Fn("log10", {kV}, kV),
    Fn("log2", {kV}, kV),
    Fn("mad_over_time", {kM}, kV, {.experimental = true}),
    Fn("max_over_time", {kM}, kV),
    Fn("min_over_time", {kM}, kV),
    Fn("minute", {kV}, kV, {.variadic = 1}),
    Fn("month", {kV}, kV, {.variadic = 1}),
    Fn("pi", {}, kS),
    Fn("predict_linear", {kM, kS}, kV),
    Fn("present_over_time", {kM}, kV),
    Fn("quantile_over_time", {kS, kM}, kV),
    Fn("rad", {kV}, kV),
    Fn("rate", {kM}, kV),
    Fn("resets", {kM}, kV),
    Fn("round", {kV, kS}, kV, {.variadic = 1}),
    Fn("scalar", {kV}, kS),
    Fn("sgn", {kV}, kV),
    Fn("sin", {kV}, kV),
    Fn("sinh", {kV}, kV),
    Fn("sort", {kV}, kV),
    Fn("sort_by_label", {kV, kStr}, kV, {.variadic = -1, .experimental = true}),
    Fn("sort_by_label_desc", {kV, kStr}, kV, {.variadic = -1, .experimental = true}),
    Fn("sort_desc", {kV}, kV),
    Fn("sqrt", {kV}, kV),
    Fn("stddev_over_time", {kM}, kV),
    Fn("stdvar_over_time", {kM}, kV),
    Fn("sum_over_time", {kM}, kV),
    Fn("tan", {kV}, kV),
    Fn("tanh", {kV}, kV),
    Fn("time", {}, kS),
    Fn("timestamp", {kV}, kV),
    Fn("vector", {kS}, kV),
    Fn("year", {kV}, kV, {.variadic = 1}),
};

}  // namespace

size_t Function::max_args() const {
  if (variadic == 0) return num_arg_types;
  if (variadic < 0) return SIZE_MAX;
  return num_arg_types - 1 + static_cast<size_t>(variadic);
}

const Function* FindFunction(std::string_view name) {
  const auto* it =
      std::lower_bound(std::begin(kFunctions), std::end(kFunctions), name,
                       [](const Function& f, std::string_view n) { return f.name < n; });
  if (it == std::end(kFunctions) || it->name != name) return nullptr;
  return it;
}

std::span<const Function> AllFunctions() { return kFunctions; }

}  // namespace strata::collector::promql
