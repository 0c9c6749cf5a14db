#include "common/wire/series_interner.h"

namespace strata::common::wire {

SeriesInterner::Entry SeriesInterner::Intern(const Labels& labels, uint64_t metric_id) {
  std::vector<Slot>& slots = by_id_[metric_id];
  for (const Slot& s : slots) {
    if (s.labels == labels) return Entry{s.ref, confirmed_by_ref_[s.ref]};
  }
  uint32_t ref = next_ref_++;
  slots.push_back(Slot{ref, false, labels});
  if (confirmed_by_ref_.size() <= ref) confirmed_by_ref_.resize(ref + 1, false);
  return Entry{ref, false};
}

void SeriesInterner::Confirm(const std::vector<uint32_t>& refs) {
  for (uint32_t ref : refs) {
    if (ref < confirmed_by_ref_.size()) confirmed_by_ref_[ref] = true;
  }
}

void SeriesInterner::Reset() {
  by_id_.clear();
  confirmed_by_ref_.clear();
  next_ref_ = 1;
}

}  // namespace strata::common::wire
