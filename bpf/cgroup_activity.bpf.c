// SPDX-License-Identifier: GPL-2.0
/* Syscalls and process execs per cgroup. The cgroup is the cgroup v2 id of the current task, or,
 * on hosts with only cgroup v1, the kernfs id of its cgroup in the hierarchy of the v1
 * controller `v1_subsys` (set by the loader; -1 means v2). Either id is the inode number of the
 * cgroup's directory, which is how the agent turns it into a path. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "strata_bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile int v1_subsys = -1;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, STRATA_MAX_CGROUPS);
  __type(key, __u64);
  __type(value, __u64);
} syscalls SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, STRATA_MAX_CGROUPS);
  __type(key, __u64);
  __type(value, __u64);
} execs SEC(".maps");

static __always_inline __u64 current_cgroup(void) {
  if (v1_subsys < 0) return bpf_get_current_cgroup_id();
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct css_set *cgroups = BPF_CORE_READ(task, cgroups);
  int idx = v1_subsys;
  if (idx < 0 || idx >= 16) return 0;
  struct cgroup_subsys_state *css = 0;
  bpf_core_read(&css, sizeof(css), &cgroups->subsys[idx]);
  if (css == 0) return 0;
  return BPF_CORE_READ(css, cgroup, kn, id);
}

/* Adds one to `map`[cgroup], falling back to the "other" entry (id 0) when the map is full. */
static __always_inline void count(void *map, __u64 cgroup, int atomic) {
  __u64 *v = bpf_map_lookup_elem(map, &cgroup);
  if (v == 0) {
    __u64 zero = 0;
    if (bpf_map_update_elem(map, &cgroup, &zero, BPF_NOEXIST) != 0 && cgroup != 0) {
      cgroup = 0;
      bpf_map_update_elem(map, &cgroup, &zero, BPF_NOEXIST);
    }
    v = bpf_map_lookup_elem(map, &cgroup);
    if (v == 0) return;
  }
  if (atomic) {
    __sync_fetch_and_add(v, 1);
  } else {
    *v += 1;
  }
}

SEC("raw_tp/sys_enter")
int on_sys_enter(void *ctx) {
  count(&syscalls, current_cgroup(), 0);
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
  count(&execs, current_cgroup(), 1);
  return 0;
}
