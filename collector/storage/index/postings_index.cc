#include "collector/storage/index/postings_index.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/base/absl_view.h"

namespace strata::collector::index {
namespace {

// The running result of Select. It borrows an index bitmap until an operation needs a private
// one, so a selector answered by a single posting list copies that list once, at the end, and a
// chain of operations allocates one result instead of one per step.
class Candidates {
 public:
  explicit Candidates(const ::Roaring* borrowed) : borrowed_(borrowed) {}

  const ::Roaring& get() const { return borrowed_ != nullptr ? *borrowed_ : owned_; }
  bool empty() const { return get().isEmpty(); }

  void Intersect(const ::Roaring& other) {
    if (borrowed_ != nullptr) {
      owned_ = *borrowed_ & other;
      borrowed_ = nullptr;
    } else {
      owned_ &= other;
    }
  }

  void Subtract(const ::Roaring& other) {
    if (borrowed_ != nullptr) {
      owned_ = *borrowed_ - other;
      borrowed_ = nullptr;
    } else {
      owned_ -= other;
    }
  }

  ::Roaring Release() && {
    return borrowed_ != nullptr ? ::Roaring(*borrowed_) : std::move(owned_);
  }

 private:
  const ::Roaring* borrowed_;
  ::Roaring owned_;
};

// The ids selected by one matcher, or by the union of several values' postings: borrowed from
// the index when one posting list is the answer, owned when it is a union.
struct PostingSet {
  const ::Roaring* borrowed = nullptr;
  ::Roaring owned;
  uint64_t cardinality = 0;

  const ::Roaring& get() const { return borrowed != nullptr ? *borrowed : owned; }
};

// Evaluates a matcher on label values with exactly LabelMatcher's results, but without running
// the regex engine for the two regex shapes dashboards use most:
//   * an alternation of literals, "a|b|c" (what Grafana's multi-value variables expand to): the
//     values =~ accepts (and !~ rejects) are that finite set, so Select looks them up instead of
//     scanning the label's value list;
//   * a literal prefix, "node_disk_.*": a value without the prefix cannot match, so the regex
//     only runs on values that have it.
// Holds views into the matcher, which must outlive it.
class ValueMatcher {
 public:
  explicit ValueMatcher(const LabelMatcher& m) : m_(m) {
    if (m.op() != MatchOp::kRegexMatch && m.op() != MatchOp::kRegexNoMatch) return;
    const std::string_view re = m.value();
    if (std::none_of(re.begin(), re.end(), [](char c) { return c != '|' && IsMeta(c); })) {
      has_literals_ = true;
      for (size_t start = 0;;) {
        const size_t bar = re.find('|', start);
        literals_.push_back(re.substr(start, bar - start));
        if (bar == std::string_view::npos) break;
        start = bar + 1;
      }
      return;
    }
    if (re.find('|') != std::string_view::npos) return;  // a top-level '|' voids any prefix
    size_t n = 0;
    // Non-ASCII bytes end the prefix too: a quantifier after a multi-byte character applies to
    // all of its bytes, which byte-wise trimming below would not undo.
    while (n < re.size() && !IsMeta(re[n]) && static_cast<unsigned char>(re[n]) < 0x80) ++n;
    // A quantifier makes the character before it optional or repeatable.
    if (n > 0 && n < re.size() && std::string_view("?*+{").find(re[n]) != std::string_view::npos) {
      --n;
    }
    prefix_ = re.substr(0, n);
  }

  bool Matches(std::string_view value) const {
    const bool accept_when_regex_matches = m_.op() == MatchOp::kRegexMatch;
    if (has_literals_) {
      const bool in = std::find(literals_.begin(), literals_.end(), value) != literals_.end();
      return in == accept_when_regex_matches;
    }
    if (!value.starts_with(prefix_)) return !accept_when_regex_matches;
    return m_.Matches(value);
  }

  // For a regex that is an alternation of literals: those literals, i.e. the values =~ accepts
  // and !~ rejects. Null for any other matcher.
  const std::vector<std::string_view>* literals() const {
    return has_literals_ ? &literals_ : nullptr;
  }

 private:
  static bool IsMeta(char c) {
    return std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos;
  }

