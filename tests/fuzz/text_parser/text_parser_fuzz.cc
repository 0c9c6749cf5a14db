// Feeds arbitrary bytes to the scrape parsers (text format and OpenMetrics) and checks the
// invariants callers rely on: every kept sample has a valid metric name and valid, unique,
// non-empty labels; every metadata entry names a valid metric; error bookkeeping is consistent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/inputs/scrape/text_parser.h"
#include "common/model/names.h"

namespace {

void Check(const strata::agent::scrape::ParseResult& result, size_t size) {
  using namespace strata;

  if (result.errors.size() > agent::scrape::kMaxRecordedParseErrors) __builtin_trap();
  if (result.error_count < result.errors.size()) __builtin_trap();
  // Each accepted line yields at most one sample and each line is at least two bytes ("a 1").
  if (result.samples.size() > size / 3 + 1) __builtin_trap();
  int previous_line = 0;
  for (const agent::scrape::ParseError& error : result.errors) {
    if (error.line <= previous_line || error.message.empty()) __builtin_trap();
    previous_line = error.line;
  }
  for (const agent::scrape::ParsedSample& sample : result.samples) {
    if (!common::IsValidMetricName(sample.labels.MetricName())) __builtin_trap();
    std::string_view previous_name;
    for (const common::Label& label : sample.labels) {
      if (label.value.empty() || !common::IsValidLabelName(label.name)) __builtin_trap();
      if (!previous_name.empty() && label.name <= previous_name) __builtin_trap();
      previous_name = label.name;
    }
  }
  for (const agent::scrape::MetricMetadata& metadata : result.metadata) {
    if (!common::IsValidMetricName(metadata.name)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(strata::agent::scrape::ParseTextExposition(text), size);
  Check(strata::agent::scrape::ParseOpenMetrics(text), size);
  return 0;
}
