#include "common/model/packed_labels.h"

#include <cstring>
#include <vector>

#include "common/base/varint.h"

namespace strata::common {
namespace {

uint8_t* PutString(std::string_view s, uint8_t* p) {
  p = PutVarint(s.size(), p);
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

}  // namespace

template <typename Range>
void PackedLabels::Pack(const Range& labels, size_t count) {
  size_t payload = VarintSize(count);
  for (const auto& l : labels) {
    payload +=
        VarintSize(l.name.size()) + l.name.size() + VarintSize(l.value.size()) + l.value.size();
  }
  data_ = std::make_unique_for_overwrite<uint8_t[]>(VarintSize(payload) + payload);
  uint8_t* p = PutVarint(payload, data_.get());
  p = PutVarint(count, p);
  for (const auto& l : labels) {
    p = PutString(l.name, p);
    p = PutString(l.value, p);
  }
}

PackedLabels::PackedLabels(const Labels& labels) { Pack(labels, labels.size()); }

PackedLabels::PackedLabels(std::span<const LabelView> canonical) {
  Pack(canonical, canonical.size());
}

Labels PackedLabels::ToLabels() const {
  std::vector<LabelView> views;
  views.reserve(size());
  ForEach([&](std::string_view n, std::string_view v) { views.push_back({n, v}); });
  return Labels::FromCanonicalViews(views);
}

template <typename Range>
bool PackedLabels::EqualsRange(const Range& labels, size_t count) const {
  if (!data_) return count == 0;
  Reader r(data_.get());
  if (r.Varint() != count) return false;
  for (const auto& l : labels) {
    if (r.String() != l.name || r.String() != l.value) return false;
  }
  return true;
}

bool PackedLabels::Equals(const Labels& labels) const { return EqualsRange(labels, labels.size()); }

bool PackedLabels::Equals(std::span<const LabelView> canonical) const {
  return EqualsRange(canonical, canonical.size());
}

std::string_view PackedLabels::MetricName() const {
  std::string_view out;
  ForEach([&](std::string_view n, std::string_view v) {
    if (n == common::kMetricNameLabel) out = v;
  });
  return out;
}

size_t PackedLabels::size() const {
  if (!data_) return 0;
  Reader r(data_.get());
  return static_cast<size_t>(r.Varint());
}

size_t PackedLabels::PackedBytes() const {
  if (!data_) return 0;
  const uint8_t* p = data_.get();
  uint64_t payload = 0;
  size_t header = 0;
  for (int shift = 0;; shift += 7) {
    const uint8_t b = p[header++];
    payload |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) break;
  }
  return header + static_cast<size_t>(payload);
}

}  // namespace strata::common
