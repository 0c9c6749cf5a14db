#include "agent/inputs/host/proc_parsers.h"

#include <re2/re2.h>

#include <array>
#include <charconv>
#include <cmath>
#include <set>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "common/model/utf8.h"

namespace strata::agent::host {
namespace {

using common::Label;
using common::Labels;
using common::SampleBatch;

// Calls `fn(line)` for every non-empty line of `text`. A final line without its "\n" was cut
// off mid-read (every /proc line is terminated), so it is counted as malformed, not parsed.
template <typename Fn>
void ForEachLine(std::string_view text, ParseStats& stats, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      ++stats.malformed_lines;
      return;
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    fn(line);
  }
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Splits `line` on runs of blanks into at most N fields; fields past N are ignored (newer kernels
// append columns, and the intr line has one per interrupt). Returns the number stored.
template <size_t N>
size_t SplitFields(std::string_view line, std::array<std::string_view, N>& fields) {
  size_t count = 0;
  size_t i = 0;
  while (count < N) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i == line.size()) break;
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    fields[count++] = line.substr(start, i - start);
  }
  return count;
}

// The whole token must be a base-10 unsigned integer; a sign, a fraction or trailing bytes fail.
bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseFiniteDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(*out);
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void Append(SampleBatch& out, ParseStats& stats, std::string_view name, double value, int64_t ts_ms,
            std::vector<Label> extra = {}) {
  extra.push_back(Label{std::string(common::kMetricNameLabel), std::string(name)});
  out.push_back(common::SeriesSample{Labels::FromUnsorted(std::move(extra)), {ts_ms, value}});
  ++stats.series;
}

// /proc/stat CPU columns in kernel order; the last two are the guest columns.
constexpr std::array<std::string_view, 8> kCpuModes = {"user",   "nice", "system",  "idle",
                                                       "iowait", "irq",  "softirq", "steal"};
constexpr std::array<std::string_view, 2> kCpuGuestModes = {"user", "nice"};

struct StatScalar {
  std::string_view key;
  std::string_view metric;
};
constexpr std::array<StatScalar, 6> kStatScalars = {{
    {"btime", "node_boot_time_seconds"},
    {"ctxt", "node_context_switches_total"},
    {"processes", "node_forks_total"},
    {"intr", "node_intr_total"},
    {"procs_running", "node_procs_running"},
    {"procs_blocked", "node_procs_blocked"},
}};

void ParseCpuLine(std::string_view cpu, const std::array<std::string_view, 12>& fields,
                  size_t count, int64_t user_hz, int64_t ts_ms, SampleBatch& out,
                  ParseStats& stats) {
  const size_t columns = count - 1;
  if (user_hz <= 0 || !AllDigits(cpu) || columns < 4) {
    ++stats.malformed_lines;
    return;
  }
  std::array<uint64_t, kCpuModes.size() + kCpuGuestModes.size()> ticks{};
  const size_t used = std::min(columns, ticks.size());
  for (size_t i = 0; i < used; ++i) {
    if (!ParseU64(fields[i + 1], &ticks[i])) {
      ++stats.malformed_lines;
      return;
    }
  }
  const double hz = static_cast<double>(user_hz);
  for (size_t i = 0; i < used; ++i) {
    const bool guest = i >= kCpuModes.size();
    std::string_view mode = guest ? kCpuGuestModes[i - kCpuModes.size()] : kCpuModes[i];
    Append(out, stats, guest ? "node_cpu_guest_seconds_total" : "node_cpu_seconds_total",
           static_cast<double>(ticks[i]) / hz, ts_ms,
           {{"cpu", std::string(cpu)}, {"mode", std::string(mode)}});
  }
}

// Folds a meminfo field name into a metric name part: "Active(anon)" → "Active_anon". Returns
// false for any character a metric name cannot carry.
bool MeminfoFieldName(std::string_view field, std::string* out) {
  out->clear();
  for (char c : field) {
    if (c == '(') {
      out->push_back('_');
    } else if (c == ')') {
      continue;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_') {
      out->push_back(c);
    } else {
      return false;
    }
  }
  return !out->empty();
}

constexpr std::array<std::string_view, 16> kNetDevMetrics = {
    "node_network_receive_bytes_total",      "node_network_receive_packets_total",
    "node_network_receive_errs_total",       "node_network_receive_drop_total",
    "node_network_receive_fifo_total",       "node_network_receive_frame_total",
    "node_network_receive_compressed_total", "node_network_receive_multicast_total",
    "node_network_transmit_bytes_total",     "node_network_transmit_packets_total",
    "node_network_transmit_errs_total",      "node_network_transmit_drop_total",
    "node_network_transmit_fifo_total",      "node_network_transmit_colls_total",
    "node_network_transmit_carrier_total",   "node_network_transmit_compressed_total",
};

// The unit a diskstats column is reported in; ToBaseUnit() converts it to the metric's.
enum class DiskUnit { kCount, kSectors, kMs };

double ToBaseUnit(DiskUnit unit, uint64_t raw) {
  const double v = static_cast<double>(raw);
  switch (unit) {
    case DiskUnit::kSectors:
      return v * 512;  // iostats.rst: a sector is 512 bytes whatever the device's block size.
    case DiskUnit::kMs:
      return v / 1000;  // Divided, not multiplied by 0.001, so 1500 ms is exactly 1.5 s.
    case DiskUnit::kCount:
      break;
  }
  return v;
}

struct DiskField {
  std::string_view metric;
  DiskUnit unit;
};
constexpr size_t kDiskBaseFields = 11;
constexpr size_t kDiskDiscardFields = 15;
constexpr size_t kDiskFlushFields = 17;
constexpr std::array<DiskField, kDiskFlushFields> kDiskFields = {{
    {"node_disk_reads_completed_total", DiskUnit::kCount},
    {"node_disk_reads_merged_total", DiskUnit::kCount},
    {"node_disk_read_bytes_total", DiskUnit::kSectors},
    {"node_disk_read_time_seconds_total", DiskUnit::kMs},
    {"node_disk_writes_completed_total", DiskUnit::kCount},
    {"node_disk_writes_merged_total", DiskUnit::kCount},
    {"node_disk_written_bytes_total", DiskUnit::kSectors},
    {"node_disk_write_time_seconds_total", DiskUnit::kMs},
    {"node_disk_io_now", DiskUnit::kCount},
    {"node_disk_io_time_seconds_total", DiskUnit::kMs},
    {"node_disk_io_time_weighted_seconds_total", DiskUnit::kMs},
    {"node_disk_discards_completed_total", DiskUnit::kCount},
    {"node_disk_discards_merged_total", DiskUnit::kCount},
    {"node_disk_discarded_sectors_total", DiskUnit::kCount},
    {"node_disk_discard_time_seconds_total", DiskUnit::kMs},
    {"node_disk_flush_requests_total", DiskUnit::kCount},
    {"node_disk_flush_requests_time_seconds_total", DiskUnit::kMs},
}};

// Whether `name` may follow "node_vmstat_" in a metric name.
bool IsMetricNamePart(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsExportedVmstatField(std::string_view name) {
  static const re2::RE2 kInclude(R"((oom_kill|pgpg|pswp|pg.*fault).*)");
  return re2::RE2::FullMatch(name, kInclude);
}

// Undoes the kernel's escaping of mount table fields (fs/proc_namespace.c writes ' ', '\t',
// '\n' and '\\' as a backslash and three octal digits). False for a backslash that does not
// start such an escape, or one that would decode to NUL.
bool UnescapeMountField(std::string_view field, std::string* out) {
  out->clear();
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out->push_back(field[i]);
      continue;
    }
    if (i + 3 >= field.size()) return false;
    int value = 0;
    for (size_t j = i + 1; j <= i + 3; ++j) {
      if (field[j] < '0' || field[j] > '7') return false;
      value = value * 8 + (field[j] - '0');
    }
    if (value == 0 || value > 0xff) return false;
    out->push_back(static_cast<char>(value));
    i += 3;
  }
  return common::IsValidUtf8(*out);
}

