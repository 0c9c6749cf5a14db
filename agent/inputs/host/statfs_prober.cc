#include "agent/inputs/host/statfs_prober.h"

#include <pthread.h>
#include <sys/vfs.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "common/base/check.h"

namespace strata::agent::host {

// What the prober and all its workers share. Workers hold it by shared_ptr so an abandoned one
// can still clear its path from `hung` after the prober is gone.
struct StatfsProber::Shared {
  explicit Shared(StatfsFn fn) : statfs(std::move(fn)) {}

  const StatfsFn statfs;
  mutable std::mutex mu;
  std::set<std::string> hung ABSL_GUARDED_BY(mu);  // Paths of calls that timed out.
};

// One worker thread and its mailbox: Probe() posts `request`, the thread posts `result`.
struct StatfsProber::Worker {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<std::string> request ABSL_GUARDED_BY(mu);
  std::optional<Result> result ABSL_GUARDED_BY(mu);
  bool stop ABSL_GUARDED_BY(mu) = false;       // Set by the destructor on an idle worker.
  bool abandoned ABSL_GUARDED_BY(mu) = false;  // Set by Probe() when the call timed out.
  std::thread thread;                          // Joined or detached by the prober only.
};

void StatfsProber::RunWorker(const std::shared_ptr<Shared>& shared,
                             const std::shared_ptr<Worker>& worker) {
  pthread_setname_np(pthread_self(), "host-statfs");
  std::unique_lock lock(worker->mu);
  while (true) {
    worker->cv.wait(lock, [&] { return worker->request.has_value() || worker->stop; });
    if (!worker->request.has_value()) return;
    const std::string path = *worker->request;
    lock.unlock();
    Result result;
    result.error = shared->statfs(path, &result.usage);
    result.outcome = result.error == 0 ? Outcome::kOk : Outcome::kFailed;
    lock.lock();
    worker->request.reset();
    if (worker->abandoned) {
      // Nobody is waiting any more; the path may be probed again from now on.
      std::lock_guard shared_lock(shared->mu);
      shared->hung.erase(path);
      return;
    }
    worker->result = result;
    worker->cv.notify_all();
  }
}

int SystemStatfs(const std::string& path, FsUsage* out) {
  struct statfs st {};
  int rc = 0;
  do {
    rc = ::statfs(path.c_str(), &st);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return errno;
  out->block_size = static_cast<uint64_t>(st.f_bsize);
  out->blocks = static_cast<uint64_t>(st.f_blocks);
  out->blocks_free = static_cast<uint64_t>(st.f_bfree);
  out->blocks_avail = static_cast<uint64_t>(st.f_bavail);
  out->files = static_cast<uint64_t>(st.f_files);
  out->files_free = static_cast<uint64_t>(st.f_ffree);
  return 0;
}

StatfsProber::StatfsProber(StatfsFn statfs, int64_t timeout_ms, size_t max_hung)
    : timeout_ms_(timeout_ms),
      max_hung_(max_hung),
      shared_(std::make_shared<Shared>(std::move(statfs))) {
  STRATA_CHECK(timeout_ms_ > 0) << "statfs timeout must be positive";
}

StatfsProber::~StatfsProber() {
  std::shared_ptr<Worker> worker;
  {
    std::lock_guard lock(probe_mu_);
    worker = std::move(worker_);
  }
  if (worker == nullptr) return;
  {
    std::lock_guard lock(worker->mu);
    worker->stop = true;
  }
  worker->cv.notify_all();
  worker->thread.join();
}

StatfsProber::Result StatfsProber::Probe(const std::string& path) {
  std::lock_guard probe_lock(probe_mu_);
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->hung.size() >= max_hung_ || shared_->hung.contains(path)) {
      return Result{Outcome::kHung, {}, 0};
    }
  }
  if (worker_ == nullptr) {
    auto worker = std::make_shared<Worker>();
    try {
      worker->thread = std::thread([shared = shared_, worker] { RunWorker(shared, worker); });
    } catch (const std::system_error&) {
      return Result{Outcome::kFailed, {}, EAGAIN};
    }
    worker_ = std::move(worker);
  }

  std::unique_lock lock(worker_->mu);
  worker_->result.reset();
  worker_->request = path;
  worker_->cv.notify_all();
  if (worker_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms_),
                           [&] { return worker_->result.has_value(); })) {
    Result result = *worker_->result;
    worker_->result.reset();
    return result;
  }
  // The worker cannot post its result while we hold its lock, so it will see `abandoned` and
  // clear the path from `hung` itself, after it was inserted here.
  worker_->abandoned = true;
  {
    std::lock_guard shared_lock(shared_->mu);
    shared_->hung.insert(path);
  }
  lock.unlock();
  worker_->thread.detach();
  worker_.reset();
  return Result{Outcome::kTimedOut, {}, 0};
}

size_t StatfsProber::hung() const {
  std::lock_guard lock(shared_->mu);
  return shared_->hung.size();
}

}  // namespace strata::agent::host
