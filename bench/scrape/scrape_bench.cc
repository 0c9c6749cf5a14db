// Scrape benchmark (issue #5): the Strata agent and a real vmagent scrape the same targets at the
// same time, side by side, and ship what they scrape to a Strata collector (the agent over mTLS
// gRPC, vmagent over remote write); the bench prints each one's CPU seconds per scrape interval
// (median over the intervals and total) and peak RSS. It also measures the exposition parsers
// alone: MB/s and samples/s over one body holding every series, for the text format and
// OpenMetrics.
//
// The targets are HTTP servers inside this process, each serving a fixed node_exporter-like body
// of series/targets series (families of 50 series with 2-3 labels, HELP and TYPE lines).
//
//   scrape_bench --agent=PATH --collector=PATH --gen_certs=scripts/gen-dev-certs.sh [flags]
//     --series=10000   --targets=10   --interval_s=15   --duration_s=180
//     --vmagent=/usr/bin/vmagent   --parse_runs=20   --tmp_dir=/tmp
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/inputs/scrape/series_cache.h"
#include "agent/inputs/scrape/text_parser.h"
#include "bench/common/process.h"
#include "bench/common/report.h"
#include "bench/common/servers.h"

namespace strata::bench {
namespace {

struct Flags {
  std::string agent, collector, gen_certs, vmagent = "/usr/bin/vmagent", tmp_dir = "/tmp";
  int64_t series = 10000;
  int targets = 10;
  int interval_s = 15;
  int duration_s = 180;
  int parse_runs = 20;
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) Fail("bad flag " + a + " (--name=value)");
    const std::string k = a.substr(2, eq - 2), v = a.substr(eq + 1);
    if (k == "agent")
      f.agent = v;
    else if (k == "collector")
      f.collector = v;
    else if (k == "gen_certs")
      f.gen_certs = v;
    else if (k == "vmagent")
      f.vmagent = v;
    else if (k == "tmp_dir")
      f.tmp_dir = v;
    else if (k == "series")
      f.series = std::stoll(v);
    else if (k == "targets")
      f.targets = std::stoi(v);
    else if (k == "interval_s")
      f.interval_s = std::stoi(v);
    else if (k == "duration_s")
      f.duration_s = std::stoi(v);
    else if (k == "parse_runs")
      f.parse_runs = std::stoi(v);
    else
      Fail("unknown flag --" + k);
  }
  if (f.agent.empty() || f.collector.empty() || f.gen_certs.empty()) {
    Fail("--agent, --collector and --gen_certs are required");
  }
  if (f.series < f.targets || f.targets < 1 || f.interval_s < 1 || f.duration_s < f.interval_s) {
    Fail("bad counts (--series >= --targets >= 1, --duration_s >= --interval_s >= 1)");
  }
  return f;
}

// One target's body: families of 50 series, node_exporter-like names and labels.
std::string TargetBody(int target, int64_t series, bool open_metrics) {
  std::string out;
  char line[256];
  for (int64_t s = 0; s < series; s += 50) {
    const int64_t family = s / 50;
    std::snprintf(line, sizeof(line),
                  "# HELP bench_family_%lld_total Family %lld of a bench target.\n"
                  "# TYPE bench_family_%lld_total counter\n",
                  static_cast<long long>(family), static_cast<long long>(family),
                  static_cast<long long>(family));
    out += line;
    for (int64_t k = s; k < std::min(series, s + 50); ++k) {
      std::snprintf(
          line, sizeof(line),
          "bench_family_%lld_total{device=\"sd%c\",mode=\"m%lld\",shard=\"%d\"} %lld.%02lld\n",
          static_cast<long long>(family), static_cast<char>('a' + k % 26),
          static_cast<long long>(k % 50), target, static_cast<long long>(k * 7919 % 100000),
          static_cast<long long>(k % 100));
      out += line;
    }
  }
  if (open_metrics) out += "# EOF\n";
  return out;
}

