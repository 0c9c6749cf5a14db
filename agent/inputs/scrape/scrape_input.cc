#include "agent/inputs/scrape/scrape_input.h"

#include <xxhash.h>

#include <algorithm>
#include <optional>

#include "agent/discovery/kubernetes_sd.h"
#include "common/base/log.h"
#include "common/model/metric_id.h"
#include "common/model/names.h"

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

size_t AppendStaleMarkers(common::SampleBatch& out, int64_t ts, SeriesSet* previous) {
  SeriesSet current;
  current.reserve(out.size());
  size_t added = 0;
  for (const common::SeriesSample& s : out) {
    const uint64_t id = common::MetricId(s.labels);
    if (current.count(id) > 0) continue;  // the same series twice in one scrape
    auto it = previous->find(id);
    if (it != previous->end()) {
      current.emplace(id, std::move(it->second));
      previous->erase(it);
    } else {
      current.emplace(id, s.labels);
      ++added;
    }
  }
  for (auto& [id, labels] : *previous) {
    out.push_back(common::SeriesSample{std::move(labels), common::Sample{ts, common::StaleNaN()}});
  }
  *previous = std::move(current);
  return added;
}

namespace {

// The series `p` becomes for this target, or empty labels when metric relabeling drops it.
common::Labels TargetSeries(const ParsedSample& p, const ScrapeTarget& target,
                            const ScrapeConfig& config, const relabel::Relabeler& metric_relabel) {
  common::LabelsBuilder b(p.labels);
  for (const auto& t : target.target_labels) {
    std::string_view existing = p.labels.Get(t.name);
    if (!existing.empty()) {
      if (config.honor_labels) continue;
      b.Set("exported_" + std::string(t.name), existing);
    }
    b.Set(t.name, t.value);
  }
  common::Labels labels = b.Build();
  if (metric_relabel.empty()) return labels;
  common::Labels relabeled;
  if (!metric_relabel.Apply(labels, &relabeled) || relabeled.empty()) return {};
  // A rewrite that leaves no valid metric name or writes an invalid label name drops the
  // series, as Prometheus refuses to store it.
  if (!common::IsValidMetricName(relabeled.MetricName()) ||
      std::any_of(relabeled.begin(), relabeled.end(),
                  [](const auto& l) { return !common::IsValidLabelName(l.name); })) {
    return {};
  }
  return relabeled;
}

}  // namespace

size_t AppendTargetSamples(const ParseResult& parsed, const ScrapeTarget& target,
                           const ScrapeConfig& config, const relabel::Relabeler& metric_relabel,
                           int64_t scrape_ts_ms, common::SampleBatch* out, SeriesCache* cache) {
  out->reserve(out->size() + parsed.samples.size() + 4);
  size_t kept = 0;
  for (const ParsedSample& p : parsed.samples) {
    common::Labels labels;
    if (p.labels.empty()) {
      // A series the parser knew from `cache`: it was cached before this parse.
      const common::Labels* cached = cache != nullptr ? cache->Touch(p.series) : nullptr;
      if (cached == nullptr) continue;  // cannot happen: the parser asked the same cache
      labels = *cached;
    } else {
      labels = TargetSeries(p, target, config, metric_relabel);
      if (cache != nullptr) cache->Put(p.series, labels);
    }
    if (labels.empty()) continue;
    int64_t ts = (config.honor_timestamps && p.timestamp_ms) ? *p.timestamp_ms : scrape_ts_ms;
    out->push_back(common::SeriesSample{std::move(labels), common::Sample{ts, p.value}});
    ++kept;
  }
  return kept;
}

