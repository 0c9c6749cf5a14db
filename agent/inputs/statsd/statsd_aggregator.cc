#include "agent/inputs/statsd/statsd_aggregator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "common/model/float_text.h"
#include "common/model/names.h"

namespace strata::agent::statsd {
namespace {

constexpr char kSamplesName[] = "strata_agent_statsd_samples_total";
constexpr char kRejectedName[] = "strata_agent_statsd_rejected_lines_total";
constexpr char kRejectedHelp[] = "StatsD lines rejected and skipped, by reason.";
constexpr char kTagsDroppedName[] = "strata_agent_statsd_tags_dropped_total";
constexpr char kTagsDroppedHelp[] = "StatsD tags dropped from otherwise accepted lines, by reason.";

bool IsSummary(MetricType t) {
  return t == MetricType::kTimer || t == MetricType::kHistogram || t == MetricType::kDistribution;
}

}  // namespace

StatsdAggregator::Kind StatsdAggregator::KindOf(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return Kind::kCounter;
    case MetricType::kGauge:
      return Kind::kGauge;
    case MetricType::kSet:
      return Kind::kSet;
    default:
      return Kind::kSummary;
  }
}

namespace {

// Appends `name` normalized as a label name (common::NormalizeLabelName, without allocating).
void NormalizeLabelInto(std::string_view name, std::string* out) {
  out->clear();
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out->push_back('_');
  for (char c : name) out->push_back(ok(c) ? c : '_');
}

}  // namespace

std::string SanitizeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') out.push_back('_');
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':';
    out.push_back(ok ? c : '_');
  }
  return out;
}

StatsdAggregator::StatsdAggregator(const StatsdOptions& options, std::string instance,
                                   common::Registry& registry)
    : options_(options),
      instance_(std::move(instance)),
      series_gauge_(registry.GetGauge("strata_agent_statsd_series",
                                      "StatsD series held by the aggregator.")) {
  for (size_t i = 0; i < kNumMetricTypes; ++i) {
    samples_[i] =
        &registry.GetCounter(kSamplesName, "StatsD values accepted, by metric type.",
                             {{"type", std::string(MetricTypeName(static_cast<MetricType>(i)))}});
  }
  for (size_t i = 1; i < kNumParseErrors; ++i) {  // every ParseError but kOk
    parse_errors_[i] =
        &registry.GetCounter(kRejectedName, kRejectedHelp,
                             {{"reason", std::string(ParseErrorName(static_cast<ParseError>(i)))}});
  }
  negative_counter_ =
      &registry.GetCounter(kRejectedName, kRejectedHelp, {{"reason", "negative_counter"}});
  series_limit_ = &registry.GetCounter(kRejectedName, kRejectedHelp, {{"reason", "series_limit"}});
  too_many_tags_ =
      &registry.GetCounter(kRejectedName, kRejectedHelp, {{"reason", "too_many_tags"}});
  type_conflict_ =
      &registry.GetCounter(kRejectedName, kRejectedHelp, {{"reason", "type_conflict"}});
  tags_no_value_ =
      &registry.GetCounter(kTagsDroppedName, kTagsDroppedHelp, {{"reason", "no_value"}});
  tags_reserved_ =
      &registry.GetCounter(kTagsDroppedName, kTagsDroppedHelp, {{"reason", "reserved"}});
  expired_ = &registry.GetCounter("strata_agent_statsd_series_expired_total",
                                  "StatsD series dropped after series_ttl without updates.");
}

void StatsdAggregator::ApplyPacket(std::string_view packet, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  ForEachLine(packet, [&](std::string_view line) { Apply(line, now_ms); });
}

bool StatsdAggregator::ApplyLine(std::string_view line, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return Apply(line, now_ms);
}

size_t StatsdAggregator::SeriesCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return series_.size();
}

bool StatsdAggregator::Rejected(Reject reason) {
  switch (reason) {
    case Reject::kNegativeCounter:
      negative_counter_->Inc();
      break;
    case Reject::kSeriesLimit:
      series_limit_->Inc();
      break;
    case Reject::kTooManyTags:
      too_many_tags_->Inc();
      break;
    case Reject::kTypeConflict:
      type_conflict_->Inc();
      break;
  }
  return false;
}

