// Ingest benchmark: the Strata collector (Prometheus remote write and its native mTLS gRPC agent
// protocol) side by side with VictoriaMetrics single-node (remote write) on the same pre-encoded
// node_exporter-like data set (see node_dataset.h), in one run.
//
// For every data-set size, every repeat and every system, in turn: start the server on 127.0.0.1
// with a fresh data dir, send every request over K concurrent connections (one sender per shard,
// each in order) and time the wall clock; read the server's CPU time (utime+stime of
// /proc/PID/stat) before and after sending; check every request was accepted (HTTP 2xx, or an Ack
// for all its samples), the server's own sample counter, the number of series and spot values
// at three instants; read peak RSS (VmHWM: before the checks, as the ingest figure, and after them,
// since the check that selects every series at once costs query memory); stop the server gracefully
// (VictoriaMetrics after /internal/force_flush) and sum the sizes of the files left in its data
// dir. Medians over the repeats are printed, with Strata/VM ratios. Systems are interleaved within
// each repeat so load from other work on the machine spreads over all of them alike.
//
//   ingest_bench --collector=PATH --gen_certs=scripts/gen-dev-certs.sh [flags]
//     --series=10000,100000   data-set sizes (series, rounded up to a multiple of 100)
//     --hours=24              hours of 15 s scrapes, one value or one per --series entry
//     --repeats=3             timing runs per system (medians printed)
//     --connections=4         concurrent connections = sender shards
//     --samples_per_request=2000
//     --systems=strata-rw,strata-grpc,vm
//     --vm=/usr/bin/victoria-metrics
//     --strata_fsync=interval (interval|always; VictoriaMetrics never fsyncs per request)
//     --tmp_dir=/tmp          parent of the bench's own temp dir (removed at the end)
//     --seed=1
//
// A failed check aborts the run with the reason: figures from a server that dropped data are
// worthless.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/process.h"
#include "bench/common/report.h"
#include "bench/common/servers.h"
#include "bench/ingest/node_dataset.h"
#include "bench/ingest/remote_write_sender.h"
#include "strata/v1/ingest.grpc.pb.h"

namespace strata::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

struct Flags {
  std::vector<int64_t> series = {10000, 100000};
  std::vector<int64_t> hours = {24};
  int repeats = 3;
  int connections = 4;
  int samples_per_request = 2000;
  std::vector<std::string> systems = {"strata-rw", "strata-grpc", "vm"};
  std::string collector;
  std::string vm = "/usr/bin/victoria-metrics";
  std::string gen_certs;
  std::string strata_fsync = "interval";
  std::string tmp_dir = "/tmp";
  uint64_t seed = 1;
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    size_t eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) Fail("bad flag " + a + " (--name=value)");
    std::string k = a.substr(2, eq - 2), v = a.substr(eq + 1);
    auto ints = [&] {
      std::vector<int64_t> out;
      for (const std::string& s : Split(v)) out.push_back(std::stoll(s));
      return out;
    };
    if (k == "series") {
      f.series = ints();
    } else if (k == "hours") {
      f.hours = ints();
    } else if (k == "repeats") {
      f.repeats = std::stoi(v);
    } else if (k == "connections") {
      f.connections = std::stoi(v);
    } else if (k == "samples_per_request") {
      f.samples_per_request = std::stoi(v);
    } else if (k == "systems") {
      f.systems = Split(v);
    } else if (k == "collector") {
      f.collector = v;
    } else if (k == "vm") {
      f.vm = v;
    } else if (k == "gen_certs") {
      f.gen_certs = v;
    } else if (k == "strata_fsync") {
      f.strata_fsync = v;
    } else if (k == "tmp_dir") {
      f.tmp_dir = v;
    } else if (k == "seed") {
      f.seed = std::stoull(v);
    } else {
      Fail("unknown flag --" + k);
    }
  }
  if (f.hours.size() != 1 && f.hours.size() != f.series.size()) {
    Fail("--hours takes one value or one per --series entry");
  }
  if (f.repeats < 1 || f.connections < 1 || f.samples_per_request < 1) Fail("bad counts");
  for (const std::string& s : f.systems) {
    if (s != "strata-rw" && s != "strata-grpc" && s != "vm") Fail("unknown system " + s);
    if (s != "vm" && f.collector.empty()) Fail("--collector=PATH is required for " + s);
    if (s == "strata-grpc" && f.gen_certs.empty()) Fail("--gen_certs=PATH is required");
  }
  return f;
}