// The median seconds of parsing `body` `runs` times with `parse`.
template <typename Parse>
double MedianParseSeconds(const std::string& body, int runs, Parse parse, size_t* samples) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const agent::scrape::ParseResult r = parse(body);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    *samples = r.samples.size();
  }
  return Median(t);
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  using namespace strata::bench;
  const Flags flags = ParseFlags(argc, argv);
  std::printf("%s", MachineLine().c_str());
  std::printf("load average at start: %s\n", Loadavg().c_str());
  const int64_t per_target = flags.series / flags.targets;

  // The parsers alone.
  {
    std::string text, om;
    for (int t = 0; t < flags.targets; ++t) text += TargetBody(t, per_target, false);
    for (int t = 0; t < flags.targets; ++t) om += TargetBody(t, per_target, false);
    om += "# EOF\n";
    size_t n_text = 0, n_om = 0;
    using strata::agent::scrape::ParseOpenMetrics;
    using strata::agent::scrape::ParseTextExposition;
    const double s_text = MedianParseSeconds(
        text, flags.parse_runs, [](const std::string& b) { return ParseTextExposition(b); },
        &n_text);
    const double s_om = MedianParseSeconds(
        om, flags.parse_runs, [](const std::string& b) { return ParseOpenMetrics(b); }, &n_om);
    // A steady target: every series is in the loop's cache from the previous scrape, so only
    // values and timestamps are parsed.
    strata::agent::scrape::SeriesCache cache;
    for (const strata::agent::scrape::ParsedSample& p : ParseTextExposition(text).samples) {
      cache.Put(p.series, p.labels);
    }
    size_t n_known = 0;
    const double s_known = MedianParseSeconds(
        text, flags.parse_runs,
        [&](const std::string& b) { return ParseTextExposition(b, &cache); }, &n_known);
    std::printf("\n== exposition parser, one body of %zu series (%.2f MB), median of %d runs ==\n",
                n_text, static_cast<double>(text.size()) / 1e6, flags.parse_runs);
    std::printf("text 0.0.4    %8.1f MB/s  %6.2f M samples/s  (%.2f ms)\n",
                static_cast<double>(text.size()) / 1e6 / s_text,
                static_cast<double>(n_text) / 1e6 / s_text, s_text * 1e3);
    std::printf("OpenMetrics   %8.1f MB/s  %6.2f M samples/s  (%.2f ms)\n",
                static_cast<double>(om.size()) / 1e6 / s_om, static_cast<double>(n_om) / 1e6 / s_om,
                s_om * 1e3);
    std::printf("text, known   %8.1f MB/s  %6.2f M samples/s  (%.2f ms; every series cached)\n",
                static_cast<double>(text.size()) / 1e6 / s_known,
                static_cast<double>(n_known) / 1e6 / s_known, s_known * 1e3);
  }

  // The targets.
  std::vector<std::unique_ptr<httplib::Server>> servers;
  std::vector<std::thread> threads;
  std::vector<std::string> addresses;
  for (int t = 0; t < flags.targets; ++t) {
    auto server = std::make_unique<httplib::Server>();
    const std::string body = TargetBody(t, per_target, false);
    server->Get("/metrics", [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "text/plain; version=0.0.4; charset=utf-8");
    });
    const int port = server->bind_to_any_port("127.0.0.1");
    if (port <= 0) Fail("cannot bind a target");
    addresses.push_back("127.0.0.1:" + std::to_string(port));
    httplib::Server* raw = server.get();
    threads.emplace_back([raw] { raw->listen_after_bind(); });
    servers.push_back(std::move(server));
  }

  TempDir tmp(flags.tmp_dir, "strata-scrape-bench");
  const std::string certs = tmp.path() + "/certs";
  if (std::system((flags.gen_certs + " " + certs + " >/dev/null").c_str()) != 0) {
    Fail("certificate generation failed");
  }
  StrataServerOptions so;
  so.collector = flags.collector;
  so.certs_dir = certs;
  so.max_series = 4 * flags.series;
  Server collector = StartStrata(so, tmp.path());

  std::string targets_yaml;
  for (const std::string& a : addresses) targets_yaml += "\"" + a + "\", ";
  auto scrape_yaml = [&](const std::string& job) {
    return "scrape_configs:\n  - job_name: " + job +
           "\n    scrape_interval: " + std::to_string(flags.interval_s) +
           "s\n    scrape_timeout: " + std::to_string(std::min(flags.interval_s, 10)) +
           "s\n    static_configs:\n" + "      - targets: [" + targets_yaml + "]\n";
  };
  WriteFile(tmp.path() + "/agent.yaml",
            "agent_id: bench\nhttp_listen: 127.0.0.1:0\nlog_level: warn\ncollector:\n  address: " +
                collector.grpc + "\n  tls:\n    ca_file: " + certs +
                "/ca.pem\n    cert_file: " + certs + "/agent.pem\n    key_file: " + certs +
                "/agent-key.pem\n    server_name: localhost\nhost:\n  enabled: false\n" +
                scrape_yaml("bench-strata"));
  WriteFile(tmp.path() + "/vmagent.yaml", scrape_yaml("bench-vmagent"));
  Process agent({flags.agent, "--config", tmp.path() + "/agent.yaml"}, tmp.path() + "/agent.log");
  Process vmagent({flags.vmagent, "-httpListenAddr=127.0.0.1:" + std::to_string(FreePort()),
                   "-promscrape.config=" + tmp.path() + "/vmagent.yaml",
                   "-remoteWrite.url=http://" + collector.http.host + ":" +
                       std::to_string(collector.http.port) + "/api/v1/write",
                   "-remoteWrite.tmpDataPath=" + tmp.path() + "/vmagent-data", "-loggerLevel=WARN"},
                  tmp.path() + "/vmagent.log");
  std::printf(
      "\n%d targets x %lld series, scrape_interval %d s, %d s measured after one interval; "
      "vmagent %s\n",
      flags.targets, static_cast<long long>(per_target), flags.interval_s, flags.duration_s,
      flags.vmagent.c_str());
  std::fflush(stdout);
  // Both have sent a full scrape to the collector before measuring.
  auto count = [&](const std::string& job) {
    std::string body;
    HttpGetStatus(collector.http,
                  "/api/v1/query?query=" + UrlEncode("count({job=\"" + job + "\"})"), &body);
    const size_t v = body.rfind(",\"");
    return v == std::string::npos ? 0.0 : std::atof(body.c_str() + v + 2);
  };
  WaitFor([&] { return count("bench-strata") >= static_cast<double>(flags.series); },
          3.0 * flags.interval_s + 60, "the agent's series at the collector");
  WaitFor([&] { return count("bench-vmagent") >= static_cast<double>(flags.series); },
          3.0 * flags.interval_s + 60, "vmagent's series at the collector");

  std::vector<double> a_cpu, v_cpu;
  double a_prev = CpuSeconds(agent.pid()), v_prev = CpuSeconds(vmagent.pid());
  const double a_start = a_prev, v_start = v_prev;
  // Peak RSS is the kernel's VmHWM. Its split into anonymous memory (heap, stacks: what the
  // program holds) and file pages (mapped code of the binary and its shared libraries) is
  // sampled every second, so those two peaks are approximate.
  uint64_t a_anon = 0, a_file = 0, v_anon = 0, v_file = 0;
  auto sample_split = [&] {
    a_anon = std::max(a_anon, StatusBytes(agent.pid(), "RssAnon"));
    a_file = std::max(a_file, StatusBytes(agent.pid(), "RssFile"));
    v_anon = std::max(v_anon, StatusBytes(vmagent.pid(), "RssAnon"));
    v_file = std::max(v_file, StatusBytes(vmagent.pid(), "RssFile"));
  };
  for (int elapsed = 0; elapsed < flags.duration_s; elapsed += flags.interval_s) {
    for (int s = 0; s < flags.interval_s; ++s) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      sample_split();
    }
    const double a = CpuSeconds(agent.pid()), v = CpuSeconds(vmagent.pid());
    a_cpu.push_back(a - a_prev);
    v_cpu.push_back(v - v_prev);
    a_prev = a;
    v_prev = v;
  }
  const double a_total = a_prev - a_start, v_total = v_prev - v_start;
  const double a_rss = static_cast<double>(PeakRssBytes(agent.pid())) / 1e6;
  const double v_rss = static_cast<double>(PeakRssBytes(vmagent.pid())) / 1e6;
  std::vector<double> ratios;
  for (size_t i = 0; i < a_cpu.size(); ++i) {
    if (v_cpu[i] > 0) ratios.push_back(a_cpu[i] / v_cpu[i]);
  }
  std::printf("\n== scraping %lld series every %d s, %zu intervals ==\n",
              static_cast<long long>(flags.series), flags.interval_s, a_cpu.size());
  std::printf("%-10s %14s %12s %14s %12s %12s\n", "", "cpu s/interval", "cpu s total",
              "peak RSS MB", "of it anon", "file");
  std::printf("%-10s %14.3f %12.2f %14.1f %12.1f %12.1f\n", "strata", Median(a_cpu), a_total, a_rss,
              static_cast<double>(a_anon) / 1e6, static_cast<double>(a_file) / 1e6);
  std::printf("%-10s %14.3f %12.2f %14.1f %12.1f %12.1f\n", "vmagent", Median(v_cpu), v_total,
              v_rss, static_cast<double>(v_anon) / 1e6, static_cast<double>(v_file) / 1e6);
  std::printf("strata/vmagent: cpu %.2f (median of per-interval ratios), peak RSS %.2f\n",
              ratios.empty() ? 0.0 : Median(ratios), a_rss / v_rss);
  std::printf("targets: cpu <= 0.5x vmagent %s; RSS <= vmagent %s\n",
              !ratios.empty() && Median(ratios) <= 0.5 ? "met" : "MISSED",
              a_rss <= v_rss ? "met" : "MISSED");
  std::printf("load average after: %s\n", Loadavg().c_str());
  agent.Stop();
  vmagent.Stop();
  collector.process->Stop();
  for (auto& s : servers) s->stop();
  for (auto& t : threads) t.join();
  return 0;
}