bool HasMountOption(std::string_view options, std::string_view option) {
  while (!options.empty()) {
    const size_t comma = options.find(',');
    if (options.substr(0, comma) == option) return true;
    if (comma == std::string_view::npos) break;
    options.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

ParseStats ParseProcStat(std::string_view text, int64_t user_hz, int64_t ts_ms, SampleBatch& out) {
  ParseStats stats;
  ForEachLine(text, stats, [&](std::string_view line) {
    std::array<std::string_view, 12> fields;
    const size_t count = SplitFields(line, fields);
    const std::string_view key = fields[0];
    if (key.starts_with("cpu")) {
      // The aggregate "cpu" line is the sum of the per-CPU lines; it is not exported.
      if (key.size() > 3) {
        ParseCpuLine(key.substr(3), fields, count, user_hz, ts_ms, out, stats);
      }
      return;
    }
    for (const StatScalar& scalar : kStatScalars) {
      if (key != scalar.key) continue;
      uint64_t value = 0;
      if (count < 2 || !ParseU64(fields[1], &value)) {
        ++stats.malformed_lines;
        return;
      }
      Append(out, stats, scalar.metric, static_cast<double>(value), ts_ms);
      return;
    }
  });
  return stats;
}

ParseStats ParseMeminfo(std::string_view text, int64_t ts_ms, SampleBatch& out) {
  ParseStats stats;
  std::string field;
  ForEachLine(text, stats, [&](std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !MeminfoFieldName(line.substr(0, colon), &field)) {
      ++stats.malformed_lines;
      return;
    }
    std::array<std::string_view, 3> fields;
    const size_t count = SplitFields(line.substr(colon + 1), fields);
    uint64_t value = 0;
    if (count == 0 || count > 2 || !ParseU64(fields[0], &value) ||
        (count == 2 && fields[1] != "kB")) {
      ++stats.malformed_lines;
      return;
    }
    if (count == 2) {
      Append(out, stats, "node_memory_" + field + "_bytes", static_cast<double>(value) * 1024,
             ts_ms);
    } else {
      Append(out, stats, "node_memory_" + field, static_cast<double>(value), ts_ms);
    }
  });
  return stats;
}

ParseStats ParseLoadavg(std::string_view text, int64_t ts_ms, SampleBatch& out) {
  ParseStats stats;
  bool first = true;
  ForEachLine(text, stats, [&](std::string_view line) {
    if (!std::exchange(first, false)) return;
    std::array<std::string_view, 3> fields;
    std::array<double, 3> loads{};
    if (SplitFields(line, fields) < 3 || !ParseFiniteDouble(fields[0], &loads[0]) ||
        !ParseFiniteDouble(fields[1], &loads[1]) || !ParseFiniteDouble(fields[2], &loads[2])) {
      ++stats.malformed_lines;
      return;
    }
    Append(out, stats, "node_load1", loads[0], ts_ms);
    Append(out, stats, "node_load5", loads[1], ts_ms);
    Append(out, stats, "node_load15", loads[2], ts_ms);
  });
  return stats;
}

ParseStats ParseNetDev(std::string_view text, int64_t ts_ms, SampleBatch& out) {
  ParseStats stats;
  ForEachLine(text, stats, [&](std::string_view line) {
    // The two header lines ("Inter-|   Receive ..." and " face |bytes ...") are the only ones
    // with a '|'; interface names cannot contain one.
    if (line.find('|') != std::string_view::npos) return;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      ++stats.malformed_lines;
      return;
    }
    std::string_view device = line.substr(0, colon);
    while (!device.empty() && IsBlank(device.front())) device.remove_prefix(1);
    while (!device.empty() && IsBlank(device.back())) device.remove_suffix(1);
    std::array<std::string_view, kNetDevMetrics.size()> fields;
    std::array<uint64_t, kNetDevMetrics.size()> values{};
    bool valid = !device.empty() && SplitFields(line.substr(colon + 1), fields) == fields.size();
    for (size_t i = 0; valid && i < fields.size(); ++i) valid = ParseU64(fields[i], &values[i]);
    if (!valid) {
      ++stats.malformed_lines;
      return;
    }
    for (size_t i = 0; i < values.size(); ++i) {
      Append(out, stats, kNetDevMetrics[i], static_cast<double>(values[i]), ts_ms,
             {{"device", std::string(device)}});
    }
  });
  return stats;
}

