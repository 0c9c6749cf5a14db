#pragma once

// Floats as Prometheus writes them in label values (`le`, `quantile`, count_values): Go's
// strconv.FormatFloat(v, 'f', -1, 64), the shortest fixed-point decimal that reads back as `v`
// ("0.1", "1", "0.000025"), with "NaN", "+Inf" and "-Inf".

#include <string>

namespace strata::common {

std::string FormatFloatPlain(double v);

}  // namespace strata::common
