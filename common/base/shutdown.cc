#include "common/base/shutdown.h"

#include <signal.h>

#include "common/base/check.h"

namespace strata::common {
namespace {

sigset_t ShutdownSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void InstallShutdownSignals() {
  sigset_t set = ShutdownSet();
  STRATA_CHECK(pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0) << "pthread_sigmask";
  // A peer closing a socket must not kill the process.
  signal(SIGPIPE, SIG_IGN);
}

std::string WaitForShutdownSignal(void (*on_reload)(void*), void* arg) {
  sigset_t set = ShutdownSet();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (on_reload != nullptr) on_reload(arg);
      continue;
    }
    return sig == SIGTERM ? "SIGTERM" : "SIGINT";
  }
}

}  // namespace strata::common
