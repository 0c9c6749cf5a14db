/* Constants shared by the BPF programs in this folder and the agent code that reads their maps
 * (agent/inputs/ebpf/). Plain C: included by BPF C and by C++. */
#ifndef STRATA_BPF_H_
#define STRATA_BPF_H_

/* Latency histograms: slot s counts events of [2^s, 2^(s+1)) microseconds (slot 0 also counts
 * everything under 1 us); the last slot counts everything from 2^(kSlots-1) us up. One more
 * array entry, STRATA_HIST_SUM_SLOT, holds the sum of all latencies in nanoseconds. */
#define STRATA_HIST_SLOTS 27
#define STRATA_HIST_SUM_SLOT STRATA_HIST_SLOTS
#define STRATA_HIST_ENTRIES (STRATA_HIST_SLOTS + 1)

/* Per-cgroup counters: at most this many cgroups are tracked; events of others are counted
 * under cgroup id 0 ("other"). */
#define STRATA_MAX_CGROUPS 4096

#endif /* STRATA_BPF_H_ */
