#pragma once

// A label set: name/value pairs kept sorted by name with unique names. The metric name travels as
// the label `__name__`, as in Prometheus. Labels is a value type; building one sorts once.
//
// The pairs are immutable and shared: copying a Labels takes a reference, not the strings, so
// the agent's pipeline (scrape cache, queue, export interner, in-flight batches) holds one copy
// of each series' labels however many places refer to it. Safe to copy and read from any thread.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::common {

inline constexpr std::string_view kMetricNameLabel = "__name__";

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

// A label borrowed from someone else's buffer (e.g. a decoded request): no copy, no ownership.
struct LabelView {
  std::string_view name;
  std::string_view value;
  bool operator==(const LabelView&) const = default;
};

class Labels {
 public:
  Labels() = default;

  // Sorts by name. When a name appears twice the later pair wins. Empty values are dropped
  // (in Prometheus an empty label value is the same as no label).
  static Labels FromUnsorted(std::vector<Label> labels);
  // Copies views that are already canonical: sorted by name, names unique, no empty value
  // (what IsCanonical() checks). The caller guarantees it; it is not re-checked.
  static Labels FromCanonicalViews(std::span<const LabelView> views);
  // Convenience for tests and literals: {{"__name__","up"},{"job","x"}}.
  Labels(std::initializer_list<Label> labels);

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  const std::vector<Label>& items() const { return rep_ ? *rep_ : Empty(); }
  size_t size() const { return items().size(); }
  bool empty() const { return !rep_; }
  auto begin() const { return items().begin(); }
  auto end() const { return items().end(); }
  // True when both share one set of pairs (a copy of the other): equal without comparing.
  bool SameAs(const Labels& other) const { return rep_ == other.rep_; }

  // Prometheus notation: `name{a="b",c="d"}` with values escaped.
  std::string ToString() const;

  bool operator==(const Labels& other) const {
    return rep_ == other.rep_ || items() == other.items();
  }
  auto operator<=>(const Labels& other) const { return items() <=> other.items(); }
  // Same pairs as the canonical views, without building a Labels.
  bool Equals(std::span<const LabelView> views) const;

 private:
  // `sorted` is canonical; an empty set keeps no allocation.
  explicit Labels(std::vector<Label> sorted)
      : rep_(sorted.empty() ? nullptr
                            : std::make_shared<const std::vector<Label>>(std::move(sorted))) {}
  static const std::vector<Label>& Empty();
  std::shared_ptr<const std::vector<Label>> rep_;  // null when empty
};

// True when `views` are sorted by name with unique names and no empty value: the form Labels
// keeps, and the form the view-based MetricId and Labels::Equals expect.
bool IsCanonical(std::span<const LabelView> views);

// Builds a Labels from a base set with additions/removals, e.g. adding job/instance to a scraped
// series. Set() with an empty value deletes the label.
class LabelsBuilder {
 public:
  LabelsBuilder() = default;
  explicit LabelsBuilder(const Labels& base);
  LabelsBuilder& Set(std::string_view name, std::string_view value);
  LabelsBuilder& Del(std::string_view name);
  Labels Build() const;

 private:
  std::vector<Label> labels_;
};

}  // namespace strata::common
