#pragma once

// /api/v1/status/tsdb in Prometheus' JSON shape: head totals and top-N cardinality lists, the
// first place to look when series explode.

#include <string>

#include "collector/api/query_api.h"
#include "collector/storage/hot/head/head.h"

namespace strata::collector::api {

// `limit` query parameter: 1..10000, default 10 (400 bad_data otherwise).
ApiResponse TsdbStatus(const hot::Head& head, const ApiRequest& request);

}  // namespace strata::collector::api
