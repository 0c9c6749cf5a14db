#include "collector/api/query_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <span>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "collector/api/ast_json.h"
#include "collector/api/time_param.h"
#include "collector/query/promql/parser.h"
#include "collector/query/selector_parser.h"
#include "common/model/names.h"
#include "common/selfmon/metrics.h"

namespace strata::collector::api {
namespace {

// Seconds as Prometheus writes timestamps: integer seconds, then "." and exactly three digits
// when there is a millisecond part.
void AppendTimestamp(std::string& out, int64_t ms) {
  uint64_t abs_ms = static_cast<uint64_t>(ms);
  char buf[32];
  char* p = buf;
  if (ms < 0) {
    *p++ = '-';
    abs_ms = 0 - abs_ms;
  }
  p = std::to_chars(p, buf + sizeof(buf), abs_ms / 1000).ptr;
  if (const uint64_t fraction = abs_ms % 1000; fraction != 0) {
    p[0] = '.';
    p[1] = static_cast<char>('0' + fraction / 100);
    p[2] = static_cast<char>('0' + fraction / 10 % 10);
    p[3] = static_cast<char>('0' + fraction % 10);
    p += 4;
  }
  out.append(buf, p);
}

// A sample value as Prometheus' API writes it, a JSON string: NaN/+Inf/-Inf, exponent form
// below 1e-6 and from 1e21 on, plain decimal otherwise; always the shortest form that
// round-trips. None of these characters needs escaping. Per point of a range query's result,
// so formatted in place.
void AppendSampleValue(std::string& out, double v) {
  out.push_back('"');
  const double abs = std::fabs(v);
  const auto format = (abs != 0 && (abs < 1e-6 || abs >= 1e21)) ? std::chars_format::scientific
                                                                : std::chars_format::fixed;
  char buf[512];  // fixed form of doubles below 1e21 needs at most ~50 characters
  auto [ptr, ec] = std::isfinite(v) ? std::to_chars(buf, buf + sizeof(buf), v, format)
                                    : std::to_chars_result{buf, std::errc::value_too_large};
  if (ec == std::errc()) {
    out.append(buf, ptr);
  } else {
    out.append(common::FormatPromFloat(v));
  }
  out.push_back('"');
}

void AppendLabels(std::string& out, const common::Labels& labels) {
  out.push_back('{');
  bool first = true;
  for (const auto& l : labels) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, l.name);
    out.push_back(':');
    AppendJsonString(out, l.value);
  }
  out.push_back('}');
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// The parameters shared by the series and label endpoints.
struct RangeParams {
  std::vector<std::vector<LabelMatcher>> match_sets;
  int64_t start_ms = kMinTimeMs;
  int64_t end_ms = kMaxTimeMs;
  uint64_t limit = 0;  // 0: no limit
};

// Parses match[], start, end and limit; on failure fills `error` and returns false.
bool ParseRangeParams(const ApiRequest& request, RangeParams& out, ApiResponse& error) {
  for (const std::string& selector : AllParams(request, "match[]")) {
    auto matchers = ParseSeriesSelector(selector);
    if (!matchers.ok()) {
      error = InvalidParam("match[]", std::string(matchers.status().message()));
      return false;
    }
    out.match_sets.push_back(*std::move(matchers));
  }
  for (auto [name, target] : {std::pair<const char*, int64_t*>{"start", &out.start_ms},
                              std::pair<const char*, int64_t*>{"end", &out.end_ms}}) {
    const std::string* text = FirstParam(request, name);
    if (text == nullptr || text->empty()) continue;
    auto t = ParseTimeParam(*text);
    if (!t.ok()) {
      error = InvalidParam(name, std::string(t.status().message()));
      return false;
    }
    *target = *t;
  }
  if (out.end_ms < out.start_ms) {
    error = BadData("end timestamp must not be before start time");
    return false;
  }
  if (const std::string* text = FirstParam(request, "limit"); text != nullptr && !text->empty()) {
    int64_t limit = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || end != text->data() + text->size()) {
      error = InvalidParam("limit", "cannot parse " + Quote(*text) + " to a valid limit");
      return false;
    }
    if (limit < 0) {
      error = InvalidParam("limit", "limit must be non-negative");
      return false;
    }
    out.limit = static_cast<uint64_t>(limit);  // 0 disables the limit, as in Prometheus
  }
  return true;
}

// Applies `limit` to a sorted result; returns true when it truncated.
template <typename T>
bool Truncate(std::vector<T>& values, uint64_t limit) {
  if (limit == 0 || values.size() <= limit) return false;
  values.resize(limit);
  return true;
}

