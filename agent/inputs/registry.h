#pragma once

// The one place where inputs are created from config: each input type is one line here.

#include <memory>
#include <vector>

#include "agent/agent_config.h"
#include "agent/input.h"
#include "common/base/clock.h"
#include "common/selfmon/metrics.h"

namespace strata::agent {

std::vector<std::unique_ptr<Input>> BuildInputs(const AgentConfig& config,
                                                const common::Clock& clock,
                                                common::Registry& registry);

}  // namespace strata::agent
