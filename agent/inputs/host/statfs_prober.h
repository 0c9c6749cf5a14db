#pragma once

// StatfsProber: statfs(2) with a deadline. On a mount whose server has gone (NFS, CIFS, a FUSE
// daemon that stopped answering) statfs can block in the kernel for minutes or forever, and the
// blocked thread cannot be interrupted. So the host input never calls it on its own thread:
// Probe() hands the call to a worker thread named "host-statfs" and waits at most `timeout_ms`.
//
// When the call does not return in time the worker is abandoned: it is detached, keeps only
// state it shares with the prober, and exits by itself if the call ever returns. The path is
// remembered as hung until then, and Probe() on it answers kHung at once without calling statfs
// again, so a dead mount costs one timeout and one thread, not one per collection. The next
// Probe() of another path starts a fresh worker. At most `max_hung` calls may be outstanding;
// past that every Probe() answers kHung without calling statfs, so a machine full of dead mounts
// cannot make the prober create threads without bound.
//
// Threads: Probe() may be called from any thread; calls are serialised, since there is one
// worker. The destructor stops and joins the idle worker and returns without waiting for
// abandoned ones, which may outlive the prober.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"

namespace strata::agent::host {

// What statfs(2) says about one mounted filesystem, in its own units.
struct FsUsage {
  uint64_t block_size = 0;    // f_bsize, the unit of the three block counts.
  uint64_t blocks = 0;        // f_blocks: the size.
  uint64_t blocks_free = 0;   // f_bfree: free, including blocks reserved for root.
  uint64_t blocks_avail = 0;  // f_bavail: free for unprivileged users.
  uint64_t files = 0;         // f_files: inodes.
  uint64_t files_free = 0;    // f_ffree: free inodes.
};

// Fills `out` and returns 0, or returns an errno value. Called on a worker thread, possibly
// after the prober that called it has been destroyed.
using StatfsFn = std::function<int(const std::string& path, FsUsage* out)>;

// statfs(2), retried on EINTR.
int SystemStatfs(const std::string& path, FsUsage* out);

class StatfsProber {
 public:
  enum class Outcome {
    kOk,        // `usage` is set.
    kFailed,    // statfs returned `error`, or the worker thread could not be started (EAGAIN).
    kTimedOut,  // No answer within the timeout; the path is hung from now on.
    kHung,      // Not called: an earlier call on the path has not returned, or too many have not.
  };
  struct Result {
    Outcome outcome = Outcome::kFailed;
    FsUsage usage;
    int error = 0;  // The errno value, for kFailed.
  };

  // `timeout_ms` must be positive.
  StatfsProber(StatfsFn statfs, int64_t timeout_ms, size_t max_hung = 32);
  ~StatfsProber();

  StatfsProber(const StatfsProber&) = delete;
  StatfsProber& operator=(const StatfsProber&) = delete;

  // Calls statfs on `path` through the worker, waiting at most the timeout.
  Result Probe(const std::string& path);

  // Calls that timed out and have not returned yet.
  size_t hung() const;

 private:
  struct Shared;
  struct Worker;
  // The worker thread's loop: answers requests until stopped, or until its call returns after
  // it was abandoned.
  static void RunWorker(const std::shared_ptr<Shared>& shared,
                        const std::shared_ptr<Worker>& worker);

  const int64_t timeout_ms_;
  const size_t max_hung_;
  const std::shared_ptr<Shared> shared_;  // Also held by every worker, abandoned or not.

  std::mutex probe_mu_;  // Serialises Probe(): one request at a time for the one worker.
  std::shared_ptr<Worker> worker_ ABSL_GUARDED_BY(probe_mu_);  // Null until needed.
};

}  // namespace strata::agent::host
