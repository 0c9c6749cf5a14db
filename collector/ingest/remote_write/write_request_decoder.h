#pragma once

// A zero-copy decoder of the Prometheus remote write 1.0 WriteRequest (protobuf wire format,
// proto/prometheus/remote_write.proto), for the hot ingest path: label names and values come out
// as string_views into the caller's buffer, samples into one flat array, so decoding a request
// does no per-series or per-sample allocation (the output vectors are reused across requests).
// libprotobuf's generated parser allocates every Label and copies every string, which cost more
// than the rest of the ingest path together (bench/ingest).
//
// What it accepts, following the protobuf encoding rules (protobuf.dev, "Encoding"):
// - Fields in any order, repeated singular fields (the last one wins), and unknown fields of wire
//   types VARINT, I64, LEN and I32 (skipped). A known field sent with an unexpected wire type is
//   treated as unknown, as libprotobuf does.
// - It rejects: truncated varints or fields, varints longer than 10 bytes, field number 0, the
//   deprecated group wire types (3, 4) and wire types 6-7, and LEN fields longer than what is left.
// - Exemplars and histograms of a series, and metadata entries, are counted, not decoded.
// The unit test checks it against libprotobuf on generated and mutated messages.
//
// Threads: a DecodedWriteRequest belongs to one thread; DecodeWriteRequest has no shared state.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/labels.h"
#include "common/model/sample.h"

namespace strata::collector::ingest {

// One TimeSeries: ranges into DecodedWriteRequest::labels and ::samples.
struct DecodedSeries {
  uint32_t labels_begin = 0;
  uint32_t labels_count = 0;
  uint32_t samples_begin = 0;
  uint32_t samples_count = 0;
  uint32_t exemplars = 0;
  uint32_t histograms = 0;
};

struct DecodedWriteRequest {
  std::vector<common::LabelView> labels;  // in wire order, per series
  std::vector<common::Sample> samples;
  std::vector<DecodedSeries> series;
  uint64_t metadata = 0;

  void Clear() {
    labels.clear();
    samples.clear();
    series.clear();
    metadata = 0;
  }
};

// Decodes `bytes` into `out` (cleared first). The views in `out` point into `bytes`, which must
// outlive them. Returns false with a short reason in *error on malformed input; `out` is then
// unspecified.
bool DecodeWriteRequest(std::string_view bytes, DecodedWriteRequest* out, std::string* error);

}  // namespace strata::collector::ingest
