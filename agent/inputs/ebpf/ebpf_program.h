#pragma once

// EbpfProgram: one kernel collector of the eBPF input: a BPF object from bpf/ (loaded through
// its bpftool skeleton) and the code that turns its maps into series.
//
// Lifecycle: Load() once (open, load into the kernel, attach); on failure the program holds
// nothing and the input reports it down. Collect() is then called every interval from the
// input's thread only; it reads the maps (cumulative counts since Load) and appends samples.
// The destructor detaches and unloads.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::agent::ebpf {

class EbpfProgram {
 public:
  virtual ~EbpfProgram() = default;
  // The config name ("runqueue_latency"), also the `program` label of strata_ebpf_up.
  virtual std::string Name() const = 0;
  // Opens, loads and attaches; the error says why (e.g. "Operation not permitted").
  virtual absl::Status Load() = 0;
  // Appends the current values, each labelled with `base` (job, instance) plus its own labels.
  virtual void Collect(const std::vector<common::Label>& base, int64_t ts_ms,
                       common::SampleBatch& out) = 0;
};

}  // namespace strata::agent::ebpf
