#include "bench/ingest/node_dataset.h"

#include <snappy.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/model/sample.h"
#include "common/wire/batch_codec.h"
#include "common/wire/series_interner.h"
#include "prometheus/remote_write.pb.h"

namespace strata::bench {
namespace {

constexpr int kSeriesPerHost = 100;
constexpr int64_t kScrapeIntervalMs = 15000;

enum class Kind { kCounter, kWalk, kLoad, kConstant, kHistBucket, kHistSum, kHistCount };

// One series of the per-host template. For counters lo/hi bound the per-second rate (drawn
// log-uniformly per host, 0 = never moves); for walks they bound the value and `step` is the
// standard deviation of one step; `quantum` is the emitted resolution (1 = integer, 0.01 = two
// decimals, 4096 = page-sized bytes, 0 = full double).
struct SeriesTemplate {
  std::string name;
  std::vector<common::Label> labels;
  Kind kind;
  double lo = 0, hi = 0, step = 0, quantum = 1;
};

constexpr double kHistBounds[] = {0.05, 0.1, 0.5};  // plus +Inf

std::vector<SeriesTemplate> HostTemplate() {
  std::vector<SeriesTemplate> t;
  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  const double mode_lo[] = {0.5, 0.001, 0, 0, 0.001, 0, 0.01, 0.02};
  const double mode_hi[] = {0.95, 0.02, 0, 0.01, 0.01, 0.005, 0.1, 0.3};
  for (int cpu = 0; cpu < 4; ++cpu) {
    for (int m = 0; m < 8; ++m) {
      t.push_back({"node_cpu_seconds_total",
                   {{"cpu", std::to_string(cpu)}, {"mode", modes[m]}},
                   Kind::kCounter,
                   mode_lo[m],
                   mode_hi[m],
                   0,
                   0.01});
    }
  }
  for (const char* dev : {"eth0", "lo"}) {
    for (const char* dir : {"receive", "transmit"}) {
      t.push_back({std::string("node_network_") + dir + "_bytes_total",
                   {{"device", dev}},
                   Kind::kCounter,
                   1e3,
                   1e6});
      t.push_back({std::string("node_network_") + dir + "_packets_total",
                   {{"device", dev}},
                   Kind::kCounter,
                   10,
                   1000});
      t.push_back(
          {std::string("node_network_") + dir + "_errs_total", {{"device", dev}}, Kind::kCounter});
    }
  }
  for (const char* dev : {"vda", "vdb"}) {
    t.push_back({"node_disk_read_bytes_total", {{"device", dev}}, Kind::kCounter, 1e3, 1e6});
    t.push_back({"node_disk_written_bytes_total", {{"device", dev}}, Kind::kCounter, 1e4, 5e6});
    t.push_back({"node_disk_reads_completed_total", {{"device", dev}}, Kind::kCounter, 0.1, 50});
    t.push_back({"node_disk_writes_completed_total", {{"device", dev}}, Kind::kCounter, 1, 200});
    t.push_back({"node_disk_io_time_seconds_total",
                 {{"device", dev}},
                 Kind::kCounter,
                 0.001,
                 0.2,
                 0,
                 0.001});
  }
  t.push_back({"node_context_switches_total", {}, Kind::kCounter, 500, 20000});
  t.push_back({"node_intr_total", {}, Kind::kCounter, 200, 10000});
  t.push_back({"node_forks_total", {}, Kind::kCounter, 0.1, 20});
  t.push_back({"node_vmstat_pgfault", {}, Kind::kCounter, 100, 10000});
  t.push_back({"node_vmstat_pgmajfault", {}, Kind::kCounter, 0.01, 2});
  t.push_back({"node_vmstat_pgpgin", {}, Kind::kCounter, 1, 1000});
  t.push_back({"node_vmstat_pgpgout", {}, Kind::kCounter, 10, 5000});
  t.push_back({"node_vmstat_pswpin", {}, Kind::kCounter});
  t.push_back({"node_vmstat_pswpout", {}, Kind::kCounter});
  t.push_back({"node_netstat_Tcp_ActiveOpens", {}, Kind::kCounter, 0.1, 20});
  t.push_back({"node_netstat_Tcp_PassiveOpens", {}, Kind::kCounter, 0.1, 20});
  t.push_back({"node_netstat_Tcp_RetransSegs", {}, Kind::kCounter, 0.01, 2});
  t.push_back({"node_netstat_Tcp_InSegs", {}, Kind::kCounter, 10, 2000});
  t.push_back({"node_netstat_Tcp_OutSegs", {}, Kind::kCounter, 10, 2000});
  t.push_back({"node_netstat_Udp_InDatagrams", {}, Kind::kCounter, 0.1, 50});
  t.push_back({"node_netstat_Udp_OutDatagrams", {}, Kind::kCounter, 0.1, 50});
  // 70 counters so far; now 24 gauges.
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  t.push_back({"node_memory_MemTotal_bytes", {}, Kind::kConstant, 16 * kGiB, 16 * kGiB});
  t.push_back({"node_memory_MemFree_bytes", {}, Kind::kWalk, 0.5 * kGiB, 4 * kGiB, 8e6, 4096});
  t.push_back({"node_memory_MemAvailable_bytes", {}, Kind::kWalk, 4 * kGiB, 12 * kGiB, 8e6, 4096});
  t.push_back({"node_memory_Cached_bytes", {}, Kind::kWalk, 2 * kGiB, 8 * kGiB, 4e6, 4096});
  t.push_back({"node_memory_Buffers_bytes", {}, Kind::kWalk, 1e8, 5e8, 2e5, 4096});
  t.push_back({"node_memory_SwapTotal_bytes", {}, Kind::kConstant, 0, 0});
  t.push_back({"node_memory_SwapFree_bytes", {}, Kind::kConstant, 0, 0});
  for (const char* n : {"node_load1", "node_load5", "node_load15"}) {
    t.push_back({n, {}, Kind::kLoad, 0.1, 3, 0.05, 0.01});
  }
  struct Fs {
    const char* device;
    const char* fstype;
    const char* mountpoint;
    double size;
  };
  const Fs fss[] = {{"/dev/vda1", "ext4", "/", 100 * kGiB},
                    {"/dev/vdb1", "xfs", "/var/lib", 500 * kGiB},
                    {"tmpfs", "tmpfs", "/run", 2 * kGiB}};
  for (const Fs& fs : fss) {
    std::vector<common::Label> l = {
        {"device", fs.device}, {"fstype", fs.fstype}, {"mountpoint", fs.mountpoint}};
    t.push_back({"node_filesystem_size_bytes", l, Kind::kConstant, fs.size, fs.size});
    t.push_back(
        {"node_filesystem_avail_bytes", l, Kind::kWalk, 0.2 * fs.size, 0.8 * fs.size, 2e6, 4096});
    t.push_back({"node_filesystem_files_free", l, Kind::kWalk, 1e5, 6e6, 20, 1});
  }
  t.push_back({"node_procs_running", {}, Kind::kWalk, 1, 12, 1.5, 1});
  t.push_back({"node_procs_blocked", {}, Kind::kWalk, 0, 3, 0.5, 1});
  t.push_back({"node_sockstat_TCP_inuse", {}, Kind::kWalk, 5, 400, 3, 1});
  t.push_back({"node_entropy_available_bits", {}, Kind::kWalk, 256, 4096, 40, 1});
  t.push_back({"node_boot_time_seconds", {}, Kind::kConstant, 1.7e9, 1.7e9});
  // One classic histogram: 4 buckets + _sum + _count. lo/hi bound the request rate per second.
  std::vector<common::Label> h = {{"handler", "/metrics"}};
  for (double b : kHistBounds) {
    char le[32];
    std::snprintf(le, sizeof(le), "%g", b);
    auto l = h;
    l.push_back({"le", le});
    t.push_back({"http_request_duration_seconds_bucket", l, Kind::kHistBucket, 0.2, 2});
  }
  auto inf = h;
  inf.push_back({"le", "+Inf"});
  t.push_back({"http_request_duration_seconds_bucket", inf, Kind::kHistBucket, 0.2, 2});
  t.push_back({"http_request_duration_seconds_sum", h, Kind::kHistSum, 0.2, 2, 0, 0});
  t.push_back({"http_request_duration_seconds_count", h, Kind::kHistCount, 0.2, 2});
  if (t.size() != kSeriesPerHost) {
    std::fprintf(stderr, "host template has %zu series, want %d\n", t.size(), kSeriesPerHost);
    std::abort();
  }
  return t;
}

// splitmix64: tiny state (8 bytes per host) and identical output on every platform.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Normal() {
    double u1 = std::max(Uniform(), 1e-300), u2 = Uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

double Quantize(double v, double quantum) {
  return quantum > 0 ? std::round(v / quantum) * quantum : v;
}

// The evolving state of one host's 100 series.
class Host {
 public:
  Host(const std::vector<SeriesTemplate>& tmpl, uint64_t seed, int64_t host)
      : tmpl_(tmpl), rng_{seed * 0x2545f4914f6cdd1dULL + static_cast<uint64_t>(host)} {
    // Kept 5 ms away from the interval's ends so the jitter never moves a scrape across a grid
    // point: the queries evaluate at grid points.
    offset_ms_ = 5 + static_cast<int64_t>(rng_.Uniform() * (kScrapeIntervalMs - 10));
    state_.resize(tmpl.size());
    param_.resize(tmpl.size());
    for (size_t i = 0; i < tmpl.size(); ++i) {
      const SeriesTemplate& s = tmpl[i];
      switch (s.kind) {
        case Kind::kCounter:
          param_[i] = s.hi > 0 ? s.lo * std::pow(s.hi / std::max(s.lo, 1e-9), rng_.Uniform()) : 0;
          // Uptime of days to months: large starting totals, as on real hosts.
          state_[i] = param_[i] * (86400 + rng_.Uniform() * 86400 * 60);
          break;
        case Kind::kWalk:
        case Kind::kLoad:
          state_[i] = s.lo + rng_.Uniform() * (s.hi - s.lo);
          param_[i] = state_[i];  // load: the level it reverts to
          break;
        case Kind::kConstant:
          state_[i] = s.lo;
          break;
        default:
          break;
      }
    }
    hist_rate_ = 0.2 + rng_.Uniform() * 1.8;
    hist_count_ = std::floor(hist_rate_ * 86400 * (1 + rng_.Uniform() * 10));
    for (int b = 0; b < 3; ++b) {
      hist_buckets_[b] = std::floor(hist_count_ * (0.6 + 0.15 * b + 0.05 * rng_.Uniform()));
    }
    hist_buckets_[1] = std::max(hist_buckets_[1], hist_buckets_[0]);
    hist_buckets_[2] = std::max(hist_buckets_[2], hist_buckets_[1]);
    hist_sum_ = hist_count_ * 0.04;
  }