bool StatsdAggregator::Apply(std::string_view text, int64_t now_ms) {
  StatsdLine line;
  ParseError err = ParseLine(text, &line);
  if (err != ParseError::kOk) {
    parse_errors_[static_cast<size_t>(err)]->Inc();
    return false;
  }
  if (line.type == MetricType::kCounter) {
    // Every value was checked by the parser; a decrement anywhere rejects the line.
    std::string_view values = line.values;
    while (true) {
      size_t sep = values.find(':');
      double v = 0;
      bool delta = false;
      ParseValue(values.substr(0, sep), &v, &delta);
      if (v < 0) return Rejected(Reject::kNegativeCounter);
      if (sep == std::string_view::npos) break;
      values.remove_prefix(sep + 1);
    }
  }
  if (!BuildKey(line)) return Rejected(Reject::kTooManyTags);

  auto it = series_.find(key_);
  if (it == series_.end()) {
    if (series_.size() >= static_cast<size_t>(options_.max_series)) {
      return Rejected(Reject::kSeriesLimit);
    }
    // A gauge and a set of the same name and tags would both be `<name>{...}`.
    const Kind kind = KindOf(line.type);
    if (kind == Kind::kGauge || kind == Kind::kSet) {
      key_[0] = static_cast<char>(
          '0' + static_cast<int>(kind == Kind::kGauge ? Kind::kSet : Kind::kGauge));
      const bool taken = series_.contains(key_);
      key_[0] = static_cast<char>('0' + static_cast<int>(kind));
      if (taken) return Rejected(Reject::kTypeConflict);
    }
    it = series_.emplace(key_, NewSeries(kind)).first;
    series_gauge_.Set(static_cast<double>(series_.size()));
  }
  it->second.last_update_ms = now_ms;
  Update(it->second, line);
  return true;
}

bool StatsdAggregator::BuildKey(const StatsdLine& line) {
  name_ = SanitizeMetricName(line.name);
  tags_used_ = 0;
  const bool summary = IsSummary(line.type);
  size_t seen = ForEachTag(line, [&](std::string_view name, std::string_view value) {
    if (tags_used_ >= static_cast<size_t>(options_.max_tags)) return;
    if (value.empty()) {
      tags_no_value_->Inc();
      return;
    }
    if (tags_used_ == tags_.size()) tags_.emplace_back();
    Tag& tag = tags_[tags_used_];
    NormalizeLabelInto(name, &tag.name);
    if (tag.name.starts_with("__") || (summary && tag.name == "quantile")) {
      tags_reserved_->Inc();
      return;
    }
    tag.value = value;
    ++tags_used_;
  });
  if (seen > static_cast<size_t>(options_.max_tags)) return false;

  // Sorted by name; of duplicate names the later one wins (stable sort, keep the last).
  auto begin = tags_.begin();
  auto end = begin + static_cast<ptrdiff_t>(tags_used_);
  std::stable_sort(begin, end, [](const Tag& a, const Tag& b) { return a.name < b.name; });
  key_.clear();
  key_.push_back(static_cast<char>('0' + static_cast<int>(KindOf(line.type))));
  key_.append(name_).push_back('\0');
  for (auto t = begin; t != end; ++t) {
    if (t + 1 != end && (t + 1)->name == t->name) continue;
    key_.append(t->name).push_back('\0');
    key_.append(t->value).push_back('\0');
  }
  return true;
}

