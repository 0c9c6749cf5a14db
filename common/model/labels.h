#pragma once

// A label set: name/value pairs kept sorted by name with unique names. The metric name travels as
// the label `__name__`, as in Prometheus. Labels is a value type; building one sorts once.
//
// The pairs are immutable, packed and shared. One heap block holds a reference count, the label
// count, its MetricId once asked, the end offset of every name and value, then their characters
// back to back: about 160 bytes for a node_exporter series, where a vector of std::string pairs
// took about 450 and a heap block per long string. Copying a Labels takes a reference (an atomic
// increment), so the agent's pipeline (scrape cache, queue, export interner, in-flight batches)
// holds one block per series however many places refer to it. Iteration and operator[] give
// LabelViews into the block, valid while a Labels referring to it lives. Safe to copy and read from
// any thread.

#include <atomic>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::common {

inline constexpr std::string_view kMetricNameLabel = "__name__";

// A label to build with: owns its strings.
struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

// A label borrowed from someone else's buffer (a Labels, a decoded request): no copy, no
// ownership.
struct LabelView {
  std::string_view name;
  std::string_view value;
  bool operator==(const LabelView&) const = default;
  auto operator<=>(const LabelView&) const = default;
};

class Labels {
 public:
  // Random access over the pairs, yielding LabelViews by value.
  class Iterator {
   public:
    using iterator_concept = std::random_access_iterator_tag;
    using iterator_category = std::random_access_iterator_tag;
    using value_type = LabelView;
    using difference_type = std::ptrdiff_t;
    using reference = LabelView;
    using pointer = void;

    Iterator() = default;
    LabelView operator*() const { return labels_->At(i_); }
    LabelView operator[](difference_type n) const { return *(*this + n); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator t = *this;
      ++i_;
      return t;
    }
    Iterator& operator--() {
      --i_;
      return *this;
    }
    Iterator operator--(int) {
      Iterator t = *this;
      --i_;
      return t;
    }
    Iterator& operator+=(difference_type n) {
      i_ = static_cast<size_t>(static_cast<difference_type>(i_) + n);
      return *this;
    }
    Iterator& operator-=(difference_type n) { return *this += -n; }
    friend Iterator operator+(Iterator it, difference_type n) { return it += n; }
    friend Iterator operator+(difference_type n, Iterator it) { return it += n; }
    friend Iterator operator-(Iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const Iterator& a, const Iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.i_ == b.i_; }
    friend auto operator<=>(const Iterator& a, const Iterator& b) { return a.i_ <=> b.i_; }

   private:
    friend class Labels;
    Iterator(const Labels* labels, size_t i) : labels_(labels), i_(i) {}
    const Labels* labels_ = nullptr;
    size_t i_ = 0;
  };

  Labels() = default;
  Labels(const Labels& other) noexcept : rep_(other.rep_) { Ref(); }
  Labels(Labels&& other) noexcept : rep_(other.rep_) { other.rep_ = nullptr; }
  Labels& operator=(const Labels& other) noexcept {
    if (rep_ != other.rep_) {
      Unref();
      rep_ = other.rep_;
      Ref();
    }
    return *this;
  }
  Labels& operator=(Labels&& other) noexcept {
    if (this != &other) {
      Unref();
      rep_ = other.rep_;
      other.rep_ = nullptr;
    }
    return *this;
  }
  ~Labels() { Unref(); }

  // Sorts by name. When a name appears twice the later pair wins. Empty values are dropped
  // (in Prometheus an empty label value is the same as no label).
  static Labels FromUnsorted(std::vector<Label> labels);
  // Copies views that are already canonical: sorted by name, names unique, no empty value
  // (what IsCanonical() checks). The caller guarantees it; it is not re-checked.
  static Labels FromCanonicalViews(std::span<const LabelView> views);
  // As FromUnsorted, from views of someone else's strings (copied into the block): no string is
  // built on the way. Reorders `views`.
  static Labels FromUnsortedViews(std::span<LabelView> views);
  // Convenience for tests and literals: {{"__name__","up"},{"job","x"}}.
  Labels(std::initializer_list<Label> labels);

  // The value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  std::string_view MetricName() const { return Get(kMetricNameLabel); }

  size_t size() const { return rep_ != nullptr ? rep_->count : 0; }
  bool empty() const { return rep_ == nullptr; }
  // The i-th pair in name order (i < size()).
  LabelView operator[](size_t i) const { return At(i); }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }
  // The pairs as owned strings, e.g. to edit them.
  std::vector<Label> ToVector() const;
  // True when both share one block (a copy of the other): equal without comparing.
  bool SameAs(const Labels& other) const { return rep_ == other.rep_; }
  // Bytes of the heap block (shared by every copy); 0 when empty.
  size_t BlockBytes() const;

  // Prometheus notation: `name{a="b",c="d"}` with values escaped.
  std::string ToString() const;

  bool operator==(const Labels& other) const;
  // By pairs in name order, as a vector of (name, value) pairs would compare.
  std::strong_ordering operator<=>(const Labels& other) const;
  // Same pairs as the canonical views, without building a Labels.
  bool Equals(std::span<const LabelView> views) const;

 private:
  // The block: this header (16 bytes), then uint32_t ends[2 * count] (in the characters, the end
  // offset of name i at [2i] and of value i at [2i + 1]), then the characters.
  struct Rep {
    std::atomic<uint32_t> refs;
    uint32_t count;
    // MetricId of the pairs once computed, else 0: every holder of a series (the scrape loop's
    // staleness set, the exporter's interner) asks for it per sample.
    mutable std::atomic<uint64_t> metric_id;
  };
  friend uint64_t MetricId(const Labels& labels);
  template <typename Pairs>
  static Labels Pack(const Pairs& canonical);
  const uint32_t* Ends() const { return reinterpret_cast<const uint32_t*>(rep_ + 1); }
  const char* Chars() const { return reinterpret_cast<const char*>(Ends() + 2 * rep_->count); }
  LabelView At(size_t i) const {
    const uint32_t* ends = Ends();
    const char* chars = Chars();
    const uint32_t name_start = i == 0 ? 0 : ends[2 * i - 1];
    return LabelView{std::string_view(chars + name_start, ends[2 * i] - name_start),
                     std::string_view(chars + ends[2 * i], ends[2 * i + 1] - ends[2 * i])};
  }
  void Ref() const {
    if (rep_ != nullptr) rep_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void Unref() {
    if (rep_ != nullptr && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) Free(rep_);
    rep_ = nullptr;
  }
  static void Free(Rep* rep);
  Rep* rep_ = nullptr;  // null when empty
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