// Union of label names or values over the match[] sets (all series when there are none).
template <typename Fetch>
absl::StatusOr<std::vector<std::string>> UnionStrings(const RangeParams& params, Fetch&& fetch) {
  if (params.match_sets.empty()) return fetch(std::vector<LabelMatcher>{});
  std::set<std::string> merged;
  for (const auto& matchers : params.match_sets) {
    auto part = fetch(matchers);
    if (!part.ok()) return part.status();
    merged.insert(part->begin(), part->end());
  }
  return std::vector<std::string>(merged.begin(), merged.end());
}

// Prometheus' parseDuration: float seconds ("30", "1.5") or a PromQL duration ("1m30s").
absl::StatusOr<int64_t> ParseDurationParam(std::string_view text) {
  double seconds = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (!text.empty()) {
    auto [ptr, ec] = std::from_chars(begin, end, seconds);
    if (ec == std::errc() && ptr == end && std::isfinite(seconds)) {
      const double ms = seconds * 1000.0;
      if (ms >= 9.2e18 || ms <= -9.2e18) {
        return absl::InvalidArgumentError("cannot parse " + Quote(text) +
                                          " to a valid duration. It overflows int64");
      }
      return static_cast<int64_t>(ms);
    }
    auto d = promql::ParseDurationMs(text);
    if (d.ok()) return *d;
  }
  return absl::InvalidArgumentError("cannot parse " + Quote(text) + " to a valid duration");
}

// The `timeout` parameter, capped by the configured timeout; false when it does not parse.
bool ParseTimeout(const ApiRequest& request, int64_t& timeout_ms, int64_t max_timeout_ms) {
  timeout_ms = max_timeout_ms;
  const std::string* text = FirstParam(request, "timeout");
  if (text == nullptr || text->empty()) return true;
  auto d = ParseDurationParam(*text);
  if (!d.ok()) return false;
  if (*d > 0 && *d < timeout_ms) timeout_ms = *d;
  return true;
}

// An engine error as Prometheus' API reports it.
ApiResponse QueryError(const absl::Status& status) {
  const std::string message(status.message());
  switch (promql::ErrorTypeOf(status)) {
    case promql::ErrorType::kBadData:
      return InvalidParam("query", message);
    case promql::ErrorType::kTimeout:
      return Error(503, "timeout", message);
    case promql::ErrorType::kCanceled:
      return Error(499, "canceled", message);
    case promql::ErrorType::kExecution:
      break;
  }
  return Execution(message);
}

void AppendPoint(std::string& out, int64_t t, double v) {
  out.push_back('[');
  AppendTimestamp(out, t);
  out.push_back(',');
  AppendSampleValue(out, v);
  out.push_back(']');
}

// Some series of a matrix, comma-separated, the first after a comma too if `comma`.
void AppendMatrixSeries(std::string& out, std::span<const promql::Series> series, bool comma) {
  for (const promql::Series& s : series) {
    if (s.points.empty()) continue;
    if (comma) out.push_back(',');
    comma = true;
    out.append(R"({"metric":)");
    AppendLabels(out, s.metric);
    out.append(R"(,"values":[)");
    for (size_t i = 0; i < s.points.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendPoint(out, s.points[i].timestamp_ms, s.points[i].value);
    }
    out.append("]}");
  }
}

// A matrix's series. Formatting the values (shortest round-trip decimal) is most of a large
// range result's response time and runs after the evaluation: a large one is formatted in two
// halves on two threads.
void AppendMatrixJson(std::string& out, const promql::Matrix& matrix) {
  constexpr size_t kParallelPoints = 32 * 1024;
  size_t total = 0;
  for (const promql::Series& s : matrix) total += s.points.size();
  const std::span<const promql::Series> all(matrix);
  if (total < kParallelPoints || std::thread::hardware_concurrency() < 2) {
    AppendMatrixSeries(out, all, false);
    return;
  }
  // Split where half of the points are before.
  size_t split = 0;
  for (size_t seen = 0; split < matrix.size() && seen < total / 2; ++split) {
    seen += matrix[split].points.size();
  }
  bool head_nonempty = false;
  for (size_t i = 0; i < split && !head_nonempty; ++i) head_nonempty = !matrix[i].points.empty();
  std::string tail;
  tail.reserve((out.capacity() - out.size()) / 2);
  std::thread worker;
  try {
    worker = std::thread([&] { AppendMatrixSeries(tail, all.subspan(split), head_nonempty); });
  } catch (const std::system_error&) {
    AppendMatrixSeries(out, all, false);
    return;
  }
  AppendMatrixSeries(out, all.first(split), false);
  worker.join();
  out.append(tail);
}

