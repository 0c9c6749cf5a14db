// SPDX-License-Identifier: GPL-2.0
/* Block I/O latency: the time from a request being issued to the device driver to its
 * completion, as a log2 histogram (strata_bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "histogram.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  /* LRU: an entry whose completion never comes (a task that exits while queued, a request
   * the tracepoint missed) is evicted instead of filling the map. */
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* struct request * */
  __type(value, __u64);
} issued SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, STRATA_HIST_ENTRIES);
  __type(key, __u32);
  __type(value, __u64);
} hist SEC(".maps");

SEC("tp_btf/block_rq_issue")
int BPF_PROG(on_issue, struct request *rq) {
  __u64 key = (__u64)rq;
  __u64 ts = bpf_ktime_get_ns();
  bpf_map_update_elem(&issued, &key, &ts, BPF_ANY);
  return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_complete, struct request *rq, int error, unsigned int nr_bytes) {
  __u64 key = (__u64)rq;
  __u64 *ts = bpf_map_lookup_elem(&issued, &key);
  if (ts == 0) return 0;
  __u64 now = bpf_ktime_get_ns();
  if (now > *ts) STRATA_HIST_RECORD(hist, now - *ts);
  bpf_map_delete_elem(&issued, &key);
  return 0;
}
