/* Log2 latency histogram helpers for the BPF programs (see strata_bpf.h for the layout). */
#ifndef STRATA_HISTOGRAM_BPF_H_
#define STRATA_HISTOGRAM_BPF_H_

#include "strata_bpf.h"

/* floor(log2(v)) for v > 0, 0 for v == 0, without loops (the verifier bounds it trivially). */
static __always_inline __u32 strata_log2(__u64 v) {
  __u32 r = 0, shift;
  shift = (v > 0xFFFFFFFFULL) << 5;
  v >>= shift;
  r |= shift;
  shift = (v > 0xFFFF) << 4;
  v >>= shift;
  r |= shift;
  shift = (v > 0xFF) << 3;
  v >>= shift;
  r |= shift;
  shift = (v > 0xF) << 2;
  v >>= shift;
  r |= shift;
  shift = (v > 0x3) << 1;
  v >>= shift;
  r |= shift;
  r |= (v >> 1);
  return r;
}

/* Adds one latency of `delta_ns` to the per-CPU histogram `map`. */
#define STRATA_HIST_RECORD(map, delta_ns)                          \
  do {                                                             \
    __u64 _us = (delta_ns) / 1000;                                 \
    __u32 _slot = strata_log2(_us);                                \
    if (_slot >= STRATA_HIST_SLOTS) _slot = STRATA_HIST_SLOTS - 1; \
    __u64* _v = bpf_map_lookup_elem(&(map), &_slot);               \
    if (_v) *_v += 1;                                              \
    __u32 _sum = STRATA_HIST_SUM_SLOT;                             \
    _v = bpf_map_lookup_elem(&(map), &_sum);                       \
    if (_v) *_v += (delta_ns);                                     \
  } while (0)

#endif /* STRATA_HISTOGRAM_BPF_H_ */
