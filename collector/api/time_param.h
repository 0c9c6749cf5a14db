#pragma once

// Parsing of the time parameters of the Prometheus HTTP API (`time`, `start`, `end`), accepting
// what Prometheus accepts:
//   - Unix seconds as a decimal float ("1700000000", "1700000000.123", "1.7e9"); the fraction is
//     rounded to milliseconds;
//   - RFC 3339 with optional fractional seconds and a Z or ±hh:mm offset
//     ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123+02:00"); digits past milliseconds are
//     truncated;
//   - the two strings Prometheus clients send for "the beginning/end of time"
//     (kMinTimeString, kMaxTimeString), mapped to kMinTimeMs / kMaxTimeMs.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::collector::api {

// Prometheus' minimum and maximum timestamps (ms), used as defaults for open ranges.
inline constexpr int64_t kMinTimeMs = (INT64_MIN / 1000 + 62135596801) * 1000;
inline constexpr int64_t kMaxTimeMs = (INT64_MAX / 1000 - 62135596801) * 1000 + 999;
inline constexpr std::string_view kMinTimeString = "-292273086-05-16T16:47:06Z";
inline constexpr std::string_view kMaxTimeString = "292277025-08-18T07:12:54.999999999Z";

// Milliseconds since the Unix epoch. InvalidArgument `cannot parse "<text>" to a valid
// timestamp` when the text is none of the forms above or lies outside [kMinTimeMs, kMaxTimeMs].
absl::StatusOr<int64_t> ParseTimeParam(std::string_view text);

}  // namespace strata::collector::api