// Bytes to reserve for a result: points at about 32 bytes (`[1796548620,"0.1234567890123"]`),
// plus a label set per series. An estimate; the string grows past it if needed.
size_t EstimatedResultBytes(const promql::Value& value) {
  size_t bytes = 64;
  if (const auto* vec = std::get_if<promql::Vector>(&value)) {
    bytes += vec->size() * 160;
  } else if (const auto* matrix = std::get_if<promql::Matrix>(&value)) {
    for (const promql::Series& series : *matrix) bytes += 160 + series.points.size() * 32;
  }
  return bytes;
}

// Appends the `data` object of a query response; `t` stamps scalars, strings and vector
// elements.
void AppendResultJson(std::string& out, const promql::Value& value, int64_t t) {
  out.reserve(out.size() + EstimatedResultBytes(value));
  if (const auto* s = std::get_if<promql::Scalar>(&value)) {
    out.append(R"({"resultType":"scalar","result":)");
    AppendPoint(out, t, s->v);
  } else if (const auto* str = std::get_if<promql::String>(&value)) {
    out.append(R"({"resultType":"string","result":[)");
    AppendTimestamp(out, t);
    out.push_back(',');
    AppendJsonString(out, str->v);
    out.push_back(']');
  } else if (const auto* vec = std::get_if<promql::Vector>(&value)) {
    out.append(R"({"resultType":"vector","result":[)");
    for (size_t i = 0; i < vec->size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(R"({"metric":)");
      AppendLabels(out, (*vec)[i].metric);
      out.append(R"(,"value":)");
      AppendPoint(out, t, (*vec)[i].v);
      out.push_back('}');
    }
    out.push_back(']');
  } else {
    const auto& matrix = std::get<promql::Matrix>(value);
    out.append(R"({"resultType":"matrix","result":[)");
    AppendMatrixJson(out, matrix);
    out.push_back(']');
  }
  out.push_back('}');
}

// A query response: the envelope is written first and the result appended to it, so a large
// result is not copied into the envelope afterwards.
ApiResponse QueryResponse(const promql::Value& value, int64_t t) {
  std::string body = SuccessBegin();
  AppendResultJson(body, value, t);
  return SuccessEnd(std::move(body));
}

ApiResponse StringListResponse(absl::StatusOr<std::vector<std::string>> values, uint64_t limit) {
  if (!values.ok()) return Execution(std::string(values.status().message()));
  const bool truncated = Truncate(*values, limit);
  return Success(JsonStringArray(*values), truncated);
}

}  // namespace

namespace {

promql::EngineOptions EngineOptionsFrom(const QueryApiOptions& options) {
  promql::EngineOptions out;
  out.lookback_delta_ms = options.lookback_delta_ms;
  out.timeout_ms = options.query_timeout_ms;
  out.max_samples = options.max_samples;
  out.read_ahead = options.read_ahead;
  out.read_threads = options.read_threads;
  return out;
}

}  // namespace

QueryApi::QueryApi(StorageReader& storage, const common::Clock& clock, QueryApiOptions options)
    : storage_(storage),
      clock_(clock),
      options_(options),
      engine_(storage, EngineOptionsFrom(options)) {}

ApiResponse QueryApi::InstantQuery(const ApiRequest& request) const {
  int64_t t = clock_.NowMs();
  if (const std::string* text = FirstParam(request, "time"); text != nullptr && !text->empty()) {
    auto parsed = ParseTimeParam(*text);
    if (!parsed.ok()) {
      // Prometheus 3.x wording (2.x capitalized "Invalid").
      return InvalidParam(
          "time", "invalid time value for 'time': " + std::string(parsed.status().message()));
    }
    t = *parsed;
  }
  int64_t timeout_ms = 0;
  if (!ParseTimeout(request, timeout_ms, options_.query_timeout_ms)) {
    return InvalidParam("timeout", "cannot parse " + Quote(*FirstParam(request, "timeout")) +
                                       " to a valid duration");
  }
  const std::string* query = FirstParam(request, "query");
  auto result = engine_.InstantQuery(query == nullptr ? std::string_view() : *query, t, timeout_ms);
  if (!result.ok()) return QueryError(result.status());
  return QueryResponse(result->value, t);
}

