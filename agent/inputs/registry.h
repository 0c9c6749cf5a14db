#pragma once

// The one place where inputs are created from config: each input type is one line here.

#include <memory>
#include <vector>

#include "agent/agent_config.h"
#include "agent/input.h"
#include "agent/inputs/scrape/scrape_state_cache.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent {

// `scrape_states` (may be null) carries scrape targets' state across reloads.
std::vector<std::unique_ptr<Input>> BuildInputs(const AgentConfig& config,
                                                const common::Clock& clock,
                                                common::Registry& registry,
                                                scrape::ScrapeStateCache* scrape_states = nullptr);

}  // namespace strata::agent
