#include "common/model/float_text.h"

#include <charconv>
#include <cmath>

namespace strata::common {

std::string FormatFloatPlain(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];  // DBL_MAX in fixed notation is 309 digits
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, ptr);
}

}  // namespace strata::common
