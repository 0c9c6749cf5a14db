#pragma once

// STRATA_CHECK(cond) << "context": aborts with a clear message when a condition that cannot
// fail after start-up does fail. STRATA_DCHECK is the same in debug builds and free in release.

#include <sstream>
#include <string_view>

namespace strata::common {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

}  // namespace strata::common

#define STRATA_CHECK(cond) \
  if (cond) {              \
  } else                   \
    ::strata::common::CheckFailure(__FILE__, __LINE__, #cond).stream()

#ifdef NDEBUG
#define STRATA_DCHECK(cond) \
  if (true) {               \
  } else                    \
    ::strata::common::CheckFailure(__FILE__, __LINE__, #cond).stream()
#else
#define STRATA_DCHECK(cond) STRATA_CHECK(cond)
#endif
