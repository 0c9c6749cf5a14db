#include "common/model/labels.h"

#include <algorithm>

namespace strata::common {

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  // Usually already canonical (decoded from storage, built in order): then nothing is moved.
  bool canonical = true;
  for (size_t i = 0; i < labels.size() && canonical; ++i) {
    canonical = !labels[i].value.empty() && (i == 0 || labels[i - 1].name < labels[i].name);
  }
  if (canonical) return Labels(std::move(labels));
  // Stable sort keeps input order among equal names so "later wins" can be applied below.
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  std::vector<Label> out;
  out.reserve(labels.size());
  for (Label& l : labels) {
    if (!out.empty() && out.back().name == l.name) {
      out.back().value = std::move(l.value);
    } else {
      out.push_back(std::move(l));
    }
  }
  std::erase_if(out, [](const Label& l) { return l.value.empty(); });
  return Labels(std::move(out));
}

Labels Labels::FromCanonicalViews(std::span<const LabelView> views) {
  std::vector<Label> out;
  out.reserve(views.size());
  for (const LabelView& v : views) out.push_back(Label{std::string(v.name), std::string(v.value)});
  return Labels(std::move(out));
}

const std::vector<Label>& Labels::Empty() {
  static const std::vector<Label> empty;
  return empty;
}

bool Labels::Equals(std::span<const LabelView> views) const {
  const std::vector<Label>& labels = items();
  if (views.size() != labels.size()) return false;
  for (size_t i = 0; i < views.size(); ++i) {
    if (labels[i].name != views[i].name || labels[i].value != views[i].value) return false;
  }
  return true;
}

bool IsCanonical(std::span<const LabelView> views) {
  for (size_t i = 0; i < views.size(); ++i) {
    if (views[i].value.empty()) return false;
    if (i > 0 && !(views[i - 1].name < views[i].name)) return false;
  }
  return true;
}

Labels::Labels(std::initializer_list<Label> labels)
    : Labels(FromUnsorted(std::vector<Label>(labels))) {}

std::string_view Labels::Get(std::string_view name) const {
  const std::vector<Label>& labels = items();
  auto it = std::lower_bound(labels.begin(), labels.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != labels.end() && it->name == name) return it->value;
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

std::string Labels::ToString() const {
  std::string out(MetricName());
  out.push_back('{');
  bool first = true;
  for (const Label& l : items()) {
    if (l.name == kMetricNameLabel) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append(l.name).append("=\"");
    for (char c : l.value) {
      if (c == '\\' || c == '"') {
        out.push_back('\\');
        out.push_back(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

LabelsBuilder::LabelsBuilder(const Labels& base) : labels_(base.items()) {}

LabelsBuilder& LabelsBuilder::Set(std::string_view name, std::string_view value) {
  for (Label& l : labels_) {
    if (l.name == name) {
      l.value = std::string(value);
      return *this;
    }
  }
  labels_.push_back(Label{std::string(name), std::string(value)});
  return *this;
}

LabelsBuilder& LabelsBuilder::Del(std::string_view name) {
  std::erase_if(labels_, [&](const Label& l) { return l.name == name; });
  return *this;
}

Labels LabelsBuilder::Build() const { return Labels::FromUnsorted(labels_); }

}  // namespace strata::common
