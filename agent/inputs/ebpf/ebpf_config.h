#pragma once

// The `ebpf:` section of the agent's config: which kernel collectors to load (bpf/, CO-RE) and
// how often their maps are read.

#include <cstdint>
#include <string>
#include <vector>

#include "common/config/schema.h"

namespace strata::agent::ebpf {

struct EbpfOptions {
  bool enabled = false;
  int64_t interval_ms = 15000;
  // Any of: runqueue_latency, block_io_latency, tcp_retransmits, cgroup_activity, oom_kills.
  std::vector<std::string> programs = {"runqueue_latency", "block_io_latency", "tcp_retransmits",
                                       "cgroup_activity", "oom_kills"};
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
  int64_t max_cgroups = 1000;  // cgroup label values; the rest are counted as "_other_"
  std::string job = "ebpf";
  std::string instance;  // "" = this machine's hostname
};

// Every program name the agent knows.
const std::vector<std::string>& KnownEbpfPrograms();

// Keys: enabled, interval, programs, cgroup_root, proc_root, max_cgroups, job, instance.
const common::Schema<EbpfOptions>& EbpfOptionsSchema();

}  // namespace strata::agent::ebpf
