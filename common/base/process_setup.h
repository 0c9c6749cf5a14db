#pragma once

// Process-wide settings every Strata binary applies first thing in main().

namespace strata::common {

// In release builds (NDEBUG) turns off Abseil's mutex deadlock detection. Debian's Abseil ships
// with it enabled, and it records every lock acquisition in a global graph: about 1-2% of the
// collector's ingest CPU in bench/ingest. Debug and sanitizer builds (the test runs) keep it.
void ApplyProcessDefaults();

// Caps glibc malloc at `arenas` arenas unless the environment sets MALLOC_ARENA_MAX (which then
// wins). glibc gives each thread that allocates its own arena, up to 8 per core, and each keeps
// the free space its thread's transient allocations leave: for the agent's mostly idle scrape
// threads, about 0.7 MB per thread. Returns whether the cap was applied.
bool LimitMallocArenas(int arenas);

}  // namespace strata::common
