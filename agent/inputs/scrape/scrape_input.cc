#include "agent/inputs/scrape/scrape_input.h"

#include <httplib.h>
#include <xxhash.h>

#include "common/base/log.h"
#include "common/net/http_server.h"

namespace strata::agent::scrape {
namespace {

using common::Log;
using common::LogLevel;

common::SeriesSample Synthetic(const char* name, const ScrapeTarget& target, int64_t ts,
                               double value) {
  return common::SeriesSample{
      common::LabelsBuilder(target.target_labels).Set("__name__", name).Build(),
      common::Sample{ts, value}};
}

}  // namespace

size_t AppendTargetSamples(const ParseResult& parsed, const ScrapeTarget& target,
                           const ScrapeConfig& config, const relabel::Relabeler& metric_relabel,
                           int64_t scrape_ts_ms, common::SampleBatch* out) {
  out->reserve(out->size() + parsed.samples.size() + 4);
  size_t kept = 0;
  for (const ParsedSample& p : parsed.samples) {
    common::LabelsBuilder b(p.labels);
    for (const common::Label& t : target.target_labels) {
      std::string_view existing = p.labels.Get(t.name);
      if (!existing.empty()) {
        if (config.honor_labels) continue;
        b.Set("exported_" + t.name, existing);
      }
      b.Set(t.name, t.value);
    }
    common::Labels labels = b.Build();
    if (!metric_relabel.empty()) {
      common::Labels relabeled;
      if (!metric_relabel.Apply(labels, &relabeled) || relabeled.empty()) continue;
      labels = std::move(relabeled);
    }
    int64_t ts = (config.honor_timestamps && p.timestamp_ms) ? *p.timestamp_ms : scrape_ts_ms;
    out->push_back(common::SeriesSample{std::move(labels), common::Sample{ts, p.value}});
    ++kept;
  }
  return kept;
}

ScrapeInput::ScrapeInput(ScrapeConfig config, const common::Clock& clock,
                         common::Registry& registry)
    : config_(std::move(config)),
      clock_(clock),
      parse_errors_(registry.GetCounter("strata_agent_scrape_parse_errors_total",
                                        "Malformed exposition lines skipped, by job.",
                                        {{"job", config_.job_name}})),
      scrapes_failed_(registry.GetCounter(
          "strata_agent_scrapes_failed_total",
          "Scrapes that failed (connection, status, timeout, size).", {{"job", config_.job_name}})),
      scrapes_total_(registry.GetCounter("strata_agent_scrapes_total", "Scrapes attempted.",
                                         {{"job", config_.job_name}})) {}

ScrapeInput::~ScrapeInput() { Stop(); }

absl::Status ScrapeInput::Start(SampleSink& sink) {
  const std::string job = "scrape job \"" + config_.job_name + "\": ";
  absl::StatusOr<relabel::Relabeler> target_relabel =
      relabel::Relabeler::Create(config_.relabel_configs);
  if (!target_relabel.ok()) {
    return absl::InvalidArgumentError(
        job + "relabel_configs: " + std::string(target_relabel.status().message()));
  }
  absl::StatusOr<relabel::Relabeler> metric_relabel =
      relabel::Relabeler::Create(config_.metric_relabel_configs);
  if (!metric_relabel.ok()) {
    return absl::InvalidArgumentError(
        job + "metric_relabel_configs: " + std::string(metric_relabel.status().message()));
  }
  metric_relabel_ = *std::move(metric_relabel);
  BuiltTargets built = BuildTargets(config_, *target_relabel, config_.static_configs);
  // Static targets are config: one that cannot be scraped is a config error, as before.
  if (!built.errors.empty()) return absl::InvalidArgumentError(job + built.errors.front());
  if (built.dropped > 0) {
    Log(LogLevel::kInfo, "scrape", "targets dropped by relabel_configs",
        {{"job", config_.job_name}, {"dropped", built.dropped}, {"kept", built.targets.size()}});
  }
  for (ScrapeTarget& t : built.targets) {
    threads_.emplace_back([this, t = std::move(t), &sink] { RunTarget(t, sink); });
  }
  return absl::OkStatus();
}

void ScrapeInput::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool ScrapeInput::WaitUntilMs(int64_t monotonic_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t wait = monotonic_ms - clock_.MonotonicMs();
  if (wait > 0) {
    cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stop_; });
  }
  return !stop_;
}

