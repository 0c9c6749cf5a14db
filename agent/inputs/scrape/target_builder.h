#pragma once

// Turns a scrape job's target groups (static_configs now; discovered groups later, which have
// the same shape) into the targets to scrape, as Prometheus does: each target starts with its
// group's labels, `job`, `__address__`, `__scheme__`, `__metrics_path__`,
// `__scrape_interval__` and `__scrape_timeout__`; the job's relabel_configs run over that set
// and may drop the target or rewrite where it is scraped; `instance` defaults to the
// (relabeled) address; labels starting with "__" are removed from what the series carry.

#include <string>
#include <vector>

#include "agent/inputs/scrape/scrape_config.h"
#include "agent/relabel/relabeler.h"
#include "common/model/labels.h"

namespace strata::agent::scrape {

struct ScrapeTarget {
  std::string address;               // host:port
  std::string scheme = "http";       // __scheme__ after relabeling
  std::string metrics_path;          // __metrics_path__ after relabeling
  common::Labels target_labels;      // job, instance, group and relabeled labels
  common::Labels discovered_labels;  // the labels before relabeling (for logs and status)
};

struct BuiltTargets {
  std::vector<ScrapeTarget> targets;
  size_t dropped = 0;               // dropped by relabel_configs
  std::vector<std::string> errors;  // targets left out, one line each
};

BuiltTargets BuildTargets(const ScrapeConfig& config, const relabel::Relabeler& relabeler,
                          const std::vector<StaticConfig>& groups);

}  // namespace strata::agent::scrape
