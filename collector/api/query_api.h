#pragma once

// Handlers of the Prometheus HTTP query API, independent of any HTTP framework: the server
// decodes query-string and form parameters into an ApiRequest (response.h), calls the handler
// for the path, and writes ApiResponse::status with the JSON body (Content-Type:
// application/json). Every endpoint accepts GET and form-encoded POST, except label values.
//
//   /api/v1/query               InstantQuery  (PromQL, evaluated by promql::Engine)
//   /api/v1/query_range         RangeQuery
//   /api/v1/series              Series
//   /api/v1/labels              LabelNames
//   /api/v1/label/<name>/values LabelValues
//   /api/v1/format_query        FormatQuery   (parse only)
//   /api/v1/parse_query         ParseQuery    (parse only)
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
#include <string>

#include "collector/api/response.h"
#include "collector/query/promql/engine.h"
#include "collector/storage/storage.h"
#include "common/base/clock.h"

namespace strata::collector::api {

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
  // promql::EngineOptions::read_ahead.
  bool read_ahead = true;
  // promql::EngineOptions::read_threads.
  int read_threads = 2;
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
  // `query` (required): the expression as canonical PromQL (promql::Expr::String()), a JSON
  // string. Prometheus pretty-prints instead, breaking expressions longer than 100 characters
  // over indented lines; short expressions come out the same in both. A query that does not
  // parse is 400 bad_data `invalid parameter "query": 1:5: parse error: ...`.
  ApiResponse FormatQuery(const ApiRequest& request) const;
  // `query` (required): the syntax tree as JSON in the shape of Prometheus 3.0's experimental
  // endpoint (ast_json.h). Errors as FormatQuery.
  ApiResponse ParseQuery(const ApiRequest& request) const;

 private:
  StorageReader& storage_;
  const common::Clock& clock_;
  const QueryApiOptions options_;
  promql::Engine engine_;
};

}  // namespace strata::collector::api
