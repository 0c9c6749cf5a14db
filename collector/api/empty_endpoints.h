#pragma once

// Prometheus API endpoints for data Strata does not have (yet): they validate their parameters
// as Prometheus does and answer with a correctly shaped empty result, so clients that call them
// (Grafana's metric browser and alert list, promtool) work instead of failing on a 404.
//
//   /api/v1/metadata         Metadata        {} (no metric metadata is stored yet)
//   /api/v1/query_exemplars  QueryExemplars  [] (no exemplars are stored)
//   /api/v1/rules            Rules           {"groups":[]} (no rule evaluation)
//   /api/v1/alerts           Alerts          {"alerts":[]}
//
// Stateless; safe to call from any thread.

#include "collector/api/response.h"

namespace strata::collector::api {

// `metric`, `limit`, `limit_per_metric` (integers; anything else is 400 bad_data).
ApiResponse Metadata(const ApiRequest& request);
// `query` (must parse), `start`, `end` (optional times, end not before start).
ApiResponse QueryExemplars(const ApiRequest& request);
// `type` (optional: alert or record).
ApiResponse Rules(const ApiRequest& request);
ApiResponse Alerts(const ApiRequest& request);

}  // namespace strata::collector::api
