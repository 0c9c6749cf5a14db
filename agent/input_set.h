#pragma once

// The agent's running inputs, built from the scrape and host sections of its config, and their
// replacement on a config reload (SIGHUP).
//
// Reload stops the current inputs (each finishes the scrape it is in and pushes it: samples
// already in the queue or on their way to the collector are untouched, because the queue and
// the exporter are not part of the reload) and starts inputs from the new config. Scrape
// targets present in both keep their state (scrape_state_cache.h), so series the new config
// no longer produces are marked stale on its first scrape; targets it dropped are marked stale
// at once. If one of the
// new inputs fails to start, the new set is stopped and the previous config's inputs are started
// again, so a reload never leaves the agent collecting nothing. Outcomes are logged and counted
// in strata_agent_config_reloads_total{result} and strata_agent_config_last_reload_successful.
//
// Settings outside the inputs (collector connection, HTTP listener, queue) need a restart; a
// reload that changes them says so in its log line.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/agent_config.h"
#include "agent/input.h"
#include "agent/inputs/scrape/scrape_state_cache.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent {

class InputSet {
 public:
  InputSet(SampleSink& sink, const common::Clock& clock, common::Registry& registry);
  ~InputSet();

  // Builds and starts the inputs of `config`; on an error stops those already started.
  absl::Status Start(const AgentConfig& config);
  // Replaces the inputs with those of `config` (see above). The error says why the new config
  // was not applied; the previous inputs then run again.
  absl::Status Reload(const AgentConfig& config);
  // Counts and logs a reload whose config did not load (the inputs keep running).
  void ReloadRejected(const std::string& reason);
  void Stop();

 private:
  absl::Status StartInputs(const AgentConfig& config);

  SampleSink& sink_;
  const common::Clock& clock_;
  common::Registry& registry_;
  std::vector<std::unique_ptr<Input>> inputs_;
  scrape::ScrapeStateCache scrape_states_;
  AgentConfig current_;
  common::Counter& reloads_ok_;
  common::Counter& reloads_failed_;
  common::Gauge& last_reload_ok_;
};

}  // namespace strata::agent
