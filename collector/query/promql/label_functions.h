#pragma once

// label_replace, label_join and sort_by_label(_desc). They keep __name__ (unless they rewrite it)
// and throw EvalError with Prometheus' messages for an invalid regex or label name.

#include <span>
#include <string>

#include "collector/query/promql/value.h"

namespace strata::collector::promql {

// For each element whose `src` value fully matches `regex`, sets `dst` to `replacement` with
// $1/${1}/$name references expanded (an empty result removes `dst`).
Vector LabelReplace(Vector vector, const std::string& dst, const std::string& replacement,
                    const std::string& src, const std::string& regex);
// Sets `dst` to the values of `srcs` joined by `separator`.
Vector LabelJoin(Vector vector, const std::string& dst, const std::string& separator,
                 std::span<const std::string> srcs);
// Sorts by the values of `labels` in natural order (digit runs compared as numbers), ties by the
// whole label set; stable.
Vector SortByLabel(Vector vector, std::span<const std::string> labels, bool descending);

}  // namespace strata::collector::promql
