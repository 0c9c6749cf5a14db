#pragma once

// HostInput: the agent's built-in host collector. Every interval it reads basic counters from
// /proc (stat, meminfo, loadavg, net/dev, diskstats; see proc_parsers.h for the metrics) and
// pushes them as one SampleBatch, every series at the same timestamp and labelled with the
// configured job and instance, so node_exporter dashboards work against it unchanged.
//
// Threads: Start() spawns one thread named "host" that collects once immediately and then every
// interval until Stop(). Stop() wakes it through a condition variable, so it returns promptly
// whatever the interval.
//
// Failures: a file that cannot be read is skipped for that collection and the other files are
// still collected. It is counted every time in strata_agent_host_read_errors_total{file} and
// logged once per outage (again only after it has been readable in between). Malformed lines are
// counted in strata_agent_host_parse_errors_total{file} and logged the same way.
// strata_agent_host_collections_total counts collections.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "agent/input.h"
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
  std::string instance;  // Empty = this machine's hostname.
};

// Keys: enabled, interval, proc_root, job, instance.
const common::Schema<HostOptions>& HostOptionsSchema();

class HostInput final : public Input {
 public:
  // `clock` stamps samples (NowMs) and paces the interval (MonotonicMs); `clock` and `metrics`
  // must outlive the input.
  HostInput(HostOptions options, const common::Clock& clock, common::Registry& metrics);
  ~HostInput() override;

  HostInput(const HostInput&) = delete;
  HostInput& operator=(const HostInput&) = delete;

  std::string Name() const override { return "host"; }
  // Starts the collection thread. Returns FailedPrecondition when already started. With
  // `enabled: false` it starts nothing and returns OK.
  absl::Status Start(SampleSink& sink) override;
  void Stop() override;

  // Reads every file once and returns the batch the thread would push (empty when nothing could
  // be read), updating the error counters. Used by the thread; public for tests and one-shot
  // tools. Safe to call concurrently with the thread.
  common::SampleBatch Collect();

  // The instance label actually used (the hostname when options.instance is empty).
  const std::string& instance() const { return instance_; }

 private:
  // One /proc file and what we remember about it between collections.
  enum class Kind { kStat, kMeminfo, kLoadavg, kNetDev, kDiskstats };
  struct ProcFile {
    Kind kind;
    const char* path;  // Relative to proc_root; also the `file` label.
    common::Counter* read_errors = nullptr;
    common::Counter* parse_errors = nullptr;
    bool read_failing = false;   // Logged the current read outage already.
    bool parse_failing = false;  // Logged the current run of malformed content already.
  };

  void Run();

  const HostOptions options_;
  const common::Clock& clock_;
  const std::string instance_;
  const int64_t user_hz_;
  common::Counter& collections_;

  std::mutex collect_mu_;  // Serialises Collect() so files_' flags have one writer at a time.
  std::array<ProcFile, 5> files_ ABSL_GUARDED_BY(collect_mu_);

  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  SampleSink* sink_ = nullptr;  // Set by Start() before the thread exists; read by it only.
  std::thread thread_;          // Started and joined only by Start()/Stop() (one caller).
};

}  // namespace strata::agent::host
