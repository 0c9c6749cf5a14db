#pragma once

// HostInput: the agent's built-in host collector. Every interval it reads basic counters from
// /proc (stat, meminfo, loadavg, net/dev, diskstats, vmstat and pressure/{cpu,io,memory}; see
// proc_parsers.h for the metrics), the usage of every mounted filesystem, and uname(2), and
// pushes them as one SampleBatch, every series at the same timestamp and labelled with the
// configured job and instance, so node_exporter dashboards work against it unchanged.
//
// Filesystems: the mounts listed in <proc_root>/self/mounts (the agent's own mount namespace: in
// a container, the host's filesystems must be mounted into it), less node_exporter's default
// exclusions (ParseMounts()), are each statfs(2)ed through a StatfsProber, so a hung network
// mount delays a collection by at most `statfs_timeout` once and is then skipped until its call
// returns. Each mount becomes, labelled device, fstype and mountpoint:
//   node_filesystem_size_bytes      f_blocks × f_bsize
//   node_filesystem_free_bytes      f_bfree × f_bsize (includes the blocks reserved for root)
//   node_filesystem_avail_bytes     f_bavail × f_bsize (what unprivileged users may still use)
//   node_filesystem_files           f_files
//   node_filesystem_files_free      f_ffree
//   node_filesystem_readonly        1 when mounted `ro`, else 0
//   node_filesystem_device_error    1 when statfs failed, timed out or is still hung, else 0
// When statfs fails only the last two are exported for the mount. Failures are counted in
// strata_agent_host_statfs_errors_total{reason="error|timeout|hung"} and logged once per mount
// until it answers again.
//
// Also, from uname(2), node_uname_info{sysname,release,version,machine,nodename,domainname} 1,
// and node_time_seconds, the clock's wall time at the collection (the samples' timestamp, in
// seconds). These two are exported whatever could be read.
//
// Threads: Start() spawns one thread named "host" that collects once immediately and then every
// interval until Stop(). Stop() wakes it through a condition variable, so it returns promptly
// whatever the interval, unless the collection under way is waiting for statfs on mounts that
// have just hung: then it takes up to `statfs_timeout` for each of them.
//
// Failures: a file that cannot be read is skipped for that collection and the other files are
// still collected. It is counted every time in strata_agent_host_read_errors_total{file} and
// logged once per outage (again only after it has been readable in between). The pressure files
// are the exception: a kernel without PSI (before 4.20, or built without CONFIG_PSI, or booted
// with psi=0) does not have them, so a missing one is skipped quietly. Malformed lines are
// counted in strata_agent_host_parse_errors_total{file} and logged the same way.
// strata_agent_host_collections_total counts collections.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "agent/input.h"
#include "agent/inputs/host/proc_parsers.h"
#include "agent/inputs/host/statfs_prober.h"
#include "common/base/clock.h"
#include "common/config/schema.h"
#include "common/model/sample.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::host {

struct HostOptions {
  bool enabled = true;
  int64_t interval_ms = 15000;
  std::string proc_root = "/proc";
  std::string job = "node";
  std::string instance;              // Empty = this machine's hostname.
  int64_t statfs_timeout_ms = 5000;  // Per mount; see StatfsProber.
};

// Keys: enabled, interval, proc_root, job, instance, statfs_timeout.
const common::Schema<HostOptions>& HostOptionsSchema();

class HostInput final : public Input {
 public:
  // `clock` stamps samples (NowMs) and paces the interval (MonotonicMs); `clock` and `metrics`
  // must outlive the input. `statfs` is called for each mount (tests pass a fake).
  HostInput(HostOptions options, const common::Clock& clock, common::Registry& metrics,
            StatfsFn statfs = SystemStatfs);
  ~HostInput() override;

  HostInput(const HostInput&) = delete;
  HostInput& operator=(const HostInput&) = delete;

  std::string Name() const override { return "host"; }
  // Starts the collection thread. Returns FailedPrecondition when already started. With
  // `enabled: false` it starts nothing and returns OK.
  absl::Status Start(SampleSink& sink) override;
  void Stop() override;

  // Reads every file once and returns the batch the thread would push (only node_uname_info
  // and node_time_seconds when nothing could be read), updating the error counters. Used by the
  // thread; public for tests and one-shot tools. Safe to call concurrently with the thread.
  common::SampleBatch Collect();

  // The instance label actually used (the hostname when options.instance is empty).
  const std::string& instance() const { return instance_; }

 private:
  // One /proc file and what we remember about it between collections.
  enum class Kind { kStat, kMeminfo, kLoadavg, kNetDev, kDiskstats, kVmstat, kPressure, kMounts };
  struct ProcFile {
    Kind kind;
    const char* path;       // Relative to proc_root; also the `file` label.
    bool optional = false;  // A missing file is normal (not counted, not logged).
    common::Counter* read_errors = nullptr;
    common::Counter* parse_errors = nullptr;
    bool read_failing = false;   // Logged the current read outage already.
    bool parse_failing = false;  // Logged the current run of malformed content already.
  };

  void Run();
  // Parses the mounts file and appends the node_filesystem_* series of every mount to `out`.
  ParseStats CollectFilesystems(std::string_view mounts_text, int64_t ts_ms,
                                common::SampleBatch& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(collect_mu_);

  const HostOptions options_;
  const common::Clock& clock_;
  const std::string instance_;
  const int64_t user_hz_;
  common::Counter& collections_;
  common::Counter& statfs_errors_;
  common::Counter& statfs_timeouts_;
  common::Counter& statfs_hung_;
  StatfsProber statfs_;

  std::mutex collect_mu_;  // Serialises Collect() so files_' flags have one writer at a time.
  std::array<ProcFile, 10> files_ ABSL_GUARDED_BY(collect_mu_);
  // Mount points whose statfs failure has been logged; cleared when they answer again.
  std::set<std::string> failing_mounts_ ABSL_GUARDED_BY(collect_mu_);

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  SampleSink* sink_ = nullptr;  // Set by Start() before the thread exists; read by it only.
  std::thread thread_;          // Started and joined only by Start()/Stop() (one caller).
};

}  // namespace strata::agent::host
