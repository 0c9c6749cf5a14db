#pragma once

// Process-wide settings every Strata binary applies first thing in main().

namespace strata::common {

// In release builds (NDEBUG) turns off Abseil's mutex deadlock detection. Debian's Abseil ships
// with it enabled, and it records every lock acquisition in a global graph: about 1-2% of the
// collector's ingest CPU in bench/ingest. Debug and sanitizer builds (the test runs) keep it.
void ApplyProcessDefaults();

}  // namespace strata::common
