#pragma once

// Turns a scrape job's target groups (static_configs and discovered groups, which have the same
// shape) into the targets to scrape, as Prometheus 3 does:
//
// - Each target starts with its group's labels and `__address__`; `job`, `__scheme__`,
//   `__metrics_path__`, `__scrape_interval__`, `__scrape_timeout__` and `__param_<name>` (the
//   first value of each of the job's `params`) are added unless the group already has them, so
//   discovery can set them per target.
// - The job's relabel_configs run over that set and may drop the target or rewrite where and
//   how it is scraped.
// - `__scheme__` must then be http or https. `__address__` is host, host:port, [ipv6] or
//   [ipv6]:port (a bare IPv6 address is taken as a host); without a port the target is scraped
//   on 80 for http and 443 for https, and the address, hence `instance`, stays as written:
//   Prometheus 3 no longer adds the default port to the labels.
// - The query string is the job's params with each `__param_<name>` label replacing the first
//   value of <name> (or adding <name> when the job has no such param): a param relabeling left
//   alone keeps all its configured values. Names are sorted and escaped as Go's url.Values does.
// - `instance` defaults to the address; labels starting with "__" are removed from what the
//   series carry.

#include <string>
#include <vector>

#include "agent/inputs/scrape/scrape_config.h"
#include "agent/relabel/relabeler.h"
#include "common/model/labels.h"

namespace strata::agent::scrape {

struct ScrapeTarget {
  std::string address;           // __address__ after relabeling, as written (maybe without a port)
  std::string host;              // to connect to: the address without port and brackets
  int port = 0;                  // the address's port, else 80 for http and 443 for https
  std::string scheme = "http";   // __scheme__ after relabeling: http or https
  std::string metrics_path;      // __metrics_path__ after relabeling
  std::string query;             // URL query from params and __param_*; "" : none
  common::Labels target_labels;  // job, instance, group and relabeled labels
  common::Labels discovered_labels;  // the labels before relabeling (for logs and status)
};

// scheme://address/path?query, for logs and as part of a target's identity.
std::string TargetUrl(const ScrapeTarget& target);

struct BuiltTargets {
  std::vector<ScrapeTarget> targets;
  size_t dropped = 0;               // dropped by relabel_configs
  std::vector<std::string> errors;  // targets left out, one line each
};

BuiltTargets BuildTargets(const ScrapeConfig& config, const relabel::Relabeler& relabeler,
                          const std::vector<StaticConfig>& groups);

}  // namespace strata::agent::scrape
