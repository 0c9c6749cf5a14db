// Fuzzes RemoteWriteHandler::Handle end to end into a real MemoryStore. The first byte picks the
// mode: even = the rest is the request body as sent (exercises snappy framing and the size caps);
// odd = the rest is an uncompressed WriteRequest that the harness compresses, so mutations reach
// protobuf parsing and series validation instead of dying in snappy.
//
// Checked on every input: the handler never crashes; the status is one it documents; a refused
// request carries a message and stores nothing (no partial writes, the store is fresh per input
// and never fails); an accepted request stores only valid, sorted label sets.

#include <snappy.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "collector/ingest/remote_write/remote_write_handler.h"
#include "collector/storage/label_matcher.h"
#include "collector/storage/memory/memory_store.h"
#include "common/model/names.h"

namespace {

using strata::collector::ingest::RemoteWriteHandler;
using strata::collector::ingest::RemoteWriteOptions;
using strata::collector::ingest::RemoteWriteResult;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1 << 16)) return 0;
  static strata::common::Registry registry;
  // Small caps keep each run fast and make the 413 paths reachable.
  const RemoteWriteOptions options{.max_body_bytes = 1 << 15, .max_uncompressed_bytes = 1 << 18};
  strata::collector::MemoryStore store;
  RemoteWriteHandler handler(options, store, registry);

  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string body;
  if (data[0] % 2 == 0) {
    body.assign(rest);
  } else {
    snappy::Compress(rest.data(), rest.size(), &body);
  }
  const RemoteWriteResult r = handler.Handle(body, "snappy", "application/x-protobuf");

  const int s = r.http_status;
  Check(s == 204 || s == 400 || s == 413 || s == 415 || s == 500 || s == 503);
  Check(s != 415);              // headers are fixed and valid here
  Check(s != 500 && s != 503);  // MemoryStore never fails
  if (s != 204) {
    Check(!r.error_message.empty());
    Check(r.error_message.size() < 1024);
    Check(store.NumSamples() == 0);
    return 0;
  }
  Check(r.stored.accepted + r.stored.duplicates + r.stored.out_of_bounds +
            r.stored.series_limited ==
        r.samples);
  Check(store.NumSamples() == r.stored.accepted);

  auto any = strata::collector::LabelMatcher::Create(strata::collector::MatchOp::kRegexMatch,
                                                     "__name__", ".+");
  Check(any.ok());
  auto all = store.Select({*any}, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max());
  Check(all.ok());
  for (const auto& series : *all) {
    Check(strata::common::IsValidMetricName(series.labels.MetricName()));
    std::string_view previous;
    bool first = true;
    for (const auto& label : series.labels) {
      Check(strata::common::IsValidLabelName(label.name));
      Check(!label.value.empty());
      Check(first || previous < label.name);
      previous = label.name;
      first = false;
    }
  }
  return 0;
}
