#include "agent/input_set.h"

#include <string>

#include "agent/inputs/registry.h"
#include "common/base/log.h"

namespace strata::agent {
namespace {

using common::Log;
using common::LogLevel;

constexpr char kComponent[] = "agent";

}  // namespace

InputSet::InputSet(SampleSink& sink, const common::Clock& clock, common::Registry& registry)
    : sink_(sink),
      clock_(clock),
      registry_(registry),
      reloads_ok_(registry.GetCounter("strata_agent_config_reloads_total",
                                      "Config reloads (SIGHUP), by result.",
                                      {{"result", "success"}})),
      reloads_failed_(registry.GetCounter("strata_agent_config_reloads_total",
                                          "Config reloads (SIGHUP), by result.",
                                          {{"result", "failure"}})),
      last_reload_ok_(registry.GetGauge("strata_agent_config_last_reload_successful",
                                        "1 when the last config reload (or the start) applied.",
                                        {})) {}

InputSet::~InputSet() { Stop(); }

absl::Status InputSet::StartInputs(const AgentConfig& config) {
  inputs_ = BuildInputs(config, clock_, registry_, &scrape_states_);
  for (auto& input : inputs_) {
    if (absl::Status s = input->Start(sink_); !s.ok()) {
      const std::string name = input->Name();  // Stop() destroys the inputs
      Log(LogLevel::kError, kComponent, "input failed to start",
          {{"input", name}, {"error", std::string(s.message())}});
      Stop();
      return absl::InvalidArgumentError("input " + name + ": " + std::string(s.message()));
    }
    Log(LogLevel::kInfo, kComponent, "input started", {{"input", input->Name()}});
  }
  return absl::OkStatus();
}

absl::Status InputSet::Start(const AgentConfig& config) {
  absl::Status s = StartInputs(config);
  if (s.ok()) current_ = config;
  last_reload_ok_.Set(s.ok() ? 1 : 0);
  return s;
}

absl::Status InputSet::Reload(const AgentConfig& config) {
  Stop();
  absl::Status s = StartInputs(config);
  if (!s.ok()) {
    reloads_failed_.Inc();
    last_reload_ok_.Set(0);
    Log(LogLevel::kError, kComponent, "config reload failed; running the previous config again",
        {{"error", std::string(s.message())}});
    // The previous config started before; it is started again as it was.
    if (absl::Status back = StartInputs(current_); !back.ok()) {
      Log(LogLevel::kError, kComponent, "previous config failed to start again",
          {{"error", std::string(back.message())}});
    }
    return s;
  }
  // Targets the new config no longer scrapes: their series end here.
  size_t dropped = 0;
  for (scrape::ScrapeStateCache::Entry& e : scrape_states_.TakeRest()) {
    sink_.Push(scrape::StaleMarkersFor(e.target, e.state, clock_.NowMs()));
    ++dropped;
  }
  const bool restart_needed = config.collector.address != current_.collector.address ||
                              config.http_listen != current_.http_listen ||
                              config.agent_id != current_.agent_id ||
                              !(config.cardinality == current_.cardinality);
  current_ = config;
  reloads_ok_.Inc();
  last_reload_ok_.Set(1);
  Log(restart_needed ? LogLevel::kWarn : LogLevel::kInfo, kComponent,
      restart_needed
          ? "config reloaded; collector, agent_id, http_listen and cardinality changes need a "
            "restart"
          : "config reloaded",
      {{"inputs", inputs_.size()}, {"targets_dropped", dropped}});
  return absl::OkStatus();
}

void InputSet::ReloadRejected(const std::string& reason) {
  reloads_failed_.Inc();
  last_reload_ok_.Set(0);
  Log(LogLevel::kError, kComponent, "config reload rejected; keeping the running config",
      {{"error", reason}});
}

void InputSet::Stop() {
  for (auto& input : inputs_) input->Stop();
  inputs_.clear();
}

}  // namespace strata::agent
