#include "common/config/duration.h"

#include <limits>

namespace strata::common {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ms;
};
// Ordered largest first; "ms" must be tried before "m" when matching.
constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                           {"w", 7LL * 24 * 3600 * 1000},
                           {"d", 24LL * 3600 * 1000},
                           {"h", 3600LL * 1000},
                           {"m", 60LL * 1000},
                           {"s", 1000},
                           {"ms", 1}};

}  // namespace

bool ParseDurationMs(std::string_view text, int64_t* out_ms) {
  if (text.empty()) return false;
  if (text == "0") {
    *out_ms = 0;
    return true;
  }
  int64_t total = 0;
  int last_unit = -1;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return false;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > std::numeric_limits<int64_t>::max() / 10) return false;
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    int unit = -1;
    if (text.substr(i, 2) == "ms") {
      unit = 6;
    } else if (i < text.size()) {
      for (int u = 0; u < 6; ++u) {
        if (text[i] == kUnits[u].suffix[0]) unit = u;
      }
    }
    if (unit < 0 || unit <= last_unit) return false;
    i += kUnits[unit].suffix.size();
    if (n > (std::numeric_limits<int64_t>::max() - total) / kUnits[unit].ms) return false;
    total += n * kUnits[unit].ms;
    last_unit = unit;
  }
  *out_ms = total;
  return true;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out.push_back('-');
    ms = -ms;
  }
  // Only h, m, s, ms: days and weeks read less well in configs than "72h".
  for (int u : {3, 4, 5, 6}) {
    int64_t n = ms / kUnits[u].ms;
    if (n > 0) {
      out += std::to_string(n);
      out += kUnits[u].suffix;
      ms -= n * kUnits[u].ms;
    }
  }
  return out;
}

}  // namespace strata::common
