#include "agent/inputs/scrape/target_builder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>

#include "agent/discovery/kubernetes_sd_config.h"
#include "common/config/duration.h"
#include "common/model/names.h"
#include "common/net/http_server.h"

namespace strata::agent::scrape {
namespace {

constexpr std::string_view kParamPrefix = "__param_";

std::string_view Get(const std::vector<common::Label>& labels, std::string_view name) {
  for (const auto& l : labels) {
    if (l.name == name) return l.value;
  }
  return {};
}

bool IsIpv6Literal(const std::string& s) {
  in6_addr addr;
  return inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

// Splits `address` into the host and port to connect to, the port defaulting to the scheme's.
// Returns "" on success, else why the address cannot be scraped.
std::string SplitTargetAddress(const std::string& address, const std::string& scheme,
                               std::string* host, int* port) {
  const int default_port = scheme == "https" ? 443 : 80;
  const std::string invalid =
      "\"" + address + "\" is not a valid address (host, host:port or [ipv6]:port)";
  // A URL, user info or whitespace is not an address (Prometheus rejects "/" likewise).
  if (std::any_of(address.begin(), address.end(), [](char c) {
        return c == '/' || c == '@' || c == '?' || c == '#' ||
               std::isspace(static_cast<unsigned char>(c)) ||
               std::iscntrl(static_cast<unsigned char>(c));
      })) {
    return invalid;
  }
  if (address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close == 1) return invalid;
    const std::string rest = address.substr(close + 1);
    if (rest.empty()) {
      *host = address.substr(1, close - 1);
      *port = default_port;
      return "";
    }
    if (rest[0] != ':') return invalid;
  } else {
    const size_t colons = std::count(address.begin(), address.end(), ':');
    if (colons == 0) {
      *host = address;
      *port = default_port;
      return "";
    }
    if (colons > 1) {
      // A bare IPv6 address, as Kubernetes discovery gives for a pod without ports.
      if (!IsIpv6Literal(address)) return invalid;
      *host = address;
      *port = default_port;
      return "";
    }
  }
  if (!common::SplitHostPort(address, host, port) || *port == 0) return invalid;
  return "";
}

// The URL query: the job's params, each __param_<name> label replacing the first value of <name>
// or adding it; encoded like Go's url.Values.Encode (sorted by name, values in order).
std::string BuildQuery(const ScrapeConfig& config, const std::vector<common::Label>& labels) {
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [name, values] : config.params) {
    std::vector<std::string>& v = params[name];
    v.insert(v.end(), values.begin(), values.end());
  }
  for (const auto& l : labels) {
    if (!l.name.starts_with(kParamPrefix)) continue;
    std::vector<std::string>& v = params[l.name.substr(kParamPrefix.size())];
    if (v.empty()) {
      v.push_back(l.value);
    } else {
      v[0] = l.value;
    }
  }
  std::string query;
  for (const auto& [name, values] : params) {
    const std::string key = discovery::EscapeQueryValue(name);
    for (const std::string& value : values) {
      if (!query.empty()) query += '&';
      query += key + "=" + discovery::EscapeQueryValue(value);
    }
  }
  return query;
}

}  // namespace

std::string TargetUrl(const ScrapeTarget& target) {
  std::string url = target.scheme + "://" + target.address + target.metrics_path;
  if (!target.query.empty()) {
    url += (target.metrics_path.find('?') == std::string::npos ? "?" : "&") + target.query;
  }
  return url;
}

BuiltTargets BuildTargets(const ScrapeConfig& config, const relabel::Relabeler& relabeler,
                          const std::vector<StaticConfig>& groups) {
  BuiltTargets out;
  // What every target starts with unless its group sets it (Prometheus: "if not set already").
  std::vector<std::pair<std::string, std::string>> defaults = {
      {"job", config.job_name},
      {"__scheme__", config.scheme},
      {"__metrics_path__", config.metrics_path},
      {"__scrape_interval__", common::FormatDurationMs(config.scrape_interval_ms)},
      {"__scrape_timeout__", common::FormatDurationMs(config.scrape_timeout_ms)}};
  for (const auto& [name, values] : config.params) {
    if (!values.empty()) defaults.emplace_back(std::string(kParamPrefix) + name, values[0]);
  }
  for (const StaticConfig& group : groups) {
    common::LabelsBuilder group_builder;
    for (const auto& [k, v] : group.labels) group_builder.Set(k, v);
    const common::Labels group_labels = group_builder.Build();
    for (const std::string& addr : group.targets) {
      common::LabelsBuilder b(group_labels);
      b.Set("__address__", addr);
      for (const auto& [name, value] : defaults) {
        if (group_labels.Get(name).empty()) b.Set(name, value);
      }
      const common::Labels discovered = b.Build();
      std::vector<common::Label> labels = discovered.ToVector();
      if (!relabeler.Apply(&labels)) {
        ++out.dropped;
        continue;
      }
      ScrapeTarget t;
      t.address = std::string(Get(labels, "__address__"));
      t.scheme = std::string(Get(labels, "__scheme__"));
      t.metrics_path = std::string(Get(labels, "__metrics_path__"));
      if (t.address.empty()) {
        out.errors.push_back("target " + discovered.ToString() +
                             ": no __address__ label after relabeling");
        continue;
      }
      if (t.scheme != "http" && t.scheme != "https") {
        out.errors.push_back("target \"" + t.address + "\": scheme \"" + t.scheme +
                             "\" is not supported (http or https)");
        continue;
      }
      if (std::string e = SplitTargetAddress(t.address, t.scheme, &t.host, &t.port); !e.empty()) {
        out.errors.push_back("target " + e);
        continue;
      }
      if (t.metrics_path.empty() || t.metrics_path[0] != '/') t.metrics_path = "/" + t.metrics_path;
      t.query = BuildQuery(config, labels);
      if (Get(labels, "instance").empty()) labels.push_back({"instance", t.address});
      // Relabeling may write names that are not label names (labelmap over odd names): such a
      // target is left out, as Prometheus does. The "__" labels are dropped below, so they may
      // be anything (a param such as collect[] makes __param_collect[]).
      const auto invalid = std::find_if(labels.begin(), labels.end(), [](const auto& l) {
        return !l.name.starts_with("__") && !common::IsValidLabelName(l.name);
      });
      if (invalid != labels.end()) {
        out.errors.push_back("target \"" + t.address + "\": invalid label name \"" + invalid->name +
                             "\" after relabeling");
        continue;
      }
      labels.erase(std::remove_if(labels.begin(), labels.end(),
                                  [](const auto& l) { return l.name.starts_with("__"); }),
                   labels.end());
      t.target_labels = common::Labels::FromUnsorted(std::move(labels));
      t.discovered_labels = discovered;
      out.targets.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace strata::agent::scrape
