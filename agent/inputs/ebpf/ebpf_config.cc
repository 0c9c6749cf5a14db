#include "agent/inputs/ebpf/ebpf_config.h"

#include <algorithm>

namespace strata::agent::ebpf {
namespace {

common::Schema<EbpfOptions> MakeSchema() {
  common::Schema<EbpfOptions> s;
  s.Bool("enabled", &EbpfOptions::enabled,
         "Load the eBPF collectors (needs root or CAP_BPF+CAP_PERFMON and kernel BTF; without "
         "them the agent logs why and exports strata_ebpf_up 0).")
      .DurationMs("interval", &EbpfOptions::interval_ms, "How often the BPF maps are read.", 1000)
      .StringList("programs", &EbpfOptions::programs,
                  "Collectors to load: runqueue_latency, block_io_latency, tcp_retransmits, "
                  "cgroup_activity, oom_kills.")
      .String("cgroup_root", &EbpfOptions::cgroup_root,
              "Where the cgroup hierarchy is mounted (to name cgroups by path).")
      .String("proc_root", &EbpfOptions::proc_root, "Where /proc is mounted.")
      .Int("max_cgroups", &EbpfOptions::max_cgroups,
           "Distinct cgroup label values at most; events of further cgroups are exported as "
           "cgroup=\"_other_\".",
           1, 100000)
      .String("job", &EbpfOptions::job, "The job label on every eBPF series.")
      .String("instance", &EbpfOptions::instance,
              "The instance label on every eBPF series (default: hostname).")
      .Check([](const EbpfOptions& o) -> std::string {
        for (const std::string& p : o.programs) {
          const auto& known = KnownEbpfPrograms();
          if (std::find(known.begin(), known.end(), p) == known.end()) {
            return "unknown eBPF program \"" + p +
                   "\" (known: runqueue_latency, block_io_latency, tcp_retransmits, "
                   "cgroup_activity, oom_kills)";
          }
        }
        return "";
      });
  return s;
}

}  // namespace

const std::vector<std::string>& KnownEbpfPrograms() {
  static const std::vector<std::string> known = {"runqueue_latency", "block_io_latency",
                                                 "tcp_retransmits", "cgroup_activity", "oom_kills"};
  return known;
}

const common::Schema<EbpfOptions>& EbpfOptionsSchema() {
  static const common::Schema<EbpfOptions> schema = MakeSchema();
  return schema;
}

}  // namespace strata::agent::ebpf
