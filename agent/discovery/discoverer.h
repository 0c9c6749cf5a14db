#pragma once

// A source of target groups for one scrape job (file_sd_configs, http_sd_configs, ...).

#include <optional>
#include <vector>

#include "agent/discovery/target_group.h"

namespace strata::agent::discovery {

class Discoverer {
 public:
  virtual ~Discoverer() = default;
  // The current groups when they changed since the last call (the first call always returns
  // them), else nullopt. Called about once a second from one thread; does its own pacing.
  virtual std::optional<std::vector<TargetGroup>> Poll() = 0;
};

}  // namespace strata::agent::discovery
