#pragma once

// Reading BPF maps from user space (libbpf's syscall wrappers): per-CPU values summed over the
// possible CPUs, and whole hash maps. Only built when the eBPF programs are (STRATA_HAVE_EBPF).

#include <cstdint>
#include <unordered_map>

namespace strata::agent::ebpf {

// The sum over CPUs of a BPF_MAP_TYPE_PERCPU_ARRAY entry holding u64s; 0 when it cannot be read.
uint64_t SumPerCpuArray(int map_fd, uint32_t key);
// The u64 value of a BPF_MAP_TYPE_ARRAY entry; 0 when it cannot be read.
uint64_t ReadArray(int map_fd, uint32_t key);
// Every key of a u64 -> u64 hash (per-CPU values summed when `per_cpu`).
std::unordered_map<uint64_t, uint64_t> ReadHash(int map_fd, bool per_cpu);
// Creates `key` with zero value(s) if it is not there yet.
void EnsureHashKey(int map_fd, uint64_t key, bool per_cpu);

}  // namespace strata::agent::ebpf
