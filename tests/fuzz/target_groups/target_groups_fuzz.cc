// Feeds arbitrary bytes to the target-group parser (file_sd files now, HTTP SD responses later)
// and checks what the scrape side relies on: every group's label names are valid, and the
// source label is added to every group, last.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/discovery/target_group.h"
#include "common/model/names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto groups = agent::discovery::ParseTargetGroups(text, "__meta_filepath", "/f.json");
  if (!groups.ok()) {
    if (groups.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (const agent::discovery::TargetGroup& g : *groups) {
    if (g.labels.empty() || g.labels.back().first != "__meta_filepath") __builtin_trap();
    for (const auto& [name, value] : g.labels) {
      if (!common::IsValidLabelName(name)) __builtin_trap();
    }
  }
  return 0;
}
