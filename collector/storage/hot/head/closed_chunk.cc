#include "collector/storage/hot/head/closed_chunk.h"

#include <cstring>
#include <string>
#include <vector>

#include "common/base/check.h"

namespace strata::collector::hot {
namespace {

struct Scratch {
  BlockChunkEncoder encoder;
  std::vector<int64_t> t;
  std::vector<double> v;
  std::string bytes;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace

ClosedChunk ClosedChunk::Encode(const XorChunkAppender& open) {
  Scratch& s = ThreadScratch();
  s.t.clear();
  s.v.clear();
  s.bytes.clear();
  XorChunkIterator it(open.bytes());
  while (it.Next()) {
    s.t.push_back(it.t());
    s.v.push_back(it.v());
  }
  // The head built this chunk itself: a decoding error is a bug, not bad input.
  STRATA_CHECK(!it.error() && !s.t.empty() && s.t.size() <= kBlockChunkMaxSamples)
      << "head chunk does not decode (" << s.t.size() << " samples)";
  s.encoder.EncodeTimestamps(s.t, &s.bytes);
  const size_t timestamps_bytes = s.bytes.size();
  s.encoder.EncodeValues(s.v, &s.bytes);
  const size_t values_bytes = s.bytes.size() - timestamps_bytes;

  ClosedChunk c;
  c.min_t_ = open.MinTime();
  c.max_t_ = open.MaxTime();
  c.num_samples_ = static_cast<uint16_t>(s.t.size());
  c.timestamps_bytes_ = static_cast<uint32_t>(timestamps_bytes);  // < 65535 * 20 bytes
  c.values_bytes_ = static_cast<uint32_t>(values_bytes);
  c.data_ = std::make_unique_for_overwrite<uint8_t[]>(s.bytes.size());
  std::memcpy(c.data_.get(), s.bytes.data(), s.bytes.size());
  return c;
}

}  // namespace strata::collector::hot