  const LabelMatcher& m_;
  bool has_literals_ = false;
  std::vector<std::string_view> literals_;
  std::string_view prefix_;  // empty when unknown or for non-regex matchers
};

// Appends to `out` the posting lists of the values of one label for which m.Matches(value) equals
// `want`: one matcher evaluation per distinct value, never one per series.
void CollectValues(const absl::flat_hash_map<std::string, ::Roaring>& values, const ValueMatcher& m,
                   bool want, std::vector<const ::Roaring*>& out) {
  for (const auto& [value, ids] : values) {
    if (m.Matches(value) == want) out.push_back(&ids);
  }
}

// Appends to `out` the posting lists of those of `literals` that are values of the label.
void LookUpValues(const absl::flat_hash_map<std::string, ::Roaring>& values,
                  const std::vector<std::string_view>& literals,
                  std::vector<const ::Roaring*>& out) {
  for (std::string_view literal : literals) {
    auto it = values.find(absl::string_view(literal.data(), literal.size()));
    if (it != values.end()) out.push_back(&it->second);
  }
}

// Below this many lists a union is folded pairwise: fastunion's lazy algorithm turns every
// container it touches into an 8 KiB bitset and back, which costs more than merging a few small
// sorted arrays (index_bench: {__name__="node_load1",instance=~"a|b|c"} 10.8 us -> ~1 us).
constexpr size_t kPairwiseUnionMaxLists = 4;

// Fills `set` from `lists`: nothing for none, a borrow for one, a union for more.
void UnionInto(std::vector<const ::Roaring*>& lists, PostingSet& set) {
  if (lists.size() == 1) {
    set.borrowed = lists.front();
  } else if (lists.size() <= kPairwiseUnionMaxLists && lists.size() > 1) {
    set.owned = *lists[0] | *lists[1];
    for (size_t i = 2; i < lists.size(); ++i) set.owned |= *lists[i];
  } else if (lists.size() > 1) {
    set.owned = ::Roaring::fastunion(lists.size(), lists.data());
  }
  set.cardinality = set.get().cardinality();
}

bool AnyIntersects(const absl::flat_hash_map<std::string, ::Roaring>& values,
                   const ::Roaring& restrict_to) {
  for (const auto& [value, ids] : values) {
    if (ids.intersect(restrict_to)) return true;
  }
  return false;
}

// Keeps the `limit` best (value descending, then name ascending) entries offered, in a heap
// whose front is the worst kept entry, so a pass over all label pairs holds only `limit` of
// them. Names are views into index keys: only valid while the caller holds the index lock.
class TopK {
 public:
  explicit TopK(size_t limit) : limit_(limit) { heap_.reserve(limit); }