ScrapeInput::ScrapeInput(ScrapeConfig config, const common::Clock& clock,
                         common::Registry& registry, ScrapeStateCache* states)
    : config_(std::move(config)),
      client_(config_, clock),
      states_(states),
      clock_(clock),
      registry_(registry),
      parse_errors_(registry.GetCounter("strata_agent_scrape_parse_errors_total",
                                        "Malformed exposition lines skipped, by job.",
                                        {{"job", config_.job_name}})),
      scrapes_failed_(registry.GetCounter(
          "strata_agent_scrapes_failed_total",
          "Scrapes that failed (connection, status, timeout, size).", {{"job", config_.job_name}})),
      scrapes_total_(registry.GetCounter("strata_agent_scrapes_total", "Scrapes attempted.",
                                         {{"job", config_.job_name}})),
      sd_read_errors_(registry.GetCounter(
          "strata_agent_sd_file_read_errors_total",
          "Target files (file_sd_configs) that could not be read or parsed; the previous "
          "targets are kept.",
          {{"job", config_.job_name}})),
      sd_http_errors_(registry.GetCounter(
          "strata_agent_sd_http_failures_total",
          "HTTP SD fetches (http_sd_configs) that failed; the previous targets are kept.",
          {{"job", config_.job_name}})),
      limits_exceeded_(registry.GetCounter(
          "strata_agent_scrapes_exceeded_limit_total",
          "Scrapes failed by sample_limit, label_limit or a label length limit.",
          {{"job", config_.job_name}})),
      targets_gauge_(registry.GetGauge("strata_agent_scrape_targets",
                                       "Targets being scraped, after relabeling.",
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
  // TLS files are read now so that a wrong path fails the config; scrapes and HTTP SD fetches
  // read them again.
  if (absl::Status tls = http::CheckTlsFiles(config_.tls_config); !tls.ok()) {
    return absl::InvalidArgumentError(job + std::string(tls.message()));
  }
  for (size_t i = 0; i < config_.http_sd_configs.size(); ++i) {
    if (absl::Status tls = http::CheckTlsFiles(config_.http_sd_configs[i].tls_config); !tls.ok()) {
      return absl::InvalidArgumentError(job + "http_sd_configs[" + std::to_string(i) + "]." +
                                        std::string(tls.message()));
    }
  }
  target_relabel_ = *std::move(target_relabel);
  metric_relabel_ = *std::move(metric_relabel);
  // Kubernetes defaults come from the environment; a job that cannot use them does not start.
  std::vector<discovery::KubernetesListRequest> kubernetes;
  if (!config_.kubernetes_sd_configs.empty()) {
    const discovery::KubernetesEnvironment env = discovery::KubernetesEnvironment::FromProcess();
    for (size_t i = 0; i < config_.kubernetes_sd_configs.size(); ++i) {
      absl::StatusOr<discovery::KubernetesListRequest> r =
          discovery::ResolveKubernetesSd(config_.kubernetes_sd_configs[i], env);
      if (!r.ok()) {
        return absl::InvalidArgumentError(job + "kubernetes_sd_configs[" + std::to_string(i) +
                                          "]: " + std::string(r.status().message()));
      }
      kubernetes.push_back(*std::move(r));
    }
  }
  BuiltTargets built = BuildTargets(config_, target_relabel_, config_.static_configs);
  // Static targets are config: one that cannot be scraped is a config error.
  if (!built.errors.empty()) return absl::InvalidArgumentError(job + built.errors.front());
  if (built.dropped > 0) {
    Log(LogLevel::kInfo, "scrape", "targets dropped by relabel_configs",
        {{"job", config_.job_name}, {"dropped", built.dropped}, {"kept", built.targets.size()}});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  if (config_.file_sd_configs.empty() && config_.http_sd_configs.empty() && kubernetes.empty()) {
    Sync(std::move(built.targets), sink);
    return absl::OkStatus();
  }
  for (const discovery::FileSdConfig& c : config_.file_sd_configs) {
    discoverers_.push_back(std::make_unique<discovery::FileDiscoverer>(c, clock_, sd_read_errors_));
  }
  for (const discovery::HttpSdConfig& c : config_.http_sd_configs) {
    discoverers_.push_back(std::make_unique<discovery::HttpDiscoverer>(c, clock_, sd_http_errors_));
  }
  for (discovery::KubernetesListRequest& r : kubernetes) {
    discoverers_.push_back(std::make_unique<discovery::KubernetesDiscoverer>(
        std::move(r), clock_, registry_, config_.job_name));
  }
  discovered_.assign(discoverers_.size(), {});
  Discover(sink);  // the files' targets start with the static ones
  manager_ = std::thread([this, &sink] {
    pthread_setname_np(pthread_self(), ("sd/" + config_.job_name).substr(0, 15).c_str());
    int64_t next = clock_.MonotonicMs();
    for (;;) {
      next += kDiscoveryPollMs;
      {
        std::unique_lock<std::mutex> lock(mu_);
        const int64_t wait = next - clock_.MonotonicMs();
        if (wait > 0) cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stop_; });
        if (stop_) return;
      }
      Discover(sink);
    }
  });
  return absl::OkStatus();
}

