#include "agent/inputs/ebpf/programs.h"

#if STRATA_HAVE_EBPF

#include <bpf/libbpf.h>

#include <fstream>
#include <sstream>
#include <unordered_set>

#include "agent/inputs/ebpf/bpf_maps.h"
#include "agent/inputs/ebpf/cgroup_paths.h"
#include "agent/inputs/ebpf/log2_histogram.h"
#include "agent/inputs/ebpf/skeleton.h"
#include "bpf/block_io_latency.skel.h"
#include "bpf/cgroup_activity.skel.h"
#include "bpf/oom_kills.skel.h"
#include "bpf/runqueue_latency.skel.h"
#include "bpf/tcp_retransmits.skel.h"

namespace strata::agent::ebpf {
namespace {

void PushSample(const std::vector<common::Label>& base, const std::string& name,
                std::vector<common::Label> extra, int64_t ts_ms, double v,
                common::SampleBatch& out) {
  extra.insert(extra.end(), base.begin(), base.end());
  extra.push_back({std::string(common::kMetricNameLabel), name});
  out.push_back({common::Labels::FromUnsorted(std::move(extra)), {ts_ms, v}});
}

// runqueue_latency and block_io_latency: a per-CPU `hist` array.
template <typename T>
class LatencyProgram final : public EbpfProgram {
 public:
  LatencyProgram(std::string name, std::string metric)
      : name_(std::move(name)), metric_(std::move(metric)) {}
  std::string Name() const override { return name_; }
  absl::Status Load() override {
    absl::Status s = skel_.Open();
    return s.ok() ? skel_.LoadAndAttach() : s;
  }
  void Collect(const std::vector<common::Label>& base, int64_t ts_ms,
               common::SampleBatch& out) override {
    const int fd = bpf_map__fd(skel_->maps.hist);
    Log2Histogram h;
    for (uint32_t s = 0; s < STRATA_HIST_SLOTS; ++s) h.slots[s] = SumPerCpuArray(fd, s);
    h.sum_ns = SumPerCpuArray(fd, STRATA_HIST_SUM_SLOT);
    AppendLog2Histogram(metric_, h, base, ts_ms, out);
  }

 private:
  const std::string name_;
  const std::string metric_;
  Skeleton<T> skel_;
};

class TcpRetransmitsProgram final : public EbpfProgram {
 public:
  std::string Name() const override { return "tcp_retransmits"; }
  absl::Status Load() override {
    absl::Status s = skel_.Open();
    return s.ok() ? skel_.LoadAndAttach() : s;
  }
  void Collect(const std::vector<common::Label>& base, int64_t ts_ms,
               common::SampleBatch& out) override {
    const double v = static_cast<double>(SumPerCpuArray(bpf_map__fd(skel_->maps.retransmits), 0));
    PushSample(base, "ebpf_tcp_retransmits_total", {}, ts_ms, v, out);
  }

 private:
  Skeleton<strata_tcp_retransmits> skel_;
};

class OomKillsProgram final : public EbpfProgram {
 public:
  std::string Name() const override { return "oom_kills"; }
  absl::Status Load() override {
    absl::Status s = skel_.Open();
    return s.ok() ? skel_.LoadAndAttach() : s;
  }
  void Collect(const std::vector<common::Label>& base, int64_t ts_ms,
               common::SampleBatch& out) override {
    const double v = static_cast<double>(ReadArray(bpf_map__fd(skel_->maps.kills), 0));
    PushSample(base, "ebpf_oom_kills_total", {}, ts_ms, v, out);
  }

