#pragma once

// A sample is (timestamp in ms since the Unix epoch, float64 value). The Prometheus staleness
// marker is one particular NaN bit pattern; it is kept as data and never confused with a
// user-supplied NaN.

#include <bit>
#include <cstdint>
#include <vector>

#include "common/model/labels.h"

namespace strata::common {

struct Sample {
  int64_t timestamp_ms = 0;
  double value = 0;
};

inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

// One sample of one series, as inputs emit them.
struct SeriesSample {
  Labels labels;
  Sample sample;
};

using SampleBatch = std::vector<SeriesSample>;

}  // namespace strata::common
