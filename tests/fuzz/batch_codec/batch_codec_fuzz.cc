// Feeds arbitrary bytes to the collector's batch decoder as a serialized v1::Batch, twice on the
// same stream table, to exercise size caps, LZ4, checksums, ref resolution and label validation.
#include <cstddef>
#include <cstdint>

#include "common/wire/batch_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::common::wire;
  strata::v1::Batch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  DecodeLimits limits;
  limits.max_uncompressed_bytes = 1 << 20;
  limits.max_series_refs = 1000;
  SeriesRefTable table(limits);
  for (int round = 0; round < 2; ++round) {
    DecodedBatch out;
    DecodeError err;
    if (table.Decode(batch, &out, &err)) {
      table.Commit(out);
      if (table.size() > limits.max_series_refs) __builtin_trap();
    } else if (err.reason == strata::v1::REJECT_REASON_UNSPECIFIED) {
      __builtin_trap();  // every rejection must carry a typed reason
    }
  }
  return 0;
}
