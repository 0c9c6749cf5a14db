// SPDX-License-Identifier: GPL-2.0
/* TCP retransmissions: every segment the kernel retransmits, counted per CPU. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} retransmits SEC(".maps");

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_retransmit, const struct sock *sk, const struct sk_buff *skb) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&retransmits, &key);
  if (v) *v += 1;
  return 0;
}