ParseStats ParseDiskstats(std::string_view text, int64_t ts_ms, SampleBatch& out) {
  ParseStats stats;
  ForEachLine(text, stats, [&](std::string_view line) {
    std::array<std::string_view, 3 + kDiskFlushFields> fields;
    const size_t count = SplitFields(line, fields);
    uint64_t major = 0;
    uint64_t minor = 0;
    if (count < 3 + kDiskBaseFields || !ParseU64(fields[0], &major) ||
        !ParseU64(fields[1], &minor)) {
      ++stats.malformed_lines;
      return;
    }
    const std::string_view device = fields[2];
    if (IsExcludedDiskDevice(device)) return;
    size_t columns = count - 3;
    std::array<uint64_t, kDiskFlushFields> values{};
    for (size_t i = 0; i < columns; ++i) {
      if (!ParseU64(fields[3 + i], &values[i])) {
        ++stats.malformed_lines;
        return;
      }
    }
    // Export only whole groups: a line cut between the base fields and the discard fields
    // (impossible from a real kernel) is treated as the older layout.
    if (columns >= kDiskFlushFields) {
      columns = kDiskFlushFields;
    } else if (columns >= kDiskDiscardFields) {
      columns = kDiskDiscardFields;
    } else {
      columns = kDiskBaseFields;
    }
    for (size_t i = 0; i < columns; ++i) {
      Append(out, stats, kDiskFields[i].metric, ToBaseUnit(kDiskFields[i].unit, values[i]), ts_ms,
             {{"device", std::string(device)}});
    }
  });
  return stats;
}