  int64_t offset_ms() const { return offset_ms_; }

  // Advances one scrape and writes the emitted value of every series into `values`.
  void Step(double* values) {
    for (size_t i = 0; i < tmpl_.size(); ++i) {
      const SeriesTemplate& s = tmpl_[i];
      switch (s.kind) {
        case Kind::kCounter:
          if (param_[i] > 0) {
            double inc = param_[i] * 15 * (1 + 0.1 * rng_.Normal());
            state_[i] += std::max(0.0, inc);
          }
          values[i] = s.quantum == 1 ? std::floor(state_[i]) : Quantize(state_[i], s.quantum);
          break;
        case Kind::kWalk:
          state_[i] = std::clamp(state_[i] + s.step * rng_.Normal(), s.lo, s.hi);
          values[i] = Quantize(state_[i], s.quantum);
          break;
        case Kind::kLoad:
          state_[i] = std::max(0.0, state_[i] + 0.1 * (param_[i] - state_[i]) +
                                        s.step * rng_.Normal() * (1 + state_[i]));
          values[i] = Quantize(state_[i], s.quantum);
          break;
        case Kind::kConstant:
          values[i] = state_[i];
          break;
        default:
          break;
      }
    }
    // Histogram: draw this interval's observations (log-normal latencies around 30 ms).
    int n = static_cast<int>(
        std::max(0.0, std::round(hist_rate_ * 15 + std::sqrt(hist_rate_ * 15) * rng_.Normal())));
    for (int k = 0; k < n; ++k) {
      double obs = 0.03 * std::exp(0.8 * rng_.Normal());
      hist_sum_ += obs;
      hist_count_ += 1;
      for (int b = 0; b < 3; ++b) {
        if (obs <= kHistBounds[b]) hist_buckets_[b] += 1;
      }
    }
    int bucket = 0;
    for (size_t i = 0; i < tmpl_.size(); ++i) {
      switch (tmpl_[i].kind) {
        case Kind::kHistBucket:
          values[i] = bucket < 3 ? hist_buckets_[bucket] : hist_count_;
          ++bucket;
          break;
        case Kind::kHistSum:
          values[i] = hist_sum_;
          break;
        case Kind::kHistCount:
          values[i] = hist_count_;
          break;
        default:
          break;
      }
    }
  }

