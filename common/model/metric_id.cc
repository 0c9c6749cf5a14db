#include "common/model/metric_id.h"

#define XXH_STATIC_LINKING_ONLY  // for XXH3_state_t on the stack
#include <xxhash.h>

namespace strata::common {

uint64_t MetricId(const Labels& labels) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  static constexpr char kValueEnd = '\xff';
  static constexpr char kNameEnd = '\xfe';
  std::string_view name = labels.MetricName();
  XXH3_64bits_update(&state, name.data(), name.size());
  XXH3_64bits_update(&state, &kValueEnd, 1);
  for (const Label& l : labels) {
    if (l.name == kMetricNameLabel) continue;
    XXH3_64bits_update(&state, l.name.data(), l.name.size());
    XXH3_64bits_update(&state, &kNameEnd, 1);
    XXH3_64bits_update(&state, l.value.data(), l.value.size());
    XXH3_64bits_update(&state, &kValueEnd, 1);
  }
  return XXH3_64bits_digest(&state);
}

}  // namespace strata::common
