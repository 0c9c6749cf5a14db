// Feeds arbitrary bytes to the scrape parsers (text format and OpenMetrics) and checks the
// invariants callers rely on: every kept sample has a valid metric name and valid, unique,
// non-empty labels; every metadata entry names a valid metric; error bookkeeping is consistent.
// Then parses again knowing every other series (KnownSeries, the scrape loop's cache) and checks
// that this changes nothing but the labels of the known series, which are left out.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
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
    for (const auto& label : sample.labels) {
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

class SeriesSet final : public strata::agent::scrape::KnownSeries {
 public:
  bool Contains(std::string_view series) const override { return set.count(series) > 0; }
  std::set<std::string, std::less<>> set;
};

bool SameValue(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

template <typename Parse>
void CheckKnown(const strata::agent::scrape::ParseResult& first, Parse parse) {
  SeriesSet known;
  for (size_t i = 0; i < first.samples.size(); i += 2) {
    known.set.emplace(first.samples[i].series);
  }
  const strata::agent::scrape::ParseResult again = parse(&known);
  if (again.samples.size() != first.samples.size()) __builtin_trap();
  if (again.error_count != first.error_count) __builtin_trap();
  for (size_t i = 0; i < first.samples.size(); ++i) {
    const auto& a = first.samples[i];
    const auto& b = again.samples[i];
    if (a.series != b.series || !SameValue(a.value, b.value) || a.timestamp_ms != b.timestamp_ms) {
      __builtin_trap();
    }
    if (known.Contains(a.series) ? !b.labels.empty() : b.labels != a.labels) __builtin_trap();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using strata::agent::scrape::KnownSeries;
  const strata::agent::scrape::ParseResult text_result =
      strata::agent::scrape::ParseTextExposition(text);
  Check(text_result, size);
  CheckKnown(text_result, [&](const KnownSeries* k) {
    return strata::agent::scrape::ParseTextExposition(text, k);
  });
  const strata::agent::scrape::ParseResult om_result =
      strata::agent::scrape::ParseOpenMetrics(text);
  Check(om_result, size);
  CheckKnown(om_result, [&](const KnownSeries* k) {
    return strata::agent::scrape::ParseOpenMetrics(text, k);
  });
  return 0;
}
