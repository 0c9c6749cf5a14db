#include "agent/inputs/host/host_input.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/base/check.h"
#include "common/base/log.h"
#include "common/model/labels.h"
#include "common/model/utf8.h"

namespace strata::agent::host {
namespace {

constexpr std::string_view kComponent = "host";

// /proc files report a size of 0, so they are read to EOF. The cap bounds memory if something
// that is not a real /proc (a bind mount, a FUSE file) keeps producing bytes; diskstats or stat
// on the largest machines are well under 1 MiB.
constexpr size_t kMaxProcFileBytes = 16 << 20;

constexpr char kStatfsErrorsName[] = "strata_agent_host_statfs_errors_total";
constexpr char kStatfsErrorsHelp[] =
    "Mounts whose usage could not be read, by reason: error (statfs failed), timeout (it did not "
    "return in time), hung (not tried: an earlier call has not returned).";

// Reads the whole file at `path` into `out`. On failure returns false with `error` set, and
// `open_errno` set when the file could not be opened (0 otherwise).
bool ReadProcFile(const std::string& path, std::string* out, std::string* error, int* open_errno) {
  out->clear();
  *open_errno = 0;
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    *open_errno = errno;
    *error = std::error_code(errno, std::generic_category()).message();
    return false;
  }
  char buf[64 * 1024];
  bool ok = true;
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::error_code(errno, std::generic_category()).message();
      ok = false;
      break;
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > kMaxProcFileBytes) {
      *error = "larger than " + std::to_string(kMaxProcFileBytes) + " bytes";
      ok = false;
      break;
    }
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return ok;
}

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

int64_t UserHz() {
  const long hz = ::sysconf(_SC_CLK_TCK);
  // USER_HZ is 100 on every mainstream architecture; sysconf cannot fail on Linux, but a value
  // is needed regardless.
  return hz > 0 ? hz : 100;
}

common::SeriesSample Series(std::vector<common::Label> labels, double value, int64_t ts_ms) {
  return common::SeriesSample{common::Labels::FromUnsorted(std::move(labels)), {ts_ms, value}};
}

// node_uname_info: the fields node_exporter calls sysname, release, version, machine, nodename
// and domainname. Nothing is appended if uname fails (it cannot on Linux) or a field is not
// UTF-8.
void AppendUnameInfo(int64_t ts_ms, common::SampleBatch& out) {
  struct utsname u {};
  if (::uname(&u) != 0) return;
  std::vector<common::Label> labels = {{std::string(common::kMetricNameLabel), "node_uname_info"},
                                       {"sysname", u.sysname},
                                       {"release", u.release},
                                       {"version", u.version},
                                       {"machine", u.machine},
                                       {"nodename", u.nodename},
                                       {"domainname", u.domainname}};
  for (const auto& l : labels) {
    if (!common::IsValidUtf8(l.value)) return;
  }
  out.push_back(Series(std::move(labels), 1, ts_ms));
}

common::Schema<HostOptions> MakeSchema() {
  common::Schema<HostOptions> s;
  s.Bool("enabled", &HostOptions::enabled,
         "Collect host metrics from /proc, statfs of the mounted filesystems and uname.")
      .DurationMs("interval", &HostOptions::interval_ms, "How often to read the /proc files.", 1000)
      .String("proc_root", &HostOptions::proc_root,
              "Where procfs is mounted; the host's /proc when the agent runs in a container. The "
              "filesystems are those listed in <proc_root>/self/mounts.")
      .String("job", &HostOptions::job, "The job label on every host series.")
      .String("instance", &HostOptions::instance,
              "The instance label on every host series; empty means this machine's hostname.")
      .DurationMs("statfs_timeout", &HostOptions::statfs_timeout_ms,
                  "How long statfs may take on one mount (a dead network mount can hang) before "
                  "the mount is reported as failed and skipped until the call returns.",
                  1)
      .Check([](const HostOptions& o) -> std::string {
        if (o.proc_root.empty()) return "proc_root must not be empty";
        if (o.job.empty()) return "job must not be empty";
        return "";
      });
  return s;
}

}  // namespace

const common::Schema<HostOptions>& HostOptionsSchema() {
  static const common::Schema<HostOptions> schema = MakeSchema();
  return schema;
}

