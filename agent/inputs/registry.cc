#include "agent/inputs/registry.h"

#include "agent/inputs/ebpf/ebpf_input.h"
#include "agent/inputs/host/host_input.h"
#include "agent/inputs/otlp/otlp_input.h"
#include "agent/inputs/scrape/scrape_input.h"
#include "agent/inputs/statsd/statsd_input.h"

namespace strata::agent {

std::vector<std::unique_ptr<Input>> BuildInputs(const AgentConfig& config,
                                                const common::Clock& clock,
                                                common::Registry& registry,
                                                scrape::ScrapeStateCache* scrape_states) {
  std::vector<std::unique_ptr<Input>> inputs;
  for (const scrape::ScrapeConfig& job : config.scrape_configs) {
    inputs.push_back(std::make_unique<scrape::ScrapeInput>(job, clock, registry, scrape_states));
  }
  if (config.host.enabled) {
    inputs.push_back(std::make_unique<host::HostInput>(config.host, clock, registry));
  }
  if (config.ebpf.enabled) {
    inputs.push_back(std::make_unique<ebpf::EbpfInput>(config.ebpf, clock, registry));
  }
  if (config.otlp.enabled) {
    inputs.push_back(std::make_unique<otlp::OtlpInput>(config.otlp, clock, registry));
  }
  if (config.statsd.enabled) {
    inputs.push_back(std::make_unique<statsd::StatsdInput>(config.statsd, clock, registry));
  }
  return inputs;
}

}  // namespace strata::agent