StrataServerOptions StrataOptions(const Flags& flags, const std::string& certs, const Dataset& d,
                                  int64_t hours) {
  return {.collector = flags.collector,
          .certs_dir = certs,
          .fsync = flags.strata_fsync,
          .retention_hours = std::max<int64_t>(72, hours + 24),
          .max_series = d.series * 2};
}

// ---------------------------------------------------------------------------------------------
// Senders.

SendResult SendGrpc(const Dataset& d, const std::string& addr, const std::string& certs) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(certs + "/ca.pem");
  ssl.pem_cert_chain = ReadFile(certs + "/agent.pem");
  ssl.pem_private_key = ReadFile(certs + "/agent-key.pem");
  // Connect every stream before the clock starts: the TLS handshakes are not ingest work.
  struct Conn {
    std::shared_ptr<grpc::Channel> channel;
  };
  std::vector<Conn> conns;
  for (size_t k = 0; k < d.shards.size(); ++k) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one TCP connection per shard
    args.SetInt(GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, -1);
    auto ch = grpc::CreateCustomChannel(addr, grpc::SslCredentials(ssl), args);
    if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      Fail("cannot connect to the collector's gRPC endpoint " + addr);
    }
    conns.push_back({ch});
  }
  SendResult r;
  std::mutex mu;
  std::vector<std::thread> threads;
  const auto start = SteadyClock::now();
  for (size_t k = 0; k < d.shards.size(); ++k) {
    threads.emplace_back([&, k] {
      const Shard& shard = d.shards[k];
      auto stub = v1::Ingest::NewStub(conns[k].channel);
      grpc::ClientContext ctx;
      auto stream = stub->Stream(&ctx);
      // At most 8 unacknowledged batches, as the agent's exporter (max_in_flight_batches).
      constexpr size_t kWindow = 8;
      std::mutex wmu;
      std::condition_variable cv;
      size_t acked = 0;
      uint64_t ok = 0, failed = 0;
      std::string why;
      std::thread reader([&] {
        v1::CollectorMessage msg;
        while (stream->Read(&msg)) {
          std::lock_guard<std::mutex> lock(wmu);
          if (msg.has_ack()) {
            const uint64_t id = msg.ack().batch_id();
            const uint64_t want =
                id >= 1 && id <= shard.grpc_samples.size() ? shard.grpc_samples[id - 1] : 0;
            ok += msg.ack().samples_accepted();
            if (msg.ack().samples_accepted() != want && failed++ == 0) {
              why = "batch " + std::to_string(id) + " acked " +
                    std::to_string(msg.ack().samples_accepted()) + " of " + std::to_string(want);
            }
          } else if (failed++ == 0) {
            why = "rejected: " + v1::RejectReason_Name(msg.reject().reason()) + " " +
                  msg.reject().message();
          }
          ++acked;
          cv.notify_all();
          if (acked == shard.grpc.size()) break;
        }
      });
      for (size_t i = 0; i < shard.grpc.size(); ++i) {
        {
          std::unique_lock<std::mutex> lock(wmu);
          cv.wait(lock, [&] { return i - acked < kWindow; });
        }
        if (!stream->Write(shard.grpc[i])) break;
      }
      stream->WritesDone();
      reader.join();
      grpc::Status st = stream->Finish();
      std::lock_guard<std::mutex> lock(mu);
      r.accepted_samples += ok;
      if (acked != shard.grpc.size()) {
        ++failed;
        if (why.empty()) why = "stream ended early: " + st.error_message();
      }
      r.failures += failed;
      if (r.first_failure.empty()) r.first_failure = why;
    });
  }
  for (std::thread& t : threads) t.join();
  r.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Checks against the input.

std::string Query(const HostPort& hp, const std::string& expr, int64_t time_ms) {
  char t[32];
  std::snprintf(t, sizeof(t), "%.3f", static_cast<double>(time_ms) / 1000);
  std::string body;
  int code = HttpGetStatus(hp, "/api/v1/query?query=" + UrlEncode(expr) + "&time=" + t, &body);
  if (code != 200) Fail("query " + expr + " -> HTTP " + std::to_string(code) + ": " + body);
  return body;
}

