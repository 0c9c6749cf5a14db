#include "agent/inputs/ebpf/bpf_maps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <vector>

namespace strata::agent::ebpf {
namespace {

size_t PossibleCpus() {
  static const size_t n = [] {
    int cpus = libbpf_num_possible_cpus();
    return cpus > 0 ? static_cast<size_t>(cpus) : size_t{1};
  }();
  return n;
}

}  // namespace

uint64_t SumPerCpuArray(int map_fd, uint32_t key) {
  std::vector<uint64_t> values(PossibleCpus());
  if (bpf_map_lookup_elem(map_fd, &key, values.data()) != 0) return 0;
  uint64_t sum = 0;
  for (uint64_t v : values) sum += v;
  return sum;
}

uint64_t ReadArray(int map_fd, uint32_t key) {
  uint64_t v = 0;
  if (bpf_map_lookup_elem(map_fd, &key, &v) != 0) return 0;
  return v;
}

std::unordered_map<uint64_t, uint64_t> ReadHash(int map_fd, bool per_cpu) {
  std::unordered_map<uint64_t, uint64_t> out;
  std::vector<uint64_t> values(per_cpu ? PossibleCpus() : 1);
  uint64_t key = 0;
  uint64_t next = 0;
  const void* prev = nullptr;  // first call: the first key
  while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(map_fd, &next, values.data()) == 0) {
      uint64_t sum = 0;
      for (uint64_t v : values) sum += v;
      out[next] = sum;
    }
    key = next;
    prev = &key;
  }
  return out;
}

void EnsureHashKey(int map_fd, uint64_t key, bool per_cpu) {
  std::vector<uint64_t> zeros(per_cpu ? PossibleCpus() : 1, 0);
  bpf_map_update_elem(map_fd, &key, zeros.data(), BPF_NOEXIST);
}

}  // namespace strata::agent::ebpf
