#pragma once

// How OTLP names become Prometheus names, after the OpenTelemetry "Prometheus and OpenMetrics
// compatibility" specification and Prometheus' own OTLP translator (suffixes added, invalid
// characters escaped as underscores):
//
//   metric   every character outside [a-zA-Z0-9_:] becomes '_', runs of '_' collapse into one,
//            leading and trailing '_' are trimmed and a leading digit gets a '_' prefix; then the
//            unit's suffix is appended unless the name already ends with it, then "_total" for
//            monotonic sums (counters).
//   unit     UCUM units map to Prometheus' base-unit words: "s" seconds, "ms" milliseconds,
//            "By" bytes, "Cel" celsius, "%" percent, ...; "X/Y" becomes "X_per_Y" with Y a
//            singular word ("second", "minute", ...); annotations in braces ("{request}") are
//            dropped; "1" means a ratio: "_ratio" for gauges, nothing otherwise. Unknown units
//            are kept, escaped like a name.
//   label    every character outside [a-zA-Z0-9_] becomes '_'; a leading digit gets a "key_"
//            prefix. Two attributes that escape to the same name are joined with ';' in the
//            order of their original keys (done by the caller).

#include <string>
#include <string_view>

namespace strata::agent::otlp {

// kGauge is OTLP's Gauge; a non-monotonic Sum is kUpDownCounter (a gauge in Prometheus, but
// without the "_ratio" suffix that unit "1" gives gauges, as Prometheus' translator does it).
enum class MetricKind { kCounter, kGauge, kUpDownCounter, kHistogram, kSummary };

// The Prometheus metric name for an OTLP metric of `kind` with `name` and `unit`; "" when the
// name has no usable character.
std::string PrometheusMetricName(std::string_view name, std::string_view unit, MetricKind kind);

// The unit's suffix ("seconds", "bytes_per_second", "ratio"...), or "" when it adds none.
std::string UnitSuffix(std::string_view unit, MetricKind kind);

// The Prometheus label name for an attribute key; "" for an empty key.
std::string PrometheusLabelName(std::string_view key);

}  // namespace strata::agent::otlp
