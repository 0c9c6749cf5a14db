#pragma once

// Parser for PromQL series selectors, the `match[]` and (for now) `query` parameters of the HTTP
// API:
//
//   up                              metric name only
//   up{job="api", code!~"5.."}      name plus label matchers, ops = != =~ !~
//   {__name__=~"http_.*", job="a"}  matchers only
//
// Strings are "double-quoted" or 'single-quoted' with Go escapes (\\ \a \b \f \n \r \t \v, the
// enclosing quote, \xHH, \NNN octal, \uHHHH, \UHHHHHHHH) or `backquoted` (raw, no escapes).
// Whitespace and `# comments` may appear between tokens; a trailing comma inside braces is
// allowed; metric names may contain ':'. The metric name becomes a leading `__name__="..."`
// matcher.
//
// As in Prometheus a selector must contain a matcher that does not match the empty string
// (`{}` and `{a=""}` would select everything), and the metric name must not be given both
// before and inside the braces. Range (`[5m]`), `offset` and `@` suffixes and any other PromQL
// are rejected until the full PromQL engine lands.
//
// Errors are InvalidArgument with a Prometheus-style message carrying the 1-based line:column
// of the offending byte, e.g. `1:5: parse error: unexpected character inside braces: '!'`.

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "collector/storage/label_matcher.h"

namespace strata::collector {

absl::StatusOr<std::vector<LabelMatcher>> ParseSeriesSelector(std::string_view text);

}  // namespace strata::collector