void ScrapeInput::Discover(SampleSink& sink) {
  bool changed = false;
  for (size_t i = 0; i < discoverers_.size(); ++i) {
    std::optional<std::vector<StaticConfig>> groups = discoverers_[i]->Poll();
    if (!groups) continue;
    discovered_[i] = *std::move(groups);
    changed = true;
  }
  if (!changed) return;
  std::vector<StaticConfig> all = config_.static_configs;
  for (const auto& groups : discovered_) all.insert(all.end(), groups.begin(), groups.end());
  BuiltTargets built = BuildTargets(config_, target_relabel_, all);
  std::string errors;
  for (const std::string& e : built.errors) errors += (errors.empty() ? "" : "; ") + e;
  if (errors != last_target_errors_ && !errors.empty()) {
    Log(LogLevel::kWarn, "scrape", "discovered targets left out",
        {{"job", config_.job_name}, {"count", built.errors.size()}, {"errors", errors}});
  }
  last_target_errors_ = errors;
  Sync(std::move(built.targets), sink);
}

namespace {

// A target's identity: where it is scraped and the labels its series get.
std::string TargetKey(const ScrapeTarget& t) {
  return TargetUrl(t) + " " + t.target_labels.ToString();
}

std::string JobTargetKey(const std::string& job, const ScrapeTarget& t) {
  return job + " " + TargetKey(t);
}

}  // namespace

void ScrapeInput::Sync(std::vector<ScrapeTarget> targets, SampleSink& sink) {
  std::map<std::string, ScrapeTarget> wanted;
  for (ScrapeTarget& t : targets) wanted.emplace(JobTargetKey(config_.job_name, t), std::move(t));
  std::vector<std::unique_ptr<Loop>> gone;
  for (auto it = loops_.begin(); it != loops_.end();) {
    if (wanted.count(it->first) > 0) {
      ++it;
      continue;
    }
    gone.push_back(std::move(it->second));
    it = loops_.erase(it);
  }
  if (!gone.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& loop : gone) {
        loop->stop = true;
        loop->removed = true;
      }
    }
    cv_.notify_all();
    for (auto& loop : gone) loop->thread.join();
  }
  size_t started = 0;
  for (auto& [key, target] : wanted) {
    if (loops_.count(key) > 0) continue;
    auto loop = std::make_unique<Loop>();
    loop->target = std::move(target);
    loop->key = key;
    // Taken here, before the thread starts, so that once Start() returns whatever is left in
    // the cache belongs to targets this config no longer has.
    if (states_ != nullptr) {
      if (std::optional<TargetState> s = states_->Take(key)) loop->state = *std::move(s);
    }
    Loop* raw = loop.get();
    loop->thread = std::thread([this, raw, &sink] { RunTarget(raw, sink); });
    loops_.emplace(key, std::move(loop));
    ++started;
  }
  targets_gauge_.Set(static_cast<double>(loops_.size()));
  if (!gone.empty() || (started > 0 && !discoverers_.empty())) {
    Log(LogLevel::kInfo, "scrape", "targets changed",
        {{"job", config_.job_name},
         {"started", started},
         {"stopped", gone.size()},
         {"targets", loops_.size()}});
  }
}

void ScrapeInput::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (manager_.joinable()) manager_.join();
  for (auto& [key, loop] : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  loops_.clear();
  discoverers_.clear();
}

bool ScrapeInput::WaitUntilMs(const Loop& loop, int64_t monotonic_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t wait = monotonic_ms - clock_.MonotonicMs();
  if (wait > 0) {
    cv_.wait_for(lock, std::chrono::milliseconds(wait), [&] { return stop_ || loop.stop; });
  }
  return !stop_ && !loop.stop;
}

