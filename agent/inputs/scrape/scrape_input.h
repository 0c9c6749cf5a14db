#pragma once

// Scrapes the targets of one scrape job over HTTP in the Prometheus text format.
//
// One thread per target ("scrape/<job>"), started at an offset within the interval derived from
// the target's address so that many targets spread out instead of firing together. Each scrape:
// GET with the job's timeout and body-size cap, parse (malformed lines are skipped and counted in
// strata_agent_scrape_parse_errors_total{job}; the rest is kept), add job/instance and static
// labels, apply metric_relabel_configs, then push the samples plus the synthetic series up,
// scrape_duration_seconds, scrape_samples_scraped and scrape_samples_post_metric_relabeling to
// the sink. A failed scrape pushes up=0. Targets come from static_configs through
// relabel_configs (target_builder.h); targets that relabeling drops are not scraped.

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/input.h"
#include "agent/inputs/scrape/scrape_config.h"
#include "agent/inputs/scrape/target_builder.h"
#include "agent/inputs/scrape/text_parser.h"
#include "agent/relabel/relabeler.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::scrape {

// Turns parsed samples into series with the target's labels applied (Prometheus rules: on a
// conflict the scraped label is renamed exported_<name> unless honor_labels), then the job's
// metric_relabel_configs (`metric_relabel`, may be empty), which may drop series. Returns how
// many series were appended. Exposed for tests.
size_t AppendTargetSamples(const ParseResult& parsed, const ScrapeTarget& target,
                           const ScrapeConfig& config, const relabel::Relabeler& metric_relabel,
                           int64_t scrape_ts_ms, common::SampleBatch* out);

class ScrapeInput final : public Input {
 public:
  ScrapeInput(ScrapeConfig config, const common::Clock& clock, common::Registry& registry);
  ~ScrapeInput() override;

  std::string Name() const override { return "scrape/" + config_.job_name; }
  absl::Status Start(SampleSink& sink) override;
  void Stop() override;

 private:
  void RunTarget(const ScrapeTarget& target, SampleSink& sink);
  // What the previous scrape of a target saw, so that logs report changes (target went down,
  // came back, started serving bad lines) instead of repeating every interval.
  struct TargetState {
    bool up = true;
    uint64_t parse_errors = 0;
  };
  // Performs one scrape; returns the samples to push (including synthetic series).
  common::SampleBatch ScrapeOnce(const ScrapeTarget& target, TargetState* state);
  bool WaitUntilMs(int64_t monotonic_ms);  // false when stopping

  ScrapeConfig config_;
  relabel::Relabeler metric_relabel_;  // built in Start()
  const common::Clock& clock_;
  common::Counter& parse_errors_;
  common::Counter& scrapes_failed_;
  common::Counter& scrapes_total_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace strata::agent::scrape
