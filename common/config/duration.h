#pragma once

// Prometheus-style durations: one or more <number><unit> terms, units ms s m h d w y, largest
// first ("1h30m", "15s", "500ms"). Returns false on anything else.

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::common {

bool ParseDurationMs(std::string_view text, int64_t* out_ms);
// Shortest exact rendering ("1m30s", "250ms", "0s").
std::string FormatDurationMs(int64_t ms);

}  // namespace strata::common
