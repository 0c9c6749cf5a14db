#pragma once

// A log2 latency histogram read from a BPF map (bpf/strata_bpf.h: slot s counts latencies of
// [2^s, 2^(s+1)) microseconds, the last slot everything above, plus the sum in nanoseconds) as
// Prometheus classic histogram series: `<name>_bucket{le}` with le = 2^(s+1) us in seconds
// ("0.000002" ... ) and "+Inf", `<name>_sum` in seconds and `<name>_count`.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bpf/strata_bpf.h"
#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::agent::ebpf {

struct Log2Histogram {
  std::array<uint64_t, STRATA_HIST_SLOTS> slots{};
  uint64_t sum_ns = 0;
};

void AppendLog2Histogram(const std::string& name, const Log2Histogram& h,
                         const std::vector<common::Label>& base, int64_t ts_ms,
                         common::SampleBatch& out);

}  // namespace strata::agent::ebpf
