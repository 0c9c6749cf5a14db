#include "common/wire/series_interner.h"

namespace strata::common::wire {

SeriesInterner::Entry SeriesInterner::Intern(const Labels& labels, uint64_t metric_id) {
  auto [it, inserted] = by_id_.try_emplace(metric_id, Slot{next_ref_, labels});
  if (!inserted) {
    const Slot& s = it->second;
    if (s.labels.SameAs(labels) || s.labels == labels)
      return Entry{s.ref, confirmed_by_ref_[s.ref]};
    std::vector<Slot>& more = collisions_[metric_id];
    for (const Slot& m : more) {
      if (m.labels == labels) return Entry{m.ref, confirmed_by_ref_[m.ref]};
    }
    more.push_back(Slot{next_ref_, labels});
  }
  uint32_t ref = next_ref_++;
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
  collisions_.clear();
  confirmed_by_ref_.clear();
  next_ref_ = 1;
}

}  // namespace strata::common::wire
