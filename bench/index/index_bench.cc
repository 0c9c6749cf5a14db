// Measures PostingsIndex (collector/storage/index/postings_index.h) on a node_exporter-like
// population: 100 instances (job="node", instance="host-<i>:9100") of ~1000 series each, 100k
// series in all:
//   node_cpu_seconds_total          16 cpus x 8 modes
//   node_disk_*                     10 metrics x 4 devices
//   node_network_*                  8 metrics x 4 devices
//   node_filesystem_*               5 metrics x 5 mountpoints (with device and fstype)
//   node_scrape_collector_*         2 metrics x 40 collectors
//   node_load1, node_vmstat_<k>...  single series per instance up to 1000
// BM_Select reports the latency of one Select (label: the selector; counter `series`: how many it
// returns). BM_Add reports series/s when indexing all 100k series into an empty index.
//
//   index_bench [--benchmark_filter=...] [--benchmark_min_time=0.2]

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "collector/storage/index/postings_index.h"
#include "collector/storage/label_matcher.h"
#include "common/model/labels.h"

namespace {

using strata::collector::LabelMatcher;
using strata::collector::MatchOp;
using strata::collector::index::PostingsIndex;
using strata::common::Label;
using strata::common::Labels;

constexpr int kInstances = 100;
constexpr int kSeriesPerInstance = 1000;

std::vector<Labels> NodeExporterSeries() {
  const std::vector<std::string> modes = {"idle", "user", "system", "iowait",
                                          "irq",  "nice", "steal",  "softirq"};
  const std::vector<std::string> disks = {"sda", "sdb", "nvme0n1", "nvme1n1"};
  const std::vector<std::string> nics = {"eth0", "eth1", "lo", "docker0"};
  const std::vector<std::string> mounts = {"/", "/boot", "/home", "/var", "/run"};
  const std::vector<std::string> disk_metrics = {
      "reads_completed_total",    "writes_completed_total",
      "read_bytes_total",         "written_bytes_total",
      "io_time_seconds_total",    "read_time_seconds_total",
      "write_time_seconds_total", "io_now",
      "reads_merged_total",       "writes_merged_total"};
  const std::vector<std::string> net_metrics = {"receive_bytes_total",   "transmit_bytes_total",
                                                "receive_packets_total", "transmit_packets_total",
                                                "receive_errs_total",    "transmit_errs_total",
                                                "receive_drop_total",    "transmit_drop_total"};
  const std::vector<std::string> fs_metrics = {"avail_bytes", "size_bytes", "free_bytes", "files",
                                               "files_free"};

  std::vector<Labels> out;
  out.reserve(kInstances * kSeriesPerInstance);
  for (int i = 0; i < kInstances; ++i) {
    const std::string instance = "host-" + std::to_string(i) + ":9100";
    const size_t first = out.size();
    auto add = [&](std::vector<Label> extra) {
      extra.push_back({"job", "node"});
      extra.push_back({"instance", instance});
      out.push_back(Labels::FromUnsorted(std::move(extra)));
    };
    for (int cpu = 0; cpu < 16; ++cpu) {
      for (const std::string& mode : modes) {
        add({{"__name__", "node_cpu_seconds_total"}, {"cpu", std::to_string(cpu)}, {"mode", mode}});
      }
    }
    for (const std::string& m : disk_metrics) {
      for (const std::string& d : disks) add({{"__name__", "node_disk_" + m}, {"device", d}});
    }
    for (const std::string& m : net_metrics) {
      for (const std::string& d : nics) add({{"__name__", "node_network_" + m}, {"device", d}});
    }
    for (const std::string& m : fs_metrics) {
      for (const std::string& mp : mounts) {
        add({{"__name__", "node_filesystem_" + m},
             {"mountpoint", mp},
             {"device", "/dev/sda" + std::to_string(mp.size())},
             {"fstype", mp == "/run" ? "tmpfs" : "ext4"}});
      }
    }
    for (int c = 0; c < 40; ++c) {
      for (const char* m : {"duration_seconds", "success"}) {
        add({{"__name__", std::string("node_scrape_collector_") + m},
             {"collector", "collector" + std::to_string(c)}});
      }
    }
    add({{"__name__", "node_load1"}});
    for (int k = 0; out.size() - first < kSeriesPerInstance; ++k) {
      add({{"__name__", "node_vmstat_" + std::to_string(k)}});
    }
  }
  return out;
}

const std::vector<Labels>& Series() {
  static const std::vector<Labels>* series = new std::vector<Labels>(NodeExporterSeries());
  return *series;
}

const PostingsIndex& Index() {
  static const PostingsIndex* index = [] {
    auto* idx = new PostingsIndex;
    const std::vector<Labels>& series = Series();
    for (size_t id = 0; id < series.size(); ++id) idx->Add(static_cast<uint32_t>(id), series[id]);
    return idx;
  }();
  return *index;
}

LabelMatcher M(MatchOp op, std::string name, std::string value) {
  return LabelMatcher::Create(op, std::move(name), std::move(value)).value();
}

std::vector<std::vector<LabelMatcher>> Selectors() {
  return {
      {M(MatchOp::kEqual, "__name__", "node_cpu_seconds_total"),
       M(MatchOp::kNotEqual, "mode", "idle")},
      {M(MatchOp::kEqual, "job", "node"), M(MatchOp::kRegexMatch, "instance", "host-1.*")},
      {M(MatchOp::kRegexMatch, "__name__", "node_disk_.*")},
      {M(MatchOp::kEqual, "__name__", "node_load1")},
      {M(MatchOp::kEqual, "__name__", "node_cpu_seconds_total"),
       M(MatchOp::kEqual, "instance", "host-42:9100"), M(MatchOp::kEqual, "cpu", "3")},
      {M(MatchOp::kEqual, "__name__", "node_network_receive_bytes_total"),
       M(MatchOp::kRegexNoMatch, "device", "lo|docker.*")},
      {M(MatchOp::kEqual, "__name__", "node_filesystem_avail_bytes"),
       M(MatchOp::kNotEqual, "fstype", "tmpfs"), M(MatchOp::kEqual, "mountpoint", "")},
      {M(MatchOp::kEqual, "job", "node")},
      // A Grafana multi-value variable expands to an alternation of literals.
      {M(MatchOp::kEqual, "__name__", "node_load1"),
       M(MatchOp::kRegexMatch, "instance", "host-3:9100|host-17:9100|host-64:9100")},
      {M(MatchOp::kRegexMatch, "__name__", "node_(cpu|disk)_.*")},
  };
}

void BM_Select(benchmark::State& state) {
  const PostingsIndex& index = Index();
  const std::vector<LabelMatcher> selector = Selectors()[static_cast<size_t>(state.range(0))];
  std::string label = "{";
  for (const LabelMatcher& m : selector) label += (label.size() > 1 ? "," : "") + m.ToString();
  state.SetLabel(label + "}");
  uint64_t found = 0;
  for (auto _ : state) {
    ::Roaring ids = index.Select(selector);
    found = ids.cardinality();
    benchmark::DoNotOptimize(ids);
  }
  state.counters["series"] = static_cast<double>(found);
}
BENCHMARK(BM_Select)->DenseRange(0, 9)->Unit(benchmark::kMicrosecond);

void BM_Add(benchmark::State& state) {
  const std::vector<Labels>& series = Series();
  for (auto _ : state) {
    PostingsIndex index;
    for (size_t id = 0; id < series.size(); ++id) index.Add(static_cast<uint32_t>(id), series[id]);
    benchmark::DoNotOptimize(index.NumSeries());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(series.size()));
}
BENCHMARK(BM_Add)->Unit(benchmark::kMillisecond);

void BM_LabelValuesRestricted(benchmark::State& state) {
  const PostingsIndex& index = Index();
  const ::Roaring cpu = index.Select({M(MatchOp::kEqual, "__name__", "node_cpu_seconds_total")});
  for (auto _ : state) benchmark::DoNotOptimize(index.LabelValues("instance", &cpu));
}
BENCHMARK(BM_LabelValuesRestricted)->Unit(benchmark::kMicrosecond);

void BM_TopStats(benchmark::State& state) {
  const PostingsIndex& index = Index();
  for (auto _ : state) benchmark::DoNotOptimize(index.TopStats(10));
}
BENCHMARK(BM_TopStats)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
