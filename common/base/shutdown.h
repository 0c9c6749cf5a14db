#pragma once

// Graceful shutdown. InstallShutdownSignals() blocks SIGTERM, SIGINT and SIGHUP in the calling
// thread (call it first in main, before any thread starts, so every thread inherits the mask);
// WaitForShutdownSignal() then waits synchronously for one of them and returns its name. main()
// stops its components in order (stop inputs, flush, close servers) after it returns.

#include <string>

namespace strata::common {

void InstallShutdownSignals();

// Blocks until SIGTERM or SIGINT arrives; returns "SIGTERM" or "SIGINT". SIGHUP is reported to
// `on_reload` (if set) and waiting continues.
std::string WaitForShutdownSignal(void (*on_reload)(void*) = nullptr, void* arg = nullptr);

}  // namespace strata::common
