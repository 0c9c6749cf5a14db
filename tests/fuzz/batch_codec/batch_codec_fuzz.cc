// Fuzzes the collector's batch decoder. The first byte picks the mode:
//  - odd: the rest is a serialized v1::Batch taken as is (size caps, LZ4, checksum, framing);
//  - even: the rest is a BatchPayload, wrapped into a Batch with a correct LZ4 block and
//    checksum, so the fuzzer reaches protobuf parsing, ref resolution and label validation.
// Each input is decoded twice on one stream table, committing accepted definitions in between.
#include <lz4.h>
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/wire/batch_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata::common::wire;
  if (size == 0) return 0;
  strata::v1::Batch batch;
  const char* body = reinterpret_cast<const char*>(data + 1);
  const int body_size = static_cast<int>(size - 1);
  if (data[0] & 1) {
    if (!batch.ParseFromArray(body, body_size)) return 0;
  } else {
    std::string compressed(static_cast<size_t>(LZ4_compressBound(body_size)), '\0');
    int n = LZ4_compress_default(body, compressed.data(), body_size,
                                 static_cast<int>(compressed.size()));
    compressed.resize(static_cast<size_t>(n));
    batch.set_batch_id(1);
    batch.set_compression(strata::v1::COMPRESSION_LZ4_BLOCK);
    batch.set_uncompressed_size(static_cast<uint32_t>(body_size));
    batch.set_payload_xxh64(XXH64(body, static_cast<size_t>(body_size), 0));
    batch.set_payload(std::move(compressed));
  }
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
      for (const DecodedSeries& s : out.series) {
        if (!strata::common::IsCanonical(s.labels) ||
            strata::common::Labels::FromCanonicalViews(s.labels).MetricName().empty()) {
          __builtin_trap();
        }
      }
    } else if (err.reason == strata::v1::REJECT_REASON_UNSPECIFIED) {
      __builtin_trap();  // every rejection must carry a typed reason
    }
  }
  return 0;
}