StatsdAggregator::Series StatsdAggregator::NewSeries(Kind kind) const {
  Series s;
  s.kind = kind;
  std::vector<common::Label> labels;
  labels.push_back({"job", options_.job});
  labels.push_back({"instance", instance_});
  auto end = tags_.begin() + static_cast<ptrdiff_t>(tags_used_);
  for (auto t = tags_.begin(); t != end; ++t) {
    if (t + 1 != end && (t + 1)->name == t->name) continue;
    labels.push_back({t->name, std::string(t->value)});  // FromUnsorted: the later pair wins
  }
  auto with_name = [&](std::string name) {
    std::vector<common::Label> l = labels;
    l.push_back({std::string(common::kMetricNameLabel), std::move(name)});
    return l;
  };
  switch (kind) {
    case Kind::kCounter:
      s.outputs.push_back(common::Labels::FromUnsorted(
          with_name(name_.ends_with("_total") ? name_ : name_ + "_total")));
      break;
    case Kind::kGauge:
      s.outputs.push_back(common::Labels::FromUnsorted(with_name(name_)));
      break;
    case Kind::kSet:
      s.outputs.push_back(common::Labels::FromUnsorted(with_name(name_)));
      s.set =
          std::make_unique<common::sketch::HyperLogLog>(static_cast<int>(options_.hll_precision));
      break;
    case Kind::kSummary:
      for (double q : options_.quantiles) {
        std::vector<common::Label> l = with_name(name_);
        l.push_back({"quantile", common::FormatFloatPlain(q)});
        s.outputs.push_back(common::Labels::FromUnsorted(std::move(l)));
      }
      s.outputs.push_back(common::Labels::FromUnsorted(with_name(name_ + "_sum")));
      s.outputs.push_back(common::Labels::FromUnsorted(with_name(name_ + "_count")));
      s.digest = std::make_unique<common::sketch::TDigest>(options_.tdigest_compression);
      break;
  }
  return s;
}

void StatsdAggregator::Update(Series& s, const StatsdLine& line) {
  common::Counter& accepted = *samples_[static_cast<size_t>(line.type)];
  if (s.kind == Kind::kSet) {
    s.set->Add(line.values);
    accepted.Inc();
    return;
  }
  const double weight = 1 / line.sample_rate;
  const double scale = line.type == MetricType::kTimer ? 1e-3 : 1;
  std::string_view values = line.values;
  while (true) {
    size_t sep = values.find(':');
    double v = 0;
    bool delta = false;
    ParseValue(values.substr(0, sep), &v, &delta);  // checked by ParseLine
    switch (s.kind) {
      case Kind::kCounter:
        s.value += v * weight;
        break;
      case Kind::kGauge:
        s.value = delta ? s.value + v : v;
        break;
      default:
        v *= scale;
        s.digest->Add(v, weight);
        s.sum += v * weight;
        s.count += weight;
        break;
    }
    accepted.Inc();
    if (sep == std::string_view::npos) break;
    values.remove_prefix(sep + 1);
  }
}

void StatsdAggregator::Emit(Series& s, int64_t now_ms, common::SampleBatch& out) const {
  auto push = [&](const common::Labels& labels, double v) { out.push_back({labels, {now_ms, v}}); };
  switch (s.kind) {
    case Kind::kCounter:
    case Kind::kGauge:
      push(s.outputs[0], s.value);
      break;
    case Kind::kSet:
      push(s.outputs[0], std::round(s.set->Estimate()));
      s.set->Clear();
      break;
    default: {
      const size_t nq = options_.quantiles.size();
      for (size_t i = 0; i < nq; ++i) {
        push(s.outputs[i], s.digest->Empty() ? std::numeric_limits<double>::quiet_NaN()
                                             : s.digest->Quantile(options_.quantiles[i]));
      }
      push(s.outputs[nq], s.sum);
      push(s.outputs[nq + 1], s.count);
      s.digest->Clear();
      break;
    }
  }
}

common::SampleBatch StatsdAggregator::Flush(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  common::SampleBatch out;
  out.reserve(series_.size());
  std::vector<std::string> expired;
  for (auto& [key, s] : series_) {
    if (options_.series_ttl_ms > 0 && now_ms - s.last_update_ms >= options_.series_ttl_ms) {
      expired.push_back(key);
      continue;
    }
    Emit(s, now_ms, out);
  }
  for (const std::string& key : expired) {
    auto it = series_.find(key);
    for (const common::Labels& labels : it->second.outputs) {
      out.push_back({labels, {now_ms, common::StaleNaN()}});
    }
    series_.erase(it);
    expired_->Inc();
  }
  series_gauge_.Set(static_cast<double>(series_.size()));
  return out;
}

}  // namespace strata::agent::statsd
