#pragma once

// Functions over an instant vector that work element by element or reorder it: the math set
// (abs, ceil, floor, exp, ln, log2, log10, sqrt, sgn, round, clamp, clamp_min, clamp_max, deg,
// rad, trigonometric functions), date functions in UTC (day_of_week, day_of_month, day_of_year,
// days_in_month, hour, minute, month, year), and sort/sort_desc (NaN last). All drop __name__
// except the sort functions.

#include <cstdint>
#include <span>
#include <string_view>

#include "collector/query/promql/value.h"

namespace strata::collector::promql {

bool IsInstantFunction(std::string_view name);

// `scalars` are the scalar arguments after the vector (round's to_nearest, clamp's bounds).
Vector EvalInstantFunction(std::string_view name, Vector vector, std::span<const double> scalars);

}  // namespace strata::collector::promql