  // `value_part` non-empty makes the entry's name "name=value_part".
  void Offer(std::string_view name, std::string_view value_part, uint64_t value) {
    if (limit_ == 0) return;
    Entry e{value, name, value_part};
    if (heap_.size() < limit_) {
      heap_.push_back(e);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (Better(e, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = e;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }

  std::vector<PostingsIndex::Stat> Take() && {
    std::sort_heap(heap_.begin(), heap_.end(), Better);  // best first
    std::vector<PostingsIndex::Stat> out;
    out.reserve(heap_.size());
    for (const Entry& e : heap_) {
      std::string name(e.name);
      if (!e.value_part.empty()) {
        name.push_back('=');
        name.append(e.value_part);
      }
      out.push_back({std::move(name), e.value});
    }
    return out;
  }

 private:
  struct Entry {
    uint64_t value;
    std::string_view name;
    std::string_view value_part;
  };
  static bool Better(const Entry& a, const Entry& b) {
    if (a.value != b.value) return a.value > b.value;
    return std::tie(a.name, a.value_part) < std::tie(b.name, b.value_part);
  }

  size_t limit_;
  std::vector<Entry> heap_;
};

}  // namespace

void PostingsIndex::Add(uint32_t id, const common::Labels& labels) {
  absl::MutexLock lock(&mu_);
  for (const auto& label : labels) {
    if (label.value.empty()) continue;
    // operator[] copies the strings only when the name or the pair is new.
    postings_[common::AbslView(label.name)][common::AbslView(label.value)].add(id);
  }
  all_.add(id);
}

void PostingsIndex::Remove(uint32_t id, const common::Labels& labels) {
  absl::MutexLock lock(&mu_);
  for (const auto& label : labels) {
    auto name_it = postings_.find(common::AbslView(label.name));
    if (name_it == postings_.end()) continue;
    ValuePostings& values = name_it->second;
    auto value_it = values.find(common::AbslView(label.value));
    if (value_it == values.end()) continue;
    value_it->second.remove(id);
    if (value_it->second.isEmpty()) values.erase(value_it);
    if (values.empty()) postings_.erase(name_it);
  }
  all_.remove(id);
}

::Roaring PostingsIndex::Select(const std::vector<LabelMatcher>& matchers) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<const ::Roaring*> lists;

  // Matchers that reject "" select only series carrying the label: each yields the union of the
  // posting lists of its matching values. A missing name or value settles the answer at once.
  std::vector<PostingSet> sets;
  sets.reserve(matchers.size());
  for (const LabelMatcher& m : matchers) {
    if (m.MatchesEmpty()) continue;
    auto name_it = postings_.find(m.name());
    if (name_it == postings_.end()) return {};
    const ValuePostings& values = name_it->second;
    PostingSet& set = sets.emplace_back();
    if (m.op() == MatchOp::kEqual) {
      auto value_it = values.find(m.value());
      if (value_it == values.end()) return {};
      set.borrowed = &value_it->second;
      set.cardinality = set.borrowed->cardinality();
    } else {
      lists.clear();
      const ValueMatcher vm(m);
      if (m.op() == MatchOp::kRegexMatch && vm.literals() != nullptr) {
        LookUpValues(values, *vm.literals(), lists);
      } else {
        CollectValues(values, vm, /*want=*/true, lists);
      }
      if (lists.empty()) return {};
      UnionInto(lists, set);
    }
  }

  // Smallest first: every later intersection then works on (and shrinks) the fewest ids.
  std::sort(sets.begin(), sets.end(),
            [](const PostingSet& a, const PostingSet& b) { return a.cardinality < b.cardinality; });
  Candidates candidates(sets.empty() ? &all_ : &sets.front().get());
  for (size_t i = 1; i < sets.size(); ++i) {
    candidates.Intersect(sets[i].get());
    if (candidates.empty()) return {};
  }
  // `candidates` may borrow from sets.front(); the owned bitmaps in `sets` must outlive it, and
  // do, since `sets` lives to the end of this function.

  // A matcher accepting "" also accepts every series lacking the label, so rather than adding
  // "all series without the label" it removes the series whose value it rejects. This keeps such
  // matchers from ever enumerating all series unless no other matcher narrowed the set.
  for (const LabelMatcher& m : matchers) {
    if (!m.MatchesEmpty()) continue;
    if (m.op() == MatchOp::kRegexMatch && m.value() == ".*") continue;  // accepts everything
    auto name_it = postings_.find(m.name());
    if (name_it == postings_.end()) continue;  // no series has the label: all are accepted
    const ValuePostings& values = name_it->second;
    if (m.op() == MatchOp::kNotEqual) {
      auto value_it = values.find(m.value());
      if (value_it == values.end()) continue;
      candidates.Subtract(value_it->second);
    } else {
      lists.clear();
      const ValueMatcher vm(m);
      if (m.op() == MatchOp::kRegexNoMatch && vm.literals() != nullptr) {
        LookUpValues(values, *vm.literals(), lists);
      } else {
        CollectValues(values, vm, /*want=*/false, lists);
      }
      if (lists.empty()) continue;
      PostingSet rejected;
      UnionInto(lists, rejected);
      candidates.Subtract(rejected.get());
    }
    if (candidates.empty()) return {};
  }
  return std::move(candidates).Release();
}

std::vector<std::string> PostingsIndex::LabelNames(const ::Roaring* restrict_to) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> names;
  if (restrict_to != nullptr && restrict_to->isEmpty()) return names;
  for (const auto& [name, values] : postings_) {
    if (restrict_to == nullptr || AnyIntersects(values, *restrict_to)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> PostingsIndex::LabelValues(std::string_view name,
                                                    const ::Roaring* restrict_to) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  // Debian's abseil has its own string_view type, which std::string_view does not convert to
  // implicitly; the explicit view still avoids building a std::string for the lookup.
  auto name_it = postings_.find(absl::string_view(name.data(), name.size()));
  if (name_it == postings_.end()) return out;
  if (restrict_to != nullptr && restrict_to->isEmpty()) return out;
  for (const auto& [value, ids] : name_it->second) {
    if (restrict_to == nullptr || ids.intersect(*restrict_to)) out.push_back(value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t PostingsIndex::NumSeries() const {
  absl::ReaderMutexLock lock(&mu_);
  return all_.cardinality();
}

PostingsIndex::Stats PostingsIndex::TopStats(size_t limit) const {
  absl::ReaderMutexLock lock(&mu_);
  TopK by_metric(limit), by_name(limit), by_pair(limit), memory(limit);
  for (const auto& [name, values] : postings_) {
    const bool is_metric_name = name == common::kMetricNameLabel;
    uint64_t bytes = name.size();
    for (const auto& [value, ids] : values) {
      const uint64_t series = ids.cardinality();
      by_pair.Offer(name, value, series);
      if (is_metric_name) by_metric.Offer(value, {}, series);
      // Roaring's own (serialized) size: close to its heap footprint, good enough for a
      // "which label costs the most" ranking.
      bytes += value.size() + ids.getSizeInBytes(/*portable=*/false);
    }
    by_name.Offer(name, {}, values.size());
    memory.Offer(name, {}, bytes);
  }
  Stats stats;
  stats.series_count_by_metric_name = std::move(by_metric).Take();
  stats.label_value_count_by_label_name = std::move(by_name).Take();
  stats.series_count_by_label_value_pair = std::move(by_pair).Take();
  stats.memory_in_bytes_by_label_name = std::move(memory).Take();
  return stats;
}

}  // namespace strata::collector::index