  int64_t Jitter() { return static_cast<int64_t>(rng_.Next() % 11) - 5; }

 private:
  const std::vector<SeriesTemplate>& tmpl_;
  Rng rng_;
  int64_t offset_ms_ = 0;
  std::vector<double> state_, param_;
  double hist_rate_ = 0, hist_count_ = 0, hist_sum_ = 0;
  double hist_buckets_[3] = {};
};

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytesField(std::string* out, int field, std::string_view bytes) {
  out->push_back(static_cast<char>(field << 3 | 2));
  PutVarint(out, bytes.size());
  out->append(bytes);
}

// Encoded `repeated Label labels = 1` of a TimeSeries: the part that repeats with every sample.
std::string EncodeRemoteWriteLabels(const common::Labels& labels) {
  std::string out, label;
  for (const auto& l : labels) {
    label.clear();
    PutBytesField(&label, 1, l.name);
    PutBytesField(&label, 2, l.value);
    PutBytesField(&out, 1, label);
  }
  return out;
}

// Appends one TimeSeries{labels, [sample]} entry of a WriteRequest. Written by hand (the wire
// format is fixed) because building 10^8 generated messages would dominate the bench's set-up
// time; the first request of every run is parsed back with the generated classes as a check.
void AppendRemoteWriteSeries(std::string* req, const std::string& labels, int64_t ts_ms,
                             double value) {
  char sample[1 + 8 + 1 + 10];
  size_t n = 0;
  sample[n++] = 0x09;                  // field 1, fixed64: value
  std::memcpy(sample + n, &value, 8);  // little-endian on every platform we build for
  n += 8;
  sample[n++] = 0x10;  // field 2, varint: timestamp
  uint64_t ts = static_cast<uint64_t>(ts_ms);
  while (ts >= 0x80) {
    sample[n++] = static_cast<char>(ts | 0x80);
    ts >>= 7;
  }
  sample[n++] = static_cast<char>(ts);
  const size_t series_len = labels.size() + 1 + 1 + n;  // labels + tag + len(<128) + sample
  req->push_back(0x0a);
  PutVarint(req, series_len);
  req->append(labels);
  req->push_back(0x12);
  req->push_back(static_cast<char>(n));
  req->append(sample, n);
}

struct SeriesInfo {
  common::Labels labels;
  std::string rw_labels;
  std::string selector;
};

struct SpotWanted {
  int64_t series;  // global index
  int64_t scrape;
};

std::string Selector(const common::Labels& labels) {
  std::string s = std::string(labels.MetricName()) + "{";
  bool first = true;
  for (const auto& l : labels) {
    if (l.name == common::kMetricNameLabel) continue;
    if (!first) s += ",";
    first = false;
    s.append(l.name).append("=\"").append(l.value).append("\"");
  }
  return s + "}";
}

void CheckFirstRequest(const std::string& compressed, uint64_t samples,
                       const std::vector<SeriesInfo>& info, int64_t first_series) {
  std::string raw;
  promrw::WriteRequest req;
  if (!snappy::Uncompress(compressed.data(), compressed.size(), &raw) ||
      !req.ParseFromString(raw) || static_cast<uint64_t>(req.timeseries_size()) != samples) {
    std::fprintf(stderr, "internal error: first remote-write request does not parse back\n");
    std::abort();
  }
  const promrw::TimeSeries& ts = req.timeseries(0);
  const common::Labels& want = info[first_series].labels;
  bool ok = ts.samples_size() == 1 && static_cast<size_t>(ts.labels_size()) == want.size();
  for (int i = 0; ok && i < ts.labels_size(); ++i) {
    ok = ts.labels(i).name() == want[i].name && ts.labels(i).value() == want[i].value;
  }
  if (!ok) {
    std::fprintf(stderr, "internal error: first remote-write series does not round-trip\n");
    std::abort();
  }
}

}  // namespace

Dataset BuildDataset(const DatasetOptions& options) {
  const std::vector<SeriesTemplate> tmpl = HostTemplate();
  Dataset d;
  d.hosts = (options.series + kSeriesPerHost - 1) / kSeriesPerHost;
  d.series = d.hosts * kSeriesPerHost;
  d.scrapes = options.hours * 3600 * 1000 / kScrapeIntervalMs;
  d.total_samples = d.series * d.scrapes;
  d.first_ms = options.start_ms;
  d.last_grid_ms = options.start_ms + (d.scrapes - 1) * kScrapeIntervalMs;

  const int width = d.hosts > 1000 ? 4 : 3;
  std::vector<SeriesInfo> info(d.series);
  for (int64_t h = 0; h < d.hosts; ++h) {
    char instance[32];
    std::snprintf(instance, sizeof(instance), "host-%0*lld:9100", width, static_cast<long long>(h));
    for (int j = 0; j < kSeriesPerHost; ++j) {
      std::vector<common::Label> l = tmpl[j].labels;
      l.push_back({"__name__", tmpl[j].name});
      l.push_back({"instance", instance});
      l.push_back({"job", "node"});
      SeriesInfo& s = info[h * kSeriesPerHost + j];
      s.labels = common::Labels::FromUnsorted(std::move(l));
      s.rw_labels = EncodeRemoteWriteLabels(s.labels);
      s.selector = Selector(s.labels);
    }
  }

  // Spot checks: a cpu counter, a memory walk, a load gauge, a +Inf bucket and a histogram sum,
  // spread over hosts, each at three scrapes (a third in, two thirds in, the last).
  std::vector<SpotWanted> wanted;
  // Template indices: 0 cpu0 idle, 72 MemAvailable, 77 load1, 97 le="+Inf", 98 _sum.
  const int64_t spot_series[] = {0, (d.hosts / 3) * 100 + 72, (d.hosts / 2) * 100 + 77,
                                 (2 * d.hosts / 3) * 100 + 97, (d.hosts - 1) * 100 + 98};
  for (int64_t s : spot_series) {
    for (int64_t scrape : {d.scrapes / 3, 2 * d.scrapes / 3, d.scrapes - 1}) {
      wanted.push_back({s, scrape});
    }
  }

  d.shards.resize(options.shards);
  std::vector<std::vector<SpotSample>> spots(options.shards);
  std::vector<uint64_t> raw_bytes(options.shards, 0);
  auto build_shard = [&](int k) {
    Shard& shard = d.shards[k];
    std::vector<int64_t> host_ids;
    for (int64_t h = k; h < d.hosts; h += options.shards) host_ids.push_back(h);
    std::vector<Host> hosts;
    hosts.reserve(host_ids.size());
    for (int64_t h : host_ids) hosts.emplace_back(tmpl, options.seed, h);
    common::wire::SeriesInterner interner;
    std::string raw, compressed;
    common::SampleBatch batch;
    uint64_t in_request = 0;
    auto cut = [&] {
      if (in_request == 0) return;
      snappy::Compress(raw.data(), raw.size(), &compressed);
      raw_bytes[k] += raw.size();
      shard.remote_write.push_back(compressed);
      shard.remote_write_samples.push_back(in_request);
      raw.clear();
      if (options.build_grpc) {
        v1::AgentMessage msg;
        common::wire::EncodeStats stats;
        common::wire::EncodeBatch(batch, shard.grpc.size() + 1, "ingest-bench-" + std::to_string(k),
                                  interner, {.compress = true}, msg.mutable_batch(), &stats);
        interner.Confirm(stats.defined_refs);
        shard.grpc.push_back(std::move(msg));
        shard.grpc_samples.push_back(in_request);
        batch.clear();
      }
      in_request = 0;
    };
    double values[kSeriesPerHost];
    for (int64_t t = 0; t < d.scrapes; ++t) {
      for (size_t i = 0; i < hosts.size(); ++i) {
        Host& host = hosts[i];
        host.Step(values);
        const int64_t ts =
            options.start_ms + t * kScrapeIntervalMs + host.offset_ms() + host.Jitter();
        const int64_t base = host_ids[i] * kSeriesPerHost;
        for (int j = 0; j < kSeriesPerHost; ++j) {
          const SeriesInfo& s = info[base + j];
          AppendRemoteWriteSeries(&raw, s.rw_labels, ts, values[j]);
          if (options.build_grpc) batch.push_back({s.labels, {ts, values[j]}});
          if (++in_request == static_cast<uint64_t>(options.samples_per_request)) cut();
        }
        for (const SpotWanted& w : wanted) {
          if (w.scrape == t && w.series / kSeriesPerHost == host_ids[i]) {
            spots[k].push_back({info[w.series].selector, ts, values[w.series % kSeriesPerHost]});
          }
        }
      }
    }
    cut();
    if (!shard.remote_write.empty()) {
      CheckFirstRequest(shard.remote_write[0], shard.remote_write_samples[0], info,
                        host_ids[0] * 100);
    }
  };
  std::vector<std::thread> threads;
  const int nthreads = std::max(1, std::min(options.threads, options.shards));
  for (int w = 0; w < nthreads; ++w) {
    threads.emplace_back([&, w] {
      for (int k = w; k < options.shards; k += nthreads) build_shard(k);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int k = 0; k < options.shards; ++k) {
    for (const std::string& r : d.shards[k].remote_write) d.remote_write_bytes += r.size();
    for (const v1::AgentMessage& m : d.shards[k].grpc) d.grpc_bytes += m.batch().payload().size();
    d.remote_write_uncompressed_bytes += raw_bytes[k];
    d.spot.insert(d.spot.end(), spots[k].begin(), spots[k].end());
  }
  return d;
}

}  // namespace strata::bench