HostInput::HostInput(HostOptions options, const common::Clock& clock, common::Registry& metrics,
                     StatfsFn statfs)
    : options_(std::move(options)),
      clock_(clock),
      instance_(options_.instance.empty() ? Hostname() : options_.instance),
      user_hz_(UserHz()),
      collections_(metrics.GetCounter("strata_agent_host_collections_total",
                                      "Collections of host metrics from /proc.")),
      statfs_errors_(
          metrics.GetCounter(kStatfsErrorsName, kStatfsErrorsHelp, {{"reason", "error"}})),
      statfs_timeouts_(
          metrics.GetCounter(kStatfsErrorsName, kStatfsErrorsHelp, {{"reason", "timeout"}})),
      statfs_hung_(metrics.GetCounter(kStatfsErrorsName, kStatfsErrorsHelp, {{"reason", "hung"}})),
      statfs_(std::move(statfs), options_.statfs_timeout_ms),
      files_{{{Kind::kStat, "stat"},
              {Kind::kMeminfo, "meminfo"},
              {Kind::kLoadavg, "loadavg"},
              {Kind::kNetDev, "net/dev"},
              {Kind::kDiskstats, "diskstats"},
              {Kind::kVmstat, "vmstat"},
              {Kind::kPressure, "pressure/cpu", true},
              {Kind::kPressure, "pressure/io", true},
              {Kind::kPressure, "pressure/memory", true},
              {Kind::kMounts, "self/mounts"}}} {
  STRATA_CHECK(options_.interval_ms > 0) << "host input interval must be positive";
  for (ProcFile& f : files_) {
    f.read_errors = &metrics.GetCounter("strata_agent_host_read_errors_total",
                                        "Host /proc files that could not be read, by file.",
                                        {{"file", f.path}});
    f.parse_errors = &metrics.GetCounter("strata_agent_host_parse_errors_total",
                                         "Malformed lines skipped in host /proc files, by file.",
                                         {{"file", f.path}});
  }
}

HostInput::~HostInput() { Stop(); }

absl::Status HostInput::Start(SampleSink& sink) {
  if (thread_.joinable()) return absl::FailedPreconditionError("host input already started");
  if (!options_.enabled) return absl::OkStatus();
  sink_ = &sink;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(std::string("cannot start host thread: ") + e.what());
  }
  return absl::OkStatus();
}

void HostInput::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HostInput::Run() {
  pthread_setname_np(pthread_self(), "host");
  const int64_t interval_ms = options_.interval_ms;
  int64_t next_ms = clock_.MonotonicMs();
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    common::SampleBatch batch = Collect();
    if (!batch.empty()) sink_->Push(std::move(batch));
    lock.lock();
    // Ticks stay on a fixed grid so the interval does not drift by the collection time. After a
    // stall (suspend, an overloaded host) the missed ticks are skipped rather than collected in a
    // burst. The wait is capped at one interval in case the clock does not advance.
    next_ms += interval_ms;
    const int64_t now_ms = clock_.MonotonicMs();
    if (next_ms <= now_ms) next_ms = now_ms + interval_ms;
    const int64_t wait_ms = std::min(next_ms - now_ms, interval_ms);
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stop_; });
  }
}

common::SampleBatch HostInput::Collect() {
  std::lock_guard lock(collect_mu_);
  const int64_t ts_ms = clock_.NowMs();
  common::SampleBatch batch;
  std::string text;
  std::string error;
  int open_errno = 0;
  for (ProcFile& file : files_) {
    const std::string path = options_.proc_root + "/" + file.path;
    if (!ReadProcFile(path, &text, &error, &open_errno)) {
      if (file.optional && open_errno == ENOENT) continue;
      file.read_errors->Inc();
      if (!file.read_failing) {
        common::Log(common::LogLevel::kWarn, kComponent,
                    "cannot read proc file; skipping it until it is readable again",
                    {{"path", path}, {"error", error}});
        file.read_failing = true;
      }
      continue;
    }
    if (file.read_failing) {
      common::Log(common::LogLevel::kInfo, kComponent, "proc file is readable again",
                  {{"path", path}});
      file.read_failing = false;
    }

    ParseStats stats;
    switch (file.kind) {
      case Kind::kStat:
        stats = ParseProcStat(text, user_hz_, ts_ms, batch);
        break;
      case Kind::kMeminfo:
        stats = ParseMeminfo(text, ts_ms, batch);
        break;
      case Kind::kLoadavg:
        stats = ParseLoadavg(text, ts_ms, batch);
        break;
      case Kind::kNetDev:
        stats = ParseNetDev(text, ts_ms, batch);
        break;
      case Kind::kDiskstats:
        stats = ParseDiskstats(text, ts_ms, batch);
        break;
      case Kind::kVmstat:
        stats = ParseVmstat(text, ts_ms, batch);
        break;
      case Kind::kPressure:
        // "pressure/cpu" → "cpu".
        stats = ParsePressure(std::string_view(file.path).substr(sizeof("pressure/") - 1), text,
                              ts_ms, batch);
        break;
      case Kind::kMounts:
        stats = CollectFilesystems(text, ts_ms, batch);
        break;
    }
    if (stats.malformed_lines > 0) {
      file.parse_errors->Inc(static_cast<double>(stats.malformed_lines));
      if (!file.parse_failing) {
        common::Log(common::LogLevel::kWarn, kComponent, "skipped malformed lines in proc file",
                    {{"path", path}, {"lines", stats.malformed_lines}});
        file.parse_failing = true;
      }
    } else {
      file.parse_failing = false;
    }
  }

  AppendUnameInfo(ts_ms, batch);
  batch.push_back(Series({{std::string(common::kMetricNameLabel), "node_time_seconds"}},
                         static_cast<double>(ts_ms) / 1000, ts_ms));

  for (common::SeriesSample& s : batch) {
    s.labels =
        common::LabelsBuilder(s.labels).Set("job", options_.job).Set("instance", instance_).Build();
  }
  collections_.Inc();
  return batch;
}

