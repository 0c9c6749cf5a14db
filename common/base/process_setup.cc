#include "common/base/process_setup.h"

#include <malloc.h>

#include <cstdlib>

#include "absl/synchronization/mutex.h"

namespace strata::common {

void ApplyProcessDefaults() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

bool LimitMallocArenas(int arenas) {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr || arenas < 1) return false;
  return mallopt(M_ARENA_MAX, arenas) == 1;
}

}  // namespace strata::common
