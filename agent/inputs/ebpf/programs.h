#pragma once

// The eBPF collectors (bpf/*.bpf.c) and what they export, every series labelled with the
// input's job and instance:
//
//   runqueue_latency   ebpf_runqueue_latency_seconds_bucket{le} / _sum / _count: time from a
//                      task becoming runnable to running (log2 buckets, log2_histogram.h)
//   block_io_latency   ebpf_block_io_latency_seconds_bucket{le} / _sum / _count: block request
//                      issue to completion
//   tcp_retransmits    ebpf_tcp_retransmits_total: TCP segments retransmitted
//   cgroup_activity    ebpf_syscalls_total{cgroup}, ebpf_process_execs_total{cgroup}: per
//                      cgroup path (container-aware; cgroup v2, or the memory controller's
//                      hierarchy on cgroup v1); "_other_" past max_cgroups, "unknown" for a
//                      cgroup that went away before it could be named
//   oom_kills          ebpf_oom_kills_total: tasks the OOM killer chose
//
// All values are cumulative since the program was loaded (counters).

#include <memory>
#include <string>

#include "agent/inputs/ebpf/ebpf_config.h"
#include "agent/inputs/ebpf/ebpf_program.h"

namespace strata::agent::ebpf {

// The program called `name` (one of KnownEbpfPrograms()), or null when this build has no eBPF
// support (STRATA_HAVE_EBPF=0).
std::unique_ptr<EbpfProgram> MakeEbpfProgram(const std::string& name, const EbpfOptions& options);

}  // namespace strata::agent::ebpf
