#pragma once

// Agent-side half of the protocol's series interning (see proto/strata/v1/ingest.proto).
//
// Each stream has one SeriesInterner. Intern() hands out a small ref per distinct label set; the
// ref's definition must travel in every batch that uses it until a batch that carried it is
// acknowledged (Confirm). Reset() starts a new stream with an empty table. Not thread-safe: the
// exporter's stream thread owns it.

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/model/labels.h"

namespace strata::common::wire {

class SeriesInterner {
 public:
  struct Entry {
    uint32_t ref;
    bool confirmed;  // the collector has acknowledged a batch carrying the definition
  };

  // Returns the entry for `labels`, creating an unconfirmed one on first use.
  Entry Intern(const Labels& labels, uint64_t metric_id);
  // Marks refs as known to the collector (their defining batch was acknowledged).
  void Confirm(const std::vector<uint32_t>& refs);
  void Reset();
  size_t size() const { return next_ref_ - 1; }  // distinct label sets interned

 private:
  struct Slot {
    uint32_t ref;
    Labels labels;  // kept to resolve 64-bit hash collisions exactly; shared with the sample's
  };
  // One slot per id; the rare second label set with the same 64-bit id goes to collisions_.
  absl::flat_hash_map<uint64_t, Slot> by_id_;
  absl::flat_hash_map<uint64_t, std::vector<Slot>> collisions_;
  std::vector<bool> confirmed_by_ref_;
  uint32_t next_ref_ = 1;  // 0 is never used so a default-initialized ref is always invalid
};

}  // namespace strata::common::wire
