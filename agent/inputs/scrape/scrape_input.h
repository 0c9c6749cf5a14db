#pragma once

// Scrapes the targets of one scrape job over HTTP or HTTPS (scrape_client.h: TLS and credentials),
// in OpenMetrics or the Prometheus text format (negotiated by Accept, parsed by the response
// Content-Type).
//
// One thread per target ("scrape/<job>"), started at an offset within the interval derived from
// the target's address so that many targets spread out instead of firing together. Each scrape:
// GET with the job's timeout and body-size cap, parse (malformed lines are skipped and counted in
// strata_agent_scrape_parse_errors_total{job}; the rest is kept), add job/instance and static
// labels, apply metric_relabel_configs, then push the samples plus the synthetic series up,
// scrape_duration_seconds, scrape_samples_scraped, scrape_samples_post_metric_relabeling and
// scrape_series_added to the sink, with staleness markers for series the previous scrape had and
// this one lacks. A failed scrape pushes up=0 and marks the target's series stale. Targets come
// from static_configs, file_sd_configs, http_sd_configs and kubernetes_sd_configs through
// relabel_configs (target_builder.h); with discovery a manager thread ("sd/<job>") polls the
// discoverers every kDiscoveryPollMs and starts and stops target loops as targets come and go (a
// stopped one marks all its series stale).

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/discovery/discoverer.h"
#include "agent/input.h"
#include "agent/inputs/scrape/scrape_client.h"
#include "agent/inputs/scrape/scrape_config.h"
#include "agent/inputs/scrape/scrape_state_cache.h"
#include "agent/inputs/scrape/series_cache.h"
#include "agent/inputs/scrape/target_builder.h"
#include "agent/inputs/scrape/text_parser.h"
#include "agent/relabel/relabeler.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent::scrape {

// Turns parsed samples into series with the target's labels applied (Prometheus rules: on a
// conflict the scraped label is renamed exported_<name> unless honor_labels), then the job's
// metric_relabel_configs (`metric_relabel`, may be empty), which may drop series. Returns how
// many series were appended. With `cache` (series_cache.h), samples the parser found known take
// their cached labels, and the others' outcome is cached. Exposed for tests.
size_t AppendTargetSamples(const ParseResult& parsed, const ScrapeTarget& target,
                           const ScrapeConfig& config, const relabel::Relabeler& metric_relabel,
                           int64_t scrape_ts_ms, common::SampleBatch* out,
                           SeriesCache* cache = nullptr);

// Appends a staleness marker at `ts` for every series in `previous` that `out` (one scrape's
// series) does not have, then makes `previous` the series of `out`. Returns how many series of
// `out` were not in `previous` (scrape_series_added). Series present in both are moved over, so
// a steady target costs one hash per series per scrape and no label copies. Exposed for tests.
size_t AppendStaleMarkers(common::SampleBatch& out, int64_t ts, SeriesSet* previous);

class ScrapeInput final : public Input {
 public:
  // `states` (may be null) carries the targets' state across config reloads: Stop() leaves each
  // loop's state there and loops of the same targets take it when they start.
  ScrapeInput(ScrapeConfig config, const common::Clock& clock, common::Registry& registry,
              ScrapeStateCache* states = nullptr);
  ~ScrapeInput() override;

  std::string Name() const override { return "scrape/" + config_.job_name; }
  absl::Status Start(SampleSink& sink) override;
  void Stop() override;

  // How often the discoverers are polled (each paces its own refreshes).
  static constexpr int64_t kDiscoveryPollMs = 1000;

 private:
  // One target's scrape loop. `stop` is guarded by mu_.
  struct Loop {
    ScrapeTarget target;
    std::thread thread;
    bool stop = false;
    bool removed = false;  // by discovery: mark its series stale on the way out
    std::string key;       // TargetKey
    TargetState state;     // handed over from a previous config's loop, if any
  };
  void RunTarget(Loop* loop, SampleSink& sink);
  // Performs one scrape; returns the samples to push (including synthetic series and staleness
  // markers for series the previous scrape had and this one does not).
  common::SampleBatch ScrapeOnce(const ScrapeTarget& target, TargetState* state,
                                 SeriesCache* cache);
  bool WaitUntilMs(const Loop& loop, int64_t monotonic_ms);  // false when stopping
  // Polls the discoverers and rebuilds the target set when any changed (manager thread).
  void Discover(SampleSink& sink);
  // Starts loops for new targets and stops (with staleness markers) those no longer present.
  void Sync(std::vector<ScrapeTarget> targets, SampleSink& sink);

  ScrapeConfig config_;
  const ScrapeClient client_;  // the job's HTTP settings, for every target's thread
  ScrapeStateCache* const states_;
  relabel::Relabeler target_relabel_;  // built in Start()
  relabel::Relabeler metric_relabel_;  // built in Start()
  const common::Clock& clock_;
  common::Registry& registry_;  // for the discoverers' own counters
  common::Counter& parse_errors_;
  common::Counter& scrapes_failed_;
  common::Counter& scrapes_total_;
  common::Counter& sd_read_errors_;
  common::Counter& sd_http_errors_;
  common::Counter& limits_exceeded_;
  common::Gauge& targets_gauge_;
  std::vector<std::unique_ptr<discovery::Discoverer>> discoverers_;
  std::vector<std::vector<StaticConfig>> discovered_;   // each discoverer's last groups
  std::string last_target_errors_;                      // logged once per change
  std::map<std::string, std::unique_ptr<Loop>> loops_;  // by target identity; Start/manager/Stop
  std::thread manager_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace strata::agent::scrape