ApiResponse QueryApi::RangeQuery(const ApiRequest& request) const {
  int64_t start = 0;
  int64_t end = 0;
  for (auto [name, target] : {std::pair<const char*, int64_t*>{"start", &start},
                              std::pair<const char*, int64_t*>{"end", &end}}) {
    const std::string* text = FirstParam(request, name);
    auto t = ParseTimeParam(text == nullptr ? std::string_view() : *text);
    if (!t.ok()) return InvalidParam(name, std::string(t.status().message()));
    *target = *t;
  }
  if (end < start) return InvalidParam("end", "end timestamp must not be before start time");
  const std::string* step_text = FirstParam(request, "step");
  auto step = ParseDurationParam(step_text == nullptr ? std::string_view() : *step_text);
  if (!step.ok()) return InvalidParam("step", std::string(step.status().message()));
  if (*step <= 0) {
    return InvalidParam(
        "step",
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  // As Prometheus: at most 11,000 points per series.
  if ((static_cast<double>(end) - static_cast<double>(start)) / static_cast<double>(*step) >
      11000) {
    return BadData(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
        "resolution (?step=XX)");
  }
  int64_t timeout_ms = 0;
  if (!ParseTimeout(request, timeout_ms, options_.query_timeout_ms)) {
    return InvalidParam("timeout", "cannot parse " + Quote(*FirstParam(request, "timeout")) +
                                       " to a valid duration");
  }
  const std::string* query = FirstParam(request, "query");
  auto result = engine_.RangeQuery(query == nullptr ? std::string_view() : *query, start, end,
                                   *step, timeout_ms);
  if (!result.ok()) return QueryError(result.status());
  return QueryResponse(result->value, end);
}

ApiResponse QueryApi::Series(const ApiRequest& request) const {
  RangeParams params;
  ApiResponse error;
  if (!ParseRangeParams(request, params, error)) return error;
  if (params.match_sets.empty()) return BadData("no match[] parameter provided");

  std::vector<common::Labels> series;
  for (const auto& matchers : params.match_sets) {
    auto part = storage_.Series(matchers, params.start_ms, params.end_ms);
    if (!part.ok()) return Execution(std::string(part.status().message()));
    series.insert(series.end(), std::make_move_iterator(part->begin()),
                  std::make_move_iterator(part->end()));
  }
  std::sort(series.begin(), series.end());
  series.erase(std::unique(series.begin(), series.end()), series.end());

  const auto max_series = static_cast<uint64_t>(options_.max_series);
  if (series.size() > max_series && (params.limit == 0 || params.limit > max_series)) {
    return Execution("query selected " + std::to_string(series.size()) +
                     " series, more than the limit of " + std::to_string(max_series));
  }
  const bool truncated = Truncate(series, params.limit);
  std::string data = "[";
  for (size_t i = 0; i < series.size(); ++i) {
    if (i > 0) data.push_back(',');
    AppendLabels(data, series[i]);
  }
  data.push_back(']');
  return Success(data, truncated);
}

ApiResponse QueryApi::LabelNames(const ApiRequest& request) const {
  RangeParams params;
  ApiResponse error;
  if (!ParseRangeParams(request, params, error)) return error;
  return StringListResponse(UnionStrings(params,
                                         [&](const std::vector<LabelMatcher>& matchers) {
                                           return storage_.LabelNames(matchers, params.start_ms,
                                                                      params.end_ms);
                                         }),
                            params.limit);
}

ApiResponse QueryApi::LabelValues(const std::string& name, const ApiRequest& request) const {
  if (!common::IsValidLabelName(name)) return BadData("invalid label name: " + Quote(name));
  RangeParams params;
  ApiResponse error;
  if (!ParseRangeParams(request, params, error)) return error;
  return StringListResponse(UnionStrings(params,
                                         [&](const std::vector<LabelMatcher>& matchers) {
                                           return storage_.LabelValues(
                                               name, matchers, params.start_ms, params.end_ms);
                                         }),
                            params.limit);
}

ApiResponse QueryApi::FormatQuery(const ApiRequest& request) const {
  const std::string* query = FirstParam(request, "query");
  auto expr = promql::ParseExpr(query == nullptr ? std::string_view() : *query);
  if (!expr.ok()) return InvalidParam("query", std::string(expr.status().message()));
  return Success(JsonString((*expr)->String()));
}

ApiResponse QueryApi::ParseQuery(const ApiRequest& request) const {
  const std::string* query = FirstParam(request, "query");
  auto expr = promql::ParseExpr(query == nullptr ? std::string_view() : *query);
  if (!expr.ok()) return InvalidParam("query", std::string(expr.status().message()));
  return Success(AstJson(**expr));
}

}  // namespace strata::collector::api
