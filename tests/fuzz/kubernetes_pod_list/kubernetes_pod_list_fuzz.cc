// Feeds arbitrary bytes to the Kubernetes PodList parser (the API server's answer to a pod LIST)
// and checks what the scrape side relies on: it returns (no crash, no allocation past the
// subset parser's bounds), every group has one target and valid label names, every pod read is
// either converted or counted as skipped, and an error always says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/discovery/kubernetes_pod_list.h"
#include "common/model/names.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = agent::discovery::PodListToTargetGroups(text);
  if (!r.ok()) {
    if (r.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (r->skipped_pods > r->pods) __builtin_trap();
  for (const agent::discovery::TargetGroup& g : r->groups) {
    if (g.targets.size() != 1 || g.targets[0].empty()) __builtin_trap();
    for (const auto& [name, value] : g.labels) {
      if (!common::IsValidLabelName(name)) __builtin_trap();
    }
  }
  return 0;
}
