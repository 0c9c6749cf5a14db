#pragma once

// metric_id: the stable 64-bit identity of a series, used as storage key and sharding key, so it
// must never change across processes, versions or machines (tests pin known values).
//
// Definition: XXH3_64bits (seed 0) of the byte string
//   metric_name 0xFF { label_name 0xFE label_value 0xFF }*
// over the labels other than __name__ in ascending byte order of label_name. 0xFE/0xFF never occur
// in valid UTF-8, so distinct label sets cannot produce the same input string.

#include <cstdint>

#include "common/model/labels.h"

namespace strata::common {

uint64_t MetricId(const Labels& labels);

}  // namespace strata::common
