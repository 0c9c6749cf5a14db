// SPDX-License-Identifier: GPL-2.0
/* OOM kills: every task the OOM killer marks as its victim (system-wide or in a memory cgroup). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} kills SEC(".maps");

SEC("tp_btf/mark_victim")
int BPF_PROG(on_mark_victim) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&kills, &key);
  if (v) __sync_fetch_and_add(v, 1);
  return 0;
}
