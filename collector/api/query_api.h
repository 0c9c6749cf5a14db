#pragma once

// Handlers of the Prometheus HTTP query API, independent of any HTTP framework: the server
// decodes query-string and form parameters into an ApiRequest, calls the handler for the path,
// and writes ApiResponse::status with the JSON body (Content-Type: application/json).
//
//   /api/v1/query               InstantQuery  (PromQL, evaluated by promql::Engine)
//   /api/v1/query_range         RangeQuery
//   /api/v1/series              Series
//   /api/v1/labels              LabelNames
//   /api/v1/label/<name>/values LabelValues
//
// Bodies follow Prometheus exactly: {"status":"success","data":...[,"warnings":[...]]} or
// {"status":"error","errorType":"bad_data"|"execution"|"timeout"|"canceled","error":"..."}. Bad
// parameters and unparseable queries are 400 bad_data; evaluation errors, storage failures and
// series requests selecting more than max_series series are 422 execution; a query running past
// its timeout is 503 timeout.
//
// Threads: handlers are const with respect to QueryApi and may run concurrently; the storage
// synchronizes itself. QueryApi borrows the storage and the clock, which must outlive it.

#include <cstdint>
#include <map>
#include <string>

#include "collector/query/promql/engine.h"
#include "collector/storage/storage.h"
#include "common/base/clock.h"

namespace strata::collector::api {

struct ApiRequest {
  // Query-string and form parameters merged; repeated keys (match[]) keep their order.
  std::multimap<std::string, std::string> params;
};

struct ApiResponse {
  int status = 200;
  std::string body;
};

struct QueryApiOptions {
  // An instant selector takes the latest sample in (t - lookback_delta_ms, t].
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Series requests selecting more series than this fail with 422 instead of building a huge
  // response.
  int64_t max_series = 100000;
  // Longest a query may run; a `timeout` parameter can only shorten it.
  int64_t query_timeout_ms = 2 * 60 * 1000;
  // Samples one query may load or hold (promql::EngineOptions::max_samples).
  int64_t max_samples = 50'000'000;
};

class QueryApi {
 public:
  QueryApi(StorageReader& storage, const common::Clock& clock, QueryApiOptions options = {});

  // `query` (required): PromQL; `time` (optional, default now): evaluation time; `timeout`
  // (optional duration). The result is a vector, matrix, scalar or string as in Prometheus.
  ApiResponse InstantQuery(const ApiRequest& request) const;
  // `query`, `start`, `end`, `step` (duration or float seconds, > 0, at most 11,000 points per
  // series), `timeout`. The result is a matrix.
  ApiResponse RangeQuery(const ApiRequest& request) const;
  // `match[]` (required, repeatable; results are unioned), `start`, `end`, `limit`.
  ApiResponse Series(const ApiRequest& request) const;
  // `match[]` (optional, repeatable), `start`, `end`, `limit`.
  ApiResponse LabelNames(const ApiRequest& request) const;
  // As LabelNames, for the values of label `name`; an invalid label name is 400 bad_data.
  ApiResponse LabelValues(const std::string& name, const ApiRequest& request) const;

 private:
  StorageReader& storage_;
  const common::Clock& clock_;
  const QueryApiOptions options_;
  promql::Engine engine_;
};

}  // namespace strata::collector::api
