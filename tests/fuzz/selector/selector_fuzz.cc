// Fuzzes ParseSeriesSelector: it must never crash, and every accepted selector must (a) contain a
// matcher that rejects the empty string and (b) survive a round trip through
// LabelMatcher::ToString, which re-renders it as a `{name op "value", ...}` selector.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collector/query/selector_parser.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // long inputs only slow the search down
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto matchers = strata::collector::ParseSeriesSelector(text);
  if (!matchers.ok()) {
    Check(!matchers.status().message().empty());
    return 0;
  }
  bool non_empty = false;
  std::string rendered = "{";
  bool renderable = true;
  for (const auto& m : *matchers) {
    non_empty = non_empty || !m.MatchesEmpty();
    // ToString escapes only '"' and '\\'; a raw newline would end the string literal.
    if (m.value().find('\n') != std::string::npos) renderable = false;
    rendered += m.ToString() + ",";
  }
  rendered += "}";
  Check(non_empty);
  if (!renderable) return 0;

  auto again = strata::collector::ParseSeriesSelector(rendered);
  Check(again.ok());
  Check(again->size() == matchers->size());
  for (size_t i = 0; i < again->size(); ++i) {
    Check((*again)[i].name() == (*matchers)[i].name());
    Check((*again)[i].op() == (*matchers)[i].op());
    Check((*again)[i].value() == (*matchers)[i].value());
  }
  return 0;
}
