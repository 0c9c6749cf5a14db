// SPDX-License-Identifier: GPL-2.0
/* Run-queue latency: the time from a task becoming runnable (woken up, or preempted while
 * still runnable) to it running on a CPU, as a log2 histogram (strata_bpf.h). */
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
  __type(key, __u32);
  __type(value, __u64);
} enqueued SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, STRATA_HIST_ENTRIES);
  __type(key, __u32);
  __type(value, __u64);
} hist SEC(".maps");

static __always_inline int enqueue(__u32 pid) {
  if (pid == 0) return 0;
  __u64 ts = bpf_ktime_get_ns();
  bpf_map_update_elem(&enqueued, &pid, &ts, BPF_ANY);
  return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(on_wakeup, struct task_struct *p) { return enqueue(p->pid); }

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(on_wakeup_new, struct task_struct *p) { return enqueue(p->pid); }

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next) {
  /* A task switched out while still runnable (state 0, TASK_RUNNING) waits on the queue again. */
  if (prev->__state == 0) enqueue(prev->pid);
  __u32 pid = next->pid;
  __u64 *ts = bpf_map_lookup_elem(&enqueued, &pid);
  if (ts == 0) return 0;
  __u64 now = bpf_ktime_get_ns();
  if (now > *ts) STRATA_HIST_RECORD(hist, now - *ts);
  bpf_map_delete_elem(&enqueued, &pid);
  return 0;
}
