#include "collector/query/promql/histogram_functions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/query/promql/eval_helpers.h"

namespace strata::collector::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Bucket {
  double upper_bound;
  double count;
};

// Go's strconv.ParseFloat for bucket bounds: decimal/exponent forms, Inf/NaN spellings.
bool ParseBound(std::string_view s, double& out) {
  if (s.empty()) return false;
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view body = lower;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") {
    out = negative ? -kInf : kInf;
    return true;
  }
  if (body == "nan") {
    out = kNaN;
    return true;
  }
  const char* begin = lower.data() + (lower[0] == '+' ? 1 : 0);
  const char* end = lower.data() + lower.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end;
}

// Go's almost.Equal as Prometheus uses it for bucket counts.
bool AlmostEqual(double a, double b, double epsilon) {
  constexpr double kMinNormal = 2.2250738585072014e-308;
  if (a == b) return true;
  const double abs_sum = std::fabs(a) + std::fabs(b);
  const double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

double BucketQuantile(double q, std::vector<Bucket>& buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (buckets.empty() || !std::isinf(buckets.back().upper_bound) ||
      buckets.back().upper_bound < 0) {
    return kNaN;
  }
  // Merge buckets with the same bound.
  std::vector<Bucket> merged;
  for (const Bucket& b : buckets) {
    if (!merged.empty() && merged.back().upper_bound == b.upper_bound) {
      merged.back().count += b.count;
    } else {
      merged.push_back(b);
    }
  }
  // Monotonicity: ignore float noise, and never let a count fall below the one before.
  double prev = merged[0].count;
  for (size_t i = 1; i < merged.size(); ++i) {
    const double cur = merged[i].count;
    if (cur == prev) continue;
    if (AlmostEqual(prev, cur, 1e-12) || cur < prev) {
      merged[i].count = prev;
      continue;
    }
    prev = cur;
  }
  if (merged.size() < 2) return kNaN;
  const double observations = merged.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t b = 0;
  while (b < merged.size() - 1 && !(merged[b].count >= rank)) ++b;
  if (b == merged.size() - 1) return merged[merged.size() - 2].upper_bound;
  if (b == 0 && merged[0].upper_bound <= 0) return merged[0].upper_bound;
  double bucket_start = 0;
  const double bucket_end = merged[b].upper_bound;
  double count = merged[b].count;
  if (b > 0) {
    bucket_start = merged[b - 1].upper_bound;
    count -= merged[b - 1].count;
    rank -= merged[b - 1].count;
  }
  return bucket_start + (bucket_end - bucket_start) * (rank / count);
}

}  // namespace

Vector HistogramQuantile(double phi, const Vector& input) {
  struct Group {
    common::Labels labels;
    std::vector<Bucket> buckets;
  };
  static const std::vector<std::string> kLe = {"le"};
  std::unordered_map<std::string, size_t> index;
  std::vector<Group> groups;
  for (const VectorElement& e : input) {
    double bound;
    if (!ParseBound(e.metric.Get("le"), bound)) continue;  // not a bucket: ignored
    auto [it, inserted] = index.try_emplace(GroupingKey(e.metric, kLe, false, true), groups.size());
    if (inserted) groups.push_back({GroupingLabels(e.metric, kLe, false, true), {}});
    groups[it->second].buckets.push_back({bound, e.v});
  }
  Vector out;
  out.reserve(groups.size());
  for (Group& g : groups) out.push_back({std::move(g.labels), BucketQuantile(phi, g.buckets), 0});
  return out;
}

}  // namespace strata::collector::promql
