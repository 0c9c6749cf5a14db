#pragma once

// metric_id: the stable 64-bit identity of a series, used as storage key and sharding key, so it
// must never change across processes, versions or machines (tests pin known values).
//
// Definition: XXH3_64bits (seed 0) of the byte string
//   metric_name 0xFF { label_name 0xFE label_value 0xFF }*
// over the labels other than __name__ in ascending byte order of label_name. 0xFE/0xFF never occur
// in valid UTF-8, so distinct label sets cannot produce the same input string.
//
// The key is assembled in a per-thread buffer and hashed in one call (XXH3's one-shot path is
// several times faster than its streaming API on keys of a few hundred bytes), so computing an id
// does not allocate once the buffer has grown to the longest key seen on the thread.

#include <cstdint>
#include <span>

#include "common/model/labels.h"

namespace strata::common {

uint64_t MetricId(const Labels& labels);
// The same id for canonical views (IsCanonical: sorted, unique names, no empty value).
uint64_t MetricId(std::span<const LabelView> canonical);

}  // namespace strata::common