ParseStats HostInput::CollectFilesystems(std::string_view mounts_text, int64_t ts_ms,
                                         common::SampleBatch& out) {
  std::vector<MountEntry> mounts;
  const ParseStats stats = ParseMounts(mounts_text, mounts);
  for (const MountEntry& m : mounts) {
    const StatfsProber::Result r = statfs_.Probe(m.mount_point);
    const auto append = [&](const char* name, double value) {
      out.push_back(Series({{std::string(common::kMetricNameLabel), name},
                            {"device", m.device},
                            {"fstype", m.fs_type},
                            {"mountpoint", m.mount_point}},
                           value, ts_ms));
    };
    append("node_filesystem_device_error", r.outcome == StatfsProber::Outcome::kOk ? 0 : 1);
    append("node_filesystem_readonly", m.read_only ? 1 : 0);
    std::string_view failure;
    std::string detail;
    switch (r.outcome) {
      case StatfsProber::Outcome::kOk: {
        const double bsize = static_cast<double>(r.usage.block_size);
        append("node_filesystem_size_bytes", static_cast<double>(r.usage.blocks) * bsize);
        append("node_filesystem_free_bytes", static_cast<double>(r.usage.blocks_free) * bsize);
        append("node_filesystem_avail_bytes", static_cast<double>(r.usage.blocks_avail) * bsize);
        append("node_filesystem_files", static_cast<double>(r.usage.files));
        append("node_filesystem_files_free", static_cast<double>(r.usage.files_free));
        if (failing_mounts_.erase(m.mount_point) > 0) {
          common::Log(common::LogLevel::kInfo, kComponent, "filesystem usage is readable again",
                      {{"mountpoint", m.mount_point}});
        }
        continue;
      }
      case StatfsProber::Outcome::kFailed:
        statfs_errors_.Inc();
        failure = "statfs failed; reporting node_filesystem_device_error 1 until it succeeds";
        detail = std::error_code(r.error, std::generic_category()).message();
        break;
      case StatfsProber::Outcome::kTimedOut:
        statfs_timeouts_.Inc();
        failure = "statfs did not return in time; skipping the mount until it does";
        detail = "no answer after " + std::to_string(options_.statfs_timeout_ms) + " ms";
        break;
      case StatfsProber::Outcome::kHung:
        statfs_hung_.Inc();
        failure = "statfs not tried; reporting node_filesystem_device_error 1";
        detail = "earlier statfs calls have not returned";
        break;
    }
    if (failing_mounts_.insert(m.mount_point).second) {
      common::Log(common::LogLevel::kWarn, kComponent, failure,
                  {{"mountpoint", m.mount_point}, {"error", detail}});
    }
  }
  // Forget failing mounts that are gone, so churning mounts cannot grow the set.
  std::erase_if(failing_mounts_, [&](const std::string& mount_point) {
    return std::none_of(mounts.begin(), mounts.end(),
                        [&](const MountEntry& m) { return m.mount_point == mount_point; });
  });
  return stats;
}

}  // namespace strata::agent::host
