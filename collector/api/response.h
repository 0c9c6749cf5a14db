#pragma once

// What every Prometheus API handler takes and returns, and the JSON envelope they share.
//
// The server decodes query-string and form parameters into an ApiRequest, calls a handler, and
// writes ApiResponse::status with the body as application/json. Bodies are written by hand
// rather than through a JSON library so that numbers come out exactly as Prometheus writes them
// and strings are escaped like Go's encoding/json, which keeps our responses byte-comparable
// with golden Prometheus output:
//   {"status":"success","data":<data>[,"warnings":[...]]}
//   {"status":"error","errorType":"bad_data"|"execution"|...,"error":"..."}

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace strata::collector::api {

struct ApiRequest {
  // Query-string and form parameters merged; repeated keys (match[]) keep their order.
  std::multimap<std::string, std::string> params;
};

struct ApiResponse {
  int status = 200;
  std::string body;
};

inline constexpr int kStatusBadData = 400;
inline constexpr int kStatusExecution = 422;

// Appends `s` as a JSON string literal escaped as Go's encoding/json does: control characters,
// the HTML characters < > &, U+2028/U+2029, and invalid UTF-8 (as U+FFFD).
void AppendJsonString(std::string& out, std::string_view s);
std::string JsonString(std::string_view s);
// ["a","b",...]
std::string JsonStringArray(const std::vector<std::string>& values);

// A success envelope around already-serialized JSON; `truncated` adds Prometheus' limit warning.
ApiResponse Success(std::string_view data_json, bool truncated = false);
// The same envelope built in place, for large results: append the data to SuccessBegin() and
// pass the string to SuccessEnd().
std::string SuccessBegin();
ApiResponse SuccessEnd(std::string body, bool truncated = false);
ApiResponse Error(int status, std::string_view error_type, std::string_view message);
// 400 bad_data.
ApiResponse BadData(std::string_view message);
// 400 bad_data `invalid parameter "<param>": <message>`.
ApiResponse InvalidParam(std::string_view param, std::string_view message);
// 422 execution.
ApiResponse Execution(std::string_view message);

// The first value of parameter `name`, or nullptr when absent.
const std::string* FirstParam(const ApiRequest& request, const std::string& name);
// Every value of `name`, in request order.
std::vector<std::string> AllParams(const ApiRequest& request, const std::string& name);

}  // namespace strata::collector::api
