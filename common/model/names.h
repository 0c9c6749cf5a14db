#pragma once

// Metric and label name rules (Prometheus): label names match [a-zA-Z_][a-zA-Z0-9_]*, metric
// names [a-zA-Z_:][a-zA-Z0-9_:]*. Names starting with "__" are reserved for internal use.

#include <string>
#include <string_view>

namespace strata::common {

bool IsValidLabelName(std::string_view name);
bool IsValidMetricName(std::string_view name);

// Label-key normalization applied at ingestion: every character outside [a-zA-Z0-9_] becomes
// '_', and a leading digit gets a '_' prefix ("http.method" -> "http_method", "0x" -> "_0x").
// An empty key becomes "_". Valid names are returned unchanged.
std::string NormalizeLabelName(std::string_view name);

}  // namespace strata::common