 private:
  Skeleton<strata_oom_kills> skel_;
};

// The index of a cgroup v1 controller in /proc/cgroups (its subsystem id), or -1.
int V1SubsysId(const std::string& proc_root, const std::string& controller) {
  std::ifstream in(proc_root + "/cgroups");
  std::string line;
  int index = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    if (name == controller) return index;
    ++index;
  }
  return -1;
}

class CgroupActivityProgram final : public EbpfProgram {
 public:
  explicit CgroupActivityProgram(const EbpfOptions& o)
      : proc_root_(o.proc_root),
        cgroup_root_(o.cgroup_root),
        max_cgroups_(static_cast<size_t>(o.max_cgroups)),
        paths_(o.cgroup_root) {}
  std::string Name() const override { return "cgroup_activity"; }
  absl::Status Load() override {
    absl::Status s = skel_.Open();
    if (!s.ok()) return s;
    // cgroup v2 when the unified hierarchy is mounted at the root; else v1's memory controller.
    std::ifstream unified(cgroup_root_ + "/cgroup.controllers");
    if (!unified.good()) {
      const int id = V1SubsysId(proc_root_, "memory");
      if (id < 0) return absl::UnavailableError("no cgroup v2 and no cgroup v1 memory controller");
      skel_->rodata->v1_subsys = id;
      paths_ = CgroupPaths(cgroup_root_ + "/memory");
    }
    s = skel_.LoadAndAttach();
    if (!s.ok()) return s;
    EnsureHashKey(bpf_map__fd(skel_->maps.syscalls), 0, /*per_cpu=*/true);
    EnsureHashKey(bpf_map__fd(skel_->maps.execs), 0, /*per_cpu=*/false);
    return absl::OkStatus();
  }
  void Collect(const std::vector<common::Label>& base, int64_t ts_ms,
               common::SampleBatch& out) override {
    paths_.Refresh();
    Emit("ebpf_syscalls_total", ReadHash(bpf_map__fd(skel_->maps.syscalls), true), base, ts_ms,
         out);
    Emit("ebpf_process_execs_total", ReadHash(bpf_map__fd(skel_->maps.execs), false), base, ts_ms,
         out);
  }

 private:
  // Sums the counts by cgroup label and appends one series per label.
  void Emit(const std::string& metric, const std::unordered_map<uint64_t, uint64_t>& counts,
            const std::vector<common::Label>& base, int64_t ts_ms, common::SampleBatch& out) {
    std::unordered_map<std::string, double> by_label;
    for (const auto& [id, n] : counts) by_label[Label(id)] += static_cast<double>(n);
    for (const auto& [label, n] : by_label)
      PushSample(base, metric, {{"cgroup", label}}, ts_ms, n, out);
  }
  // Each id keeps the label it first got, so a counter never moves between series.
  const std::string& Label(uint64_t id) {
    auto it = labels_.find(id);
    if (it != labels_.end()) return it->second;
    std::string label;
    if (id == 0) {
      label = "_other_";  // the BPF side's overflow entry
    } else if (named_.size() >= max_cgroups_) {
      label = "_other_";
    } else {
      label = paths_.Path(id);
      if (label.empty()) label = "unknown";
      named_.insert(label);
    }
    return labels_.emplace(id, std::move(label)).first->second;
  }

  const std::string proc_root_;
  const std::string cgroup_root_;
  const size_t max_cgroups_;
  CgroupPaths paths_;
  std::unordered_map<uint64_t, std::string> labels_;
  std::unordered_set<std::string> named_;
  Skeleton<strata_cgroup_activity> skel_;
};

}  // namespace

std::unique_ptr<EbpfProgram> MakeEbpfProgram(const std::string& name, const EbpfOptions& options) {
  if (name == "runqueue_latency") {
    return std::make_unique<LatencyProgram<strata_runqueue_latency>>(
        name, "ebpf_runqueue_latency_seconds");
  }
  if (name == "block_io_latency") {
    return std::make_unique<LatencyProgram<strata_block_io_latency>>(
        name, "ebpf_block_io_latency_seconds");
  }
  if (name == "tcp_retransmits") return std::make_unique<TcpRetransmitsProgram>();
  if (name == "oom_kills") return std::make_unique<OomKillsProgram>();
  if (name == "cgroup_activity") return std::make_unique<CgroupActivityProgram>(options);
  return nullptr;
}

}  // namespace strata::agent::ebpf

#else  // !STRATA_HAVE_EBPF

namespace strata::agent::ebpf {

std::unique_ptr<EbpfProgram> MakeEbpfProgram(const std::string&, const EbpfOptions&) {
  return nullptr;
}

}  // namespace strata::agent::ebpf

#endif
