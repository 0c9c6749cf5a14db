#include "common/selfmon/metrics.h"

#include <charconv>
#include <cmath>

#include "common/base/check.h"

namespace strata::common {
namespace {

void AppendLabels(std::string* out, const MetricLabels& labels) {
  if (labels.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(k).append("=\"");
    for (char c : v) {
      if (c == '\\' || c == '"') {
        out->push_back('\\');
        out->push_back(c);
      } else if (c == '\n') {
        out->append("\\n");
      } else {
        out->push_back(c);
      }
    }
    out->push_back('"');
  }
  out->push_back('}');
}

}  // namespace

std::string FormatPromFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

Registry::Family& Registry::GetFamily(const std::string& name, const std::string& help, Kind kind) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.kind = kind;
    it->second.help = help;
  }
  STRATA_CHECK(it->second.kind == kind) << "metric " << name << " registered with two types";
  return it->second;
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = GetFamily(name, help, Kind::kCounter);
  auto& slot = f.counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::GetGauge(const std::string& name, const std::string& help,
                          const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = GetFamily(name, help, Kind::kGauge);
  auto& slot = f.gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

void Registry::SetGaugeFunc(const std::string& name, const std::string& help,
                            const MetricLabels& labels, std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  GetFamily(name, help, Kind::kGauge).funcs[labels] = std::move(fn);
}

double Registry::ValueOf(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return -1;
  const Family& f = it->second;
  if (auto c = f.counters.find(labels); c != f.counters.end()) return c->second->Value();
  if (auto g = f.gauges.find(labels); g != f.gauges.end()) return g->second->Value();
  if (auto fn = f.funcs.find(labels); fn != f.funcs.end()) return fn->second();
  return -1;
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out.reserve(4096);
  for (const auto& entry : families_) {
    const std::string& name = entry.first;
    const Family& f = entry.second;
    out.append("# HELP ").append(name).push_back(' ');
    out.append(f.help).push_back('\n');
    out.append("# TYPE ").append(name).append(f.kind == Kind::kCounter ? " counter\n" : " gauge\n");
    auto line = [&](const MetricLabels& labels, double v) {
      out.append(name);
      AppendLabels(&out, labels);
      out.push_back(' ');
      out.append(FormatPromFloat(v)).push_back('\n');
    };
    for (const auto& [labels, c] : f.counters) line(labels, c->Value());
    for (const auto& [labels, g] : f.gauges) line(labels, g->Value());
    for (const auto& [labels, fn] : f.funcs) line(labels, fn());
  }
  return out;
}

}  // namespace strata::common
