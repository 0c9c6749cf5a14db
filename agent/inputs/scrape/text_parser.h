#pragma once

// Parser for the Prometheus text exposition format, version 0.0.4 (the body of a
// `Content-Type: text/plain; version=0.0.4` scrape response).
//
// The input is untrusted: a malformed line never stops the parse. It is skipped, counted in
// `error_count`, and (for the first kMaxRecordedParseErrors) reported with its 1-based line
// number. Everything else in the body is still returned. The parser is a pure function with no
// shared state, so it may be called from any thread.
//
// Grammar accepted, line by line (lines end in "\n"; a trailing "\r" is dropped):
//   - empty or blank lines are ignored;
//   - `# HELP <name> <text>` and `# TYPE <name> <type>` are metadata; any other line whose first
//     non-blank character is `#` is a comment. `# HELP` or `# TYPE` with nothing after it is a
//     comment too. <type> is one of counter, gauge, histogram, summary, untyped (lower case).
//     A second HELP or a second TYPE for the same name is an error; the first one is kept.
//   - a sample: `name [ "{" label="value" { "," label="value" } [","] "}" ] value [ timestamp ]`
//     with any number of spaces or tabs before, between and after tokens. A blank is required
//     only where nothing else separates two tokens: between a bare name and the value, and
//     between the value and the timestamp.
//
// Escapes. In label values `\\`, `\"` and `\n` are unescaped; any other backslash pair is kept
// verbatim (backslash and character), as the Prometheus server does. In HELP text `\\` and `\n`
// are unescaped and every other pair is kept verbatim. Label values must be valid UTF-8.
//
// Values use Go's strconv.ParseFloat syntax (decimal with optional sign, fraction and exponent;
// `NaN`, `Inf`, `+Inf`, `-Inf`, `Infinity` in any letter case; a sign is not allowed on NaN).
// Hexadecimal floats and digit-separating underscores are rejected. A value too large for a
// double is an error; one too small becomes zero. Timestamps are base-10 int64 milliseconds
// with an optional sign.
//
// A label set may not name `__name__` (the metric name is the name before the braces), and may
// not name one label twice. Empty label values are accepted and, as everywhere in Strata, mean
// "no label" (common::Labels drops them).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/labels.h"

namespace strata::agent::scrape {

enum class MetricType {
  kUntyped,
  kCounter,
  kGauge,
  kHistogram,
  kSummary,
  // OpenMetrics only:
  kGaugeHistogram,
  kInfo,
  kStateSet,
};

struct ParsedSample {
  common::Labels labels;  // Includes __name__. Empty when the series was known (KnownSeries).
  double value = 0;
  std::optional<int64_t> timestamp_ms;  // Absent when the line carries no timestamp.
  // The series as written on its line, from the metric name through the closing brace (or the
  // bare name): a key for the caller's cache. Borrows from the parsed text.
  std::string_view series;
};

// The series a caller already holds labels for: its cache of an earlier scrape of the same
// target. A line whose series text is known comes back with empty `labels`. The same bytes
// parsed and validated before, so they are neither parsed nor checked again, and nothing is
// allocated for them; only the value and timestamp are read.
class KnownSeries {
 public:
  virtual ~KnownSeries() = default;
  virtual bool Contains(std::string_view series) const = 0;
};

// HELP and TYPE of one metric family, merged; one entry per name, in order of first mention.
struct MetricMetadata {
  std::string name;
  MetricType type = MetricType::kUntyped;
  std::string help;
};

struct ParseError {
  int line = 0;  // 1-based.
  std::string message;
};

inline constexpr size_t kMaxRecordedParseErrors = 10;

struct ParseResult {
  std::vector<ParsedSample> samples;
  std::vector<MetricMetadata> metadata;
  uint64_t error_count = 0;        // Every rejected line.
  std::vector<ParseError> errors;  // The first kMaxRecordedParseErrors of them.
};

// Parses a whole exposition body. Never fails as a whole: bad lines are reported in the result.
ParseResult ParseTextExposition(std::string_view text, const KnownSeries* known = nullptr);

// OpenMetrics 1.0 (`Content-Type: application/openmetrics-text; version=1.0.0`), with the same
// line-by-line recovery. What differs from the text format:
//   - metadata lines are `# HELP`, `# TYPE`, `# UNIT`; types add gaugehistogram, info, stateset
//     and unknown (for untyped); any other `#` line is an error;
//   - the body ends with `# EOF`: lines after it are errors, and a body without it counts one
//     error (its samples are still returned: a truncated scrape keeps what arrived);
//   - a timestamp is in seconds, possibly fractional (kept to the millisecond);
//   - a sample may end in an exemplar, ` # {labels} value [timestamp]`, which is checked for
//     shape and skipped;
//   - `_created` samples are returned as series of their own, as Prometheus 2.x ingests them.
ParseResult ParseOpenMetrics(std::string_view text, const KnownSeries* known = nullptr);

// True when a scrape response's Content-Type names OpenMetrics.
bool IsOpenMetricsContentType(std::string_view content_type);

}  // namespace strata::agent::scrape