size_t CountOccurrences(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

// Returns "" when every check passes, else what failed.
// Values must match exactly, except within `rel_tolerance` (VictoriaMetrics stores values as a
// decimal mantissa and rounds to about 12 significant digits, e.g. a histogram _sum). The largest
// relative error seen goes to `max_rel_error`.
std::string Verify(const Dataset& d, const Server& s, double rel_tolerance, double* max_rel_error) {
  *max_rel_error = 0;
  // Every series has a sample in the last scrape interval.
  const int64_t end_ms = d.last_grid_ms + 15000;
  size_t series = 0;
  std::string body;
  auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  do {  // VictoriaMetrics makes new series searchable asynchronously
    body = Query(s.http, "{job=\"node\"}", end_ms);
    series = CountOccurrences(body, "\"metric\":");
    if (static_cast<int64_t>(series) == d.series) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  } while (SteadyClock::now() < deadline);
  if (static_cast<int64_t>(series) != d.series) {
    return "query {job=\"node\"} returned " + std::to_string(series) + " series, want " +
           std::to_string(d.series);
  }
  for (const SpotSample& spot : d.spot) {
    body = Query(s.http, spot.selector, spot.timestamp_ms);
    // {"metric":{...},"value":[T,"V"]}
    size_t p = body.find("\"value\":[");
    size_t q = p == std::string::npos ? p : body.find(",\"", p);
    if (q == std::string::npos || CountOccurrences(body, "\"metric\":") != 1) {
      return "spot query " + spot.selector + " @" + std::to_string(spot.timestamp_ms) +
             " returned " + body.substr(0, 300);
    }
    double got = std::strtod(body.c_str() + q + 2, nullptr);
    const double rel = got == spot.value ? 0 : std::fabs(got - spot.value) / std::fabs(spot.value);
    *max_rel_error = std::max(*max_rel_error, rel);
    if (!(rel <= rel_tolerance)) {
      char msg[512];
      std::snprintf(msg, sizeof(msg), "spot query %s @%lld: got %.17g, want %.17g",
                    spot.selector.c_str(), static_cast<long long>(spot.timestamp_ms), got,
                    spot.value);
      return msg;
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// One measured run.

struct RunFigures {
  double samples_per_s = 0;
  double cpu_s_per_million = 0;
  double rss_bytes_per_series = 0;        // VmHWM after ingest, before the verification queries
  double rss_bytes_per_series_query = 0;  // VmHWM after the verification queries too
  double disk_bytes_per_sample = 0;
  double seconds = 0;
  double cpu_s = 0;
  uint64_t peak_rss = 0;
  uint64_t disk_bytes = 0;
  double max_rel_error = 0;  // of the spot-checked values
};

RunFigures RunOnce(const Flags& flags, const std::string& system, const Dataset& d, int64_t hours,
                   const std::string& run_dir, const std::string& certs) {
  fs::create_directories(run_dir);
  Server s = system == "vm" ? StartVm(flags.vm, run_dir)
                            : StartStrata(StrataOptions(flags, certs, d, hours), run_dir);
  const pid_t pid = s.process->pid();
  const double cpu0 = CpuSeconds(pid);
  SendResult r = system == "strata-grpc" ? SendGrpc(d, s.grpc, certs) : SendRemoteWrite(d, s.http);
  const double cpu1 = CpuSeconds(pid);
  if (r.failures > 0 || r.accepted_samples != static_cast<uint64_t>(d.total_samples)) {
    Fail(system + ": " + std::to_string(r.failures) + " failed requests, " +
         std::to_string(r.accepted_samples) + " of " + std::to_string(d.total_samples) +
         " samples accepted; first failure: " + r.first_failure);
  }
  // The server's own count of stored samples must match too.
  double counted = 0;
  if (system == "vm") {
    if (HttpGetStatus(s.http, "/internal/force_flush") != 200) Fail("vm force_flush failed");
    counted = MetricSum(s.http, "vm_rows_inserted_total{type=\"promremotewrite\"}");
  } else if (system == "strata-rw") {
    counted = MetricSum(s.http, "strata_collector_remote_write_samples_total");
  } else {
    counted = static_cast<double>(r.accepted_samples);  // acks carry samples_accepted
  }
  if (counted != static_cast<double>(d.total_samples)) {
    Fail(system + ": server counted " + std::to_string(counted) + " samples, sent " +
         std::to_string(d.total_samples));
  }
  RunFigures f;
  // Peak memory of ingest alone: the verification below selects every series at once, which
  // costs query memory, not ingest memory; it is reported on its own line.
  f.peak_rss = PeakRssBytes(pid);
  std::string bad = Verify(d, s, system == "vm" ? 1e-11 : 0, &f.max_rel_error);
  if (!bad.empty()) Fail(system + ": " + bad);
  f.rss_bytes_per_series_query =
      static_cast<double>(PeakRssBytes(pid)) / static_cast<double>(d.series);
  s.process->Stop();
  f.disk_bytes = DirBytes(s.data_dir);
  f.seconds = r.seconds;
  f.cpu_s = cpu1 - cpu0;
  f.samples_per_s = static_cast<double>(d.total_samples) / r.seconds;
  f.cpu_s_per_million = f.cpu_s / (static_cast<double>(d.total_samples) / 1e6);
  f.rss_bytes_per_series = static_cast<double>(f.peak_rss) / static_cast<double>(d.series);
  f.disk_bytes_per_sample =
      static_cast<double>(f.disk_bytes) / static_cast<double>(d.total_samples);
  return f;
}

void PrintMachine(const Flags& flags) {
  std::printf("%s", MachineLine().c_str());
  std::printf("load average (1/5/15 min) at start: %s\n", Loadavg().c_str());
  std::printf("peer: %s; strata fsync=%s; %d connections; %d samples/request; %d repeats\n\n",
              flags.vm.c_str(), flags.strata_fsync.c_str(), flags.connections,
              flags.samples_per_request, flags.repeats);
  std::fflush(stdout);
}

std::string Human(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(buf, sizeof(buf), "%.1fk", v / 1e3);
  } else if (v >= 100) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3f", v);
  }
  return buf;
}

void PrintTable(const Flags& flags, const Dataset& d, int64_t hours,
                const std::map<std::string, std::vector<RunFigures>>& runs) {
  std::printf(
      "== %lld series x %lld h at 15 s: %lld samples (%lld hosts); remote write %.1f MB "
      "snappy (%.1f MB raw), agent batches %.1f MB lz4 ==\n",
      static_cast<long long>(d.series), static_cast<long long>(hours),
      static_cast<long long>(d.total_samples), static_cast<long long>(d.hosts),
      d.remote_write_bytes / 1e6, d.remote_write_uncompressed_bytes / 1e6, d.grpc_bytes / 1e6);
  struct Row {
    const char* name;
    double RunFigures::*field;
  };
  const Row rows[] = {{"samples/s", &RunFigures::samples_per_s},
                      {"CPU-s per 1M samples", &RunFigures::cpu_s_per_million},
                      {"peak RSS bytes/series", &RunFigures::rss_bytes_per_series},
                      {"(RSS incl. query/series)", &RunFigures::rss_bytes_per_series_query},
                      {"disk bytes/sample", &RunFigures::disk_bytes_per_sample},
                      {"(send wall s)", &RunFigures::seconds},
                      {"(server CPU s)", &RunFigures::cpu_s}};
  std::vector<std::string> cols;
  for (const std::string& s : flags.systems) cols.push_back(s);
  const bool has_vm = runs.count("vm") > 0;
  std::printf("%-24s", "median of runs");
  for (const std::string& c : cols) std::printf("%14s", c.c_str());
  if (has_vm) {
    for (const std::string& c : cols) {
      if (c != "vm") std::printf("%18s", (c + "/vm").c_str());
    }
  }
  std::printf("\n");
  for (const Row& row : rows) {
    std::printf("%-24s", row.name);
    std::map<std::string, double> med;
    for (const std::string& c : cols) {
      std::vector<double> v;
      for (const RunFigures& f : runs.at(c)) v.push_back(f.*(row.field));
      med[c] = Median(v);
      std::printf("%14s", Human(med[c]).c_str());
    }
    if (has_vm) {
      for (const std::string& c : cols) {
        if (c != "vm") std::printf("%18.2f", med[c] / med["vm"]);
      }
    }
    std::printf("\n");
  }
  std::printf("per-run samples/s:");
  for (const std::string& c : cols) {
    std::printf("  %s", c.c_str());
    for (const RunFigures& f : runs.at(c)) std::printf(" %s", Human(f.samples_per_s).c_str());
  }
  std::printf("\npeak RSS MB / disk MB (first run):");
  for (const std::string& c : cols) {
    std::printf("  %s %.0f / %.1f", c.c_str(), runs.at(c)[0].peak_rss / 1e6,
                runs.at(c)[0].disk_bytes / 1e6);
  }
  std::printf("\nmax relative error of spot-checked values:");
  for (const std::string& c : cols) {
    double e = 0;
    for (const RunFigures& f : runs.at(c)) e = std::max(e, f.max_rel_error);
    std::printf("  %s %.1e", c.c_str(), e);
  }
  std::printf("\nload average after: %s\n\n", Loadavg().c_str());
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  PrintMachine(flags);
  TempDir tmp(flags.tmp_dir, "strata-ingest-bench");
  const std::string certs = tmp.path() + "/certs";
  const bool grpc_wanted =
      std::find(flags.systems.begin(), flags.systems.end(), "strata-grpc") != flags.systems.end();
  if (!flags.collector.empty()) {
    if (flags.gen_certs.empty()) Fail("--gen_certs=PATH is required (collector TLS files)");
    std::string cmd = flags.gen_certs + " " + certs + " >/dev/null";
    if (std::system(cmd.c_str()) != 0) Fail("certificate generation failed: " + cmd);
  }
  for (size_t i = 0; i < flags.series.size(); ++i) {
    const int64_t hours = flags.hours.size() == 1 ? flags.hours[0] : flags.hours[i];
    DatasetOptions opt;
    opt.series = flags.series[i];
    opt.hours = hours;
    opt.shards = flags.connections;
    opt.samples_per_request = flags.samples_per_request;
    opt.seed = flags.seed;
    opt.threads = static_cast<int>(std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN)));
    opt.build_grpc = grpc_wanted;
    // The data ends two minutes before now (servers drop samples outside their retention and
    // VictoriaMetrics hides the last 30 s from queries), on a minute boundary.
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    const int64_t end_ms = now_ms / 60000 * 60000 - 120000;
    opt.start_ms = end_ms - hours * 3600 * 1000;
    const auto g0 = SteadyClock::now();
    Dataset d = BuildDataset(opt);
    std::printf("[%lld series x %lld h] generated and encoded in %.1f s (not measured)\n",
                static_cast<long long>(d.series), static_cast<long long>(hours),
                std::chrono::duration<double>(SteadyClock::now() - g0).count());
    std::fflush(stdout);
    std::map<std::string, std::vector<RunFigures>> runs;
    for (int rep = 0; rep < flags.repeats; ++rep) {
      for (const std::string& system : flags.systems) {
        const std::string run_dir =
            tmp.path() + "/" + std::to_string(i) + "-" + std::to_string(rep) + "-" + system;
        RunFigures f = RunOnce(flags, system, d, hours, run_dir, certs);
        std::printf(
            "  run %d %-12s %10s samples/s  %6.2f CPU-s/1M  %6.0f MB peak RSS  "
            "%8.1f MB disk  (load %s)\n",
            rep + 1, system.c_str(), Human(f.samples_per_s).c_str(), f.cpu_s_per_million,
            f.peak_rss / 1e6, f.disk_bytes / 1e6, Loadavg().c_str());
        std::fflush(stdout);
        runs[system].push_back(f);
        if (std::getenv("STRATA_BENCH_KEEP_LOGS") != nullptr) {
          // For debugging a run: keep the server's log next to the bench's temp dir.
          std::error_code copy_ec;
          fs::copy_file(run_dir + "/collector.log", "/tmp/strata-bench-" + system + ".log",
                        fs::copy_options::overwrite_existing, copy_ec);
        }
        std::error_code ec;
        fs::remove_all(run_dir, ec);  // inside our mkdtemp dir
      }
    }
    PrintTable(flags, d, hours, runs);
  }
  return 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) { return strata::bench::Main(argc, argv); }
