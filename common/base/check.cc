#include "common/base/check.h"

#include <cstdlib>

#include "common/base/log.h"

namespace strata::common {

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << "check failed: " << condition << " at " << file << ":" << line << ": ";
}

CheckFailure::~CheckFailure() {
  Log(LogLevel::kError, "check", stream_.str());
  std::abort();
}

}  // namespace strata::common
