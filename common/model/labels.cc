#include "common/model/labels.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

namespace strata::common {

template <typename Pairs>
Labels Labels::Pack(const Pairs& canonical) {
  Labels out;
  if (canonical.empty()) return out;
  size_t chars = 0;
  for (const auto& l : canonical) chars += l.name.size() + l.value.size();
  if (chars > UINT32_MAX || canonical.size() > UINT32_MAX / 2) {
    throw std::length_error("label set too large");  // far beyond any configured limit
  }
  const size_t count = canonical.size();
  void* block = ::operator new(sizeof(Rep) + sizeof(uint32_t) * 2 * count + chars);
  out.rep_ = new (block) Rep{{1}, static_cast<uint32_t>(count), {0}};
  auto* ends = reinterpret_cast<uint32_t*>(out.rep_ + 1);
  char* dst = reinterpret_cast<char*>(ends + 2 * count);
  uint32_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    const auto& l = canonical[i];
    std::memcpy(dst + at, l.name.data(), l.name.size());
    at += static_cast<uint32_t>(l.name.size());
    ends[2 * i] = at;
    std::memcpy(dst + at, l.value.data(), l.value.size());
    at += static_cast<uint32_t>(l.value.size());
    ends[2 * i + 1] = at;
  }
  return out;
}

void Labels::Free(Rep* rep) {
  rep->~Rep();
  ::operator delete(rep);
}

size_t Labels::BlockBytes() const {
  if (rep_ == nullptr) return 0;
  return sizeof(Rep) + sizeof(uint32_t) * 2 * rep_->count + Ends()[2 * rep_->count - 1];
}

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  // Usually already canonical (decoded from storage, built in order): then nothing is moved.
  bool canonical = true;
  for (size_t i = 0; i < labels.size() && canonical; ++i) {
    canonical = !labels[i].value.empty() && (i == 0 || labels[i - 1].name < labels[i].name);
  }
  if (canonical) return Pack(labels);
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
  return Pack(out);
}

Labels Labels::FromCanonicalViews(std::span<const LabelView> views) { return Pack(views); }

Labels Labels::FromUnsortedViews(std::span<LabelView> views) {
  const auto by_name = [](const LabelView& a, const LabelView& b) { return a.name < b.name; };
  if (views.size() <= 32) {
    // A stable insertion sort: label sets are short and usually sorted already (a block's
    // series, most expositions), where it only compares neighbours; std::stable_sort would
    // allocate a buffer on every call.
    for (size_t i = 1; i < views.size(); ++i) {
      if (!by_name(views[i], views[i - 1])) continue;
      const LabelView moving = views[i];
      size_t j = i;
      for (; j > 0 && by_name(moving, views[j - 1]); --j) views[j] = views[j - 1];
      views[j] = moving;
    }
  } else {
    std::stable_sort(views.begin(), views.end(), by_name);
  }
  size_t kept = 0;
  for (size_t i = 0; i < views.size(); ++i) {
    if (i + 1 < views.size() && views[i + 1].name == views[i].name) continue;  // later wins
    if (views[i].value.empty()) continue;
    views[kept++] = views[i];
  }
  return Pack(views.first(kept));
}

std::vector<Label> Labels::ToVector() const {
  std::vector<Label> out;
  out.reserve(size());
  for (const LabelView l : *this) out.push_back(Label{std::string(l.name), std::string(l.value)});
  return out;
}

bool Labels::operator==(const Labels& other) const {
  if (rep_ == other.rep_) return true;
  if (rep_ == nullptr || other.rep_ == nullptr || rep_->count != other.rep_->count) return false;
  // Canonical blocks: equal pairs are equal offsets and equal characters.
  const size_t n = 2 * rep_->count;
  return std::memcmp(Ends(), other.Ends(), n * sizeof(uint32_t)) == 0 &&
         std::memcmp(Chars(), other.Chars(), Ends()[n - 1]) == 0;
}

std::strong_ordering Labels::operator<=>(const Labels& other) const {
  const size_t n = std::min(size(), other.size());
  for (size_t i = 0; i < n; ++i) {
    const LabelView a = At(i), b = other.At(i);
    if (auto c = a.name <=> b.name; c != 0) return c;
    if (auto c = a.value <=> b.value; c != 0) return c;
  }
  return size() <=> other.size();
}

bool Labels::Equals(std::span<const LabelView> views) const {
  if (views.size() != size()) return false;
  for (size_t i = 0; i < views.size(); ++i) {
    if (At(i) != views[i]) return false;
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
  size_t lo = 0, hi = size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    const LabelView l = At(mid);
    if (l.name < name) {
      lo = mid + 1;
    } else if (l.name == name) {
      return l.value;
    } else {
      hi = mid;
    }
  }
  return {};
}

bool Labels::Has(std::string_view name) const { return !Get(name).empty(); }

std::string Labels::ToString() const {
  std::string out(MetricName());
  out.push_back('{');
  bool first = true;
  for (const LabelView l : *this) {
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

LabelsBuilder::LabelsBuilder(const Labels& base) : labels_(base.ToVector()) {}

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

Labels LabelsBuilder::Build() const {
  // Views of the builder's strings: the block copies the characters once.
  std::vector<LabelView> views;
  views.reserve(labels_.size());
  for (const Label& l : labels_) views.push_back(LabelView{l.name, l.value});
  return Labels::FromUnsortedViews(views);
}

}  // namespace strata::common