void ScrapeInput::RunTarget(Loop* loop, SampleSink& sink) {
  pthread_setname_np(pthread_self(), ("scrape/" + config_.job_name).substr(0, 15).c_str());
  const ScrapeTarget& target = loop->target;
  // Spread targets over the interval by a stable hash of the address.
  const int64_t interval = config_.scrape_interval_ms;
  int64_t offset = static_cast<int64_t>(XXH64(target.address.data(), target.address.size(), 0) %
                                        static_cast<uint64_t>(interval));
  int64_t next = clock_.MonotonicMs() + std::min<int64_t>(offset, 1000);
  TargetState& state = loop->state;
  SeriesCache cache;  // this loop's: it depends on the config
  while (WaitUntilMs(*loop, next)) {
    sink.Push(ScrapeOnce(target, &state, &cache));
    next += interval;
    // After a long stall (suspend, overload) skip missed ticks instead of bursting.
    int64_t now = clock_.MonotonicMs();
    if (next < now) next = now + interval - ((now - next) % interval);
  }
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    removed = loop->removed;
  }
  if (removed) {
    sink.Push(StaleMarkersFor(target, state, clock_.NowMs()));
  } else if (states_ != nullptr) {
    states_->Put(loop->key, target, std::move(state));  // for the next config's loop
  }
}

common::SampleBatch ScrapeInput::ScrapeOnce(const ScrapeTarget& target, TargetState* state,
                                            SeriesCache* cache) {
  scrapes_total_.Inc();
  const int64_t ts = clock_.NowMs();
  const int64_t start = clock_.MonotonicMs();
  FetchResult fetched = client_.Fetch(target);
  const double duration_s = static_cast<double>(clock_.MonotonicMs() - start) / 1000.0;
  const std::string& failure = fetched.error;
  common::SampleBatch out;
  // A failed scrape keeps nothing it read: up 0, and the target's series are marked stale.
  auto fail = [&](const std::string& reason, size_t scraped) {
    scrapes_failed_.Inc();
    Log(state->up ? LogLevel::kWarn : LogLevel::kDebug, "scrape", "scrape failed",
        {{"job", config_.job_name},
         {"target", target.address},
         {"url", TargetUrl(target)},
         {"error", reason}});
    state->up = false;
    cache->Clear();
    out.clear();
    for (auto& [id, labels] : state->series) {
      out.push_back(
          common::SeriesSample{std::move(labels), common::Sample{ts, common::StaleNaN()}});
    }
    state->series.clear();
    out.push_back(Synthetic("up", target, ts, 0));
    out.push_back(Synthetic("scrape_duration_seconds", target, ts, duration_s));
    out.push_back(Synthetic("scrape_samples_scraped", target, ts, static_cast<double>(scraped)));
    out.push_back(Synthetic("scrape_samples_post_metric_relabeling", target, ts, 0));
    out.push_back(Synthetic("scrape_series_added", target, ts, 0));
    return std::move(out);
  };
  if (!failure.empty()) return fail(failure, 0);
  const bool open_metrics = IsOpenMetricsContentType(fetched.content_type);
  cache->StartScrape();
  ParseResult parsed = open_metrics ? ParseOpenMetrics(fetched.body, cache)
                                    : ParseTextExposition(fetched.body, cache);
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
  const size_t kept =
      AppendTargetSamples(parsed, target, config_, metric_relabel_, ts, &out, cache);
  cache->EvictUnseen();
  if (std::string limit = CheckScrapeLimits(config_.Limits(), out); !limit.empty()) {
    limits_exceeded_.Inc();
    return fail(limit, parsed.samples.size());
  }
  if (!state->up) {
    Log(LogLevel::kInfo, "scrape", "target is up again",
        {{"job", config_.job_name}, {"target", target.address}});
    state->up = true;
  }
  const size_t added = AppendStaleMarkers(out, ts, &state->series);
  out.push_back(Synthetic("up", target, ts, 1));
  out.push_back(Synthetic("scrape_duration_seconds", target, ts, duration_s));
  out.push_back(
      Synthetic("scrape_samples_scraped", target, ts, static_cast<double>(parsed.samples.size())));
  out.push_back(
      Synthetic("scrape_samples_post_metric_relabeling", target, ts, static_cast<double>(kept)));
  out.push_back(Synthetic("scrape_series_added", target, ts, static_cast<double>(added)));
  return out;
}

}  // namespace strata::agent::scrape
