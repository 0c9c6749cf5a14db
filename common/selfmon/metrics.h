#pragma once

// Metrics about ourselves, rendered in the Prometheus text format on /metrics.
//
// A Registry owns counters and gauges keyed by (name, labels). Get*() takes a lock and returns a
// reference that stays valid for the registry's lifetime, so hot paths look a metric up once and
// then only touch an atomic. Names follow `strata_<component>_<thing>_<unit>`, counters end in
// `_total`. Gauge functions (SetGaugeFunc) are evaluated at render time, for values another
// component already owns (queue depth, series count).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace strata::common {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(double delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Registry {
 public:
  Counter& GetCounter(const std::string& name, const std::string& help,
                      const MetricLabels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help,
                  const MetricLabels& labels = {});
  // Registers a gauge whose value is computed by `fn` at render time. `fn` must stay callable
  // until the registry is destroyed or the same (name, labels) is registered again.
  void SetGaugeFunc(const std::string& name, const std::string& help, const MetricLabels& labels,
                    std::function<double()> fn);

  // Current value of a counter or gauge, or -1 when it does not exist (tests, health checks).
  double ValueOf(const std::string& name, const MetricLabels& labels = {}) const;

  // Prometheus text exposition format 0.0.4, families sorted by name.
  std::string Render() const;

 private:
  enum class Kind { kCounter, kGauge };
  struct Family {
    Kind kind;
    std::string help;
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::function<double()>> funcs;
  };
  Family& GetFamily(const std::string& name, const std::string& help, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_
};

// Formats a float the way Prometheus does: NaN, +Inf, -Inf, otherwise shortest round-trip form.
std::string FormatPromFloat(double v);

}  // namespace strata::common
