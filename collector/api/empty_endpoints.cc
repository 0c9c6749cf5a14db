#include "collector/api/empty_endpoints.h"

#include <charconv>
#include <cstdint>
#include <string>

#include "collector/api/time_param.h"
#include "collector/query/promql/parser.h"

namespace strata::collector::api {
namespace {

// Go's strconv.Atoi: an optional sign and decimal digits, nothing else.
bool IsInteger(const std::string& text) {
  int64_t v = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  return ec == std::errc() && ptr == end && begin != end;
}

}  // namespace

ApiResponse Metadata(const ApiRequest& request) {
  for (const char* name : {"limit", "limit_per_metric"}) {
    const std::string* text = FirstParam(request, name);
    if (text != nullptr && !text->empty() && !IsInteger(*text)) {
      return BadData(std::string(name) + " must be a number");
    }
  }
  return Success("{}");
}

ApiResponse QueryExemplars(const ApiRequest& request) {
  int64_t start = kMinTimeMs;
  int64_t end = kMaxTimeMs;
  for (auto [name, target] : {std::pair<const char*, int64_t*>{"start", &start},
                              std::pair<const char*, int64_t*>{"end", &end}}) {
    const std::string* text = FirstParam(request, name);
    if (text == nullptr || text->empty()) continue;
    auto t = ParseTimeParam(*text);
    if (!t.ok()) return InvalidParam(name, std::string(t.status().message()));
    *target = *t;
  }
  if (end < start) return BadData("end timestamp must not be before start timestamp");
  const std::string* query = FirstParam(request, "query");
  auto expr = promql::ParseExpr(query == nullptr ? std::string_view() : *query);
  if (!expr.ok()) return BadData(std::string(expr.status().message()));
  return Success("[]");
}

ApiResponse Rules(const ApiRequest& request) {
  const std::string* type = FirstParam(request, "type");
  if (type != nullptr && !type->empty() && *type != "alert" && *type != "record") {
    return InvalidParam("type", "not supported value \"" + *type + "\"");
  }
  return Success(R"({"groups":[]})");
}

ApiResponse Alerts(const ApiRequest&) { return Success(R"({"alerts":[]})"); }

}  // namespace strata::collector::api
