#pragma once

// Parsers for the /proc files the host input reads. Each one turns the full text of one file
// into series named and labelled as Prometheus' node_exporter names them, so dashboards built
// for node_exporter work unchanged. Only names and label sets are mirrored; the values are
// exactly what the kernel reports, converted to base units (seconds, bytes). The exception is
// ParseMounts(), which yields the mount table for the host input to statfs(2).
//
// The text is untrusted (a different kernel, a container's fake /proc, a read cut short): a line
// that does not have the expected shape is skipped as a whole and counted in
// ParseStats::malformed_lines; the rest of the file is still used. Every line of a /proc file
// ends in "\n", so a final line without one was cut off and is counted as malformed too.
//
// The functions are pure and keep no state, so they may be called from any thread. Each appends
// to `out` with timestamp `ts_ms`; labels are only __name__ plus the per-series labels (cpu,
// mode, device): the caller adds job and instance.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/sample.h"

namespace strata::agent::host {

// What a parser did with one file.
struct ParseStats {
  size_t series = 0;           // Series appended to the batch (ParseMounts: mounts appended).
  size_t malformed_lines = 0;  // Lines skipped because they did not have the expected shape.
  bool ok() const { return malformed_lines == 0; }
};

// /proc/stat (proc(5)). Per-CPU lines `cpuN user nice system idle [iowait irq softirq steal
// [guest [guest_nice]]]` in USER_HZ ticks become node_cpu_seconds_total{cpu="N",mode=...} and
// node_cpu_guest_seconds_total{cpu="N",mode="user|nice"}, ticks / `user_hz`. The kernel already
// counts guest time inside user (and guest_nice inside nice); like node_exporter we subtract
// nothing. The aggregate `cpu` line is not exported (sum the per-CPU series instead). Also:
// btime → node_boot_time_seconds, ctxt → node_context_switches_total, processes →
// node_forks_total, the first number of intr → node_intr_total, procs_running →
// node_procs_running, procs_blocked → node_procs_blocked. Other lines are ignored. `user_hz`
// is sysconf(_SC_CLK_TCK); when it is not positive no CPU series are produced and every CPU
// line counts as malformed.
ParseStats ParseProcStat(std::string_view text, int64_t user_hz, int64_t ts_ms,
                         common::SampleBatch& out);

// /proc/meminfo. `Field: value kB` → node_memory_<Field>_bytes (value × 1024); `Field: value`
// without a unit (HugePages_Total...) → node_memory_<Field>. Parentheses in the field name are
// folded the way node_exporter does: `Active(anon)` → `Active_anon`. A field name with any
// other character outside [A-Za-z0-9_], or a unit other than kB, is malformed.
ParseStats ParseMeminfo(std::string_view text, int64_t ts_ms, common::SampleBatch& out);

// /proc/loadavg: `load1 load5 load15 running/total last_pid` → node_load1, node_load5,
// node_load15. Only the first line is read.
ParseStats ParseLoadavg(std::string_view text, int64_t ts_ms, common::SampleBatch& out);

// /proc/net/dev: two header lines (recognised by their '|'), then `iface: 16 counters`, eight
// for receive (bytes packets errs drop fifo frame compressed multicast) and eight for transmit
// (bytes packets errs drop fifo colls carrier compressed). Each becomes
// node_network_{receive,transmit}_<counter>_total{device="iface"}. The column layout is taken
// as fixed (it has not changed since Linux 2.6); the header is not interpreted.
ParseStats ParseNetDev(std::string_view text, int64_t ts_ms, common::SampleBatch& out);

// /proc/diskstats (Documentation/admin-guide/iostats.rst): `major minor name` then 11 fields
// (all kernels since 2.6.25), 15 (4.18+, adds discards) or 17 (5.5+, adds flushes). Sectors are
// always 512 bytes and times are milliseconds, exported as bytes and seconds:
//   1 reads completed   → node_disk_reads_completed_total
//   2 reads merged      → node_disk_reads_merged_total
//   3 sectors read      → node_disk_read_bytes_total (× 512)
//   4 ms reading        → node_disk_read_time_seconds_total
//   5-8 the same for writes → node_disk_writes_completed_total, node_disk_writes_merged_total,
//       node_disk_written_bytes_total, node_disk_write_time_seconds_total
//   9 I/Os in flight    → node_disk_io_now (a gauge)
//   10 ms doing I/O     → node_disk_io_time_seconds_total
//   11 weighted ms      → node_disk_io_time_weighted_seconds_total
//   12-15 discards      → node_disk_discards_completed_total, node_disk_discards_merged_total,
//                         node_disk_discarded_sectors_total (sectors, as node_exporter names it),
//                         node_disk_discard_time_seconds_total
//   16-17 flushes       → node_disk_flush_requests_total,
//                         node_disk_flush_requests_time_seconds_total
// all labelled device="name". Devices for which IsExcludedDiskDevice() is true are skipped
// silently (they are not malformed).
ParseStats ParseDiskstats(std::string_view text, int64_t ts_ms, common::SampleBatch& out);

// node_exporter's default device exclusion, ^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$:
// RAM disks, loop devices, floppies and partitions, whose I/O is already counted on their disk.
bool IsExcludedDiskDevice(std::string_view device);

// /proc/vmstat (proc(5)): one `name value` pair per line, the value an unsigned integer. The
// fields node_exporter exports by default, those matching ^(oom_kill|pgpg|pswp|pg.*fault).*
// (pgpgin, pgpgout, pswpin, pswpout, pgfault, pgmajfault, oom_kill on current kernels), become
// node_vmstat_<name> with the kernel's value unchanged (pgpg* and pswp* count pages, the others
// events; node_exporter does not convert them either). Other fields are not exported, but every
// line must still have that shape: a name that cannot be part of a metric name, a missing or
// non-integer value, or a third field make the line malformed.
ParseStats ParseVmstat(std::string_view text, int64_t ts_ms, common::SampleBatch& out);

// /proc/pressure/<resource> (Documentation/accounting/psi.rst) for resource cpu, io or memory:
// `some avg10=A avg60=B avg300=C total=T` and `full ...` with the same keys. `total` is the
// stall time since boot in microseconds; it is exported in seconds as
//   some → node_pressure_<resource>_waiting_seconds_total (at least one task was stalled)
//   full → node_pressure_<resource>_stalled_seconds_total (every non-idle task was stalled)
// except that cpu's full line (Linux 5.13+; always 0 for the whole system) is not exported, as
// node_exporter does not export it. The averages are not exported (rate() over the total gives
// them for any window). A line whose first field is neither some nor full, a field that is not
// key=value, or a missing or non-integer total make the line malformed.
ParseStats ParsePressure(std::string_view resource, std::string_view text, int64_t ts_ms,
                         common::SampleBatch& out);

// One mounted filesystem as the mounts file lists it, after unescaping.
struct MountEntry {
  std::string device;       // The source: /dev/vda1, server:/export, tmpfs...
  std::string mount_point;  // Absolute, in the reading process's mount namespace.
  std::string fs_type;
  bool read_only = false;  // The mount options include `ro`.
};

// /proc/self/mounts (proc(5), the fstab(5) format): `device mountpoint fstype options freq
// passno`, the kernel writing space, tab, newline and backslash inside a field as \ooo octal
// escapes. Appends to `mounts` every mount that IsExcludedMountPoint() and IsExcludedFsType() do
// not exclude (excluded mounts are skipped silently), each (device, mountpoint, fstype) once: a
// mount the table lists twice (seen through two propagation peers) would otherwise become two
// series with the same labels. A line with fewer than four fields, a backslash that does not
// start an escape of a byte other than NUL, or a field that is not UTF-8 after unescaping (label
// values must be) is malformed.
ParseStats ParseMounts(std::string_view text, std::vector<MountEntry>& mounts);

// node_exporter's default mount point exclusion,
// ^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/):
// kernel pseudo filesystems, systemd's per-service credentials and container layers.
bool IsExcludedMountPoint(std::string_view mount_point);

// node_exporter's default filesystem type exclusion: autofs, binfmt_misc, bpf, cgroup, cgroup2,
// configfs, debugfs, devpts, devtmpfs, fusectl, hugetlbfs, iso9660, mqueue, nsfs, overlay, proc,
// procfs, pstore, rpc_pipefs, securityfs, selinuxfs, squashfs, sysfs and tracefs (the whole name
// must match): pseudo filesystems and read-only images, whose size says nothing about free space.
bool IsExcludedFsType(std::string_view fs_type);

}  // namespace strata::agent::host
