#include "agent/inputs/scrape/target_builder.h"

#include <algorithm>

#include "common/config/duration.h"
#include "common/model/names.h"
#include "common/net/http_server.h"

namespace strata::agent::scrape {
namespace {

std::string_view Get(const std::vector<common::Label>& labels, std::string_view name) {
  for (const common::Label& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

}  // namespace

BuiltTargets BuildTargets(const ScrapeConfig& config, const relabel::Relabeler& relabeler,
                          const std::vector<StaticConfig>& groups) {
  BuiltTargets out;
  for (const StaticConfig& group : groups) {
    for (const std::string& addr : group.targets) {
      common::LabelsBuilder b;
      for (const auto& [k, v] : group.labels) b.Set(k, v);
      b.Set("job", config.job_name)
          .Set("__address__", addr)
          .Set("__scheme__", config.scheme)
          .Set("__metrics_path__", config.metrics_path)
          .Set("__scrape_interval__", common::FormatDurationMs(config.scrape_interval_ms))
          .Set("__scrape_timeout__", common::FormatDurationMs(config.scrape_timeout_ms));
      const common::Labels discovered = b.Build();
      std::vector<common::Label> labels = discovered.items();
      if (!relabeler.Apply(&labels)) {
        ++out.dropped;
        continue;
      }
      ScrapeTarget t;
      t.address = std::string(Get(labels, "__address__"));
      t.scheme = std::string(Get(labels, "__scheme__"));
      t.metrics_path = std::string(Get(labels, "__metrics_path__"));
      std::string host;
      int port = 0;
      if (t.address.empty()) {
        out.errors.push_back("target " + discovered.ToString() +
                             ": no __address__ label after relabeling");
        continue;
      }
      if (!common::SplitHostPort(t.address, &host, &port) || port == 0) {
        out.errors.push_back("target \"" + t.address + "\" is not host:port");
        continue;
      }
      if (t.scheme != "http") {
        out.errors.push_back("target \"" + t.address + "\": scheme \"" + t.scheme +
                             "\" is not supported (http only)");
        continue;
      }
      if (t.metrics_path.empty() || t.metrics_path[0] != '/') t.metrics_path = "/" + t.metrics_path;
      if (Get(labels, "instance").empty()) labels.push_back({"instance", t.address});
      // Relabeling may write names that are not label names (labelmap over odd names): such a
      // target is left out, as Prometheus does.
      const auto invalid = std::find_if(labels.begin(), labels.end(), [](const common::Label& l) {
        return !common::IsValidLabelName(l.name);
      });
      if (invalid != labels.end()) {
        out.errors.push_back("target \"" + t.address + "\": invalid label name \"" + invalid->name +
                             "\" after relabeling");
        continue;
      }
      labels.erase(std::remove_if(labels.begin(), labels.end(),
                                  [](const common::Label& l) { return l.name.starts_with("__"); }),
                   labels.end());
      t.target_labels = common::Labels::FromUnsorted(std::move(labels));
      t.discovered_labels = discovered;
      out.targets.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace strata::agent::scrape
