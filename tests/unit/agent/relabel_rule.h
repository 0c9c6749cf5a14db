#pragma once

// One relabel rule for tests, with Prometheus' defaults for what is not given.

#include <string>
#include <utility>
#include <vector>

#include "agent/relabel/relabel_config.h"

namespace strata::agent::test_support {

inline relabel::RelabelConfig Rule(std::string action, std::vector<std::string> sources = {},
                                   std::string target = "",
                                   std::string regex = relabel::kDefaultRegex,
                                   std::string replacement = relabel::kDefaultReplacement) {
  relabel::RelabelConfig c;
  c.action = std::move(action);
  c.source_labels = std::move(sources);
  c.target_label = std::move(target);
  c.regex = std::move(regex);
  c.replacement = std::move(replacement);
  return c;
}

}  // namespace strata::agent::test_support