void ScrapeInput::RunTarget(const ScrapeTarget& target, SampleSink& sink) {
  pthread_setname_np(pthread_self(), ("scrape/" + config_.job_name).substr(0, 15).c_str());
  // Spread targets over the interval by a stable hash of the address.
  const int64_t interval = config_.scrape_interval_ms;
  int64_t offset = static_cast<int64_t>(XXH64(target.address.data(), target.address.size(), 0) %
                                        static_cast<uint64_t>(interval));
  int64_t next = clock_.MonotonicMs() + std::min<int64_t>(offset, 1000);
  TargetState state;
  while (WaitUntilMs(next)) {
    sink.Push(ScrapeOnce(target, &state));
    next += interval;
    // After a long stall (suspend, overload) skip missed ticks instead of bursting.
    int64_t now = clock_.MonotonicMs();
    if (next < now) next = now + interval - ((now - next) % interval);
  }
}

common::SampleBatch ScrapeInput::ScrapeOnce(const ScrapeTarget& target, TargetState* state) {
  scrapes_total_.Inc();
  const int64_t ts = clock_.NowMs();
  const int64_t start = clock_.MonotonicMs();
  std::string host;
  int port = 0;
  common::SplitHostPort(target.address, &host, &port);
  httplib::Client client(host, port);
  const int64_t timeout = config_.scrape_timeout_ms;
  client.set_connection_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client.set_read_timeout(timeout / 1000, (timeout % 1000) * 1000);
  client.set_write_timeout(timeout / 1000, (timeout % 1000) * 1000);
  std::string body;
  std::string failure;
  httplib::Headers headers = {
      {"Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1"},
      {"Accept-Encoding", "gzip"},
      {"X-Prometheus-Scrape-Timeout-Seconds", std::to_string(timeout / 1000.0)},
      {"User-Agent", "strata-agent"}};
  auto res = client.Get(target.metrics_path, headers, [&](const char* data, size_t len) {
    if (body.size() + len > static_cast<size_t>(config_.body_size_limit_bytes)) {
      failure = "body exceeds body_size_limit";
      return false;
    }
    if (clock_.MonotonicMs() - start > timeout) {
      failure = "scrape_timeout exceeded";
      return false;
    }
    body.append(data, len);
    return true;
  });
  const double duration_s = static_cast<double>(clock_.MonotonicMs() - start) / 1000.0;
  if (failure.empty()) {
    if (!res) {
      failure = httplib::to_string(res.error());
    } else if (res->status != 200) {
      failure = "HTTP status " + std::to_string(res->status);
    }
  }
  common::SampleBatch out;
  if (!failure.empty()) {
    scrapes_failed_.Inc();
    Log(state->up ? LogLevel::kWarn : LogLevel::kDebug, "scrape", "scrape failed",
        {{"job", config_.job_name}, {"target", target.address}, {"error", failure}});
    state->up = false;
    out.push_back(Synthetic("up", target, ts, 0));
    out.push_back(Synthetic("scrape_duration_seconds", target, ts, duration_s));
    out.push_back(Synthetic("scrape_samples_scraped", target, ts, 0));
    out.push_back(Synthetic("scrape_samples_post_metric_relabeling", target, ts, 0));
    return out;
  }
  if (!state->up) {
    Log(LogLevel::kInfo, "scrape", "target is up again",
        {{"job", config_.job_name}, {"target", target.address}});
    state->up = true;
  }
  ParseResult parsed = ParseTextExposition(body);
  parse_errors_.Inc(static_cast<double>(parsed.error_count));
  if (parsed.error_count > 0 && parsed.error_count != state->parse_errors) {
    const ParseError& first = parsed.errors.front();
    Log(LogLevel::kWarn, "scrape", "skipped malformed exposition lines",
        {{"job", config_.job_name},
         {"target", target.address},
         {"count", parsed.error_count},
         {"first_line", first.line},
         {"first_error", first.message}});
  }
  state->parse_errors = parsed.error_count;
  const size_t kept = AppendTargetSamples(parsed, target, config_, metric_relabel_, ts, &out);
  out.push_back(Synthetic("up", target, ts, 1));
  out.push_back(Synthetic("scrape_duration_seconds", target, ts, duration_s));
  out.push_back(
      Synthetic("scrape_samples_scraped", target, ts, static_cast<double>(parsed.samples.size())));
  out.push_back(
      Synthetic("scrape_samples_post_metric_relabeling", target, ts, static_cast<double>(kept)));
  return out;
}

}  // namespace strata::agent::scrape