bool IsExcludedDiskDevice(std::string_view device) {
  // RE2 matches in linear time, and a function-local static is built once, thread-safely.
  static const re2::RE2 kExclude(R"((z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+)");
  return re2::RE2::FullMatch(device, kExclude);
}

ParseStats ParseVmstat(std::string_view text, int64_t ts_ms, SampleBatch& out) {
  ParseStats stats;
  ForEachLine(text, stats, [&](std::string_view line) {
    std::array<std::string_view, 3> fields;
    uint64_t value = 0;
    if (SplitFields(line, fields) != 2 || !IsMetricNamePart(fields[0]) ||
        !ParseU64(fields[1], &value)) {
      ++stats.malformed_lines;
      return;
    }
    if (!IsExportedVmstatField(fields[0])) return;
    Append(out, stats, "node_vmstat_" + std::string(fields[0]), static_cast<double>(value), ts_ms);
  });
  return stats;
}

ParseStats ParsePressure(std::string_view resource, std::string_view text, int64_t ts_ms,
                         SampleBatch& out) {
  ParseStats stats;
  ForEachLine(text, stats, [&](std::string_view line) {
    // Five fields today; a sixth is tolerated (and ignored) should a kernel add a key.
    std::array<std::string_view, 6> fields;
    const size_t count = SplitFields(line, fields);
    const bool some = fields[0] == "some";
    if (!some && fields[0] != "full") {
      ++stats.malformed_lines;
      return;
    }
    bool has_total = false;
    uint64_t total_us = 0;
    for (size_t i = 1; i < count; ++i) {
      const size_t eq = fields[i].find('=');
      if (eq == std::string_view::npos || eq == 0) {
        ++stats.malformed_lines;
        return;
      }
      if (fields[i].substr(0, eq) != "total") continue;
      if (has_total || !ParseU64(fields[i].substr(eq + 1), &total_us)) {
        ++stats.malformed_lines;
        return;
      }
      has_total = true;
    }
    if (!has_total) {
      ++stats.malformed_lines;
      return;
    }
    if (!some && resource == "cpu") return;
    Append(out, stats,
           "node_pressure_" + std::string(resource) +
               (some ? "_waiting_seconds_total" : "_stalled_seconds_total"),
           static_cast<double>(total_us) / 1e6, ts_ms);
  });
  return stats;
}

ParseStats ParseMounts(std::string_view text, std::vector<MountEntry>& mounts) {
  ParseStats stats;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  ForEachLine(text, stats, [&](std::string_view line) {
    std::array<std::string_view, 4> fields;
    MountEntry m;
    if (SplitFields(line, fields) < fields.size() || !UnescapeMountField(fields[0], &m.device) ||
        !UnescapeMountField(fields[1], &m.mount_point) ||
        !UnescapeMountField(fields[2], &m.fs_type)) {
      ++stats.malformed_lines;
      return;
    }
    if (IsExcludedMountPoint(m.mount_point) || IsExcludedFsType(m.fs_type)) return;
    if (!seen.emplace(m.device, m.mount_point, m.fs_type).second) return;
    m.read_only = HasMountOption(fields[3], "ro");
    mounts.push_back(std::move(m));
    ++stats.series;
  });
  return stats;
}

bool IsExcludedMountPoint(std::string_view mount_point) {
  static const re2::RE2 kExclude(
      "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)"
      "($|/)");
  return re2::RE2::PartialMatch(mount_point, kExclude);
}

bool IsExcludedFsType(std::string_view fs_type) {
  static const re2::RE2 kExclude(
      "autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|"
      "mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|"
      "tracefs");
  return re2::RE2::FullMatch(fs_type, kExclude);
}

}  // namespace strata::agent::host
