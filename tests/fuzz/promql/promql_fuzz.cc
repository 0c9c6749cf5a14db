// Fuzzes ParseExpr: it must never crash or exhaust the stack, every rejection must carry a
// "line:col: parse error: ..." message, and every accepted query must round-trip: its String()
// parses again, to a tree that prints the same string and has the same value type.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "collector/query/promql/parser.h"

namespace {

void Check(bool condition, const char* what, std::string_view input, std::string_view detail) {
  if (condition) return;
  std::fprintf(stderr, "%s\ninput:  %.*s\ndetail: %.*s\n", what, static_cast<int>(input.size()),
               input.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // long inputs only slow the search down
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = strata::collector::promql::ParseExpr(text);
  if (!expr.ok()) {
    const std::string message(expr.status().message());
    Check(message.find(": parse error: ") != std::string::npos, "error without position", text,
          message);
    return 0;
  }
  const std::string printed = (*expr)->String();
  auto again = strata::collector::promql::ParseExpr(printed);
  Check(again.ok(), "printed form does not parse", text,
        printed + "\n" + std::string(again.status().message()));
  const std::string reprinted = (*again)->String();
  Check(reprinted == printed, "printed form is not a fixed point", text,
        printed + "\n" + reprinted);
  Check((*again)->Type() == (*expr)->Type(), "round trip changed the type", text, printed);
  return 0;
}
