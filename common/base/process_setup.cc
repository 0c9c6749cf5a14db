#include "common/base/process_setup.h"

#include "absl/synchronization/mutex.h"

namespace strata::common {

void ApplyProcessDefaults() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace strata::common
